"""structlog's configuration is process-global: reset it around every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from fastlog_structlog import _native


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    _native.native_chain[0] = None
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    _native.native_chain[0] = None
