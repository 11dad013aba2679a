"""The vendored loguru test file is loguru's, unchanged, for the loguru installed."""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

from conftest import VENDORED_SHA256, VENDORED_VERSION, routed

HERE = Path(__file__).parent


def test_installed_loguru_is_the_vendored_version() -> None:
    """A loguru upgrade fails here: re-vendor test_add_option_serialize.py from its tag."""
    assert importlib.metadata.version("loguru") == VENDORED_VERSION


def test_vendored_file_is_unchanged() -> None:
    """The file is byte for byte loguru's (README.md names the tag and commit)."""
    data = (HERE / "tests" / "test_add_option_serialize.py").read_bytes()
    assert hashlib.sha256(data).hexdigest() == VENDORED_SHA256


def test_routing_counts_records() -> None:
    """The guard itself: a serialize=True record here goes through FastlogSink."""
    import json

    from loguru import logger

    class Keep:
        def __init__(self) -> None:
            self.lines: list[str] = []

        def write(self, message: str) -> None:
            self.lines.append(message)

    keep = Keep()
    logger.add(keep, format="{message}", serialize=True)
    logger.info("through")
    assert routed["written"] == routed["delivered"] == 1
    (line,) = keep.lines
    assert json.loads(line)["text"] == "through\n"
    assert line.record["message"] == "through"  # type: ignore[attr-defined]
