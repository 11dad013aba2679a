"""Bad input through every adapter: whatever a logging call is given, it returns, and exactly one
valid JSON line per call reaches the file.

Hypothesis generates field values (text with lone surrogates, integers beyond 64 bits, NaN and
infinities, bytes, sets, tuples, datetimes, objects whose ``__repr__``/``__str__`` raise, cycles,
dicts with non-string keys), field names (the schema's own ``timestamp``/``level``/``logger``/
``message``, empty, non-ASCII) and messages (not strings, larger than ``max_record_bytes``,
%-templates with the wrong arguments), and sends them through the native logger, a stdlib
``FastlogHandler``, structlog configured by ``fastlog_structlog.configure`` and loguru's
``FastlogSink``. For each call: no exception, one line that parses, the call's level and logger,
``fastlog_error`` on a line whose content had to be repaired (and none on a clean one), and
``fastlog_truncated`` on an oversized one.

These run in-process (hypothesis needs it); the autouse fixtures of ``tests/conftest.py`` reset
fastlog between tests, structlog and loguru are reset here. The bugs this suite found are pinned
by the dedicated tests at the end (all fixed since; orjson's segfault on a datetime whose tzinfo
raises is guarded in fastlog, in a child process each); the generators leave out those inputs,
whose expected lines the dedicated tests spell out.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import itertools
import json
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loguru import logger as loguru_logger

import fastlog_core
import fastlog_structlog
from fastlog_loguru import FastlogSink
from fastlog_stdlib import FastlogHandler
from tests.helpers import finishes, reset_loguru, reset_structlog
from tests.reliability.conftest import Result, run_child

MAX_RECORD = 32 * 1024  # max_record_bytes of every pipeline here: oversized records stay cheap
HUGE = 40_000  # characters: a string this long makes a record larger than MAX_RECORD; nothing
# else generated comes near MAX_RECORD (10 fields of at most 10 leaves of ~60 characters)
EXAMPLES = 150  # hypothesis examples per adapter
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # what orjson writes as a number


# -- values ----------------------------------------------------------------------------------------


class Unprintable:
    """An object whose ``__repr__`` and ``__str__`` raise."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    __str__ = __repr__


class BadStr:
    """An object whose ``__str__`` raises; its ``repr`` works."""

    def __str__(self) -> str:
        raise ValueError("no str")

    def __repr__(self) -> str:
        return "<BadStr>"


class Opaque:
    """An object orjson does not know, with the default ``repr``."""


class Huge(str):
    """A string long enough to make a record oversized; hypothesis prints it short."""

    __slots__ = ()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"Huge({self[:1]!r} * {len(self)})")


HUGE_MESSAGE = Huge("h" * HUGE)
HUGE_ARG = Huge("a" * HUGE)


def cycle_list(items: list[Any]) -> list[Any]:
    items.append(items)
    return items


def cycle_dict(items: dict[str, Any]) -> dict[str, Any]:
    items["self"] = items
    return items


TEXT = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=12)
ZONES = st.sampled_from(
    [
        None,
        datetime.UTC,
        datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
        datetime.timezone(-datetime.timedelta(hours=8)),
    ]
)
#: Field names: the schema's own, empty, special to some adapter, non-ASCII, random.
FIELD_KEYS = (
    st.sampled_from(
        [
            "timestamp",
            "level",
            "logger",
            "message",
            "",
            "exc_info",
            "exception",
            "stack_info",
            "fields.level",
            "ключ",
            "鍵",
            "🔑",
            "a b",
        ]
    )
    | TEXT
)
NON_STR_KEYS = st.integers() | st.none() | st.floats() | st.tuples(st.integers()) | st.booleans()


def values(*, printable: bool = False) -> st.SearchStrategy[Any]:
    """Field values. ``printable``: only values whose ``str()`` works (loguru formats them)."""
    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.sampled_from([2**63, -(2**63) - 1, 2**64, -(2**64), 10**30])
        | st.floats()
        | TEXT
        | st.binary(max_size=16)
        | st.datetimes(timezones=ZONES)
        | st.dates()
        | st.times()
        | st.decimals(allow_nan=True, allow_infinity=True)
        | st.builds(ValueError, TEXT)
        | st.builds(Opaque)
    )
    hashable = st.integers() | TEXT | st.none() | st.floats()
    if not printable:
        # 10**5000: past the int-to-str digit limit, so even str() and repr() of it raise.
        leaves |= st.builds(pow, st.just(10), st.just(5000)) | st.builds(Unprintable)
        leaves |= st.builds(BadStr)
        hashable |= st.builds(Unprintable)

    def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return (
            st.lists(children, max_size=4)
            | st.tuples(children, children)
            | st.frozensets(hashable, max_size=3)
            | st.sets(hashable, max_size=3)
            | st.dictionaries(FIELD_KEYS | NON_STR_KEYS, children, max_size=4)
            | st.builds(cycle_list, st.lists(children, max_size=2))
            | st.builds(cycle_dict, st.dictionaries(FIELD_KEYS, children, max_size=2))
        )

    return st.recursive(leaves, containers, max_leaves=10)


