"""``_speedups.Block``: the buffer block the pipeline appends to when the C speedups are built.

It must behave as the ``bytearray`` it replaces for every operation the pipeline uses on it;
the hypothesis test compares it with ``bytes`` on arbitrary content and positions.
"""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

speedups = pytest.importorskip("fastlog_core._speedups")
Block = speedups.Block


def test_appends_any_buffer_and_reads_back() -> None:
    block = Block(8)
    assert len(block) == 0
    assert not block
    block += b'{"a":1}\n'
    block += bytearray(b"xy\n")
    block += memoryview(b"z\n")
    assert bytes(block) == b'{"a":1}\nxy\nz\n'
    assert len(block) == 13
    assert block


def test_grows_past_its_size_when_it_must() -> None:
    """Only appends the pipeline lets through unchecked (a signal handler's) can need it."""
    block = Block(4)
    for i in range(1000):
        block += b"%d\n" % i
    assert bytes(block) == b"".join(b"%d\n" % i for i in range(1000))


def test_in_place_add_returns_the_block_itself() -> None:
    block = Block(16)
    same = block
    block += b"a\n"
    assert block is same
    assert sys.getrefcount(block) == sys.getrefcount(same)  # no reference leaked by +=


def test_a_str_is_refused_as_bytearray_refuses_it() -> None:
    block = Block(16)
    with pytest.raises(TypeError, match="can't concat str to Block"):
        block += "text"  # type: ignore[arg-type]
    assert len(block) == 0


def test_take_returns_the_content_and_empties_the_block() -> None:
    block = Block(16)
    block += b"one\ntwo\n"
    assert block.take() == b"one\ntwo\n"
    assert len(block) == 0
    block += b"three\n"
    assert bytes(block) == b"three\n"
    block.clear()
    assert bytes(block) == b""


def test_exported_data_never_moves_or_changes() -> None:
    """While a memoryview (os.writev) holds the data: appends that fit are fine, growing,
    take() and clear() raise BufferError, as bytearray's resizes do."""
    block = Block(8)
    block += b"ab\n"
    view = memoryview(block)
    block += b"c\n"  # fits: the exported bytes stay where they are
    with pytest.raises(BufferError):
        block += b"x" * 100
    with pytest.raises(BufferError):
        block.take()
    with pytest.raises(BufferError):
        block.clear()
    assert view.tobytes() == b"ab\n"
    assert view.readonly
    view.release()
    assert block.take() == b"ab\nc\n"


def test_os_writev_takes_blocks() -> None:
    read, write = os.pipe()
    try:
        first, second = Block(8), Block(8)
        first += b"abc\n"
        second += b"def\n"
        assert os.writev(write, [first, second]) == 8
        assert os.read(read, 100) == b"abc\ndef\n"
    finally:
        os.close(read)
        os.close(write)


def test_count_and_find_take_one_byte_only() -> None:
    block = Block(8)
    block += b"ab\n"
    with pytest.raises(ValueError, match="single byte"):
        block.count(b"ab")
    with pytest.raises(ValueError, match="single byte"):
        block.find(b"")
    with pytest.raises(TypeError):
        block.count()  # type: ignore[call-arg]


def test_constructor_arguments() -> None:
    with pytest.raises(TypeError):
        Block()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Block(8, size=8)  # type: ignore[call-arg]
    assert len(Block(0)) == 0
    assert repr(Block(8)) == "<Block 0 of 8 bytes>"


@given(
    st.binary(max_size=64),
    st.sampled_from([b"\n", b"a", b"\x00"]),
    st.integers(-80, 80),
    st.integers(-80, 80),
)
def test_count_and_find_agree_with_bytes(data: bytes, byte: bytes, start: int, end: int) -> None:
    block = Block(4)
    block += data
    assert block.count(byte) == data.count(byte)
    assert block.count(byte, start) == data.count(byte, start)
    assert block.count(byte, start, end) == data.count(byte, start, end)
    assert block.find(byte) == data.find(byte)
    assert block.find(byte, start) == data.find(byte, start)
    assert block.find(byte, start, end) == data.find(byte, start, end)
