"""structlog event dicts → the core's schema: the final processor and the logger it feeds."""

from __future__ import annotations

import datetime
import logging
import sys
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
        return _exception_from_text(value)
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


def _exception_from_text(text: str) -> dict[str, Any]:
    """Type and message of the last exception in a formatted traceback.

    The exception's own lines follow the last frame of the last ``Traceback`` block: the first
    is ``Type: message``; a message may go on over several lines, and notes (``add_note``)
    follow it, unindented too. The text alone cannot tell where the message ends and the notes
    begin, so when the exception being handled is the one formatted (``format_exc_info`` runs
    inside the ``except`` block), its ``str()`` decides.
    """
    lines = text.rstrip("\n").split("\n")
    start = 0
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith("Traceback (most recent call last):"):
            start = index + 1
            break
    while start < len(lines) and lines[start][:1].isspace():
        start += 1  # the frames: indented, source lines and carets included
    rest = lines[start:] or lines[-1:]
    type_name, _, first = rest[0].partition(": ")
    message = "\n".join([first, *rest[1:]])
    current = sys.exception()
    if current is not None:
        described = adapter.describe_exception(current)
        if described["type"] == type_name and message.startswith(described["message"]):
            message = described["message"]
    return {"type": type_name, "message": message, "traceback": text}


def _fallback(obj: Any) -> Any:
    """``JSONRenderer``'s fallback for values the serializer does not know: the object's
    ``__structlog__()``, else its ``repr()``."""
    try:
        return obj.__structlog__()
    except AttributeError:
        return repr(obj)


#: The value policy of structlog's ``JSONRenderer``, for the core's encoder.
DEFAULT = _fallback

_utcnow = adapter.utcnow


class FastlogRenderer:
    """The final processor: the event dict as one line of fastlog's JSON schema (``bytes``,
    without the trailing newline, as structlog's own renderers).

    structlog's ``event`` becomes ``message``. The record's ``level`` is the level of the call
    (the method name, as ``add_log_level`` writes it), so the line and the pipeline's per-sink
    levels always agree; a ``level`` key with another value is a field that happens to share
    the name and is kept as ``fields.level``. ``logger`` and ``timestamp`` are taken from the
    event dict when processors put them there (``add_logger_name``, ``TimeStamper``), as
    ``JSONRenderer`` would print them, and added here otherwise (the logger's name, the current
    time); a ``timestamp`` that is not a time, or a ``logger`` that is not a string, stays a
    field (``fields.timestamp``, ``fields.logger``). ``exc_info`` — or what
    ``format_exc_info`` / ``dict_tracebacks`` made of it — becomes the structured
    ``exception``. Everything else is a field, after fastlog's own context fields, rendered
    with ``JSONRenderer``'s fallback for unknown values (``__structlog__()``, then ``repr()``).
    Use it with :class:`FastlogLoggerFactory`, or with structlog's ``BytesLoggerFactory`` to
    write the lines yourself.

    As the last of ``structlog.stdlib.ProcessorFormatter``'s processors, without
    ``remove_processors_meta`` before it, it takes the ``LogRecord`` the formatter adds
    (``_record``) as the source of the logger name and the time when the chain set neither,
    and writes neither ``_record`` nor ``_from_structlog``: a plain ``logging`` record then
    gets its own logger's name and time (the formatter hands the renderer no logger for
    those), a wrapped structlog event the time of its call. ``extra=`` fields are the chain's
    to add, as for ``JSONRenderer``: ``structlog.stdlib.ExtraAdder()`` in ``foreign_pre_chain``.

    Args:
        text: Return ``str`` instead of ``bytes``: for ``structlog.stdlib.ProcessorFormatter``
            on a stdlib handler, and ``PrintLoggerFactory``.

    .. versionadded:: 0.1
    """

    __slots__ = ("_text",)

    #: ``configure()``'s renderer takes every schema value from the call, never from the
    #: event dict: its chain has no ``add_log_level`` or ``TimeStamper``, so a key named like
    #: a schema key there is always the user's field.
    _from_call = False

    def __init__(self, *, text: bool = False) -> None:
        self._text = text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(text={self._text!r})"

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
        level, levelno = LEVELS.get(method_name) or (str(method_name), INFO)
        # The pipeline's sampling and schema, when the logger is ours (FastlogLoggerFactory).
        pipe = logger._route.pipeline if type(logger) is FastlogLogger else None
        if pipe is not None and pipe.appender.special:
            name = None if self._from_call else event_dict.get("logger")
            if not isinstance(name, str):
                name = getattr(logger, "name", None) or "root"
            if not pipe.keep(levelno, name, event_dict.get("event")):
                from structlog import DropEvent

                raise DropEvent
        else:
            pipe = None
        message: Any = None
        source = None
        try:
            message = event_dict.pop("event", None)
            exc_info = event_dict.pop("exc_info", None)
            if self._from_call:
                record = call_record(logger, level, message, exc_info, event_dict)
            else:
                source = _formatter_record(event_dict) if "_record" in event_dict else None
                record = _chain_record(logger, level, message, exc_info, event_dict, source=source)
            if pipe is not None:
                record = pipe.shape(record, levelno)
            # Without the newline: structlog's BytesLogger and PrintLogger add their own;
            # FastlogLogger adds it back.
            line = adapter.encode_record(record, DEFAULT)[:-1]
        except Exception as exc:  # a processor left something this mapping cannot read
            line = _render_repaired(logger, level, event_dict, message, exc, source=source)
        return line.decode("utf-8") if self._text else line


