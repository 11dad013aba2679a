"""loguru through FastlogSink against loguru's own JSON, text and queued output, and its floor.

Same record for all: ``logger.bind(user_id=i, ip=..., ok=True).info("user logged in")`` to a
file, with loguru's default ``format`` unless the case says otherwise.

    python benchmarks/bench_loguru.py                  # full: 200k records x 5 rounds
    python benchmarks/bench_loguru.py --quick          # smoke
    python benchmarks/bench_loguru.py --group sink     # FastlogSink vs serialize=True, 1 and 4 threads
    python benchmarks/bench_loguru.py --group schema   # FastlogSink(schema="loguru") vs serialize=True

Every call is made as application code makes it: ``logger.bind(...).info(...)`` on loguru's
``logger`` (imported once, at module level), the method looked up on every call.

loguru's file sink buffers in its own ``open()`` file object and has no public flush: its cases
stop the clock after ``logger.remove(id)`` (which closes the file) and add the sink again for
the next phase. ``enqueue=True`` is timed twice: "caller" stops the clock when the last call
returns (what the logging threads pay; the queue is drained afterwards, untimed), "end to end"
when every record is on disk. The last lines give FastlogSink's cost above loguru's own floor
(a no-op callable sink) in microseconds per record.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import IP, MESSAGE, Case, Target, first_record, main, timed, timed_callers
from loguru import logger


def _logger():  # type: ignore[no-untyped-def]
    logger.remove()
    return logger


def body(n: int) -> None:
    """The timed loop, as an application calls loguru: ``logger.bind(...).info(...)``."""
    for i in range(n):
        logger.bind(user_id=i, ip=IP, ok=True).info(MESSAGE)


def _body(logger) -> Callable[[int], None]:  # type: ignore[no-untyped-def]
    return body


def _found(value: Any) -> set[str]:
    """Every key of every JSON object in *value* (the fields may be nested, as loguru's are)."""
    if isinstance(value, dict):
        return set(value).union(*(_found(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_found(v) for v in value))
    return set()


def _check(path: str) -> None:
    """The first record is JSON with the message and the three fields; raises otherwise."""
    record = first_record(path)
    missing = {"user_id", "ip", "ok"} - _found(record)
    if missing or MESSAGE not in json.dumps(record):
        raise AssertionError(f"wrong record: missing {sorted(missing)} or message: {record}")


def case_fastlog(path: str, count: int, threads: int, fmt: str | None = None) -> float:
    import fastlog_core
    from fastlog_loguru import FastlogSink

    logger = _logger()
    if fmt is None:
        logger.add(FastlogSink(path))
    else:
        logger.add(FastlogSink(path), format=fmt)
    elapsed = timed(threads, count, _body(logger), fastlog_core.flush)
    _check(path)
    return elapsed


def case_fastlog_message_format(path: str, count: int, threads: int) -> float:
    return case_fastlog(path, count, threads, fmt="{message}")


def case_fastlog_loguru_schema(path: str, count: int, threads: int) -> float:
    import fastlog_core
    from fastlog_loguru import FastlogSink

    logger = _logger()
    logger.add(FastlogSink(path, schema="loguru"))
    elapsed = timed(threads, count, _body(logger), fastlog_core.flush)
    _check(path)
    return elapsed


def _file_case(path: str, count: int, threads: int, **options: object) -> float:
    """A loguru file sink; "done" closes the file (the only public flush) and reopens it."""
    logger = _logger()
    ids = [logger.add(path, **options)]

    def done() -> None:
        logger.complete()
        logger.remove(ids.pop())
        ids.append(logger.add(path, **options))

    try:
        elapsed = timed(threads, count, _body(logger), done)
    finally:
        logger.remove()
    if options.get("serialize"):
        _check(path)
    return elapsed


def case_serialize(path: str, count: int, threads: int) -> float:
    return _file_case(path, count, threads, serialize=True)


def case_serialize_enqueue(path: str, count: int, threads: int) -> float:
    return _file_case(path, count, threads, serialize=True, enqueue=True)


def case_serialize_enqueue_caller(path: str, count: int, threads: int) -> float:
    """Only the callers' time: the clock stops when the last call returns."""
    logger = _logger()
    logger.add(path, serialize=True, enqueue=True)
    try:
        return timed_callers(threads, count, _body(logger), logger.complete)
    finally:
        logger.remove()  # drains the queue and closes the file, so the count check sees it all


def case_text(path: str, count: int, threads: int) -> float:
    return _file_case(path, count, threads)


def case_noop(path: str, count: int, threads: int, fmt: str | None = None) -> float:
    logger = _logger()
    if fmt is None:
        logger.add(lambda message: None)
    else:
        logger.add(lambda message: None, format=fmt)
    return timed(threads, count, _body(logger), lambda: None)


def case_noop_message_format(path: str, count: int, threads: int) -> float:
    return case_noop(path, count, threads, fmt="{message}")


FAST = "FastlogSink"
FAST_MSG = "FastlogSink, format='{message}'"
FAST_LOGURU = "FastlogSink(schema='loguru')"
SERIALIZE = "loguru serialize=True"
ENQ_CALLER = "loguru serialize=True enqueue=True (caller)"
ENQ_E2E = "loguru serialize=True enqueue=True (end to end)"
TEXT = "loguru default text format"
NOOP = "no-op callable sink (loguru floor)"
NOOP_MSG = "no-op callable sink, format='{message}'"

CASES: dict[str, Case] = {
    FAST: case_fastlog,
    FAST_MSG: case_fastlog_message_format,
    FAST_LOGURU: case_fastlog_loguru_schema,
    SERIALIZE: case_serialize,
    ENQ_CALLER: case_serialize_enqueue_caller,
    ENQ_E2E: case_serialize_enqueue,
    TEXT: case_text,
    NOOP: case_noop,
    NOOP_MSG: case_noop_message_format,
}


def _above_floor(raw: str) -> None:
    """FastlogSink's median minus the no-op sink's, from the samples main() saved."""
    with open(raw) as f:
        samples = json.load(f)["samples_us"]
    print()
    for fast, floor in ((FAST, NOOP), (FAST_MSG, NOOP_MSG)):
        for threads in (1, 4):
            keys = f"{fast} x{threads}", f"{floor} x{threads}"
            if not all(k in samples for k in keys):
                continue  # not selected in this run
            top, bottom = samples[keys[0]], samples[keys[1]]
            label = f"{threads} thread{'s' if threads > 1 else ''}: {fast} - {floor} (us)"
            if top and bottom:
                delta = statistics.median(top) - statistics.median(bottom)
                print(f"{label:<60} {delta:+.3f}")
            else:
                print(f"{label:<60} n/a (a case failed)")


#: Issue #16's targets: serialize=True / FastlogSink, both called as applications call them.
TARGETS = [
    Target("sink", "FastlogSink vs serialize=True", (FAST, 1), (SERIALIZE, 1), 2.2),
    Target("sink", "FastlogSink vs serialize=True", (FAST, 4), (SERIALIZE, 4), 2.0),
    Target("schema", "FastlogSink(schema='loguru') vs serialize=True", (FAST_LOGURU, 1), (SERIALIZE, 1), 1.5),
]  # fmt: skip


def _ratios() -> list[tuple[str, tuple[str, int], tuple[str, int]]]:
    ratios = []
    for threads in (1, 4):
        prefix = "" if threads == 1 else "4 threads: "
        ratios += [
            (f"{prefix}serialize=True / FastlogSink", (SERIALIZE, threads), (FAST, threads)),
            (
                f"{prefix}serialize+enqueue (caller) / FastlogSink",
                (ENQ_CALLER, threads),
                (FAST, threads),
            ),
            (
                f"{prefix}serialize+enqueue (end to end) / FastlogSink",
                (ENQ_E2E, threads),
                (FAST, threads),
            ),
            (f"{prefix}default text / FastlogSink", (TEXT, threads), (FAST, threads)),
            (f"{prefix}FastlogSink / no-op floor", (FAST, threads), (NOOP, threads)),
        ]
    ratios.append(
        ("serialize=True / FastlogSink(schema='loguru')", (SERIALIZE, 1), (FAST_LOGURU, 1))
    )
    ratios.append(
        ("serialize=True / FastlogSink, format='{message}'", (SERIALIZE, 1), (FAST_MSG, 1))
    )
    return ratios


if __name__ == "__main__":
    child = "--child" in sys.argv
    raw = None
    if not child and "--json" not in sys.argv:
        raw = os.path.join(tempfile.mkdtemp(prefix="bench_loguru"), "samples.json")
        sys.argv += ["--json", raw]
    status = main(
        __file__,
        CASES,
        [(name, 1) for name in CASES] + [(name, 4) for name in CASES],
        _ratios(),
        description=__doc__.split("\n")[0],
        targets=TARGETS,
        packages=("fastlog-py", "orjson", "loguru"),
        no_file=(NOOP, NOOP_MSG),
    )
    if not child:
        _above_floor(raw or sys.argv[sys.argv.index("--json") + 1])
    sys.exit(status)
