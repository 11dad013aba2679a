"""``logging.LogRecord`` → the core's schema, shared by the handler and the formatter.

The mapping is the only thing this adapter owns; encoding, buffering and writing are the core's.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import Any

from fastlog_core import adapter
from fastlog_core.adapter import Appender

from ._frameworks import FRAMEWORKS
from ._host import running_loop
from ._values import VALUE_OPTIONS, value_default

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

_stamp = adapter.utc_stamp
_record_fields = adapter.record_fields
_merge = adapter.merge
_modules = sys.modules
_ctx_get = adapter.context_fields
_frameworks_get = FRAMEWORKS.get
_LEVELS: dict[str, str] = {}
_HAS_TASK_NAME = "taskName" in STANDARD_ATTRS  # Python >= 3.12 records it itself


def level_of(record: logging.LogRecord) -> str:
    """Lower-case level name, cached per name (custom levels included); a number stdlib has
    no name for (``"Level 15"``) as ``level-15``, as every adapter writes it."""
    name = record.levelname
    lowered = _LEVELS.get(name)
    if lowered is None:
        lowered = adapter.host_level_name(name)
        if len(_LEVELS) < 1024:  # a level per number (logger.log(n, ...)): stay bounded
            _LEVELS[name] = lowered
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


def stamp_of(record: logging.LogRecord) -> str:
    """The ``timestamp`` text for ``record.created`` (now, for a time outside years 1..9999)."""
    return _stamp(record.created) or _stamp(time.time()) or ""


def is_structlog_event(record: logging.LogRecord) -> bool:
    """A structlog event routed into logging by ``ProcessorFormatter.wrap_for_formatter``: its
    dict message is structlog's event dict (``event`` is the message), not a dict of fields."""
    return "_logger" in record.__dict__


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

    Values are written as python-json-logger writes them (``_values.py``).

    Args:
        location: add ``file``, ``line`` and ``function`` (the caller's source location).
        process: add ``process`` (pid) and ``process_name``.
        thread: add ``thread`` (ident) and ``thread_name``.
        static: fields added to every record (after the record's attributes named in *attrs*).
        defaults: fields added first, which any other field of the same name replaces.
        attrs: further LogRecord attributes to write under their own names (``None`` when the
            record lacks one); ``exc_info`` and ``stack_info`` among them are always written.
        reserved: attributes not treated as extra fields.
        skip_private: leave out extra attributes whose names start with ``_`` (pjl does).
        rename: output key → new key, applied last, once per key.
        keep_missing: write the keys *rename* renames to, as ``None``, when absent.
        timestamp_key: the key for the timestamp; ``None`` leaves it out.
        exc_lines: the exception's ``traceback`` as a list of lines.
        stack_lines: ``stack_info`` as a list of lines.
        traceback_text: the traceback text for an ``exc_info`` (a formatter's override of
            ``formatException``); the core's own formatting when ``None``.
        value_policy: orjson's ``default`` for values it cannot write (pjl's rendering, or a
            formatter's ``json_default``).
        value_options: orjson's options for the record.
    """

    __slots__ = (
        "_attrs",
        "_defaults",
        "_exc_lines",
        "_keep_missing",
        "_location",
        "_plain",
        "_process",
        "_rename",
        "_reserved",
        "_scan_all",
        "_skip_private",
        "_stack_lines",
        "_static",
        "_tail_reserved",
        "_thread",
        "_timestamp_key",
        "_traceback_text",
        "_value_options",
        "_value_policy",
    )

    def __init__(
        self,
        *,
        location: bool = False,
        process: bool = False,
        thread: bool = False,
        static: Mapping[str, Any] | None = None,
        defaults: Mapping[str, Any] | None = None,
        attrs: Iterable[str] = (),
        reserved: frozenset[str] = RESERVED_ATTRS,
        skip_private: bool = False,
        rename: Mapping[str, str] | None = None,
        keep_missing: bool = False,
        timestamp_key: str | None = "timestamp",
        exc_lines: bool = False,
        stack_lines: bool = False,
        traceback_text: Callable[[Any], Any] | None = None,
        value_policy: Callable[[Any], Any] = value_default,
        value_options: int = VALUE_OPTIONS,
    ) -> None:
        self._value_policy = value_policy
        self._value_options = value_options
        self._location = location
        self._process = process
        self._thread = thread
        self._static = dict(static) if static else None
        self._defaults = dict(defaults) if defaults else None
        self._attrs = tuple(attrs)
        self._reserved = reserved
        self._skip_private = skip_private
        # Reserved names other than the schema's "message": when one is among the attributes
        # after the standard ones (a record factory shifted them, a formatter or uvicorn added
        # one), the plain path hands over to the general one, which leaves them out.
        self._tail_reserved = reserved - {"message"}
        # A reserved set that leaves standard attributes out asks for them as fields.
        self._scan_all = not reserved.issuperset(STANDARD_ATTRS)
        self._rename = dict(rename) if rename else None
        self._keep_missing = keep_missing and bool(rename)
        self._timestamp_key = timestamp_key
        self._exc_lines = exc_lines
        self._stack_lines = stack_lines
        self._traceback_text = traceback_text
        self._plain = (
            not (location or process or thread or static or defaults or self._attrs)
            and not (rename or self._scan_all or exc_lines or stack_lines)
            and traceback_text is None
            and timestamp_key == "timestamp"
        )

    def emit(self, record: logging.LogRecord, out: Appender, shape: Shape | None = None) -> None:
        """Hand *record* to the pipeline's appender. Never raises.

        *shape* is the pipeline's schema (``Pipeline.shape``), applied to the finished dict.
        """
        try:
            fields = self.fields(record, shape)
        except Exception as exc:
            out.append(_repaired(record, exc, self._value_policy), record.levelno)
            return
        out.emit(fields, record.levelno, self._value_policy, self._value_options)

    def encode(self, record: logging.LogRecord, shape: Shape | None = None) -> bytes:
        """One JSON line (with newline) for *record*, by the core's encoder. Never raises."""
        try:
            fields = self.fields(record, shape)
        except Exception as exc:
            return _repaired(record, exc, self._value_policy)
        return adapter.encode_record(fields, self._value_policy, self._value_options)

    def fields(
        self,
        record: logging.LogRecord,
        shape: Shape | None = None,
        message_dict: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The record dict for *record*: the translation this adapter owns.

        *message_dict* replaces a dict message's fields (a formatter's ``add_fields`` is given
        them separately, as python-json-logger's is).
        """
        message: Any = record.msg
        if type(message) is dict or message_dict:
            if message_dict is None and is_structlog_event(record) and not record.args:
                return _event_dict_fields(record, message, self._reserved, shape)
            shaped = self._shaped(record, message_dict)
            return shaped if shape is None else shape(shaped, record.levelno)
        if not self._plain:
            shaped = self._shaped(record, None)
            return shaped if shape is None else shape(shaped, record.levelno)
        if record.args or type(message) is not str:  # getMessage() only when it has work
            try:
                message = record.getMessage()
            except Exception:
                message = message_of(record)
        attrs = record.__dict__
        ts = _stamp(record.created) or stamp_of(record)
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
            if self._skip_private:
                shaped = self._shaped(record, None)
                return shaped if shape is None else shape(shaped, record.levelno)
            extra = extra_fields(record, self._reserved, scan_all=True)
            fields = _merge(ts, level, record.name, message, ctx, extra)
        elif self._skip_private and len(attrs) > _N_STANDARD:
            for key in islice(attrs, _N_STANDARD, None):
                if type(key) is not str or key[:1] == "_":
                    shaped = self._shaped(record, None)
                    return shaped if shape is None else shape(shaped, record.levelno)
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

    def _shaped(
        self, record: logging.LogRecord, message_dict: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The record with the formatter's or handler's optional fields (slower, general).

        A dict message (not a structlog event) is python-json-logger's "log a dict": its
        entries are fields and the message is ``""``.
        """
        logged: Any = record.msg
        logged_dict = type(logged) is dict
        if message_dict is None and logged_dict:
            message_dict = logged
        message = "" if logged_dict else message_of(record)
        attrs = record.__dict__
        required: dict[str, Any] = {}
        for attr in self._attrs:
            if attr in {"exc_info", "stack_info"}:
                continue  # written below, structured
            required[attr] = attrs.get(attr)
        more: dict[str, Any] = {}
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
        extra = extra_fields(record, self._reserved, scan_all=self._scan_all)
        if self._skip_private:
            extra = {k: v for k, v in extra.items() if not (type(k) is str and k[:1] == "_")}
        fields = _merge(
            stamp_of(record),
            level_of(record),
            record.name,
            message,
            self._defaults,
            required,
            more,
            self._static,
            _ctx_get(),
            message_dict,
            extra,
        )
        if record.exc_info or record.exc_text or record.stack_info:
            _add_problems(
                record,
                fields,
                exc_lines=self._exc_lines,
                stack_lines=self._stack_lines,
                traceback_text=self._traceback_text,
            )
        if "exc_info" in self._attrs:
            fields.setdefault("exception", None)
        if "stack_info" in self._attrs:
            fields.setdefault("stack_info", None)
        task = attrs.get("taskName") if _HAS_TASK_NAME else task_name()
        if task is not None:
            fields["taskName"] = task
        framework = _frameworks_get(record.name)
        if framework is not None:
            framework(record, fields)
        if self._timestamp_key != "timestamp":
            ts = fields.pop("timestamp")
            if self._timestamp_key is not None:
                fields = {self._timestamp_key: ts, **fields}
        rename = self._rename
        if rename:
            fields = {rename.get(k, k): v for k, v in fields.items()}
            if self._keep_missing:
                for key in rename.values():
                    if key not in fields:
                        fields[key] = None
        return fields


def _event_dict_fields(
    record: logging.LogRecord,
    event_dict: dict[str, Any],
    reserved: frozenset[str],
    shape: Shape | None = None,
) -> dict[str, Any]:
    """A structlog event routed into logging (``ProcessorFormatter.wrap_for_formatter``).

    The record carries the same event a structlog adapter would write. The record's own time,
    level and logger name are authoritative: the event's ``timestamp``, ``level`` and
    ``logger`` (added by structlog processors) are dropped.
    """
    event = dict(event_dict)
    message = event.pop("event", None)
    for key in ("timestamp", "level", "logger", "logger_name"):
        event.pop(key, None)
    exc_info = event.pop("exc_info", None)
    fields = {**_ctx_get(), **extra_fields(record, reserved), **event}
    record_fields = _merge(stamp_of(record), level_of(record), record.name, message, fields)
    exception = adapter.exception_info(exc_info) if exc_info else None
    if exception is not None:
        # structlog.stdlib's exception() passes exc_info both in the event and to logging
        # (record.exc_info): one exception, written once.
        adapter.add_exception(record_fields, exception)
    _add_problems(record, record_fields, exception=exception is None)
    return record_fields if shape is None else shape(record_fields, record.levelno)


def _repaired(
    record: logging.LogRecord, error: Exception, policy: Callable[[Any], Any] = value_default
) -> bytes:
    """The line for a record that could not be translated: what is readable, marked."""
    fields = {
        "timestamp": _stamp(time.time()),
        "level": adapter.host_level_name(getattr(record, "levelname", "error")),
        "logger": str(getattr(record, "name", "")),
        "message": getattr(record, "msg", ""),
    }
    return adapter.encode_repaired(fields, error, policy, VALUE_OPTIONS)


def _add_problems(
    record: logging.LogRecord,
    fields: dict[str, Any],
    *,
    exception: bool = True,
    exc_lines: bool = False,
    stack_lines: bool = False,
    traceback_text: Callable[[Any], Any] | None = None,
) -> None:
    """The structured ``exception`` (unless *exception* is false: the caller added it) and
    the ``stack_info`` text, when the record has them."""
    described: dict[str, Any] | None = None
    if exception and record.exc_info and record.exc_info[1] is not None:
        described = adapter.describe_exception(record.exc_info[1])
        if traceback_text is not None:
            described["traceback"] = traceback_text(record.exc_info)
    elif exception and record.exc_text:
        described = {"type": "", "message": "", "traceback": record.exc_text}
    if described is not None:
        if exc_lines and isinstance(described["traceback"], str):
            described["traceback"] = described["traceback"].splitlines()
        adapter.add_exception(fields, described)
    if record.stack_info:
        if "stack_info" in fields:
            fields[adapter.RENAME_PREFIX + "stack_info"] = fields.pop("stack_info")
        stack: Any = record.stack_info
        fields["stack_info"] = stack.splitlines() if stack_lines else stack
