"""Helpers for reading what fastlog wrote, and for resetting the host libraries' global state."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson


def read_lines(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every line of *path* parsed as a JSON object; fails the test on any invalid line."""
    data = Path(path).read_bytes()
    assert data == b"" or data.endswith(b"\n"), "file does not end with a whole line"
    records = []
    for number, line in enumerate(data.splitlines(), 1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:  # pragma: no cover - the failure message
            raise AssertionError(f"line {number} is not valid JSON: {line[:200]!r}") from exc
        assert isinstance(record, dict), f"line {number} is not an object"
        records.append(record)
    return records


def reset_structlog() -> None:
    """structlog unconfigured, its contextvars empty, fastlog's native chain forgotten."""
    import structlog

    from fastlog_structlog import _native

    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    _native.native_chain[0] = None


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
