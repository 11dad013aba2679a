"""structlog through fastlog against structlog's own configurations.

Same event for all: ``log.info("user logged in", user_id=..., ip=..., ok=True)`` to a file.

    python benchmarks/bench_structlog.py            # full: 200k records x 5 rounds
    python benchmarks/bench_structlog.py --quick    # smoke
"""

from __future__ import annotations

import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import IP, MESSAGE, Case, main, timed


def _body(log: Any):  # type: ignore[no-untyped-def]
    def body(n: int) -> None:
        info = log.info
        for i in range(n):
            info(MESSAGE, user_id=i, ip=IP, ok=True)

    return body


def case_fastlog(path: str, count: int, threads: int) -> float:
    import structlog

    import fastlog_core
    import fastlog_structlog

    fastlog_structlog.configure(sink=path, level="info")
    return timed(threads, count, _body(structlog.get_logger("bench")), fastlog_core.flush)


def case_structlog_fastest(path: str, count: int, threads: int) -> float:
    import logging

    import orjson
    import structlog

    out = open(path, "wb")  # noqa: SIM115 - flushed by the timer, closed at exit
    structlog.configure(
        cache_logger_on_first_use=True,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        logger_factory=structlog.BytesLoggerFactory(out),
    )
    return timed(threads, count, _body(structlog.get_logger("bench")), out.flush)


def case_structlog_default_json(path: str, count: int, threads: int) -> float:
    import structlog

    out = open(path, "w")  # noqa: SIM115 - flushed by the timer, closed at exit
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(out),
    )
    return timed(threads, count, _body(structlog.get_logger("bench")), out.flush)


def case_noop_chain(path: str, count: int, threads: int) -> float:
    import logging

    import structlog

    structlog.configure(
        cache_logger_on_first_use=True,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[lambda logger, name, event_dict: ""],
        logger_factory=structlog.ReturnLoggerFactory(),
    )
    return timed(threads, count, _body(structlog.get_logger("bench")), lambda: None)


CASES: dict[str, Case] = {
    "fastlog_structlog.configure()": case_fastlog,
    "structlog fastest documented (orjson, bytes)": case_structlog_fastest,
    "structlog default JSON + PrintLogger": case_structlog_default_json,
    "structlog no-op chain (floor)": case_noop_chain,
}

if __name__ == "__main__":
    fast = ("fastlog_structlog.configure()", 1)
    main(
        __file__,
        CASES,
        [(name, 1) for name in CASES] + [(name, 4) for name in CASES],
        [
            (
                "structlog fastest / fastlog",
                ("structlog fastest documented (orjson, bytes)", 1),
                fast,
            ),
            ("structlog default JSON / fastlog", ("structlog default JSON + PrintLogger", 1), fast),
            (
                "4 threads: structlog fastest / fastlog",
                ("structlog fastest documented (orjson, bytes)", 4),
                ("fastlog_structlog.configure()", 4),
            ),
        ],
        description=__doc__.split("\n")[0],
        packages=("fastlog-py", "orjson", "structlog"),
        no_file=("structlog no-op chain (floor)",),
    )
