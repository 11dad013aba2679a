"""structlog through fastlog against structlog's own configurations.

Same event for all: ``log.info("user logged in", user_id=..., ip=..., ok=True)`` to a file,
called as application code does: ``log = structlog.get_logger("bench")`` once, at module level,
before anything is configured, then ``log.info(...)`` on it for every record. That object is
structlog's lazy proxy, so every call pays its ``__getattr__`` (fastlog's and structlog's cases
alike). The "(method hoisted)" rows fetch ``info = log.info`` once before the loop instead:
labelled extras that show what the proxy costs, never a target's side.

    python benchmarks/bench_structlog.py                       # every case: 200k records x 5 rounds
    python benchmarks/bench_structlog.py --quick               # smoke
    python benchmarks/bench_structlog.py --group configure     # configure() vs structlog fastest
    python benchmarks/bench_structlog.py --group processors    # + CallsiteParameterAdder, contextvars
    python benchmarks/bench_structlog.py --group renderer      # FastlogRenderer at the end of a chain
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import structlog
from _harness import IP, MESSAGE, Case, Target, first_record, main, note, timed

#: As applications do: the logger fetched once, at import, before configuration.
log = structlog.get_logger("bench")

#: The user processors of the "processors" group.
CONTEXT = {"request_id": "9f1c2a"}


def _callsite_adder() -> Any:
    from structlog.processors import CallsiteParameter, CallsiteParameterAdder

    return CallsiteParameterAdder(
        [CallsiteParameter.FILENAME, CallsiteParameter.FUNC_NAME, CallsiteParameter.LINENO]
    )


def body(n: int) -> None:
    """The timed loop: ``log.info(...)`` on the module's logger, as an application calls it."""
    for i in range(n):
        log.info(MESSAGE, user_id=i, ip=IP, ok=True)


def body_hoisted(n: int) -> None:
    """The labelled extra: the bound method fetched once (skips the proxy's lookup per call)."""
    info = log.info
    for i in range(n):
        info(MESSAGE, user_id=i, ip=IP, ok=True)


def body_in_context(n: int) -> None:
    """``body`` with one contextvar bound, as a request handler would (per thread: threads do not
    inherit the caller's contextvars)."""
    structlog.contextvars.bind_contextvars(**CONTEXT)
    for i in range(n):
        log.info(MESSAGE, user_id=i, ip=IP, ok=True)


# -- checks: each case reads back its first record ----------------------------------------------


def _check(path: str, *keys: str) -> dict[str, Any]:
    """The first record has the message, the three fields and *keys*; raises otherwise."""
    record = first_record(path)
    message = record.get("message", record.get("event"))
    missing = [k for k in ("user_id", "ip", "ok", *keys) if k not in record]
    if message != MESSAGE or missing:
        raise AssertionError(f"wrong record: message {message!r}, missing {missing}: {record}")
    return record


def _check_callsite(path: str, loop: Callable[[int], None]) -> None:
    """The callsite keys are there (else the case fails) and name the loop (else a NOTE)."""
    record = _check(path, "filename", "func_name", "lineno")
    want = {"filename": os.path.basename(__file__), "func_name": loop.__name__}
    got = {k: record[k] for k in want}
    if got != want:
        note(f"CallsiteParameterAdder reported {got} (line {record['lineno']}), expected {want}")


# -- fastlog -----------------------------------------------------------------------------------


def _fastlog(
    path: str, count: int, threads: int, loop: Callable[[int], None], **options: Any
) -> float:
    import fastlog_core
    import fastlog_structlog

    fastlog_structlog.configure(sink=path, level="info", **options)
    return timed(threads, count, loop, fastlog_core.flush)


def case_fastlog(path: str, count: int, threads: int) -> float:
    elapsed = _fastlog(path, count, threads, body)
    _check(path)
    return elapsed


