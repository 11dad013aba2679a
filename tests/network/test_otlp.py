"""OTLPSink: every request decoded with the official opentelemetry-proto messages (the
``otlp_receiver`` fixture, tests/network/otlp.py) and each record checked field by field
against the JSON line fastlog wrote for it (the same pipeline also writes a file)."""

from __future__ import annotations

import calendar
import datetime
import logging
import logging.config
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loguru import logger as loguru_logger
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.sdk.trace import TracerProvider

import fastlog_core
import fastlog_structlog
from fastlog_core import ConfigError
from fastlog_core._network import otlp as _otlp
from fastlog_core._network.otlp import JsonEncoder, OTLPSink, ProtobufEncoder
from fastlog_loguru import FastlogSink
from fastlog_stdlib import FastlogHandler
from tests.helpers import read_lines, reset_loguru, reset_structlog, wait_until
from tests.network.otlp import JSON, PROTOBUF, OTLPReceiver, Record, decode, plain
from tests.network.receiver import Reply

INT64_MAX = 2**63 - 1

#: The SeverityNumber of each fastlog level (the data model's ranges; schema="otel"'s mapping).
SEVERITY = {"trace": 1, "debug": 5, "info": 9, "success": 10, "warning": 13, "error": 17,
            "critical": 21}  # fmt: skip


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No OTEL_* variable from the machine; the hosts' global state reset."""
    import os

    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    reset_loguru()
    reset_structlog()
    yield
    reset_loguru()
    reset_structlog()


@pytest.fixture
def tracer() -> Any:
    """A real SDK tracer (its spans are the current span inside ``start_as_current_span``)."""
    return TracerProvider().get_tracer("tests.otlp")


def nanos(text: str) -> int:
    """RFC 3339 ``...Z`` text as nanoseconds, computed apart from the sink's own parser."""
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return calendar.timegm(moment.utctimetuple()) * 10**9 + moment.microsecond * 1000


def expected_attributes(line: dict[str, Any]) -> dict[str, Any]:
    """The attributes a default-schema line must become (the mapping in otlp.py's docstring,
    written out again here)."""
    rest = {k: v for k, v in line.items() if k not in ("timestamp", "level", "logger", "message")}
    head: dict[str, Any] = {}
    if {"file", "line", "function"} <= rest.keys():
        head["code.file.path"] = rest.pop("file")
        head["code.line.number"] = rest.pop("line")
        head["code.function.name"] = rest.pop("function")
    if {"process", "process_name"} <= rest.keys():
        head["process.pid"] = rest.pop("process")
    if {"thread", "thread_name"} <= rest.keys():
        head["thread.id"] = rest.pop("thread")
        head["thread.name"] = rest.pop("thread_name")
    exc = rest.get("exception")
    if isinstance(exc, dict) and "traceback" in exc:
        del rest["exception"]
        head["exception.type"] = exc["type"]
        head["exception.message"] = exc["message"]
        head["exception.stacktrace"] = exc["traceback"]
    return {**head, **{k: expected_value(v) for k, v in rest.items()}}


def expected_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, float | str):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value <= INT64_MAX else str(value)
    if isinstance(value, dict):
        return {str(k): expected_value(v) for k, v in value.items()}
    return [expected_value(v) for v in value]


def check(record: Record, line: dict[str, Any], *, before: int, after: int) -> None:
    """*record* is *line* (default schema), field by field."""
    r = record.record
    assert r.time_unix_nano == nanos(line["timestamp"])
    assert r.time_unix_nano <= r.observed_time_unix_nano
    assert before <= r.observed_time_unix_nano <= after
    assert r.severity_text == line["level"].upper()
    assert r.severity_number == SEVERITY[line["level"]]
    assert record.scope == line["logger"]
    assert record.body == line["message"]
    assert r.body.WhichOneof("value") == "string_value"
    assert list(record.attributes.items()) == list(expected_attributes(line).items())
    assert (r.trace_id, r.span_id, r.flags) == (b"", b"", 0)


def check_all(records: list[Record], lines: list[dict[str, Any]], before: int) -> None:
    """Every record against every line, pairing them per logger (the sink groups a batch by
    logger; the order within each logger is kept)."""
    after = time.time_ns()
    assert len(records) == len(lines)
    by_scope: dict[str, list[Record]] = {}
    for record in records:
        by_scope.setdefault(record.scope, []).append(record)
    for scope, group in by_scope.items():
        mine = [line for line in lines if line["logger"] == scope]
        assert len(group) == len(mine), scope
        for record, line in zip(group, mine, strict=True):
            check(record, line, before=before, after=after)


def configure(receiver: OTLPReceiver, path: Path, **options: Any) -> OTLPSink:
    """The default pipeline writing both to the receiver and to *path* (what was logged)."""
    sink = OTLPSink(receiver.url, resource={"service.name": "tests"}, **options)
    fastlog_core.configure(sink=[sink, str(path)], level="debug")
    return sink


def flushed(path: Path) -> list[dict[str, Any]]:
    assert fastlog_core.flush(timeout=20)
    return read_lines(path)


# ---------------------------------------------------------------------------------------------
# From each logging API to the collector


