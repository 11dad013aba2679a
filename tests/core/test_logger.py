"""The native logger: schema, fields, levels, binding, exceptions."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

import fastlog_core
from tests.helpers import read_lines

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def logged(path: Path) -> list[dict[str, object]]:
    assert fastlog_core.flush(timeout=10)
    return read_lines(path)


class TestSchema:
    def test_line_shape_and_key_order(self, configured: Path) -> None:
        """A record is timestamp, level, logger, message, then the fields in call order."""
        fastlog_core.get_logger("billing").info("charge ok", amount=12.5, user_id=42)
        (record,) = logged(configured)
        assert list(record) == ["timestamp", "level", "logger", "message", "amount", "user_id"]
        assert record["level"] == "info"
        assert record["logger"] == "billing"
        assert record["message"] == "charge ok"
        assert record["amount"] == 12.5
        assert record["user_id"] == 42

    def test_timestamp_is_rfc3339_utc_microseconds(self, configured: Path) -> None:
        """The timestamp has six fractional digits and a Z, and is the time of the call."""
        before = datetime.datetime.now(datetime.UTC)
        fastlog_core.get_logger().info("x")
        after = datetime.datetime.now(datetime.UTC)
        (record,) = logged(configured)
        ts = record["timestamp"]
        assert isinstance(ts, str) and TIMESTAMP.match(ts), ts
        parsed = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
        assert before <= parsed <= after

    def test_whole_second_timestamp_keeps_fraction(self) -> None:
        """A time whose microseconds are zero is still written with .000000."""
        from fastlog_core._encoders import json as _encoder

        assert _encoder.timestamp_from(1_700_000_000.0) == "2023-11-14T22:13:20.000000Z"
        line = _encoder.encode(_encoder.timestamp_from(1_700_000_000.0), "info", "x", "m")
        assert b'"timestamp":"2023-11-14T22:13:20.000000Z"' in line

    def test_unnamed_logger_is_root(self, configured: Path) -> None:
        """get_logger() without a name writes logger=root."""
        fastlog_core.get_logger().warning("w")
        assert logged(configured)[0]["logger"] == "root"

    @pytest.mark.parametrize("key", ["timestamp", "level", "logger", "message"])
    def test_colliding_field_is_renamed(self, configured: Path, key: str) -> None:
        """A field named like a schema key is kept as fields.<key>, never overwriting it."""
        fastlog_core.get_logger("app").info("real message", **{key: "spoof"})
        (record,) = logged(configured)
        assert record[f"fields.{key}"] == "spoof"
        assert record["message"] == "real message"
        assert record["level"] == "info"
        assert record["logger"] == "app"
        assert TIMESTAMP.match(str(record["timestamp"]))

    def test_collision_from_bound_and_context(self, configured: Path) -> None:
        """Bound and context fields named like schema keys are renamed too."""
        with fastlog_core.context(level="ctx"):
            fastlog_core.get_logger("app").bind(logger="bound").info("m")
        (record,) = logged(configured)
        assert record["level"] == "info"
        assert record["logger"] == "app"
        assert record["fields.level"] == "ctx"
        assert record["fields.logger"] == "bound"

    def test_serialized_at_call_time(self, configured: Path) -> None:
        """A dict mutated after the call does not change what was logged."""
        payload = {"items": [1, 2]}
        fastlog_core.get_logger().info("snapshot", payload=payload)
        payload["items"].append(3)
        payload["late"] = True
        (record,) = logged(configured)
        assert record["payload"] == {"items": [1, 2]}

    def test_percent_args(self, configured: Path) -> None:
        """Positional args are %-interpolated like stdlib; a bad format still logs."""
        log = fastlog_core.get_logger()
        log.info("user %s paid %d", "ann", 3)
        log.info("broken %d", "not-a-number")
        first, second = logged(configured)
        assert first["message"] == "user ann paid 3"
        assert second["message"] == "broken %d ('not-a-number',)"
        assert fastlog_core.stats()["errors_by_kind"] == {"format": 1}


class TestLevels:
    def test_each_level_name(self, configured: Path) -> None:
        """Each method writes its lower-case level name."""
        log = fastlog_core.get_logger()
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.warn("w2")
        log.error("e")
        log.critical("c")
        log.fatal("f")
        log.log("error", "by name")
        log.log(30, "by number")
        levels = [r["level"] for r in logged(configured)]
        assert levels == [
            "debug", "info", "warning", "warning", "error", "critical", "critical", "error",
            "warning",
        ]  # fmt: skip

    def test_below_level_not_written(self, log_path: Path) -> None:
        """Records below the configured level are not written or encoded."""
        fastlog_core.configure(sink=str(log_path), level="warning")
        log = fastlog_core.get_logger()

        class Exploding:
            def __repr__(self) -> str:
                raise AssertionError("encoded although filtered")

        log.info("dropped", value=Exploding())
        log.debug("dropped")
        log.warning("kept")
        assert [r["message"] for r in logged(log_path)] == ["kept"]
        assert log.is_enabled_for("warning")
        assert not log.is_enabled_for("info")

    def test_reconfigure_changes_existing_loggers(self, tmp_path: Path) -> None:
        """A logger created before configure() follows the new level and destination."""
        first, second = tmp_path / "a.log", tmp_path / "b.log"
        fastlog_core.configure(sink=str(first), level="info")
        log = fastlog_core.get_logger("x")
        log.info("to a")
        fastlog_core.configure(sink=str(second), level="error")
        log.info("filtered")
        log.error("to b")
        assert fastlog_core.flush(timeout=10)
        assert [r["message"] for r in read_lines(first)] == ["to a"]
        assert [r["message"] for r in read_lines(second)] == ["to b"]

    def test_custom_level_number(self, configured: Path) -> None:
        """log() with a non-standard number writes level-<n>; loguru's 5 and 25 have names."""
        log = fastlog_core.get_logger()
        log.log(27, "between")
        log.log(25, "success")
        log.log("success", "by name")
        assert [r["level"] for r in logged(configured)] == ["level-27", "success", "success"]


