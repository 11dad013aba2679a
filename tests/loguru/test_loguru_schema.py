"""FastlogSink(schema="loguru") against loguru's own serialize=True, byte for byte."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

import fastlog_core
from fastlog_loguru import FastlogSink
from tests.helpers import read_lines


def ensure_level(name: str, no: int, icon: str = "*") -> None:
    try:
        logger.level(name)
    except ValueError:
        logger.level(name, no=no, icon=icon)


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Color(enum.Enum):
    RED = 1


class Number(enum.IntEnum):
    ONE = 1


class Word(enum.StrEnum):
    HI = "hi"


Pair = collections.namedtuple("Pair", "a b")


class Ratio(float):
    def __repr__(self) -> str:
        return "Ratio!"


class Count(int):
    def __repr__(self) -> str:
        return "Count!"


class Name(str):
    def __str__(self) -> str:
        return "Name!"


class Shown:
    def __str__(self) -> str:
        return "shown ✓"


def both(tmp_path: Path, calls: Callable[[], None], **add: Any) -> tuple[bytes, bytes]:
    """Run *calls* with a serialize=True file sink and FastlogSink(schema="loguru") on the same
    logger (so each call makes one record both handlers get), and return both files."""
    theirs, ours = tmp_path / "loguru.json", tmp_path / "fastlog.json"
    logger.add(str(theirs), serialize=True, **add)
    logger.add(FastlogSink(str(ours), schema="loguru"), **add)
    calls()
    logger.remove()
    assert fastlog_core.flush(timeout=10)
    return theirs.read_bytes(), ours.read_bytes()


def raise_nested() -> None:
    def inner(divisor: int) -> float:
        return 1 / divisor

    try:
        inner(0)
    except ZeroDivisionError as exc:
        raise ValueError("wrapped") from exc


class TestLoguruSchema:
    def test_plain_bind_and_kwargs(self, tmp_path: Path) -> None:
        """Lines equal loguru's, byte for byte: separators, key order, non-ASCII text."""

        def calls() -> None:
            logger.info("plain")
            logger.bind(user_id=42, ip="203.0.113.7", ok=True).info("user logged in")
            logger.info("fmt {x} {y!r}", x=1.5, y="é")
            with logger.contextualize(request="r-1"):
                logger.warning("in context")
            logger.opt(record=True).debug("line {record[line]}")
            logger.success('done ✓ 天 🐞 "quoted" \\ \t\x00\x1f\x7f\u2028')

        theirs, ours = both(tmp_path, calls, level="DEBUG")
        assert ours == theirs
        assert ours.count(b"\n") == 6
        assert b'", "record": {"elapsed": {"repr": "' in ours
        assert "done ✓ 天 🐞".encode() in ours

    @pytest.mark.parametrize("diagnose", [True, False])
    @pytest.mark.parametrize("backtrace", [True, False])
    def test_exceptions_and_custom_level(
        self, tmp_path: Path, diagnose: bool, backtrace: bool
    ) -> None:
        """exception {type, value, traceback}, loguru's traceback text and custom levels."""
        ensure_level("AUDIT", 35, "A")

        def calls() -> None:
            try:
                raise_nested()
            except ValueError:
                logger.exception("failed")
            logger.exception("no active exception")
            logger.opt(exception=KeyError("k")).log("AUDIT", "audited")

        theirs, ours = both(tmp_path, calls, backtrace=backtrace, diagnose=diagnose)
        assert ours == theirs
        first = json.loads(ours.splitlines()[0])
        assert first["record"]["exception"] == {
            "type": "ValueError",
            "value": "wrapped",
            "traceback": True,
        }

    def test_diagnose_text_is_drawn_as_for_a_file(self, tmp_path: Path) -> None:
        """loguru's default diagnose=True: the box-drawing markers a UTF-8 file gets."""

        def calls() -> None:
            try:
                raise_nested()
            except ValueError:
                logger.exception("failed")

        theirs, ours = both(tmp_path, calls)
        assert ours == theirs
        text = json.loads(ours)["text"]
        assert "└" in text
        assert "│" in text

    def test_custom_format_is_the_text(self, tmp_path: Path) -> None:
        """format= on logger.add shapes text exactly as it does for loguru's sink."""

        def calls() -> None:
            logger.bind(k="v").info("hello")

        fmt = (
            "{time:YYYY-MM-DD HH:mm:ss.SSSSSS!UTC} {level.icon} {name}:{line} {extra[k]} {message}"
        )
        theirs, ours = both(tmp_path, calls, format=fmt)
        assert ours == theirs
        assert json.loads(ours)["text"].endswith(" v hello\n")

    def test_extra_values_of_any_type(self, tmp_path: Path) -> None:
        """Every value as json.dumps(default=str, ensure_ascii=False) writes it, NaN too."""

        def calls() -> None:
            logger.bind(
                when=datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
                aware=datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
                day=datetime.date(2024, 1, 2),
                point=Point(1, 2),
                ident=uuid.UUID(int=7),
                raw=b"\x00bytes",
                tags={"one"},
                pair=Pair(1, "two"),
                keyed={3: "int key", None: "none key", 2.5: "float key", False: "f"},
                enum_keyed={Number.ONE: "int subclass key", Word.HI: "str subclass key"},
                nested={"a": [1, {"b": (2, 3.5)}], "c": {}},
                color=Color.RED,
                number=Number.ONE,
                word=Word.HI,
                ratio=Ratio(0.1),
                count=Count(7),
                name=Name("n"),
                dec=decimal.Decimal("1.50"),
                nan=float("nan"),
                inf=float("inf"),
                ninf=float("-inf"),
                big=2**70,
                neg=-(2**80),
                small=1e-7,
                large=1e16,
                shown=Shown(),
                obj=object(),
                empty=[],
            ).info("values")

        theirs, ours = both(tmp_path, calls)
        assert ours == theirs
        extra = json.loads(ours)["record"]["extra"]
        assert extra["when"] == "2024-01-02 03:04:05.000006"
        assert extra["color"] == "Color.RED"
        assert extra["number"] == 1
        assert b'"nan": NaN, "inf": Infinity, "ninf": -Infinity' in ours
        assert b'"big": 1180591620717411303424' in ours
        assert b"fastlog_error" not in ours

    def test_record_over_max_record_is_whole(self, tmp_path: Path) -> None:
        """A 2 MiB message (over the default 1 MiB max_record_bytes): loguru's bytes, whole."""
        big = "x" * (2 * 1024 * 1024) + " ✓"

        def calls() -> None:
            logger.bind(blob="y" * 1024).info(big)

        theirs, ours = both(tmp_path, calls)
        assert ours == theirs
        assert len(ours) > 4 * 1024 * 1024  # the message is in text and in record
        assert fastlog_core.stats()["truncated"] == 0

    def test_record_over_capacity_is_truncated(self, log_path: Path) -> None:
        """Only a line the buffer cannot hold is cut: marked with its size, counted."""
        sink = FastlogSink(
            str(log_path), schema="loguru", capacity="64 KiB", max_record_bytes="8 KiB"
        )
        logger.add(sink, format="{message}")
        logger.info("a" * 30_000)  # over max_record_bytes, under capacity: whole
        logger.info("b" * 100_000)  # over capacity
        assert fastlog_core.flush(timeout=10)
        whole, cut = read_lines(log_path)
        assert whole["record"]["message"] == "a" * 30_000
        assert cut["fastlog_truncated"] > 200_000
        assert fastlog_core.stats()["truncated"] == 1


