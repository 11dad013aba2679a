"""The configurations the suite compares: fastlog's four entry points and the field.

Each configuration is a small adapter: ``setup(path, level)`` builds the logger (importing its
library there, so a missing or broken library fails that case and nothing else) and returns a
``Target``: the logger object, the call style, ``done()`` (returns when every record logged so
far is on disk, as described per library in docs/performance.md) and ``close()`` (releases the
destination, so a FIFO reader sees end of file).

Every loop calls the logger as application code does: the object the library hands out
(``structlog.get_logger()``'s proxy, fetched before ``configure()`` as a module-level
``log = structlog.get_logger(__name__)`` is; ``logging.getLogger()``'s logger; loguru's
``logger``), with the method looked up on every call: ``log.info(...)``, never
``info = log.info`` once before the loop. The one exception is a labelled extra row
("method hoisted", throughput only) that shows what the lookup costs for structlog.

The record is the same everywhere: message "user logged in" with ``user_id=i``,
``ip="203.0.113.7"``, ``ok=True``, at INFO; JSON where the library can, otherwise a text line
that carries the same three fields. The exception record is "request failed" with the same
fields and the traceback of a ``ZeroDivisionError``.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

from _harness import IP, MESSAGE

EXC_MESSAGE = "request failed"

#: How a library is called with the three fields (``log`` is the Target's logger):
#: ``kwargs``: ``log.info(MESSAGE, user_id=i, ip=IP, ok=True)`` (fastlog native, structlog);
#: ``extra``: ``log.info(MESSAGE, extra={...})`` (stdlib ``logging``, logbook);
#: ``args``: ``log.info(MESSAGE + " user_id=%s ip=%s ok=%s", i, IP, True)`` (picologging 0.9,
#: whose records ignore ``extra``);
#: ``bind``: ``log.bind(user_id=i, ip=IP, ok=True).info(MESSAGE)`` (loguru).
STYLES = ("kwargs", "extra", "args", "bind")
ARGS_MESSAGE = MESSAGE + " user_id=%s ip=%s ok=%s"
ARGS_EXC_MESSAGE = EXC_MESSAGE + " user_id=%s ip=%s ok=%s"

#: Text format for the stdlib text handler: the same fields as the JSON configurations.
STDLIB_TEXT = (
    "%(asctime)s %(levelname)s %(name)s %(message)s user_id=%(user_id)s ip=%(ip)s ok=%(ok)s"
)
PJL_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
#: loguru's default format (colour tags are stripped for files) plus the bound fields.
LOGURU_TEXT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | "
    "<cyan>{name}</cyan>:<cyan>{function}</cyan>:<cyan>{line}</cyan> - <level>{message}</level>"
    " | {extra}"
)
LOGBOOK_TEXT = (
    "[{record.time:%Y-%m-%d %H:%M:%S.%f%z}] {record.level_name}: {record.channel}: "
    "{record.message} user_id={record.extra[user_id]} ip={record.extra[ip]} ok={record.extra[ok]}"
)


@dataclasses.dataclass
class Target:
    """A configured logger, ready to be called."""

    style: str
    #: what the application holds and calls ``.info(...)`` (loguru: ``.bind(...)``) on, per call
    logger: Any
    done: Callable[[], object]
    close: Callable[[], object]
    #: fastlog configurations: the pipeline's counters after the run (high water, drops...)
    stats: Callable[[], dict[str, Any]] | None = None
    #: the labelled extra: ``info = logger.info`` fetched once before the loop (kwargs only)
    hoisted: bool = False


@dataclasses.dataclass(frozen=True)
class Config:
    """One configuration: a library set up one way."""

    name: str
    library: str
    family: (
        str  # native, stdlib, structlog, loguru: which fastlog entry point it is measured against
    )
    fastlog: bool
    json: bool
    imports: tuple[str, ...]  # what an application imports to use it (import-time scenario)
    setup: Callable[[str, str], Target]
    #: None: every scenario; otherwise the only scenarios this configuration runs in
    scenarios: tuple[str, ...] | None = None
    note: str = ""


def _level(level: str) -> int:
    import logging

    return logging.INFO if level == "info" else logging.WARNING


def _fastlog_stats() -> dict[str, Any]:
    import fastlog_core

    s = fastlog_core.stats()
    return {
        k: s[k]  # type: ignore[literal-required]
        for k in ("dropped", "blocked", "blocked_seconds", "high_water_bytes", "lost", "errors")
    }


def _fastlog_close() -> None:
    import fastlog_core

    fastlog_core.shutdown()


# -- fastlog ---------------------------------------------------------------------------------


def _fastlog_native(preset: str | None) -> Callable[[str, str], Target]:
    def setup(path: str, level: str) -> Target:
        import fastlog_core

        log = fastlog_core.get_logger("bench")  # as at module level, before configure()
        fastlog_core.configure(sink=path, level=level, preset=preset)
        return Target("kwargs", log, fastlog_core.flush, _fastlog_close, _fastlog_stats)

    return setup


def _stdlib_logger(handler: Any, level: str) -> Any:
    import logging

    logger = logging.getLogger("bench")
    logger.addHandler(handler)
    logger.setLevel(_level(level))
    logger.propagate = False
    return logger


def _fastlog_stdlib(path: str, level: str) -> Target:
    import fastlog_stdlib

    handler = fastlog_stdlib.FastlogHandler(path)
    logger = _stdlib_logger(handler, level)

    def close() -> None:
        handler.close()
        _fastlog_close()

    return Target("extra", logger, handler.flush, close, _fastlog_stats)


def _fastlog_structlog(path: str, level: str) -> Target:
    import structlog

    import fastlog_core
    import fastlog_structlog

    log = structlog.get_logger("bench")  # the lazy proxy, as at module level
    fastlog_structlog.configure(sink=path, level=level)
    return Target("kwargs", log, fastlog_core.flush, _fastlog_close, _fastlog_stats)


def _fastlog_loguru(path: str, level: str) -> Target:
    from loguru import logger

    import fastlog_core
    from fastlog_loguru import FastlogSink

    logger.remove()
    logger.add(FastlogSink(path), level=level.upper())

    def close() -> None:
        logger.remove()
        _fastlog_close()

    return Target("bind", logger, fastlog_core.flush, close, _fastlog_stats)


# -- stdlib logging and friends ----------------------------------------------------------------


def _stdlib_text(path: str, level: str) -> Target:
    import logging

    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter(STDLIB_TEXT))
    logger = _stdlib_logger(handler, level)
    return Target("extra", logger, handler.flush, handler.close)


def _pjl_formatter() -> Any:
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(PJL_FORMAT)


def _pjl_file(path: str, level: str) -> Target:
    import logging

    handler = logging.FileHandler(path)
    handler.setFormatter(_pjl_formatter())
    logger = _stdlib_logger(handler, level)
    return Target("extra", logger, handler.flush, handler.close)


def _pjl_queue(path: str, level: str) -> Target:
    import logging
    import logging.handlers
    import queue

    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    target = logging.FileHandler(path)
    target.setFormatter(_pjl_formatter())
    listener = logging.handlers.QueueListener(q, target)
    listener.start()
    logger = _stdlib_logger(logging.handlers.QueueHandler(q), level)

    def done() -> None:  # stop() drains the queue; then the listener is started again
        listener.stop()
        target.flush()
        listener.start()

    def close() -> None:
        listener.stop()
        target.close()

    return Target("extra", logger, done, close)


def _picologging(path: str, level: str) -> Target:
    import picologging

    handler = picologging.FileHandler(path)
    # picologging 0.9.3 prints garbage for %(asctime)s without a datefmt on this Python.
    handler.setFormatter(
        picologging.Formatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S"
        )
    )
    logger = picologging.getLogger("bench")
    logger.addHandler(handler)
    logger.setLevel(picologging.INFO if level == "info" else picologging.WARNING)
    return Target("args", logger, handler.flush, handler.close)


def _logbook(path: str, level: str) -> Target:
    import logbook

    lvl = logbook.INFO if level == "info" else logbook.WARNING
    handler = logbook.FileHandler(path, format_string=LOGBOOK_TEXT, level=lvl, bubble=False)
    handler.push_application()
    logger = logbook.Logger("bench")
    logger.level = lvl  # filter in the logger, before a record is made

    def close() -> None:
        handler.pop_application()
        handler.close()

    return Target("extra", logger, handler.flush, close)


# -- structlog ---------------------------------------------------------------------------------


def _structlog_fastest(path: str, level: str, hoisted: bool = False) -> Target:
    import orjson
    import structlog

    log = structlog.get_logger("bench")  # the lazy proxy, as at module level
    out = open(path, "wb")  # noqa: SIM115 - closed by close()
    structlog.configure(
        cache_logger_on_first_use=True,
        wrapper_class=structlog.make_filtering_bound_logger(_level(level)),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,  # so exception() writes the traceback
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        logger_factory=structlog.BytesLoggerFactory(out),
    )
    return Target("kwargs", log, out.flush, out.close, hoisted=hoisted)


def _structlog_fastest_hoisted(path: str, level: str) -> Target:
    return _structlog_fastest(path, level, hoisted=True)


def _structlog_default_json(path: str, level: str) -> Target:
    import structlog

    log = structlog.get_logger("bench")  # the lazy proxy, as at module level
    out = open(path, "w")  # noqa: SIM115 - closed by close()
    structlog.configure(
        # structlog's default wrapper is a filtering bound logger at NOTSET; the same class
        # at the benchmark's level, so the filtered scenario measures structlog's own filter.
        wrapper_class=structlog.make_filtering_bound_logger(_level(level)),
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(out),
    )
    return Target("kwargs", log, out.flush, out.close)


# -- loguru ------------------------------------------------------------------------------------


def _loguru_file(**options: Any) -> Callable[[str, str], Target]:
    """A loguru file sink. loguru has no public flush for it: done() removes the sink (which
    closes the file) and adds it again, as bench_loguru.py does."""

    def setup(path: str, level: str) -> Target:
        from loguru import logger

        logger.remove()
        opts = {"level": level.upper(), **options}
        ids = [logger.add(path, **opts)]

        def done() -> None:
            logger.complete()
            logger.remove(ids.pop())
            ids.append(logger.add(path, **opts))

        return Target("bind", logger, done, logger.remove)

    return setup


# -- the list ----------------------------------------------------------------------------------

NATIVE = "fastlog native"
NATIVE_FASTEST = "fastlog native (fastest)"
FL_STDLIB = "fastlog stdlib FastlogHandler"
FL_STRUCTLOG = "fastlog structlog configure()"
FL_LOGURU = "fastlog loguru FastlogSink"
STRUCTLOG_HOISTED = "structlog fastest documented (method hoisted)"

CONFIGS: list[Config] = [
    Config(NATIVE, "fastlog", "native", True, True, ("fastlog_core",), _fastlog_native(None)),
    Config(
        NATIVE_FASTEST,
        "fastlog",
        "native",
        True,
        True,
        ("fastlog_core",),
        _fastlog_native("fastest"),
        scenarios=("latency", "stall"),
        note="preset='fastest' (drop when full); the other fastlog rows use 'balanced'",
    ),
    Config(
        FL_STDLIB, "fastlog", "stdlib", True, True, ("logging", "fastlog_stdlib"), _fastlog_stdlib
    ),
    Config(
        FL_STRUCTLOG,
        "fastlog",
        "structlog",
        True,
        True,
        ("structlog", "fastlog_structlog"),
        _fastlog_structlog,
    ),
    Config(
        FL_LOGURU, "fastlog", "loguru", True, True, ("loguru", "fastlog_loguru"), _fastlog_loguru
    ),
    Config(
        "stdlib FileHandler (text)",
        "stdlib logging",
        "stdlib",
        False,
        False,
        ("logging",),
        _stdlib_text,
    ),
    Config(
        "stdlib + python-json-logger FileHandler",
        "python-json-logger",
        "stdlib",
        False,
        True,
        ("logging", "pythonjsonlogger.json"),
        _pjl_file,
    ),
    Config(
        "stdlib + python-json-logger QueueHandler/Listener",
        "python-json-logger",
        "stdlib",
        False,
        True,
        ("logging.handlers", "queue", "pythonjsonlogger.json"),
        _pjl_queue,
    ),
    Config(
        "picologging FileHandler (text)",
        "picologging",
        "stdlib",
        False,
        False,
        ("picologging",),
        _picologging,
        note="no JSON formatter and no `extra`: fields go in the message with %-args",
    ),
    Config(
        "structlog fastest documented (orjson, bytes)",
        "structlog",
        "structlog",
        False,
        True,
        ("structlog", "orjson"),
        _structlog_fastest,
    ),
    Config(
        STRUCTLOG_HOISTED,
        "structlog",
        "structlog",
        False,
        True,
        ("structlog", "orjson"),
        _structlog_fastest_hoisted,
        scenarios=("throughput",),
        note="the same as structlog fastest documented, with `info = log.info` fetched once "
        "before the loop: what the lazy proxy's lookup costs per call (an extra, not how "
        "applications call it; every other row looks the method up per call)",
    ),
    Config(
        "structlog default JSON (PrintLogger)",
        "structlog",
        "structlog",
        False,
        True,
        ("structlog",),
        _structlog_default_json,
    ),
    Config(
        "loguru serialize=True",
        "loguru",
        "loguru",
        False,
        True,
        ("loguru",),
        _loguru_file(serialize=True),
    ),
    Config(
        "loguru serialize=True enqueue=True",
        "loguru",
        "loguru",
        False,
        True,
        ("loguru",),
        _loguru_file(serialize=True, enqueue=True),
    ),
    Config(
        "loguru text (default format + extra)",
        "loguru",
        "loguru",
        False,
        False,
        ("loguru",),
        _loguru_file(format=LOGURU_TEXT),
    ),
    Config(
        "logbook FileHandler (text)",
        "logbook",
        "native",
        False,
        False,
        ("logbook",),
        _logbook,
        note="no JSON formatter; compared with fastlog native",
    ),
]

BY_NAME = {c.name: c for c in CONFIGS}

#: The fastlog row each family is compared with.
BASELINE = {"native": NATIVE, "stdlib": FL_STDLIB, "structlog": FL_STRUCTLOG, "loguru": FL_LOGURU}

#: Distributions whose versions are recorded (import name -> distribution name).
DISTRIBUTIONS = (
    "fastlog-py",
    "orjson",
    "structlog",
    "loguru",
    "python-json-logger",
    "picologging",
    "Logbook",
    "matplotlib",
)


# -- the loops ---------------------------------------------------------------------------------
# One loop per call style, written out so that the timed loop is exactly the call an
# application makes (a wrapper function per call would add ~50 ns to every row, which is 6% of
# fastlog's native cost).


def make_loop(target: Target) -> Callable[[int], None]:
    """``body(n)``: log *n* records as fast as possible, calling as applications do."""
    style, log = target.style, target.logger
    if target.hoisted:  # the labelled extra only
        if style != "kwargs":
            raise ValueError("hoisted is for the kwargs style")
        info = log.info

        def body(n: int) -> None:
            for i in range(n):
                info(MESSAGE, user_id=i, ip=IP, ok=True)

    elif style == "kwargs":

        def body(n: int) -> None:
            for i in range(n):
                log.info(MESSAGE, user_id=i, ip=IP, ok=True)

    elif style == "extra":

        def body(n: int) -> None:
            for i in range(n):
                log.info(MESSAGE, extra={"user_id": i, "ip": IP, "ok": True})

    elif style == "args":

        def body(n: int) -> None:
            for i in range(n):
                log.info(ARGS_MESSAGE, i, IP, True)

    else:

        def body(n: int) -> None:
            for i in range(n):
                log.bind(user_id=i, ip=IP, ok=True).info(MESSAGE)

    return body


def make_one(target: Target) -> Callable[[int], None]:
    """``log(i)``: one record (the latency scenarios time each call of this)."""
    style, log = target.style, target.logger
    if style == "kwargs":
        return lambda i: log.info(MESSAGE, user_id=i, ip=IP, ok=True)
    if style == "extra":
        return lambda i: log.info(MESSAGE, extra={"user_id": i, "ip": IP, "ok": True})
    if style == "args":
        return lambda i: log.info(ARGS_MESSAGE, i, IP, True)
    return lambda i: log.bind(user_id=i, ip=IP, ok=True).info(MESSAGE)


def paced(log: Callable[[int], None], duration_ns: int, interval: int) -> list[int]:
    """Log one record every *interval* ns for *duration_ns* (busy-waiting between them, on a
    fixed schedule: a caller that falls behind logs the next ones at once, and one slower than
    the pace logs fewer records), and return each call's duration in ns. The figure includes
    ~60 ns of ``log()``'s own call and the clock reads."""
    from time import perf_counter_ns as now

    lat: list[int] = []
    record = lat.append
    start = deadline = now()
    end = start + duration_ns
    i = 0
    while deadline < end:
        deadline += interval
        while now() < deadline:
            pass
        t0 = now()
        log(i)
        record(now() - t0)
        i += 1
        if t0 > end:  # a caller slower than the pace stops at the end of the window
            break
    return lat


def make_exc(target: Target) -> Callable[[int], None]:
    """``log_exc(i)``: raise and log a ZeroDivisionError with the three fields."""
    style, log = target.style, target.logger

    def log_exc(i: int) -> None:
        try:
            1 / 0  # noqa: B018 - the exception is the point
        except ZeroDivisionError:
            if style == "kwargs":
                log.exception(EXC_MESSAGE, user_id=i, ip=IP, ok=True)
            elif style == "extra":
                log.exception(EXC_MESSAGE, extra={"user_id": i, "ip": IP, "ok": True})
            elif style == "args":
                log.exception(ARGS_EXC_MESSAGE, i, IP, True)
            else:
                log.bind(user_id=i, ip=IP, ok=True).exception(EXC_MESSAGE)

    return log_exc


def loaded_fastlog() -> bool:
    return "fastlog_core" in sys.modules
