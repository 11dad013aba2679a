"""The record dict of a ``LogRecord``-like ``__dict__``: schema keys, context, then the tail.

Adapters whose host keeps per-record fields after a known number of standard attributes (stdlib's
``LogRecord``: ``extra=`` and what filters add come after the ~20 attributes ``__init__`` sets)
build their record dict here. In Python that walk costs a third of the stdlib adapter's time, so
``fastlog_core._speedups`` (C, built when a compiler is available) does the same in a loop over the
dict's entries. This module's ``record_fields_py`` defines the behaviour; tests hold the two equal.
Set ``FASTLOG_NO_SPEEDUPS=1`` to use the pure-Python version.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Set
from itertools import islice
from typing import Any

__all__ = ["SPEEDUPS", "record_fields", "record_fields_py"]

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


def _pick() -> tuple[RecordFields, bool]:
    if os.environ.get("FASTLOG_NO_SPEEDUPS") or not getattr(sys, "_is_gil_enabled", lambda: True)():
        # Without a GIL the C loop would need critical sections around the record's dict.
        return record_fields_py, False
    try:
        from ._speedups import record_fields as fast
    except ImportError:
        return record_fields_py, False
    return fast, True


record_fields: RecordFields
#: True when the C version is in use.
SPEEDUPS: bool
record_fields, SPEEDUPS = _pick()
