"""Context fields: values that appear in every record logged in the current context.

They live in one ``ContextVar`` holding an immutable-by-convention dict, so each thread and each
asyncio task sees its own, a task inherits its creator's fields, and reading them on the hot path
is one ``ContextVar.get`` (an empty dict when nothing is bound).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

_EMPTY: dict[str, Any] = {}
_fields: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
    "fastlog_context", default=_EMPTY
)

#: Hot-path accessor used by the loggers and adapters.
get = _fields.get


@contextlib.contextmanager
def context(**fields: Any) -> Iterator[dict[str, Any]]:
    """Add *fields* to every record logged inside the ``with`` block, then restore.

    Works the same in threads and asyncio tasks (it is a ``ContextVar``); nested blocks add to
    the outer ones, an inner value of the same name wins until the inner block ends.
    """
    token = _fields.set({**_fields.get(), **fields})
    try:
        yield _fields.get()
    finally:
        _fields.reset(token)


def bind_context(**fields: Any) -> None:
    """Add *fields* to the current context until ``unbind_context`` or ``clear_context``."""
    _fields.set({**_fields.get(), **fields})


def unbind_context(*keys: str) -> None:
    """Remove *keys* from the current context; missing keys are ignored."""
    current = _fields.get()
    if any(key in current for key in keys):
        _fields.set({k: v for k, v in current.items() if k not in keys})


def clear_context() -> None:
    """Remove every context field of the current context."""
    _fields.set(_EMPTY)


def get_context() -> dict[str, Any]:
    """A copy of the current context fields."""
    return dict(_fields.get())
