"""Bad input never raises and always gives one valid JSON line, with the error counted."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastlog_core
from fastlog_core._encoders import json as _encoder
from tests.helpers import read_lines

# Text JSON writes longer than it is: control characters as six-byte \u00XX escapes (or two for
# \n, \t...), quotes and backslashes as two bytes, non-ASCII as two to four bytes of UTF-8.
ESCAPING = st.text(
    st.sampled_from([chr(c) for c in range(0x20)] + ['"', "\\", "é", "\U0001f600", "a"]),
    min_size=100,
    max_size=1500,
)


def one_record(path: Path) -> dict[str, Any]:
    assert fastlog_core.flush(timeout=10)
    records = read_lines(path)
    assert len(records) == 1, records
    return records[0]


class RaisingRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")


class Plain:
    def __repr__(self) -> str:
        return "<Plain>"


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class TestBadValues:
    """Each value orjson rejects still yields one valid line."""

    @pytest.mark.parametrize(
        ("value", "expected", "counted"),
        [
            (Plain(), "<Plain>", False),
            (2**70, str(2**70), True),
            (-(2**70), str(-(2**70)), True),
            ({1, 2, 3}, [1, 2, 3], False),
            (b"bytes\xff", "bytes\\xff", False),
            ("lone \ud800 surrogate", "lone \\ud800 surrogate", True),
            ({1: "int key", None: "none key"}, {"1": "int key", "null": "none key"}, False),
            ({(1, 2): "tuple key"}, {"(1, 2)": "tuple key"}, True),
            (decimal.Decimal("1.5"), "Decimal('1.5')", False),
            (ValueError("bad"), "ValueError: bad", False),
        ],
    )
    def test_value(self, configured: Path, value: object, expected: object, counted: bool) -> None:
        """The value is written readably; only real repairs count as errors."""
        fastlog_core.get_logger().info("m", value=value)
        record = one_record(configured)
        if isinstance(value, set):
            assert sorted(record["value"]) == expected
        else:
            assert record["value"] == expected
        assert record["message"] == "m"
        assert ("fastlog_error" in record) is counted
        assert (fastlog_core.stats()["errors"] == 1) is counted

    def test_raising_repr(self, configured: Path) -> None:
        """An object whose __repr__ raises is written as a marker and counted."""
        fastlog_core.get_logger().info("m", bad=RaisingRepr(), good=1)
        record = one_record(configured)
        assert record["bad"] == "<unrepresentable RaisingRepr: RuntimeError>"
        assert record["good"] == 1
        assert record["fastlog_error"].startswith("TypeError")
        assert fastlog_core.stats()["errors_by_kind"] == {"encoding": 1}

    def test_self_referencing_dict(self, configured: Path) -> None:
        """A cycle is cut with a marker instead of recursing forever."""
        cyclic: dict[str, Any] = {"name": "loop"}
        cyclic["self"] = cyclic
        fastlog_core.get_logger().info("m", data=cyclic)
        record = one_record(configured)
        assert record["data"] == {"name": "loop", "self": "<cycle>"}

    def test_self_referencing_list(self, configured: Path) -> None:
        """A list containing itself is cut the same way."""
        items: list[Any] = [1]
        items.append(items)
        fastlog_core.get_logger().info("m", items=items)
        assert one_record(configured)["items"] == [1, "<cycle>"]

    def test_surrogate_in_message_and_key(self, configured: Path) -> None:
        """Lone surrogates in the message and in keys are escaped, not dropped."""
        fastlog_core.get_logger().info("msg \udcff", **{"k\ud800": 1})
        record = one_record(configured)
        assert record["message"] == "msg \\udcff"
        assert record["k\\ud800"] == 1

    def test_huge_int_beyond_str_limit(self, configured: Path) -> None:
        """An int too large for str() is described by its size."""
        fastlog_core.get_logger().info("m", n=10**5000)
        assert one_record(configured)["n"] == f"<int of {(10**5000).bit_length()} bits>"

    def test_non_str_message(self, configured: Path) -> None:
        """A message that is not a string is written as JSON if it can be, repr otherwise."""
        log = fastlog_core.get_logger()
        log.info(42)
        log.info(Plain())
        assert fastlog_core.flush(timeout=10)
        assert [r["message"] for r in read_lines(configured)] == [42, "<Plain>"]

    def test_native_types(self, configured: Path) -> None:
        """Types orjson knows are written natively (no repr)."""
        uid = uuid.UUID("12345678-1234-5678-1234-567812345678")
        day = datetime.date(2026, 1, 2)
        fastlog_core.get_logger().info("m", uid=uid, day=day, color=Color.RED, p=Point(1, 2))
        record = one_record(configured)
        assert record["uid"] == str(uid)
        assert record["day"] == "2026-01-02"
        assert record["color"] == "red"
        assert record["p"] == {"x": 1, "y": 2}
        assert fastlog_core.stats()["errors"] == 0

    def test_naive_datetime_field_is_utc(self, configured: Path) -> None:
        """A naive datetime in a field is written as UTC, like the timestamp (documented)."""
        aware = datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)
        naive = datetime.datetime(2026, 1, 2, 3, 4, 5, 6)
        fastlog_core.get_logger().info("m", naive=naive, aware=aware)
        record = one_record(configured)
        assert record["naive"] == "2026-01-02T03:04:05.000006Z"
        assert record["aware"] == "2026-01-02T03:04:05.000006Z"

    def test_deep_nesting(self, configured: Path) -> None:
        """Nesting deeper than orjson allows is cut at a marker."""
        deep: Any = "leaf"
        for _ in range(300):
            deep = [deep]
        fastlog_core.get_logger().info("m", deep=deep)
        record = one_record(configured)
        depth = 0
        node = record["deep"]
        while isinstance(node, list):
            node = node[0]
            depth += 1
        assert node == "<max depth>"
        assert depth < 300


class TestMerge:
    def test_later_part_wins_for_a_schema_key_too(self) -> None:
        """A schema-named field given twice (bound, then at the call) is written once, the
        call's value, as any other field; a caller's own fields.<key> is not overwritten."""
        record = _encoder.merge(
            "ts", "info", "app", "m", {"level": "bound", "a": 1}, {"level": "call", "a": 2}
        )
        assert record == {
            "timestamp": "ts",
            "level": "info",
            "logger": "app",
            "message": "m",
            "a": 2,
            "fields.level": "call",
        }
        mine = _encoder.merge("ts", "info", "app", "m", {"level": "x", "fields.level": "y"})
        assert mine["fields.level"] == "y" and mine["fields.fields.level"] == "x"


class TestTruncation:
    def test_huge_message_truncated_and_marked(self, log_path: Path) -> None:
        """A message of many MB is cut to the record cap and marked with its original size."""
        fastlog_core.configure(sink=str(log_path), max_record_bytes=64 * 1024)
        big = "x" * (8 * 1024 * 1024)
        fastlog_core.get_logger("big").error("start " + big, user=1)
        assert fastlog_core.flush(timeout=10)
        (record,) = read_lines(log_path)
        assert record["fastlog_truncated"] > 8 * 1024 * 1024
        assert record["message"].startswith("start xxx")
        assert record["message"].endswith("…")
        assert record["level"] == "error"
        assert record["logger"] == "big"
        assert record["user"] == 1
        assert log_path.stat().st_size <= 64 * 1024
        assert fastlog_core.stats()["truncated"] == 1

    def test_many_fields_over_cap(self, log_path: Path) -> None:
        """A record too large even after shortening values keeps just the schema."""
        fastlog_core.configure(sink=str(log_path), max_record_bytes=2048)
        fields = {f"field_{i}": i for i in range(2000)}
        fastlog_core.get_logger().info("wide", **fields)
        assert fastlog_core.flush(timeout=10)
        (record,) = read_lines(log_path)
        assert set(record) == {"timestamp", "level", "logger", "message", "fastlog_truncated"}
        assert log_path.stat().st_size <= 2048

    @settings(max_examples=300, deadline=None)
    @given(
        record=st.fixed_dictionaries(
            {
                "timestamp": st.just("2026-01-01T00:00:00.000000Z"),
                "level": st.sampled_from(["info", "error"]),
                "logger": ESCAPING,
                "message": ESCAPING,
            },
            optional={"extra": ESCAPING, "detail": ESCAPING},
        ),
        limit=st.integers(1024, 8192),
    )
    def test_truncated_line_fits_its_limit_after_escaping(
        self, record: dict[str, Any], limit: int
    ) -> None:
        """Whatever JSON escapes in the logger name and the message (six bytes for a control
        character), the truncated line fits its limit, parses and says it was cut."""
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        out = _encoder.truncate(line, limit)
        assert len(out) <= limit
        assert out.endswith(b"\n") and out.count(b"\n") == 1
        cut = orjson.loads(out)
        assert cut["fastlog_truncated"] == len(line)
        assert (cut["timestamp"], cut["level"]) == (record["timestamp"], record["level"])


# Values hypothesis may generate: everything JSON can hold plus what orjson rejects.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.binary()
    | st.characters(codec=None, min_codepoint=0xD800, max_codepoint=0xDFFF)
    | st.builds(Plain)
    | st.builds(RaisingRepr)
    | st.decimals(allow_nan=False)
    | st.datetimes()
)
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text() | st.integers() | st.none(), children, max_size=4)
        | st.frozensets(st.integers(), max_size=4)
        | st.tuples(children, children)
    ),
    max_leaves=12,
)


class TestRepairKeepsSchema:
    def test_bad_value_and_colliding_key_in_one_call(self, log_path: Path) -> None:
        """The repair path still renames a field called level: the record's level is kept."""
        fastlog_core.configure(sink=str(log_path))
        fastlog_core.get_logger("app").error("both", big=2**80, level="spoofed")
        assert fastlog_core.flush(timeout=10)
        (record,) = read_lines(log_path)
        assert record["level"] == "error"
        assert record["logger"] == "app"
        assert record["fields.level"] == "spoofed"
        assert record["big"] == str(2**80)
        assert "fastlog_error" in record