VALUES = values()
PRINTABLE = values(printable=True)
FIELDS = st.dictionaries(FIELD_KEYS, VALUES, max_size=5)
NON_STR_FIELDS = st.dictionaries(NON_STR_KEYS, VALUES, max_size=2)
MESSAGES = TEXT | VALUES | st.just(HUGE_MESSAGE)
TEMPLATES = st.sampled_from(
    [
        "%s",
        "%d",
        "%s %s",
        "%r",
        "%x",
        "%.3f",
        "100% sure",
        "%",
        "%s%%",
        "%(k)s",
        "no args",
        "%s \ud800",
    ]
)
ARGS = st.lists(VALUES | st.just(HUGE_ARG), max_size=3).map(tuple) | st.builds(
    lambda v: ({"k": v},), VALUES
)


@dataclass
class Call:
    """One logging call: level, message, %-args, fields (and fields bound beforehand)."""

    level: str
    msg: Any
    args: tuple[Any, ...] = ()
    fields: dict[Any, Any] = field(default_factory=dict)
    bound: dict[str, Any] = field(default_factory=dict)


def calls(levels: list[str], fields: st.SearchStrategy[dict[Any, Any]] = FIELDS) -> Any:
    plain = st.builds(
        Call, st.sampled_from(levels), MESSAGES, st.just(()), fields, st.just({}) | FIELDS
    )
    formatted = st.builds(Call, st.sampled_from(levels), TEMPLATES, ARGS, fields, st.just({}))
    return st.lists(plain | formatted, min_size=1, max_size=4)


# -- what a line must look like --------------------------------------------------------------------


def has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def rejected(value: Any, ancestors: frozenset[int] = frozenset(), *, policy: str = "repr") -> bool:
    """Whether orjson, with the host's value policy, refuses *value*: the record needs repair.

    *policy*: ``"repr"`` (the core's and structlog's: ``repr()``), ``"str"`` (loguru's
    ``default=str``) or ``"pjl"`` (stdlib: python-json-logger's, ``str()`` then ``repr()`` then
    a marker, never failing).
    """
    if value is None or isinstance(value, (bool, float)):
        return False
    if isinstance(value, str):
        return has_surrogate(value)
    if isinstance(value, int):
        return not _INT_MIN <= value <= _INT_MAX
    if isinstance(value, (bytes, datetime.date, datetime.time, decimal.Decimal, Opaque)):
        return False
    if isinstance(value, BadStr):
        return policy == "str"
    if isinstance(value, Unprintable):
        return policy != "pjl"
    if isinstance(value, BaseException):
        return has_surrogate(str(value))
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        if id(value) in ancestors:
            return True  # a cycle
        inner = ancestors | {id(value)}
        if isinstance(value, dict):
            return any(bad_key(k) or rejected(v, inner, policy=policy) for k, v in value.items())
        if policy == "pjl" and isinstance(value, (set, frozenset)):
            # Written as its str() as pjl writes it; "__could_not_encode__" when that raises.
            return not unrepresentable(value) and has_surrogate(str(value))
        if policy == "str" and isinstance(value, (set, frozenset)):
            # orjson has no sets: default=str writes str(), whatever the items (a 65-bit int
            # inside is only text); a repair when that raises or has a lone surrogate.
            return unrepresentable(value) or has_surrogate(str(value))
        return any(rejected(item, inner, policy=policy) for item in value)
    raise AssertionError(f"no rule for {type(value)}")


def bad_key(key: Any) -> bool:
    """Whether a dict key needs repair: ints, floats, bools and None are written as text, as
    json.dumps writes them (no mark); other types, and strings with lone surrogates, are not."""
    if isinstance(key, str):
        return has_surrogate(key)
    if isinstance(key, int):
        return not _INT_MIN <= key <= _INT_MAX
    return not (key is None or isinstance(key, float))


def huge(value: Any, ancestors: frozenset[int] = frozenset()) -> bool:
    """Whether *value* holds a string long enough to make the record oversized."""
    if isinstance(value, str):
        return len(value) >= HUGE
    if isinstance(value, (list, tuple, set, frozenset)) and id(value) not in ancestors:
        return any(huge(item, ancestors | {id(value)}) for item in value)
    if isinstance(value, dict) and id(value) not in ancestors:
        return any(huge(item, ancestors | {id(value)}) for item in value.values())
    return False


