"""The one JSON encoder every adapter's records go through.

A record becomes one line: ``timestamp``, ``level``, ``logger``, ``message``, then the fields,
serialized once by orjson in the caller's thread. The fast path is a dict literal and one
``orjson.dumps`` call; everything unusual (values orjson rejects, lone surrogates, cycles,
colliding keys, oversized records) takes a slower path here that still yields one valid line and
counts what went wrong, so logging never raises into the caller.
"""

from __future__ import annotations

import datetime
import enum
import functools
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from .. import _diagnostics, _fields

UTC = datetime.UTC
dumps = orjson.dumps

# The timestamp is a *naive* UTC datetime, which orjson writes with a "Z" under OPT_NAIVE_UTC.
# On Python 3.11, datetime.utcnow() costs 61 ns against 161 ns for datetime.now(UTC), and orjson
# writes a naive datetime ~90 ns faster than an aware one (it asks the tzinfo for its offset):
# ~190 ns of a ~1.1 us record (benchmarks/bench_core.py). From 3.12 utcnow() and
# utcfromtimestamp() warn (DeprecationWarning on every call, far slower), so there the aware
# forms are used; the output is the same.
if sys.version_info < (3, 12):
    utcnow: Callable[[], datetime.datetime] = datetime.datetime.utcnow
    from_posix: Callable[[float], datetime.datetime] = datetime.datetime.utcfromtimestamp
else:  # pragma: no cover - exercised on 3.12+
    utcnow = functools.partial(datetime.datetime.now, UTC)
    from_posix = functools.partial(datetime.datetime.fromtimestamp, tz=UTC)

#: orjson options for every line: ``Z`` suffix for UTC, naive datetimes are UTC (so a naive
#: datetime in a field is written as UTC too), newline appended by orjson itself.
OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_APPEND_NEWLINE

#: The schema's own keys, in the order they are written.
RESERVED = ("timestamp", "level", "logger", "message")
_RESERVED_SET = frozenset(RESERVED)

#: A field whose name collides with a schema key is written as ``RENAME_PREFIX + name``.
RENAME_PREFIX = "fields."

#: Written into a record whose content had to be repaired (see ``sanitize``).
ERROR_KEY = "fastlog_error"

#: Written into a truncated record: the size in bytes the record had before truncation.
TRUNCATED_KEY = "fastlog_truncated"

_MAX_DEPTH = 64
_NON_STR_KEYS_LINE = orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1


def timestamp() -> datetime.datetime | str:
    """The current time for the ``timestamp`` field.

    orjson writes an aware datetime as RFC 3339 with microseconds, except that it leaves the
    fraction out when it is zero; that one-in-a-million case gets an explicit string so every
    line has the same shape.
    """
    ts = utcnow()
    if ts.microsecond:
        return ts
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def timestamp_from(seconds: float) -> datetime.datetime | str:
    """The ``timestamp`` for a POSIX time (e.g. ``LogRecord.created``)."""
    ts = from_posix(seconds)
    if ts.microsecond:
        return ts
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def interpolate(msg: Any, args: Any) -> Any:
    """``msg % args``, or a readable stand-in (counted) when that fails. Never raises."""
    try:
        return msg % args
    except Exception as exc:
        text = _safe_str(msg)
        _diagnostics.report("format", f"message {text[:200]!r} % args: {type(exc).__name__}")
        return f"{text} {_safe_repr(args)}"


def default(obj: Any) -> Any:
    """orjson's fallback for types it does not know: a faithful, readable stand-in.

    Raising here (a ``__repr__`` that raises) makes orjson raise, which sends the record to
    ``sanitize``; that is where the failure is counted.
    """
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj).decode("utf-8", "backslashreplace")
    if isinstance(obj, BaseException):
        return f"{type(obj).__name__}: {obj}"
    return repr(obj)


_core_default = default

