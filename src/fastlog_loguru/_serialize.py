"""loguru's ``serialize=True`` line, the same bytes loguru writes, built faster.

loguru (0.7.3, ``Handler._serialize_record``) writes
``json.dumps(document, default=str, ensure_ascii=False) + "\\n"`` to a file opened with
``encoding="utf8"``. ``line()`` returns exactly those bytes, by two routes:

- **the reference**: the same ``document`` dict loguru builds, given to a ``json.JSONEncoder``
  with the arguments ``json.dumps`` passes (``dumps`` below), so whatever loguru writes we
  write, by construction: ``NaN``, ``Infinity``, integers of any size, ``str()`` of anything
  else, ``", "`` and ``": "`` separators.
- **the common case** (``fast_line``): the fixed skeleton as one bytes template whose leaves
  are written as ``json`` writes them, taken only when every leaf has the exact type it is
  checked for: a ``str`` by ``orjson.dumps`` (its escaping is json's with
  ``ensure_ascii=False`` for every code point but lone surrogates, which it refuses; pinned by
  ``test_orjson_escapes_strings_as_json``), an ``int`` by ``%d`` (``int.__repr__``), a finite
  ``float`` by ``%r`` (``float.__repr__``). Output is UTF-8 directly, with no ``str`` to encode.
  A value in ``extra`` of any other type (a nested dict, a datetime, an Enum, ``NaN``) is given
  to the reference encoder value by value, which is what ``json`` does inside the dict; any
  other surprise (a patcher's value of an unexpected type, a lone surrogate) sends the whole
  record to the reference route. ``tests/loguru/test_serialize_identity.py`` checks the result
  against loguru's own file output byte for byte, with hypothesis.

Where loguru writes no line at all (a lone surrogate the UTF-8 file cannot encode, a
``__str__`` that raises, a dict key ``json`` refuses, a cycle), ``line()`` returns a repaired
line marked ``fastlog_error`` and counted instead of losing the record.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson

from fastlog_core import adapter

#: ``json.dumps(obj, default=str, ensure_ascii=False)`` without building an encoder per call:
#: ``json.dumps`` passes exactly these arguments (the others at their defaults).
dumps: Callable[[Any], str] = json.JSONEncoder(default=str, ensure_ascii=False).encode
#: The string escaper ``json`` itself uses with ``ensure_ascii=False`` (C when available).
quote: Callable[[str], str] = json.encoder.encode_basestring

_isfinite = math.isfinite
_timedelta = timedelta
_datetime = datetime
_td_str = timedelta.__str__
#: ``str()`` of loguru's datetime: its class defines ``__format__`` only, so this is its str.
_dt_str = datetime.__str__
#: A ``str`` as JSON, in UTF-8: orjson escapes as json does with ``ensure_ascii=False``.
_orjson_str: Callable[[str], bytes] = orjson.dumps


class Unusual(Exception):
    """A record the common case does not handle: the reference route writes it."""


def document(text: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """What loguru's ``Handler._serialize_record`` gives ``json.dumps``, key for key."""
    exception = record["exception"]
    if exception is not None:
        exception = {
            "type": None if exception.type is None else exception.type.__name__,
            "value": exception.value,
            "traceback": bool(exception.traceback),
        }
    return {
        "text": text,
        "record": {
            "elapsed": {
                "repr": record["elapsed"],
                "seconds": record["elapsed"].total_seconds(),
            },
            "exception": exception,
            "extra": record["extra"],
            "file": {"name": record["file"].name, "path": record["file"].path},
            "function": record["function"],
            "level": {
                "icon": record["level"].icon,
                "name": record["level"].name,
                "no": record["level"].no,
            },
            "line": record["line"],
            "message": record["message"],
            "module": record["module"],
            "name": record["name"],
            "process": {"id": record["process"].id, "name": record["process"].name},
            "thread": {"id": record["thread"].id, "name": record["thread"].name},
            "time": {"repr": record["time"], "timestamp": record["time"].timestamp()},
        },
    }


def reference(text: str, record: Mapping[str, Any]) -> str:
    """loguru's own serialization of *record*: ``json.dumps`` of ``document()``. May raise
    exactly where loguru's raises (a ``__str__`` that raises, a key ``json`` refuses)."""
    return dumps(document(text, record)) + "\n"


def value(obj: Any) -> bytes:
    """One value as ``json.dumps(default=str, ensure_ascii=False)`` writes it inside a dict,
    in UTF-8 (raises on a lone surrogate, where loguru's file does)."""
    kind = type(obj)
    if kind is str:
        return _orjson_str(obj)
    if kind is int:
        return b"%d" % obj
    if kind is float and _isfinite(obj):
        return b"%r" % obj
    if obj is None:
        return b"null"
    if obj is True:
        return b"true"
    if obj is False:
        return b"false"
    return dumps(obj).encode("utf-8")