@dataclass
class Expected:
    """What one call's line must show."""

    level: str | None  # None: not checked
    logger: str
    repaired: bool  # the content needs repair: fastlog_error is required
    clean: bool  # nothing needs repair: fastlog_error must be absent
    oversized: bool | None  # None: cannot tell (a failed %-format whose args have no repr)


def exc_info_needs_repair(value: Any) -> bool:
    """Whether the exception an ``exc_info`` value names has a message orjson refuses."""
    if not value or value is True:
        return False
    exc = value[1] if isinstance(value, tuple) and len(value) == 3 else value
    if isinstance(exc, BaseException):
        return has_surrogate(str(exc))
    return isinstance(value, tuple) and isinstance(exc, str) and has_surrogate(exc)


def expect(
    call: Call,
    level: str | None,
    logger: str,
    fields: Mapping[Any, Any] | None = None,
    *,
    exc_info_key: bool = True,
    bound_exc_info: bool = True,
    policy: str = "repr",
) -> Expected:
    """For adapters that pass the message through (native, stdlib, structlog).

    *exc_info_key*: the adapter reads an ``exc_info`` field as the exception to attach (native,
    structlog) rather than writing it as a field. *bound_exc_info*: a bound ``exc_info`` too
    (structlog, whose event dict merges them); the native logger reads the call's own only,
    and writes a bound one as a field like any other.
    """
    exc_repair = False
    if fields is None and exc_info_key and not bound_exc_info:
        own = dict(call.fields)
        if "exc_info" in own:
            exc_repair = exc_info_needs_repair(own.pop("exc_info"))
        fields = {**call.bound, **own}
        exc_info_key = False  # done: what is left is a field
    fields = dict({**call.bound, **call.fields} if fields is None else fields)
    if exc_info_key and "exc_info" in fields:
        exc_repair = exc_info_needs_repair(fields.pop("exc_info"))
    plain_text = isinstance(call.msg, str) and not call.args
    bad_fields = rejected(fields, policy=policy)
    repaired = bad_fields or exc_repair or (plain_text and has_surrogate(call.msg))
    clean = (
        not bad_fields
        and not exc_repair
        and isinstance(call.msg, str)
        and not has_surrogate(call.msg)
        and not rejected(call.args)
        and not _has(call.args, (Unprintable, BadStr))
    )
    oversized: bool | None = huge(call.msg) or huge(call.args) or huge(fields)
    if huge(call.args) and not huge(call.msg) and not huge(fields) and unrepresentable(call.args):
        # If the %-format fails, the args are written as their repr: none here, so the line
        # has the template alone (marked fastlog_error) and may not be oversized.
        oversized = None
    return Expected(level, logger, repaired, clean, oversized)


def unrepresentable(value: Any, ancestors: frozenset[int] = frozenset()) -> bool:
    """Whether ``repr(value)`` raises."""
    if isinstance(value, Unprintable):
        return True
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() > 14_000  # past sys.get_int_max_str_digits() (4300)
    if isinstance(value, (list, tuple, set, frozenset, dict)) and id(value) not in ancestors:
        inner = ancestors | {id(value)}
        if isinstance(value, dict):
            return any(
                unrepresentable(k, inner) or unrepresentable(v, inner) for k, v in value.items()
            )
        return any(unrepresentable(item, inner) for item in value)
    return False


def _has(value: Any, kinds: tuple[type, ...], ancestors: frozenset[int] = frozenset()) -> bool:
    if isinstance(value, kinds):
        return True
    if isinstance(value, (list, tuple, set, frozenset, dict)) and id(value) not in ancestors:
        items = value.values() if isinstance(value, dict) else value
        return any(_has(item, kinds, ancestors | {id(value)}) for item in items)
    return False


def check(lines: list[dict[str, Any]], expected: list[Expected]) -> None:
    assert len(lines) == len(expected), f"{len(lines)} lines for {len(expected)} calls"
    for line, want in zip(lines, expected, strict=True):
        assert {"timestamp", "level", "logger", "message"} <= line.keys(), line
        if want.level is not None:
            assert line["level"] == want.level, line
        assert line["logger"] == want.logger, line
        if want.oversized is None:
            continue
        if want.oversized:
            assert "fastlog_truncated" in line, "an oversized record was not truncated"
            continue  # truncation may shorten the rest; it keeps the record valid and marked
        assert "fastlog_truncated" not in line
        if want.repaired:
            assert "fastlog_error" in line, f"a repaired line is not marked: {line}"
        if want.clean:
            assert "fastlog_error" not in line, f"a clean record was marked: {line}"
    stats = fastlog_core.stats()
    assert stats["dropped"] == 0
    assert stats["lost"] == 0