# -- values orjson must not be given ----------------------------------------------------------
#
# orjson (3.13) calls the utcoffset() of an aware datetime's tzinfo itself, and crashes the
# process (SIGSEGV) when that raises. So before a record reaches orjson, the values orjson
# writes natively (dicts and their keys, lists, tuples, dataclasses, enums) are walked for an
# exact datetime whose tzinfo is not a datetime.timezone or a ZoneInfo; only such a datetime
# costs a utcoffset() call here. The C twin (_speedups.unsafe_value, run inside Appender.emit)
# costs ~40 ns on a 7-entry record (+6% on a native call); the Python twin first checks that
# such a tzinfo class exists at all (see unsafe_value_py).

_SCAN_DEPTH = 255  # orjson refuses deeper nesting itself, before reaching it
_SCAN_BUDGET = 1 << 20
_PLAIN = frozenset({str, int, float, bool, type(None)})
_DATETIME = datetime.datetime
_TIMEZONE = datetime.timezone
_Enum = enum.Enum


def unsafe_value_py(obj: Any, keys: object = False) -> BaseException | None:
    """A ``TypeError`` (caused by what ``utcoffset()`` raised) for the first datetime in *obj*
    orjson would crash on; ``None`` when *obj* may be handed to orjson.

    Dict keys are looked at only with *keys* (encoding with ``OPT_NON_STR_KEYS``): without
    that option orjson refuses a key that is not a ``str`` before formatting it.
    """
    # First, whether any tzinfo class other than datetime.timezone and ZoneInfo exists (pytz,
    # dateutil, your own): without one, no datetime can be one orjson crashes on. ~0.1 us,
    # where walking a 7-entry record in Python takes ~0.35 us (more than its orjson.dumps).
    # A datetime's tzinfo class exists as long as the datetime does, so a record built before
    # this check is covered. (The C twin walks every record: that costs less than this call.)
    for kind in _tzinfo_subclasses():
        if kind is not _TIMEZONE and (not _is_zoneinfo_class(kind) or kind.__subclasses__()):
            break
    else:
        return None
    budget = [_SCAN_BUDGET]
    return _scan(obj, 0, budget, bool(keys))


_tzinfo_subclasses = datetime.tzinfo.__subclasses__


def _is_zoneinfo_class(kind: type) -> bool:
    zoneinfo = sys.modules.get("zoneinfo")
    return zoneinfo is not None and kind is zoneinfo.ZoneInfo


def _scan(obj: Any, depth: int, budget: list[int], keys: bool) -> BaseException | None:
    kind = type(obj)
    if kind in _PLAIN:
        return None
    budget[0] -= 1
    if budget[0] < 0:
        return TypeError("a value too large to check for datetimes orjson cannot write")
    if kind is _DATETIME:
        tz = obj.tzinfo
        if tz is None or type(tz) is _TIMEZONE or _is_zoneinfo(tz):
            return None
        try:
            obj.utcoffset()
        except Exception as exc:
            error = TypeError("a datetime whose tzinfo.utcoffset() raises")
            error.__cause__ = exc
            return error
        return None
    if depth >= _SCAN_DEPTH:
        return None
    found: BaseException | None = None
    if isinstance(obj, dict):
        for key, value in list(obj.items()):
            if keys and type(key) is not str:
                found = _scan(key, depth + 1, budget, keys)
                if found is not None:
                    return found
            found = _scan(value, depth + 1, budget, keys)
            if found is not None:
                return found
    elif isinstance(obj, (list, tuple)):
        for item in list(obj):
            found = _scan(item, depth + 1, budget, keys)
            if found is not None:
                return found
    elif "__dataclass_fields__" in kind.__dict__:  # orjson's test: the class's own __dict__
        for name in getattr(obj, "__dataclass_fields__", {}):
            try:
                value = getattr(obj, name)
            except Exception:
                continue
            found = _scan(value, depth + 1, budget, keys)
            if found is not None:
                return found
    elif isinstance(obj, _Enum):
        try:
            value = obj.value
        except Exception:
            return None
        found = _scan(value, depth + 1, budget, keys)
    return found


