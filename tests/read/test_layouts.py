"""Per-line layout detection and normalisation (``fastlog_read.parse_line``)."""

from __future__ import annotations

import collections.abc
import datetime
import time

import pytest

from fastlog_core.adapter import levelno_of as core_levelno_of
from fastlog_read import Record, parse_line
from fastlog_read._levels import _BY_NAME, levelno_of
from fastlog_read._times import parse_time

UTC = datetime.UTC
T0 = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_level_table_agrees_with_the_core() -> None:
    for name in [*_BY_NAME, "level-33", "LEVEL-7", "WARNING", "Fatal4", "verbose"]:
        assert levelno_of(name) == core_levelno_of(name), name


EXC = {"type": "E", "message": "m", "traceback": "Traceback\nE: m\n"}
# One record as each of fastlog's schemas writes it (copied from files fastlog wrote).
LINES = {
    "fastlog": b'{"timestamp":"2026-12-07T10:00:00.000000Z","level":"warning","logger":"app.db",'
    b'"message":"slow","ms":812,"user":{"id":7},'
    b'"exception":{"type":"E","message":"m","traceback":"Traceback\\nE: m\\n"}}',
    "ecs": b'{"@timestamp":"2026-12-07T10:00:00.000000Z","log.level":"warning","message":"slow",'
    b'"ecs":{"version":"1.6.0"},"log":{"logger":"app.db"},'
    b'"error":{"type":"E","message":"m","stack_trace":"Traceback\\nE: m\\n"},'
    b'"ms":812,"user":{"id":7}}',
    "gcp": b'{"severity":"WARNING","message":"slow","time":"2026-12-07T10:00:00.000000Z",'
    b'"logging.googleapis.com/labels":{"python_logger":"app.db"},'
    b'"stack_trace":"Traceback\\nE: m\\n","ms":812,"user":{"id":7}}',
    "datadog": b'{"timestamp":"2026-12-07T10:00:00.000000Z","status":"warning","message":"slow",'
    b'"logger.name":"app.db","error.kind":"E","error.message":"m",'
    b'"error.stack":"Traceback\\nE: m\\n",'
    b'"ms":812,"user":{"id":7}}',
    "otel": b'{"Timestamp":"1796637600000000000","SeverityText":"WARN","SeverityNumber":13,'
    b'"Body":"slow",'
    b'"InstrumentationScope":{"Name":"app.db"},"Attributes":{"exception.type":"E",'
    b'"exception.message":"m","exception.stacktrace":"Traceback\\nE: m\\n",'
    b'"ms":812,"user":{"id":7}}}',
}


@pytest.mark.parametrize("layout", list(LINES))
def test_every_fastlog_schema_normalises_to_the_same_record(layout: str) -> None:
    line = LINES[layout]
    assert parse_line(line, "x.log") == Record(
        T0,
        "warning",
        30,
        "app.db",
        "slow",
        EXC,
        {"ms": 812, "user": {"id": 7}},
        None,
        layout,
        line,
        "x.log",
    )


def test_trace_ids_per_layout() -> None:
    assert (
        parse_line(
            b'{"@timestamp":"2026-12-07T10:00:00Z","log.level":"info","message":"m",'
            b'"trace.id":"abc"}'
        ).trace_id
        == "abc"
    )
    gcp = (
        b'{"severity":"INFO","message":"m","logging.googleapis.com/trace":"projects/p/traces/0af7"}'
    )
    assert parse_line(gcp).trace_id == "0af7"
    assert (
        parse_line(b'{"timestamp":"x","status":"info","message":"m","dd.trace_id":"42"}').trace_id
        == "42"
    )
    assert (
        parse_line(b'{"Timestamp":"1","SeverityNumber":9,"Body":"m","TraceId":"ff"}').trace_id
        == "ff"
    )


def test_structlog_lines() -> None:
    # json.dumps separators, user fields first, a string traceback (format_exc_info)
    line = (
        b'{"ms": 3, "event": "boom", "level": "error", "logger": "app", '
        b'"timestamp": "2026-12-07T10:00:00Z", "exception": "Traceback\\nValueError: bad\\n"}'
    )
    assert parse_line(line) == Record(
        T0, "error", 40, "app", "boom",
        {"type": "ValueError", "message": "bad", "traceback": "Traceback\nValueError: bad\n"},
        {"ms": 3}, None, "structlog", line,
    )  # fmt: skip
    # dict_tracebacks
    frames = (
        b'[{"exc_type": "ZeroDivisionError", "exc_value": "division by zero", "frames": '
        b'[{"filename": "/srv/a.py", "lineno": 2, "name": "f"}]}]'
    )
    record = parse_line(b'{"event": "x", "level": "exception", "exception": ' + frames + b"}")
    assert record.levelno == 40
    assert record.exception == {
        "type": "ZeroDivisionError",
        "message": "division by zero",
        "traceback": 'Traceback (most recent call last):\n  File "/srv/a.py", line 2, in f\n'
        "ZeroDivisionError: division by zero\n",
    }
    # a naive local timestamp is read as UTC; NaN (json.dumps) still parses
    naive = parse_line(
        b'{"event": "x", "level": "info", "timestamp": "2026-12-07T10:00:00", "v": NaN}'
    )
    assert naive.time == T0
    assert naive.layout == "structlog"