class TestOTLPSinkAdapters:
    def test_native_api_every_kind_of_field(
        self, otlp_receiver: OTLPReceiver, log_path: Path
    ) -> None:
        """Native records: level, logger, message, every JSON type, nested values, an exception,
        bound and context fields, each attribute as its AnyValue."""
        before = time.time_ns()
        configure(otlp_receiver, log_path)
        log = fastlog_core.get_logger("billing")
        log.debug("d", n=-5, big=2**64 - 1, neg=-(2**63), f=0.1, t=True, no=False, none=None)
        log.info("charge ok", amount=12.5, user={"id": 42, "tags": ["a", "é", "日本"]}, empty="")
        log.bind(request_id="r-1").warning("slow", ms=870, nested={"a": {"b": [1, [2, {}]]}})
        try:
            raise ValueError("card declined")
        except ValueError:
            fastlog_core.get_logger("payments").exception("failed", order=7)
        with fastlog_core.context(tenant="acme"):
            log.critical("down", code=503)
        lines = flushed(log_path)
        records = otlp_receiver.wait_records(len(lines))
        check_all(records, lines, before)
        by_body = {r.body: r for r in records}
        assert by_body["d"].attributes == {
            "n": -5, "big": str(2**64 - 1), "neg": -(2**63), "f": 0.1, "t": True, "no": False,
            "none": None,
        }  # fmt: skip
        assert by_body["d"].record.attributes[-1].HasField("value")  # None: an empty AnyValue
        assert by_body["charge ok"].attributes["user"] == {"id": 42, "tags": ["a", "é", "日本"]}
        failed = by_body["failed"]
        assert failed.scope == "payments"
        assert failed.attributes["exception.type"] == "ValueError"
        assert failed.attributes["exception.message"] == "card declined"
        assert failed.attributes["exception.stacktrace"].endswith("ValueError: card declined\n")
        assert by_body["down"].attributes == {"tenant": "acme", "code": 503}
        assert {r.resource["service.name"] for r in records} == {"tests"}

    def test_stdlib_handler(self, otlp_receiver: OTLPReceiver, log_path: Path) -> None:
        """FastlogHandler records (extra fields, location, thread, exceptions, %-args)."""
        before = time.time_ns()
        sink = OTLPSink(otlp_receiver.url)
        handler = FastlogHandler(
            sink=[sink, str(log_path)], include_location=True, include_thread=True
        )
        log = logging.getLogger("tests.otlp.stdlib")
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
        log.propagate = False
        try:
            log.info("user %s in", "ann", extra={"user_id": 1, "roles": ["admin"]})
            logging.getLogger("tests.otlp.stdlib.db").warning("slow query")
            try:
                {}["missing"]
            except KeyError:
                log.error("lookup failed", exc_info=True)
            log.log(15, "level 15")
            lines = flushed(log_path)
            records = otlp_receiver.wait_records(len(lines))
        finally:
            log.removeHandler(handler)
        # level-15 has no name: severity by number (DEBUG2), the text as written
        by_body = {r.body: r for r in records}
        assert by_body["level 15"].record.severity_number == 6
        assert by_body["level 15"].record.severity_text == "LEVEL-15"
        check_all(
            [r for r in records if r.body != "level 15"],
            [line for line in lines if line["level"] != "level-15"],
            before,
        )
        first = by_body["user ann in"]
        assert first.attributes["user_id"] == 1 and first.attributes["roles"] == ["admin"]
        assert first.attributes["code.function.name"] == "test_stdlib_handler"
        assert first.attributes["code.file.path"] == __file__
        assert isinstance(first.attributes["code.line.number"], int)
        assert first.attributes["thread.name"] == "MainThread"
        assert "file" not in first.attributes and "thread_name" not in first.attributes
        assert by_body["lookup failed"].attributes["exception.type"] == "KeyError"
        assert by_body["slow query"].scope == "tests.otlp.stdlib.db"

    def test_structlog(self, otlp_receiver: OTLPReceiver, log_path: Path) -> None:
        """structlog through fastlog_structlog.configure."""
        before = time.time_ns()
        sink = OTLPSink(otlp_receiver.url)
        fastlog_structlog.configure(sink=[sink, str(log_path)], level="debug")
        log = structlog.get_logger("tests.otlp.structlog")
        log.info("user logged in", user_id=42, ip="10.0.0.1")
        log.bind(session="s1").error("denied", reasons=["expired", "revoked"])
        lines = flushed(log_path)
        records = otlp_receiver.wait_records(len(lines))
        check_all(records, lines, before)
        assert [r.body for r in records] == ["user logged in", "denied"]
        assert records[1].attributes == {"session": "s1", "reasons": ["expired", "revoked"]}

    def test_loguru(self, otlp_receiver: OTLPReceiver, log_path: Path) -> None:
        """loguru through FastlogSink: loguru's own levels (SUCCESS, TRACE) mapped by number."""
        before = time.time_ns()
        sink = OTLPSink(otlp_receiver.url)
        loguru_logger.remove()
        loguru_logger.add(FastlogSink([sink, str(log_path)]), level="TRACE")
        loguru_logger.bind(user_id=42).success("paid {}", "12.50")
        loguru_logger.trace("tick")
        loguru_logger.opt(exception=ZeroDivisionError("division by zero")).error("boom")
        lines = flushed(log_path)
        records = otlp_receiver.wait_records(len(lines))
        check_all(records, lines, before)
        assert [(r.record.severity_text, r.record.severity_number) for r in records] == [
            ("SUCCESS", 10),
            ("TRACE", 1),
            ("ERROR", 17),
        ]
        assert records[0].attributes["user_id"] == 42

    def test_scopes_group_loggers_and_keep_order(
        self, otlp_receiver: OTLPReceiver, log_path: Path
    ) -> None:
        """Interleaved loggers: one ScopeLogs per logger per request, in first-seen order,
        records in their order within it."""
        configure(otlp_receiver, log_path, batch_records=1000, batch_wait=60)
        names = ["a", "b", "c"]
        for i in range(30):
            fastlog_core.get_logger(names[i % 3]).info("m", i=i)
        flushed(log_path)
        otlp_receiver.wait_records(30)
        (message,) = otlp_receiver.accepted()
        (resource_logs,) = message.resource_logs
        assert [s.scope.name for s in resource_logs.scope_logs] == names
        for k, scope_logs in enumerate(resource_logs.scope_logs):
            numbers = [plain(r.attributes[0].value) for r in scope_logs.log_records]
            assert numbers == list(range(k, 30, 3))