class TestWhereLoguruWritesNothing:
    """loguru reports these on stderr and loses the record; we write a valid, marked line."""

    def test_lone_surrogate(self, tmp_path: Path) -> None:
        """loguru's layout and bytes, the surrogate as visible \\udXXX text, marked."""

        def calls() -> None:
            logger.info("fine")
            logger.bind(k="a\ud800").info("lone \udcff surrogate")

        theirs, ours = both(tmp_path, calls, format="{message}")
        assert theirs.count(b"\n") == 1  # loguru lost the second record
        fine, lone = ours.splitlines(keepends=True)
        assert fine == theirs
        record = json.loads(lone)
        assert record["text"] == "lone \\udcff surrogate\n"
        assert record["record"]["message"] == "lone \\udcff surrogate"
        assert record["record"]["extra"] == {"k": "a\\ud800"}
        assert record["fastlog_error"].startswith("UnicodeEncodeError")
        assert list(record) == ["text", "record", "fastlog_error"]
        assert lone.startswith(b'{"text": "lone \\\\udcff surrogate\\n", "record": {"elapsed"')
        assert fastlog_core.stats()["errors_by_kind"]["encoding"] == 1

    def test_values_json_refuses(self, log_path: Path) -> None:
        """A raising __str__, a tuple key, a cycle: one repaired line each, marked."""

        class Bad:
            def __str__(self) -> str:
                raise RuntimeError("no str")

            __repr__ = __str__

        cycle: list[Any] = []
        cycle.append(cycle)
        logger.add(FastlogSink(str(log_path), schema="loguru"))
        logger.bind(bad=Bad()).info("bad")
        logger.bind(keyed={(1, 2): "tuple key"}).info("key")
        logger.bind(loop=cycle).info("cycle")
        assert fastlog_core.flush(timeout=10)
        bad, key, loop = read_lines(log_path)
        assert bad["record"]["extra"]["bad"].startswith("<unrepresentable ")
        assert key["record"]["extra"]["keyed"] == {"(1, 2)": "tuple key"}
        assert loop["record"]["extra"]["loop"] == ["<cycle>"]
        for record, message in zip((bad, key, loop), ("bad", "key", "cycle"), strict=True):
            assert "fastlog_error" in record
            assert record["record"]["message"] == message
            assert record["record"]["time"]["repr"].startswith("20")
        assert fastlog_core.stats()["errors_by_kind"]["encoding"] == 3


def test_sink_declares_utf8() -> None:
    """loguru reads the sink's encoding for its traceback text; a file sink's is utf8."""
    assert FastlogSink(schema="loguru").encoding == "utf8"


@pytest.mark.parametrize("schema", [None, "default"])
def test_default_schema_names(log_path: Path, schema: str | None) -> None:
    """schema=None and schema='default' are the same core schema."""
    logger.add(FastlogSink(str(log_path), schema=schema))
    logger.info("x")
    assert fastlog_core.flush(timeout=10)
    (record,) = read_lines(log_path)
    assert list(record) == ["timestamp", "level", "logger", "message"]
