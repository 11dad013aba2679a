"""Type-checked, not run: the configurations the README and docs show, as users write them.

``mypy`` (strict, see pyproject.toml) checks this file with ``src/``; a change to the public
API that breaks documented usage fails the type check.
"""

from __future__ import annotations

import logging
import logging.handlers

import structlog

import fastlog_core
import fastlog_stdlib
import fastlog_structlog
from fastlog_core import FileSink, Logger, Sink, Stats, StreamSink


class MemorySink:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes, /) -> None:
        self.data += data

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def configure_examples() -> None:
    fastlog_core.configure(sink="app.log", level="info", preset="balanced")
    fastlog_core.configure(sink="stdout", preset="dev", level=10)
    fastlog_core.configure(sink=["app.log", "stderr"], preset="durable")
    fastlog_core.configure(
        level="info", levels={"sqlalchemy.engine": "warning", "app.payments": 10}
    )
    fastlog_core.configure(sink=FileSink("app.log"), capacity="64 MiB", policy="drop")
    fastlog_core.configure(sink=StreamSink("stderr"), flush_interval=0.05)
    sink: Sink = MemorySink()
    fastlog_core.configure(sink=sink, preset="fastest", max_record_bytes=65536)


def native_api() -> None:
    log: Logger = fastlog_core.get_logger("billing")
    log.info("charge ok", amount=12.5, user_id=42)
    log.bind(request_id="r-1").warning("slow", ms=870)
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        log.exception("failed")
    log.error("with exc", exc_info=True)
    log.log("warning", "by name")
    with fastlog_core.context(request_id="r-2"):
        log.debug("in context")
    fastlog_core.bind_context(tenant="t")
    fastlog_core.unbind_context("tenant")
    ok: bool = fastlog_core.flush(timeout=1.0)
    stats: Stats = fastlog_core.stats()
    written: int = stats["records_written"]
    dropped: dict[str, int] = stats["dropped_by_level"]
    done: bool = fastlog_core.shutdown()
    print(ok, written, dropped, done)


def stdlib_examples() -> None:
    handler: logging.Handler = fastlog_stdlib.FastlogHandler("app.log", level="INFO")
    fastlog_stdlib.FastlogHandler(preset="fastest", capacity="64 MiB", include_thread=True)
    logging.getLogger().addHandler(handler)
    rotating = logging.handlers.RotatingFileHandler("app.log", maxBytes=10_000_000)
    rotating.setFormatter(
        fastlog_stdlib.FastlogFormatter(
            "%(message)s %(process)d",
            rename_fields={"levelname": "severity"},
            static_fields={"service": "billing"},
            timestamp="@timestamp",
        )
    )
    fastlog_stdlib.optimize()
    fastlog_stdlib.restore()


def structlog_examples() -> None:
    fastlog_structlog.configure(sink="app.log", level="info")
    fastlog_structlog.configure(level="info", levels={"app.payments": "debug"})
    fastlog_structlog.configure(processors=[structlog.processors.dict_tracebacks], preset="fastest")
    structlog.configure(
        processors=[structlog.processors.add_log_level, fastlog_structlog.FastlogRenderer()],
        logger_factory=fastlog_structlog.FastlogLoggerFactory("app.log"),
        cache_logger_on_first_use=True,
    )
    # docs/structlog.md: ProcessorFormatter on a handler of your own.
    handler = logging.handlers.RotatingFileHandler("app.log", maxBytes=10_000_000)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.ExtraAdder()],
            processors=[fastlog_structlog.FastlogRenderer(text=True)],
        )
    )
