"""The fault suite's shared parts: running a scenario in a real process, recording its figures.

Every fault runs in a child Python process (``run_child``), because the faults are process-wide:
signals, exits, forks, resource limits, interpreter shutdown. The child prints its own counters as
the last line of stdout (``report()`` in ``CHILD_PRELUDE``); the test reads the file the child
wrote, counts what is there, and asserts. Each test also hands its figures to ``results``, and
``python -m tests.reliability.report`` (or ``FASTLOG_RELIABILITY_REPORT=path pytest
tests/reliability``) turns them into the table of ``docs/reliability.md``.

Long variants (10M-record floods, more processes) run with ``FASTLOG_SOAK=1``.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import child_env

SOAK = bool(os.environ.get("FASTLOG_SOAK"))

#: Prepended to every child's code: ``report(**extra)`` prints fastlog's counters as JSON.
CHILD_PRELUDE = textwrap.dedent(
    """
    import json as _json, sys as _sys
    import fastlog_core as _fc

    def report(**extra):
        s = _fc.stats()
        out = {k: s[k] for k in ("records_written", "dropped", "lost", "errors", "blocked",
                                 "blocked_seconds", "high_water_bytes", "truncated")}
        out.update(extra)
        print("FASTLOG-REPORT " + _json.dumps(out), flush=True)
    """
)


MiB = 1024 * 1024
#: Peak RSS may grow by the buffer's capacity plus RSS_SLACK, whatever the fault: the writer
#: takes the buffer's blocks without copying them, a failing sink keeps them as its backlog,
#: and blocks of one size (256 KiB) leave the allocator nothing to double. Measured: within
#: 0.7 MiB of capacity with a full buffer (docs/reliability.md). Before, the writer's copy
#: and the bytearray's regrowth made it 2-3x capacity.
RSS_SLACK = 4 * MiB


def check_rss(r: dict[str, Any]) -> None:
    """The child's report: peak RSS grew by no more than its capacity plus RSS_SLACK."""
    assert r["rss_growth"] <= r["capacity"] + RSS_SLACK, (
        f"peak RSS grew by {r['rss_growth'] / MiB:.1f} MiB with a {r['capacity'] / MiB:.0f} MiB "
        "capacity"
    )


#: ``peak_rss()`` for a child: the process's high-water RSS in bytes. Linux's ``VmHWM`` rather
#: than ``getrusage().ru_maxrss``: ``ru_maxrss`` survives ``execve``, so a child spawned by a
#: large pytest process starts with the parent's peak and its own growth would not show.
PEAK_RSS = """
import resource

def peak_rss():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
"""


@dataclass
class Child:
    """A finished child process."""

    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any] = field(default_factory=dict)


def run_child(
    code: str,
    *args: str,
    timeout: float = 120,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> Child:
    """Run *code* (after ``CHILD_PRELUDE``) in a fresh interpreter; parse its report line.

    The child can import ``tests.helpers`` (``wait_until``): the repository is on its path.
    """
    proc = subprocess.run(
        [sys.executable, "-c", CHILD_PRELUDE + textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(**(env or {})),
        check=False,
    )
    child = Child(proc.returncode, proc.stdout, proc.stderr)
    for line in proc.stdout.splitlines():
        if line.startswith("FASTLOG-REPORT "):
            child.report = json.loads(line[len("FASTLOG-REPORT ") :])
    if check:
        assert proc.returncode == 0, f"child exited {proc.returncode}: {proc.stderr[-2000:]}"
    return child


def count_lines(path: Path) -> int:
    """Whole, valid JSON lines in *path* (a torn or invalid line fails the test)."""
    from tests.helpers import read_lines

    return len(read_lines(path)) if path.exists() else 0


@dataclass
class Result:
    """One row of docs/reliability.md's table."""

    fault: str
    setup: str
    sent: int
    written: int
    dropped: int = 0
    lost: int = 0
    note: str = ""


_RESULTS: list[Result] = []


@pytest.fixture
def results() -> Iterator[list[Result]]:
    """Append a ``Result`` per figure the test measured."""
    mine: list[Result] = []
    yield mine
    _RESULTS.extend(mine)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("FASTLOG_RELIABILITY_REPORT")
    if target and _RESULTS:
        Path(target).write_text(json.dumps([asdict(r) for r in _RESULTS], indent=2))


@contextlib.contextmanager
def mounted_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of *size* (``"1m"``, ``"256k"``) mounted at *where* for the block: a real file
    system that fills up (ENOSPC) and has space again once a file is removed. Mounting needs
    root (CI runs as root); the test is skipped, saying why, where it cannot mount."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def wait_for_line(proc: subprocess.Popen[bytes], prefix: bytes, timeout: float = 60) -> bytes:
    """The rest of the first stdout line of a running child that starts with *prefix* (a
    marker that the child passed a known point); fails if the child ends or stays silent."""
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            for line in data.split(b"\n")[:-1]:
                if line.startswith(prefix):
                    return line[len(prefix) :]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                proc.kill()
                pytest.fail(f"child printed no {prefix!r} within {timeout} s (deadlock?)")
            if selector.select(remaining):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    _, err = proc.communicate(timeout=30)
                    pytest.fail(f"child ended before {prefix!r}: {err.decode()[-2000:]}")
                data += chunk
    finally:
        selector.close()
