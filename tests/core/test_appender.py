"""The append path: ``_speedups.Appender`` (C) and its Python twin behave the same.

The Python twin (``_pipeline/appender.py``) defines the behaviour; the C one is what runs with
the speedups. Both are driven here with the same operations, against a recording slow path,
and must leave the same bytes, counts and slow-path calls.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastlog_core._encoders import json as _json
from fastlog_core._pipeline.appender import Appender as PyAppender
from fastlog_core._pipeline.appender import AppenderType

speedups = pytest.importorskip("fastlog_core._speedups")
BLOCK = 4096


class Recorder:
    """A slow path that records what reached it (and may append, as the real one does)."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, int]] = []

    def __call__(self, line: bytes, levelno: int) -> None:
        self.calls.append((bytes(line), levelno))


def make(kind: str, block: str) -> tuple[AppenderType, Recorder]:
    slow = Recorder()
    cls: Any = speedups.Appender if kind == "C" else PyAppender
    out: AppenderType = cls(slow, orjson.dumps, _json.default, _json.OPTIONS, _json.encode_repaired)
    out.buf = speedups.Block(BLOCK) if block == "Block" else bytearray()
    return out, slow


def state(out: AppenderType, slow: Recorder) -> tuple[bytes, int, list[tuple[bytes, int]]]:
    return bytes(out.buf), out.appended, slow.calls


LINES = st.binary(min_size=0, max_size=300).map(lambda b: b + b"\n")
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), LINES, st.integers(0, 60)),
        st.tuples(st.just("limit"), st.integers(-1, BLOCK)),
        st.tuples(st.just("max_record"), st.integers(0, 400)),
        st.tuples(st.just("slow_level"), st.integers(0, 60)),
        st.tuples(st.just("count")),
    ),
    max_size=60,
)


@pytest.mark.parametrize("block", ["Block", "bytearray"])
class TestSameBehaviour:
    @settings(max_examples=200, deadline=None)
    @given(ops=OPS)
    def test_append_sequences(self, block: str, ops: list[tuple[Any, ...]]) -> None:
        """Any sequence of appends and limit changes: same bytes, counts and slow calls."""
        results = []
        for kind in ("C", "Python"):
            out, slow = make(kind, block)
            out.limit, out.max_record, out.slow_level = BLOCK, 400, 50
            for op in ops:
                if op[0] == "append":
                    out.append(op[1], op[2])
                elif op[0] == "count":
                    out.count()
                else:
                    setattr(out, op[0], op[1])
            results.append(state(out, slow))
        assert results[0] == results[1]

    def test_hot_path_conditions(self, block: str) -> None:
        """Each condition of the hot path sends the record to the slow path, in both."""
        for kind in ("C", "Python"):
            out, slow = make(kind, block)
            out.limit, out.max_record, out.slow_level = 20, 10, 40
            out.append(b"0123456\n", 20)  # fits
            out.append(b"0123456789\n", 20)  # longer than max_record
            out.append(b"abc\n", 40)  # at slow_level
            out.append(b"0123456\n", 20)  # fits
            out.append(b"0123456\n", 20)  # past the limit
            assert bytes(out.buf) == b"0123456\n0123456\n"
            assert out.appended == 2
            assert slow.calls == [(b"0123456789\n", 20), (b"abc\n", 40), (b"0123456\n", 20)]

    def test_appended_is_settable(self, block: str) -> None:
        """A forked child sets the count back to 0; both kinds accept it."""
        for kind in ("C", "Python"):
            out, _ = make(kind, block)
            out.limit, out.max_record, out.slow_level = BLOCK, BLOCK, 50
            out.append(b"x\n", 20)
            out.appended = 0
            out.append(b"y\n", 20)
            assert out.appended == 1


class Color(enum.Enum):
    RED = 1


RECORDS = st.dictionaries(
    st.text(max_size=8),
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),  # past 64 bits: repaired
        st.floats(allow_nan=True),
        st.text(max_size=20),  # lone surrogates included: repaired
        st.binary(max_size=8),
        st.sets(st.integers(0, 3)),
        st.just(Color.RED),
        st.datetimes(),
        st.lists(st.integers(), max_size=3),
    ),
    max_size=6,
)


@pytest.mark.parametrize("block", ["Block", "bytearray"])
class TestEmit:
    @settings(max_examples=300, deadline=None)
    @given(record=RECORDS)
    def test_emit_writes_what_the_core_encoder_writes(
        self, block: str, record: dict[str, Any]
    ) -> None:
        """emit() == append(encode_record()): the same line, repaired where orjson refuses."""
        lines = []
        for kind in ("C", "Python"):
            out, slow = make(kind, block)
            out.limit, out.max_record, out.slow_level = BLOCK * 4, BLOCK * 4, 50
            out.emit(dict(record), 20)
            assert slow.calls == []
            lines.append(bytes(out.buf))
        expected = _json.encode_record(dict(record))
        assert lines == [expected, expected]
        assert orjson.loads(expected) is not None

    def test_host_value_policy(self, block: str) -> None:
        """A host's default and option (loguru's str and passthrough) replace the core's."""
        moment = datetime.datetime(2026, 1, 2, 3, 4, 5, 6)
        option = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_APPEND_NEWLINE
        for kind in ("C", "Python"):
            out, _ = make(kind, block)
            out.limit, out.max_record, out.slow_level = BLOCK, BLOCK, 50
            out.emit({"t": moment, "s": {1}}, 20, str, option)
            assert bytes(out.buf) == b'{"t":"2026-01-02 03:04:05.000006","s":"{1}"}\n'

    def test_emit_past_the_limit_goes_to_the_slow_path_encoded(self, block: str) -> None:
        """A record that does not fit reaches the slow path as its encoded line."""
        for kind in ("C", "Python"):
            out, slow = make(kind, block)
            out.limit, out.max_record, out.slow_level = -1, BLOCK, 50
            out.emit({"a": 1}, 30)
            assert slow.calls == [(b'{"a":1}\n', 30)]
            assert out.appended == 0


@pytest.mark.parametrize("kind", ["C", "Python"])
def test_an_interrupt_while_encoding_reaches_the_caller(kind: str) -> None:
    """KeyboardInterrupt raised by a value's repr while encoding is not swallowed as a repair:
    both kinds let it through, as any logging call under Ctrl-C."""

    class Interrupting:
        def __repr__(self) -> str:
            raise KeyboardInterrupt

    out, slow = make(kind, "Block")
    out.limit, out.max_record, out.slow_level = BLOCK, BLOCK, 50
    with pytest.raises(KeyboardInterrupt):
        out.emit({"v": Interrupting()}, 20)
    assert bytes(out.buf) == b""
    assert slow.calls == []


def test_c_append_holds_no_block() -> None:
    """After a C append returns, only the appender references its block (no straggler)."""
    import sys

    out, _ = make("C", "Block")
    out.limit, out.max_record, out.slow_level = BLOCK, BLOCK, 50
    block = out.buf
    before = sys.getrefcount(block)
    out.append(b"x\n", 20)
    out.emit({"a": 1}, 20)
    assert sys.getrefcount(block) == before