# ---------------------------------------------------------------------------------------------
# Trace context


class TestTraceContext:
    def test_otel_schema_lines_carry_the_span(
        self, otlp_receiver: OTLPReceiver, tracer: Any, log_path: Path
    ) -> None:
        """With schema="otel" fastlog captures the current span in the caller; the sink moves
        its ids to the record's trace_id/span_id (bytes) and flags, and the rest of the
        schema's fields to theirs."""
        sink = OTLPSink(otlp_receiver.url)
        fastlog_core.configure(sink=[sink, str(log_path)], schema="otel", level="debug")
        log = fastlog_core.get_logger("traced")
        with tracer.start_as_current_span("checkout") as span:
            log.info("in span", order=1)
            try:
                raise RuntimeError("no stock")
            except RuntimeError:
                log.exception("failed")
            context = span.get_span_context()
        log.warning("outside")
        lines = flushed(log_path)
        records = otlp_receiver.wait_records(3)
        inside, failed, outside = records
        for record in (inside, failed):
            assert record.record.trace_id == context.trace_id.to_bytes(16, "big")
            assert record.record.span_id == context.span_id.to_bytes(8, "big")
            # the W3C flags byte: sampled (1), and the SDK's random-trace-id bit (2) if set
            assert record.record.flags == int(context.trace_flags) & 0xFF
            assert record.record.flags & 1
        assert (outside.record.trace_id, outside.record.span_id) == (b"", b"")
        for record, line in zip(records, lines, strict=True):
            assert record.record.time_unix_nano == int(line["Timestamp"])
            assert record.record.severity_text == line["SeverityText"]
            assert record.record.severity_number == line["SeverityNumber"]
            assert record.body == line["Body"]
            assert record.scope == "traced"
            assert record.attributes == line["Attributes"]
        assert failed.attributes["exception.type"] == "RuntimeError"
        assert inside.attributes == {"order": 1}

    def test_default_schema_trace_fields(
        self, otlp_receiver: OTLPReceiver, tracer: Any, log_path: Path
    ) -> None:
        """Default-schema lines with trace_id/span_id (hex) and trace_flags fields, as a
        structlog processor or a bind adds them: moved to the record's ids; malformed ones
        stay attributes."""
        configure(otlp_receiver, log_path)
        log = fastlog_core.get_logger("bound")
        with tracer.start_as_current_span("work") as span:
            ctx = span.get_span_context()
            ids = {
                "trace_id": format(ctx.trace_id, "032x"),
                "span_id": format(ctx.span_id, "016x"),
                "trace_flags": "01",
            }
            log.bind(**ids).info("bound ids")
        log.info("bad ids", trace_id="xyz", span_id="0" * 16)
        lines = flushed(log_path)
        good, bad = otlp_receiver.wait_records(2)
        assert good.record.trace_id == ctx.trace_id.to_bytes(16, "big")
        assert good.record.span_id == ctx.span_id.to_bytes(8, "big")
        assert good.record.flags == 1
        assert good.attributes == {}
        assert (bad.record.trace_id, bad.record.span_id) == (b"", b"")
        assert bad.attributes == {"trace_id": "xyz", "span_id": "0" * 16}
        assert lines[0]["trace_id"] == ids["trace_id"]


# ---------------------------------------------------------------------------------------------
# Encodings


