"""Output schemas: the core's record dict in each platform's native layout.

The expected dicts are written out literally, key for key, against the field names each
platform documents (the links are next to them), so a change in layout is a visible diff here.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastlog_core import _diagnostics, _levels, _schemas
from fastlog_core._encoders import json as _encoder
from fastlog_core._presets import ConfigError
from fastlog_core._schemas import resolve_schema
from fastlog_core._schemas.base import CORE_KEYS

TS = datetime.datetime(2026, 1, 2, 3, 4, 5, 123456)  # naive UTC, as the core builds it
TS_TEXT = "2026-01-02T03:04:05.123456Z"
TS_NANOS = "1767323045123456000"
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/db.py", line 42, in connect\n'
    '    raise ValueError("bad value")\n'
    "ValueError: bad value\n"
)
EXCEPTION = {"type": "ValueError", "message": "bad value", "traceback": TRACEBACK}

# W3C trace-context's example ids (also the ecs-logging spec's example trace.id).
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
SPAN_ID = 0x00F067AA0BA902B7

#: What the writer reads back from a level text (lower-cased), per the lead's contract.
READABLE = {
    "trace",
    "debug",
    "info",
    "notice",
    "success",
    "warning",
    "warn",
    "error",
    "critical",
    "fatal",
    "alert",
    "emergency",
    "default",
}

NAMES = ("ecs", "gcp", "datadog", "otel")


def full_record() -> dict[str, Any]:
    """A record with every optional key and an exception, in the order the adapters build it."""
    return {
        "timestamp": TS,
        "level": "error",
        "logger": "app.db",
        "message": "connect failed",
        "file": "/srv/app/db.py",
        "line": 42,
        "function": "connect",
        "process": 4242,
        "process_name": "MainProcess",
        "thread": 140001,
        "thread_name": "MainThread",
        "request_id": "r-1",
        "attempt": 3,
        "exception": dict(EXCEPTION),
    }


def plain_record(**fields: Any) -> dict[str, Any]:
    return {
        "timestamp": TS,
        "level": "info",
        "logger": "app",
        "message": "hello",
        **fields,
    }


def get_schema(value: object) -> _schemas.Schema:
    schema = resolve_schema(value)
    assert schema is not None
    return schema


def dumps(record: dict[str, Any]) -> bytes:
    return _encoder.dumps(record, default=_encoder.default, option=_encoder.OPTIONS)


def assert_same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal, and in the same key order (the platforms' core keys come first)."""
    assert actual == expected
    assert list(actual) == list(expected)


@pytest.fixture
def no_span() -> Iterator[None]:
    """No span is current here, whether or not opentelemetry is installed."""
    try:
        from opentelemetry import context, trace
    except ImportError:
        yield
        return
    token = context.attach(trace.set_span_in_context(trace.INVALID_SPAN))
    yield
    context.detach(token)


# ---------------------------------------------------------------------------------------------
# Each schema against its platform's documented field names