class TestBinding:
    def test_bind_adds_fields_and_is_immutable(self, configured: Path) -> None:
        """bind returns a new logger; the original is unchanged; call fields win."""
        base = fastlog_core.get_logger("api")
        bound = base.bind(request_id="r-1", user="ann")
        bound.warning("slow", ms=870, user="bob")
        base.info("plain")
        first, second = logged(configured)
        assert first["request_id"] == "r-1"
        assert first["user"] == "bob"
        assert first["ms"] == 870
        assert "request_id" not in second
        assert bound.bound == {"request_id": "r-1", "user": "ann"}

    def test_unbind(self, configured: Path) -> None:
        """unbind removes keys, ignoring missing ones."""
        log = fastlog_core.get_logger(None, a=1, b=2).unbind("a", "missing")
        log.info("m")
        (record,) = logged(configured)
        assert record["b"] == 2
        assert "a" not in record


class TestExceptions:
    def test_exception_method(self, configured: Path) -> None:
        """log.exception() writes the structured exception being handled."""
        log = fastlog_core.get_logger()
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            log.exception("failed", order=7)
        (record,) = logged(configured)
        assert record["level"] == "error"
        assert record["order"] == 7
        exc = record["exception"]
        assert isinstance(exc, dict)
        assert exc["type"] == "ZeroDivisionError"
        assert exc["message"] == "division by zero"
        assert exc["traceback"].startswith("Traceback (most recent call last):")
        assert "1 / 0" in exc["traceback"]

    def test_exc_info_forms(self, configured: Path) -> None:
        """exc_info accepts True, an instance and a (type, value, tb) tuple."""
        log = fastlog_core.get_logger()
        error = KeyError("k")
        try:
            raise error
        except KeyError as caught:
            import sys

            log.warning("true", exc_info=True)
            log.warning("tuple", exc_info=sys.exc_info())
            log.warning("instance", exc_info=caught)
        log.warning("nothing active", exc_info=True)
        records = logged(configured)
        assert [r["exception"]["type"] for r in records[:3]] == ["KeyError"] * 3  # type: ignore[index]
        assert "exception" not in records[3]

    def test_custom_exception_type_name(self, configured: Path) -> None:
        """Non-builtin exception types are written with their module."""

        class PaymentError(Exception):
            pass

        fastlog_core.get_logger().error("x", exc_info=PaymentError("no funds"))
        exc = logged(configured)[0]["exception"]
        assert (
            exc["type"]
            == f"{__name__}.TestExceptions.test_custom_exception_type_name.<locals>.PaymentError"
        )  # type: ignore[index]
        assert exc["message"] == "no funds"  # type: ignore[index]

    def test_exception_with_raising_str(self, configured: Path) -> None:
        """An exception whose __str__ raises still gives a record."""

        class Nasty(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no")

        fastlog_core.get_logger().error("x", exc_info=Nasty())
        exc = logged(configured)[0]["exception"]
        assert exc["type"].endswith("Nasty")  # type: ignore[index]

    def test_field_named_exception_kept(self, configured: Path) -> None:
        """A user field called exception moves aside when a real exception is attached."""
        fastlog_core.get_logger().error("x", exception="mine", exc_info=ValueError("v"))
        (record,) = logged(configured)
        assert record["fields.exception"] == "mine"
        assert record["exception"]["type"] == "ValueError"  # type: ignore[index]
