"""The ``view`` renderer and the normalisation ``convert`` encodes."""

from __future__ import annotations

import datetime

from fastlog_read import Record, Renderer, RenderOptions, parse_line, to_fastlog_schema

UTC = datetime.UTC
LINE = (
    b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"error","logger":"app","message":"failed",'
    b'"note":"two words","eq":"a=b","n":1.5,'
    b'"exception":{"type":"E","message":"m","traceback":"T\\nE: m\\n"}}'
)


def test_plain_and_colored() -> None:
    record = parse_line(LINE)
    assert Renderer().render(record) == (
        "10:00:00.250000 ERROR    app  failed  note='two words' eq='a=b' n=1.5\nT\nE: m\n"
    )
    assert Renderer(RenderOptions(colors=True, hide=("note", "eq"))).render(record) == (
        "\x1b[2m10:00:00.250000\x1b[0m \x1b[31mERROR   \x1b[0m app  failed  "
        "\x1b[2mn=1.5\x1b[0m\nT\nE: m\n"
    )


def test_time_modes_and_records_without_parts() -> None:
    first = Record(
        datetime.datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "info", 20, None, "a", layout="json"
    )
    later = Record(
        datetime.datetime(2026, 12, 7, 10, 1, 2, 500000, tzinfo=UTC),
        None,
        33,
        "x",
        "b",
        layout="json",
    )
    renderer = Renderer(RenderOptions(time="relative"))
    assert (
        renderer.render(first) + renderer.render(later)
        == "+0.000s INFO       a\n+62.500s          x  b\n"
    )
    exc_only = Record(
        None, "error", 40, "x", "m", {"type": "E", "message": "bad", "traceback": None}
    )
    assert Renderer().render(exc_only) == " ERROR    x  m\nE: bad\n"
    assert Renderer().render(parse_line(b"\xff not utf-8\r")) == "\ufffd not utf-8\n"
    assert (
        Renderer(RenderOptions(fields=("n", "missing")))
        .render(parse_line(LINE))
        .startswith("10:00:00.250000 ERROR    app  failed  n=1.5\n")
    )


def test_to_fastlog_schema() -> None:
    record = parse_line(
        b'{"ms": 3, "event": "boom", "level": "warn", "timestamp": "2026-12-07T10:00:00Z"}'
    )
    assert to_fastlog_schema(record) == {
        "timestamp": "2026-12-07T10:00:00.000000Z",
        "level": "warning",
        "message": "boom",
        "ms": 3,
    }
    numbered = Record(None, None, 33, None, None, fields={"message": "shadowed"})
    assert to_fastlog_schema(numbered) == {"level": "level-33", "message": ""}


ODD = [
    LINE,
    b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"WARN","logger":"a","message":"m","b":true}',
    b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"level-45","logger":"a","message":"m"}',
    b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","message":"no logger","f":null}',
    b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","logger":"a","message":"m",'
    b'"exception":"a string traceback\\nE: x"}',
    b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","logger":"a","message":3}',
    b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","logger":"a","message":"x","n":NaN}',
    b'{"timestamp":"2026-12-07T10:00:00.25Z","level":"info","logger":"a","message":"short time"}',
    b'{"timestamp":"2026-12-07T10:00:00.250000Z","status":"error","message":"dd","logger.name":"a"}',
    b"text",
    b"",
]


def test_the_chunk_renderer_equals_the_record_renderer() -> None:
    for colors in (False, True):
        renderer = Renderer(RenderOptions(colors=colors))
        expected = "".join(renderer.render(parse_line(line)) for line in ODD)
        assert renderer.render_lines(ODD) == expected


def _day_line(ts: str, message: str) -> bytes:
    return b'{"timestamp":"%s","level":"info","logger":"app","message":"%s"}' % (
        ts.encode(),
        message.encode(),
    )


DAYS = [
    _day_line("2026-12-06T23:59:59.000000Z", "a"),
    b"a text line",
    b'{"event":"s","level":"info","timestamp":"2026-12-06T23:59:59.500000Z"}',
    _day_line("2026-12-07T00:00:01.000000Z", "b"),
    _day_line("2026-12-07T00:00:02.000000Z", "c"),
    b'{"timestamp":"2026-12-08T08:00:00+00:00","level":"info","event":"structlog"}',
    _day_line("2026-12-08T09:00:00.000000Z", "d"),
]


class TestSeparator:
    def test_a_date_line_at_each_change_of_day(self) -> None:
        """``-- YYYY-MM-DD --`` before the first record of each new day; none before the first
        record, none for text lines."""
        renderer = Renderer()
        out = "".join(renderer.separator(r) + renderer.render(r) for r in map(parse_line, DAYS))
        assert out == (
            "23:59:59.000000 INFO     app  a\n"
            "a text line\n"
            "23:59:59.500000 INFO       s\n"
            "-- 2026-12-07 --\n"
            "00:00:01.000000 INFO     app  b\n"
            "00:00:02.000000 INFO     app  c\n"
            "-- 2026-12-08 --\n"
            "08:00:00.000000 INFO       structlog\n"
            "09:00:00.000000 INFO     app  d\n"
        )

    def test_colored_and_local_and_relative(self) -> None:
        """Dim in colour; the day in the clock's zone (local); never for relative time."""
        colored = Renderer(RenderOptions(colors=True))
        records = [parse_line(DAYS[0]), parse_line(DAYS[3])]
        assert [colored.separator(r) for r in records] == ["", "\x1b[2m-- 2026-12-07 --\x1b[0m\n"]
        relative = Renderer(RenderOptions(time="relative"))
        assert [relative.separator(r) for r in records] == ["", ""]

    def test_render_chunk_equals_the_record_path(self) -> None:
        """render_chunk gives what separator + render give, record by record, in every clock,
        chunk after chunk (the day carries over), and render_lines where one day fills it."""
        for time in ("utc", "local", "relative"):
            for colors in (False, True):
                options = RenderOptions(colors=colors, time=time)
                chunked = Renderer(options)
                got = chunked.render_chunk(DAYS[:4]) + chunked.render_chunk(DAYS[4:])
                by_record = Renderer(options)
                expected = "".join(
                    by_record.separator(r) + by_record.render(r) for r in map(parse_line, DAYS)
                )
                assert got == expected
        one_day = [DAYS[3], DAYS[4]]
        assert Renderer().render_chunk(one_day) == Renderer().render_lines(one_day)
