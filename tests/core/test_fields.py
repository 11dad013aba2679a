"""record_fields and utc_naive: the C speedups and their pure-Python twins give the same result."""

from __future__ import annotations

import datetime
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastlog_core import _fields
from fastlog_core._fields import record_fields_py, utc_naive_py

try:
    from fastlog_core._speedups import record_fields as record_fields_c
    from fastlog_core._speedups import utc_naive as utc_naive_c
except ImportError:  # pragma: no cover - only without a compiler; see test_speedups_built
    record_fields_c = None
    utc_naive_c = None

STANDARD = tuple(logging.LogRecord("n", 20, "p", 1, "m", None, None).__dict__)
N = len(STANDARD)
RESERVED = frozenset(STANDARD) | {"asctime", "color_message"}

both = pytest.mark.skipif(record_fields_c is None, reason="C speedups not built")


def attrs_with(extras: dict[str, Any]) -> dict[str, Any]:
    attrs = {name: i for i, name in enumerate(STANDARD)}
    attrs.update(extras)
    return attrs


def test_speedups_built() -> None:
    """Where a compiler exists (CI included) the extension is built and used: a failed build
    is a visible failure here, not a silent slowdown."""
    if os.environ.get("FASTLOG_NO_SPEEDUPS"):
        assert not _fields.SPEEDUPS
        return
    assert record_fields_c is not None
    assert _fields.SPEEDUPS
    assert _fields.record_fields is record_fields_c
    assert _fields.utc_naive is utc_naive_c


@both
class TestSameResult:
    def call(self, attrs: dict[str, Any], ctx: dict[str, Any]) -> Any:
        args = (attrs, N, RESERVED, "ts", "info", "app", "hello", ctx)
        expected = record_fields_py(*args)
        assert record_fields_c is not None
        got = record_fields_c(*args)
        assert got == expected
        if got is not None:
            assert list(got) == list(expected)  # same order, byte-for-byte same JSON
        return got

    def test_extras_in_order_after_context(self) -> None:
        got = self.call(attrs_with({"b": 2, "a": 1}), {"request_id": "r"})
        assert list(got) == [
            "timestamp", "level", "logger", "message", "request_id", "b", "a"
        ]  # fmt: skip

    def test_no_extras(self) -> None:
        assert self.call(attrs_with({}), {}) == {
            "timestamp": "ts", "level": "info", "logger": "app", "message": "hello"
        }  # fmt: skip

    @pytest.mark.parametrize("key", ["level", "message", "timestamp", "logger", "request_id"])
    def test_collision_hands_over(self, key: str) -> None:
        """An extra named like a schema or context key: None (the caller merges)."""
        assert self.call(attrs_with({key: 1}), {"request_id": "r"}) is None

    def test_context_collision_hands_over(self) -> None:
        assert self.call(attrs_with({}), {"level": "x"}) is None

    def test_reserved_in_tail_hands_over(self) -> None:
        assert self.call(attrs_with({"k": 1, "color_message": "x"}), {}) is None

    def test_factory_shift_hands_over(self) -> None:
        """An attribute set before the standard ones pushes one of them into the tail."""
        attrs = {"early": 0, **attrs_with({"k": 1})}
        assert self.call(attrs, {}) is None

    def test_deleted_and_set_again_hands_over(self) -> None:
        attrs = attrs_with({"k": 1})
        value = attrs.pop(STANDARD[3])
        attrs[STANDARD[3]] = value
        assert record_fields_c is not None
        assert record_fields_c(attrs, N, RESERVED, "ts", "info", "app", "m", {}) is None
        assert record_fields_py(attrs, N, RESERVED, "ts", "info", "app", "m", {}) is None

    @given(
        extras=st.dictionaries(
            st.sampled_from(["a", "b", "level", "message", "asctime", "msg", "ctx1", "z"])
            | st.text(max_size=5),
            st.integers(),
            max_size=6,
        ),
        ctx=st.dictionaries(st.sampled_from(["ctx1", "ctx2", "logger"]), st.integers()),
    )
    def test_any_tail(self, extras: dict[str, Any], ctx: dict[str, Any]) -> None:
        extras = {k: v for k, v in extras.items() if k not in STANDARD}
        self.call(attrs_with(extras), ctx)

    def test_bad_arguments_raise_type_error(self) -> None:
        assert record_fields_c is not None
        with pytest.raises(TypeError):
            record_fields_c([], N, RESERVED, 1, 2, 3, 4, {})  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            record_fields_c({}, N)  # type: ignore[call-arg]


class Aware(datetime.datetime):
    """A datetime subclass, as loguru's record["time"] is."""


class OtherTz(datetime.tzinfo):
    def utcoffset(self, dt: datetime.datetime | None) -> datetime.timedelta:
        return datetime.timedelta(hours=1)


