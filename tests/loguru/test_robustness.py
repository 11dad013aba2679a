"""FastlogSink never raises and always writes one valid line, whatever the record holds."""

from __future__ import annotations

import datetime
import decimal
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loguru import logger

import fastlog_core
from fastlog_loguru import FastlogSink
from tests.helpers import read_lines


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    __str__ = __repr__


def lines(path: Path) -> list[dict[str, Any]]:
    assert fastlog_core.flush(timeout=10)
    return read_lines(path)


class TestBadValues:
    def test_values_orjson_rejects(self, log_path: Path) -> None:
        """A raising __repr__, a 70-bit int, a lone surrogate, a cycle: repaired and marked."""
        logger.add(FastlogSink(str(log_path)), catch=False)  # loguru would hide a raise
        cycle: list[Any] = []
        cycle.append(cycle)
        logger.bind(bad=Unprintable()).info("repr")
        logger.bind(big=2**70).info("int")
        logger.bind(text="a\ud800b").info("surrogate in field")
        logger.info("surrogate \udcff in message")
        logger.bind(loop=cycle).info("cycle")
        logger.bind(**{"\ud800key": 1}).info("surrogate key")
        records = lines(log_path)
        assert len(records) == 6
        bad, big, field, message, loop, key = records
        assert bad["bad"].startswith("<unrepresentable Unprintable")
        assert big["big"] == str(2**70)
        assert field["text"] == "a\\ud800b"
        assert message["message"] == "surrogate \\udcff in message"
        assert loop["loop"] == ["<cycle>"]
        assert key["\\ud800key"] == 1
        for record in records:
            assert "fastlog_error" in record
            assert record["level"] == "info"
            assert record["logger"] == __name__
        assert fastlog_core.stats()["errors_by_kind"]["encoding"] == 6

    def test_unusual_but_valid_values(self, log_path: Path) -> None:
        """Values orjson cannot write are their str(), as loguru's json.dumps(default=str)
        writes them (not the core's repr); datetimes stay RFC 3339. No error mark."""
        logger.add(FastlogSink(str(log_path)))
        logger.bind(
            d=decimal.Decimal("1.5"),
            s={3},
            b=b"\xffraw",
            when=datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
            exc=ValueError("v"),
        ).info("values")
        (record,) = lines(log_path)
        assert record["d"] == "1.5"
        assert record["s"] == "{3}"
        assert record["b"] == "b'\\xffraw'"
        assert record["when"] == "2024-01-02T03:04:05.000006Z"
        assert record["exc"] == "v"
        assert "fastlog_error" not in record

    def test_patched_record_of_wrong_types(self, log_path: Path) -> None:
        """A patcher that breaks the record's types still gives one valid line."""
        logger.add(FastlogSink(str(log_path)), format="{message}", catch=False)
        logger.patch(lambda r: r.update(time="yesterday")).info("bad time")  # type: ignore[typeddict-item]
        logger.patch(lambda r: r.update(extra=None)).info("no extra")  # type: ignore[typeddict-item]
        first, second = lines(log_path)
        assert first["message"] == "bad time"
        assert str(first["timestamp"]).endswith("Z")
        assert second["message"] == "no extra"
        assert "fastlog_error" in first
        assert "fastlog_error" in second

    def test_loguru_schema_patched_record(self, log_path: Path) -> None:
        """The same for the loguru layout: a line with text, record and the error."""
        logger.add(FastlogSink(str(log_path), schema="loguru"), format="{message}", catch=False)
        logger.patch(lambda r: r.update(elapsed=None)).info("odd")  # type: ignore[typeddict-item]
        (record,) = lines(log_path)
        assert record["text"] == "odd\n"
        assert record["record"]["message"] == "odd"
        assert "fastlog_error" in record


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary(max_size=8)
    | st.datetimes()
    | st.builds(Unprintable),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.frozensets(st.integers(), max_size=3)
        | st.dictionaries(st.text(max_size=5) | st.integers(), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    extra=st.dictionaries(st.text(max_size=8), json_values, max_size=5),
    message=st.text(max_size=20),
)
def test_any_extra_gives_one_valid_line(
    tmp_path: Path, extra: dict[str, Any], message: str
) -> None:
    """Any bound values and message: one line per call in each layout, every line parses."""
    logger.remove()
    paths = [tmp_path / "default.log", tmp_path / "loguru.log"]
    sizes = [path.stat().st_size if path.exists() else 0 for path in paths]
    logger.add(FastlogSink(str(paths[0])), format="{message}", catch=False)
    logger.add(FastlogSink(str(paths[1]), schema="loguru"), format="{message}", catch=False)
    logger.bind(**extra).info(message)
    logger.bind(**extra).opt(exception=ValueError(message)).error("again")
    logger.remove()
    new = []
    for path, size in zip(paths, sizes, strict=True):
        with open(path, "rb") as f:
            f.seek(size)
            # json, not orjson: the loguru layout writes NaN and Infinity as loguru does.
            new.append([json.loads(line) for line in f.read().splitlines()])
    default, loguru_layout = new
    assert [r["level"] for r in default] == ["info", "error"]
    assert default[1]["exception"]["type"] == "ValueError"
    assert [r["record"]["level"]["name"] for r in loguru_layout] == ["INFO", "ERROR"]
    for record in default:
        assert record["logger"] == __name__
        assert isinstance(record["message"], str)
