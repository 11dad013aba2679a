"""``logging.LogRecord`` → the core's schema, shared by the handler and the formatter.

The mapping is the only thing this adapter owns; encoding, buffering and writing are the core's.
"""

from __future__ import annotations

import datetime
import logging
import sys
from collections.abc import Callable, Mapping
from itertools import islice
from typing import Any

from fastlog_core import adapter
from fastlog_core.adapter import Appender

from ._frameworks import FRAMEWORKS
from ._host import running_loop

#: ``Pipeline.shape``: the default schema's dict in the pipeline's schema.
Shape = Callable[[dict[str, Any], int], dict[str, Any]]

_probe = logging.LogRecord("probe", logging.INFO, __file__, 1, "m", None, None)
#: Attributes every LogRecord has after __init__, in the order __init__ sets them.
STANDARD_ATTRS: tuple[str, ...] = tuple(_probe.__dict__)
_N_STANDARD = len(STANDARD_ATTRS)
_FIRST = STANDARD_ATTRS[0]
del _probe

#: Attributes never written as extra fields: the standard ones, plus what formatters and
#: newer Pythons add (``message``, ``asctime``, ``taskName``).
RESERVED_ATTRS: frozenset[str] = frozenset(
    (
        *STANDARD_ATTRS,
        "message",
        "asctime",
        "taskName",
        "color_message",  # uvicorn's coloured copy of the message
        "_logger",  # structlog's ProcessorFormatter.wrap_for_formatter
        "_name",
        "_from_structlog",
    )
)

_ts = adapter.timestamp_from
from_posix = adapter.from_posix
_record_fields = adapter.record_fields
_merge = adapter.merge
_modules = sys.modules
_ctx_get = adapter.context_fields
_frameworks_get = FRAMEWORKS.get
_LEVELS: dict[str, str] = {}
_HAS_TASK_NAME = "taskName" in STANDARD_ATTRS  # Python >= 3.12 records it itself


def level_of(record: logging.LogRecord) -> str:
    """Lower-case level name, cached per name (custom levels included)."""
    name = record.levelname
    lowered = _LEVELS.get(name)
    if lowered is None:
        lowered = _LEVELS[name] = str(name).lower()
    return lowered


def extra_fields(
    record: logging.LogRecord, reserved: frozenset[str] = RESERVED_ATTRS, *, scan_all: bool = False
) -> dict[str, Any]:
    """Attributes added to *record* beyond the standard ones: ``extra=``, filters, factories.

    ``LogRecord.__init__`` sets the standard attributes first and ``extra=`` adds after them,
    so normally only the tail of ``__dict__`` needs looking at, and ``dict(islice(...))``
    copies it in C (a comprehension here cost ~600 ns per record).
    """
    attrs = record.__dict__
    if not scan_all and next(iter(attrs), None) == _FIRST:
        if len(attrs) <= _N_STANDARD:
            return {}
        extra = dict(islice(attrs.items(), _N_STANDARD, None))
        if reserved.isdisjoint(extra):
            return extra
    # Something other than extras is in the tail: a formatter's "message", a record factory's
    # attributes before the standard ones, a standard attribute deleted and set again.
    return {k: v for k, v in attrs.items() if k not in reserved}


def message_of(record: logging.LogRecord) -> Any:
    """``record.getMessage()``, or a readable stand-in when ``msg % args`` fails (counted)."""
    try:
        return record.getMessage()
    except Exception as exc:
        adapter.report_error("format", f"{type(exc).__name__} formatting {record.msg!r} % args")
        return f"{record.msg!r} {record.args!r}"


_running_loop: Callable[[], Any] | None = None


def task_name() -> str | None:
    """The current asyncio task's name on Python 3.11 (3.12+ records it as ``taskName``)."""
    global _running_loop
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    try:
        if _running_loop is None:
            _running_loop = running_loop()
        loop = _running_loop()
        if loop is None:
            return None
        task = asyncio.current_task(loop)
        return None if task is None else str(task.get_name())
    except Exception:
        return None


