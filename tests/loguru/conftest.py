"""loguru's logger is process-global: every test starts and ends with no handlers."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.helpers import reset_loguru


@pytest.fixture(autouse=True)
def _reset_loguru() -> Iterator[None]:
    reset_loguru()
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    yield
    reset_loguru()
    for handler in list(root.handlers):
        if handler not in saved[1]:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(saved[0])