#: ``extra`` keys as JSON, with their separator: a program uses a few keys over and over.
_KEYS: dict[str, bytes] = {}


def extra_object(extra: Any) -> bytes:
    """``record["extra"]`` as ``json`` writes it: value by value when it is a plain dict with
    ``str`` keys (the usual case), else by ``json`` whole."""
    if type(extra) is not dict:
        return dumps(extra).encode("utf-8")
    if not extra:
        return b"{}"
    items = []
    for key, item in extra.items():
        if type(key) is not str:  # json's own key rules (or its refusal)
            return dumps(extra).encode("utf-8")
        prefix = _KEYS.get(key)
        if prefix is None:
            prefix = _orjson_str(key) + b": "
            if len(_KEYS) < 4096:
                _KEYS[key] = prefix
        items.append(prefix + (_orjson_str(item) if type(item) is str else value(item)))
    return b"{" + b", ".join(items) + b"}"


#: The parts of the line that repeat from record to record (the call site and level; the
#: module, process and thread), by their values: see ``_site`` and ``_origin``.
_SITES: dict[tuple[Any, ...], bytes] = {}
_ORIGINS: dict[tuple[Any, ...], bytes] = {}


def _cached(cache: dict[tuple[Any, ...], bytes], key: tuple[Any, ...], make: Any) -> bytes:
    part = cache.get(key)
    if part is None:
        part = make(*key)
        if len(cache) >= 1024:  # a bound: values that never repeat (a patcher's) cost a miss
            cache.clear()
        cache[key] = part
    return part


def _site(  # noqa: PLR0917 - the cache key, unpacked
    fname: str, path: str, function: str, icon: str, lname: str, levelno: int
) -> bytes:
    q = _orjson_str
    return b'"file": {"name": %s, "path": %s}, "function": %s, ' % (
        q(fname),
        q(path),
        q(function),
    ) + (b'"level": {"icon": %s, "name": %s, "no": %d}' % (q(icon), q(lname), levelno))


def _origin(  # noqa: PLR0917 - the cache key, unpacked
    module: str, name: str | None, pid: int, pname: str, tid: int, tname: str
) -> bytes:
    q = _orjson_str
    return b'"module": %s, "name": %s, "process": {"id": %d, "name": %s}, ' % (
        q(module),
        b"null" if name is None else q(name),
        pid,
        q(pname),
    ) + b'"thread": {"id": %d, "name": %s}' % (tid, q(tname))


def fast_line(text: str, record: Mapping[str, Any]) -> bytes:
    """The line's bytes (with its newline), equal to ``reference(text, record)`` encoded.

    Raises ``Unusual`` for a record whose leaves do not all have the exact types checked
    here, and orjson's error for a lone surrogate: the caller then takes the reference route.
    """
    elapsed = record["elapsed"]
    moment = record["time"]
    line = record["line"]
    level = record["level"]
    levelno = level.no
    process = record["process"]
    pid = process.id
    thread = record["thread"]
    tid = thread.id
    file = record["file"]
    fname = file.name
    path = file.path
    function = record["function"]
    icon = level.icon
    lname = level.name
    message = record["message"]
    module = record["module"]
    name = record["name"]
    pname = process.name
    tname = thread.name
    if not (
        type(elapsed) is _timedelta
        and isinstance(moment, _datetime)
        and type(moment).__str__ is _dt_str  # loguru's datetime (or any without its own str)
        and type(line) is int
        and type(levelno) is int
        and type(pid) is int
        and type(tid) is int
        and isinstance(text, str)
        and type(fname) is str
        and type(path) is str
        and type(function) is str
        and type(icon) is str
        and type(lname) is str
        and type(message) is str
        and type(module) is str
        and (name is None or type(name) is str)
        and type(pname) is str
        and type(tname) is str
    ):
        raise Unusual
    stamp = moment.timestamp()
    if type(stamp) is not float:  # a patcher's datetime subclass; finite otherwise
        raise Unusual
    exception = record["exception"]
    if exception is None:
        exc = b"null"
    else:
        kind = exception.type
        exc = dumps(
            {
                "type": None if kind is None else kind.__name__,
                "value": exception.value,
                "traceback": bool(exception.traceback),
            }
        ).encode("utf-8")
    q = _orjson_str
    # With the exact types checked above, each conversion is json's own: orjson escapes a str
    # as json does with ensure_ascii=False for every code point but lone surrogates (orjson
    # refuses them: the reference route runs, and loguru's file fails on them too); %d is
    # int.__repr__ for an int, %r float.__repr__ for a finite float. str(moment) is what
    # json's default=str writes (loguru's datetime has its own __format__, not __str__).
    return _SKELETON % (
        q(text),
        q(_td_str(elapsed)),
        elapsed.total_seconds(),
        exc,
        extra_object(record["extra"]),
        _cached(_SITES, (fname, path, function, icon, lname, levelno), _site),
        line,
        q(message),
        _cached(_ORIGINS, (module, name, pid, pname, tid, tname), _origin),
        _time_repr(moment, stamp),
        stamp,
    )