@pytest.mark.usefixtures("no_span")
class TestLayouts:
    def test_ecs(self) -> None:
        # https://github.com/elastic/ecs-logging/blob/main/spec/spec.json (order, log.level
        # not nested), ecs-logging-python ecs_logging/_stdlib.py (the nested layout),
        # https://www.elastic.co/guide/en/ecs/current/ecs-log.html, ecs-process.html,
        # ecs-error.html
        out = get_schema("ecs").apply(full_record(), 40)
        assert_same(
            out,
            {
                "@timestamp": TS,
                "log.level": "error",
                "message": "connect failed",
                "ecs": {"version": "1.6.0"},
                "log": {
                    "logger": "app.db",
                    "origin": {
                        "file": {"name": "/srv/app/db.py", "line": 42},
                        "function": "connect",
                    },
                },
                "process": {
                    "pid": 4242,
                    "name": "MainProcess",
                    "thread": {"id": 140001, "name": "MainThread"},
                },
                "error": {"type": "ValueError", "message": "bad value", "stack_trace": TRACEBACK},
                "request_id": "r-1",
                "attempt": 3,
            },
        )
        line = dumps(out)
        assert line.startswith(
            b'{"@timestamp":"2026-01-02T03:04:05.123456Z","log.level":"error",'
            b'"message":"connect failed","ecs":{"version":"1.6.0"},'
        )

    def test_gcp(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # https://cloud.google.com/logging/docs/structured-logging#special-payload-fields
        # (severity, message, time, logging.googleapis.com/sourceLocation and /labels),
        # https://cloud.google.com/error-reporting/docs/formatting-error-messages (stack_trace),
        # googleapis/python-logging handlers/handlers.py (the "python_logger" label)
        monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
        out = get_schema("gcp").apply(full_record(), 40)
        assert_same(
            out,
            {
                "severity": "ERROR",
                "message": "connect failed",
                "time": TS,
                "logging.googleapis.com/sourceLocation": {
                    "file": "/srv/app/db.py",
                    "line": 42,
                    "function": "connect",
                },
                "logging.googleapis.com/labels": {"python_logger": "app.db"},
                "stack_trace": TRACEBACK,
                "process": 4242,
                "process_name": "MainProcess",
                "thread": 140001,
                "thread_name": "MainThread",
                "request_id": "r-1",
                "attempt": 3,
            },
        )
        assert b'"time":"2026-01-02T03:04:05.123456Z"' in dumps(out)

    def test_datadog(self) -> None:
        # https://docs.datadoghq.com/logs/log_configuration/attributes_naming_convention/
        # (reserved: timestamp, status, message; standard: logger.name, logger.thread_name,
        # logger.method_name, error.kind, error.message, error.stack)
        out = get_schema("datadog").apply(full_record(), 40)
        assert_same(
            out,
            {
                "timestamp": TS,
                "status": "error",
                "message": "connect failed",
                "logger.name": "app.db",
                "logger.thread_name": "MainThread",
                "logger.method_name": "connect",
                "error.kind": "ValueError",
                "error.message": "bad value",
                "error.stack": TRACEBACK,
                "file": "/srv/app/db.py",
                "line": 42,
                "process": 4242,
                "process_name": "MainProcess",
                "thread": 140001,
                "request_id": "r-1",
                "attempt": 3,
            },
        )

    def test_otel(self) -> None:
        # https://opentelemetry.io/docs/specs/otel/logs/data-model/ (field names),
        # semantic conventions: https://opentelemetry.io/docs/specs/semconv/registry/attributes/code/
        # (code.file.path, code.line.number, code.function.name), .../thread/,
        # https://opentelemetry.io/docs/specs/semconv/exceptions/exceptions-logs/
        out = get_schema("otel").apply(full_record(), 40)
        assert_same(
            out,
            {
                "Timestamp": TS_NANOS,
                "SeverityText": "ERROR",
                "SeverityNumber": 17,
                "Body": "connect failed",
                "InstrumentationScope": {"Name": "app.db"},
                "Attributes": {
                    "code.file.path": "/srv/app/db.py",
                    "code.line.number": 42,
                    "code.function.name": "connect",
                    "process.pid": 4242,
                    "thread.id": 140001,
                    "thread.name": "MainThread",
                    "exception.type": "ValueError",
                    "exception.message": "bad value",
                    "exception.stacktrace": TRACEBACK,
                    "process_name": "MainProcess",
                    "request_id": "r-1",
                    "attempt": 3,
                },
            },
        )
        assert list(out["Attributes"]) == list(out["Attributes"])  # order checked above too

    def test_mapping(self) -> None:
        schema = resolve_schema(
            {"timestamp": "ts", "level": "severity", "message": "msg", "logger": "name"}
        )
        assert schema is not None
        assert_same(
            schema.apply(plain_record(user_id=7), 20),
            {"ts": TS, "severity": "info", "name": "app", "msg": "hello", "user_id": 7},
        )

    @pytest.mark.parametrize("name", NAMES)
    def test_minimal_record(self, name: str) -> None:
        """Without the optional keys, nothing of them is written, and no empty objects."""
        out = get_schema(name).apply(plain_record(), 20)
        expected = {
            "ecs": {
                "@timestamp": TS,
                "log.level": "info",
                "message": "hello",
                "ecs": {"version": "1.6.0"},
                "log": {"logger": "app"},
            },
            "gcp": {
                "severity": "INFO",
                "message": "hello",
                "time": TS,
                "logging.googleapis.com/labels": {"python_logger": "app"},
            },
            "datadog": {
                "timestamp": TS,
                "status": "info",
                "message": "hello",
                "logger.name": "app",
            },
            "otel": {
                "Timestamp": TS_NANOS,
                "SeverityText": "INFO",
                "SeverityNumber": 9,
                "Body": "hello",
                "InstrumentationScope": {"Name": "app"},
                "Attributes": {},
            },
        }[name]
        assert_same(out, expected)

    @pytest.mark.parametrize("name", NAMES)
    def test_no_logger_name(self, name: str) -> None:
        record = plain_record(a=1)
        record["logger"] = None
        out = get_schema(name).apply(record, 20)
        text = orjson.dumps(out, default=str).decode()
        assert "app" not in text
        assert "null" not in text  # no key written for a missing logger

    def test_partial_groups_stay_fields(self) -> None:
        """``file`` alone is a user field, not a location (the adapters write all three)."""
        record = plain_record(file="report.csv", process="billing")
        out = get_schema("gcp").apply(record, 20)
        assert "logging.googleapis.com/sourceLocation" not in out
        assert out["file"] == "report.csv"
        ecs = get_schema("ecs").apply(record, 20)
        # ECS writes a "process" object for real process info, so the field moves aside.
        assert ecs["fields.process"] == "billing"
        assert "process" not in ecs
        assert ecs["file"] == "report.csv"

    def test_user_exception_field_is_not_an_exception(self) -> None:
        record = plain_record(exception={"code": 3})
        out = get_schema("datadog").apply(record, 20)
        assert "error.kind" not in out
        assert out["exception"] == {"code": 3}

    def test_gcp_user_labels_are_merged(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
        record = plain_record(**{"logging.googleapis.com/labels": {"team": "payments"}})
        out = get_schema("gcp").apply(record, 20)
        assert out["logging.googleapis.com/labels"] == {"python_logger": "app", "team": "payments"}
        bad = plain_record(**{"logging.googleapis.com/labels": "not a dict"})
        out = get_schema("gcp").apply(bad, 20)
        assert out["logging.googleapis.com/labels"] == {"python_logger": "app"}
        assert out["fields.logging.googleapis.com/labels"] == "not a dict"

    def test_gcp_label_values_are_strings(self) -> None:
        """LogEntry.labels is map<string, string>: other values are written as their JSON
        text, so Cloud Logging takes the labels instead of leaving them in jsonPayload."""
        labels = {"team": "payments", "shard": 3, "canary": True, "owner": None, 7: [1, "a"]}
        record = plain_record(**{"logging.googleapis.com/labels": labels})
        out = get_schema("gcp").apply(record, 20)
        assert out["logging.googleapis.com/labels"] == {
            "python_logger": "app",
            "team": "payments",
            "shard": "3",
            "canary": "true",
            "owner": "null",
            "7": '[1,"a"]',
        }
        assert labels[7] == [1, "a"]  # the record's own dict is left as it was
        record = plain_record(**{"logging.googleapis.com/labels": {"x": object()}})
        value = get_schema("gcp").apply(record, 20)["logging.googleapis.com/labels"]["x"]
        assert value.startswith("<object object at ")
        record = plain_record()
        record["logger"] = 42  # a host's logger name that is not a string
        out = get_schema("gcp").apply(record, 20)
        assert out["logging.googleapis.com/labels"] == {"python_logger": "42"}

    def test_gcp_service_context(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Error Reporting's serviceContext from Cloud Run's (or App Engine's) variables, in
        records with a traceback only; a user's own serviceContext field wins."""
        # https://cloud.google.com/error-reporting/docs/formatting-error-messages
        # https://cloud.google.com/run/docs/container-contract#env-vars
        monkeypatch.setenv("K_SERVICE", "checkout")
        monkeypatch.setenv("K_REVISION", "checkout-00042-abc")
        schema = get_schema("gcp")
        out = schema.apply(full_record(), 40)
        assert list(out)[list(out).index("stack_trace") + 1] == "serviceContext"
        assert out["serviceContext"] == {"service": "checkout", "version": "checkout-00042-abc"}
        assert "serviceContext" not in schema.apply(plain_record(), 40)
        mine = {"service": "mine"}
        assert schema.apply({**full_record(), "serviceContext": mine}, 40)["serviceContext"] == mine
        monkeypatch.delenv("K_SERVICE")
        monkeypatch.delenv("K_REVISION")
        assert "serviceContext" not in get_schema("gcp").apply(full_record(), 40)
        assert _schemas.gcp.service_context({"GAE_SERVICE": "web", "GAE_VERSION": "v3"}) == {
            "service": "web",
            "version": "v3",
        }
        assert _schemas.gcp.service_context({"K_SERVICE": "job"}) == {"service": "job"}

    def test_gcp_special_fields_a_user_sets_pass_through(self) -> None:
        record = plain_record(
            httpRequest={"status": 200}, **{"logging.googleapis.com/insertId": "x"}
        )
        out = get_schema("gcp").apply(record, 20)
        assert out["httpRequest"] == {"status": 200}
        assert out["logging.googleapis.com/insertId"] == "x"

    def test_exception_from_exc_text_only(self) -> None:
        """stdlib's exc_text without exc_info gives an exception with empty type and message."""
        record = plain_record(exception={"type": "", "message": "", "traceback": "boom\n"})
        out = get_schema("ecs").apply(record, 40)
        assert out["error"] == {"type": "", "message": "", "stack_trace": "boom\n"}


# ---------------------------------------------------------------------------------------------
# Levels


def readable(text: str) -> bool:
    lowered = text.lower()
    return lowered in READABLE or re.fullmatch(r"level-\d+", lowered) is not None


# https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#logseverity
GCP_NUMBERS = {
    "DEFAULT": 0,
    "DEBUG": 100,
    "INFO": 200,
    "NOTICE": 300,
    "WARNING": 400,
    "ERROR": 500,
    "CRITICAL": 600,
    "ALERT": 700,
    "EMERGENCY": 800,
}


def datadog_reads(status: str) -> int | str:
    """Datadog's log status remapper, as documented: the syslog severity a string maps to.

    https://docs.datadoghq.com/logs/log_configuration/processors/log_status_remapper/
    """
    s = status.lower()
    if s.startswith(("emerg", "f")):
        return 0
    if s.startswith("a"):
        return 1
    if s.startswith("c"):
        return 2
    if s.startswith("err"):
        return 3
    if s.startswith("w"):
        return 4
    if s.startswith("n"):
        return 5
    if s.startswith("i"):
        return 6
    if s.startswith(("d", "t", "v")):
        return 7
    if s.startswith(("o", "s")):
        return "ok"
    return 6


class TestLevels:
    def test_ecs_keeps_the_level_name(self) -> None:
        names = {5: "trace", 10: "debug", 20: "info", 25: "success", 30: "warning"}
        names |= {40: "error", 50: "critical"}
        for levelno in range(1, 61):
            assert _schemas.ecs_level(levelno) == names.get(levelno, f"level-{levelno}")

    def test_gcp_by_range_and_monotonic(self) -> None:
        assert _schemas.gcp_severity(0) == "DEFAULT"
        expected = {5: "DEBUG", 10: "DEBUG", 19: "DEBUG", 20: "INFO", 24: "INFO", 25: "NOTICE"}
        expected |= {30: "WARNING", 40: "ERROR", 50: "CRITICAL", 60: "ALERT", 70: "EMERGENCY"}
        for levelno, severity in expected.items():
            assert _schemas.gcp_severity(levelno) == severity, levelno
        ranks = [GCP_NUMBERS[_schemas.gcp_severity(n)] for n in range(1, 61)]
        assert ranks == sorted(ranks)

    def test_datadog_status_reads_as_intended_and_monotonic(self) -> None:
        expected = {5: 7, 10: 7, 20: 6, 25: 5, 30: 4, 40: 3, 50: 2, 60: 1, 70: 0}
        for levelno, syslog in expected.items():
            assert datadog_reads(_schemas.datadog_status(levelno)) == syslog, levelno
        severities = [datadog_reads(_schemas.datadog_status(n)) for n in range(1, 61)]
        assert all(isinstance(s, int) for s in severities)  # never "ok", never the fallback
        assert severities == sorted(severities, reverse=True)  # syslog: 0 is the most severe

    def test_otel_numbers_follow_the_data_model(self) -> None:
        # https://opentelemetry.io/docs/specs/otel/logs/data-model/#field-severitynumber
        anchors = {5: 1, 10: 5, 20: 9, 25: 10, 30: 13, 40: 17, 50: 21}
        for levelno, number in anchors.items():
            assert _schemas.otel_severity(levelno)[1] == number, levelno
        ranges = {0: (1, 4), 1: (5, 8), 2: (9, 12), 3: (13, 16), 4: (17, 20), 5: (21, 24)}
        numbers = []
        for levelno in range(1, 61):
            number = _schemas.otel_severity(levelno)[1]
            low, high = ranges[min(levelno // 10, 5)]
            assert low <= number <= high, (levelno, number)
            numbers.append(number)
        assert numbers == sorted(numbers)
        assert _schemas.otel_severity(200)[1] == 24

    def test_otel_text_is_the_level_name(self) -> None:
        texts = {5: "TRACE", 10: "DEBUG", 20: "INFO", 25: "SUCCESS", 30: "WARNING"}
        texts |= {40: "ERROR", 50: "CRITICAL", 15: "LEVEL-15"}
        for levelno, text in texts.items():
            assert _schemas.otel_severity(levelno)[0] == text

    @pytest.mark.parametrize("name", NAMES)
    def test_level_key_holds_readable_text(self, name: str) -> None:
        schema = resolve_schema(name)
        assert schema is not None
        assert schema.level_key is not None
        for levelno in [*range(0, 130), 1000]:
            text = schema.apply(plain_record(), levelno)[schema.level_key]
            assert isinstance(text, str)
            assert readable(text), (levelno, text)

    @pytest.mark.parametrize("name", NAMES)
    def test_level_text_reads_back_in_order(self, name: str) -> None:
        levelno_of = getattr(_levels, "levelno_of", None)
        if levelno_of is None:
            pytest.skip("_levels.levelno_of (the writer's reader) is not there")
        schema = resolve_schema(name)
        assert schema is not None
        assert schema.level_key is not None
        back = [levelno_of(schema.apply(plain_record(), n)[schema.level_key]) for n in range(1, 61)]
        assert None not in back
        assert back == sorted(back)  # type: ignore[type-var]
        if name in ("ecs", "otel"):  # the exact number
            assert back == list(range(1, 61))

    def test_odd_level_numbers_do_not_raise(self) -> None:
        for name in NAMES:
            schema = resolve_schema(name)
            assert schema is not None
            for levelno in (-5, 10**30, True):
                out = schema.apply(plain_record(), levelno)
                assert readable(out[schema.level_key])  # type: ignore[index]
            out = schema.apply(plain_record(), "x")  # type: ignore[arg-type]
            assert readable(out[schema.level_key])  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# Collisions


@pytest.mark.usefixtures("no_span")
class TestCollisions:
    @pytest.mark.parametrize(
        ("name", "key"),
        [
            ("ecs", "@timestamp"),
            ("ecs", "log.level"),
            ("ecs", "ecs"),
            ("ecs", "log"),
            ("ecs", "error"),
            ("ecs", "log.logger"),  # a dotted spelling of a path ECS writes
            ("ecs", "error.stack_trace"),
            ("gcp", "severity"),
            ("gcp", "time"),
            ("gcp", "stack_trace"),
            ("gcp", "logging.googleapis.com/sourceLocation"),
            ("datadog", "status"),
            ("datadog", "logger.name"),
            ("datadog", "error"),
            ("datadog", "error.stack"),
        ],
    )
    def test_field_named_like_a_schema_key_moves_aside(self, name: str, key: str) -> None:
        record = full_record()
        record[key] = "user value"
        out = get_schema(name).apply(record, 40)
        assert out[f"fields.{key}"] == "user value"
        assert out.get(key) != "user value"

    def test_otel_collisions_are_inside_attributes(self) -> None:
        record = full_record()
        record["code.file.path"] = "mine"
        record["SeverityText"] = "mine too"  # top level is not shared with fields
        out = get_schema("otel").apply(record, 40)
        assert out["Attributes"]["code.file.path"] == "/srv/app/db.py"
        assert out["Attributes"]["fields.code.file.path"] == "mine"
        assert out["Attributes"]["SeverityText"] == "mine too"
        assert out["SeverityText"] == "ERROR"

    def test_renaming_never_overwrites(self) -> None:
        record = plain_record(**{"fields.status": 1, "status": 2, "fields.fields.status": 3})
        out = get_schema("datadog").apply(record, 20)
        values = sorted(v for k, v in out.items() if k.endswith("status") and k != "status")
        assert values == [1, 2, 3]
        assert out["status"] == "info"

    def test_renamed_key_taken_by_a_later_field(self) -> None:
        record = plain_record(severity=1, **{"fields.severity": 2})
        out = get_schema("gcp").apply(record, 20)
        assert out["fields.severity"] == 1
        assert out["fields.fields.severity"] == 2

    def test_trace_keys_are_only_reserved_in_a_span(self) -> None:
        """ddtrace's own dd.trace_id (added by its log injection) passes through untouched."""
        record = plain_record(**{"dd.trace_id": "123", "dd.span_id": "456"})
        out = get_schema("datadog").apply(record, 20)
        assert out["dd.trace_id"] == "123"
        assert "fields.dd.trace_id" not in out

    def test_mapping_targets_are_reserved(self) -> None:
        schema = resolve_schema({"level": "severity"})
        assert schema is not None
        out = schema.apply(plain_record(severity="user"), 30)
        assert_same(
            out,
            {
                "timestamp": TS,
                "severity": "info",
                "logger": "app",
                "message": "hello",
                "fields.severity": "user",
            },
        )


# ---------------------------------------------------------------------------------------------
# User mappings and resolve_schema


class TestResolve:
    def test_default_is_none(self) -> None:
        assert resolve_schema(None) is None
        assert resolve_schema("default") is None

    @pytest.mark.parametrize(
        ("name", "cls", "level_key"),
        [
            ("ecs", _schemas.EcsSchema, "log.level"),
            ("gcp", _schemas.GcpSchema, "severity"),
            ("datadog", _schemas.DatadogSchema, "status"),
            ("otel", _schemas.OtelSchema, "SeverityText"),
        ],
    )
    def test_names(self, name: str, cls: type, level_key: str) -> None:
        schema = resolve_schema(name)
        assert isinstance(schema, cls)
        assert schema.name == name
        assert schema.level_key == level_key
        assert name in repr(schema)

    @pytest.mark.parametrize(
        "value", ["ECS", "elastic", "", 3, 1.5, True, ["ecs"], ("ecs",), object()]
    )
    def test_bad_values_name_the_option(self, value: object) -> None:
        with pytest.raises(ConfigError) as info:
            resolve_schema(value)
        message = str(info.value)
        assert message.startswith(f"schema={value!r}:")
        for name in ("'default'", "'ecs'", "'gcp'", "'datadog'", "'otel'"):
            assert name in message

    def test_mapping_drops_and_keeps(self) -> None:
        schema = resolve_schema({"timestamp": None, "logger": None, "message": "msg"})
        assert isinstance(schema, _schemas.MappingSchema)
        assert schema.level_key == "level"
        assert_same(
            schema.apply(plain_record(a=1), 20),
            {"level": "info", "msg": "hello", "a": 1},
        )

    def test_mapping_can_drop_the_level(self) -> None:
        schema = resolve_schema({"level": None})
        assert schema is not None
        assert schema.level_key is None
        assert "level" not in schema.apply(plain_record(), 20)

    def test_mapping_may_swap_names(self) -> None:
        schema = resolve_schema({"level": "message", "message": "text"})
        assert schema is not None
        assert schema.level_key == "message"
        assert_same(
            schema.apply(plain_record(), 30),
            {"timestamp": TS, "message": "info", "logger": "app", "text": "hello"},
        )

    def test_empty_mapping_is_the_default_layout(self) -> None:
        schema = resolve_schema({})
        assert schema is not None
        record = plain_record(x=1)
        assert_same(schema.apply(record, 20), record)

    @pytest.mark.parametrize(
        ("value", "fragment"),
        [
            ({"time": "ts"}, "cannot rename 'time'"),
            ({"level": 3}, "must be a non-empty str or None"),
            ({"level": ""}, "must be a non-empty str or None"),
            ({"level": b"lvl"}, "must be a non-empty str or None"),
            ({1: "x"}, "cannot rename 1"),
            ({"level": "msg", "message": "msg"}, "same name"),
            ({"level": "message"}, "same name"),  # message keeps its name
        ],
    )
    def test_mapping_errors(self, value: dict[Any, Any], fragment: str) -> None:
        with pytest.raises(ConfigError) as info:
            resolve_schema(value)
        message = str(info.value)
        assert message.startswith(f"schema={value!r}:")
        assert fragment in message

    def test_mapping_adds_no_trace_ids(self) -> None:
        trace = pytest.importorskip("opentelemetry.trace")
        schema = resolve_schema({"level": "lvl"})
        assert schema is not None
        with trace.use_span(trace.NonRecordingSpan(span_context(trace))):
            out = schema.apply(plain_record(), 20)
        assert list(out) == ["timestamp", "lvl", "logger", "message"]


# ---------------------------------------------------------------------------------------------
# The HTTP group (access records: fastlog_stdlib's framework mappers, or a user's own fields)


def http_record(**fields: Any) -> dict[str, Any]:
    """An access record in the default schema, every HTTP key set, as the adapters order it."""
    return plain_record(
        **{
            "http.request.method": "GET",
            "url.path": "/orders/42",
            "url.query": "expand=items",
            "http.response.status_code": 200,
            "client.address": "2001:db8::7",
            "client.port": 52000,
            "network.protocol.version": "1.1",
            "user_agent.original": "curl/8.5",
            "http.request.header.referer": ["https://example.com/"],
            "http.response.body.size": 512,
            "http.server.request.duration": 0.0125,
            "request_id": "r-1",
        },
        **fields,
    )


@pytest.mark.usefixtures("no_span")
class TestHttpGroup:
    def test_ecs(self) -> None:
        # https://www.elastic.co/guide/en/ecs/current/ecs-http.html, ecs-url.html,
        # ecs-client.html ("duplicated to .ip"), ecs-user_agent.html, ecs-event.html (ns)
        assert_same(
            get_schema("ecs").apply(http_record(), 20),
            {
                "@timestamp": TS,
                "log.level": "info",
                "message": "hello",
                "ecs": {"version": "1.6.0"},
                "log": {"logger": "app"},
                "http": {
                    "request": {"method": "GET", "referrer": "https://example.com/"},
                    "response": {"status_code": 200, "body": {"bytes": 512}},
                    "version": "1.1",
                },
                "url": {"path": "/orders/42", "query": "expand=items"},
                "client": {"address": "2001:db8::7", "ip": "2001:db8::7", "port": 52000},
                "user_agent": {"original": "curl/8.5"},
                "event": {"duration": 12_500_000},
                "request_id": "r-1",
            },
        )

    def test_gcp(self) -> None:
        # https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#HttpRequest
        # (int64 as a string, Duration as "<seconds>s")
        assert_same(
            get_schema("gcp").apply(http_record(), 20),
            {
                "severity": "INFO",
                "message": "hello",
                "time": TS,
                "logging.googleapis.com/labels": {"python_logger": "app"},
                "httpRequest": {
                    "requestMethod": "GET",
                    "requestUrl": "/orders/42?expand=items",
                    "status": 200,
                    "responseSize": "512",
                    "userAgent": "curl/8.5",
                    "remoteIp": "2001:db8::7",
                    "referer": "https://example.com/",
                    "latency": "0.0125s",
                    "protocol": "HTTP/1.1",
                },
                "client.port": 52000,
                "request_id": "r-1",
            },
        )

    def test_datadog(self) -> None:
        # https://docs.datadoghq.com/standard-attributes/ (http, url details, network,
        # performance: duration in nanoseconds)
        assert_same(
            get_schema("datadog").apply(http_record(), 20),
            {
                "timestamp": TS,
                "status": "info",
                "message": "hello",
                "logger.name": "app",
                "http.method": "GET",
                "http.url": "/orders/42?expand=items",
                "http.url_details.path": "/orders/42",
                "http.status_code": 200,
                "http.version": "1.1",
                "http.useragent": "curl/8.5",
                "http.referer": "https://example.com/",
                "network.client.ip": "2001:db8::7",
                "network.client.port": 52000,
                "network.bytes_written": 512,
                "duration": 12_500_000,
                "request_id": "r-1",
            },
        )

    def test_otel_keeps_the_semantic_convention_names(self) -> None:
        record = http_record()
        out = get_schema("otel").apply(record, 20)
        assert out["Attributes"] == {k: v for k, v in record.items() if k not in CORE_KEYS}

    def test_status_alone(self) -> None:
        """The marker on its own: the platform's status field and nothing else."""
        record = plain_record(**{"http.response.status_code": 500})
        assert get_schema("ecs").apply(record, 40)["http"] == {"response": {"status_code": 500}}
        assert get_schema("gcp").apply(record, 40)["httpRequest"] == {"status": 500}
        out = get_schema("datadog").apply(record, 40)
        assert out["http.status_code"] == 500
        assert "http.response.status_code" not in out

    def test_without_the_marker_the_fields_stay(self) -> None:
        """No status: the keys are a user's fields like any other, under their own names."""
        record = plain_record(**{"url.path": "/x", "client.address": "10.0.0.1"})
        for name in ("ecs", "gcp", "datadog"):
            out = get_schema(name).apply(record, 20)
            assert (out["url.path"], out["client.address"]) == ("/x", "10.0.0.1"), name

    @pytest.mark.parametrize(
        ("name", "key"), [("ecs", "event"), ("ecs", "url"), ("gcp", "httpRequest"),
                          ("datadog", "duration"), ("datadog", "http")],
    )  # fmt: skip
    def test_fields_named_like_its_output_move_aside_in_access_records_only(
        self, name: str, key: str
    ) -> None:
        plain = get_schema(name).apply(plain_record(**{key: "mine"}), 20)
        assert plain[key] == "mine"
        assert f"fields.{key}" not in plain
        access = get_schema(name).apply(http_record(**{key: "mine"}), 20)
        assert access[f"fields.{key}"] == "mine"
        assert access.get(key) != "mine"

    def test_in_a_span(self) -> None:
        """The traced tables of an access record: ids and HTTP fields both written."""
        pytest.importorskip("opentelemetry.sdk")
        from opentelemetry import trace

        with trace.use_span(trace.NonRecordingSpan(span_context(trace))):
            ecs = get_schema("ecs").apply(http_record(trace="mine"), 20)
            gcp = get_schema("gcp").apply(http_record(), 20)
            datadog = get_schema("datadog").apply(http_record(), 20)
        assert (ecs["trace"], ecs["fields.trace"]) == ({"id": f"{TRACE_ID:032x}"}, "mine")
        assert ecs["http"]["response"] == {"status_code": 200, "body": {"bytes": 512}}
        assert "logging.googleapis.com/trace" in gcp
        assert gcp["httpRequest"]["status"] == 200
        assert (datadog["dd.span_id"], datadog["http.status_code"]) == (str(SPAN_ID), 200)

    def test_values_of_other_types_are_written_as_they_are(self) -> None:
        """Fields set by hand with other types: unconverted, never a failed record."""
        odd = {
            "http.response.status_code": "200",
            "http.server.request.duration": float("inf"),
            "http.response.body.size": "big",
            "http.request.header.referer": ["a", "b"],
            "network.protocol.version": 2,
            "client.address": "not an ip",
            "url.query": "q=1",
        }
        record = plain_record(**odd)
        ecs = get_schema("ecs").apply(record, 20)
        assert ecs["event"] == {"duration": float("inf")}
        assert ecs["client"] == {"address": "not an ip"}
        assert ecs["http"]["request"] == {"referrer": ["a", "b"]}
        gcp = get_schema("gcp").apply(record, 20)["httpRequest"]
        assert (gcp["latency"], gcp["responseSize"], gcp["protocol"]) == (float("inf"), "big", 2)
        assert gcp["requestUrl"] == "?q=1"
        datadog = get_schema("datadog").apply(record, 20)
        assert (datadog["duration"], datadog["http.url"]) == (float("inf"), "?q=1")
        for out in (ecs, datadog):
            assert _encoder.ERROR_KEY not in out

    @pytest.mark.parametrize(
        ("seconds", "nanos", "latency"),
        [(0, 0, "0s"), (3, 3_000_000_000, "3s"), (0.000001, 1000, "0.000001s"),
         (1.5, 1_500_000_000, "1.5s"), (0.123456789, 123_456_789, "0.123456789s"),
         (0.000065, 65_000, "0.000065s")],  # 0.000065 * 1e9 is 64999.99999999999: rounded
    )  # fmt: skip
    def test_duration_units(self, seconds: float, nanos: int, latency: str) -> None:
        record = plain_record(
            **{"http.response.status_code": 200, "http.server.request.duration": seconds}
        )
        assert get_schema("ecs").apply(record, 20)["event"]["duration"] == nanos
        assert get_schema("datadog").apply(record, 20)["duration"] == nanos
        assert get_schema("gcp").apply(record, 20)["httpRequest"]["latency"] == latency

    def test_otel_semantic_convention_fields_pass_when_not_written(self) -> None:
        """A field named like an attribute the schema writes only with its group (a captured
        warning's code.file.path) keeps its name in a record without that group."""
        record = plain_record(**{"code.file.path": "/app/x.py", "thread.id": 7})
        attributes = get_schema("otel").apply(record, 20)["Attributes"]
        assert attributes == {"code.file.path": "/app/x.py", "thread.id": 7}


# ---------------------------------------------------------------------------------------------
# Trace context


def span_context(trace: Any, flags: int = 1) -> Any:
    return trace.SpanContext(
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        is_remote=False,
        trace_flags=trace.TraceFlags(flags),
    )


class TestTraceContext:
    @pytest.fixture
    def trace(self) -> Any:
        pytest.importorskip("opentelemetry.sdk")
        return pytest.importorskip("opentelemetry.trace")

    def test_ids_in_each_platform_form(self, trace: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
        schemas = {name: resolve_schema(name) for name in NAMES}
        with trace.use_span(trace.NonRecordingSpan(span_context(trace))):
            out = {name: s.apply(plain_record(), 20) for name, s in schemas.items()}
        # https://www.elastic.co/guide/en/ecs/current/ecs-tracing.html
        assert out["ecs"]["trace"] == {"id": "4bf92f3577b34da6a3ce929d0e0e4736"}
        assert out["ecs"]["span"] == {"id": "00f067aa0ba902b7"}
        # https://cloud.google.com/logging/docs/structured-logging#special-payload-fields
        gcp = out["gcp"]
        assert gcp["logging.googleapis.com/trace"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert gcp["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"
        assert gcp["logging.googleapis.com/trace_sampled"] is True
        # https://docs.datadoghq.com/tracing/other_telemetry/connect_logs_and_traces/opentelemetry/
        # the trace id's low 64 bits (0xa3ce929d0e0e4736) and the span id, in decimal
        assert out["datadog"]["dd.trace_id"] == "11803532876627986230"
        assert out["datadog"]["dd.span_id"] == "67667974448284343"
        # https://opentelemetry.io/docs/specs/otel/logs/data-model/#trace-context-fields
        assert_same(
            out["otel"],
            {
                "Timestamp": TS_NANOS,
                "SeverityText": "INFO",
                "SeverityNumber": 9,
                "Body": "hello",
                "InstrumentationScope": {"Name": "app"},
                "TraceId": "4bf92f3577b34da6a3ce929d0e0e4736",
                "SpanId": "00f067aa0ba902b7",
                "TraceFlags": "01",
                "Attributes": {},
            },
        )
        for name in NAMES:
            dumps(out[name])

    def test_gcp_trace_with_project(self, trace: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
        schema = resolve_schema("gcp")
        assert schema is not None
        with trace.use_span(trace.NonRecordingSpan(span_context(trace, flags=0))):
            out = schema.apply(plain_record(), 20)
        assert out["logging.googleapis.com/trace"] == (
            "projects/my-project/traces/4bf92f3577b34da6a3ce929d0e0e4736"
        )
        assert out["logging.googleapis.com/trace_sampled"] is False

    def test_real_sdk_span(self, trace: Any) -> None:
        from opentelemetry.sdk.trace import TracerProvider

        tracer = TracerProvider().get_tracer("fastlog-tests")
        schemas = {name: resolve_schema(name) for name in NAMES}
        with tracer.start_as_current_span("outer") as outer:
            ctx = outer.get_span_context()
            first = {n: s.apply(plain_record(), 20) for n, s in schemas.items()}
            with tracer.start_as_current_span("inner") as inner:
                inner_ctx = inner.get_span_context()
                second = {n: s.apply(plain_record(), 20) for n, s in schemas.items()}
            third = {n: s.apply(plain_record(), 20) for n, s in schemas.items()}
        after = {n: s.apply(plain_record(), 20) for n, s in schemas.items()}

        trace_hex = format(ctx.trace_id, "032x")
        assert first["ecs"]["trace"]["id"] == trace_hex
        assert first["ecs"]["span"]["id"] == format(ctx.span_id, "016x")
        assert first["gcp"]["logging.googleapis.com/trace"] == trace_hex
        assert first["gcp"]["logging.googleapis.com/trace_sampled"] is True
        assert first["datadog"]["dd.trace_id"] == str(ctx.trace_id & (2**64 - 1))
        assert first["datadog"]["dd.span_id"] == str(ctx.span_id)
        assert first["otel"]["TraceId"] == trace_hex
        assert first["otel"]["TraceFlags"] == format(ctx.trace_flags, "02x")
        # The inner span: same trace, its own span id; then back to the outer one.
        assert second["otel"]["TraceId"] == trace_hex
        assert second["otel"]["SpanId"] == format(inner_ctx.span_id, "016x")
        assert second["datadog"]["dd.span_id"] == str(inner_ctx.span_id)
        assert third == first
        # Outside any span: no ids at all.
        assert "trace" not in after["ecs"]
        assert not any(k.startswith("logging.googleapis.com/trace") for k in after["gcp"])
        assert "dd.trace_id" not in after["datadog"]
        assert "TraceId" not in after["otel"]

    def test_unsampled_span_still_has_ids(self, trace: Any) -> None:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

        tracer = TracerProvider(sampler=ALWAYS_OFF).get_tracer("fastlog-tests")
        schema = resolve_schema("gcp")
        assert schema is not None
        with tracer.start_as_current_span("dropped"):
            out = schema.apply(plain_record(), 20)
        assert out["logging.googleapis.com/trace_sampled"] is False
        assert len(out["logging.googleapis.com/spanId"]) == 16

    def test_trace_keys_move_user_fields_aside_in_a_span(self, trace: Any) -> None:
        record = plain_record(**{"dd.trace_id": "from-ddtrace", "trace": "t"})
        with trace.use_span(trace.NonRecordingSpan(span_context(trace))):
            dd = get_schema("datadog").apply(dict(record), 20)
            ecs = get_schema("ecs").apply(dict(record), 20)
        assert dd["dd.trace_id"] == "11803532876627986230"
        assert dd["fields.dd.trace_id"] == "from-ddtrace"
        assert ecs["trace"] == {"id": "4bf92f3577b34da6a3ce929d0e0e4736"}
        assert ecs["fields.trace"] == "t"

    def test_a_failing_span_only_loses_the_ids(
        self, trace: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        schema = resolve_schema("ecs")
        assert schema is not None

        def broken() -> Any:
            raise RuntimeError("context broken")

        monkeypatch.setattr(schema, "_current_span", broken)
        out = schema.apply(plain_record(), 20)
        assert out["log.level"] == "info"
        assert "trace" not in out
        assert _diagnostics.counts().get("schema") == 1


class TestOptionalOpentelemetry:
    def test_without_opentelemetry_no_ids_and_no_error(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(_schemas.base, "_otel", _schemas.base._UNRESOLVED)
        monkeypatch.setitem(sys.modules, "opentelemetry.trace", None)  # import fails
        schema = resolve_schema("otel")
        assert schema is not None
        assert schema._current_span is None
        out = schema.apply(plain_record(), 20)
        assert "TraceId" not in out
        assert _diagnostics.counts() == {}

    def test_imported_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        calls: list[str] = []
        real = _schemas.base.importlib.import_module

        def counting(name: str) -> Any:
            calls.append(name)
            return real(name)

        monkeypatch.setattr(_schemas.base, "_otel", _schemas.base._UNRESOLVED)
        monkeypatch.setattr(_schemas.base.importlib, "import_module", counting)
        schemas = [resolve_schema(name) for name in NAMES * 3]
        for schema in schemas:
            schema.apply(plain_record(), 20)
        assert calls == ["opentelemetry.trace"]

    def test_mapping_and_default_never_import_it(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_schemas.base, "_otel", _schemas.base._UNRESOLVED)
        resolve_schema({"level": "severity"})
        resolve_schema("default")
        assert _schemas.base._otel is _schemas.base._UNRESOLVED

    def test_fastlog_import_does_not_import_it(self) -> None:
        code = (
            "import sys, fastlog_core, fastlog_core._schemas; "
            "print(any(m == 'opentelemetry' or m.startswith('opentelemetry.') "
            "for m in sys.modules))"
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        assert result.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# Never raises


class TestRobustness:
    def test_timestamps_for_otel(self) -> None:
        nanos = _schemas.epoch_nanos
        assert nanos(TS) == TS_NANOS
        assert nanos(TS.replace(tzinfo=datetime.UTC)) == TS_NANOS
        plus_two = datetime.timezone(datetime.timedelta(hours=2))
        assert nanos(datetime.datetime(2026, 1, 2, 5, 4, 5, 123456, tzinfo=plus_two)) == TS_NANOS
        assert nanos(TS_TEXT) == TS_NANOS
        assert nanos("2026-01-02T03:04:05.000000Z") == "1767323045000000000"
        assert nanos("yesterday") == "yesterday"
        assert nanos(None) is None
        assert nanos(datetime.datetime(1969, 12, 31, 23, 59, 59)) == "-1000000000"

    @pytest.mark.parametrize("name", [*NAMES, "mapping"])
    def test_odd_records(self, name: str) -> None:
        schema = resolve_schema({"level": "lvl"} if name == "mapping" else name)
        assert schema is not None
        odd: list[dict[Any, Any]] = [
            {},
            {"message": "only"},
            plain_record(exception="not a dict", line=None, file=3, function=[]),
            plain_record(exception={"traceback": 1, "type": None}),
            {"timestamp": "not a time", "level": 5, "logger": 7, "message": b"bytes"},
        ]
        for record in odd:
            out = schema.apply(record, 20)
            assert isinstance(out, dict)
            dumps(out)
        # Not JSON-able (orjson wants str keys; the caller's fallback repairs that), but no raise.
        out = schema.apply({1: "int key", None: "none key", "level": "info"}, 20)
        assert "int key" in all_values(out)
        assert _diagnostics.counts() == {}

    def test_a_failure_returns_the_core_record_marked(self) -> None:
        class Exploding(dict[str, Any]):
            def get(self, key: str, default: Any = None) -> Any:
                raise RuntimeError("no get")

        record = Exploding(plain_record())
        for name in NAMES:
            schema = resolve_schema(name)
            assert schema is not None
            out = schema.apply(record, 20)
            assert out["message"] == "hello"
            assert name in out[_encoder.ERROR_KEY]
        assert _diagnostics.counts().get("schema") == len(NAMES)


JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
#: Keys the schemas write or read, to make collisions likely.
INTERESTING_KEYS = sorted(
    {
        *_schemas.ecs._ECS_HTTP_TABLES[1].kinds,
        *_schemas.gcp._GCP_HTTP_TABLES[1].kinds,
        *_schemas.datadog._DATADOG_HTTP_TABLES[1].kinds,
        *_schemas.otel._OTEL_KEYS.kinds,
        "fields.status",
        "fields.log",
        "fields.severity",
    }
    - set(_schemas.base.CORE_KEYS)
)
FIELD_KEYS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10) | (
    st.sampled_from(INTERESTING_KEYS)
)
#: Input keys a schema may consume (moved into nested objects rather than copied).
CONSUMABLE = {
    "file",
    "line",
    "function",
    "process",
    "process_name",
    "thread",
    "thread_name",
    "exception",
    "logging.googleapis.com/labels",
    *_schemas.http.HTTP_KEYS,
}


def all_values(out: dict[str, Any]) -> list[Any]:
    values = list(out.values())
    if isinstance(out.get("Attributes"), dict):
        values += list(out["Attributes"].values())
    return values


@pytest.mark.parametrize("name", [*NAMES, "mapping"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    user=st.dictionaries(FIELD_KEYS, JSON_VALUES, max_size=8),
    levelno=st.integers(min_value=-10, max_value=200),
)
def test_any_fields_apply_and_dump(name: str, user: dict[str, Any], levelno: int) -> None:
    schema = resolve_schema(
        {"timestamp": "ts", "level": "severity", "message": "msg", "logger": None}
        if name == "mapping"
        else name
    )
    assert schema is not None
    record = plain_record()
    for key, value in user.items():
        record[_encoder.RENAME_PREFIX + key if key in _schemas.base.CORE_KEYS else key] = value
    out = schema.apply(record, levelno)
    line = dumps(out)
    assert orjson.loads(line)
    if schema.level_key is not None:
        assert readable(out[schema.level_key])
    # No field is lost to a collision: every value not consumed is still there, by identity.
    kept = {id(v) for v in all_values(out)}
    for key, value in record.items():
        if key not in CONSUMABLE and key not in _schemas.base.CORE_KEYS:
            assert id(value) in kept, key


# ---------------------------------------------------------------------------------------------
# docs/schemas.md


class TestDocsPage:
    """The sample lines on docs/schemas.md are what the code writes for that record."""

    DOC = Path(__file__).resolve().parents[2] / "docs" / "schemas.md"
    SAMPLE_TRACEBACK = (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/payments.py", line 7, in checkout\n'
        "    charge(12.5)\n"
        '  File "/srv/app/payments.py", line 2, in charge\n'
        '    raise ValueError("card declined")\n'
        "ValueError: card declined\n"
    )

    def sample_record(self) -> dict[str, Any]:
        return {
            "timestamp": TS,
            "level": "error",
            "logger": "app.payments",
            "message": "charge failed",
            "file": "/srv/app/payments.py",
            "line": 9,
            "function": "checkout",
            "thread": 140245,
            "thread_name": "MainThread",
            "order_id": 1234,
            "amount": 12.5,
            "exception": {
                "type": "ValueError",
                "message": "card declined",
                "traceback": self.SAMPLE_TRACEBACK,
            },
        }

    def shown(self, heading: str) -> str:
        text = self.DOC.read_text(encoding="utf-8")
        match = re.search(rf"## {re.escape(heading)}\n\n```json\n(.*?)\n```", text, re.DOTALL)
        assert match is not None, heading
        return match.group(1)

    @pytest.mark.parametrize(
        ("name", "heading"),
        [
            ("ecs", "ECS (Elastic)"),
            ("gcp", "Google Cloud Logging"),
            ("datadog", "Datadog"),
            ("otel", "OpenTelemetry"),
        ],
    )
    def test_platform_samples(
        self, name: str, heading: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        pytest.importorskip("opentelemetry.sdk")
        from opentelemetry import trace

        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
        schema = get_schema(name)
        with trace.use_span(trace.NonRecordingSpan(span_context(trace))):
            line = dumps(schema.apply(self.sample_record(), 40))
        assert line.decode().rstrip("\n") == self.shown(heading)

    def test_mapping_sample(self) -> None:
        text = self.DOC.read_text(encoding="utf-8")
        match = re.search(r"## Your own key names\n.*?```json\n(.*?)\n```", text, re.DOTALL)
        assert match is not None
        schema = get_schema(
            {"timestamp": "ts", "level": "severity", "message": "msg", "logger": None}
        )
        record = {k: self.sample_record()[k] for k in ("timestamp", "level", "logger", "message")}
        record |= {"order_id": 1234, "amount": 12.5}
        assert dumps(schema.apply(record, 40)).decode().rstrip("\n") == match.group(1)