class RecordEncoder:
    """Turns LogRecords into the core's JSON lines, with the optional fields asked for.

    Args:
        location: add ``file``, ``line`` and ``function`` (the caller's source location).
        process: add ``process`` (pid) and ``process_name``.
        thread: add ``thread`` (ident) and ``thread_name``.
        static: fields added to every record (before the record's own).
        attrs: further LogRecord attributes to write under their own names.
        reserved: attributes not treated as extra fields.
        rename: output key → new key, applied last.
        timestamp_key: the key for the timestamp; ``None`` leaves it out.
    """

    __slots__ = (
        "_attrs",
        "_location",
        "_plain",
        "_process",
        "_rename",
        "_reserved",
        "_scan_all",
        "_static",
        "_tail_reserved",
        "_thread",
        "_timestamp_key",
    )

    def __init__(
        self,
        *,
        location: bool = False,
        process: bool = False,
        thread: bool = False,
        static: Mapping[str, Any] | None = None,
        attrs: tuple[str, ...] = (),
        reserved: frozenset[str] = RESERVED_ATTRS,
        rename: Mapping[str, str] | None = None,
        timestamp_key: str | None = "timestamp",
    ) -> None:
        self._location = location
        self._process = process
        self._thread = thread
        self._static = dict(static) if static else None
        self._attrs = attrs
        self._reserved = reserved
        # Reserved names other than the schema's "message": when one is among the attributes
        # after the standard ones (a record factory shifted them, a formatter or uvicorn added
        # one), the plain path hands over to the general one, which leaves them out.
        self._tail_reserved = reserved - {"message"}
        # A reserved set that leaves standard attributes out asks for them as fields.
        self._scan_all = not reserved.issuperset(STANDARD_ATTRS)
        self._rename = dict(rename) if rename else None
        self._timestamp_key = timestamp_key
        self._plain = (
            not (location or process or thread or static or attrs or rename or self._scan_all)
            and timestamp_key == "timestamp"
        )

    def emit(self, record: logging.LogRecord, out: Appender, shape: Shape | None = None) -> None:
        """Hand *record* to the pipeline's appender. Never raises.

        *shape* is the pipeline's schema (``Pipeline.shape``), applied to the finished dict.
        """
        try:
            fields = self.fields(record, shape)
        except Exception as exc:
            out.append(_repaired(record, exc), record.levelno)
            return
        out.emit(fields, record.levelno)

    def encode(self, record: logging.LogRecord, shape: Shape | None = None) -> bytes:
        """One JSON line (with newline) for *record*, by the core's encoder. Never raises."""
        try:
            fields = self.fields(record, shape)
        except Exception as exc:
            return _repaired(record, exc)
        return adapter.encode_record(fields)

    def fields(self, record: logging.LogRecord, shape: Shape | None = None) -> dict[str, Any]:
        """The record dict for *record*: the translation this adapter owns."""
        if not self._plain:
            shaped = self._shaped(record)
            return shaped if shape is None else shape(shaped, record.levelno)
        message = record.msg
        if record.args or type(message) is not str:  # getMessage() only when it has work
            if type(message) is dict and not record.args:
                return _event_dict_fields(record, message, self._reserved, shape)
            try:
                message = record.getMessage()
            except Exception:
                message = message_of(record)
        attrs = record.__dict__
        moment = from_posix(record.created)
        ts: datetime.datetime | str = moment if moment.microsecond else _ts(record.created)
        level = _LEVELS.get(record.levelname) or level_of(record)
        ctx = _ctx_get()
        # The extras are the entries of __dict__ after the standard ones (makeRecord adds
        # them after __init__); record_fields reads that tail in C when it can.
        fields: dict[str, Any] | None = _record_fields(
            attrs, _N_STANDARD, self._tail_reserved, ts, level, record.name, message, ctx
        )
        if fields is None:
            # A schema key or context key among the extras, or attributes that are not
            # extras in the tail (a formatter's "message"/"asctime", uvicorn's
            # "color_message", a record factory's or a deleted and re-set standard
            # attribute's shift): look at every attribute.
            extra = extra_fields(record, self._reserved, scan_all=True)
            fields = _merge(ts, level, record.name, message, ctx, extra)
        if record.exc_info or record.exc_text or record.stack_info:
            _add_problems(record, fields)
        if _HAS_TASK_NAME:
            task = attrs.get("taskName")
            if task is not None:
                fields["taskName"] = task
        elif "asyncio" in _modules:
            task = task_name()
            if task is not None:
                fields["taskName"] = task
        framework = _frameworks_get(record.name)
        if framework is not None:
            framework(record, fields)
        return fields if shape is None else shape(fields, record.levelno)

    def _shaped(self, record: logging.LogRecord) -> dict[str, Any]:
        """The record with the formatter's or handler's optional fields (slower, general)."""
        message = message_of(record)
        parts: list[Mapping[str, Any] | None] = [self._static]
        more: dict[str, Any] = {}
        for attr in self._attrs:
            if attr in record.__dict__:
                more[attr] = record.__dict__[attr]
        if self._location:
            more["file"] = record.pathname
            more["line"] = record.lineno
            more["function"] = record.funcName
        if self._process:
            more["process"] = record.process
            more["process_name"] = record.processName
        if self._thread:
            more["thread"] = record.thread
            more["thread_name"] = record.threadName
        parts += [more, _ctx_get(), extra_fields(record, self._reserved, scan_all=self._scan_all)]
        fields = _merge(_ts(record.created), level_of(record), record.name, message, *parts)
        if record.exc_info or record.exc_text or record.stack_info:
            _add_problems(record, fields)
        task = record.__dict__.get("taskName") if _HAS_TASK_NAME else task_name()
        if task is not None:
            fields["taskName"] = task
        framework = _frameworks_get(record.name)
        if framework is not None:
            framework(record, fields)
        if self._timestamp_key != "timestamp":
            ts = fields.pop("timestamp")
            if self._timestamp_key is not None:
                fields = {self._timestamp_key: ts, **fields}
        if self._rename:
            fields = {self._rename.get(k, k): v for k, v in fields.items()}
        return fields


