"""FastlogSink(schema="loguru") against loguru's own serialize=True, field by field."""

from __future__ import annotations

import dataclasses
import datetime
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


def both(
    tmp_path: Path, calls: Callable[[], None], **add: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run *calls* with a serialize=True file sink and FastlogSink(schema="loguru") side by
    side (same handler options), and return both files parsed."""
    theirs, ours = tmp_path / "loguru.json", tmp_path / "fastlog.json"
    logger.add(str(theirs), serialize=True, **add)
    logger.add(FastlogSink(str(ours), schema="loguru"), **add)
    calls()
    logger.remove()
    assert fastlog_core.flush(timeout=10)
    with open(theirs, encoding="utf-8") as f:
        expected = [json.loads(line) for line in f]
    return expected, read_lines(ours)


class TestLoguruSchema:
    def test_plain_bind_and_kwargs(self, tmp_path: Path) -> None:
        """text and every record field equal loguru's own output."""

        def calls() -> None:
            logger.info("plain")
            logger.bind(user_id=42, ip="203.0.113.7", ok=True).info("user logged in")
            logger.info("fmt {x} {y!r}", x=1.5, y="é")
            with logger.contextualize(request="r-1"):
                logger.warning("in context")
            logger.opt(record=True).debug("line {record[line]}")
            logger.success("done ✓")

        expected, written = both(tmp_path, calls, level="DEBUG")
        assert len(written) == 6
        for mine, theirs in zip(written, expected, strict=True):
            assert list(mine) == ["text", "record"]
            assert mine["text"] == theirs["text"]
            assert list(mine["record"]) == list(theirs["record"])
            for key in theirs["record"]:
                assert mine["record"][key] == theirs["record"][key], key

    def test_exceptions_and_custom_level(self, tmp_path: Path) -> None:
        """exception {type, value, traceback} and custom levels match loguru's."""
        ensure_level("AUDIT", 35, "A")

        def calls() -> None:
            try:
                try:
                    1 / 0  # noqa: B018
                except ZeroDivisionError as inner:
                    raise ValueError("wrapped") from inner
            except ValueError:
                logger.exception("failed")
            logger.exception("no active exception")
            logger.opt(exception=KeyError("k")).log("AUDIT", "audited")

        expected, written = both(tmp_path, calls, backtrace=False, diagnose=False)
        assert written == expected
        assert written[0]["record"]["exception"] == {
            "type": "ValueError",
            "value": "wrapped",
            "traceback": True,
        }
        assert written[1]["record"]["exception"] == {
            "type": None,
            "value": None,
            "traceback": False,
        }
        assert written[2]["record"]["level"] == {"icon": "A", "name": "AUDIT", "no": 35}

    def test_custom_format_is_the_text(self, tmp_path: Path) -> None:
        """format= on logger.add shapes text exactly as it does for loguru's sink."""

        def calls() -> None:
            logger.bind(k="v").info("hello")

        fmt = (
            "{time:YYYY-MM-DD HH:mm:ss.SSSSSS!UTC} {level.icon} {name}:{line} {extra[k]} {message}"
        )
        expected, written = both(tmp_path, calls, format=fmt)
        assert written == expected
        assert written[0]["text"].endswith(" v hello\n")

    def test_loguru_style_values_in_extra(self, tmp_path: Path) -> None:
        """Values json.dumps(default=str) turns into strings are strings here too."""

        def calls() -> None:
            logger.bind(
                when=datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
                day=datetime.date(2024, 1, 2),
                point=Point(1, 2),
                ident=uuid.UUID(int=7),
                raw=b"\x00bytes",
                tags={"one"},
                pair=(1, 2),
                keyed={1: "int key", None: "none key", 2.5: "float key"},
                obj=object(),
            ).info("values")

        expected, written = both(tmp_path, calls)
        assert written == expected
        assert written[0]["record"]["extra"]["when"] == "2024-01-02 03:04:05.000006"
        assert "fastlog_error" not in written[0]

    def test_differences_are_repaired_not_lost(self, tmp_path: Path) -> None:
        """Where loguru writes invalid JSON (NaN) or nothing (raising __str__), we write a
        valid line; the unrepresentable one is marked."""

        class Bad:
            def __str__(self) -> str:
                raise RuntimeError("no str")

            __repr__ = __str__

        path = tmp_path / "ours.json"
        logger.add(FastlogSink(str(path), schema="loguru"))
        logger.bind(nan=float("nan"), big=2**70).info("numbers")
        logger.bind(bad=Bad()).info("bad")
        logger.info("lone \udcff surrogate")
        assert fastlog_core.flush(timeout=10)
        numbers, bad, lone = read_lines(path)
        assert numbers["record"]["extra"]["nan"] is None
        assert numbers["record"]["extra"]["big"] == str(2**70)
        assert "fastlog_error" in numbers
        assert bad["record"]["extra"]["bad"].startswith("<unrepresentable ")
        assert "fastlog_error" in bad
        assert bad["record"]["message"] == "bad"
        assert lone["record"]["message"] == "lone \\udcff surrogate"
        assert "fastlog_error" in lone


@pytest.mark.parametrize("schema", [None, "default"])
def test_default_schema_names(log_path: Path, schema: str | None) -> None:
    """schema=None and schema='default' are the same core schema."""
    logger.add(FastlogSink(str(log_path), schema=schema))
    logger.info("x")
    assert fastlog_core.flush(timeout=10)
    (record,) = read_lines(log_path)
    assert list(record) == ["timestamp", "level", "logger", "message"]
