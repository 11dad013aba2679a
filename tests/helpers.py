"""Helpers shared by the tests: sinks that keep what they receive, waiting on a state without
sleeping, reading what fastlog wrote, and resetting the host libraries' global state."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson

from fastlog_core import FileSink

T = TypeVar("T")

#: The repository's root: a child process given it on ``PYTHONPATH`` can import ``tests.helpers``.
ROOT = Path(__file__).resolve().parent.parent


def child_env(**extra: str) -> dict[str, str]:
    """``os.environ`` with the repository root on ``PYTHONPATH``, plus *extra*: the environment
    of a child process that imports ``tests.helpers`` (``wait_until`` in a snippet)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


# -- waiting -----------------------------------------------------------------------------------


def wait_until(predicate: Callable[[], T], timeout: float = 30.0, message: str = "") -> T:
    """Poll *predicate* until it returns something true, and return that.

    A hang guard, not a timing assertion: the timeout is generous, and reaching it fails the
    test (``AssertionError``, so it works in a child process too) saying what never happened.
    """
    deadline = time.monotonic() + timeout
    pause = 0.001
    while not (result := predicate()):
        if time.monotonic() >= deadline:
            what = message or getattr(predicate, "__qualname__", repr(predicate))
            raise AssertionError(f"timed out after {timeout} s waiting for: {what}")
        time.sleep(pause)  # polling, with a short backoff
        pause = min(pause * 2, 0.05)
    return result


def finishes(call: Callable[[], T], timeout: float = 60.0, message: str = "") -> T:
    """*call*'s result, run in a thread that must end within *timeout*; its exception re-raised.

    A liveness check ("does not block"), not a speed one: the bound is generous, and reaching
    it fails the test instead of hanging it.
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # handed to the test's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still blocked after {timeout} s: {message or call}"
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """Wait until a server *process* accepts connections on *port*; fail if it exits first."""

    def accepting() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            if process.poll() is not None:
                _, err = process.communicate()
                raise AssertionError(f"server exited with {process.returncode}:\n{err}") from None
            return False

    wait_until(accepting, timeout, f"a server accepting connections on port {port}")


def run_threads(target: Callable[[int], object], count: int) -> None:
    """``target(0)`` ... ``target(count - 1)``, each in its own thread, all at once; returns
    when every one has ended."""
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@contextlib.contextmanager
def signal_every(seconds: float, handler: Callable[[int, Any], None]) -> Iterator[None]:
    """*handler* runs on SIGPROF every *seconds* of CPU time while the block runs.

    SIGPROF, not SIGALRM: pytest-timeout owns SIGALRM.
    """
    previous = signal.signal(signal.SIGPROF, handler)
    signal.setitimer(signal.ITIMER_PROF, seconds, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, previous)


# -- sinks -------------------------------------------------------------------------------------


class MemorySink:
    """A real Sink that keeps, in memory, each batch it receives; made slow, held or failing
    by its arguments.

    - *fail_after*, *fail_times*, *error*: the first *fail_after* writes succeed, the next
      *fail_times* raise ``OSError(error)`` (``10**9``: a destination that never recovers);
    - *partial*: a failing write keeps the first half of the batch and says so
      (``exc.fastlog_written``), as a short write does;
    - *delay*: each write takes that long (a slow destination);
    - ``gate``: clear it and writes hang until it is set again (a stalled destination);
      ``started`` is set as the first write begins, before the gate.
    """

    def __init__(
        self,
        *,
        fail_times: int = 0,
        fail_after: int = 0,
        error: int = errno.ENOSPC,
        partial: bool = False,
        delay: float = 0.0,
    ) -> None:
        self.writes: list[bytes] = []
        self.fail_times = fail_times
        self.fail_after = fail_after
        self.error = error
        self.partial = partial
        self.delay = delay
        self.attempts = 0
        self.started = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.attempts += 1
        self.started.set()
        self.gate.wait()
        if self.delay:
            time.sleep(self.delay)  # slow on purpose
        if self.attempts > self.fail_after and self.fail_times > 0:
            self.fail_times -= 1
            exc = OSError(self.error, os.strerror(self.error))
            if self.partial:
                half = len(data) // 2
                self.writes.append(bytes(data[:half]))
                exc.fastlog_written = half  # type: ignore[attr-defined]
            raise exc
        self.writes.append(bytes(data))

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    @property
    def data(self) -> bytes:
        """Every byte received, in order."""
        return b"".join(self.writes)

    def lines(self) -> list[dict[str, Any]]:
        """Every line received, parsed as JSON."""
        return [orjson.loads(line) for line in self.data.splitlines()]


class VectorSink(MemorySink):
    """A sink that takes ``writev``, as ``FileSink`` does: notes each batch's parts."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[bytes]] = []
        self.part_ids: list[int] = []

    def write(self, data: bytes) -> None:
        self.writev([data])  # type: ignore[list-item]

    def writev(self, parts: list[bytearray]) -> None:
        self.part_ids += [id(part) for part in parts]
        self.batches.append([bytes(part) for part in parts])
        self.writes.append(b"".join(self.batches[-1]))


class RecordingFileSink(FileSink):
    """A FileSink subclass that overrides ``write`` alone, noting each batch it is given."""

    def __init__(self, path: str | os.PathLike[str], **options: Any) -> None:
        super().__init__(path, **options)
        self.writes: list[bytes] = []

    def write(self, data: bytes, /) -> None:
        self.writes.append(bytes(data))
        super().write(data)


# -- reading what was written ------------------------------------------------------------------


def parse_lines(data: bytes, name: str = "file") -> list[dict[str, Any]]:
    """Every line of *data* (the bytes of *name*) parsed as a JSON object; fails the test on a
    torn last line or any invalid line."""
    assert data == b"" or data.endswith(b"\n"), f"{name} does not end with a whole line"
    records = []
    for number, line in enumerate(data.splitlines(), 1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:  # pragma: no cover - the failure message
            raise AssertionError(
                f"{name}, line {number} is not valid JSON (torn?): {line[:200]!r}"
            ) from exc
        assert isinstance(record, dict), f"{name}, line {number} is not an object"
        records.append(record)
    return records


def read_lines(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every line of *path* parsed as a JSON object; fails the test on any invalid line."""
    return parse_lines(Path(path).read_bytes(), str(path))


def reset_structlog() -> None:
    """structlog unconfigured and its contextvars empty."""
    import structlog

    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def reset_loguru() -> None:
    """loguru without handlers (its default stderr one included), extra and patcher."""
    from loguru import logger

    logger.remove()
    logger.configure(extra={}, patcher=None)


def append_from_processes(path: Path, processes: int, records: int, pad: int) -> None:
    """*processes* real processes each log *records* records to *path* at once; then every
    line must parse and each process's records be there, whole and in order."""
    code = textwrap.dedent(
        """
        import sys, fastlog_core
        fastlog_core.configure(sink=sys.argv[1])
        log = fastlog_core.get_logger(sys.argv[2])
        for i in range(int(sys.argv[3])):
            log.info("r", i=i, pad="q" * int(sys.argv[4]))
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), f"p{n}", str(records), str(pad)],
            env=os.environ.copy(),
        )
        for n in range(processes)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0] * processes
    seen: dict[str, list[int]] = {f"p{n}": [] for n in range(processes)}
    for record in read_lines(path):
        seen[str(record["logger"])].append(int(record["i"]))
    assert all(values == list(range(records)) for values in seen.values())
