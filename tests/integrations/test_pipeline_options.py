"""Pipeline v2 options reached from every adapter: dictConfig, structlog, loguru, presets.

Schema, sampling, rotation and per-sink encoders are the core's; these tests pin that each
adapter's own configuration surface passes them through, and that one file written by all three
hosts carries one schema.
"""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from loguru import logger as loguru_logger

import fastlog_core
import fastlog_structlog
from fastlog_loguru import FastlogSink
from fastlog_stdlib import FastlogHandler
from tests.helpers import append_from_processes, read_lines, reset_loguru, reset_structlog


@pytest.fixture(autouse=True)
def _reset_hosts() -> Iterator[None]:
    reset_loguru()
    reset_structlog()
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    yield
    reset_loguru()
    reset_structlog()
    for handler in list(root.handlers):
        if handler not in saved[1]:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(saved[0])


def flushed(path: Path) -> list[dict[str, object]]:
    assert fastlog_core.flush(timeout=10)
    return read_lines(path)


def test_dictconfig_schema_sampling_rotation_and_sinks(tmp_path: Path) -> None:
    """Every v2 option as FastlogHandler kwargs in a dictConfig (as YAML would give them)."""
    main, warn = tmp_path / "app.log", tmp_path / "warn.logfmt"
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "fastlog": {
                    "class": "fastlog_stdlib.FastlogHandler",
                    "sink": [
                        {"sink": str(main), "rotation": "64 KB", "retention": 3},
                        {"sink": str(warn), "level": "warning", "encoder": "logfmt"},
                    ],
                    "preset": "fastest",
                    "schema": "ecs",
                    "sample": {"debug": 4},
                    "rate_limit": "1000/s",
                }
            },
            "root": {"level": "DEBUG", "handlers": ["fastlog"]},
        }
    )
    log = logging.getLogger("v2.dictconfig")
    for i in range(8):
        log.debug("d %s", i)
    log.warning("careful", extra={"user_id": 7})
    records = flushed(main)
    assert [r["message"] for r in records] == ["d 0", "d 4", "careful"]
    assert records[-1]["log.level"] == "warning" and records[-1]["user_id"] == 7
    assert "@timestamp" in records[-1] and "version" in records[-1]["ecs"]  # type: ignore[operator]
    assert warn.read_bytes().count(b"\n") == 1 and b"message=careful" in warn.read_bytes()
    stats = fastlog_core.stats()
    assert stats["sampled_by_level"] == {"debug": 6}
    (sink, _) = fastlog_core.get_pipeline([str(main), str(warn)]).sinks
    assert isinstance(sink, fastlog_core.FileSink)
    assert "rotation" in repr(sink)


def test_handler_rejects_bad_v2_options_by_name(log_path: Path) -> None:
    with pytest.raises(fastlog_core.ConfigError, match="schema="):
        FastlogHandler(str(log_path), schema="splunk")
    with pytest.raises(fastlog_core.ConfigError, match="rotation="):
        FastlogHandler(str(log_path), rotation="sometimes")


def test_structlog_configure_schema_and_sampling(log_path: Path) -> None:
    """fastlog_structlog.configure passes schema and sampling; dropped events are counted."""
    fastlog_structlog.configure(
        sink=str(log_path), level="debug", schema="datadog", sample={"debug": 3}
    )
    log = structlog.get_logger("sl")
    for i in range(6):
        log.debug("tick", i=i)
    log.info("done", n=6)
    records = flushed(log_path)
    assert [r["message"] for r in records] == ["tick", "tick", "done"]
    assert [r["i"] for r in records[:2]] == [0, 3]
    assert records[-1]["status"] == "info" and records[-1]["logger.name"] == "sl"
    assert fastlog_core.stats()["sampled"] == 4


def test_loguru_sink_schema_and_rate_limit(log_path: Path) -> None:
    """FastlogSink(schema="gcp", rate_limit=...) : severity names, one template limited."""
    loguru_logger.add(FastlogSink(str(log_path), schema="gcp", rate_limit=2), level="TRACE")
    for i in range(5):
        loguru_logger.info("same template")
        loguru_logger.trace("t{}", i)
    loguru_logger.error("boom")
    records = flushed(log_path)
    assert [r["message"] for r in records].count("same template") == 2
    assert sum(str(r["message"]).startswith("t") for r in records) == 5  # formatted: 5 keys
    assert records[-1]["severity"] == "ERROR"
    assert fastlog_core.stats()["rate_limited"] == 3


def test_three_hosts_one_file_one_schema(log_path: Path) -> None:
    """stdlib, structlog and loguru into one ECS file: every line has ECS's keys."""
    fastlog_core.configure(sink=str(log_path), schema="ecs", level="debug")
    handler = FastlogHandler()
    std = logging.getLogger("std")
    std.addHandler(handler)
    std.setLevel(logging.INFO)
    std.propagate = False
    fastlog_structlog.configure(level="info")
    loguru_logger.add(FastlogSink(), format="{message}")
    std.info("from stdlib")
    structlog.get_logger("sl").info("from structlog")
    loguru_logger.info("from loguru")
    fastlog_core.get_logger("native").info("from native")
    records = flushed(log_path)
    assert [r["message"] for r in records] == [
        "from stdlib",
        "from structlog",
        "from loguru",
        "from native",
    ]
    loggers = []
    for record in records:  # ecs-logging's layout: three dotted keys, the rest nested
        assert {"@timestamp", "log.level", "message", "ecs", "log"} <= set(record)
        assert "timestamp" not in record and "level" not in record
        loggers.append(record["log"]["logger"])  # type: ignore[index]
    assert loggers == ["std", "sl", "tests.integrations.test_pipeline_options", "native"]
    std.removeHandler(handler)


def test_presets_take_the_options(log_path: Path) -> None:
    """Every preset accepts the v2 options next to it."""
    for preset in fastlog_core.PRESETS:
        settings = fastlog_core.get_pipeline(
            str(log_path) + preset, preset=preset, schema="otel", sample={"debug": 2}, rate_limit=10
        ).settings
        assert settings.schema == "otel" and settings.sample == ((10, 2),)


def test_processes_append_whole_lines(tmp_path: Path) -> None:
    """4 processes x 100k records to one file: every line parses, every record is there."""
    append_from_processes(tmp_path / "shared.log", processes=4, records=100_000, pad=100)
