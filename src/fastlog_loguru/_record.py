"""loguru's record dict → the core's schema (loguru's own layout is ``_serialize``).

The mapping is the only thing this adapter owns; encoding, buffering and writing are the core's.
``FastlogSink.write`` inlines the common case of ``DefaultEncoder`` (see there for why); every
other case goes through the encoder object here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from fastlog_core import adapter

_ctx_get = adapter.context_fields
_merge = adapter.merge
_utc_naive = adapter.utc_naive
_datetime = datetime.datetime
_naive_copy = adapter.naive_copy

#: loguru level name → the ``level`` written (lower case, custom levels too).
LEVELS: dict[str, str] = {}


def level_name(name: str) -> str:
    """The lower-case level name, cached: loguru levels are few, records are many. A number
    loguru has no name for (``logger.log(17, ...)``: ``"Level 17"``) is ``level-17``, as every
    adapter writes it."""
    lowered = LEVELS.get(name)
    if lowered is None:
        lowered = adapter.host_level_name(name)
        if len(LEVELS) < 1024:  # ``logger.log(17, ...)`` names a level per number: stay bounded
            LEVELS[name] = lowered
    return lowered


def utc(moment: Any) -> _datetime | str:
    """The schema's ``timestamp`` for loguru's ``record["time"]``: naive UTC, as the core writes.

    loguru's time is an aware ``datetime`` subclass in local time, which orjson refuses (it
    serializes exact ``datetime`` only). The common case is ``fastlog_core.adapter.utc_naive``
    (C when built: 45 ns, against ~220 ns for the best Python). The rest is here: a whole second
    (written as a string, so the fraction stays), another ``tzinfo`` class, a naive time (a
    patcher may set one: local time, as ``datetime.timestamp()`` reads it), a number (a POSIX
    time); anything else raises ``TypeError``.
    """
    ts = _utc_naive(moment)
    if ts is not None:
        return ts
    if isinstance(moment, _datetime):
        tz = moment.tzinfo
        if tz is not None:
            offset = tz.utcoffset(moment)
            if offset is not None:
                ts = _naive_copy(moment)
                if offset:
                    ts -= offset
                if ts.microsecond:
                    return ts
                return ts.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        return adapter.timestamp_from(moment.timestamp())
    if isinstance(moment, (int, float)) and not isinstance(moment, bool):
        return adapter.timestamp_from(float(moment))
    # A patcher's doing. The caller's fallback writes the current time and marks the line.
    raise TypeError(f"record['time'] is {type(moment).__name__}, expected a datetime")


def exception_of(exception: Any) -> dict[str, Any] | None:
    """The structured ``exception`` for loguru's ``RecordException(type, value, traceback)``.

    ``logger.exception()`` outside an ``except`` block records ``(None, None, None)``: there is
    no exception, so none is written (loguru's text says ``NoneType: None``).
    """
    try:
        value = exception[1]
        if isinstance(value, BaseException):
            return adapter.describe_exception(value)
        kind = exception[0]
        if kind is None:
            return None
        name = getattr(kind, "__qualname__", None) or repr(kind)
        module = getattr(kind, "__module__", "builtins")
        if module != "builtins":
            name = f"{module}.{name}"
        return {"type": name, "message": "" if value is None else str(value), "traceback": ""}
    except Exception:  # a type whose name cannot be read, a value whose __str__ raises
        return {"type": "unknown", "message": "", "traceback": ""}


def fallback_line(record: Any, error: Exception) -> bytes:
    """The line for a record that could not be translated (a patcher left a value of the wrong
    type in it): the schema rebuilt from whatever can be read, repaired, marked, counted.
    (A record orjson rejects is repaired by the core's encoder, ``Appender.emit``.)
    """
    fields = _merge(
        _safe(lambda: utc(record["time"]), None) or adapter.timestamp(),
        _safe(lambda: level_name(record["level"].name), "error"),
        _safe(lambda: record["name"], None),
        _safe(lambda: record["message"], None),
        _ctx_get(),
        _safe(lambda: dict(record["extra"]), None),
    )
    exception = _safe(lambda: record["exception"], None)
    if exception is not None:
        info = exception_of(exception)
        if info is not None:
            adapter.add_exception(fields, info)
    return adapter.encode_repaired(fields, error, VALUE_DEFAULT, VALUE_OPTIONS)


def _safe(read: Callable[[], Any], default: Any) -> Any:
    try:
        return read()
    except Exception:
        return default


class DefaultEncoder:
    """The core's schema, with the optional fields asked for.

    Args:
        location: add ``file`` (the path), ``line`` and ``function`` of the logging call.
        process: add ``process`` (pid) and ``process_name``.
        thread: add ``thread`` (ident) and ``thread_name``.
    """

    __slots__ = ("_location", "_process", "_thread")

    def __init__(self, *, location: bool = False, process: bool = False, thread: bool = False):
        self._location = location
        self._process = process
        self._thread = thread

    def fields(
        self,
        message: Any,
        record: Mapping[str, Any],
        shape: Callable[[dict[str, Any], int], dict[str, Any]] | None = None,
        levelno: int = 0,
    ) -> dict[str, Any]:
        """The record dict for *record* (may raise: the sink then writes ``fallback_line``).

        *shape* (``Pipeline.shape``) turns the dict into the pipeline's schema.
        """
        ts = utc(record["time"])
        more: dict[str, Any] = {}
        if self._location:
            more["file"] = record["file"].path
            more["line"] = record["line"]
            more["function"] = record["function"]
        if self._process:
            process = record["process"]
            more["process"] = process.id
            more["process_name"] = process.name
        if self._thread:
            thread = record["thread"]
            more["thread"] = thread.id
            more["thread_name"] = thread.name
        fields = _merge(
            ts,
            level_name(record["level"].name),
            record["name"],
            record["message"],
            more,
            _ctx_get(),
            record["extra"],
        )
        exception = record["exception"]
        if exception is not None:
            info = exception_of(exception)
            if info is not None:
                adapter.add_exception(fields, info)
        return fields if shape is None else shape(fields, levelno)


# loguru's value policy, ``json.dumps(..., default=str)``, for the default schema too: a value
# orjson cannot write (a set, bytes, a Decimal, any other object) becomes its ``str()``, as loguru
# writes it, rather than the core's ``repr()``; a dataclass as well (json has no form for it).
# The rest of the options are the core's (``fastlog_core._encoders.json.OPTIONS``: ``Z`` for
# UTC, naive datetimes as UTC, the newline), which the record's ``timestamp`` relies on.
VALUE_DEFAULT = str
VALUE_OPTIONS = (
    orjson.OPT_UTC_Z
    | orjson.OPT_NAIVE_UTC
    | orjson.OPT_APPEND_NEWLINE
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