class TestEncodings:
    def test_json_encoding(self, otlp_receiver: OTLPReceiver, log_path: Path) -> None:
        """encoding="json": OTLP/JSON (checked by the receiver: camelCase, enums as numbers,
        64-bit integers as strings, hex ids) parsed with json_format into the same records."""
        before = time.time_ns()
        configure(otlp_receiver, log_path, encoding="json")
        log = fastlog_core.get_logger("json")
        log.info("hello", n=2**63 - 1, u=2**64 - 1, f=-1.5, nested={"l": [None, True, "x"]})
        log.bind(trace_id="4bf92f3577b34da6a3ce929d0e0e4736", span_id="00f067aa0ba902b7").error(
            "traced"
        )
        lines = flushed(log_path)
        records = otlp_receiver.wait_records(2)
        assert otlp_receiver.http.requests[0].headers["content-type"] == JSON
        plain_lines = [dict(line) for line in lines]
        for line in plain_lines:
            line.pop("trace_id", None)
            line.pop("span_id", None)
        check(records[0], plain_lines[0], before=before, after=time.time_ns())
        assert records[0].attributes["u"] == str(2**64 - 1)
        assert records[1].record.trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert records[1].record.span_id.hex() == "00f067aa0ba902b7"
        body = orjson.loads(otlp_receiver.http.requests[0].body)
        log_record = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][1]
        assert log_record["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736"

    def test_gzip(self, otlp_receiver: OTLPReceiver, log_path: Path) -> None:
        """compression="gzip": the body is gzipped (Content-Encoding: gzip) and decodes."""
        configure(otlp_receiver, log_path, compression="gzip")
        for i in range(100):
            fastlog_core.get_logger("gz").info("same text again and again", i=i)
        lines = flushed(log_path)
        records = otlp_receiver.wait_records(100)
        request = otlp_receiver.http.requests[0]
        assert request.headers["content-encoding"] == "gzip"
        assert request.raw[:2] == b"\x1f\x8b" and len(request.raw) < len(request.body)
        check_all(records, lines, time.time_ns() - 60 * 10**9)

    def test_a_line_that_is_not_json(self) -> None:
        """A line that is no JSON object (another encoder's): its text as the body."""
        encoder = ProtobufEncoder({"service.name": "x"})
        message = ExportLogsServiceRequest.FromString(
            encoder.encode([b"level=info msg=hi", b"[1, 2]"], 5)
        )
        records = message.resource_logs[0].scope_logs[0].log_records
        assert [plain(r.body) for r in records] == ["level=info msg=hi", "[1, 2]"]
        assert [r.observed_time_unix_nano for r in records] == [5, 5]

    @pytest.mark.parametrize(
        ("timestamp", "expected", "kept"),
        [
            ("2026-01-02T03:04:05.123456Z", 1767323045123456000, False),
            ("2026-01-02T03:04:05+01:00", 1767319445000000000, False),
            ("2026-01-02T03:04:05", 1767323045000000000, False),  # naive: UTC
            (1767323045.5, 1767323045500000000, False),  # POSIX seconds
            ("1969-12-31T23:59:59.000000Z", 0, True),  # before the epoch: no time
            ("yesterday", 0, True),
        ],
    )
    def test_timestamps(self, timestamp: Any, expected: int, kept: bool) -> None:
        """Fastlog's RFC 3339 form and others; one that is no time is kept as an attribute
        and the record has no time (the collector then uses the observed time)."""
        line = orjson.dumps(
            {"timestamp": timestamp, "level": "info", "logger": "t", "message": "m"}
        )
        for encoder, parse in ((ProtobufEncoder({}), _parse_pb), (JsonEncoder({}), _parse_json)):
            (record,) = parse(encoder.encode([line], 7))
            assert record.time_unix_nano == expected
            attributes = {kv.key: plain(kv.value) for kv in record.attributes}
            assert attributes == ({"timestamp": timestamp} if kept else {})

    def test_many_seconds_in_one_batch(self) -> None:
        """The per-second cache: records across many seconds, each time exact."""
        stamps = [f"2026-03-0{d}T1{h}:0{m}:5{s}.{u:06d}Z" for d, h, m, s, u in
                  [(1, 0, 0, 0, 0), (1, 0, 0, 0, 999999), (1, 0, 0, 1, 1), (2, 9, 9, 9, 5),
                   (1, 0, 0, 0, 7)]]  # fmt: skip
        lines = [
            orjson.dumps({"timestamp": t, "level": "info", "logger": "t", "message": "m"})
            for t in stamps
        ]
        records = _parse_pb(ProtobufEncoder({}).encode(lines, 1))
        assert [r.time_unix_nano for r in records] == [nanos(t) for t in stamps]

    @pytest.mark.parametrize(
        ("level", "number", "text"),
        [("trace", 1, "TRACE"), ("debug", 5, "DEBUG"), ("info", 9, "INFO"),
         ("success", 10, "SUCCESS"), ("warning", 13, "WARNING"), ("error", 17, "ERROR"),
         ("critical", 21, "CRITICAL"), ("level-15", 6, "LEVEL-15"), ("level-45", 18, "LEVEL-45"),
         ("level-70", 24, "LEVEL-70"), ("level-0", 1, "LEVEL-0"), ("verbose", 0, "VERBOSE")],
    )  # fmt: skip
    def test_severity(self, level: str, number: int, text: str) -> None:
        """Severity number by the data model's ranges (as schema="otel"), text upper case; a
        name fastlog cannot read: number 0 (unspecified), text kept."""
        line = orjson.dumps({"timestamp": "2026-01-01T00:00:00.000001Z", "level": level,
                             "logger": "s", "message": "m"})  # fmt: skip
        for encoder, parse in ((ProtobufEncoder({}), _parse_pb), (JsonEncoder({}), _parse_json)):
            (record,) = parse(encoder.encode([line], 1))
            assert (record.severity_number, record.severity_text) == (number, text)


def _parse_pb(data: bytes) -> list[Any]:
    message = ExportLogsServiceRequest.FromString(data)
    assert message.SerializeToString() == data
    return [r for s in message.resource_logs[0].scope_logs for r in s.log_records]


def _parse_json(data: bytes) -> list[Any]:
    from tests.network.receiver import Request

    message = decode(Request("POST", "/v1/logs", {"content-type": JSON}, data, data))
    return [r for s in message.resource_logs[0].scope_logs for r in s.log_records]


# ---------------------------------------------------------------------------------------------
# The encoder's bytes, for any attribute tree (hypothesis)

RESERVED = {"timestamp", "level", "logger", "message", "trace_id", "span_id", "trace_flags",
            "file", "line", "function", "process", "process_name", "thread", "thread_name",
            "exception", "Timestamp"}  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what a JSON line can hold
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
trees = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=24,
)
field_names = st.text(min_size=1, max_size=12).filter(lambda k: k not in RESERVED)


