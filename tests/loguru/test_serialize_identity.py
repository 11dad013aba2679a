"""Property: FastlogSink(schema="loguru") writes the bytes loguru's serialize=True writes.

Both handlers are on one logger, so each logging call makes one record that both receive
(``time``, ``elapsed``, ``thread``, ``process`` are the same); the two files are then compared
byte for byte. Where loguru writes nothing (it reports the error on stderr and loses the
record: a lone surrogate its UTF-8 file refuses, a value json refuses), our line must be valid
JSON in loguru's layout, marked ``fastlog_error``.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import enum
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from loguru import logger

import fastlog_core
from fastlog_loguru import FastlogSink, _serialize


class Color(enum.Enum):
    RED = 1
    BLUE = "blue"


class Number(enum.IntEnum):
    ONE = 1
    BIG = 2**40


class Word(enum.StrEnum):
    HI = "hi ✓"


Pair = collections.namedtuple("Pair", "a b")


class Ratio(float):
    def __repr__(self) -> str:
        return "Ratio!"

    __str__ = __repr__


class Count(int):
    def __repr__(self) -> str:
        return "Count!"

    __str__ = __repr__


class Name(str):
    def __str__(self) -> str:
        return "Name!"


@dataclasses.dataclass
class Point:
    x: Any
    y: Any


class Shown:
    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


class Unprintable:
    """json's default=str raises for it (loguru loses the record); a repr for hypothesis."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        return "Unprintable()"


any_text = st.text() | st.text(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=6
)

leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**100), max_value=2**100)
    | st.floats()
    | st.floats().map(Ratio)
    | st.integers().map(Count)
    | any_text
    | any_text.map(Name)
    | any_text.map(Shown)
    | st.binary(max_size=8)
    | st.datetimes()
    | st.datetimes(timezones=st.just(datetime.UTC))
    | st.dates()
    | st.decimals(allow_nan=True)
    | st.uuids()
    | st.sampled_from([*Color, *Number, *Word])
    | st.builds(Point, st.integers(), any_text)
    | st.just(Unprintable())
)

values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.tuples(children, children)
        | st.builds(Pair, children, children)
        | st.frozensets(st.integers() | st.text(max_size=3), max_size=3)
        | st.dictionaries(
            any_text | st.integers() | st.floats() | st.booleans() | st.none(),
            children,
            max_size=3,
        )
    ),
    max_leaves=10,
)

FORMATS: list[Any] = [
    None,  # loguru's default format
    "{message}",
    "{time:YYYY-MM-DD HH:mm:ss.SSS!UTC} {level.icon} | {name}:{function}:{line} {extra} {message}",
    lambda record: "{level} {message}\n{exception}",
]


def _raise(text: str) -> None:
    local = {"value": text}  # diagnose shows it
    raise ValueError(local["value"])


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    yield tmp_path / "loguru.json", tmp_path / "fastlog.json"


def _tail(path: Path, start: int) -> bytes:
    if not path.exists():
        return b""
    with open(path, "rb") as f:
        f.seek(start)
        return f.read()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    message=any_text,
    extra=st.dictionaries(st.text(max_size=8), values, max_size=5),
    exception=st.sampled_from([None, "raised", "instance", "none"]),
    diagnose=st.booleans(),
    backtrace=st.booleans(),
    fmt=st.sampled_from(FORMATS),
)
def test_same_bytes_as_serialize_true(
    files: tuple[Path, Path],
    *,
    message: str,
    extra: dict[str, Any],
    exception: str | None,
    diagnose: bool,
    backtrace: bool,
    fmt: Any,
) -> None:
    """One record, two handlers: our line is loguru's line, or loguru wrote none and ours is a
    valid, marked line in loguru's layout."""
    theirs, ours = files
    starts = [_tail_size(theirs), _tail_size(ours)]
    options: dict[str, Any] = {"diagnose": diagnose, "backtrace": backtrace}
    if fmt is not None:
        options["format"] = fmt
    logger.remove()
    logger.add(str(theirs), serialize=True, **options)
    logger.add(FastlogSink(str(ours), schema="loguru", sync=True), **options)
    log: Callable[..., None] = logger.bind(**extra).info
    if exception == "raised":
        try:
            _raise(message)
        except ValueError:
            logger.bind(**extra).exception(message)
    else:
        if exception == "instance":
            log = logger.bind(**extra).opt(exception=KeyError(message)).info
        elif exception == "none":
            log = logger.bind(**extra).opt(exception=(None, None, None)).info
        log(message)
    logger.remove()
    expected, written = _tail(theirs, starts[0]), _tail(ours, starts[1])
    assert written.count(b"\n") == 1 and written.endswith(b"\n")
    if expected:
        event("loguru wrote the line")
        assert written == expected
    else:  # loguru lost it
        event("loguru lost the record")
        record = json.loads(written)
        assert list(record) == ["text", "record", "fastlog_error"]
        assert "message" in record["record"]


def _tail_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def test_every_record_counted(files: tuple[Path, Path]) -> None:
    """The sync pipeline used above writes each record once (no loss, no duplicate)."""
    _, ours = files
    logger.add(FastlogSink(str(ours), schema="loguru", sync=True), format="{message}")
    for i in range(50):
        logger.info("r{}", i)
    assert fastlog_core.flush(timeout=10)
    assert [json.loads(line)["text"] for line in ours.read_bytes().splitlines()] == [
        f"r{i}\n" for i in range(50)
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda: logger.bind(user_id=1, ip="203.0.113.7", ok=True).info("user logged in"),
        lambda: logger.info("天 ✓ {x}", x=1.5),
        lambda: logger.opt(exception=KeyError("k")).error("no extra"),
        lambda: logger.bind(n=None, f=0.1, big=2**70).warning("leaves"),
    ],
)
def test_common_records_take_the_fast_route(call: Callable[[], None]) -> None:
    """Ordinary records are built by fast_line (not the reference), and it agrees with it."""
    got: list[Any] = []
    logger.add(got.append)
    call()
    (message,) = got
    assert _serialize.fast_line(message, message.record) == (
        _serialize.reference(message, message.record).encode("utf-8")
    )


def test_orjson_escapes_strings_as_json() -> None:
    """fast_line's assumption: for every code point but the surrogates, orjson's escaping is
    json's with ensure_ascii=False (an orjson release that changes it fails here)."""
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert orjson.dumps(text) == json.dumps(text, ensure_ascii=False).encode("utf-8")
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps("\udcff")


@settings(max_examples=500, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime.datetime(1970, 1, 2),
        timezones=st.none()
        | st.builds(
            datetime.timezone,
            st.timedeltas(
                min_value=-datetime.timedelta(hours=23), max_value=datetime.timedelta(hours=23)
            ),
        ),
    ),
    micros=st.lists(st.integers(0, 999_999), min_size=1, max_size=3),
)
def test_time_text_is_str_of_the_datetime(moment: datetime.datetime, micros: list[int]) -> None:
    """The cached per-second text plus the microseconds is str() of the time, for any zone
    offset (seconds included), naive times, whole seconds, and several records in one second."""
    for micro in micros:
        m = moment.replace(microsecond=micro)
        assert _serialize._time_repr(m, m.timestamp()) == orjson.dumps(str(m))
