"""FastlogFormatter against python-json-logger itself: the same lines, generated.

``pjl_compatible=True`` must write exactly what pjl's ``JsonFormatter`` writes, byte for byte,
for the same record and options; in fastlog's schema the values must be pjl's values, and a
subclass that overrides pjl's hooks (the general path) must get what the fast path writes.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import logging
import sys
import uuid
from pathlib import PurePosixPath
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastlog_stdlib import FastlogFormatter

pjl_json = pytest.importorskip(
    "pythonjsonlogger.json", reason="python-json-logger is a test dependency"
)
PjlFormatter = pjl_json.JsonFormatter


class Color(enum.Enum):
    RED = "red"
    RAW = b"raw"


@dataclasses.dataclass
class Point:
    x: int
    y: float


class Shown:
    def __str__(self) -> str:
        return "shown"


class Broken:
    def __str__(self) -> str:
        raise ValueError("no str")

    def __repr__(self) -> str:
        raise ValueError("no repr")


def _traceback() -> Any:
    try:
        raise KeyError("k")
    except KeyError as exc:
        return exc.__traceback__


#: Values whose rendering pjl defines (pythonjsonlogger.defaults), and ordinary JSON data.
SPECIAL_VALUES = [
    b"\x00bytes\xff",
    bytearray(b"ba"),
    datetime.datetime(2024, 5, 5, 16, 45, 30, 100),
    datetime.datetime(2024, 5, 5, 16, 45, 30, tzinfo=datetime.UTC),
    datetime.datetime(2024, 5, 5, 16, 45, 30, 7, datetime.timezone(datetime.timedelta(hours=-3))),
    datetime.date(2024, 5, 5),
    datetime.time(16, 45, 30, 100),
    uuid.UUID(int=12345),
    ValueError("bad value"),
    KeyError,
    Color.RED,
    Color.RAW,
    Color,
    Point(1, 2.5),
    Point,
    decimal.Decimal("1.50"),
    PurePosixPath("/var/log/app.log"),
    Shown(),
    Broken(),
    {1, 2, 3},
    frozenset({"a"}),
    (1, "two"),
    {"nested": [1, {"deep": b"x"}]},
    {5: "int key", None: "none key", 2.5: "float key", True: "bool key"},
    _traceback(),
    1e16,
    -0.0,
    2**63 - 1,
]

json_data = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
# Broken() is left to the parametrized tests: hypothesis prints failing examples with repr().
values = json_data | st.sampled_from([v for v in SPECIAL_VALUES if not isinstance(v, Broken)])
extra_keys = st.sampled_from(["user", "request_id", "n", "data", "_private", "color", "when"])

FMTS = [
    None,
    "%(message)s",
    "%(asctime)s %(levelname)s %(name)s %(message)s",
    "%(levelname)s %(module)s %(lineno)d %(funcName)s %(exc_info)s %(missing)s",
    ("{asctime} {levelname} {message}", "{"),
    ("$levelname ${message} $process", "$"),
    ("levelname,,message,thread,", ","),
    ["message", "name", "process"],
]

options = st.fixed_dictionaries(
    {},
    optional={
        "rename_fields": st.dictionaries(
            st.sampled_from(["levelname", "message", "user", "exc_info", "name", "missing"]),
            st.sampled_from(["LEVEL", "@message", "who", "stack", "logger_name"]),
            max_size=2,
        ),
        "rename_fields_keep_missing": st.booleans(),
        "static_fields": st.dictionaries(st.sampled_from(["env", "user"]), json_data, max_size=2),
        "defaults": st.dictionaries(st.sampled_from(["region", "user"]), json_data, max_size=2),
        "timestamp": st.sampled_from([True, False, "@timestamp"]),
        "prefix": st.sampled_from(["", "json: "]),
        "exc_info_as_array": st.booleans(),
        "stack_info_as_array": st.booleans(),
        "json_indent": st.sampled_from([None, 2, "\t"]),
        "json_ensure_ascii": st.booleans(),
        "reserved_attrs": st.sampled_from(
            [[], ["args", "msg", "levelno", "created", "msecs", "relativeCreated"]]
        ),
    },
)


def make_record(
    msg: Any, args: Any, extra: dict[str, Any], exc: bool, stack: bool
) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError("boom\nsecond line")
        except RuntimeError:
            exc_info = sys.exc_info()
    record = logging.getLogger("gen.app").makeRecord(
        "gen.app",
        logging.WARNING,
        __file__,
        42,
        msg,
        args,
        exc_info,
        "func",
        extra or None,
        "Stack (most recent call last):\n  File x, line 1\n    f()" if stack else None,
    )
    record.created = 1733547600.123456
    record.msecs = 123.0
    return record


records = st.builds(
    make_record,
    msg=st.sampled_from(["plain", "user %s did %d", "ünïcødé ✓ %s"])
    | st.dictionaries(extra_keys | st.sampled_from(["exc_info", "stack_info"]), values, max_size=3),
    args=st.sampled_from([(), ("ann", 3)]),
    extra=st.dictionaries(extra_keys, values, max_size=4),
    exc=st.booleans(),
    stack=st.booleans(),
).filter(
    lambda r: (
        not (isinstance(r.msg, dict) and r.args)
        and (r.msg.count("%") == len(r.args) if isinstance(r.msg, str) else True)
    )
)


def _fmt_kwargs(fmt: Any) -> dict[str, Any]:
    if isinstance(fmt, tuple):
        return {"fmt": fmt[0], "style": fmt[1]}
    return {"fmt": fmt}


def _same_record(record: logging.LogRecord) -> logging.LogRecord:
    """A copy: formatting sets attributes (message, asctime) on the record."""
    copy = logging.makeLogRecord({})
    copy.__dict__.clear()
    copy.__dict__.update(record.__dict__)
    return copy


class TestPjlCompatibleIsPjl:
    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=records, fmt=st.sampled_from(FMTS), opts=options)
    def test_same_bytes_as_json_formatter(
        self, record: logging.LogRecord, fmt: Any, opts: dict[str, Any]
    ) -> None:
        """The line pjl's JsonFormatter writes, byte for byte, for any record and options."""
        kwargs = {**_fmt_kwargs(fmt), **opts}
        expected = PjlFormatter(**kwargs).format(_same_record(record))
        got = FastlogFormatter(pjl_compatible=True, **kwargs).format(_same_record(record))
        assert got == expected

    @pytest.mark.parametrize("value", SPECIAL_VALUES, ids=lambda v: type(v).__name__)
    def test_each_special_value(self, value: Any) -> None:
        record = make_record("m", (), {"value": value, "inside": [value]}, False, False)
        expected = PjlFormatter().format(_same_record(record))
        assert FastlogFormatter(pjl_compatible=True).format(_same_record(record)) == expected

    def test_json_default_and_encoder(self) -> None:
        """json_default and a JSONEncoder subclass get what json.dumps would hand them."""

        def default(obj: Any) -> Any:
            if isinstance(obj, datetime.datetime):
                return "a datetime"
            if isinstance(obj, complex):
                return [obj.real, obj.imag]
            return str(obj)

        class Encoder(pjl_json.JsonEncoder):  # type: ignore[misc, name-defined]
            def format_datetime_obj(self, o: Any) -> str:
                return "formatted " + o.isoformat()

        extra = {"when": datetime.datetime(2024, 1, 2, 3, 4, 5), "z": complex(1, 2)}
        for kwargs in ({"json_default": default}, {"json_encoder": Encoder}):
            record = make_record("m", (), extra, False, False)
            expected = PjlFormatter(**kwargs).format(_same_record(record))
            got = FastlogFormatter(pjl_compatible=True, **kwargs).format(_same_record(record))
            assert got == expected
            fastlog_line = orjson.loads(FastlogFormatter(**kwargs).format(_same_record(record)))
            assert fastlog_line["when"] == orjson.loads(expected)["when"]