class TestAnyInput:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(message=st.text() | _scalars, fields=st.dictionaries(st.text(min_size=1), _values))
    def test_any_fields_give_one_valid_line(self, message: Any, fields: dict[str, Any]) -> None:
        """Whatever the message and field values, encode() returns one parseable line."""
        line = _encoder.encode(_encoder.timestamp(), "info", "prop", message, fields)
        assert line.endswith(b"\n")
        assert line.count(b"\n") == 1
        record = orjson.loads(line)
        assert record["level"] == "info"
        assert record["logger"] == "prop"
        assert list(record)[:4] == ["timestamp", "level", "logger", "message"]

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        fields=st.dictionaries(
            st.text(min_size=1) | st.sampled_from(["timestamp", "level", "logger", "message"]),
            _values,
            max_size=5,
        )
    )
    def test_through_the_logger(
        self, tmp_path_factory: pytest.TempPathFactory, fields: dict[str, Any]
    ) -> None:
        """The same through get_logger and the pipeline: exactly one valid line on disk."""
        path = tmp_path_factory.mktemp("prop") / "p.log"
        fastlog_core.configure(sink=str(path))
        fastlog_core.get_logger("prop").info("m", **fields)
        assert fastlog_core.flush(timeout=10)
        records = read_lines(path)
        assert len(records) == 1
        record = records[0]
        assert (record["message"], record["level"], record["logger"]) == ("m", "info", "prop")
        assert str(record["timestamp"]).endswith("Z")