def _is_zoneinfo(tz: object) -> bool:
    zoneinfo = sys.modules.get("zoneinfo")  # no ZoneInfo exists before it is imported
    return zoneinfo is not None and type(tz) is zoneinfo.ZoneInfo


UnsafeValue = Callable[[Any, object], "BaseException | None"]


def _pick_unsafe_value() -> UnsafeValue:
    if _fields.SPEEDUPS:
        try:
            from .._speedups import unsafe_value as fast

            return fast
        except ImportError:  # pragma: no cover - an older build of the extension
            pass
    return unsafe_value_py


#: ``unsafe_value(obj, keys)``: the C version when the speedups are in use.
unsafe_value: UnsafeValue = _pick_unsafe_value()
_NON_STR_KEYS = orjson.OPT_NON_STR_KEYS


def encode_record(
    record: dict[str, Any], default: Callable[[Any], Any] | None = None, option: int = OPTIONS
) -> bytes:
    """One JSON line (with newline) for a finished record dict: orjson with the core's options
    and value policy (or a host's *default* and *option*), repaired when orjson rejects it.
    Never raises. What ``Appender.emit`` does before appending, for hosts that need the bytes
    themselves (a renderer or formatter returning the line)."""
    bad = unsafe_value(record, option & _NON_STR_KEYS)
    if bad is not None:
        return encode_repaired(record, bad, default, option)
    try:
        return dumps(record, _core_default if default is None else default, option)
    except Exception as exc:
        return encode_rejected(record, exc, default, option)


def relayout(
    line: bytes,
    *,
    indent: int | str | None = None,
    ensure_ascii: bool = False,
    separators: tuple[str, str] | None = None,
) -> str:
    """*line* (one encoded record) as ``json.dumps`` lays it out: indented, ASCII-escaped,
    spaced. Never raises.

    For hosts whose users asked for ``json.dumps``'s layout (python-json-logger's
    ``json_indent``, ``json_ensure_ascii``): the record is encoded once, by orjson with the
    host's value policy, and only its text is laid out again; what orjson wrote parses back to
    the same values, so the result is what ``json.dumps`` writes for them. The trailing newline
    is not kept.
    """
    import json  # only for hosts that ask for this layout

    try:
        return json.dumps(
            orjson.loads(line), indent=indent, ensure_ascii=ensure_ascii, separators=separators
        )
    except Exception as exc:  # pragma: no cover - orjson's own output always parses
        _diagnostics.report("encoding", f"a line could not be laid out ({type(exc).__name__})")
        return line.rstrip(b"\n").decode("utf-8", "replace")


def _safe_repr(obj: Any) -> str:
    try:
        return _clean_str(repr(obj))
    except Exception as exc:  # a raising __repr__ is the case this exists for
        return f"<unrepresentable {type(obj).__qualname__}: {type(exc).__name__}>"


def _safe_str(obj: Any) -> str:
    try:
        return _clean_str(str(obj))
    except Exception:
        return _safe_repr(obj)