class TestFastlogSchemaValues:
    @pytest.mark.parametrize("value", SPECIAL_VALUES, ids=lambda v: type(v).__name__)
    def test_values_are_pjls(self, value: Any) -> None:
        """In fastlog's schema, a value is written as pjl writes it (the value policy)."""
        record = make_record("m", (), {"value": value, "inside": {"v": value}}, False, False)
        expected = orjson.loads(PjlFormatter().format(_same_record(record)))
        got = orjson.loads(FastlogFormatter().format(_same_record(record)))
        assert got["value"] == expected["value"]
        assert got["inside"] == expected["inside"]
        assert "fastlog_error" not in got

    def test_repaired_field_leaves_the_others(self) -> None:
        """An int over 64 bits is repaired; the UUID and Enum beside it keep pjl's rendering."""
        record = make_record(
            "m", (), {"big": 2**70, "id": uuid.UUID(int=5), "color": Color.RED}, False, False
        )
        got = orjson.loads(FastlogFormatter().format(record))
        assert got["big"] == str(2**70)
        assert got["id"] == str(uuid.UUID(int=5))
        assert got["color"] == "red"
        assert got["fastlog_error"].startswith("TypeError")


class Hooked(FastlogFormatter):
    """Overrides pjl's extension points without changing anything: the general path."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return super().process_log_record(log_data)


FASTLOG_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "rename_fields": st.dictionaries(
            st.sampled_from(["levelname", "message", "user", "exc_info", "name"]),
            st.sampled_from(["severity", "msg", "who", "error"]),
            max_size=2,
        ),
        "rename_fields_keep_missing": st.booleans(),
        "static_fields": st.dictionaries(st.sampled_from(["env", "user"]), json_data, max_size=2),
        "defaults": st.dictionaries(st.sampled_from(["region", "user"]), json_data, max_size=2),
        "timestamp": st.sampled_from([True, False, "@timestamp"]),
        "exc_info_as_array": st.booleans(),
        "stack_info_as_array": st.booleans(),
        "include_location": st.booleans(),
        "include_process": st.booleans(),
        "json_ensure_ascii": st.booleans(),
    },
)


class TestHookedPathIsFastPath:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=records, fmt=st.sampled_from(FMTS), opts=FASTLOG_OPTIONS)
    def test_same_line(self, record: logging.LogRecord, fmt: Any, opts: dict[str, Any]) -> None:
        """A subclass overriding add_fields/process_log_record (pjl's general sequence of calls)
        writes exactly what the plain formatter writes."""
        kwargs = {**_fmt_kwargs(fmt), **opts}
        fast = FastlogFormatter(**kwargs).format(_same_record(record))
        hooked = Hooked(**kwargs).format(_same_record(record))
        assert hooked == fast