class Tail:
    """The lines appended to a file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def skip(self) -> None:
        """Start after what is there now (what an earlier, failed example left unread)."""
        assert fastlog_core.flush(timeout=10)
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def new_lines(self) -> list[dict[str, Any]]:
        assert fastlog_core.flush(timeout=10)
        with self.path.open("rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        assert data == b"" or data.endswith(b"\n"), "the file does not end with a whole line"
        lines = []
        for raw in data.splitlines():
            line = orjson.loads(raw)  # an invalid line fails here
            assert isinstance(line, dict)
            lines.append(line)
        return lines


class Row:
    """The table row of one property test: calls made, errors counted by kind."""

    def __init__(self) -> None:
        self.adapter = ""
        self.how = ""
        self.calls = 0

    def add(self, adapter: str, how: str, calls: int) -> None:
        self.adapter, self.how = adapter, how
        self.calls += calls


@pytest.fixture
def row(results: list[Result]) -> Iterator[Row]:
    """Appends the row after the test, before the autouse reset clears the error counts."""
    mine = Row()
    yield mine
    if not mine.calls:
        return
    errors = fastlog_core.stats()["errors_by_kind"]
    results.append(
        Result(
            fault="Bad input (hypothesis)",
            setup=f"{mine.adapter}: {mine.how}; {EXAMPLES} examples of 1-4 calls",
            sent=mine.calls,
            written=mine.calls,
            note=(
                "every call returned and wrote one valid JSON line with its level and logger; "
                f"{errors.get('encoding', 0)} records repaired and marked `fastlog_error`, "
                f"{errors.get('format', 0)} bad %-formats written as template + args; errors "
                "by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(errors.items()))
            ),
        )
    )


@pytest.fixture
def tail(tmp_path: Path) -> Tail:
    return Tail(tmp_path / "bad.log")


LEVELS = ["debug", "info", "warning", "error", "critical"]


def raise_and_log(log: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Call *log* while an exception is being handled."""
    try:
        raise ValueError("boom")
    except ValueError:
        log(*args, **kwargs)


# -- native logger ---------------------------------------------------------------------------------


@SETTINGS
@given(batch=calls([*LEVELS, "exception"]))
def test_native_logger(tail: Tail, row: Row, batch: list[Call]) -> None:
    """``Logger.<level>(msg, *args, **fields)``, with bound fields: a valid line per call."""
    fastlog_core.configure(sink=str(tail.path), level="debug", max_record_bytes=MAX_RECORD)
    tail.skip()
    log = fastlog_core.get_logger("bad.native")
    expected = []
    for call in batch:
        target = log.bind(**call.bound) if call.bound else log
        method = getattr(target, call.level)
        if call.level == "exception":
            raise_and_log(method, call.msg, *call.args, **call.fields)
        else:
            method(call.msg, *call.args, **call.fields)
        level = "error" if call.level == "exception" else call.level
        expected.append(expect(call, level, "bad.native", bound_exc_info=False))
    check(tail.new_lines(), expected)
    row.add(
        "native logger", "`log.<level>(msg, *args, **fields)`, `bind()`, `exception()`", len(batch)
    )


# -- stdlib ----------------------------------------------------------------------------------------

#: Names stdlib itself refuses in ``extra=`` (KeyError from ``Logger.makeRecord``).
STDLIB_REFUSED = frozenset({"message", "asctime", *logging.makeLogRecord({}).__dict__})


@pytest.fixture
def stdlib_logger(tail: Tail) -> Iterator[logging.Logger]:
    handler = FastlogHandler(str(tail.path), max_record_bytes=MAX_RECORD)
    log = logging.getLogger("bad.stdlib")
    saved = (log.handlers[:], log.level, log.propagate)
    log.handlers = [handler]
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log
    log.handlers, log.level, log.propagate = saved
    handler.close()