def _clean_str(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates: keep them visible as \udXXX escapes rather than dropping them.
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _clean_int(value: int) -> int | str:
    if _INT64_MIN <= value <= _UINT64_MAX:
        return value
    try:
        return str(value)
    except ValueError:  # beyond sys.int_info.str_digits_check_threshold
        return f"<int of {value.bit_length()} bits>"


def _safe_time(obj: datetime.date | datetime.time) -> Any:
    """A date or time orjson takes as it is, else its ISO text (or repr)."""
    try:
        if isinstance(obj, datetime.time) and obj.tzinfo is not None:
            return obj.isoformat()  # orjson rejects aware times
        if isinstance(obj, datetime.datetime) and obj.tzinfo is not None:
            obj.utcoffset()  # a tzinfo that raises here is better not handed to orjson
        return obj if type(obj) in _EXACT_TIMES else obj.isoformat()
    except Exception:
        return _safe_repr(obj)


_EXACT_TIMES = (datetime.datetime, datetime.date, datetime.time)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return _clean_str(str.__str__(key))  # orjson takes exact str keys only (StrEnum...)
    if key is None:
        return "null"  # as json.dumps and orjson's OPT_NON_STR_KEYS write it
    if isinstance(key, (int, float, bool)):
        return str(key) if not isinstance(key, bool) else ("true" if key else "false")
    return _safe_repr(key)


def _renamed(field: str, taken: Mapping[str, Any]) -> str:
    name = RENAME_PREFIX + field
    while name in taken:
        name = RENAME_PREFIX + name
    return name


def merge(
    ts: Any, level: str, name: str, message: Any, *parts: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The record dict for schema values plus field mappings (later ones win).

    A field named like a schema key never overwrites it: it moves to ``fields.<name>``.
    """
    record: dict[str, Any] = {"timestamp": ts, "level": level, "logger": name, "message": message}
    clash = False
    for part in parts:
        if part:
            record.update(part)
            clash = clash or not _RESERVED_SET.isdisjoint(part)
    if not clash:
        return record
    record = {"timestamp": ts, "level": level, "logger": name, "message": message}
    clashing: dict[str, Any] = {}  # later parts win, as for any other field
    for part in parts:
        if part:
            for key, value in part.items():
                if key in _RESERVED_SET:
                    clashing[key] = value
                else:
                    record[key] = value
    for key, value in clashing.items():  # after the others: a field named fields.<key> stays
        record[_renamed(key, record)] = value
    return record


def encode(
    ts: Any,
    level: str,
    name: str,
    message: Any,
    fields: Mapping[str, Any] | None = None,
    *,
    exception: Mapping[str, Any] | None = None,
    shape: Callable[[dict[str, Any], int], dict[str, Any]] | None = None,
    levelno: int = 0,
) -> bytes:
    """One JSON line (with newline) for a record. Never raises.

    *shape* (``Pipeline.shape``) turns the finished dict into the pipeline's schema; it is
    given *levelno*.
    """
    record = {"timestamp": ts, "level": level, "logger": name, "message": message}
    if fields:
        record.update(fields)
        if len(record) != 4 + len(fields):
            record = merge(ts, level, name, message, fields)
    if exception is not None:
        add_exception(record, exception)
    try:
        if shape is not None:
            record = shape(record, levelno)
        bad = unsafe_value(record, False)
        if bad is not None:
            return encode_repaired(record, bad)
        return dumps(record, default=default, option=OPTIONS)
    except Exception as exc:
        return encode_rejected(record, exc)


def add_exception(record: dict[str, Any], exception: Mapping[str, Any]) -> None:
    """Put the structured exception under ``exception``, moving a same-named field aside."""
    if "exception" in record:
        record[_renamed("exception", record)] = record.pop("exception")
    record["exception"] = exception


def encode_rejected(
    record: Mapping[str, Any],
    error: BaseException,
    default: Callable[[Any], Any] | None = None,
    option: int = OPTIONS,
) -> bytes:
    """The line for a record orjson rejected (*error*): ``encode_repaired``'s, unless the only
    problem was keys that are ints, floats, bools or None. Never raises.

    Such keys are ordinary data that ``json.dumps`` (every host's own JSON output) writes as
    text; orjson takes them under an option that costs every record a key check, so it is
    given only here, after a rejection, and the line is not marked.
    """
    if not option & orjson.OPT_NON_STR_KEYS and unsafe_value(record, True) is None:
        try:
            return dumps(
                record, _core_default if default is None else default, option | _NON_STR_KEYS_LINE
            )
        except Exception:
            pass
    return encode_repaired(record, error, default, option)


def encode_repaired(
    record: Mapping[str, Any],
    error: BaseException,
    default: Callable[[Any], Any] | None = None,
    option: int = OPTIONS,
) -> bytes:
    """The slow path after orjson rejected *record*: repair, mark, count. Never raises.

    Only what cannot be written is changed: every value orjson writes with the value policy
    the record was encoded with (*default* and *option*, the core's unless a host gave its
    own) is kept as it is, so repairing one field never changes how another is written.
    """
    policy = _core_default if default is None else default
    try:
        reason = f"{type(error).__name__}: {_safe_str(error)}"
        cause = error.__cause__
        if cause is not None:  # orjson chains what default() raised, e.g. a bad __repr__
            reason += f" ({type(cause).__name__}: {_safe_str(cause)})"
        _diagnostics.report("encoding", f"a record could not be serialized as given ({reason})")
        clean = _repair(record, policy, option & ~orjson.OPT_APPEND_NEWLINE, set(), 0)
        if not isinstance(clean, dict):  # pragma: no cover - record is always a dict
            clean = {"message": clean}
        clean[ERROR_KEY] = _clean_str(reason)
        return dumps(clean, policy, option | orjson.OPT_APPEND_NEWLINE)
    except Exception as exc:  # last resort: a line that only says what happened
        _diagnostics.report("encoding", f"a record could not be repaired ({type(exc).__name__})")
        return _own_line("a record could not be serialized", ERROR_KEY, _safe_repr(exc))


def _repair(obj: Any, policy: Callable[[Any], Any], option: int, seen: set[int], depth: int) -> Any:
    """*obj* if orjson writes it with *policy* and *option* at this *depth*; else a copy in
    which only what it cannot write is replaced: keys become strings, out-of-range ints decimal
    strings, lone surrogates escapes, cycles and excessive depth markers, anything else what
    *policy* makes of it (its ``repr`` if that fails too)."""
    if depth < _MAX_DEPTH and unsafe_value(obj, option & _NON_STR_KEYS) is None:
        nested = obj
        for _ in range(depth):  # as deep as it sits in the record: orjson limits nesting
            nested = [nested]
        try:
            dumps(nested, policy, option)
            return obj
        except Exception:
            pass
    if obj is None or isinstance(obj, (bool, float)):
        return obj
    if isinstance(obj, str):
        return _clean_str(str.__str__(obj))  # an exact str, also for subclasses (StrEnum)
    if isinstance(obj, int):
        return _clean_int(int(obj))
    if isinstance(obj, datetime.datetime | datetime.date | datetime.time):
        return _safe_time(obj)
    if depth >= _MAX_DEPTH:
        return "<max depth>"
    if isinstance(obj, Mapping | list | tuple | set | frozenset):
        if id(obj) in seen:
            return "<cycle>"
        seen.add(id(obj))
        try:
            if isinstance(obj, Mapping):
                return {
                    _key(key): _repair(value, policy, option, seen, depth + 1)
                    for key, value in list(obj.items())
                }
            return [_repair(item, policy, option, seen, depth + 1) for item in list(obj)]
        except Exception:
            return _safe_repr(obj)
        finally:
            seen.discard(id(obj))
    try:
        fallback = policy(obj)
    except Exception:
        return _safe_repr(obj)
    if fallback is obj:  # a policy that hands the object back: it cannot be written
        return _safe_repr(obj)
    if isinstance(fallback, str):
        return _clean_str(fallback)
    return _repair(fallback, policy, option, seen, depth + 1)


def truncate(line: bytes, limit: int) -> bytes:
    """Cut a record longer than *limit* bytes down to a valid line of at most *limit* bytes
    that says it was cut.

    The schema keys are kept; long string values are shortened, other large values replaced
    by a shortened text of their JSON. Sizes are counted as written, escapes included (a
    control character takes six bytes), so the line always fits: when shortening every value
    is not enough, only the schema keys are kept, their longest values cut until it fits.
    """
    try:
        record = orjson.loads(line)
        budget = max(128, (limit - 512) // (2 * max(1, len(record))))
        cut: dict[str, Any] = {}
        for key, value in record.items():
            if isinstance(value, str):
                cut[key] = value if len(value) <= budget else value[:budget] + "…"
            elif key in RESERVED:
                cut[key] = value
            else:
                text = orjson.dumps(value)
                cut[key] = (
                    value if len(text) <= budget else text[:budget].decode("utf-8", "ignore") + "…"
                )
        cut[TRUNCATED_KEY] = len(line)
        out = dumps(cut, option=OPTIONS)
        if len(out) > limit:
            small = {k: cut[k] for k in RESERVED if k in cut}
            small[TRUNCATED_KEY] = len(line)
            out = _fit(small, limit)
    except Exception as exc:
        _diagnostics.report("truncate", f"{type(exc).__name__}: {exc}")
        out = _own_line("an oversized record could not be truncated", TRUNCATED_KEY, len(line))
    if len(out) > limit:  # a limit below fastlog's own line (~170 bytes): nothing fits
        out = _own_line("", TRUNCATED_KEY, len(line))
    return out


def _fit(record: dict[str, Any], limit: int) -> bytes:
    """*record* as one line of at most *limit* bytes where possible: its message, else its
    longest string values (non-string ones as their JSON text), shortened as written until it
    fits."""
    values = {
        key: value if value is None or isinstance(value, (str, int, float)) else _json_text(value)
        for key, value in record.items()
    }
    out = dumps(values, option=OPTIONS)
    for _ in range(len(values)):
        excess = len(out) - limit
        if excess <= 0:
            break
        sizes = {key: len(dumps(v)) - 2 for key, v in values.items() if isinstance(v, str) and v}
        if not sizes:
            break
        key = max(sizes, key=sizes.__getitem__)
        if sizes.get("message", 0) > excess:  # the message gives way first, when that does
            key = "message"
        values[key] = _shorten(str(values[key]), sizes[key] - excess)
        out = dumps(values, option=OPTIONS)
    return out


def _json_text(value: Any) -> str:
    return orjson.dumps(value, default=_safe_repr).decode("utf-8", "replace")


def _shorten(text: str, size: int) -> str:
    """The longest start of *text* that, with a closing "…", takes at most *size* bytes as
    JSON writes it (between the quotes); "" when none does."""
    room = size - len("…".encode())
    if room <= 0:
        return ""
    low, high = 0, min(len(text), room)  # a character takes one byte at least
    while low < high:  # the longest prefix whose escaped size fits in room
        mid = (low + high + 1) // 2
        if len(dumps(text[:mid])) - 2 <= room:
            low = mid
        else:
            high = mid - 1
    return text[:low] + "…"


def _own_line(message: str, key: str, value: Any) -> bytes:
    """fastlog's own error record, in place of one it could not write: the last resort."""
    record = {
        "timestamp": timestamp(),
        "level": "error",
        "logger": "fastlog",
        "message": message,
        key: value,
    }
    return dumps(record, option=OPTIONS)


def exception_info(exc_info: Any) -> dict[str, Any] | None:
    """The structured ``exception`` object for ``exc_info`` as stdlib accepts it.

    *exc_info* may be ``True`` (the exception being handled), an exception instance or a
    ``(type, value, traceback)`` tuple. Returns ``None`` when there is no exception.
    """
    try:
        if exc_info is True:
            exc = sys.exc_info()[1]
        elif isinstance(exc_info, BaseException):
            exc = exc_info
        elif isinstance(exc_info, tuple) and len(exc_info) == 3:
            exc = exc_info[1]
        else:
            return None
        if exc is None:
            return None
        return describe_exception(exc)
    except Exception as err:
        _diagnostics.report("exception", f"could not format an exception ({type(err).__name__})")
        return {"type": "unknown", "message": "", "traceback": ""}


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """``{"type", "message", "traceback"}`` for *exc*; its text survives a raising ``__str__``."""
    cls = type(exc)
    module = cls.__module__
    type_name = cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
    try:
        message = str(exc)
    except Exception:
        message = _safe_repr(exc)
    try:
        text = "".join(traceback.format_exception(exc))
    except Exception:
        text = f"{type_name}: {message}\n"
    return {"type": type_name, "message": message, "traceback": text}
