"""structlog's configuration is process-global: reset it around every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import reset_structlog


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    reset_structlog()
    yield
    reset_structlog()
