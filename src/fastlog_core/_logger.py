"""The native logger: ``get_logger(name).info("msg", key=value)``.

Each level method is built by ``_method`` as a closure with its level baked in, so a call is
one Python frame: level check, dict literal, one ``orjson.dumps``, one buffer append. That body
is written out once here and shared by all levels rather than calling a common ``_log`` helper:
the extra frame cost ~8% per record in ``benchmarks/bench_core.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import _context, _encoder, _errors
from ._levels import CRITICAL, DEBUG, ERROR, INFO, WARNING, level_name, parse_level
from ._pipeline import Pipeline
from ._registry import Route, default_route

_utcnow = _encoder.utcnow
_dumps = _encoder.dumps
_default = _encoder.default
_OPTIONS = _encoder.OPTIONS
_ctx_get = _context.get
_merge = _encoder.merge
_EMPTY: dict[str, Any] = {}
_next = next


def _interpolate(msg: Any, args: Any) -> Any:
    """``msg % args``, or a readable stand-in (counted) when that fails. Never raises."""
    try:
        return msg % args
    except Exception as exc:
        text = _encoder._safe_str(msg)
        _errors.report("format", f"message {text[:200]!r} % args: {type(exc).__name__}")
        return f"{text} {_encoder._safe_repr(args)}"


def _fallback_line(
    record: Mapping[str, Any] | None,
    name: str,
    levelname: str,
    msg: Any,
    error: Exception,
    *,
    fields: Mapping[str, Any] | None = None,
) -> bytes:
    """The line for a call whose fast path raised: repaired, marked, counted."""
    if record is None:  # merge(): a field named like a schema key must not overwrite it
        record = _merge(_encoder.timestamp(), levelname, name, msg, fields)
    return _encoder.encode_repaired(record, error)


def _encode_full(  # noqa: PLR0917 - positional: one call per record, no keyword matching
    logger: Logger,
    pipe: Pipeline,
    levelno: int,
    msg: Any,
    args: tuple[Any, ...],
    fields: dict[str, Any],
) -> bytes | None:
    """The general path: %-args, exc_info, bound and context fields, sampling and schemas.

    ``None`` when sampling dropped the record (counted by the pipeline). Never raises.
    """
    levelname = level_name(levelno)
    if pipe._special and not pipe.keep(levelno, logger._name, msg):
        return None
    record: dict[str, Any] | None = None
    try:
        exc_info = fields.pop("exc_info", None)
        if args:
            msg = _interpolate(msg, args)
        ts = _encoder.timestamp()
        record = _merge(ts, levelname, logger._name, msg, _ctx_get(), logger._bound, fields)
        if exc_info is not None:
            info = _encoder.exception_info(exc_info)
            if info is not None:
                _encoder.add_exception(record, info)
        if pipe._special:
            record = pipe.shape(record, levelno)
        return _dumps(record, default=_default, option=_OPTIONS)
    except Exception as error:
        return _fallback_line(record, logger._name, levelname, msg, error, fields=fields)


LogMethod = Callable[..., None]


def _method(levelno: int) -> LogMethod:
    levelname = level_name(levelno)

    # exc_info travels in **fields rather than as a keyword-only parameter: matching call
    # keywords against a named parameter cost ~30 ns per call (bench_core.py). Everything
    # uncommon (args, exc_info, bound or context fields) goes to _encode_full, so the common
    # call runs as few bytecodes as possible.
    def method(self: Logger, msg: Any, /, *args: Any, **fields: Any) -> None:
        route = self._route
        if levelno < route.level:
            return
        pipe = route.pipeline
        try:
            if args or self._bound or pipe._special or _ctx_get() or "exc_info" in fields:
                line = _encode_full(self, pipe, levelno, msg, args, fields)
                if line is None:
                    return
            else:
                ts = _utcnow()
                if not ts.microsecond:
                    ts = _encoder.timestamp()  # type: ignore[assignment]
                record = {
                    "timestamp": ts,
                    "level": levelname,
                    "logger": self._name,
                    "message": msg,
                    **fields,
                }
                if len(record) != 4 + len(fields):  # a field named like a schema key
                    record = _merge(ts, levelname, self._name, msg, fields)
                line = _dumps(record, default=_default, option=_OPTIONS)
        except Exception as error:
            line = _fallback_line(None, self._name, levelname, msg, error, fields=fields)
        # Pipeline.append, inlined: one frame less is ~70 ns of ~1.1 us (bench_core.py).
        buf = pipe._buf
        size = len(line)
        if (
            len(buf) + size <= pipe._limit
            and size <= pipe._max_record
            and levelno < pipe._slow_level
        ):
            buf += line
            _next(pipe._appended)
        else:
            del buf  # the slow path may wait for the writer, which waits for this reference
            pipe._append_slow(line, levelno)

    method.__name__ = levelname
    method.__qualname__ = f"Logger.{levelname}"
    method.__doc__ = (
        f"Log *msg* at {levelname.upper()} with *fields*; ``*args`` are %-interpolated. "
        "``exc_info=`` attaches an exception. Never raises."
    )
    return method


class Logger:
    """A named logger with bound fields. Immutable: ``bind`` returns a new logger.

    Records go to the route's pipeline (the default route unless an adapter gave another),
    below the route's level they cost one comparison.
    """

    __slots__ = ("_bound", "_name", "_route")

    def __init__(
        self, name: str, route: Route | None = None, bound: Mapping[str, Any] | None = None
    ) -> None:
        self._name = name
        self._route = route if route is not None else default_route()
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
            _errors.report("level", f"unknown level {level!r}; logged at ERROR")
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

    Args:
        name: Written as ``logger`` in each record; ``"root"`` when omitted.
    """
    return Logger("root" if name is None else name, default_route(), fields or None)