def ordered(value: Any) -> Any:
    """Dicts as lists of pairs, so comparisons see the order of keys too."""
    if isinstance(value, dict):
        return [[k, ordered(v)] for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [ordered(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN and types compared (True is not 1)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class TestEncoderProperties:
    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.recursive(
            scalars | st.integers() | st.floats(),  # any int (beyond 64 bits), NaN, infinities
            lambda children: (
                st.lists(children, max_size=4)
                | st.dictionaries(st.text(max_size=10), children, max_size=4)
            ),
            max_leaves=24,
        )
    )
    def test_any_value(self, value: Any) -> None:
        """Any Python JSON-like tree -> AnyValue bytes that protobuf parses into exactly the
        expected value and writes back byte for byte: ints outside int64 as decimal strings,
        None as an empty AnyValue, dicts as kvlists (order kept), lists as arrays."""
        data = _otlp.any_value(value, {})
        parsed = AnyValue.FromString(data)
        assert parsed.SerializeToString() == data
        assert same(ordered(plain(parsed)), ordered(expected_value(value)))
        as_json = json_format.Parse(orjson.dumps(_otlp.any_json(value)), AnyValue())
        assert same(ordered(plain(as_json)), ordered(expected_value(value)))

    @settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.dictionaries(field_names, trees, max_size=6),
        st.text(),
        st.text(min_size=0, max_size=20),
        st.datetimes(
            min_value=datetime.datetime(1970, 1, 1), max_value=datetime.datetime(2200, 1, 1)
        ),
    )
    def test_lines(
        self, fields: dict[str, Any], message: str, logger: str, moment: datetime.datetime
    ) -> None:
        """Whole lines through both encoders: each record's time, body, scope and attributes
        are exactly the line's."""
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        line = orjson.dumps(
            {"timestamp": stamp, "level": "info", "logger": logger, "message": message, **fields}
        )
        for encoder, parse in ((ProtobufEncoder({}), _parse_pb), (JsonEncoder({}), _parse_json)):
            (record,) = parse(encoder.encode([line, line][:1], 1))
            assert record.time_unix_nano == nanos(stamp)
            assert plain(record.body) == message
            attributes = [(kv.key, plain(kv.value)) for kv in record.attributes]
            assert same(ordered(attributes), ordered(expected_value(fields)))

    @settings(max_examples=50)
    @given(st.lists(st.sampled_from(["a", "b", "", "c.d"]), min_size=1, max_size=40))
    def test_scopes(self, loggers: list[str]) -> None:
        """A batch of records from several loggers: one ScopeLogs each, first-seen order,
        records in order within each."""
        lines = [
            orjson.dumps({"timestamp": "2026-01-01T00:00:00.000001Z", "level": "info",
                          "logger": name, "message": str(i)})
            for i, name in enumerate(loggers)
        ]  # fmt: skip
        message = ExportLogsServiceRequest.FromString(ProtobufEncoder({}).encode(lines, 1))
        scopes = message.resource_logs[0].scope_logs
        assert [s.scope.name for s in scopes] == list(dict.fromkeys(loggers))
        for scope in scopes:
            expected = [str(i) for i, name in enumerate(loggers) if name == scope.scope.name]
            assert [plain(r.body) for r in scope.log_records] == expected


# ---------------------------------------------------------------------------------------------
# Configuration: arguments and the OTEL_* environment variables


class TestConfiguration:
    def test_endpoint_rules(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The base URL gets /v1/logs; the logs-specific variable is used as it is."""
        assert OTLPSink().url == "http://localhost:4318/v1/logs"
        assert OTLPSink("http://c:4318").url == "http://c:4318/v1/logs"
        assert OTLPSink("http://c:4318/").url == "http://c:4318/v1/logs"
        assert OTLPSink("https://c/otlp").url == "https://c/otlp/v1/logs"
        assert OTLPSink("http://c:4318/v1/logs").url == "http://c:4318/v1/logs"
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://gen:4318/base")
        assert OTLPSink().url == "http://gen:4318/base/v1/logs"
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:9999/custom")
        assert OTLPSink().url == "http://logs:9999/custom"
        assert OTLPSink("http://arg:1").url == "http://arg:1/v1/logs"  # the argument wins
        assert repr(OTLPSink("http://u:secret@c:1")) == "OTLPSink('http://u:***@c:1/v1/logs')"

    def test_environment_reaches_the_collector(
        self, otlp_receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """ENDPOINT, HEADERS (percent-decoded), COMPRESSION, PROTOCOL and the resource
        variables, as the receiver sees them."""
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_receiver.url)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b%2Cc, x-team = core ,bad")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "gzip")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "none")  # the LOGS_ one wins
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        monkeypatch.setenv(
            "OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs,deployment.environment=prod%2Feu"
        )
        monkeypatch.setenv("OTEL_SERVICE_NAME", "checkout")
        sink = OTLPSink()
        fastlog_core.configure(sink=sink)
        fastlog_core.get_logger("env").info("hi")
        assert fastlog_core.flush(timeout=20)
        (record,) = otlp_receiver.wait_records(1)
        request = otlp_receiver.http.requests[0]
        assert request.headers["api-key"] == "a b,c"
        assert request.headers["x-team"] == "core"
        assert request.headers["content-encoding"] == "gzip"
        assert request.headers["content-type"] == JSON
        assert request.headers["user-agent"].startswith("fastlog/")
        assert record.resource["service.name"] == "checkout"  # OTEL_SERVICE_NAME wins
        assert record.resource["deployment.environment"] == "prod/eu"
        assert record.resource["telemetry.sdk.name"] == "fastlog"
        assert record.resource["telemetry.sdk.language"] == "python"

    def test_sink_url(self, otlp_receiver: OTLPReceiver) -> None:
        """By URL in a sink dict (``otlp+http://``), the dict's other keys as the options;
        a misspelt option fails at configure time, naming it."""
        url = "otlp+" + otlp_receiver.url
        fastlog_core.configure(
            sink={"sink": url, "resource": {"service.name": "by-url"}, "encoding": "json"}
        )
        fastlog_core.get_logger("url").warning("by url", n=1)
        assert fastlog_core.flush(timeout=20)
        (record,) = otlp_receiver.wait_records(1)
        assert otlp_receiver.http.requests[0].headers["content-type"] == JSON
        assert record.resource["service.name"] == "by-url"
        assert (record.scope, record.body, record.attributes) == ("url", "by url", {"n": 1})
        assert record.record.severity_text == "WARNING"
        fastlog_core.shutdown()
        with pytest.raises(ConfigError, match="resorce"):
            fastlog_core.configure(sink={"sink": url, "resorce": {}})

    def test_dictconfig(self, otlp_receiver: OTLPReceiver) -> None:
        """stdlib's dictConfig: a FastlogHandler whose sink is an OTLP URL with options."""
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "handlers": {
                    "otlp": {
                        "class": "fastlog_stdlib.FastlogHandler",
                        "sink": {
                            "sink": "otlp+" + otlp_receiver.url,
                            "resource": {"service.name": "dictconfig"},
                        },
                    }
                },
                "loggers": {"dc.app": {"handlers": ["otlp"], "level": "INFO", "propagate": False}},
            }
        )
        logger = logging.getLogger("dc.app")
        try:
            logger.debug("below the level")
            logger.info("configured", extra={"n": 2})
            logger.handlers[0].flush()
            (record,) = otlp_receiver.wait_records(1)
        finally:
            for handler in logger.handlers[:]:
                logger.removeHandler(handler)
                handler.close()
        assert record.resource["service.name"] == "dictconfig"
        assert (record.scope, record.body, record.attributes["n"]) == ("dc.app", "configured", 2)

    def test_arguments_win_over_the_environment(
        self, otlp_receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "a=env")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2500")
        monkeypatch.setenv("OTEL_SERVICE_NAME", "env-name")
        monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "team=env")
        sink = OTLPSink(
            otlp_receiver.url,
            headers={"a": "arg"},
            compression="none",
            encoding="protobuf",
            timeout=3,
            resource={"service.name": "arg-name"},
        )
        assert sink.timeout == 3.0
        fastlog_core.configure(sink=sink)
        fastlog_core.get_logger("env").info("hi")
        assert fastlog_core.flush(timeout=20)
        (record,) = otlp_receiver.wait_records(1)
        request = otlp_receiver.http.requests[0]
        assert request.headers["a"] == "arg"
        assert "content-encoding" not in request.headers
        assert request.headers["content-type"] == PROTOBUF
        assert record.resource["service.name"] == "arg-name"
        assert record.resource["team"] == "env"  # the argument adds to the environment's

    def test_timeout_is_milliseconds(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2500")
        assert OTLPSink().timeout == 2.5
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "750")
        assert OTLPSink().timeout == 0.75
        assert OTLPSink(timeout=4).timeout == 4.0

    def test_default_service_name(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """No service.name anywhere: unknown_service:<executable>, as the spec asks; the
        service.name of OTEL_RESOURCE_ATTRIBUTES when OTEL_SERVICE_NAME is unset."""
        import os
        import sys

        name = OTLPSink().resource["service.name"]
        assert name == f"unknown_service:{os.path.basename(sys.executable)}"
        monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=attrs,k=v=w, =x")
        assert OTLPSink().resource["service.name"] == "attrs"
        assert OTLPSink().resource["k"] == "v=w"

    def test_certificates_from_the_environment(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """CERTIFICATE is the CA file for https; a missing file is a ConfigError."""
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tmp_path / "missing.pem"))
        OTLPSink("http://c:4318")  # not https: not read
        with pytest.raises(ConfigError, match="TLS"):
            OTLPSink("https://c:4318")

    @pytest.mark.parametrize(
        ("variable", "value", "match"),
        [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "OTEL_EXPORTER_OTLP_PROTOCOL='grpc'.*not gRPC"),
            ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "thrift", "'http/protobuf' or 'http/json'"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", "OTEL_EXPORTER_OTLP_COMPRESSION='zstd'"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon", "milliseconds"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "0", "milliseconds"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "grpc://c:4317", "OTEL_EXPORTER_OTLP_ENDPOINT="),
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "c:4318", "http:// or https://"),
        ],
    )
    def test_bad_environment(
        self, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, match: str
    ) -> None:
        """A bad variable: ConfigError naming it and the accepted values."""
        monkeypatch.setenv(variable, value)
        with pytest.raises(ConfigError, match=match):
            OTLPSink()

    @pytest.mark.parametrize(
        ("options", "match"),
        [
            ({"encoding": "xml"}, "encoding='xml': expected 'protobuf' or 'json'"),
            ({"compression": "zip"}, "compression='zip': expected 'gzip' or 'none'"),
            ({"timeout": 0}, "timeout=0"),
            ({"timeout": "5"}, "timeout='5'"),
            ({"endpoint": "ftp://c"}, "endpoint='ftp://c'"),
            ({"endpoint": "grpc://c:4317"}, "gRPC is not supported"),
            ({"headers": {"a": 1}}, "headers="),
            ({"resource": ["service.name"]}, "resource="),
            ({"resource": {1: "x"}}, "resource="),
            ({"batch_records": 0}, "batch_records=0"),
        ],
    )
    def test_bad_arguments(self, options: dict[str, Any], match: str) -> None:
        with pytest.raises(ConfigError, match=match):
            OTLPSink(**options)


