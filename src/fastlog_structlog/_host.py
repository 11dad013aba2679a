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

``tests/structlog/test_host.py`` pins both names and their meaning against the installed
structlog: it fails on the version that changes either.
"""

from __future__ import annotations

import contextvars
from types import FrameType
from typing import Any

import structlog.contextvars

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
