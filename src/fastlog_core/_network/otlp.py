"""OTLP/HTTP: fastlog's records as OpenTelemetry log records, POSTed to a collector.

``OTLPSink`` turns each batch of JSON lines into one ``ExportLogsServiceRequest`` (binary
protobuf or OTLP/JSON) and POSTs it to ``<endpoint>/v1/logs``. The protobuf is written by a
small encoder of its own (``_protobuf``): the protobuf runtime is not needed, and the sender
thread encodes a batch in one pass.

How a line becomes a ``LogRecord`` (the default schema; ``schema="otel"`` lines are read too):

- ``timestamp`` -> ``time_unix_nano``; the time the sink encoded the batch ->
  ``observed_time_unix_nano``.
- ``level`` -> ``severity_text`` (upper case, as the OpenTelemetry SDK's ``LoggingHandler``
  writes Python's level names) and ``severity_number`` (the data model's ranges, as
  ``schema="otel"`` maps them: trace 1, debug 5, info 9, success 10, warning 13, error 17,
  critical 21; ``level-<n>`` by its number).
- ``logger`` -> the ``InstrumentationScope``'s name: one ``ScopeLogs`` per logger in a batch,
  records in their order.
- ``message`` -> ``body`` (a string ``AnyValue``).
- ``trace_id``/``span_id`` (hex, 32 and 16 digits) and ``trace_flags`` (a number or two hex
  digits), when a record has them, -> ``trace_id``/``span_id`` (bytes) and ``flags``.
- ``file``/``line``/``function``, ``process``, ``thread``/``thread_name`` and ``exception``
  -> the semantic conventions' ``code.*``, ``process.pid``, ``thread.*`` and ``exception.type``,
  ``exception.message``, ``exception.stacktrace`` attributes, as ``schema="otel"`` names them.
- every other field -> an attribute: strings, booleans, floats, integers (``int64``; one
  outside that range, which only a ``uint64`` above 2**63 - 1 can be in a line, as its decimal
  string), ``null`` as an empty ``AnyValue``, objects as ``kvlist_value``, arrays as
  ``array_value``.

A line that is not a JSON object (a sink given another encoder) becomes a record whose body
is the line's text.
"""

from __future__ import annotations

import datetime
import math
import os
import struct
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import orjson

from .. import _diagnostics
from .._levels import levelno_of
from .._schemas.otel import otel_severity
from ..exceptions import ConfigError
from ._protobuf import INT64_MAX, INT64_MIN, LENGTHS, fields, varint
from .delivery import NetworkSink, Rejected, paced
from .transport import HttpClient, Response, redact, tls_context

__all__ = ["JsonEncoder", "OTLPSink", "ProtobufEncoder", "severity"]

_pack_q: Final = struct.Struct("<Q").pack
_pack_d: Final = struct.Struct("<d").pack
_pack_i: Final = struct.Struct("<I").pack
_loads: Final = orjson.loads
_EPOCH: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_NLEN: Final = len(LENGTHS)
_CACHE_MAX: Final = 4096

# ---------------------------------------------------------------------------------------------
# Reading a line


def severity(level: Any) -> tuple[int, str]:
    """``(severity_number, severity_text)`` for a line's ``level`` (``"info"``, ``"level-15"``,
    a custom name); a name fastlog cannot read gets number 0 (unspecified) and keeps its text.
    """
    if not isinstance(level, str):
        return 0, "" if level is None else str(level)
    levelno = levelno_of(level)
    if levelno is None:
        return 0, level.upper()
    return otel_severity(levelno)[1], level.upper()


def _hex_id(value: Any, digits: int) -> bytes | None:
    """A trace or span id's bytes from its hex text; ``None`` when it is not one."""
    if type(value) is str and len(value) == digits:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            return None
        return raw if any(raw) else None  # all zeros: the data model's "no id"
    return None


def _flags(value: Any) -> int:
    """``trace_flags`` as a number: an int, or hex text (``"01"``, as ``schema="otel"``)."""
    if type(value) is int:
        return value & 0xFF
    if type(value) is str:
        try:
            return int(value, 16) & 0xFF
        except ValueError:
            return 0
    if value is True:
        return 1
    return 0


class _Clock:
    """RFC 3339 text -> nanoseconds since the epoch, fast for fastlog's own form
    (``2026-11-27T00:41:22.257774Z``): the seconds are converted once per distinct second
    (``prefix``, the text up to the seconds; ``base``, its nanoseconds)."""

    __slots__ = ("base", "prefix")

    def __init__(self) -> None:
        self.prefix = ""
        self.base = 0

    def nanos(self, ts: Any) -> int | None:
        """*ts* in nanoseconds; ``None`` if it is no time, or before 1970."""
        if type(ts) is str and len(ts) == 27 and ts[26] == "Z" and ts[19] == ".":
            fraction = ts[20:26]
            prefix = ts[:19]
            if prefix != self.prefix and fraction.isdigit():
                base = _parse_time(prefix)
                if base is None:
                    return None
                self.prefix = prefix
                self.base = base
            if prefix == self.prefix and fraction.isdigit():
                return self.base + int(fraction) * 1000
        return _parse_time(ts)


