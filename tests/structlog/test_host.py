"""``fastlog_structlog._host``: the one structlog internal the adapter reads, pinned.

If a structlog release renames or repurposes ``structlog.contextvars._CONTEXT_VARS``, these
tests fail on that release (the adapter itself then falls back to always merging).
"""

from __future__ import annotations

import structlog
import structlog.contextvars

from fastlog_structlog import _host


class TestContextVars:
    def test_is_structlogs_registry(self) -> None:
        """The name exists and is the very dict structlog registers its variables in."""
        assert hasattr(structlog.contextvars, "_CONTEXT_VARS")
        assert _host.CONTEXT_VARS is structlog.contextvars._CONTEXT_VARS

    def test_bind_registers_a_variable(self) -> None:
        """bind_contextvars() adds a "structlog_<key>" entry: non-empty means "merge"."""
        structlog.contextvars.bind_contextvars(pinned=1)
        try:
            assert "structlog_pinned" in _host.CONTEXT_VARS
        finally:
            structlog.contextvars.unbind_contextvars("pinned")
