"""The buffer's blocks: what callers append to and what the writer takes without copying.

The buffer is a list of blocks of about ``BLOCK`` bytes rather than one bytearray: a bytearray
grows by realloc, and at several MiB glibc's realloc copies it or leaves freed copies behind
(its mmap threshold moves with what was freed), which made peak RSS 2-3x capacity in a flood.
Blocks of one size are reused by the allocator as they are, and the writer delivers them
without copying (``take``). With the C speedups a block is a ``_speedups.Block``, allocated
once at ``BLOCK`` bytes so appends never reallocate; without them, a ``bytearray``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from typing import Protocol, Self

    from .._speedups import Block

    class BufferBlock(Protocol):
        """A block of the buffer: a ``bytearray`` or a ``_speedups.Block``."""

        def __iadd__(self, other: bytes, /) -> Self: ...
        def __len__(self) -> int: ...
        def __buffer__(self, flags: int, /) -> memoryview: ...
        def count(self, byte: bytes, start: int = ..., end: int = ..., /) -> int: ...
        def find(self, byte: bytes, start: int = ..., end: int = ..., /) -> int: ...

    Data = bytes | bytearray | BufferBlock  # what sinks are given

# Free-threaded builds (3.13t+) do not promise that ``bytearray += bytes`` is atomic; there
# every append takes the pipeline's lock (see Pipeline._update_limit).
GIL_ENABLED: bool = getattr(sys, "_is_gil_enabled", lambda: True)()

#: The size of the buffer's blocks: a record may end a block a little past it.
BLOCK = 256 * 1024

_getrefcount = sys.getrefcount


def _pick_block() -> Callable[[], BufferBlock]:
    """What a new block is: ``_speedups.Block`` (allocated once at ``BLOCK`` bytes: appends
    never reallocate it), else a ``bytearray`` (grows by realloc as it fills: ~400 more
    instructions per record, callgrind). Same GIL condition as ``_fields``."""
    if os.environ.get("FASTLOG_NO_SPEEDUPS") or not GIL_ENABLED:
        return bytearray
    try:
        from .._speedups import Block
    except ImportError:
        return bytearray
    return lambda: Block(BLOCK)


new_block = _pick_block()


def take_content(buf: BufferBlock) -> bytes | bytearray:
    """Everything in *buf*, which is emptied. A caller may append meanwhile; what it appends
    stays in *buf* (one C call for a Block; for a bytearray the slice ends on a line)."""
    if isinstance(buf, bytearray):
        size = len(buf)
        data = buf[:size]
        del buf[:size]
        return data
    return cast("Block", buf).take()


def clear(buf: BufferBlock) -> None:
    if isinstance(buf, bytearray):
        del buf[:]
    else:
        cast("Block", buf).clear()


def holders(buffers: list[Any]) -> list[int]:
    """Each buffer's reference count, as seen from here (compare with ``ALONE``)."""
    return [_getrefcount(buf) for buf in buffers]


#: What holders() reads for a buffer held by its list alone: measured rather than assumed,
#: since what a call adds to a reference count differs between Python versions. (Any object
#: reads the same; a bytearray spares a 256 KiB Block at import.)
ALONE = holders([bytearray()])[0]
#: The writer's waits for stragglers in take(): GIL hand-overs first, then at most ~1.2 ms.
_SETTLE = (0.0, 0.0, 1e-5, 1e-4, 1e-4, 1e-3)


def take(stale: list[BufferBlock]) -> tuple[list[Data], list[BufferBlock]]:
    """The content of *stale* (the queued blocks, oldest first, the last one just swapped out
    of the appender): the blocks themselves where nobody else holds them, a copy of what is
    there where someone may still append. Returns (parts to deliver, blocks to take again
    next cycle), both oldest first.

    Python callers append without a lock, so one that read the appender's block just before
    the swap may append to it just after: such a straggler holds a reference (its local
    ``buf``) until its call returns. The reference count tells when nobody else holds a block;
    this waits for that, a GIL hand-over or two. A caller that cannot finish meanwhile (e.g. a
    signal handler in the main thread, waiting on this pipeline) leaves the block *stale*:
    what it holds is copied out and it is taken again next cycle, until it is free. (The C
    appender holds no block after its call returns: it never straggles.)

    Blocks are taken newest first and delivered oldest first, so that a thread whose line went
    late into an old block cannot see its next line, in a newer block, written before it.
    """
    counts = holders(stale)
    for delay in _SETTLE:
        if max(counts) <= ALONE:
            break
        time.sleep(delay)
        counts = holders(stale)
    parts: list[Data] = []
    kept: list[BufferBlock] = []
    for index in range(len(stale) - 1, -1, -1):
        buf = stale[index]
        if counts[index] <= ALONE:  # nobody else can reach it: the batch, as it is
            if buf:
                parts.append(buf)
        else:  # a straggler may still append: copy out what is there
            if buf:
                parts.append(take_content(buf))
            kept.append(buf)
    parts.reverse()
    kept.reverse()
    return parts, kept