@SETTINGS
@given(batch=calls(LEVELS, st.dictionaries(FIELD_KEYS | NON_STR_KEYS, VALUES, max_size=5)))
def test_stdlib_handler(
    tail: Tail, row: Row, stdlib_logger: logging.Logger, batch: list[Call]
) -> None:
    """``logger.log(level, msg, *args, extra=...)`` to a ``FastlogHandler``: a line per call."""
    tail.skip()
    expected = []
    for i, call in enumerate(batch):
        extra = {k: v for k, v in call.fields.items() if k not in STDLIB_REFUSED}
        levelno = logging.getLevelName(call.level.upper())
        if i % 2:
            raise_and_log(
                stdlib_logger.log, levelno, call.msg, *call.args, extra=extra, exc_info=True
            )
        else:
            stdlib_logger.log(levelno, call.msg, *call.args, extra=extra)
        # A dict message (not a structlog event) is python-json-logger's "log a dict": its
        # items are fields, extra= ones win, the message is "".
        logged_dict = isinstance(call.msg, dict) and not call.args
        fields = {**call.msg, **extra} if logged_dict else extra
        want = expect(call, call.level, "bad.stdlib", fields, exc_info_key=False, policy="pjl")
        expected.append(want)
    check(tail.new_lines(), expected)
    row.add(
        "stdlib `FastlogHandler`",
        "`logger.log(level, msg, *args, extra=...)`, `exc_info=True`",
        len(batch),
    )


# -- structlog -------------------------------------------------------------------------------------

#: Taken by structlog's method signatures (``info(self, event, *args, **kw)``, ``bind(self, ...)``).
STRUCTLOG_TAKEN = frozenset({"self", "event"})
#: The renderer's level names (a "level" field naming one sets the record's level).
STRUCTLOG_LEVELS = {
    "debug": "debug",
    "info": "info",
    "msg": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "err": "error",
    "exception": "error",
    "failure": "error",
    "critical": "critical",
    "fatal": "critical",
}
#: The bound logger's methods called here.
STRUCTLOG_METHODS = ["debug", "info", "msg", "warning", "warn", "error", "exception", "critical"]


@pytest.fixture
def _reset_structlog() -> Iterator[None]:
    reset_structlog()
    yield
    reset_structlog()


def without_renderer_cases(fields: dict[str, Any]) -> dict[str, Any]:
    """Leave out what ``test_structlog_renderer_keeps_the_record`` pins: a ``timestamp``
    number or aware datetime that cannot be converted, an ``exception`` list that is not
    ``dict_tracebacks`` output. Such a value is replaced by its type name."""
    out = dict(fields)
    ts = out.get("timestamp")
    if isinstance(ts, (int, float, datetime.datetime)) and not isinstance(ts, bool):
        try:
            if isinstance(ts, datetime.datetime):
                ts.astimezone(datetime.UTC)
            else:
                datetime.datetime.fromtimestamp(float(ts), datetime.UTC)
        except (OverflowError, ValueError, OSError):
            out["timestamp"] = type(ts).__name__
    exc = out.get("exception")
    if isinstance(exc, list) and exc and isinstance(exc[-1], Mapping):
        out["exception"] = "list"
    return out


@SETTINGS
@given(
    batch=calls(STRUCTLOG_METHODS),
    processors=st.booleans(),
    odd_keys=NON_STR_FIELDS,
)
@pytest.mark.usefixtures("_reset_structlog")
def test_structlog(
    tail: Tail, row: Row, batch: list[Call], processors: bool, odd_keys: dict[Any, Any]
) -> None:
    """structlog via ``fastlog_structlog.configure``, native chain or with a processor that adds
    non-string keys: ``log.bind(**bound).<level>(event, *args, **kw)``, a line per call."""
    chain = []
    if processors:

        def add_odd_keys(_: Any, __: str, event_dict: Any) -> Any:
            event_dict.update(odd_keys)
            return event_dict

        chain.append(add_odd_keys)
    fastlog_structlog.configure(
        sink=str(tail.path), level="debug", max_record_bytes=MAX_RECORD, processors=chain
    )
    tail.skip()
    log = structlog.get_logger("bad.structlog")
    expected = []
    for call in batch:
        args = call.args
        if (
            processors
            and args
            and (unrepresentable(args) or unrepresentable(call.msg) or isinstance(call.msg, BadStr))
        ):
            args = ()  # test_structlog_bad_format_does_not_raise pins this case
        kw = without_renderer_cases(
            {k: v for k, v in call.fields.items() if k not in STRUCTLOG_TAKEN}
        )
        bound = without_renderer_cases(
            {k: v for k, v in call.bound.items() if k not in STRUCTLOG_TAKEN}
        )
        target = log.bind(**bound) if bound else log
        method = getattr(target, call.level)
        if call.level == "exception":
            raise_and_log(method, call.msg, *args, **kw)
        else:
            method(call.msg, *args, **kw)
        made = Call(call.level, call.msg, args, call.fields, call.bound)
        merged: dict[Any, Any] = {**bound, **kw, **(odd_keys if processors else {})}
        # Under configure() the level and the logger are the call's: a "level" or "logger"
        # field is kept as fields.<key> (docs/structlog.md).
        want_level = STRUCTLOG_LEVELS[call.level]
        want_logger = "bad.structlog"
        expected.append(expect(made, want_level, want_logger, merged))
    check(tail.new_lines(), expected)
    row.add(
        "structlog",
        "`fastlog_structlog.configure()` (native chain, or a processor adding non-string keys), "
        "`bind()`, `log.<level>(event, *args, **kw)`",
        len(batch),
    )