def tz(hours: float) -> datetime.timezone:
    return datetime.timezone(datetime.timedelta(hours=hours))


class TestUtcNaive:
    """Both twins: the schema's naive UTC time, or None for the caller's general path."""

    @pytest.fixture(params=["py", "c"])
    def utc_naive(self, request: pytest.FixtureRequest) -> Any:
        if request.param == "py":
            return utc_naive_py
        if utc_naive_c is None:  # pragma: no cover - see test_speedups_built
            pytest.skip("C speedups not built")
        return utc_naive_c

    @pytest.mark.parametrize(
        ("moment", "expected"),
        [
            (
                Aware(2026, 3, 1, 0, 30, 0, 5, tzinfo=tz(2)),
                datetime.datetime(2026, 2, 28, 22, 30, 0, 5),
            ),
            (
                Aware(2026, 12, 31, 23, 0, 0, 7, tzinfo=tz(-5.5)),
                datetime.datetime(2027, 1, 1, 4, 30, 0, 7),
            ),
            (
                Aware(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
                datetime.datetime(2026, 1, 2, 3, 4, 5, 6),
            ),
            (
                Aware(2026, 1, 2, 3, 4, 5, 6, tzinfo=tz(0)),
                datetime.datetime(2026, 1, 2, 3, 4, 5, 6),
            ),
            (
                datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=tz(1)),
                datetime.datetime(2026, 1, 2, 2, 4, 5, 6),
            ),
        ],
    )
    def test_converts(
        self, utc_naive: Any, moment: datetime.datetime, expected: datetime.datetime
    ) -> None:
        got = utc_naive(moment)
        assert type(got) is datetime.datetime  # exactly: orjson serializes nothing else
        assert got == expected and got.tzinfo is None

    @pytest.mark.parametrize(
        "moment",
        [
            Aware(2026, 1, 2, 3, 4, 5, 0, tzinfo=tz(1)),  # a whole second: orjson drops ".000000"
            datetime.datetime(2026, 1, 2, 3, 4, 5, 6),  # naive: local time, the caller decides
            datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=OtherTz()),
            datetime.date(2026, 1, 2),
            1700000000.5,
            "2026-01-02",
            None,
        ],
    )
    def test_hands_over(self, utc_naive: Any, moment: Any) -> None:
        assert utc_naive(moment) is None

    @both
    @given(
        st.datetimes(
            min_value=datetime.datetime(2, 1, 1),
            max_value=datetime.datetime(9998, 12, 30),
            timezones=st.timedeltas(
                min_value=datetime.timedelta(hours=-23, minutes=-59),
                max_value=datetime.timedelta(hours=23, minutes=59),
            ).map(datetime.timezone),
        )
    )
    def test_same_result(self, moment: datetime.datetime) -> None:
        assert utc_naive_c is not None
        assert utc_naive_c(moment) == utc_naive_py(moment)
        fields = (*moment.timetuple()[:6], moment.microsecond)
        assert utc_naive_c(Aware(*fields, tzinfo=moment.tzinfo)) == utc_naive_py(moment)
        got = utc_naive_c(moment)
        assert got is None or (got.microsecond and got.tzinfo is None)


@both
def test_handler_output_same_without_speedups(tmp_path: Path) -> None:
    """The stdlib handler writes byte-for-byte the same lines with FASTLOG_NO_SPEEDUPS=1."""
    code = textwrap.dedent(
        """
        import logging, sys
        import fastlog_core, fastlog_stdlib
        from fastlog_core import _fields
        print(_fields.SPEEDUPS)

        class Fixed(logging.LogRecord):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.created = 1700000000.25

        logging.setLogRecordFactory(Fixed)
        handler = fastlog_stdlib.FastlogHandler(sys.argv[1])
        log = logging.getLogger("same")
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        with fastlog_core.context(request_id="r-1"):
            log.info("a %s", "b", extra={"k": 1, "ip": "203.0.113.7", "ok": True})
            log.info("collide", extra={"level": "x", "request_id": "mine"})
            log.info("reserved", extra={"color_message": "x", "z": None})
        log.info("plain")
        """
    )
    outputs = []
    for flag in ("", "1"):
        path = tmp_path / f"out{flag}.log"
        env = {**os.environ, "FASTLOG_NO_SPEEDUPS": flag}
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == ("False" if flag else "True")
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    records = [json.loads(line) for line in outputs[0].splitlines()]
    assert [r["message"] for r in records] == ["a b", "collide", "reserved", "plain"]
    assert records[0]["timestamp"] == "2023-11-14T22:13:20.250000Z"
    assert records[1]["fields.level"] == "x" and records[1]["request_id"] == "mine"
    assert "color_message" not in records[2] and records[2]["z"] is None
