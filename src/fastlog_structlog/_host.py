"""What this adapter relies on in structlog beyond its documented API, in one place.

- ``structlog.contextvars._CONTEXT_VARS``: the module-level dict of the context variables
  ``bind_contextvars()`` created. Empty means no structlog context variable exists, so the
  native path can skip ``merge_contextvars`` (a copy of the whole ``contextvars`` context per
  call). structlog has no public "is anything bound?" test: ``get_contextvars()`` costs the
  same copy. Without it, the native path always merges (correct, slower).
- ``structlog.contextvars._ASYNC_CALLING_STACK``: the context variable holding the
  application's frame, which structlog's frame lookup (``CallsiteParameterAdder``,
  ``structlog.stdlib``'s caller finding) starts from instead of the current frame. structlog's
  own async methods set it before leaving the caller's frame; fastlog's wrapper sets it so the
  call site is the application's line, not the wrapper (whose module does not start with
  ``structlog``, the prefix the lookup skips). Without it, ``CallsiteParameterAdder`` would
  report the wrapper's frame.

- ``CallsiteParameterAdder._additional_ignores`` and ``._active_handlers``: which parameters
  an adder adds and which modules it skips, so the wrapper can add them itself from the frame
  it already holds (``callsite_plan``); without them, the adder runs as a processor.

``tests/structlog/test_host.py`` pins these names and their meaning against the installed
structlog: it fails on the version that changes any of them.
"""

from __future__ import annotations

import contextvars
from types import FrameType
from typing import Any

import structlog.contextvars
import structlog.processors

#: structlog's registry of context variables, or a non-empty stand-in (always merge) when a
#: structlog version no longer has it.
CONTEXT_VARS: dict[str, Any] = getattr(
    structlog.contextvars, "_CONTEXT_VARS", {"(unknown structlog)": None}
)

#: The context variable structlog's frame lookup starts from, or an unused stand-in.
CALLING_FRAME: contextvars.ContextVar[FrameType] = getattr(
    structlog.contextvars,
    "_ASYNC_CALLING_STACK",
    contextvars.ContextVar("fastlog_structlog_calling_frame"),
)


def callsite_plan(adder: Any) -> tuple[tuple[str, ...], tuple[tuple[str, Any], ...]] | None:
    """What a ``structlog.processors.CallsiteParameterAdder`` adds, for the native path:
    ``(ignored module prefixes, ((key, structlog's handler), ...))``, read from its private
    ``_additional_ignores`` and ``_active_handlers`` (structlog has no public accessor for
    its parameters). ``None`` when a structlog version keeps them otherwise: the processor
    is then called as it is (same output, its own cost)."""
    try:
        ignores = ("structlog", *adder._additional_ignores)
        handlers = tuple((param.value, handler) for param, handler in adder._active_handlers)
    except (AttributeError, TypeError, ValueError):
        return None
    if not all(isinstance(i, str) for i in ignores) or not all(callable(h) for _, h in handlers):
        return None
    return ignores, handlers