def _parse_time(ts: Any) -> int | None:
    """Any other timestamp: ISO 8601 text (naive = UTC), or POSIX seconds as a number."""
    if isinstance(ts, str):
        try:
            moment = datetime.datetime.fromisoformat(ts)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        delta = moment - _EPOCH
        nanos = (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
        return nanos if 0 <= nanos < 2**64 else None
    if type(ts) is int or type(ts) is float:
        return int(ts * 1_000_000_000) if 0 <= ts < 2**64 / 1e9 else None
    return None


#: A record taken apart for the encoders: ``(scope, time, severity, body, head, attributes,
#: trace, span, flags)``. *severity* is the line's level text, or for a ``schema="otel"`` line a
#: ``(number, text)`` pair; *head* the semantic-convention attributes, written first;
#: *attributes* the other fields, in the line's order; *time* ``None`` when unknown.
Parts = tuple[
    str,
    int | None,
    Any,
    Any,
    list[tuple[str, Any]],
    Mapping[str, Any],
    bytes | None,
    bytes | None,
    int,
]

_NOTHING: Final[Mapping[str, Any]] = {}


def take_apart(line: bytes, clock: _Clock) -> Parts:
    """A line's record, for either encoder (see the module's docstring for the mapping)."""
    try:
        rec = _loads(line)
    except orjson.JSONDecodeError:
        rec = None
    return parts_of(rec, line, clock)


def parts_of(rec: Any, line: bytes, clock: _Clock) -> Parts:
    """``take_apart`` after the line was parsed into *rec*."""
    if type(rec) is not dict:
        return ("", None, None, line.decode("utf-8", "replace"), [], _NOTHING, None, None, 0)
    pop = rec.pop
    ts = pop("timestamp", None)
    if ts is None and "Timestamp" in rec:
        return _otel_parts(rec)
    head: list[tuple[str, Any]] = []
    time = clock.nanos(ts)
    if time is None and ts is not None:
        head.append(("timestamp", ts))
    level = pop("level", None)
    scope = pop("logger", None)
    if type(scope) is not str:
        scope = "" if scope is None else str(scope)
    body = pop("message", None)
    trace = span = None
    flags = 0
    if "trace_id" in rec:
        trace = _hex_id(rec["trace_id"], 32)
        span = _hex_id(rec.get("span_id"), 16)
        if trace is not None and span is not None:
            del rec["trace_id"], rec["span_id"]
            flags = _flags(pop("trace_flags", 0))
        else:
            trace = span = None
    # The default schema's optional groups, each placed only when whole (as schema="otel").
    if "function" in rec and "line" in rec and "file" in rec:
        head.append(("code.file.path", pop("file")))
        head.append(("code.line.number", pop("line")))
        head.append(("code.function.name", pop("function")))
    if "process" in rec and "process_name" in rec:
        head.append(("process.pid", pop("process")))  # process_name has no convention: kept
    if "thread_name" in rec and "thread" in rec:
        head.append(("thread.id", pop("thread")))
        head.append(("thread.name", pop("thread_name")))
    exc = rec.get("exception")
    if type(exc) is dict and "traceback" in exc:
        del rec["exception"]
        head.append(("exception.type", exc.get("type")))
        head.append(("exception.message", exc.get("message")))
        head.append(("exception.stacktrace", exc.get("traceback")))
    return (scope, time, level, body, head, rec, trace, span, flags)


def _otel_parts(rec: dict[str, Any]) -> Parts:
    """A ``schema="otel"`` line: its fields are the data model's already."""
    pop = rec.pop
    ts = pop("Timestamp")
    head: list[tuple[str, Any]] = []
    time: int | None = None
    if type(ts) is int or (type(ts) is str and ts.isdigit()):
        time = int(ts)
    if time is None or time >= 2**64:
        time = None
        head.append(("Timestamp", ts))
    text = pop("SeverityText", None)
    number = pop("SeverityNumber", None)
    level = (
        number if type(number) is int and 0 <= number <= 24 else 0,
        text if type(text) is str else "" if text is None else str(text),
    )
    body = pop("Body", None)
    scope = pop("InstrumentationScope", None)
    name = scope.get("Name") if type(scope) is dict else None
    trace = _hex_id(rec.get("TraceId"), 32)
    span = _hex_id(rec.get("SpanId"), 16)
    flags = 0
    if trace is not None and span is not None:
        del rec["TraceId"], rec["SpanId"]
        flags = _flags(pop("TraceFlags", 0))
    else:
        trace = span = None
    attributes = pop("Attributes", None)
    if type(attributes) is dict:
        attributes.update(rec)  # anything else on the line (fastlog's otel schema has nothing)
    else:
        if attributes is not None:
            rec["Attributes"] = attributes
        attributes = rec
    return (
        name if type(name) is str else "",
        time,
        level,
        body,
        head,
        attributes,
        trace,
        span,
        flags,
    )


# ---------------------------------------------------------------------------------------------
# Protobuf


def _length(n: int) -> bytes:
    return LENGTHS[n] if n < _NLEN else varint(n)


def _text(value: str) -> bytes:
    try:
        return value.encode()
    except UnicodeEncodeError:  # a lone surrogate (not from a line: orjson rejects those)
        return value.encode("utf-8", "replace")


#: Attribute keys already seen: each one's KeyValue field 1 and its length.
_Keys = dict[Any, tuple[bytes, int]]


def any_value(value: Any, keys: _Keys) -> bytes:
    """An ``AnyValue`` message's bytes for a JSON-like value (see the module's docstring)."""
    t = type(value)
    if t is str:
        data = _text(value)
        n = len(data)
        return b"\x0a" + (LENGTHS[n] if n < _NLEN else varint(n)) + data
    if t is int:
        if INT64_MIN <= value <= INT64_MAX:
            return b"\x18" + varint(value)
        data = str(value).encode()
        return b"\x0a" + _length(len(data)) + data
    if t is float:
        return b"\x21" + _pack_d(value)
    if t is bool:
        return b"\x10\x01" if value else b"\x10\x00"
    if value is None:
        return b""
    if t is dict:
        data = b"".join([_key_value(k, v, keys, b"\x0a") for k, v in value.items()])
        return b"\x32" + _length(len(data)) + data
    if t is list or t is tuple:
        items = [any_value(v, keys) for v in value]
        data = b"".join([b"\x0a" + _length(len(item)) + item for item in items])
        return b"\x2a" + _length(len(data)) + data
    if isinstance(value, bool | int | float | str | dict | list | tuple):  # subclasses
        return any_value(_plain(value), keys)
    return any_value(str(value), keys)


def _plain(value: Any) -> Any:
    """A subclass of a JSON type (an ``IntEnum``, a ``defaultdict``) as that type."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return dict(value)
    return list(value)


#: Precomputed pieces of the inline paths: for a string of n < 126 bytes, a body's length and
#: AnyValue tag and length; a KeyValue's value tag, length, AnyValue tag and length; for an
#: int's varint of n bytes, the same up to the AnyValue tag.
_SMALL_STRING: Final = tuple(bytes((n + 2, 0x0A, n)) for n in range(126))
_STRING: Final = tuple(bytes((0x12, n + 2, 0x0A, n)) for n in range(126))
_INT: Final = tuple(bytes((0x12, n + 1, 0x18)) for n in range(11))
_TRUE: Final = b"\x12\x02\x10\x01"
_FALSE: Final = b"\x12\x02\x10\x00"


def _key_prefix(key: Any, keys: _Keys) -> tuple[bytes, int]:
    """A KeyValue's field 1 for *key* and its length, kept in *keys* when shorter than 1 KiB
    (the inline paths' one- or two-byte lengths rely on it); *keys* is cleared when it grows
    past a bound."""
    data = _text(key if type(key) is str else str(key))
    prefix = b"\x0a" + _length(len(data)) + data if data else b""  # "": proto3's default
    entry = (prefix, len(prefix))
    if entry[1] < 1024:
        if len(keys) >= _CACHE_MAX:
            keys.clear()
        keys[key] = entry
    return entry


def _key_value(key: Any, value: Any, keys: _Keys, tag: bytes) -> bytes:
    """A ``KeyValue`` as a field with *tag* (``b"\\x32"``: a LogRecord's attribute;
    ``b"\\x0a"``: a KeyValueList's or a Resource's entry)."""
    entry = keys.get(key)
    prefix = (entry if entry is not None else _key_prefix(key, keys))[0]
    t = type(value)
    if t is str:  # the common case, inline
        data = _text(value)
        n = len(data)
        inner = b"\x0a" + (LENGTHS[n] if n < _NLEN else varint(n)) + data
    else:
        inner = any_value(value, keys)
    n = len(inner)
    kv = prefix + b"\x12" + (LENGTHS[n] if n < _NLEN else varint(n)) + inner
    n = len(kv)
    return tag + (LENGTHS[n] if n < _NLEN else varint(n)) + kv


def key_values(attributes: Mapping[str, Any]) -> bytes:
    """A ``Resource``'s (or a ``KeyValueList``'s) repeated field 1 for *attributes*."""
    keys: _Keys = {}
    return b"".join([_key_value(k, v, keys, b"\x0a") for k, v in attributes.items()])


class ProtobufEncoder:
    """Batches of lines -> ``ExportLogsServiceRequest`` bytes, for one resource."""

    content_type: Final = "application/x-protobuf"

    def __init__(self, resource: Mapping[str, Any]) -> None:
        attributes = key_values(resource)
        self._resource = b"\x0a" + varint(len(attributes)) + attributes
        self._keys: _Keys = {}
        self._levels: dict[Any, bytes] = {}
        self._scopes: dict[str, bytes] = {}
        self._clock = _Clock()

    def _severity(self, level: Any) -> bytes:
        """Fields 2 and 3 of a LogRecord for a level text (or an otel line's pair)."""
        if type(level) is tuple:
            number, text = level
        else:
            number, text = severity(level)
        data = _text(text)
        out = (b"\x10" + varint(number) if number else b"") + (
            b"\x1a" + _length(len(data)) + data if data else b""
        )
        if len(self._levels) >= 256:
            self._levels.clear()
        self._levels[level] = out
        return out

    def _scope(self, name: str) -> bytes:
        """A ScopeLogs' field 1 (its InstrumentationScope) for a logger name."""
        data = _text(name)
        scope = b"\x0a" + _length(len(data)) + data if data else b""
        out = b"\x0a" + _length(len(scope)) + scope
        if len(self._scopes) >= _CACHE_MAX:
            self._scopes.clear()
        self._scopes[name] = out
        return out

    def encode(
        self, lines: list[bytes], observed: int, pause: Callable[[], None] | None = None
    ) -> bytes:
        """One request holding every line of *lines*, in order within each logger's scope.

        *observed* is the ``observed_time_unix_nano`` of every record (nanoseconds); *pause*
        is called between slices of the lines (``NetworkSink._pause``).

        One loop, written for speed: a default-schema line without trace ids, location,
        process, thread or exception (most lines) is taken apart inline, any other by
        ``parts_of``; then the common attribute values are written inline as pieces (tags and
        one- or two-byte lengths precomputed) joined once per record. A record the inline
        paths cannot write goes through ``_careful``.
        """
        observed_field = b"\x59" + _pack_q(observed)
        by_scope: dict[str, list[bytes]] = {}
        clock = self._clock
        levels = self._levels
        keys = self._keys
        key_of = keys.get
        lengths = LENGTHS
        second, base = clock.prefix, clock.base  # the last second seen, in locals
        for line in paced(lines, pause):
            try:
                rec = _loads(line)
            except orjson.JSONDecodeError:
                rec = None
            try:
                out: list[bytes] = []
                append = out.append
                extend = out.extend
                trace = None
                if (
                    type(rec) is dict
                    and "timestamp" in rec
                    and "trace_id" not in rec
                    and "function" not in rec
                    and "process" not in rec
                    and "thread_name" not in rec
                    and "exception" not in rec
                ):
                    pop = rec.pop
                    ts = pop("timestamp")
                    kept = False
                    if (
                        type(ts) is str
                        and ts[:19] == second
                        and len(ts) == 27
                        and ts[19] == "."
                        and ts[26] == "Z"
                        and ts[20:26].isdigit()
                    ):
                        append(b"\x09" + _pack_q(base + int(ts[20:26]) * 1000))
                    else:
                        time = clock.nanos(ts)
                        second, base = clock.prefix, clock.base
                        if time is None:
                            kept = True  # no time: kept as an attribute
                        else:
                            append(b"\x09" + _pack_q(time))
                    level = pop("level", None)
                    scope = pop("logger", None)
                    if type(scope) is not str:
                        scope = "" if scope is None else str(scope)
                    body = pop("message", None)
                    items: Iterable[tuple[Any, Any]] = rec.items()
                    if kept:
                        items = [("timestamp", ts), *items]
                else:
                    parts = parts_of(rec, line, clock)
                    scope, time, level, body, head, attributes, trace, span, flags = parts
                    if time is not None:
                        append(b"\x09" + _pack_q(time))
                    items = [*head, *attributes.items()] if head else attributes.items()
                if level is not None:
                    sev = levels.get(level)
                    append(sev if sev is not None else self._severity(level))
                if body is not None:
                    if type(body) is str:
                        data = body.encode()
                        n = len(data)
                        if n < 126:
                            extend((b"\x2a", _SMALL_STRING[n], data))
                        else:
                            value = b"\x0a" + _length(n) + data
                            extend((b"\x2a", _length(len(value)), value))
                    else:
                        value = any_value(body, keys)
                        extend((b"\x2a", _length(len(value)), value))
                for key, item in items:
                    entry = key_of(key)
                    if entry is None:
                        entry = _key_prefix(key, keys)
                        if entry[1] >= 1024:  # not cached: the lengths below need < 2048
                            append(_key_value(key, item, keys, b"\x32"))
                            continue
                    prefix, size = entry
                    t = type(item)
                    if t is str:
                        data = item.encode()
                        n = len(data)
                        if n < 126:
                            extend((b"\x32", lengths[size + 4 + n], prefix, _STRING[n], data))
                            continue
                    elif t is int:
                        if 0 <= item < _NLEN:
                            data = lengths[item]
                            n = len(data)
                            extend((b"\x32", lengths[size + 3 + n], prefix, _INT[n], data))
                            continue
                        if INT64_MIN <= item <= INT64_MAX:
                            data = varint(item)
                            n = len(data)
                            extend((b"\x32", lengths[size + 3 + n], prefix, _INT[n], data))
                            continue
                    elif t is float:
                        extend(
                            (b"\x32", lengths[size + 11], prefix, b"\x12\x09\x21", _pack_d(item))
                        )
                        continue
                    elif t is bool:
                        extend((b"\x32", lengths[size + 4], prefix, _TRUE if item else _FALSE))
                        continue
                    append(_key_value(key, item, keys, b"\x32"))
                if trace is not None and span is not None:
                    if flags:
                        append(b"\x45" + _pack_i(flags))
                    extend((b"\x4a\x10", trace, b"\x52\x08", span))
                append(observed_field)
                record = b"".join(out)
            except Exception:  # a value the inline paths mis-took: the careful path
                parts = take_apart(line, clock)
                scope = parts[0]
                record = self._careful(parts, observed_field)
            n = len(record)
            field = b"\x12" + (lengths[n] if n < _NLEN else varint(n)) + record
            group = by_scope.get(scope)
            if group is None:
                by_scope[scope] = [field]
            else:
                group.append(field)
        scope_logs = [self._resource]
        for name, records in by_scope.items():
            head_field = self._scopes.get(name)
            if head_field is None:
                head_field = self._scope(name)
            records.insert(0, head_field)
            joined = b"".join(records)
            scope_logs.append(b"\x12" + varint(len(joined)) + joined)
        resource_logs = b"".join(scope_logs)
        return b"\x0a" + varint(len(resource_logs)) + resource_logs

    def _careful(self, parts: Parts, observed_field: bytes) -> bytes:
        """A LogRecord without the inline paths: every value through ``any_value``."""
        _, time, level, body, head, attributes, trace, span, flags = parts
        out: list[bytes] = []
        if time is not None:
            out.append(b"\x09" + _pack_q(time))
        if level is not None:
            out.append(self._severity(level))
        if body is not None:
            value = any_value(body, self._keys)
            out.append(b"\x2a" + _length(len(value)) + value)
        for key, item in head:
            out.append(_key_value(key, item, self._keys, b"\x32"))
        for key, item in attributes.items():
            out.append(_key_value(key, item, self._keys, b"\x32"))
        if trace is not None and span is not None:
            if flags:
                out.append(b"\x45" + _pack_i(flags))
            out.append(b"\x4a\x10" + trace + b"\x52\x08" + span)
        out.append(observed_field)
        return b"".join(out)


# ---------------------------------------------------------------------------------------------
# OTLP/JSON: the proto3 JSON mapping with OTLP's deviations (ids as hex, enums as numbers),
# 64-bit integers as decimal strings, default values left out.


def any_json(value: Any) -> dict[str, Any]:
    """An ``AnyValue`` in OTLP/JSON for a JSON-like value (the protobuf encoder's mapping)."""
    t = type(value)
    if t is str:
        return {"stringValue": value}
    if t is int:
        if INT64_MIN <= value <= INT64_MAX:
            return {"intValue": str(value)}
        return {"stringValue": str(value)}
    if t is float:
        if math.isnan(value):
            return {"doubleValue": "NaN"}
        if math.isinf(value):
            return {"doubleValue": "Infinity" if value > 0 else "-Infinity"}
        return {"doubleValue": value}
    if t is bool:
        return {"boolValue": value}
    if value is None:
        return {}
    if t is dict:
        return {"kvlistValue": {"values": [_kv_json(k, v) for k, v in value.items()]}}
    if t is list or t is tuple:
        return {"arrayValue": {"values": [any_json(v) for v in value]}}
    if isinstance(value, bool | int | float | str | dict | list | tuple):
        return any_json(_plain(value))
    return {"stringValue": str(value)}


def _kv_json(key: Any, value: Any) -> dict[str, Any]:
    return {"key": key if type(key) is str else str(key), "value": any_json(value)}


class JsonEncoder:
    """Batches of lines -> an ``ExportLogsServiceRequest`` in OTLP/JSON, for one resource."""

    content_type: Final = "application/json"

    def __init__(self, resource: Mapping[str, Any]) -> None:
        self._resource = {"attributes": [_kv_json(k, v) for k, v in resource.items()]}
        self._clock = _Clock()

    def encode(
        self, lines: list[bytes], observed: int, pause: Callable[[], None] | None = None
    ) -> bytes:
        """One request holding every line of *lines* (see ``ProtobufEncoder.encode``)."""
        observed_text = str(observed)
        by_scope: dict[str, list[dict[str, Any]]] = {}
        for line in paced(lines, pause):
            scope, time, level, body, head, attributes, trace, span, flags = take_apart(
                line, self._clock
            )
            record: dict[str, Any] = {}
            if time is not None:
                record["timeUnixNano"] = str(time)
            record["observedTimeUnixNano"] = observed_text
            if level is not None:
                number, text = level if type(level) is tuple else severity(level)
                if number:
                    record["severityNumber"] = number
                if text:
                    record["severityText"] = text
            if body is not None:
                record["body"] = any_json(body)
            kvs = [_kv_json(k, v) for k, v in head]
            kvs += [_kv_json(k, v) for k, v in attributes.items()]
            if kvs:
                record["attributes"] = kvs
            if trace is not None and span is not None:
                if flags:
                    record["flags"] = flags
                record["traceId"] = trace.hex()
                record["spanId"] = span.hex()
            by_scope.setdefault(scope, []).append(record)
        scope_logs = [
            {"scope": {"name": name} if name else {}, "logRecords": records}
            for name, records in by_scope.items()
        ]
        request = {"resourceLogs": [{"resource": self._resource, "scopeLogs": scope_logs}]}
        return orjson.dumps(request)


# ---------------------------------------------------------------------------------------------
# Configuration: arguments, then the OTEL_* environment variables, then the defaults.

#: The OTLP spec's retryable statuses (every other 4xx and 5xx "MUST NOT be retried").
RETRYABLE: Final = frozenset({429, 502, 503, 504})

_ENCODINGS: Final = ("protobuf", "json")
_PROTOCOLS: Final = {"http/protobuf": "protobuf", "http/json": "json"}


def _env(name: str, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """``OTEL_EXPORTER_OTLP_LOGS_<name>``, else ``OTEL_EXPORTER_OTLP_<name>``: ``(variable,
    value)`` of the first one set and not empty."""
    for variable in (f"OTEL_EXPORTER_OTLP_LOGS_{name}", f"OTEL_EXPORTER_OTLP_{name}"):
        value = environ.get(variable, "").strip()
        if value:
            return variable, value
    return None


def parse_pairs(text: str, what: str) -> dict[str, str]:
    """``k=v,k2=v2`` (W3C-baggage-like, as ``OTEL_RESOURCE_ATTRIBUTES`` and
    ``OTEL_EXPORTER_OTLP_HEADERS`` write them): names and values trimmed and percent-decoded.
    A member without ``=`` or with an empty name is skipped and reported, as the SDK does."""
    pairs: dict[str, str] = {}
    for member in text.split(","):
        if not member.strip():
            continue
        name, sep, value = member.partition("=")
        name = urllib.parse.unquote(name.strip())
        if not sep or not name:
            reason = f"{what}: ignored {member.strip()!r} (expected key=value)"
            _diagnostics.report("config", reason)
            continue
        pairs[name] = urllib.parse.unquote(value.strip())
    return pairs


def endpoint_url(endpoint: str | None, environ: Mapping[str, str]) -> str:
    """Where to POST. An explicit *endpoint* or ``OTEL_EXPORTER_OTLP_ENDPOINT`` is the
    collector's base URL: ``/v1/logs`` is appended to its path (unless the path already ends
    with it). ``OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`` is used as it is, as the spec says."""
    if endpoint is not None:
        option, url, append = "endpoint", endpoint, True
    elif environ.get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "").strip():
        option, url, append = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "", False
        url = environ["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"].strip()
    elif environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        option, url, append = "OTEL_EXPORTER_OTLP_ENDPOINT", "", True
        url = environ["OTEL_EXPORTER_OTLP_ENDPOINT"].strip()
    else:
        return "http://localhost:4318/v1/logs"
    if not isinstance(url, str):
        raise ConfigError(f"{option}={url!r}: expected a URL such as 'http://collector:4318'")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{option}={redact(url)!r}: expected an http:// or https:// URL such as "
            "'http://collector:4318' (OTLP/HTTP; gRPC is not supported)"
        )
    if append and not parts.path.rstrip("/").endswith("/v1/logs"):
        parts = parts._replace(path=parts.path.rstrip("/") + "/v1/logs")
    return urllib.parse.urlunsplit(parts)


def _encoding(encoding: str | None, environ: Mapping[str, str]) -> str:
    if encoding is not None:
        if encoding not in _ENCODINGS:
            raise ConfigError(f"encoding={encoding!r}: expected 'protobuf' or 'json'")
        return encoding
    found = _env("PROTOCOL", environ)
    if found is None:
        return "protobuf"
    variable, value = found
    if value in _PROTOCOLS:
        return _PROTOCOLS[value]
    raise ConfigError(
        f"{variable}={value!r}: expected 'http/protobuf' or 'http/json'"
        + (" (fastlog speaks OTLP over HTTP only, not gRPC)" if value == "grpc" else "")
    )


def _compression(compression: str | None, environ: Mapping[str, str]) -> bool:
    option, value = "compression", compression
    if value is None:
        found = _env("COMPRESSION", environ)
        if found is None:
            return False
        option, value = found
    if value in ("gzip", "none"):
        return value == "gzip"
    raise ConfigError(f"{option}={value!r}: expected 'gzip' or 'none'")


def _timeout(timeout: float | None, environ: Mapping[str, str]) -> float:
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError(f"timeout={timeout!r}: expected a number of seconds > 0")
        return float(timeout)
    found = _env("TIMEOUT", environ)
    if found is None:
        return 10.0
    variable, value = found
    try:
        millis = float(value)
    except ValueError:
        millis = -1.0
    if not 0 < millis < float("inf"):
        raise ConfigError(f"{variable}={value!r}: expected a number of milliseconds > 0")
    return millis / 1000


def _file(value: str | None, env: str, environ: Mapping[str, str]) -> str | None:
    if value is not None:
        return os.fspath(value)
    found = _env(env, environ)
    return None if found is None else found[1]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fastlog-py")
    except PackageNotFoundError:
        return "unknown"


def resource_attributes(
    resource: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> dict[str, Any]:
    """The resource's attributes, as the OpenTelemetry SDK's ``Resource.create`` merges them:
    ``telemetry.sdk.*``, then ``OTEL_RESOURCE_ATTRIBUTES``, then ``OTEL_SERVICE_NAME`` (over
    the ``service.name`` of the former), then *resource* (over both); ``service.name`` is
    ``unknown_service:<executable>`` when none of them set it, as the spec asks."""
    if resource is not None and (
        not isinstance(resource, Mapping) or not all(isinstance(k, str) for k in resource)
    ):
        raise ConfigError(
            f"resource={resource!r}: expected a dict of attribute names to values, such as "
            "{'service.name': 'billing'}"
        )
    attributes: dict[str, Any] = {
        "telemetry.sdk.language": "python",
        "telemetry.sdk.name": "fastlog",
        "telemetry.sdk.version": _version(),
    }
    text = environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    if text.strip():
        attributes.update(parse_pairs(text, "OTEL_RESOURCE_ATTRIBUTES"))
    service = environ.get("OTEL_SERVICE_NAME", "").strip()
    if service:
        attributes["service.name"] = service
    if resource is not None:
        attributes.update(resource)
    if not attributes.get("service.name"):
        executable = os.path.basename(sys.executable or "")
        attributes["service.name"] = (
            f"unknown_service:{executable}" if executable else "unknown_service"
        )
    return attributes


# ---------------------------------------------------------------------------------------------
# Responses


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return value if type(value) is dict else {}


def partial_success(response: Response) -> tuple[int, str]:
    """``(rejected_log_records, error_message)`` of a 200's ``ExportLogsServiceResponse``,
    ``(0, "")`` when it has none (or it cannot be read: the status said accepted)."""
    body = response.body
    if not body:
        return 0, ""
    if response.headers.get("content-type", "").startswith("application/json"):
        partial = _json_object(body).get("partialSuccess")
        if type(partial) is not dict:
            return 0, ""
        rejected = partial.get("rejectedLogRecords", 0)
        message = partial.get("errorMessage", "")
        try:
            count = int(rejected)
        except (TypeError, ValueError):
            count = 0
        return max(count, 0), message if type(message) is str else str(message)
    count, message = 0, ""
    try:
        for number, value in fields(body):
            if number == 1 and type(value) is bytes:
                for inner, item in fields(value):
                    if inner == 1 and type(item) is int:
                        count = item - (1 << 64) if item >= 1 << 63 else item
                    elif inner == 2 and type(item) is bytes:
                        message = item.decode("utf-8", "replace")
    except ValueError:
        return 0, ""
    return max(count, 0), message


def status_message(response: Response) -> str:
    """The message of an error's ``google.rpc.Status`` body (protobuf or JSON); the body's
    start as text when it is neither (a proxy's HTML page)."""
    kind = response.headers.get("content-type", "")
    if kind.startswith("application/json"):
        message = _json_object(response.body).get("message")
        if type(message) is str and message:
            return message
    elif kind.startswith(("application/x-protobuf", "application/protobuf")):
        try:
            for number, value in fields(response.body):
                if number == 2 and type(value) is bytes:
                    return value.decode("utf-8", "replace")
        except ValueError:
            pass
    return response.text()


# ---------------------------------------------------------------------------------------------
# The sink


class OTLPSink(NetworkSink):
    """Send records to an OpenTelemetry Collector (or any OTLP/HTTP receiver) as OTLP logs.

    Each batch is one ``POST <endpoint>/v1/logs`` carrying an ``ExportLogsServiceRequest``,
    in binary protobuf (``application/x-protobuf``) or OTLP/JSON (``application/json``), with
    one ``ScopeLogs`` per logger. How a line becomes a ``LogRecord`` is in the module's
    docstring (``fastlog_core._network.otlp``); ``docs/sinks.md`` has the table.

    The answer is handled as the OTLP spec says: 200 is delivered, unless its
    ``partial_success`` says some records were rejected (those are counted lost, with the
    collector's message; the others delivered); 429, 502, 503 and 504 are retried, after
    ``Retry-After`` when given; 413 splits the batch; any other status is a refusal, not
    retried, reported with the message of the collector's ``Status``.

    Every option not given here is read from the standard environment variables, the
    signal-specific one first (``OTEL_EXPORTER_OTLP_LOGS_X``, then ``OTEL_EXPORTER_OTLP_X``):
    ``ENDPOINT``, ``HEADERS``, ``TIMEOUT`` (milliseconds), ``COMPRESSION``, ``CERTIFICATE``,
    ``CLIENT_CERTIFICATE``, ``CLIENT_KEY``, ``PROTOCOL``; and ``OTEL_RESOURCE_ATTRIBUTES``,
    ``OTEL_SERVICE_NAME`` for the resource. They are read once, when the sink is made.

    The delivery options, ``batch_records``, ``batch_bytes``, ``batch_wait``, ``queue_bytes``,
    ``spill``, ``spill_max``, ``close_timeout`` and ``retry_max_wait``, are those of every
    network sink: see ``NetworkSink``.

    Args:
        endpoint: The collector's base URL, ``http://collector:4318``: ``/v1/logs`` is
            appended to its path (not when it already ends with it). Default:
            ``OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`` as it is, or ``OTEL_EXPORTER_OTLP_ENDPOINT``
            plus ``/v1/logs``, or ``http://localhost:4318/v1/logs``.
        encoding: ``"protobuf"`` or ``"json"``. Default: from ``..._PROTOCOL``
            (``http/protobuf`` or ``http/json``), else ``"protobuf"``.
        resource: Resource attributes, such as ``{"service.name": "billing"}``; they win over
            ``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_SERVICE_NAME``.
        headers: Sent with every request (``{"Authorization": "Bearer ..."}``); default from
            ``..._HEADERS`` (``k=v,k2=v2``, percent-decoded).
        compression: ``"gzip"`` or ``"none"``; default from ``..._COMPRESSION``, else none.
        timeout: Seconds for one request (connect, send, answer). Default from
            ``..._TIMEOUT`` (milliseconds), else 10.
        ca_file: For https: the CA bundle to verify the collector with (default from
            ``..._CERTIFICATE``, else the system's).
        cert_file: A client certificate (default from ``..._CLIENT_CERTIFICATE``).
        key_file: Its key (default from ``..._CLIENT_KEY``).
        verify: ``False`` turns certificate verification off (tests only).

    Raises:
        ConfigError: An option or environment variable with a bad value, naming it and the
            accepted values (``..._PROTOCOL=grpc`` among them: only OTLP/HTTP is spoken).
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        encoding: str | None = None,
        resource: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        compression: str | None = None,
        timeout: float | None = None,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        verify: bool = True,
        batch_records: int = 2048,
        batch_bytes: int | str = "512 KiB",
        batch_wait: float = 1.0,
        queue_bytes: int | str = "2 MiB",
        spill: str | os.PathLike[str] | None = None,
        spill_max: int | str = "1 GiB",
        close_timeout: float = 5.0,
        retry_max_wait: float = 30.0,
    ) -> None:
        environ = os.environ
        self.url = endpoint_url(endpoint, environ)
        self.encoding = _encoding(encoding, environ)
        seconds = _timeout(timeout, environ)
        gzip = _compression(compression, environ)
        if headers is None:
            found = _env("HEADERS", environ)
            headers = {} if found is None else parse_pairs(found[1], found[0])
        elif not isinstance(headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ConfigError(f"headers={headers!r}: expected a dict of header names to strings")
        self.resource = resource_attributes(resource, environ)
        tls = None
        if self.url.startswith("https:"):
            tls = tls_context(
                verify=verify,
                ca_file=_file(ca_file, "CERTIFICATE", environ),
                cert_file=_file(cert_file, "CLIENT_CERTIFICATE", environ),
                key_file=_file(key_file, "CLIENT_KEY", environ),
            )
        encoder: ProtobufEncoder | JsonEncoder = (
            JsonEncoder(self.resource)
            if self.encoding == "json"
            else ProtobufEncoder(self.resource)
        )
        self._encode = encoder.encode
        self._content_type = encoder.content_type
        self._client = HttpClient(
            self.url,
            timeout=seconds,
            tls=tls,
            headers={"User-Agent": f"fastlog/{_version()} (python OTLP/HTTP)", **headers},
            gzip=gzip,
        )
        super().__init__(
            batch_records=batch_records,
            batch_bytes=batch_bytes,
            batch_wait=batch_wait,
            queue_bytes=queue_bytes,
            spill=spill,
            spill_max=spill_max,
            timeout=seconds,
            close_timeout=close_timeout,
            retry_max_wait=retry_max_wait,
        )

    def _send(self, lines: list[bytes]) -> None:
        body = self._encode(lines, time.time_ns(), self._pause)
        response = self._client.post(body, content_type=self._content_type)
        status = response.status
        if 200 <= status < 300:
            rejected, message = partial_success(response)
            if rejected:
                raise Rejected(
                    f"the collector rejected {rejected} of {len(lines)} records: "
                    + (message or "(no message)"),
                    records=rejected,
                )
            if message:  # a warning with everything accepted
                _diagnostics.report("network", f"{self!r}: the collector says: {message}")
            return
        response.check(status_message(response), RETRYABLE)

    def _disconnect(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"OTLPSink({redact(self.url)!r})"
