"""The harness itself: fastlog's configuration is the one structlog's tests start with."""

from __future__ import annotations

from pathlib import Path

import orjson
import structlog

from fastlog_core import _registry
from fastlog_structlog import FastlogLoggerFactory, FastlogRenderer


def test_configuration_is_fastlogs() -> None:
    config = structlog.get_config()
    assert structlog.is_configured()
    assert isinstance(config["logger_factory"], FastlogLoggerFactory)
    assert isinstance(config["processors"][-1], FastlogRenderer)


def test_get_logger_writes_through_fastlog(fastlog_sink: Path) -> None:
    """What a test that does not configure structlog logs is a fastlog record in the sink."""
    structlog.get_logger("harness").info("hello %s", "world", answer=42)
    _registry.flush()
    (line,) = fastlog_sink.read_bytes().splitlines()
    record = orjson.loads(line)
    assert (record["level"], record["logger"], record["message"]) == (
        "info",
        "harness",
        "hello world",
    )
    assert record["answer"] == 42


def test_configuration_is_per_test(fastlog_sink: Path) -> None:
    """Each test gets its own sink: nothing from the test above is here."""
    assert not fastlog_sink.exists() or fastlog_sink.read_bytes() == b""