def _structlog_like(obj: Any) -> Any:
    return repr(obj)


GOOD_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=6).filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s))
    | st.uuids()
    | st.sampled_from(list(Color))
    | st.datetimes()
    | st.decimals(allow_nan=False, places=2, max_value=10**6, min_value=-(10**6))
    | st.builds(Point, st.integers(-5, 5), st.integers(-5, 5))
    | st.just(Plain())
    | st.frozensets(st.integers(0, 3), max_size=2)
    | st.binary(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
BAD_VALUES = st.sampled_from([2**70, -(2**65), "\ud800", "a\udfffb", RaisingRepr()]) | st.builds(
    lambda v: [1, {"x": v}], st.sampled_from([2**70, "\udc80"])
)


class TestRepairKeepsTheRest:
    @settings(max_examples=300, deadline=None)
    @given(
        good=st.dictionaries(st.sampled_from(["a", "b", "c", "d", "é"]), GOOD_VALUES, max_size=4),
        bad=BAD_VALUES,
        policy=st.sampled_from([None, str, _structlog_like]),
    )
    def test_valid_fields_are_written_as_without_the_bad_one(
        self, good: dict[str, Any], bad: Any, policy: Any
    ) -> None:
        """A record orjson rejects because of one field: every other field is written exactly
        as the same value policy writes it when nothing needs repair."""
        record = {"message": "m", **good, "bad": bad}
        option = _encoder.OPTIONS
        default = _encoder.default if policy is None else policy
        with pytest.raises(Exception) as raised:
            orjson.dumps(record, default=default, option=option)
        line = orjson.loads(_encoder.encode_repaired(record, raised.value, policy, option))
        assert line["fastlog_error"]
        for key, value in good.items():
            assert line[key] == orjson.loads(orjson.dumps(value, default=default, option=option))
        assert list(line)[: len(good) + 1] == ["message", *good]

    def test_through_the_appender_with_a_host_policy(self, log_path: Path) -> None:
        """emit() with a host's value policy repairs with that policy (C and Python alike)."""
        route = fastlog_core.route(str(log_path))
        out = route.pipeline.appender
        value = decimal.Decimal("1.50")
        out.emit({"message": "m", "d": value, "u": uuid.UUID(int=1), "bad": 2**70}, 20, str)
        assert route.pipeline.flush(timeout=10)
        (record,) = read_lines(log_path)
        assert (record["d"], record["u"], record["bad"]) == (
            "1.50",
            str(uuid.UUID(int=1)),
            str(2**70),
        )
        assert record["fastlog_error"]


class _RaisingZone(datetime.tzinfo):
    """A tzinfo whose utcoffset() raises once armed (orjson 3.13 crashes on it)."""

    armed = (
        False  # class-wide: a dict key is hashed, which calls utcoffset(), when the case is built
    )

    def utcoffset(self, dt: datetime.datetime | None) -> datetime.timedelta | None:
        if self.armed:
            raise RuntimeError("no offset")
        return None

    def dst(self, dt: datetime.datetime | None) -> datetime.timedelta | None:
        return None


@dataclasses.dataclass
class _At:
    when: Any


class TestUnsafeValue:
    """``unsafe_value`` finds what orjson would crash on; the C walk and its Python twin agree
    (the values themselves are never given to orjson here)."""

    def cases(self) -> list[tuple[str, Any, bool, bool]]:
        zone = _RaisingZone()  # armed after the cases are built: a dict key is hashed
        bad = datetime.datetime(2024, 1, 1, tzinfo=zone)
        good = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
        naive = datetime.datetime(2024, 1, 1)
        # (name, value, keys, unsafe)
        return [
            ("plain record", {"timestamp": naive, "level": "info", "n": 1, "f": 1.5}, False, False),
            ("aware UTC", {"t": good, "nested": [good, (good,)]}, False, False),
            ("field", {"t": bad}, False, True),
            ("nested list and tuple", {"a": [1, (2, {"b": bad})]}, False, True),
            ("dataclass", {"a": _At(bad)}, False, True),
            ("key without keys", {bad: 1}, False, False),
            ("key with keys", {"a": {bad: 1}}, True, True),
            (
                "subclass goes to default",
                {"t": type("Sub", (datetime.datetime,), {})(2024, 1, 1, tzinfo=zone)},
                False,
                False,
            ),
            ("top level list", [bad], False, True),
        ]

    @pytest.fixture(autouse=True)
    def _arm(self) -> Iterator[None]:
        _RaisingZone.armed = False
        yield
        _RaisingZone.armed = False

    @pytest.mark.parametrize("twin", ["c", "python"])
    def test_finds_what_orjson_crashes_on(self, twin: str) -> None:
        """Each case: a TypeError caused by utcoffset()'s error where orjson would crash,
        None elsewhere; the same from both twins."""
        if twin == "c":
            speedups = pytest.importorskip("fastlog_core._speedups")
            check = speedups.unsafe_value
        else:
            check = _encoder.unsafe_value_py
        cases = self.cases()
        _RaisingZone.armed = True
        for name, value, keys, unsafe in cases:
            found = check(value, keys)
            if unsafe:
                assert isinstance(found, TypeError), name
                assert str(found) == "a datetime whose tzinfo.utcoffset() raises", name
                assert isinstance(found.__cause__, RuntimeError), name
            else:
                assert found is None, name

    def test_zoneinfo_and_pytz_like_zones_pass(self) -> None:
        """A ZoneInfo needs no utcoffset() call; a working custom tzinfo passes the check."""
        zoneinfo = pytest.importorskip("zoneinfo")
        try:
            paris = zoneinfo.ZoneInfo("Europe/Paris")
        except zoneinfo.ZoneInfoNotFoundError:
            pytest.skip("no time zone database")
        fixed = _RaisingZone()  # not armed: utcoffset() returns None
        record = {
            "a": datetime.datetime(2024, 1, 1, tzinfo=paris),
            "b": datetime.datetime(2024, 1, 1, tzinfo=fixed),
        }
        assert _encoder.unsafe_value(record, False) is None
        assert _encoder.unsafe_value_py(record, False) is None
