"""structlog event dicts → the core's schema: the final processor and the logger it feeds."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, MutableMapping
from typing import Any, Unpack

from fastlog_core import CRITICAL, DEBUG, ERROR, INFO, WARNING, Options, Pipeline, SinkSpec, adapter

#: structlog method names (and ``add_log_level`` values) → (level name, number).
LEVELS: dict[str, tuple[str, int]] = {
    "debug": ("debug", DEBUG),
    "info": ("info", INFO),
    "msg": ("info", INFO),
    "warning": ("warning", WARNING),
    "warn": ("warning", WARNING),
    "error": ("error", ERROR),
    "err": ("error", ERROR),
    "exception": ("error", ERROR),
    "failure": ("error", ERROR),
    "critical": ("critical", CRITICAL),
    "fatal": ("critical", CRITICAL),
}


def _timestamp(value: Any) -> Any:
    """The chain's ``timestamp`` in the schema's form, when it can be converted."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return adapter.timestamp_from(float(value))  # TimeStamper() without fmt: epoch
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value
    return value  # a string the chain formatted (TimeStamper(fmt="iso", utc=True) is RFC 3339)


def _exception_from_chain(value: Any) -> dict[str, Any] | None:
    """The structured exception from what ``format_exc_info`` or ``dict_tracebacks`` left."""
    if isinstance(value, str):  # format_exc_info: the formatted traceback
        last = value.rstrip("\n").rsplit("\n", 1)[-1]
        type_name, _, message = last.partition(": ")
        return {"type": type_name, "message": message, "traceback": value}
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        # dict_tracebacks
        stacks: list[Mapping[str, Any]] = value
        text = ["Traceback (most recent call last):\n"]
        for stack in stacks:
            text.extend(
                f'  File "{frame.get("filename")}", line {frame.get("lineno")}, '
                f"in {frame.get('name')}\n"
                for frame in stack.get("frames", ())
            )
            text.append(f"{stack.get('exc_type')}: {stack.get('exc_value')}\n")
        return {
            "type": str(stacks[-1].get("exc_type", "")),
            "message": str(stacks[-1].get("exc_value", "")),
            "traceback": "".join(text),
        }
    return None