def test_loguru_and_pjl() -> None:
    line = (
        b'{"text": "2026-12-07 10:00:00.000 | ERROR | m:f:1 - failed\\n'
        b'Traceback\\nValueError: bad\\n", '
        b'"record": {"elapsed": {"repr": "0:00:00", "seconds": 0.1}, '
        b'"exception": {"type": "ValueError", '
        b'"value": "bad", "traceback": true}, "extra": {"order_id": 1}, "level": {"icon": "x", '
        b'"name": "ERROR", "no": 40}, "message": "failed", "name": "app.pay", '
        b'"time": {"repr": "2026-12-07 10:00:00+00:00", "timestamp": 1796637600.0}}}'
    )
    assert parse_line(line) == Record(
        T0, "error", 40, "app.pay", "failed",
        {"type": "ValueError", "message": "bad", "traceback": "Traceback\nValueError: bad\n"},
        {"order_id": 1}, None, "loguru", line,
    )  # fmt: skip
    pjl = (
        b'{"asctime": "2026-12-07 10:00:00,000", "levelname": "WARNING", "name": "db", '
        b'"message": "slow", "ms": 9, "exc_info": "Traceback\\nOSError: x"}'
    )
    record = parse_line(pjl)
    parts = (record.time, record.level, record.logger, record.message, record.fields)
    assert (*parts, record.layout) == (
        T0, "warning", "db", "slow", {"ms": 9}, "pjl"
    )  # fmt: skip
    assert record.exception == {
        "type": "OSError",
        "message": "x",
        "traceback": "Traceback\nOSError: x",
    }


def test_logfmt_text_bom_crlf_and_odd_lines() -> None:
    logfmt = (
        b'timestamp=2026-12-07T10:00:00Z level=info logger=app message="hi there" n=3 ok=true x=1.5'
    )
    record = parse_line(logfmt)
    parts = (record.time, record.level, record.logger, record.message, record.fields)
    assert (*parts, record.layout) == (
        T0, "info", "app", "hi there", {"n": 3, "ok": True, "x": 1.5}, "logfmt"
    )  # fmt: skip
    for text in (b"plain words", b"a=1", b"{not json", b"[1, 2]", b'{"no": "known keys"}', b""):
        assert parse_line(text).layout == "text", text
    bom = parse_line(b'\xef\xbb\xbf{"level":"info","msg":"hi"}\r')
    assert (bom.level, bom.message, bom.layout, bom.raw) == (
        "info",
        "hi",
        "json",
        b'\xef\xbb\xbf{"level":"info","msg":"hi"}\r',
    )
    # epoch numbers by magnitude
    for stamp in (b"1796637600", b"1796637600000", b"1796637600000000", b"1796637600000000000"):
        assert parse_line(b'{"level":"info","msg":"m","ts":' + stamp + b"}").time == T0
    # a level of an unexpected type does not raise
    assert parse_line(b'{"level":["x"],"msg":"m"}').levelno is None


@pytest.fixture
def india(monkeypatch: pytest.MonkeyPatch) -> collections.abc.Iterator[None]:
    """The process's local zone set to Asia/Kolkata (UTC+05:30, no DST) for the test."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("india")
def test_naive_times_are_local_and_bounds_are_utc() -> None:
    """A naive stamp in a line is the writer's local time (Python's asctime); a naive
    ``--since`` is in the display zone, UTC."""
    pjl = parse_line(b'{"asctime": "2026-12-07 15:30:00,250", "levelname": "INFO", "message": "x"}')
    assert pjl.time == T0.replace(microsecond=250000)
    structlog = parse_line(b'{"event": "x", "level": "info", "timestamp": "2026-12-07T15:30:00"}')
    assert structlog.time == T0
    aware = parse_line(b'{"event": "x", "level": "info", "timestamp": "2026-12-07T15:30:00+05:30"}')
    assert aware.time == T0
    assert parse_time("2026-12-07 10:00", "--since", T0) == T0