class _CallRenderer(FastlogRenderer):
    """``configure()``'s renderer: the record's schema values come from the call alone."""

    __slots__ = ()
    _from_call = True


def build(
    ts: Any, level: str, name: str, message: Any, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """The record: schema values first, then *fields*. A ``level`` field equal to the record's
    level is what ``add_log_level`` wrote for this call, so it is not repeated; any other field
    named like a schema key moves to ``fields.<name>``."""
    record = {"timestamp": ts, "level": level, "logger": name, "message": message, **fields}
    if len(record) != 4 + len(fields):
        given = fields.get("level")
        if type(given) is str and given == level:
            fields = {k: v for k, v in fields.items() if k != "level"}
        record = adapter.merge(ts, level, name, message, fields)
    return record


def call_record(
    logger: Any, level: str, message: Any, exc_info: Any, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """The record for one call under ``configure()``: time now, level from the method, the
    logger's name, the event as message; every other key a field. The native path
    (``_native``) builds the same dict inline."""
    ctx = adapter.context_fields()
    if ctx:
        fields = {**ctx, **fields}
    record = build(
        adapter.timestamp(), level, getattr(logger, "name", None) or "root", message, fields
    )
    if exc_info:
        exception = adapter.exception_info(exc_info)
        if exception is not None:
            adapter.add_exception(record, exception)
    return record


def _chain_record(
    logger: Any,
    level: str,
    message: Any,
    exc_info: Any,
    event_dict: MutableMapping[str, Any],
    *,
    source: logging.LogRecord | None,
) -> dict[str, Any]:
    """The record for an event dict a user's own chain made (see ``FastlogRenderer``): the
    chain's ``logger`` and ``timestamp`` when it set them, else those of *source* (the
    ``LogRecord`` a ``ProcessorFormatter`` formats), else the logger's name and the time now."""
    moved: dict[str, Any] = {}
    given = event_dict.pop("level", None)
    if given is not None and not (type(given) is str and given == level):
        moved["level"] = given  # not add_log_level's value for this call: a field
    name = event_dict.pop("logger", None)
    if type(name) is not str:
        if name is not None:
            moved["logger"] = name
        name = source.name if source is not None else getattr(logger, "name", None) or "root"
    ts = event_dict.pop("timestamp", None)
    if ts is None and source is not None:
        ts = adapter.timestamp_from(source.created)
    elif ts is None:  # no TimeStamper in the chain: adapter.timestamp(), its common case inline
        ts = _utcnow()
        if not ts.microsecond:
            ts = adapter.timestamp()
    elif type(ts) is str and _is_iso(ts):
        pass  # TimeStamper(fmt="iso"): written as it is
    elif _is_time(ts):
        ts = _timestamp(ts)
    else:
        moved["timestamp"] = ts
        ts = adapter.timestamp() if source is None else adapter.timestamp_from(source.created)
    exception = None
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
    record = {"timestamp": ts, "level": level, "logger": name, "message": message, **fields}
    if len(record) != 4 + len(fields):
        record = adapter.merge(ts, level, name, message, fields)
    if exception is not None:
        adapter.add_exception(record, exception)
    return record


def _formatter_record(event_dict: MutableMapping[str, Any]) -> logging.LogRecord | None:
    """The ``LogRecord`` ``ProcessorFormatter`` put under ``_record``, taken out of the event
    dict with ``_from_structlog``, when no ``remove_processors_meta`` ran before the renderer.

    Those two keys are the formatter's, not fields, and the record is the only place the name
    and the time of a foreign (plain ``logging``) record are: the formatter passes its own
    ``logger`` argument, ``None`` by default, for those. Any other chain has no ``_record``,
    and one that is not a ``LogRecord`` is a field of the user's.
    """
    source = event_dict.get("_record")
    if not isinstance(source, logging.LogRecord):
        return None
    del event_dict["_record"]
    event_dict.pop("_from_structlog", None)
    return source


def _render_repaired(
    logger: Any,
    level: str,
    event_dict: Any,
    message: Any,
    error: Exception,
    *,
    source: logging.LogRecord | None = None,
) -> bytes:
    """The event as one line marked with ``fastlog_error``, everything readable kept."""
    try:
        fields = dict(event_dict)
    except Exception:
        fields = {}
    name = getattr(source if source is not None else logger, "name", None)
    ts = adapter.timestamp() if source is None else adapter.timestamp_from(source.created)
    record = adapter.merge(ts, level, name if isinstance(name, str) else "root", message, fields)
    return adapter.encode_repaired(record, error, DEFAULT)[:-1]


def _is_iso(value: str) -> bool:
    """An RFC 3339 / ISO 8601 date and time, as ``TimeStamper(fmt="iso")`` writes it."""
    return len(value) >= 19 and value[4] == "-" and value[10] == "T"


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
    return isinstance(value, str) and _is_iso(value)


class FastlogLogger:
    """What :class:`FastlogLoggerFactory` returns: hands rendered lines to the pipeline.

    It has the methods structlog calls on a wrapped logger (``info``, ``msg``, ``error``, ...).
    Each rendered line (``bytes`` from :class:`FastlogRenderer`, or a ``str`` from another
    renderer) gets its newline and goes to the pipeline.
    """

    __slots__ = ("_route", "name")

    # What structlog.stdlib.BoundLogger reads from a stdlib logger besides the level.
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

    @property
    def level(self) -> int:
        """The route's level: for the default route, ``fastlog_core.configure(level=...)``'s,
        or the level its ``levels=`` gives this logger's name."""
        return self._route.level

    def isEnabledFor(self, level: int) -> bool:
        """As ``logging.Logger.isEnabledFor``, for ``structlog.stdlib.filter_by_level``."""
        return level >= self._route.level

    def getEffectiveLevel(self) -> int:
        return self._route.level

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


#: The factory's own keywords, for the unknown-option message and its suggestion.
_FACTORY_OPTIONS = frozenset({"sink", "preset"})


def _route(sink: SinkSpec, preset: str | None, owner: str, options: Options) -> adapter.Route:
    adapter.check_options(options, adapter.OPTION_NAMES | _FACTORY_OPTIONS, owner=owner)
    return adapter.route(sink, preset=preset, owner=owner, **options)


class FastlogLoggerFactory:
    """A structlog ``logger_factory`` writing through the fastlog pipeline for *sink*.

    Args:
        sink: ``None`` for the process-wide pipeline (``fastlog_core.configure()``'s), or a
            path, ``"stdout"``, ``"stderr"``, a ``Sink`` or a list: the shared pipeline of that
            destination (the stdlib handler and the loguru sink writing there share it).
        preset: A fastlog preset for the destination.
        **options: fastlog pipeline options.

    Raises:
        fastlog_core.ConfigError: for a bad option, naming it; for a destination already in use
            with other settings, naming each option and both values (``docs/sinks.md``).
    """

    __slots__ = ("_by_name", "_route")

    def __init__(
        self, sink: SinkSpec = None, *, preset: str | None = None, **options: Unpack[Options]
    ) -> None:
        self._route = _route(sink, preset, "FastlogLoggerFactory", options)
        self._by_name = sink is None and preset is None and not options

    @classmethod
    def _made_by(
        cls, owner: str, sink: SinkSpec, preset: str | None, options: Options
    ) -> FastlogLoggerFactory:
        """A factory whose configuration errors name *owner* (``fastlog_structlog.configure``)."""
        factory = cls.__new__(cls)
        factory._route = _route(sink, preset, owner, options)
        factory._by_name = sink is None and preset is None and not options
        return factory

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline records go to (follows ``fastlog_core.configure()`` for ``sink=None``)."""
        return self._route.pipeline

    def __call__(self, *args: Any) -> FastlogLogger:
        name = args[0] if args and isinstance(args[0], str) else None
        if self._by_name:  # the default route: the logger's level is its name's (levels=)
            return FastlogLogger(adapter.logger_route(name or "root"), name)
        return FastlogLogger(self._route, name)
