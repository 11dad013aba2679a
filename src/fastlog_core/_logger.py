"""The native logger: ``get_logger(name).info("msg", key=value)``.

Each level method is built by ``_method`` as a closure with its level baked in, so a call is
one Python frame: level check, dict literal, then the pipeline's appender, which encodes the
dict (orjson, in C) and appends the line in one call. That body is written out once here and
shared by all levels rather than calling a common ``_log`` helper: the extra frame cost ~8% per
record in ``benchmarks/bench_core.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import _context, _diagnostics
from ._encoders import json as _json
from ._levels import CRITICAL, DEBUG, ERROR, INFO, WARNING, level_name, parse_level
from ._pipeline import Pipeline
from ._registry import Route, logger_route

_utcnow = _json.utcnow
_timestamp = _json.timestamp
_ctx_get = _context.get
_merge = _json.merge
_EMPTY: dict[str, Any] = {}


def _emit_full(  # noqa: PLR0917 - positional: one call per record, no keyword matching
    logger: Logger,
    pipe: Pipeline,
    levelno: int,
    msg: Any,
    args: tuple[Any, ...],
    fields: dict[str, Any],
) -> None:
    """The general path: %-args, exc_info, bound and context fields, sampling and schemas.

    Sampling decides before the record is built (a record sampled away is counted by the
    pipeline). Never raises.
    """
    levelname = level_name(levelno)
    out = pipe.appender
    if out.special and not pipe.keep(levelno, logger._name, msg):
        return
    record: dict[str, Any] | None = None
    try:
        exc_info = fields.pop("exc_info", None)
        if args:
            msg = _json.interpolate(msg, args)
        record = _merge(
            _timestamp(), levelname, logger._name, msg, _ctx_get(), logger._bound, fields
        )
        if exc_info is not None:
            info = _json.exception_info(exc_info)
            if info is not None:
                _json.add_exception(record, info)
        if out.special:
            record = pipe.shape(record, levelno)
    except Exception as error:
        out.append(_fallback_line(record, logger._name, levelname, msg, error, fields), levelno)
        return
    out.emit(record, levelno)


def _fallback_line(  # noqa: PLR0917
    record: Mapping[str, Any] | None,
    name: str,
    levelname: str,
    msg: Any,
    error: Exception,
    fields: Mapping[str, Any] | None,
) -> bytes:
    """The line for a call whose record could not be built: repaired, marked, counted."""
    if record is None:  # merge(): a field named like a schema key must not overwrite it
        record = _merge(_timestamp(), levelname, name, msg, fields)
    return _json.encode_repaired(record, error)


LogMethod = Callable[..., None]


def _method(levelno: int) -> LogMethod:
    levelname = level_name(levelno)

    # exc_info travels in **fields rather than as a keyword-only parameter: matching call
    # keywords against a named parameter cost ~30 ns per call (bench_core.py). Everything
    # uncommon (args, exc_info, bound or context fields, sampling, a schema) goes to
    # _emit_full, so the common call runs as few bytecodes as possible.
    def method(self: Logger, msg: Any, /, *args: Any, **fields: Any) -> None:
        route = self._route
        if levelno < route.level:
            return
        pipe = route.pipeline
        out = pipe.appender
        try:
            if args or self._bound or out.special or _ctx_get() or "exc_info" in fields:
                _emit_full(self, pipe, levelno, msg, args, fields)
                return
            ts = _utcnow()
            if not ts.microsecond:
                ts = _timestamp()  # type: ignore[assignment]
            record = {
                "timestamp": ts,
                "level": levelname,
                "logger": self._name,
                "message": msg,
                **fields,
            }
            if len(record) != 4 + len(fields):  # a field named like a schema key
                record = _merge(ts, levelname, self._name, msg, fields)
        except Exception as error:
            out.append(_fallback_line(None, self._name, levelname, msg, error, fields), levelno)
            return
        out.emit(record, levelno)

    method.__name__ = levelname
    method.__qualname__ = f"Logger.{levelname}"
    method.__doc__ = (
        f"Log *msg* at {levelname.upper()} with *fields*; ``*args`` are %-interpolated. "
        "``exc_info=`` attaches an exception. Never raises."
    )
    return method


class Logger:
    """A named logger with bound fields. Immutable: ``bind`` returns a new logger.

    Records go to the route's pipeline (unless an adapter gave another route, the default
    pipeline at this name's level: ``configure(level=..., levels=...)``); below the route's
    level they cost one comparison.
    """

    __slots__ = ("_bound", "_name", "_route")

    def __init__(
        self, name: str, route: Route | None = None, bound: Mapping[str, Any] | None = None
    ) -> None:
        self._name = name
        self._route = route if route is not None else logger_route(name)
        self._bound: dict[str, Any] = dict(bound) if bound else _EMPTY

    def __repr__(self) -> str:
        return f"<fastlog Logger {self._name!r} bound={self._bound!r}>"

    @property
    def name(self) -> str:
        return self._name

    @property
    def bound(self) -> dict[str, Any]:
        """A copy of the fields bound to this logger."""
        return dict(self._bound)

    def bind(self, **fields: Any) -> Logger:
        """A logger that adds *fields* to every record (call-site fields win over bound ones)."""
        return Logger(self._name, self._route, {**self._bound, **fields})

    def unbind(self, *keys: str) -> Logger:
        """A logger without the bound *keys*; missing keys are ignored."""
        return Logger(
            self._name, self._route, {k: v for k, v in self._bound.items() if k not in keys}
        )

    def is_enabled_for(self, level: int | str) -> bool:
        """Whether a record at *level* would be written (cheap guard for costly fields)."""
        return parse_level(level) >= self._route.level

    debug = _method(DEBUG)
    info = _method(INFO)
    warning = _method(WARNING)
    warn = warning
    error = _method(ERROR)
    critical = _method(CRITICAL)
    fatal = critical

    def exception(self, msg: Any, /, *args: Any, **fields: Any) -> None:
        """Log at ERROR with the exception being handled as the ``exception`` object."""
        fields.setdefault("exc_info", True)
        self.error(msg, *args, **fields)

    def log(self, level: int | str, msg: Any, /, *args: Any, **fields: Any) -> None:
        """Log at a level given by number or name; an unknown name is logged at ERROR."""
        try:
            levelno = parse_level(level)
        except ValueError:
            _diagnostics.report("level", f"unknown level {level!r}; logged at ERROR")
            levelno = ERROR
        method = _BY_LEVEL.get(levelno)
        if method is None:
            method = _method(levelno)
        method(self, msg, *args, **fields)


_BY_LEVEL: dict[int, LogMethod] = {
    DEBUG: Logger.debug,
    INFO: Logger.info,
    WARNING: Logger.warning,
    ERROR: Logger.error,
    CRITICAL: Logger.critical,
}


def get_logger(name: str | None = None, **fields: Any) -> Logger:
    """A logger writing to the default route, with *fields* bound.

    Its level is ``configure()``'s ``level``, or the one ``levels=`` gives its name or the
    nearest of its parents (``"app"`` for ``app.db``); it follows every later ``configure()``.

    Args:
        name: Written as ``logger`` in each record; ``"root"`` when omitted.
    """
    name = "root" if name is None else name
    return Logger(name, logger_route(name), fields or None)
