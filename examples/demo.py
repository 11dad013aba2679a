"""fastlog demo: what fastlog writes, what it counts, and how fast it is on this machine.

Run it with ``python3 dev.py demo`` (sets up .venv with fastlog and orjson only) or, with
fastlog installed, ``python examples/demo.py [--records N] [--rounds N] [--dir DIR]``.

It shows, in three parts:

1. A few records through the native API, one of them deliberately bad (an object whose
   ``repr()`` raises, an int beyond 64 bits, a field named ``level``), and the file's lines
   exactly as they are on disk: the bad record is a valid line too, repaired and marked
   ``fastlog_error``.
2. What ``fastlog_core.stats()`` counted: the records written and the one encoding error.
3. A live side by side: the same records through stdlib ``logging`` with python-json-logger's
   ``JsonFormatter`` on a ``FileHandler``, through stdlib ``logging`` with fastlog's
   ``FastlogHandler`` (the same logging calls), and through fastlog's native API; each to a
   file, the clock stopped once every line is written, the median of a few short rounds. When
   python-json-logger is not installed, the baseline is stdlib's own ``logging.Formatter``
   writing JSON with ``json.dumps``, and the demo says so and how to get python-json-logger
   (the demo itself installs nothing).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import fastlog_core
from fastlog_stdlib import FastlogHandler

FIELDS = {"user_id": 42, "ip": "203.0.113.7", "ok": True}


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("this object cannot be printed")


def say(text: str = "") -> None:
    # Flushed at once: fastlog's own report of the bad record goes to stderr, in between.
    print(text, flush=True)


def show_records(path: str) -> None:
    say(f"== 1. Five records through the native API, to {path}")
    say("Fields, a bound field, a context() field, an exception, then a bad record.")
    fastlog_core.configure(sink=path, level="info")
    log = fastlog_core.get_logger("billing")
    log.info("charge ok", amount=12.5, user_id=42, currency="EUR")
    log.bind(request_id="r-1").warning("slow upstream", ms=870)
    with fastlog_core.context(tenant="acme"):
        log.info("inside a context", step=1)
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        log.exception("charge failed", user_id=42)
    say(
        "The next record is deliberately bad: an object whose repr() raises, an int beyond 64\n"
        "bits and a field named 'level'. fastlog still writes one valid line (repaired, marked\n"
        "fastlog_error), counts the error, and reports it once on stderr:"
    )
    log.error("bad input still logs", value=Unprintable(), big=2**80, level="spoofed")
    fastlog_core.flush()
    say(f"\n== The lines of {os.path.basename(path)}, exactly as written:")
    with open(path, "rb") as f:
        sys.stdout.buffer.write(f.read())
    sys.stdout.flush()


def show_stats() -> None:
    stats = fastlog_core.stats()
    say("\n== 2. What fastlog counted (fastlog_core.stats()):")
    for key in ("records_written", "errors", "errors_by_kind", "dropped", "lost", "speedups"):
        say(f"{key}: {json.dumps(stats[key])}")


class StdlibJsonFormatter(logging.Formatter):
    """The baseline without python-json-logger: stdlib's Formatter, JSON by ``json.dumps``."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "timestamp": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({key: getattr(record, key) for key in FIELDS})
        return json.dumps(data)


def baseline_formatter() -> tuple[str, logging.Formatter]:
    """python-json-logger's JsonFormatter when installed, else stdlib's own JSON formatting."""
    try:
        from pythonjsonlogger.json import JsonFormatter
    except ImportError:
        return "stdlib logging + logging.Formatter (json.dumps)", StdlibJsonFormatter()
    formatter = JsonFormatter("{levelname}{name}{message}", style="{", timestamp=True)
    return "stdlib logging + python-json-logger", formatter


def stdlib_run(path: str, records: int, handler: logging.Handler) -> float:
    """Seconds for *records* logging calls through a stdlib logger to *handler*, written."""
    logger = logging.getLogger(f"demo.{id(handler)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    info = logger.info
    start = time.perf_counter()
    for i in range(records):
        info("user logged in", extra={"user_id": i, "ip": "203.0.113.7", "ok": True})
    handler.flush()
    if isinstance(handler, FastlogHandler):
        fastlog_core.flush()  # the clock stops when every record is written
    elapsed = time.perf_counter() - start
    logger.removeHandler(handler)
    handler.close()
    return elapsed


def native_run(path: str, records: int) -> float:
    """Seconds for *records* calls of fastlog's native API to *path*, written."""
    fastlog_core.configure(sink=path, level="info")
    info = fastlog_core.get_logger("demo").info
    start = time.perf_counter()
    for i in range(records):
        info("user logged in", user_id=i, ip="203.0.113.7", ok=True)
    fastlog_core.flush()
    return time.perf_counter() - start


def side_by_side(directory: str, records: int, rounds: int) -> None:
    name, formatter = baseline_formatter()
    say(f"\n== 3. Side by side on this machine: {records:,} records each (message + 3 fields),")
    say(f"to a file, the clock stopped when all are written; the median of {rounds} rounds")
    if formatter.__class__ is StdlibJsonFormatter:
        say(
            "python-json-logger is not installed (the demo installs nothing): the baseline is\n"
            "stdlib's own logging.Formatter writing JSON with json.dumps. For python-json-logger\n"
            "itself: pip install python-json-logger (python3 dev.py bench installs it), rerun."
        )

    def baseline(path: str) -> float:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(formatter)
        return stdlib_run(path, records, handler)

    def handler(path: str) -> float:
        return stdlib_run(path, records, FastlogHandler(path))

    def native(path: str) -> float:
        return native_run(path, records)

    runs: list[tuple[str, Callable[[str], float]]] = [
        (name, baseline),
        ("stdlib logging + fastlog's FastlogHandler", handler),
        ("fastlog native API", native),
    ]
    seconds: dict[str, list[float]] = {label: [] for label, _ in runs}
    for number in range(rounds):  # interleaved: a slower moment of the machine hits all three
        for index, (label, run) in enumerate(runs):
            path = os.path.join(directory, f"bench-{index + 1}-round-{number + 1}.log")
            seconds[label].append(run(path))
            with open(path, "rb") as f:
                lines = sum(1 for _ in f)
            if lines != records:
                sys.exit(f"{label}: {lines} lines on disk, expected {records}")
    base = statistics.median(seconds[name])
    width = max(map(len, seconds))
    for label, times in seconds.items():
        median = statistics.median(times)
        ratio = base / median
        say(f"{label:<{width}}  {records / median:>12,.0f} records/s  {ratio:5.1f}x")
    say(f"every file has its {records:,} lines")
    say("The whole comparison, with more libraries and processes: python3 dev.py bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="per round and library")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", help="where to write the files (default: a temporary one)")
    args = parser.parse_args()
    say("fastlog demo: records through fastlog's native API, the lines it wrote, what it")
    say("counted, then fastlog and stdlib logging side by side on this machine.\n")
    with tempfile.TemporaryDirectory(prefix="fastlog-demo-") as tmp:
        directory = args.dir or tmp
        show_records(os.path.join(directory, "examples.log"))
        show_stats()
        side_by_side(directory, args.records, args.rounds)
    fastlog_core.shutdown()


if __name__ == "__main__":
    main()