# -- loguru ----------------------------------------------------------------------------------------

LOGURU_LEVELS = ["trace", "debug", "info", "success", "warning", "error", "critical"]


@dataclass
class LoguruCall:
    """One loguru call: ``bind(**bound)``, ``patch()`` adding *patched*, ``opt()``, ``log()``."""

    level: str
    msg: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    bound: dict[str, Any]
    patched: dict[Any, Any]
    exception: bool
    lazy: bool
    capture: bool


LOGURU_CALLS = st.lists(
    st.builds(
        LoguruCall,
        st.sampled_from(LOGURU_LEVELS),
        TEXT | PRINTABLE | st.just(HUGE_MESSAGE),
        st.lists(PRINTABLE, max_size=3).map(tuple),
        FIELDS,
        st.just({}) | FIELDS,
        st.just({}) | NON_STR_FIELDS,
        st.booleans(),
        st.booleans(),
        st.booleans(),
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture
def loguru_sink(tail: Tail) -> Iterator[None]:
    reset_loguru()
    # catch=False: loguru would otherwise print and swallow an exception from the sink.
    loguru_logger.add(
        FastlogSink(str(tail.path), max_record_bytes=MAX_RECORD),
        level=0,
        format="{message}",
        catch=False,
    )
    yield
    reset_loguru()


def loguru_expected(call: LoguruCall) -> Expected:
    text = call.msg if isinstance(call.msg, str) else str(call.msg)
    if call.args or call.kwargs:
        text = text.replace("{", "{{").replace("}", "}}") + " {}" * len(call.args)
        final = text.format(*call.args, **call.kwargs)
    else:
        final = text
    extra = {**call.bound, **(call.kwargs if call.capture else {}), **call.patched}
    return Expected(
        level=call.level,
        logger=__name__,
        repaired=rejected(extra, policy="str") or has_surrogate(final),
        clean=not rejected(extra, policy="str") and not has_surrogate(final),
        oversized=huge(final) or huge(extra),
    )


def loguru_call(call: LoguruCall) -> None:
    text = call.msg if isinstance(call.msg, str) else str(call.msg)
    if call.args or call.kwargs:
        # loguru formats with str.format: braces in the text are escaped, the arguments are
        # referenced positionally, keyword arguments only travel as extra fields.
        template: Any = text.replace("{", "{{").replace("}", "}}") + " {}" * len(call.args)
    else:
        template = call.msg
    args: tuple[Any, ...] = call.args
    kwargs: dict[str, Any] = call.kwargs
    if call.lazy:
        args = tuple((lambda v=v: v) for v in args)
        kwargs = {k: (lambda v=v: v) for k, v in kwargs.items()}
    target = loguru_logger.bind(**call.bound)
    if call.patched:
        patched = call.patched
        target = target.patch(lambda record: record["extra"].update(patched))
    if call.exception:
        target = target.opt(exception=ValueError("boom"), lazy=call.lazy, capture=call.capture)
    else:
        target = target.opt(lazy=call.lazy, capture=call.capture)
    target.log(call.level.upper(), template, *args, **kwargs)


@SETTINGS
@given(batch=LOGURU_CALLS)
@pytest.mark.usefixtures("loguru_sink")
def test_loguru_sink(tail: Tail, row: Row, batch: list[LoguruCall]) -> None:
    """loguru to ``FastlogSink``: ``bind``, kwargs, ``patch`` (non-string keys), ``opt``."""
    tail.skip()
    expected = []
    for call in batch:
        loguru_call(call)
        expected.append(loguru_expected(call))
    check(tail.new_lines(), expected)
    row.add(
        "loguru `FastlogSink`",
        "`bind()`, kwargs, `patch()` adding non-string keys, `opt(exception, lazy, capture)`",
        len(batch),
    )


# -- bugs found by this suite (fixed), and orjson's (upstream) ----------------------------------


class Color(enum.StrEnum):
    RED = "red"


def only_line(path: Path) -> dict[str, Any]:
    """The one line *path* holds, after a flush."""
    assert fastlog_core.flush(timeout=10)
    (line,) = [orjson.loads(raw) for raw in path.read_bytes().splitlines()]
    assert isinstance(line, dict)
    return line


@pytest.mark.parametrize(
    "value",
    [{(1, 2): 1}, datetime.time(12, 30, tzinfo=datetime.UTC)],
    ids=["tuple-key", "aware-time"],
)
def test_repair_keeps_the_record(tmp_path: Path, value: Any) -> None:
    """A value that needs repair leaves the record's message, level, logger and fields in place."""
    path = tmp_path / "app.log"
    fastlog_core.configure(sink=str(path), level="debug")
    fastlog_core.get_logger("bad.native").info("keep me", value=value, user=42)
    line = only_line(path)
    assert "fastlog_error" in line
    assert (line["message"], line["level"], line["logger"]) == ("keep me", "info", "bad.native")
    assert line["user"] == 42


def test_keys_json_writes_are_not_repairs(tmp_path: Path) -> None:
    """Keys that are ints, floats, bools, None or a StrEnum are written as json.dumps writes
    them, unmarked and uncounted."""
    path = tmp_path / "app.log"
    fastlog_core.configure(sink=str(path), level="debug")
    keyed = {1: "a", 2.5: "b", False: "c", None: "d", Color.RED: "e"}
    fastlog_core.get_logger("bad.native").info("m", keyed=keyed)
    line = only_line(path)
    assert line["keyed"] == {"1": "a", "2.5": "b", "false": "c", "null": "d", "red": "e"}
    assert line["keyed"] == json.loads(json.dumps(keyed))
    assert "fastlog_error" not in line
    assert fastlog_core.stats()["errors"] == 0


def test_renamed_field_does_not_overwrite_another(tmp_path: Path) -> None:
    """``level=`` (moved to ``fields.level``) and ``**{"fields.level": ...}`` both survive."""
    path = tmp_path / "app.log"
    fastlog_core.configure(sink=str(path), level="debug")
    fastlog_core.get_logger("bad.native").info("m", **{"level": "mine", "fields.level": "theirs"})
    line = only_line(path)
    assert {"mine", "theirs"} <= set(line.values()), line


@pytest.mark.parametrize(
    "fields",
    [{"timestamp": math.inf}, {"timestamp": 1e20}, {"exception": [1, {}]}],
    ids=["timestamp-inf", "timestamp-1e20", "exception-list"],
)
@pytest.mark.usefixtures("_reset_structlog")
def test_structlog_renderer_keeps_the_record(tmp_path: Path, fields: dict[str, Any]) -> None:
    """A field the renderer cannot interpret is kept as a field; the record stays intact."""
    path = tmp_path / "app.log"
    # A processor: structlog's chain ends in FastlogRenderer (the native path never reads an
    # "exception" field).
    fastlog_structlog.configure(
        sink=str(path), level="debug", processors=[structlog.processors.add_log_level]
    )
    structlog.get_logger("bad.structlog").info("keep me", user=42, **fields)
    line = only_line(path)
    assert (line["message"], line["level"], line["logger"]) == ("keep me", "info", "bad.structlog")
    assert line["user"] == 42


@pytest.mark.parametrize(
    ("event", "args"),
    [("%s %s", (Unprintable(),)), ("%d", (10**5000, 1)), (Unprintable(), (1,))],
    ids=["arg-without-repr", "int-past-str-limit", "event-without-repr"],
)
@pytest.mark.usefixtures("_reset_structlog")
def test_structlog_bad_format_does_not_raise(
    tmp_path: Path, event: Any, args: tuple[Any, ...]
) -> None:
    """A %-format that fails, with args that have no repr, through a chain with a processor."""
    path = tmp_path / "app.log"
    fastlog_structlog.configure(
        sink=str(path), level="debug", processors=[structlog.processors.add_log_level]
    )
    structlog.get_logger("bad.structlog").info(event, *args)  # must not raise
    line = only_line(path)
    assert (line["level"], line["logger"]) == ("info", "bad.structlog")


#: Text JSON writes six bytes per character for most (``\\u00XX``), two for ``\\n``, quotes and
#: backslashes, several for non-ASCII: a logger name and message of a few hundred such characters
#: outgrow a 1 KiB capacity several times over once escaped.
ESCAPING = st.text(
    st.sampled_from([chr(c) for c in range(0x20)] + ['"', "\\", "é", "\U0001f600"]),
    min_size=100,
    max_size=1200,
)
_escaped_paths = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=ESCAPING,
    message=ESCAPING,
    capacity=st.integers(1024, 4096),
    policy=st.sampled_from(["block", "drop"]),
)
def test_escaped_record_over_a_small_capacity(
    tmp_path: Path, name: str, message: str, capacity: int, policy: str
) -> None:
    """A logger name and a message JSON escapes, capacity (and max_record_bytes) 1-4 KiB, block
    and drop: the call returns, and the record, alone in an empty buffer, is written truncated
    within the capacity, counted; flush() says True only then."""
    path = tmp_path / f"escaped-{next(_escaped_paths)}.log"
    route = fastlog_core.route(
        str(path), capacity=capacity, max_record_bytes=capacity, policy=policy
    )
    pipeline = route.pipeline
    log = fastlog_core.Logger(name, route)
    try:
        finishes(lambda: log.info(message), timeout=20, message=f"log.info under {policy}")
        flushed = pipeline.flush(timeout=10)
        stats = pipeline.stats()
        data = path.read_bytes()
    finally:
        pipeline.shutdown(timeout=1)
    assert stats["records_written"] + stats["dropped"] == 1
    assert stats["dropped"] == 0, "a record alone in an empty buffer was dropped"
    assert flushed is True
    (line,) = data.splitlines(keepends=True)
    assert len(line) <= capacity
    record = orjson.loads(line)
    assert record["level"] == "info"
    if "fastlog_truncated" in record:
        assert record["fastlog_truncated"] > capacity
        assert stats["truncated"] == 1
    else:
        assert (record["logger"], record["message"]) == (name, message)


CHILD_RAISING_UTCOFFSET = """
import dataclasses, datetime, enum, io, logging, sys
import fastlog_core

armed = False  # an Enum hashes its values when it is made: raise only once it is

class BadZone(datetime.tzinfo):
    def utcoffset(self, dt):
        if armed:
            raise RuntimeError("no offset")
        return None

    def dst(self, dt):
        return None

@dataclasses.dataclass
class Event:
    when: datetime.datetime

when = datetime.datetime(2024, 1, 1, tzinfo=BadZone())
Kind = enum.Enum("Kind", {"AT": when})
values = {
    "field": when,
    "nested": {"a": [1, (2, when)]},
    "key": {when: 1},
    "dataclass": Event(when),
    "enum": Kind.AT,
}
path, api, where = sys.argv[1], sys.argv[2], sys.argv[3]
value = values[where]
armed = True
if api == "native":
    fastlog_core.configure(sink=path)
    fastlog_core.get_logger("bad").info("keep me", value=value)
elif api == "stdlib":
    from fastlog_stdlib import FastlogHandler
    logging.getLogger("bad").addHandler(FastlogHandler(path))
    logging.getLogger("bad").warning("keep me", extra={"value": value})
elif api == "formatter":
    from fastlog_stdlib import FastlogFormatter
    handler = logging.FileHandler(path)
    handler.setFormatter(FastlogFormatter())
    logging.getLogger("bad").addHandler(handler)
    logging.getLogger("bad").warning("keep me", extra={"value": value})
    handler.close()
elif api == "structlog":
    import structlog, fastlog_structlog
    fastlog_structlog.configure(sink=path)
    structlog.get_logger("bad").info("keep me", value=value)
    # The renderer in a chain of one's own: the core's encode_record.
    line = fastlog_structlog.FastlogRenderer()(None, "info", {"event": "keep me", "value": value})
    assert b"fastlog_error" in line, line
elif api == "loguru":
    from loguru import logger
    from fastlog_loguru import FastlogSink
    logger.remove()
    logger.add(FastlogSink(path))
    logger.bind(value=value).info("keep me")
fastlog_core.flush()
report()
"""


_APIS = ("native", "stdlib", "formatter", "structlog", "loguru")
_PLACES = ("field", "nested", "key", "dataclass", "enum")


@pytest.mark.parametrize(
    ("api", "where", "no_speedups"),
    [
        *((api, where, False) for api in _APIS for where in _PLACES),
        # The Python twin of the check, on one shape per API.
        *((api, "nested", True) for api in _APIS),
    ],
    ids=lambda value: {False: "c", True: "python"}.get(value, value),
)
def test_datetime_with_raising_utcoffset(
    tmp_path: Path, api: str, where: str, no_speedups: bool
) -> None:
    """A datetime whose tzinfo.utcoffset() raises (orjson 3.13 segfaults on it), anywhere
    orjson would write it natively and through every adapter, gives a repaired line: no crash
    (in a child process, with and without the C speedups)."""
    path = tmp_path / "app.log"
    env = {"FASTLOG_NO_SPEEDUPS": "1"} if no_speedups else {}
    child = run_child(
        CHILD_RAISING_UTCOFFSET, str(path), api, where, timeout=60, check=False, env=env
    )
    assert child.returncode == 0, f"child exited {child.returncode}: {child.stderr[-2000:]}"
    line = orjson.loads(path.read_bytes().splitlines()[0])
    assert line["message"] == "keep me"
    # A key that is not a str is refused by orjson before it looks at it: that is the repair.
    reason = "Dict key must be str" if where == "key" else "utcoffset() raises"
    assert reason in line["fastlog_error"]
