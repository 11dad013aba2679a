"""The ``view`` renderer and the normalisation ``convert`` encodes."""

from __future__ import annotations

import datetime
import os

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastlog_read._render as _render_module
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
                assert got == expected.encode()
        one_day = [DAYS[3], DAYS[4]]
        assert Renderer().render_chunk(one_day) == Renderer().render_lines(one_day).encode()


# The C chunk renderer against its Python twin (Renderer._render_one): the same bytes.

render_chunk_c = _render_module._render_chunk


def test_chunk_speedups_built() -> None:
    """Where a compiler exists (CI included) the C chunk renderer is built and used."""
    if os.environ.get("FASTLOG_NO_SPEEDUPS"):
        assert not _render_module.SPEEDUPS
        return
    assert render_chunk_c is not None
    assert _render_module.SPEEDUPS


def python_chunk(renderer: Renderer, lines: list[bytes]) -> bytes:
    # The per-line Python path with the date lines of the record path (a fresh renderer).
    ref = Renderer(renderer.options)
    text = "".join(ref.separator(parse_line(line)) + ref.render_lines([line]) for line in lines)
    return text.encode("utf-8", "backslashreplace")


@pytest.mark.parametrize("colors", [False, True])
def test_render_chunk_equals_the_python_path(colors: bool) -> None:
    renderer = Renderer(RenderOptions(colors=colors))
    odd = [
        *ODD,
        b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","logger":"a","message":"m",'
        b'"exception":null,"big":123456789012345678901234567890,"neg":-7,"f":0.5,"l":[1,"a b"],'
        b'"d":{"x":1},"e":"","q":"it\'s","u":"\xc3\xa9t\xc3\xa9","s":"\\ud83d\\ude00"}',
        b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","logger":"a","message":"m",'
        b'"timestamp":"2026-12-07T10:00:01.000000Z","level":"debug"}',
        b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","logger":"a\xff","message":"m"}',
        b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","logger":"\\ud800","message":"m"}',
        b'{"timestamp":"\\u00e9026-12-07T10:00:00.250000Z","level":"info","message":"m"}',
        b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","logger":null,"message":"m"}',
        b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","message":"m","logger":"x"',
        b'{"timestamp":"2026-12-07T10:00:00.250000Z","level":"info","message":"m","fields":1}\r',
    ]
    expected = python_chunk(renderer, odd)
    assert renderer.render_chunk(odd) == expected
    if render_chunk_c is not None:  # the C path itself, whatever FASTLOG_NO_SPEEDUPS says
        levels = _render_module._COLOR_LEVELS if colors else _render_module._PLAIN_LEVELS
        got = render_chunk_c(
            odd,
            levels,
            colors,
            _render_module._value,
            orjson.loads,
            lambda line: renderer._render_one(line, "", colors),
        )
        assert got == expected
    assert renderer.render_chunk([]) == b""


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
levels = st.sampled_from(
    ["info", "error", "debug", "WARN", "success", "trace", "weird", "critical"]
)


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    head = {
        "timestamp": draw(
            st.sampled_from(
                [
                    "2026-12-07T10:00:00.250000Z",
                    "2026-12-07T23:59:59.999999Z",
                    "2026-12-08T00:00:00.000001Z",
                ]
            )
        ),
        "level": draw(levels | values),
    }
    if draw(st.booleans()):
        head["logger"] = draw(st.text() | values)
    head["message"] = draw(st.text() | values)
    fields = draw(st.dictionaries(st.text(max_size=10), values, max_size=6))
    if draw(st.booleans()):
        fields["exception"] = draw(
            st.none()
            | st.fixed_dictionaries(
                {"type": st.text(max_size=5), "message": st.text(max_size=5)},
                optional={"traceback": st.text(max_size=20)},
            )
        )
    line = orjson.dumps({**head, **fields})
    return line if draw(st.booleans()) else line + draw(st.sampled_from([b"", b"\r", b" x"]))


@settings(max_examples=300, deadline=None)
@given(chunk=st.lists(lines() | st.binary(max_size=60), max_size=8), colors=st.booleans())
def test_render_chunk_property(chunk: list[bytes], colors: bool) -> None:
    """Any chunk renders to the same bytes through C and through Python."""
    renderer = Renderer(RenderOptions(colors=colors))
    assert renderer.render_chunk(chunk) == python_chunk(renderer, chunk)
    plain = Renderer(RenderOptions(colors=colors, time="local"))
    assert plain.render_chunk(chunk) == python_chunk(plain, chunk)


other_layouts = st.builds(
    lambda day, event: orjson.dumps(
        {"event": event, "level": "info", "timestamp": f"2026-12-{day}T23:30:00Z"}
    ),
    st.sampled_from(["06", "07", "08"]),
    st.text(max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(
    chunk=st.lists(lines() | other_layouts | st.binary(max_size=60), max_size=12),
    cut=st.integers(min_value=0, max_value=12),
    colors=st.booleans(),
    time=st.sampled_from(["utc", "local"]),
)
def test_render_chunk_date_lines_property(
    chunk: list[bytes], cut: int, colors: bool, time: str
) -> None:
    """Chunk after chunk, render_chunk places the date lines the record path does."""
    renderer = Renderer(RenderOptions(colors=colors, time=time))
    got = renderer.render_chunk(chunk[:cut]) + renderer.render_chunk(chunk[cut:])
    assert got == python_chunk(renderer, chunk)
