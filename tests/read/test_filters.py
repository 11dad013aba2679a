"""Filters, the byte prefilter and merging (``fastlog_read``)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastlog_read import FilterError, Record, merge, parse_filter, parse_line, read
from fastlog_read._reader import _candidates

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 7, 10, 5, tzinfo=UTC)


def rec(**kw: object) -> Record:
    base: dict[str, object] = {
        "time": None,
        "level": None,
        "levelno": None,
        "logger": None,
        "message": None,
    }
    return Record(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "fields", "kept"),
    [
        ("user_id=42", {"user_id": 42}, True),
        ("user_id=42", {"user_id": "42"}, True),
        ("user_id=42", {"user_id": 43}, False),
        ("ok=true", {"ok": True}, True),
        ("v=null", {"v": None}, True),
        ("user_id!=42", {}, True),
        ("ms>500", {"ms": "812"}, True),
        ("ms>500", {"ms": "fast"}, False),
        ("ms>500", {"ms": True}, False),
        ("ms<=1.5", {"ms": 1.5}, True),
        ("user.id=7", {"user": {"id": 7}}, True),
        ("log.origin.file=a.py", {"log": {"origin.file": "a.py"}}, True),
        ("trace.id=ab", {"trace.id": "ab"}, True),
        ("path~^/api", {"path": "/api/x"}, True),
        ("path~^/api", {"path": "/web"}, False),
        ("n~^4", {"n": 42}, True),
        ("user", {"user": None}, True),
        ("user", {}, False),
        ("message~boom", {}, True),
    ],
)
def test_predicates(expr: str, fields: dict[str, object], kept: bool) -> None:
    flt = parse_filter(fields=[expr])
    assert flt.match(rec(fields=fields, message="boom")) is kept


@pytest.mark.parametrize(
    ("kwargs", "message", "column"),
    [
        ({"fields": ["ms>>500"]}, "-f 'ms>>500': expected a number after '>' (column 4)", 3),
        (
            {"fields": ["ms 5"]},
            "-f 'ms 5': expected an operator (=, !=, >, >=, <, <=, ~) after 'ms' (column 3)",
            2,
        ),
        ({"fields": ["9x=1"]}, "-f '9x=1': expected a field name (column 1)", 0),
        ({"since": "-15x"}, "--since '-15x': unknown unit 'x' (expected s, m, h, d or w)", 3),
        ({"until": "15"}, "--until '15': a duration needs a unit (s, m, h, d or w)", 2),
        (
            {"grep": "a(b"},
            "--grep 'a(b': bad regular expression: missing ), unterminated subpattern",
            1,
        ),
    ],
)
def test_errors_carry_the_column(kwargs: dict[str, object], message: str, column: int) -> None:
    with pytest.raises(FilterError) as info:
        parse_filter(now=NOW, **kwargs)  # type: ignore[arg-type]
    assert (str(info.value), info.value.column) == (message, column)


def test_levels_loggers_times_traces() -> None:
    assert parse_filter(level="warn").min_levelno == 30
    assert parse_filter(level="crit").min_levelno == 50
    assert parse_filter(level="25").min_levelno == 25
    flt = parse_filter(loggers=["app", "!app.health*"])
    names = ("app", "app.db", "application", "app.health", "x")
    assert [flt.match(rec(logger=n)) for n in names] == [
        True, True, False, False, False
    ]  # fmt: skip
    assert parse_filter(since="-15m", now=NOW).since == datetime.datetime(
        2026, 12, 7, 9, 50, tzinfo=UTC
    )
    assert parse_filter(since="yesterday", now=NOW).since == datetime.datetime(
        2026, 12, 6, tzinfo=UTC
    )
    assert parse_filter(since="09:30", now=NOW).since == datetime.datetime(
        2026, 12, 7, 9, 30, tzinfo=UTC
    )
    assert parse_filter(since="2026-12-07T11:00:00+01:00").since == datetime.datetime(
        2026, 12, 7, 10, tzinfo=UTC
    )
    flt = parse_filter(since="2026-12-07")
    assert not flt.match(rec())  # no time: dropped by a time filter
    # Datadog writes the low 64 bits of the trace id in decimal
    wanted = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert parse_filter(trace_id=wanted).match(rec(trace_id=str(int("a3ce929d0e0e4736", 16))))
    assert parse_filter(trace_id=wanted.upper()).match(rec(trace_id=wanted))
    assert not parse_filter(trace_id=wanted).match(rec(trace_id="12"))


# fastlog's default layout at each level, then lines the prefilter must hand to the full parse:
# other writers' layouts, an upper-case level, a 26-char timestamp, a level the shape hides.
LINES = [
    b'{"timestamp":"2026-12-07T10:00:00.000000Z","level":"%s","logger":"a","message":"%s"}' % (n, n)
    for n in (
        b"trace",
        b"debug",
        b"info",
        b"success",
        b"warning",
        b"error",
        b"critical",
        b"level-45",
    )
] + [
    b'{"timestamp":"2026-12-07T10:00:00.000000Z","level":"info","logger":"a","message":"i",'
    b'"x":{"level":"error"}}',
    b'{"timestamp":"2026-12-07T10:00:00.000000Z","status":"error","message":"dd","logger.name":"a"}',
    b'{"timestamp":"2026-12-07T10:00:00.000000Z","level":"ERROR","logger":"a","message":"upper"}',
    b'{"timestamp":"2026-12-07T10:00:00.00000Z","level":"error","logger":"a","message":"short"}',
    b'{"ms": 3, "event": "structlog", "level": "error"}',
    b'{"@timestamp":"2026-12-07T10:00:00Z","log.level":"critical","message":"ecs"}',
    b"level=error msg=logfmt",
    b"a text line",
]


@pytest.mark.parametrize("level", ["trace", "debug", "info", "warning", "error", "critical", "46"])
def test_the_prefilter_agrees_with_the_full_parse(tmp_path: Path, level: str) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"\n".join(LINES) + b"\n")
    flt = parse_filter(level=level)
    fast = [r.message for r in read([str(path)], flt)]
    assert fast == [r.message for r in read([str(path)], flt, prefilter=False)]
    if level == "error":
        assert fast == [
            "error",
            "critical",
            "level-45",
            "dd",
            "upper",
            "short",
            "structlog",
            "ecs",
            "logfmt",
            None,  # the text line, kept with the logfmt record before it
        ]


def test_the_prefilter_drops_only_default_layout_lines_below_the_level() -> None:
    skip = parse_filter(level="error").skip_levels()
    assert skip is not None
    kept = _candidates(list(LINES), skip)
    assert kept == [LINES[5], LINES[6], LINES[7], *LINES[9:]]
    assert parse_filter(level="trace").skip_levels() is None
    assert parse_filter().skip_levels() is None


def test_merge_by_time_with_a_window() -> None:
    def stream(*pairs: tuple[int, str]) -> list[Record]:
        return [
            rec(
                time=datetime.datetime(2026, 12, 7, 10, 0, s, tzinfo=UTC) if s >= 0 else None,
                message=m,
            )
            for s, m in pairs
        ]

    a = stream((0, "a0"), (3, "a3"), (-1, "a3-text"), (2, "a2-late"), (9, "a9"))
    b = stream((1, "b1"), (3, "b3"), (8, "b8"))
    got = [r.message for r in merge([a, b], window=2.0)]
    assert got == ["a0", "b1", "a2-late", "a3", "a3-text", "b3", "b8", "a9"]


def test_unreadable_inputs_are_reported_and_skipped(tmp_path: Path) -> None:
    good = tmp_path / "good.log"
    good.write_bytes(b"\n".join(LINES[:5]))
    errors: list[str] = []
    got = list(
        read([str(tmp_path / "missing.log"), str(good)], on_error=lambda p, e: errors.append(p))
    )
    assert len(got) == 5
    assert errors == [str(tmp_path / "missing.log")]
    with pytest.raises(FileNotFoundError):
        list(read([str(tmp_path / "missing.log")]))
    assert parse_line(b"x").layout == "text"


# -- text lines follow the record before them ------------------------------------------------


def _fl(level: str, message: str) -> bytes:
    return (
        b'{"timestamp":"2026-12-07T10:00:00.000000Z","level":"%s","logger":"a","message":"%s"}'
        % (level.encode(), message.encode())
    )


class TestStreamMatch:
    def test_text_lines_take_the_decision_of_the_record_before(self) -> None:
        """A text line is kept exactly when the record before it was; leading text lines are
        dropped by an active filter."""
        keep = parse_filter(level="warning").matcher()
        lines = [
            b"before any record",
            _fl("info", "i"),
            b"Traceback of i",
            _fl("error", "e"),
            b"Traceback of e",
            b"  second line of e",
            _fl("debug", "d"),
            b"after d",
        ]
        kept = [line for line in lines if keep(parse_line(line))]
        assert kept == [_fl("error", "e"), b"Traceback of e", b"  second line of e"]

    def test_an_inactive_filter_keeps_everything(self) -> None:
        """No filter: every line, text lines before any record included."""
        keep = parse_filter().matcher()
        assert keep(parse_line(b"banner")) and keep(parse_line(_fl("debug", "d")))
        assert keep.kept


def _model(lines: list[bytes], level: str) -> list[bytes]:
    # What the continuation rule says, written plainly: the line's own decision for a record,
    # the last record's for a text line (dropped before the first record).
    flt = parse_filter(level=level)
    kept, last = [], False
    for line in lines:
        record = parse_line(line)
        if record.layout != "text":
            last = flt.match(record)
        if last:
            kept.append(line)
    return kept


MIXED = [
    _fl("debug", "d"),
    _fl("info", "i"),
    _fl("error", "e"),
    b'{"event": "s", "level": "error"}',
    b'{"event": "s", "level": "debug"}',
    b"Traceback (most recent call last):",
    b"",
    b"x",
]


@given(st.lists(st.sampled_from(MIXED), max_size=40))
@settings(max_examples=200, deadline=None)
def test_the_prefilter_keeps_text_lines_with_their_record(lines: list[bytes]) -> None:
    """With and without the level prefilter, text lines (empty ones too) go with their record."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.log"
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        flt = parse_filter(level="warning")
        fast = [r.raw for r in read([str(path)], flt)]
        assert fast == [r.raw for r in read([str(path)], flt, prefilter=False)]
        assert fast == _model(lines, "warning")