# ---------------------------------------------------------------------------------------------
# The collector's answers


def sink_with_records(
    receiver: OTLPReceiver, count: int, **options: Any
) -> tuple[OTLPSink, list[bytes]]:
    """A sink (not in a pipeline: written to directly, in one batch) and its lines."""
    sink = OTLPSink(receiver.url, batch_records=count, batch_wait=60, **options)
    lines = [
        orjson.dumps({"timestamp": "2026-01-01T00:00:00.000001Z", "level": "info",
                      "logger": "answers", "message": f"m{i}", "i": i})
        for i in range(count)
    ]  # fmt: skip
    sink.write(b"\n".join(lines) + b"\n")
    return sink, lines


def stderr_until(capfd: pytest.CaptureFixture[str], text: str) -> str:
    """fastlog's stderr once it holds *text* (the sender reports after counting)."""
    seen: list[str] = []

    def found() -> bool:
        seen.append(capfd.readouterr().err)
        return text in "".join(seen)

    wait_until(found, message=f"{text!r} on stderr")
    return "".join(seen)


def bodies(message: ExportLogsServiceRequest) -> list[str]:
    return [
        plain(r.body)
        for resource_logs in message.resource_logs
        for s in resource_logs.scope_logs
        for r in s.log_records
    ]


class TestAnswers:
    @pytest.mark.parametrize("kind", [PROTOBUF, JSON])
    def test_partial_success(
        self, otlp_receiver: OTLPReceiver, kind: str, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A 200 whose partial_success rejects 3 of 10: 7 delivered, 3 lost with the
        collector's message (reported, and told in the stream by the next batch's note);
        not retried."""
        otlp_receiver.script.append(OTLPReceiver.partial(3, "attribute value too long", kind=kind))
        sink, _ = sink_with_records(
            otlp_receiver, 10, encoding="json" if kind == JSON else "protobuf"
        )
        try:
            assert sink.drain(20)
            stats = sink.delivery_stats()
            assert (stats["delivered"], stats["lost"], stats["retried"]) == (7, 3, 0)
            assert stats["sent"] == stats["delivered"] + stats["lost"] + stats["queued"]
            stderr_until(capfd, "the collector rejected 3 of 10 records: attribute value too long")
            sink.write(
                b'{"timestamp":"2026-01-01T00:00:01.000000Z","level":"info","logger":"x","message":"next"}\n'
            )
            assert sink.drain(20)
            otlp_receiver.http.wait_for(lambda requests: len(requests) == 2)
            note, after = bodies(otlp_receiver.accepted()[1])
            assert note.startswith("3 records lost by OTLPSink(") and "too long" in note
            assert after == "next"
            assert len(otlp_receiver.http.requests) == 2
        finally:
            sink.close()

    def test_partial_success_warning_only(
        self, otlp_receiver: OTLPReceiver, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """partial_success with 0 rejected and a message: all delivered, the warning reported."""
        otlp_receiver.script.append(OTLPReceiver.partial(0, "deprecated attribute"))
        sink, _ = sink_with_records(otlp_receiver, 4)
        try:
            assert sink.drain(20)
            assert sink.delivery_stats()["delivered"] == 4
            assert sink.delivery_stats()["lost"] == 0
            stderr_until(capfd, "the collector says: deprecated attribute")
        finally:
            sink.close()

    @pytest.mark.parametrize(
        ("status", "kind"), [(429, PROTOBUF), (503, JSON), (502, PROTOBUF), (504, PROTOBUF)]
    )
    def test_retryable_with_retry_after(
        self, otlp_receiver: OTLPReceiver, status: int, kind: str
    ) -> None:
        """429/502/503/504 with Retry-After: 1: the same batch again after at least a second,
        then accepted; none lost, the retry counted."""
        times: list[float] = []
        refusal = OTLPReceiver.status(status, "slow down", retry_after="1", kind=kind)
        refusal.before = lambda _: times.append(time.monotonic())
        otlp_receiver.script.append(refusal)
        otlp_receiver.script.append(Reply(before=lambda _: times.append(time.monotonic())))
        sink, _ = sink_with_records(
            otlp_receiver, 20, encoding="json" if kind == JSON else "protobuf"
        )
        try:
            otlp_receiver.http.wait_for(lambda requests: len(requests) == 1)
            wait_until(lambda: sink.delivery_stats()["delivered"] == 20)
            stats = sink.delivery_stats()
            assert (stats["lost"], stats["retried"], stats["failures"]) == (0, 20, 1)
            (refused,) = otlp_receiver.http.refused
            (accepted,) = otlp_receiver.accepted()
            assert bodies(decode(refused)) == bodies(accepted) == [f"m{i}" for i in range(20)]
            assert times[1] - times[0] >= 1.0
        finally:
            sink.close()

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
    def test_refused_not_retried(
        self, otlp_receiver: OTLPReceiver, status: int, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """Any other status (400, and 500 too, as the OTLP spec says): not retried, the batch
        lost, the Status message of the collector reported."""
        otlp_receiver.script.append(OTLPReceiver.status(status, "field body: invalid UTF-8"))
        sink, _ = sink_with_records(otlp_receiver, 5)
        try:
            wait_until(lambda: sink.delivery_stats()["lost"] == 5)
            assert sink.drain(20)
            stats = sink.delivery_stats()
            assert (stats["delivered"], stats["retried"], stats["failures"]) == (0, 0, 0)
            otlp_receiver.http.wait_for(lambda _: len(otlp_receiver.http.refused) == 1)
            assert not otlp_receiver.http.requests
            err = stderr_until(capfd, ": field body: invalid UTF-8")
            assert f"lost 5 records: HTTP {status} " in err
        finally:
            sink.close()

    def test_too_large_splits(self, otlp_receiver: OTLPReceiver) -> None:
        """413: the batch is split in two halves, each sent; nothing lost."""
        otlp_receiver.script.append(OTLPReceiver.status(413, "request too large"))
        sink, _ = sink_with_records(otlp_receiver, 8)
        try:
            otlp_receiver.wait_records(8)
            first, second = otlp_receiver.accepted()
            assert bodies(first) == [f"m{i}" for i in range(4)]
            assert bodies(second) == [f"m{i}" for i in range(4, 8)]
            assert sink.delivery_stats()["lost"] == 0
        finally:
            sink.close()

    def test_a_proxy_error_page(
        self, otlp_receiver: OTLPReceiver, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """An error body that is no Status (a proxy's text): its start is the message."""
        otlp_receiver.script.append(
            Reply(403, b"<html>forbidden by proxy</html>", {"Content-Type": "text/html"})
        )
        sink, _ = sink_with_records(otlp_receiver, 2)
        try:
            stderr_until(capfd, "HTTP 403 Forbidden: <html>forbidden by proxy</html>")
            assert sink.delivery_stats()["lost"] == 2
        finally:
            sink.close()


# ---------------------------------------------------------------------------------------------
# The documentation's examples (docs/network/otlp.md)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "network" / "otlp.md"


def doc_blocks(kind: str) -> dict[str, str]:
    import re

    pattern = re.compile(rf"<!-- {kind}: (\S+) -->\s*\n```\w*\n(.*?)^```", re.DOTALL | re.MULTILINE)
    return dict(pattern.findall(DOCS.read_text()))


class TestDocs:
    @pytest.mark.parametrize("name", ["otlp-native", "otlp-env", "otlp-traced"])
    def test_examples_run(
        self, otlp_receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch, name: str
    ) -> None:
        """Each example, as printed but for the collector's address (the environment's, or
        the host in the text replaced by the receiver's), delivers its records."""
        monkeypatch.setattr(fastlog_core, "OTLPSink", OTLPSink, raising=False)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_receiver.url)
        code = doc_blocks("test")[name].replace("http://collector:4318", otlp_receiver.url)
        exec(compile(code, f"{DOCS.name}:{name}", "exec"), {"__name__": "__main__"})
        records = otlp_receiver.wait_records(1)
        assert len(records) == 1
        if name == "otlp-traced":
            assert len(records[0].record.trace_id) == 16
            assert records[0].attributes == {"amount": 12.5}
        if name == "otlp-native":
            assert records[0].resource["service.name"] == "billing"
            assert records[0].attributes == {"amount": 12.5, "user": {"id": 42, "tier": "gold"}}

    def test_collector_config_is_valid_yaml_for_this_sink(self) -> None:
        """The collector configuration parses, receives OTLP/HTTP on 4318 and routes logs.
        (No collector runs here: the OTLP requests themselves are checked against the
        official messages by every other test.)"""
        import yaml

        config = yaml.safe_load(doc_blocks("file")["otelcol.yaml"])
        assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
        logs = config["service"]["pipelines"]["logs"]
        assert logs["receivers"] == ["otlp"]
        assert set(logs["exporters"]) <= set(config["exporters"])
        assert set(logs["processors"]) <= set(config["processors"])
