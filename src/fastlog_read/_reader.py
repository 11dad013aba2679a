"""Streaming records out of inputs: prefilter, parse, filter, merge by time."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence

from ._filters import Filter
from ._layouts import parse_line
from ._record import Record
from ._sources import iter_lines, open_source

__all__ = ["merge", "read", "read_lines", "read_source"]

_HEAD = b'{"timestamp":"'
_LEVEL_KEY = b'Z","level":"'


def _candidates(lines: list[bytes], skip: frozenset[bytes]) -> list[bytes]:
    # Drop the lines in fastlog's default shape (head, 27-char timestamp, level key) whose level
    # token is one the filter drops; every other line goes on to the full parse and filter.
    head, key = _HEAD, _LEVEL_KEY
    return [
        line for line in lines if line[52:59] not in skip or line[:14] != head or line[40:52] != key
    ]


def read_source(
    path: str, filter: Filter | None = None, *, prefilter: bool = True
) -> Iterator[Record]:
    """The records of one input, in file order, that *filter* keeps.

    A text line (not a record: a traceback or a print after a record) is kept with the record
    before it, as :meth:`Filter.matcher` says.

    Raises:
        OSError: the input cannot be opened or read (raised on the first ``next()``).
    """
    stream = open_source(path)
    skip = filter.skip_levels() if (filter is not None and prefilter) else None
    keep = filter.matcher() if (filter is not None and filter.active) else None
    try:
        for chunk in _guarded(iter_lines(stream)):
            if keep is None:
                for line in chunk:
                    yield parse_line(line, path)
                continue
            lines = chunk if skip is None else _candidates(chunk, skip)
            dropped = len(lines) != len(chunk)
            at = 0  # where to look for the next text line in chunk (lines are found by identity)
            for line in lines:
                record = parse_line(line, path)
                if dropped and record.layout == "text":
                    # Was the line before it dropped unparsed? Then it goes with that record.
                    while chunk[at] is not line:
                        at += 1
                    if at > 0 and _skipped(chunk[at - 1], skip):
                        keep.drop()
                    at += 1
                if keep(record):
                    yield record
            if dropped and chunk and _skipped(chunk[-1], skip):
                keep.drop()  # a text line starting the next chunk follows a dropped record
    finally:
        if path != "-":
            stream.close()


def _skipped(line: bytes, skip: frozenset[bytes] | None) -> bool:
    # The test _candidates drops a line by.
    return (
        skip is not None
        and line[52:59] in skip
        and line[:14] == _HEAD
        and line[40:52] == _LEVEL_KEY
    )


def _guarded(chunks: Iterator[list[bytes]]) -> Iterator[list[bytes]]:
    try:
        yield from chunks
    except EOFError as exc:  # gzip's "ended before the end-of-stream marker": a truncated file
        raise OSError(f"truncated compressed data ({exc})") from exc


def read_lines(path: str) -> Iterator[list[bytes]]:
    """The lines of one input (without newlines), a chunk's worth at a time, unparsed.

    For callers that handle raw lines in bulk, such as :meth:`Renderer.render_lines`.

    Raises:
        OSError: the input cannot be opened or read.
    """
    stream = open_source(path)
    try:
        yield from _guarded(iter_lines(stream))
    finally:
        if path != "-":
            stream.close()


def merge(streams: Sequence[Iterable[Record]], *, window: float = 1.0) -> Iterator[Record]:
    """Records of several time-ordered streams in time order.

    Each stream may be out of order by up to *window* seconds (multi-process writers); records
    without a time keep their place after the record before them in their stream (those before
    a stream's first time, before that first record). Memory holds at most a window of records
    per stream.
    """
    if len(streams) == 1:
        yield from streams[0]
        return
    for item in heapq.merge(*(_keyed(s, i, window) for i, s in enumerate(streams)), key=_key):
        yield item[3]


_Keyed = tuple[float, int, int, Record]


def _key(item: _Keyed) -> tuple[float, int, int]:
    return item[0], item[1], item[2]


def _keyed(stream: Iterable[Record], index: int, window: float) -> Iterator[_Keyed]:
    # Sort within the window, then hand out (time, stream, seq, record) keys in order.
    heap: list[_Keyed] = []
    last = float("-inf")
    at = last
    leading: list[tuple[int, Record]] = []  # lines before the stream's first time
    for seq, record in enumerate(stream):
        time = record.time
        # A line without a time (a traceback line after its record) takes the key of the line
        # before it, so that it stays right after it; lines before the first time take the
        # key of that first time (a banner stays before the first record).
        if time is None:
            if at == float("-inf"):
                leading.append((seq, record))
                continue
        else:
            at = time.timestamp()
            if leading:
                for early, line in leading:
                    heapq.heappush(heap, (at, index, early, line))
                leading.clear()
        last = max(last, at)
        heapq.heappush(heap, (at, index, seq, record))
        while heap and heap[0][0] < last - window:
            yield heapq.heappop(heap)
    for early, line in leading:  # no line of the stream has a time
        heapq.heappush(heap, (at, index, early, line))
    while heap:
        yield heapq.heappop(heap)


def read(
    paths: Sequence[str],
    filter: Filter | None = None,
    *,
    window: float = 1.0,
    prefilter: bool = True,
    on_error: Callable[[str, OSError], None] | None = None,
) -> Iterator[Record]:
    """The kept records of every input, merged by time when there are several.

    Args:
        paths: Files (``.gz`` by magic number) or ``-`` for standard input.
        filter: What to keep; ``None`` keeps everything.
        window: How far out of order (seconds) a single input may be when merging.
        prefilter: Skip, unparsed, the lines in fastlog's default layout below a ``-l`` level.
        on_error: Called with the path and the error for an unreadable input, which is then
            skipped; without it the error is raised.
    """
    streams: list[Iterable[Record]] = []
    for path in paths:
        try:
            source = read_source(path, filter, prefilter=prefilter)
            first = next(source, None)
        except OSError as exc:
            if on_error is None:
                raise
            on_error(path, exc)
            continue
        if first is not None:
            streams.append(_chain(first, source, path, on_error))
    if len(streams) == 1:
        yield from streams[0]
    elif streams:
        yield from merge(streams, window=window)


def _chain(
    first: Record,
    rest: Iterator[Record],
    path: str,
    on_error: Callable[[str, OSError], None] | None,
) -> Iterator[Record]:
    yield first
    try:
        yield from rest
    except OSError as exc:  # a truncated gzip, a disk error: report and go on with the others
        if on_error is None:
            raise
        on_error(path, exc)