def test_a_text_line_starting_a_chunk_follows_a_record_the_prefilter_dropped(
    tmp_path: Path,
) -> None:
    """The record ending one read chunk is dropped unparsed: the text line opening the next
    chunk is dropped with it; the next kept record's text line is kept."""
    from fastlog_read._sources import CHUNK

    filler = _fl("error", "f")
    last = _fl("debug", "dropped")
    body = bytearray()
    while len(body) + 2 * (len(filler) + 1) + len(last) + 1 < CHUNK:
        body += filler + b"\n"
    pad = CHUNK - len(body) - (len(last) + 1) - (len(filler) + 1)
    body += _fl("error", "f" + "p" * pad) + b"\n" + last + b"\n"
    assert len(body) == CHUNK
    body += b"text after dropped\n" + _fl("error", "kept") + b"\ntext after kept\n"
    path = tmp_path / "a.log"
    path.write_bytes(bytes(body))
    tail = [r.raw for r in read([str(path)], parse_filter(level="error"))][-3:]
    assert tail == [_fl("error", "f" + "p" * pad), _fl("error", "kept"), b"text after kept"]


def test_merge_keeps_text_lines_after_their_record(tmp_path: Path) -> None:
    """Merging files: a text line stays right after its record, even one out of order."""
    a = tmp_path / "a.log"
    b = tmp_path / "b.log"
    a.write_bytes(
        b'{"timestamp":"2026-12-07T10:00:02.000000Z","level":"info","logger":"a","message":"a2"}\n'
        b'{"timestamp":"2026-12-07T10:00:01.500000Z","level":"info","logger":"a","message":"a1"}\n'
        b"trace of a1\n"
    )
    b.write_bytes(
        b'{"timestamp":"2026-12-07T10:00:01.700000Z","level":"info","logger":"b","message":"b"}\n'
    )
    got = [r.message if r.layout != "text" else r.raw.decode() for r in read([str(a), str(b)])]
    assert got == ["a1", "trace of a1", "b", "a2"]
