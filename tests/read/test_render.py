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