def case_fastlog_hoisted(path: str, count: int, threads: int) -> float:
    elapsed = _fastlog(path, count, threads, body_hoisted)
    _check(path)
    return elapsed


def case_fastlog_callsite(path: str, count: int, threads: int) -> float:
    elapsed = _fastlog(path, count, threads, body, processors=[_callsite_adder()])
    _check_callsite(path, body)
    return elapsed


def case_fastlog_contextvars(path: str, count: int, threads: int) -> float:
    # configure()'s chain already starts with merge_contextvars: the user adds nothing.
    elapsed = _fastlog(path, count, threads, body_in_context)
    _check(path, *CONTEXT)
    return elapsed


def _fastlog_renderer(path: str, count: int, threads: int, processors: list[Any]) -> float:
    """A user's own structlog.configure() with FastlogRenderer last and FastlogLoggerFactory."""
    import fastlog_core
    from fastlog_structlog import FastlogLoggerFactory, FastlogRenderer

    structlog.configure(
        cache_logger_on_first_use=True,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[*processors, FastlogRenderer()],
        logger_factory=FastlogLoggerFactory(path),
    )
    elapsed = timed(threads, count, body, fastlog_core.flush)
    _check(path, "timestamp", "level")
    return elapsed


def case_fastlog_renderer(path: str, count: int, threads: int) -> float:
    """structlog fastest's chain, its renderer and logger factory replaced by fastlog's."""
    chain = [structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso")]
    return _fastlog_renderer(path, count, threads, chain)


def case_fastlog_renderer_alone(path: str, count: int, threads: int) -> float:
    """The same, without add_log_level and TimeStamper: FastlogRenderer adds level and time
    itself (docs/structlog.md), so the records carry the same information."""
    return _fastlog_renderer(path, count, threads, [])


# -- structlog ---------------------------------------------------------------------------------


def _structlog_fastest(
    path: str,
    count: int,
    threads: int,
    loop: Callable[[int], None],
    *,
    before: tuple[Any, ...] = (),
    after: tuple[Any, ...] = (),
) -> float:
    """structlog's fastest documented setup (its performance docs), with the user's processors
    *before* the level and *after* the timestamp."""
    import orjson

    out = open(path, "wb")  # noqa: SIM115 - flushed by the timer, closed at exit
    structlog.configure(
        cache_logger_on_first_use=True,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[
            *before,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            *after,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        logger_factory=structlog.BytesLoggerFactory(out),
    )
    return timed(threads, count, loop, out.flush)


def case_structlog_fastest(path: str, count: int, threads: int) -> float:
    elapsed = _structlog_fastest(path, count, threads, body)
    _check(path, "timestamp", "level")
    return elapsed


def case_structlog_fastest_hoisted(path: str, count: int, threads: int) -> float:
    elapsed = _structlog_fastest(path, count, threads, body_hoisted)
    _check(path, "timestamp", "level")
    return elapsed


def case_structlog_callsite(path: str, count: int, threads: int) -> float:
    elapsed = _structlog_fastest(path, count, threads, body, after=(_callsite_adder(),))
    _check_callsite(path, body)
    return elapsed


def case_structlog_contextvars(path: str, count: int, threads: int) -> float:
    merge = structlog.contextvars.merge_contextvars
    elapsed = _structlog_fastest(path, count, threads, body_in_context, before=(merge,))
    _check(path, *CONTEXT)
    return elapsed


def case_structlog_default_json(path: str, count: int, threads: int) -> float:
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
    elapsed = timed(threads, count, body, out.flush)
    _check(path, "timestamp", "level")
    return elapsed


def case_noop_chain(path: str, count: int, threads: int) -> float:
    structlog.configure(
        cache_logger_on_first_use=True,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[lambda logger, name, event_dict: ""],
        logger_factory=structlog.ReturnLoggerFactory(),
    )
    return timed(threads, count, body, lambda: None)


FL = "fastlog_structlog.configure()"
FL_HOISTED = "fastlog_structlog.configure() (method hoisted)"
FL_CALLSITE = "fastlog_structlog.configure(processors=[CallsiteParameterAdder])"
FL_CONTEXT = "fastlog_structlog.configure(), 1 contextvar bound"
FL_RENDERER = "structlog.configure(..., FastlogRenderer(), FastlogLoggerFactory)"
FL_RENDERER_ALONE = (
    "structlog.configure([FastlogRenderer()], FastlogLoggerFactory): level, time by the renderer"
)
SL = "structlog fastest documented (orjson, bytes)"
SL_HOISTED = "structlog fastest documented (method hoisted)"
SL_CALLSITE = "structlog fastest + CallsiteParameterAdder"
SL_CONTEXT = "structlog fastest + merge_contextvars, 1 contextvar bound"
SL_DEFAULT = "structlog default JSON + PrintLogger"
NOOP = "structlog no-op chain (floor)"

CASES: dict[str, Case] = {
    FL: case_fastlog,
    SL: case_structlog_fastest,
    SL_DEFAULT: case_structlog_default_json,
    NOOP: case_noop_chain,
    FL_HOISTED: case_fastlog_hoisted,
    SL_HOISTED: case_structlog_fastest_hoisted,
    FL_CALLSITE: case_fastlog_callsite,
    SL_CALLSITE: case_structlog_callsite,
    FL_CONTEXT: case_fastlog_contextvars,
    SL_CONTEXT: case_structlog_contextvars,
    FL_RENDERER: case_fastlog_renderer,
    FL_RENDERER_ALONE: case_fastlog_renderer_alone,
}

#: Issue #16's targets: peer / fastlog, both called as applications call them, in the same run.
TARGETS = [
    Target("configure", "configure() vs structlog fastest", (FL, 1), (SL, 1), 2.5),
    Target("processors", "+ CallsiteParameterAdder on both", (FL_CALLSITE, 1), (SL_CALLSITE, 1), 2.0),
    Target("processors", "+ merge_contextvars, 1 bound, on both", (FL_CONTEXT, 1), (SL_CONTEXT, 1), 2.0),
    Target("renderer", "FastlogRenderer vs JSONRenderer(orjson), same chain", (FL_RENDERER, 1), (SL, 1), 1.5),
    Target("renderer", "FastlogRenderer adding level and time itself", (FL_RENDERER_ALONE, 1), (SL, 1), 1.5),
]  # fmt: skip

RATIOS = [
    ("structlog fastest / fastlog", (SL, 1), (FL, 1)),
    ("structlog default JSON / fastlog", (SL_DEFAULT, 1), (FL, 1)),
    ("4 threads: structlog fastest / fastlog", (SL, 4), (FL, 4)),
    ("extra, both hoisted: structlog fastest / fastlog", (SL_HOISTED, 1), (FL_HOISTED, 1)),
    ("proxy per call, structlog fastest: called / hoisted", (SL, 1), (SL_HOISTED, 1)),
    ("proxy per call, fastlog: called / hoisted", (FL, 1), (FL_HOISTED, 1)),
]
BOTH = [FL, SL, SL_DEFAULT, NOOP]  # 1 and 4 threads
ONE_THREAD = [
    FL_HOISTED, SL_HOISTED, FL_CALLSITE, SL_CALLSITE, FL_CONTEXT, SL_CONTEXT, FL_RENDERER,
    FL_RENDERER_ALONE,
]  # fmt: skip

if __name__ == "__main__":
    sys.exit(
        main(
            __file__,
            CASES,
            [(name, 1) for name in BOTH + ONE_THREAD] + [(name, 4) for name in BOTH],
            RATIOS,
            description=__doc__.split("\n")[0],
            targets=TARGETS,
            packages=("fastlog-py", "orjson", "structlog"),
            no_file=(NOOP,),
        )
    )
