"""The record dict of a ``LogRecord``-like ``__dict__``: schema keys, context, then the tail.

Adapters whose host keeps per-record fields after a known number of standard attributes (stdlib's
``LogRecord``: ``extra=`` and what filters add come after the ~20 attributes ``__init__`` sets)
build their record dict here. In Python that walk costs a third of the stdlib adapter's time, so
``fastlog_core._speedups`` (C, built when a compiler is available) does the same in a loop over the
dict's entries. This module's ``record_fields_py`` defines the behaviour; tests hold the two equal.
``utc_naive`` (an aware ``datetime`` as the schema's naive UTC one) is the same arrangement for
hosts that hand over aware times, such as loguru.
Set ``FASTLOG_NO_SPEEDUPS=1`` to use the pure-Python versions.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Callable, Mapping, Set
from itertools import islice
from typing import Any, cast

__all__ = [
    "SPEEDUPS",
    "naive_copy",
    "record_fields",
    "record_fields_py",
    "utc_naive",
    "utc_naive_py",
    "utc_stamp",
    "utc_stamp_py",
]

RecordFields = Callable[
    [Mapping[str, Any], int, Set[str], Any, str, str, Any, Mapping[str, Any]],
    "dict[str, Any] | None",
]


def record_fields_py(  # noqa: PLR0917 - positional, as the C twin (METH_FASTCALL)
    attrs: Mapping[str, Any],
    n_standard: int,
    reserved: Set[str],
    ts: Any,
    level: str,
    name: str,
    message: Any,
    ctx: Mapping[str, Any],
) -> dict[str, Any] | None:
    """``{schema keys, **ctx, **tail}``, where the tail is *attrs* after *n_standard* entries.

    ``None`` when a tail key is in *reserved* or any two keys collide: the caller's general
    path then decides what each attribute is.
    """
    fields = {"timestamp": ts, "level": level, "logger": name, "message": message}
    expected = 4 + len(ctx)
    if ctx:
        fields.update(ctx)
    if len(attrs) > n_standard:
        tail = dict(islice(attrs.items(), n_standard, None))
        if not reserved.isdisjoint(tail):
            return None
        fields.update(tail)
        expected += len(tail)
    return fields if len(fields) == expected else None


_datetime = datetime.datetime
_timezone = datetime.timezone
_UTC = datetime.UTC
# A datetime's pickle state is (10 bytes of fields, tzinfo); datetime(state) rebuilds a plain,
# naive datetime from those bytes.
_reduce = cast("Callable[[_datetime], tuple[Any, tuple[bytes, Any]]]", _datetime.__reduce__)
_from_state: Callable[[bytes], _datetime] = _datetime  # type: ignore[assignment]


def naive_copy(moment: _datetime) -> _datetime:
    """*moment*'s fields as an exact, naive ``datetime`` (no tzinfo, no subclass): ~180 ns, the
    cheapest way in Python, against ~290 ns for ``datetime(moment.year, ..., moment.microsecond)``.
    """
    return _from_state(_reduce(moment)[1][0])


def utc_naive_py(moment: Any) -> _datetime | None:
    """The naive UTC ``datetime`` for an aware one (any subclass) with a ``datetime.timezone``.

    orjson serializes exact ``datetime`` objects only, and the schema writes naive UTC. ``None``
    when the caller must take its general path: not a ``datetime``, another ``tzinfo`` class
    (its ``utcoffset`` may be any code), or a whole second (orjson would drop the fraction the
    schema always writes). The fields are copied out of the 10-byte pickle state, the cheapest
    way in Python (~180 ns); the C twin builds the ``datetime`` directly.
    """
    if not isinstance(moment, _datetime) or not moment.microsecond:
        return None
    tz = moment.tzinfo
    if type(tz) is not _timezone:
        return None
    naive = naive_copy(moment)
    if tz is _UTC:
        return naive
    offset = tz.utcoffset(None)
    if not offset:
        return naive
    naive -= offset
    return naive if naive.microsecond else None  # an offset with microseconds made a whole second


UtcNaive = Callable[[Any], "_datetime | None"]
UtcStamp = Callable[[float], "str | None"]


def utc_stamp_py(seconds: float) -> str | None:
    """The schema's timestamp text (``2026-12-07T04:22:52.307967Z``) for a POSIX time, rounded
    to the microsecond as ``datetime.fromtimestamp`` rounds; ``None`` outside years 1..9999.

    For hosts whose value policy writes naive datetimes as they are (no ``Z``), so the
    timestamp cannot be a naive datetime; the C twin formats it directly.
    """
    try:
        moment = _datetime.fromtimestamp(seconds, _UTC).replace(tzinfo=None)
        return moment.isoformat(timespec="microseconds") + "Z"
    except (OverflowError, OSError, ValueError):
        return None


def _pick() -> tuple[RecordFields, UtcNaive, UtcStamp, bool]:
    if os.environ.get("FASTLOG_NO_SPEEDUPS") or not getattr(sys, "_is_gil_enabled", lambda: True)():
        # Without a GIL the C loop would need critical sections around the record's dict.
        return record_fields_py, utc_naive_py, utc_stamp_py, False
    try:
        from ._speedups import record_fields as fast
        from ._speedups import utc_naive as fast_utc
        from ._speedups import utc_stamp as fast_stamp
    except ImportError:
        return record_fields_py, utc_naive_py, utc_stamp_py, False
    return fast, fast_utc, fast_stamp, True


record_fields: RecordFields
utc_naive: UtcNaive
utc_stamp: UtcStamp
#: True when the C versions are in use.
SPEEDUPS: bool
record_fields, utc_naive, utc_stamp, SPEEDUPS = _pick()