#: str() of a datetime without its microseconds, as (its second, the JSON text before the
#: fraction, the JSON text after it), by (POSIX second, tzinfo): records of one second share it.
_SECONDS: dict[tuple[int, Any], tuple[int, bytes, bytes]] = {}


def _time_repr(moment: _datetime, stamp: float) -> bytes:
    """``q(str(moment))``: the wall-clock second's text is the same for every record of that
    second and zone (the offset decides it), so only the microseconds are formatted here."""
    tz = moment.tzinfo
    key = (int(stamp), tz)
    part = _SECONDS.get(key)
    second = moment.second
    if part is None or part[0] != second or stamp < 0:
        text = _dt_str(moment.replace(microsecond=0))  # "YYYY-MM-DD HH:MM:SS" + offset
        part = (second, _orjson_str(text[:19])[:-1], _orjson_str(text[19:])[1:])
        if stamp >= 0:
            if len(_SECONDS) >= 64:
                _SECONDS.clear()
            _SECONDS[key] = part
    micro = moment.microsecond
    if micro:
        return b"%s.%06d%s" % (part[1], micro, part[2])
    return part[1] + part[2]


_SKELETON = (
    b'{"text": %s, "record": {"elapsed": {"repr": %s, "seconds": %r}, "exception": %s, '
    b'"extra": %s, %s, "line": %d, "message": %s, %s, '
    b'"time": {"repr": %s, "timestamp": %r}}}\n'
)


def line(text: str, record: Mapping[str, Any]) -> bytes:
    """The bytes loguru's ``serialize=True`` writes to a UTF-8 file for *text* and *record*;
    where loguru writes nothing, a repaired line marked ``fastlog_error``. Never raises."""
    try:
        return fast_line(text, record)
    except Exception:  # Unusual, a lone surrogate, a value json refuses: as loguru does it
        pass
    try:
        out = reference(text, record)
    except Exception as exc:  # json refuses the record: loguru reports it and loses it
        return repaired(text, record, exc)
    try:
        return out.encode("utf-8")
    except UnicodeEncodeError as exc:  # loguru's file raises the same and loses the record
        return escaped(out, exc)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _visible(text: str) -> str:
    """*text* with each lone surrogate replaced by the JSON for its ``\\udXXX`` escape
    text (as the core's repair writes them): valid UTF-8, nothing silently dropped."""
    return _SURROGATE.sub(lambda m: f"\\\\u{ord(m.group()):04x}", text)


def escaped(out: str, error: UnicodeEncodeError) -> bytes:
    """loguru's line *out* that UTF-8 cannot encode (lone surrogates, which json leaves in
    strings as they are): the same line with them visible as escapes, marked and counted.

    Surrogates can only be inside JSON strings here (everything else json writes is ASCII), so
    the layout and every other byte stay loguru's.
    """
    reason = f"UnicodeEncodeError: {error.reason} (lone surrogates written as \\udXXX text)"
    adapter.report_error("encoding", f"a record could not be serialized as given ({reason})")
    marked = f'{_visible(out[:-2])}, "{adapter.ERROR_KEY}": {quote(reason)}}}\n'
    return marked.encode("utf-8")


def repaired(text: str, record: Mapping[str, Any], error: Exception) -> bytes:
    """The line for a record loguru's ``json.dumps`` refuses (a ``__str__`` that raises, a key
    json rejects, a cycle) or a patcher broke: loguru's document as far as it can be read,
    repaired by the core (its value policy for what remains), marked and counted."""
    try:
        doc: Any = document(text, record)
        timing = doc["record"]
        timing["elapsed"]["repr"] = _str_or_none(timing["elapsed"]["repr"])
        timing["time"]["repr"] = _str_or_none(timing["time"]["repr"])
    except Exception:  # a patcher's record: whatever it holds
        doc = {"text": _str_or_none(text), "record": _dict_or_none(record)}
    return adapter.encode_repaired(doc, error)


def _str_or_none(obj: Any) -> str | None:
    try:
        return str(obj)
    except Exception:
        return None


def _dict_or_none(obj: Any) -> dict[str, Any] | None:
    try:
        return dict(obj)
    except Exception:
        return None
