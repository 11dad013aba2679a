"""Several processes rotating one file, as gunicorn and uvicorn workers or a multiprocessing
pool configured alike do: each batch, and each check-rotate-reopen, under ``app.log.lock``.

Real processes started together on one path with a small size limit (so that they rotate it
hundreds of times between them), with compression and retention. Afterwards every file is
read: none over the limit, no torn line, every record exactly once and in its process's order,
every rotated file compressed once, retention kept. A time-rotated variant checks that a
boundary rotates the file once, not once per process.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from fastlog_core._rotation import rotated_files
from tests.helpers import child_env, parse_lines
from tests.reliability.conftest import CHILD_PRELUDE, Result

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="several processes rotate one file with flock (POSIX)"
)

LIMIT = 64_000

CHILD = """
import json, sys, time
import fastlog_core

path, name, count, pace = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
fastlog_core.configure(sink=path, **json.loads(sys.argv[5]))
log = fastlog_core.get_logger(name)
sys.stdin.readline()  # every process is ready: go together
for i in range(count):
    log.info("r", i=i, pad="s" * (40 + i % 60))
    if pace and i % 10 == 9:
        time.sleep(pace)  # paced on purpose: the run spans several time boundaries
flushed = fastlog_core.flush(timeout=60)
report(sent=count, flushed=flushed)
"""


def run_processes(
    path: Path, processes: int, count: int, options: dict[str, Any], pace: float = 0.0
) -> tuple[list[dict[str, Any]], float]:
    """*processes* children log *count* records each to *path*, starting together; returns
    their reports and the seconds from the start to the last exit."""
    code = CHILD_PRELUDE + textwrap.dedent(CHILD)
    fixed = [str(count), str(pace), json.dumps(options)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), f"p{n}", *fixed],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        for n in range(processes)
    ]
    reports = []
    try:
        start = time.monotonic()
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err[-3000:]
            reports.append(
                next(
                    json.loads(line[len("FASTLOG-REPORT ") :])
                    for line in out.splitlines()
                    if line.startswith("FASTLOG-REPORT ")
                )
            )
        elapsed = time.monotonic() - start
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
    return reports, elapsed


def read_all(path: Path, compressed: bool) -> tuple[list[bytes], list[str]]:
    """The rotated files (oldest first, decompressed) and then the current file's bytes, and
    the names of every file in the directory but the lock file."""
    contents = []
    for entry in rotated_files(str(path)):
        assert len(entry.members) == 1, f"a rotated file in several forms: {entry.members}"
        (member,) = entry.members
        assert member.endswith(".gz") == compressed, member
        if compressed:
            with gzip.open(member, "rb") as f:  # also fails on a corrupt or partial .gz
                contents.append(f.read())
        else:
            contents.append(Path(member).read_bytes())
    contents.append(path.read_bytes())
    names = sorted(p.name for p in path.parent.iterdir() if p.name != "app.log.lock")
    return contents, names


def check_files(contents: list[bytes], limit: int) -> dict[str, list[int]]:
    """No file over *limit* (but a single longer line), no torn line; each process's
    records in the order the files were rotated."""
    seen: dict[str, list[int]] = {}
    for n, data in enumerate(contents):
        records = parse_lines(data, f"file {n}")
        assert len(data) <= limit or len(records) == 1, f"file {n}: {len(data)} B"
        for r in records:
            seen.setdefault(r["logger"], []).append(r["i"])
    return seen


@pytest.mark.parametrize("processes", [8])
def test_processes_rotate_one_file_exactly_once(
    tmp_path: Path, processes: int, results: list[Result]
) -> None:
    """8 processes, one path, 64 KB limit, gzip, retention by age: no file over the limit,
    every record exactly once, in order, every rotated file compressed once, old rotated
    files removed."""
    path = tmp_path / "app.log"
    stale = [tmp_path / f"app.2020-01-0{n}_00-00-00_000000.log.gz" for n in (1, 2)]
    for old in stale:  # rotated long ago: retention by age removes them
        old.write_bytes(gzip.compress(b'{"old":1}\n'))
        os.utime(old, (time.time() - 10 * 86400,) * 2)
    count = 12_000
    options = {"rotation": "64 KB", "compression": "gz", "retention": "1 day",
               "flush_interval": 0.01, "wake_bytes": "32 KiB"}  # fmt: skip
    reports, elapsed = run_processes(path, processes, count, options)
    contents, names = read_all(path, compressed=True)
    assert not any(old.exists() for old in stale)
    assert not [n for n in names if n.endswith(".partial")]
    seen = check_files(contents, LIMIT)
    assert seen == {f"p{n}": list(range(count)) for n in range(processes)}
    assert all(r["flushed"] and r["records_written"] == count for r in reports)
    assert all((r["dropped"], r["lost"], r["errors"]) == (0, 0, 0) for r in reports)
    results.append(
        Result(
            fault="8 processes rotate one file",
            setup=(
                "rotation='64 KB', compression='gz', retention='1 day', 12,000 records each, "
                "started together"
            ),
            sent=processes * count,
            written=sum(map(len, seen.values())),
            note=(
                f"{len(contents) - 1} rotated files, each compressed once, none over 64 KB, "
                f"no torn line; every record once, each process's in order; stale rotated "
                f"files removed by retention ({elapsed:.1f} s)"
            ),
        )
    )


def test_processes_keep_n_rotated_files(tmp_path: Path, results: list[Result]) -> None:
    """retention=3 across 8 processes: 3 rotated files remain, and what remains of each
    process is its newest records, once each and in order."""
    path = tmp_path / "app.log"
    processes, count = 8, 6_000
    options = {"rotation": "64 KB", "compression": "gz", "retention": 3,
               "flush_interval": 0.01, "wake_bytes": "32 KiB"}  # fmt: skip
    run_processes(path, processes, count, options)
    contents, names = read_all(path, compressed=True)
    assert len(contents) == 3 + 1
    kept = [Path(entry.members[0]).name for entry in rotated_files(str(path))]
    assert names == sorted(["app.log", *kept])
    seen = check_files(contents, LIMIT)
    for name, numbers in seen.items():
        # Retention removed the oldest files: a process's oldest records, nothing else.
        assert numbers == list(range(count - len(numbers), count)), name
    results.append(
        Result(
            fault="8 processes rotate one file",
            setup="rotation='64 KB', compression='gz', retention=3, 6,000 records each",
            sent=processes * count,
            written=processes * count,
            note=(
                "3 rotated files kept (the newest; retention runs under the lock, counting "
                "every process's files); what remains of each process is its newest records, "
                "once each, in order"
            ),
        )
    )


def test_processes_rotate_once_per_time_boundary(tmp_path: Path) -> None:
    """4 processes with a 300 ms interval: each boundary rotates the file once (the others
    see the new file and follow its schedule), no rotated file empty, every record once."""
    path = tmp_path / "app.log"
    processes, count = 4, 1_200
    options = {"rotation": "300 ms", "flush_interval": 0.01}
    _, elapsed = run_processes(path, processes, count, options, pace=0.01)
    contents, _ = read_all(path, compressed=False)
    rotations = len(contents) - 1
    assert 2 <= rotations <= elapsed / 0.3 + 2, (rotations, elapsed)
    assert all(contents[:-1]), "an empty rotated file"
    seen = check_files(contents, sys.maxsize)
    assert seen == {f"p{n}": list(range(count)) for n in range(processes)}
