"""A filtering bound logger that runs fastlog's default chain natively.

With ``fastlog_structlog.configure()`` and no extra processors, the chain is fixed: merge
structlog's contextvars, add level/logger/timestamp/exception, render. This wrapper does exactly
that in one method per level instead of calling processors one by one, and falls back to
structlog's own processing (``_proxy_to_logger``, same result) as soon as the configuration has
other processors. The result is identical either way; only the cost differs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from structlog import BoundLoggerBase
from structlog.contextvars import merge_contextvars

from fastlog_core import CRITICAL, DEBUG, ERROR, INFO, WARNING, adapter

from ._host import CONTEXT_VARS
from ._renderer import FastlogLogger, FastlogRenderer

_RENDERER = FastlogRenderer()

_utcnow = adapter.utcnow
_ctx_get = adapter.context_fields


def _interpolate(event: Any, args: tuple[Any, ...]) -> Any:
    """``event % args`` as structlog does it (one dict argument is a mapping); never raises."""
    if len(args) == 1 and isinstance(args[0], dict) and args[0]:
        return adapter.interpolate(event, args[0])
    return adapter.interpolate(event, args)


def _nop(self: Any, event: Any = None, *args: Any, **kw: Any) -> None:
    return None


async def _anop(self: Any, event: Any = None, *args: Any, **kw: Any) -> None:
    return None


def _method(levelno: int, name: str) -> Callable[..., Any]:
    def method(self: Any, event: Any = None, *args: Any, **kw: Any) -> Any:
        logger = self._logger
        if not (
            self._processors is native_chain[0]
            and type(logger) is FastlogLogger
            and not logger._route.pipeline.appender.special  # sampling or a schema: the renderer's
        ):
            if args:
                event = _interpolate(event, args)
            return self._proxy_to_logger(name, event, **kw)
        record: dict[str, Any] | None = None
        try:
            if args:
                event = _interpolate(event, args)
            fields = {**self._context, **kw} if self._context else kw
            if CONTEXT_VARS:
                merge_contextvars(logger, name, fields)
            ctx = _ctx_get()
            if ctx:
                fields = {**ctx, **fields}
            exc_info = fields.pop("exc_info", None) if "exc_info" in fields else None
            ts = _utcnow()
            if not ts.microsecond:
                ts = adapter.timestamp()  # type: ignore[assignment]
            record = {
                "timestamp": ts,
                "level": name,
                "logger": logger.name or "root",
                "message": event,
                **fields,
            }
            if len(record) != 4 + len(fields):
                # A key named level/logger/timestamp: structlog's convention decides what it
                # means, so take the renderer's path for an identical result.
                if exc_info:
                    fields["exc_info"] = exc_info
                line = _RENDERER(logger, name, {"event": event, **fields}) + b"\n"
                logger._route.pipeline.appender.append(line, levelno)
                return None
            if exc_info:
                info = adapter.exception_info(exc_info)
                if info is not None:
                    adapter.add_exception(record, info)
        except Exception as error:
            if record is None:  # merge(): a key named like a schema key must not overwrite it
                logger_name = str(getattr(logger, "name", None) or "root")
                record = adapter.merge(adapter.timestamp(), name, logger_name, event, kw)
            logger._route.pipeline.appender.append(adapter.encode_repaired(record, error), levelno)
            return None
        logger._route.pipeline.appender.emit(record, levelno)
        return None

    async def amethod(self: Any, event: Any = None, *args: Any, **kw: Any) -> Any:
        # fastlog never blocks on I/O in the caller, so there is no executor hop: the call
        # runs here, with the task's contextvars.
        return method(self, event, *args, **kw)

    method.__name__ = name
    amethod.__name__ = "a" + name
    return method, amethod  # type: ignore[return-value]


_LEVELS = (
    (DEBUG, "debug"),
    (INFO, "info"),
    (WARNING, "warning"),
    (ERROR, "error"),
    (CRITICAL, "critical"),
)


#: The processor list ``configure()`` installed, when it is fastlog's default chain. A bound
#: logger whose processors are this very list may skip running them (same result, less cost);
#: any other list — the user reconfigured, or added processors — runs through structlog.
native_chain: list[list[Any] | None] = [None]


def make_wrapper(min_level: int) -> type[BoundLoggerBase]:
    """A bound-logger class for *min_level*: levels below it are no-ops, like structlog's."""
    namespace: dict[str, Any] = {}
    by_level: dict[int, Callable[..., Any]] = {}
    for levelno, name in _LEVELS:
        if levelno < min_level:
            sync, asyn = _nop, _anop
        else:
            sync, asyn = _method(levelno, name)  # type: ignore[misc]
        namespace[name] = sync
        namespace["a" + name] = asyn
        by_level[levelno] = sync
    namespace["warn"] = namespace["warning"]
    namespace["awarn"] = namespace["awarning"]
    namespace["fatal"] = namespace["critical"]
    namespace["afatal"] = namespace["acritical"]
    namespace["msg"] = namespace["info"]
    namespace["amsg"] = namespace["ainfo"]

    def exception(self: Any, event: Any = None, *args: Any, **kw: Any) -> Any:
        kw.setdefault("exc_info", True)
        if kw["exc_info"] is True:
            kw["exc_info"] = sys.exc_info()
        return self.error(event, *args, **kw)

    async def aexception(self: Any, event: Any = None, *args: Any, **kw: Any) -> Any:
        return exception(self, event, *args, **kw)

    def log(self: Any, level: int, event: Any = None, *args: Any, **kw: Any) -> Any:
        method = by_level.get(level)
        if method is None:
            return None if level < min_level else self._proxy_to_logger("info", event, **kw)
        return method(self, event, *args, **kw)

    async def alog(self: Any, level: int, event: Any = None, *args: Any, **kw: Any) -> Any:
        return log(self, level, event, *args, **kw)

    def is_enabled_for(self: Any, level: int) -> bool:
        return level >= min_level

    def get_effective_level(self: Any) -> int:
        return min_level

    namespace.update(
        exception=exception,
        aexception=aexception,
        log=log,
        alog=alog,
        is_enabled_for=is_enabled_for,
        get_effective_level=get_effective_level,
    )
    cls = type(f"FastlogBoundLoggerFilteringAt{min_level}", (BoundLoggerBase,), namespace)
    return cls