def _event_dict_fields(
    record: logging.LogRecord,
    event_dict: dict[str, Any],
    reserved: frozenset[str],
    shape: Shape | None = None,
) -> dict[str, Any]:
    """A record whose message is a dict: a structured event (``{"event": ..., **fields}``).

    That is what structlog's ``ProcessorFormatter.wrap_for_formatter`` hands to stdlib, so
    structlog events routed through ``logging`` arrive as the same record a structlog adapter
    would write. The record's own time, level and logger name are authoritative: the event's
    ``timestamp``, ``level`` and ``logger`` (added by structlog processors) are dropped.
    """
    event = dict(event_dict)
    message = event.pop("event", None)
    for key in ("timestamp", "level", "logger", "logger_name"):
        event.pop(key, None)
    exc_info = event.pop("exc_info", None)
    fields = {**_ctx_get(), **extra_fields(record, reserved), **event}
    ts = _ts(record.created)
    record_fields = _merge(ts, level_of(record), record.name, message, fields)
    exception = adapter.exception_info(exc_info) if exc_info else None
    if exception is not None:
        # structlog.stdlib's exception() passes exc_info both in the event and to logging
        # (record.exc_info): one exception, written once.
        adapter.add_exception(record_fields, exception)
    _add_problems(record, record_fields, exception=exception is None)
    return record_fields if shape is None else shape(record_fields, record.levelno)


def _repaired(record: logging.LogRecord, error: Exception) -> bytes:
    """The line for a record that could not be translated: what is readable, marked."""
    fields = {
        "timestamp": adapter.timestamp(),
        "level": str(getattr(record, "levelname", "error")).lower(),
        "logger": str(getattr(record, "name", "")),
        "message": getattr(record, "msg", ""),
    }
    return adapter.encode_repaired(fields, error)


def _add_problems(
    record: logging.LogRecord, fields: dict[str, Any], *, exception: bool = True
) -> None:
    """The structured ``exception`` (unless *exception* is false: the caller added it) and
    the ``stack_info`` text, when the record has them."""
    described: dict[str, Any] | None = None
    if exception and record.exc_info and record.exc_info[1] is not None:
        described = adapter.describe_exception(record.exc_info[1])
    elif exception and record.exc_text:
        described = {"type": "", "message": "", "traceback": record.exc_text}
    if described is not None:
        adapter.add_exception(fields, described)
    if record.stack_info:
        if "stack_info" in fields:
            fields[adapter.RENAME_PREFIX + "stack_info"] = fields.pop("stack_info")
        fields["stack_info"] = record.stack_info
