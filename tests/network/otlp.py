"""Placeholder, replaced by the module that starts the real server."""

import pytest


@pytest.fixture
def otlp_receiver() -> None:
    pytest.fail("not built yet")