class FastlogRenderer:
    """The final processor: the event dict as one line of fastlog's JSON schema (``bytes``,
    without the trailing newline, as structlog's own renderers).

    structlog's ``event`` becomes ``message``; ``level``, ``logger`` and ``timestamp`` are taken
    from the event dict when processors put them there (``add_log_level``, ``add_logger_name``,
    ``TimeStamper``) and added here otherwise (from the method name, the logger's name and the
    current time). A ``level`` that is not a level name, or a ``timestamp`` that is not a time,
    is a field that happens to share the name: it is kept as ``fields.level`` /
    ``fields.timestamp`` so the record's own level and time can always be trusted. ``exc_info``
    — or what ``format_exc_info`` / ``dict_tracebacks`` made of it —
    becomes the structured ``exception``. Everything else is a field, after fastlog's own
    context fields. Use it with :class:`FastlogLoggerFactory`, or with structlog's
    ``BytesLoggerFactory`` to write the lines yourself.

    Args:
        text: Return ``str`` instead of ``bytes``: for ``structlog.stdlib.ProcessorFormatter``
            on a stdlib handler, and ``PrintLoggerFactory``.

    .. versionadded:: 0.1
    """

    __slots__ = ("_text",)

    def __init__(self, *, text: bool = False) -> None:
        self._text = text

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
        line = self._render(logger, method_name, event_dict)
        return line.decode("utf-8") if self._text else line

    def _render(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> bytes:
        # The pipeline's sampling and schema, when the logger is ours (FastlogLoggerFactory).
        route = getattr(logger, "_route", None) if type(logger) is FastlogLogger else None
        pipe = route.pipeline if route is not None else None
        if pipe is not None and pipe.appender.special:
            levelno = LEVELS.get(method_name, ("", INFO))[1]
            name = event_dict.get("logger") or getattr(logger, "name", None) or "root"
            if not pipe.keep(levelno, name, event_dict.get("event")):
                from structlog import DropEvent

                raise DropEvent
        else:
            pipe = None
        message: Any = None
        try:
            message = event_dict.pop("event", None)
            method_level = LEVELS.get(method_name, (method_name, 0))[0]
            moved: dict[str, Any] = {}
            level = event_dict.pop("level", None)
            if level is None:
                level = method_level
            elif isinstance(level, str) and level.lower() in LEVELS:  # add_log_level's value
                level = LEVELS[level.lower()][0]
            else:  # not a level: a field that happens to be called "level"
                moved["level"], level = level, method_level
            name = event_dict.pop("logger", None)
            if name is None:
                name = event_dict.pop("logger_name", None)
            if not isinstance(name, str):
                if name is not None:
                    moved["logger"] = name
                name = getattr(logger, "name", None) or "root"
            ts = event_dict.pop("timestamp", None)
            if ts is None:
                ts = adapter.timestamp()
            elif _is_time(ts):
                ts = _timestamp(ts)
            else:
                moved["timestamp"], ts = ts, adapter.timestamp()
            exception = None
            exc_info = event_dict.pop("exc_info", None)
            if exc_info:
                exception = adapter.exception_info(exc_info)
            elif "exception" in event_dict:
                exception = _exception_from_chain(event_dict["exception"])
                if exception is not None:
                    del event_dict["exception"]
            ctx = adapter.context_fields()
            fields = {**ctx, **event_dict} if ctx else event_dict
            if moved:
                fields = {**fields, **{adapter.RENAME_PREFIX + k: v for k, v in moved.items()}}
            # Without the newline: structlog's BytesLogger and PrintLogger add their own;
            # FastlogLogger adds it back.
            if pipe is not None:
                levelno = LEVELS.get(level, ("", INFO))[1] if isinstance(level, str) else INFO
                return adapter.encode(
                    ts, level, name, message, fields, exception=exception,
                    shape=pipe.shape, levelno=levelno,
                )[:-1]  # fmt: skip
            return adapter.encode(ts, level, name, message, fields, exception=exception)[:-1]
        except Exception as exc:  # a processor left something this mapping cannot read
            return _render_repaired(logger, method_name, event_dict, message, exc)


def _render_repaired(
    logger: Any, method_name: str, event_dict: Any, message: Any, error: Exception
) -> bytes:
    """The event as one line marked with ``fastlog_error``, everything readable kept."""
    try:
        fields = dict(event_dict)
    except Exception:
        fields = {}
    name = getattr(logger, "name", None)
    record = adapter.merge(
        adapter.timestamp(),
        LEVELS.get(method_name, ("error", 0))[0],
        name if isinstance(name, str) else "root",
        message,
        fields,
    )
    return adapter.encode_repaired(record, error)[:-1]


def _is_time(value: Any) -> bool:
    """A value a timestamping processor could have produced (not a stray field)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 0 <= value < 253402300800  # a POSIX time before year 10000 (no nan, no inf)
    if isinstance(value, datetime.datetime):
        try:
            _timestamp(value)
        except Exception:  # an aware time that cannot be moved to UTC
            return False
        return True
    return isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T"


class FastlogLogger:
    """What :class:`FastlogLoggerFactory` returns: hands rendered lines to the pipeline.

    It has the methods structlog calls on a wrapped logger (``info``, ``msg``, ``error``, ...).
    Each rendered line (``bytes`` from :class:`FastlogRenderer`, or a ``str`` from another
    renderer) gets its newline and goes to the pipeline.
    """

    __slots__ = ("_route", "name")

    # What structlog.stdlib.BoundLogger reads from a stdlib logger: filtering is done by the
    # bound logger (or not at all), so this one accepts every level.
    level = 0
    disabled = False
    propagate = False
    handlers: tuple[()] = ()

    def __init__(self, route: adapter.Route, name: str | None = None) -> None:
        self._route = route
        self.name = name

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline this logger's lines go to."""
        return self._route.pipeline

    def isEnabledFor(self, level: int) -> bool:
        return True

    def getEffectiveLevel(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"<FastlogLogger {self.name!r} -> {self._route.pipeline.name}>"

    def _write(self, line: Any, levelno: int) -> None:
        if not isinstance(line, bytes):
            line = str(line).encode("utf-8", "backslashreplace")
        self._route.pipeline.appender.append(line + b"\n", levelno)

    def debug(self, line: Any) -> None:
        self._write(line, DEBUG)

    def info(self, line: Any) -> None:
        self._write(line, INFO)

    msg = log = info

    def warning(self, line: Any) -> None:
        self._write(line, WARNING)

    warn = warning

    def error(self, line: Any) -> None:
        self._write(line, ERROR)

    err = exception = failure = error

    def critical(self, line: Any) -> None:
        self._write(line, CRITICAL)

    fatal = critical


class FastlogLoggerFactory:
    """A structlog ``logger_factory`` writing through the fastlog pipeline for *sink*.

    Args:
        sink: ``None`` for the process-wide pipeline (``fastlog_core.configure()``'s), or a
            path, ``"stdout"``, ``"stderr"``, a ``Sink`` or a list: the shared pipeline of that
            destination (the stdlib handler and the loguru sink writing there share it).
        preset: A fastlog preset for the destination.
        **options: fastlog pipeline options.

    Raises:
        fastlog_core.ConfigError: for a bad option, naming it.
    """

    __slots__ = ("_route",)

    def __init__(
        self, sink: SinkSpec = None, *, preset: str | None = None, **options: Unpack[Options]
    ) -> None:
        self._route = adapter.route(sink, preset=preset, **options)

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline records go to (follows ``fastlog_core.configure()`` for ``sink=None``)."""
        return self._route.pipeline

    def __call__(self, *args: Any) -> FastlogLogger:
        name = args[0] if args and isinstance(args[0], str) else None
        return FastlogLogger(self._route, name)
