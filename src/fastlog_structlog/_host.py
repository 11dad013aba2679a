"""What this adapter relies on in structlog beyond its documented API, in one place.

``structlog.contextvars`` keeps the context variables ``bind_contextvars()`` created in a
module-level dict, ``_CONTEXT_VARS``. Empty means no structlog context variable exists, so the
native chain can skip ``merge_contextvars`` (a copy of the whole ``contextvars`` context per
call). structlog has no public "is anything bound?" test: ``get_contextvars()`` costs the same
copy. ``tests/structlog/test_host.py`` pins the name and its meaning against the installed
structlog: it fails on the version that changes either, and then this falls back to always
merging (correct, slower).
"""

from __future__ import annotations

from typing import Any

import structlog.contextvars

#: structlog's registry of context variables, or a non-empty stand-in (always merge) when a
#: structlog version no longer has it.
CONTEXT_VARS: dict[str, Any] = getattr(
    structlog.contextvars, "_CONTEXT_VARS", {"(unknown structlog)": None}
)
