"""An offset index over log inputs: what ``fastlog web`` pages, filters and counts.

Per record the index keeps only what the fast filters need, in compact arrays: the time (float
seconds, NaN when none), the level number and name, the logger, where the line is (store,
offset, length). The records themselves stay in their files and are parsed again, by offset,
when a page, a detail or a slow filter needs them. Plain files are read in place; ``.gz``
inputs, standard input and other non-regular files are spooled once into a private temporary
file (deleted when the index is closed or the process ends) and read there. Records that arrive
while following (:meth:`Index.add_lines`) are appended to a spool too.

Record ids are positions in the merged (time) order of the initial inputs (the same merge as
``fastlog view`` with several files), then arrival order: an id never changes while the index
grows.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tempfile
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import BinaryIO, cast

from ._filters import Filter
from ._layouts import parse_line
from ._levels import levelno_of
from ._reader import merge
from ._record import Record
from ._sources import iter_lines, open_source

__all__ = ["Index"]

_NO_LEVEL = -(2**31)
_LEVEL_MAX = 2**31 - 1
_GAP = 1 << 16  # records further apart than this are read with separate preads
_SPAN = 1 << 22  # at most this many bytes per pread when scanning
# Characters that every JSON and logfmt writer puts in a line as they are: a filter value made
# of them is a byte needle the line must contain.
_PLAIN = re.compile(r"[A-Za-z0-9_@.:\- ]+")
_SPECIAL_KEYS = ("message", "logger", "level", "trace_id")
_SAMPLE_FIELDS = 10_000  # field keys are counted on the first records, then on every 100th


@dataclass(eq=False)
class _Store:
    """A file the index reads lines from by offset (an input in place, or a spool)."""

    name: str
    fd: int
    spool: BinaryIO | None = None  # kept open: closing it deletes the spool
    size: int = 0  # bytes indexed


@dataclass(frozen=True)
class _Query:
    """The compiled form of a filter: the array part and what needs the lines."""

    min_levelno: int | None
    loggers: tuple[tuple[str, bool], ...]
    since: float | None
    until: float | None
    slow: Filter | None  # predicates, grep, trace id: checked on the parsed record
    text: str | None  # case-insensitive substring of the raw line
    needles: tuple[bytes, ...]  # every one must be in the raw line


class Index:
    """Compact arrays over every record of *paths*, read back by offset.

    Args:
        paths: Files (``.gz`` by magic number) or ``-`` for standard input.
        window: How far out of order (seconds) one input may be when several are merged.
        on_error: Called with the path and the error for an unreadable input, which is then
            skipped; without it the error is raised.
        progress: Called now and then while building with the number of records indexed.
        follow: The inputs will be followed (:meth:`positions` for :class:`Follower`'s
            ``start_at``): a plain file is indexed up to its last newline, the rest being
            the follower's.

    Raises:
        OSError: an input cannot be read and there is no *on_error*.

    The index is safe to read from several threads while one thread adds lines.
    """

    def __init__(
        self,
        paths: Sequence[str],
        *,
        window: float = 1.0,
        on_error: Callable[[str, OSError], None] | None = None,
        progress: Callable[[int], None] | None = None,
        follow: bool = False,
    ) -> None:
        self.paths = list(paths)
        self._time = array("d")
        self._levelno = array("i")
        self._level = array("B")  # index into _level_names (0: none)
        self._logger = array("I")  # index into _logger_names (0: none)
        self._store = array("H")
        self._source = array("H")  # index into _source_names
        self._source_names: list[str] = []
        self._source_ids: dict[str, int] = {}
        self._offset = array("q")
        self._length = array("I")
        self._level_names: list[str | None] = [None]
        self._level_ids: dict[str | None, int] = {None: 0}
        self._logger_names: list[str | None] = [None]
        self._logger_ids: dict[str | None, int] = {None: 0}
        self._logger_counts = array("q", [0])
        self._field_counts: dict[str, int] = {}
        self._stores: list[_Store] = []
        self._live_store: _Store | None = None
        self._lock = threading.Lock()  # one writer: building or adding lines
        self._cache: dict[tuple[object, ...], tuple[int, array[int]]] = {}  # key: (size, ids)
        self._cache_lock = threading.Lock()
        self._progress = progress
        self._follow = follow
        self._closed = False
        self._build(window, on_error)

    # -- building ----------------------------------------------------------------------------

    def _open(self, path: str) -> _Store:
        if path != "-":
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            try:
                st = os.fstat(fd)
                if stat.S_ISREG(st.st_mode) and os.pread(fd, 2, 0) != b"\x1f\x8b":
                    return _Store(path, fd)
            except OSError:
                os.close(fd)
                raise
            os.close(fd)
        return self._spool(path)

    def _spool(self, name: str) -> _Store:
        spool = tempfile.TemporaryFile(prefix="fastlog-web-")  # noqa: SIM115 - the index owns it
        return _Store(name, spool.fileno(), spool)

    def _lines(self, path: str, store: _Store) -> Iterator[list[bytes]]:
        """The lines of *path*, spooled to *store* when it is a spool."""
        if store.spool is None:
            size = os.fstat(store.fd).st_size
            if self._follow:
                size = _last_newline(store.fd, size)
            yield from iter_lines(cast(BinaryIO, _Range(store.fd, size)))
            return
        stream = open_source(path)
        try:
            for lines in iter_lines(stream):
                store.spool.write(b"\n".join(lines) + b"\n")
                yield lines
        except EOFError as exc:  # gzip's "ended before the end-of-stream marker"
            raise OSError(f"truncated compressed data ({exc})") from exc
        finally:
            store.spool.flush()
            if path != "-":
                stream.close()

    def _records(
        self, path: str, store: _Store, pending: dict[int, tuple[int, int, int]]
    ) -> Iterator[Record]:
        number = len(self._stores)
        self._stores.append(store)
        offset = 0
        for lines in self._lines(path, store):
            for line in lines:
                record = parse_line(line, path)
                pending[id(record)] = (number, offset, len(line))
                offset += len(line) + 1
                yield record
        store.size = offset

    def _build(self, window: float, on_error: Callable[[str, OSError], None] | None) -> None:
        pending: dict[int, tuple[int, int, int]] = {}
        streams: list[Iterable[Record]] = []
        for path in self.paths:
            try:
                store = self._open(path)
                stream = self._records(path, store, pending)
                first = next(stream, None)
            except OSError as exc:
                if on_error is None:
                    raise
                on_error(path, exc)
                continue
            if first is not None:
                streams.append(_chain(first, stream, path, on_error))
        records = streams[0] if len(streams) == 1 else merge(streams, window=window)
        with self._lock:
            for record in records:
                where = pending.pop(id(record))
                self._append(record, *where)
                if self._progress is not None and not len(self._time) % 100_000:
                    self._progress(len(self._time))

    def _append(self, record: Record, store: int, offset: int, length: int) -> None:
        number = len(self._time)
        time = record.time
        self._time.append(math.nan if time is None else time.timestamp())
        levelno = record.levelno
        self._levelno.append(
            _NO_LEVEL if levelno is None else max(min(levelno, _LEVEL_MAX), _NO_LEVEL + 1)
        )
        level = record.level
        level_id = self._level_ids.get(level)
        if level_id is None:
            level_id = len(self._level_names) if len(self._level_names) < 255 else 0
            if level_id:
                self._level_ids[level] = level_id
                self._level_names.append(level)
        self._level.append(level_id)
        logger = record.logger
        logger_id = self._logger_ids.get(logger)
        if logger_id is None:
            logger_id = self._logger_ids[logger] = len(self._logger_names)
            self._logger_names.append(logger)
            self._logger_counts.append(0)
        self._logger.append(logger_id)
        self._logger_counts[logger_id] += 1
        self._store.append(store)
        self._offset.append(offset)
        self._length.append(length)
        source = record.source
        source_id = self._source_ids.get(source)
        if source_id is None:
            source_id = self._source_ids[source] = len(self._source_names)
            self._source_names.append(source)
        self._source.append(source_id)
        if number < _SAMPLE_FIELDS or not number % 100:
            counts = self._field_counts
            for key in record.fields:
                counts[key] = counts.get(key, 0) + 1

    def add_lines(self, lines: Sequence[tuple[str, bytes]]) -> int:
        """Index new lines (``(source, line)`` pairs, each without its newline), merged by time
        among themselves; returns how many records the index has now.

        The lines are appended to the index's spool, so they stay readable whatever happens to
        the file they came from (rotation, truncation).
        """
        if not lines:
            return len(self._time)
        with self._lock:
            if self._closed:
                return len(self._time)
            store = self._live_store
            if store is None:
                store = self._live_store = self._spool("(live)")
                self._stores.append(store)
            number = self._stores.index(store)
            pending: dict[int, tuple[int, int, int]] = {}
            by_source: dict[str, list[Record]] = {}
            chunks: list[bytes] = []
            offset = store.size
            for source, line in lines:
                record = parse_line(line, source)
                pending[id(record)] = (number, offset, len(line))
                offset += len(line) + 1
                chunks.append(line)
                by_source.setdefault(source, []).append(record)
            assert store.spool is not None
            store.spool.seek(0, os.SEEK_END)
            store.spool.write(b"\n".join(chunks) + b"\n")
            store.spool.flush()
            store.size = offset
            for record in merge(list(by_source.values())):
                self._append(record, *pending.pop(id(record)))
            return len(self._time)

    # -- reading -----------------------------------------------------------------------------

    def positions(self) -> dict[str, tuple[int, int, int]]:
        """Where the plain files read in place were indexed up to: path -> ``(st_dev, st_ino,
        offset)``, what :class:`Follower`'s ``start_at`` takes to continue from there."""
        out: dict[str, tuple[int, int, int]] = {}
        for store in self._stores:
            if store.spool is None and store is not self._live_store:
                st = os.fstat(store.fd)
                out[store.name] = (st.st_dev, st.st_ino, store.size)
        return out

    def __len__(self) -> int:
        return len(self._length)

    def raw(self, number: int) -> bytes:
        """The line of record *number* as written (without its newline).

        Raises:
            IndexError: no such record.
        """
        if not 0 <= number < len(self):
            raise IndexError(number)
        store = self._stores[self._store[number]]
        return os.pread(store.fd, self._length[number], self._offset[number])

    def record(self, number: int) -> Record:
        """Record *number*, parsed again from its line.

        Raises:
            IndexError: no such record.
        """
        return parse_line(self.raw(number), self.source(number))

    def source(self, number: int) -> str:
        """The input record *number* came from (the path as given, ``-`` for standard input)."""
        return self._source_names[self._source[number]]

    def records(self, numbers: Sequence[int]) -> list[Record]:
        """The records *numbers*, in that order (read in as few preads as possible).

        Raises:
            IndexError: a number is not a record's.
        """
        size = len(self)
        for n in numbers:
            if not 0 <= n < size:
                raise IndexError(n)
        lines = dict(self._read(sorted(set(numbers))))
        return [parse_line(lines[n], self.source(n)) for n in numbers]

    def _read(self, numbers: Sequence[int]) -> Iterator[tuple[int, bytes]]:
        """``(number, line)`` for *numbers* (sorted ids), grouped into large preads per store."""
        by_store: dict[int, list[int]] = {}
        stores = self._store
        for n in numbers:
            by_store.setdefault(stores[n], []).append(n)
        offsets, lengths = self._offset, self._length
        for store_number, ids in by_store.items():
            fd = self._stores[store_number].fd
            ids.sort(key=offsets.__getitem__)
            i = 0
            while i < len(ids):
                start = offsets[ids[i]]
                end = start + lengths[ids[i]]
                j = i + 1
                while j < len(ids):
                    at = offsets[ids[j]]
                    if at - end > _GAP or at + lengths[ids[j]] - start > _SPAN:
                        break
                    end = max(end, at + lengths[ids[j]])
                    j += 1
                data = os.pread(fd, end - start, start)
                for n in ids[i:j]:
                    at = offsets[n] - start
                    yield n, data[at : at + lengths[n]]
                i = j

    # -- facts -------------------------------------------------------------------------------

    def extent(self, numbers: Iterable[int] | None = None) -> tuple[float, float] | None:
        """The first and last time (epoch seconds) among *numbers* (default: every record)."""
        times = self._time
        values = times if numbers is None else (times[n] for n in numbers)
        low, high = math.inf, -math.inf
        for value in values:
            low = min(low, value)
            high = max(high, value)
        return None if low == math.inf else (low, high)

    def levels(self) -> list[str | None]:
        """The level names present (``None`` for records without one), lowest first."""
        present = set(self._level)
        names = [self._level_names[i] for i in present]
        return sorted(names, key=_level_key)

    def loggers(self, top: int = 200) -> list[tuple[str | None, int]]:
        """The *top* loggers by record count (ties by name)."""
        counts = self._logger_counts
        ranked = sorted(
            ((self._logger_names[i], counts[i]) for i in range(len(counts)) if counts[i]),
            key=lambda kv: (-kv[1], kv[0] or ""),
        )
        return ranked[:top]

    def fields(self, top: int = 50) -> list[str]:
        """The most common field keys (counted on a sample of the records)."""
        ranked = sorted(self._field_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [key for key, _ in ranked[:top]]

    def histogram(
        self, numbers: Iterable[int], start: float, end: float, buckets: int
    ) -> tuple[list[str | None], list[list[int]]]:
        """Counts per level in *buckets* equal slices of [*start*, *end*] (the end included in
        the last one) of the records *numbers*; records without a time are not counted.

        Returns:
            The level names counted (lowest first; ``None`` for records without a level) and,
            per bucket, the count per level in that order.
        """
        width = (end - start) / buckets if end > start else 1.0
        times, levels = self._time, self._level
        flat = [0] * (buckets * 256)
        last = buckets - 1
        for n in numbers:
            at = times[n]
            if not start <= at <= end:  # NaN too
                continue
            slot = int((at - start) / width)
            flat[(slot if slot < last else last) * 256 + levels[n]] += 1
        used = sorted(
            {i % 256 for i, count in enumerate(flat) if count},
            key=lambda i: _level_key(self._level_names[i]),
        )
        names = [self._level_names[i] for i in used]
        counts = [[flat[b * 256 + i] for i in used] for b in range(buckets)]
        return names, counts

    def level_of(self, number: int) -> str | None:
        """The level name of record *number*."""
        return self._level_names[self._level[number]]

    def time_of(self, number: int) -> float:
        """The time of record *number* in epoch seconds (NaN when it has none)."""
        return self._time[number]

    # -- filtering ---------------------------------------------------------------------------

    def match(self, filter: Filter | None = None, *, text: str | None = None) -> array[int]:
        """The ids of the records *filter* keeps whose raw line contains *text* (ignoring
        case), in order; the same records as ``filter.match`` on each parsed record.

        The last results are cached and extended as the index grows.
        """
        query = _compile(filter, text)
        key = _key(filter, text)
        size = len(self)
        with self._cache_lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] == size:
            return cached[1]
        done, ids = cached if cached is not None else (0, array("I"))
        ids = array("I", ids)
        ids.extend(self._match(query, done, size))
        with self._cache_lock:
            if len(self._cache) >= 16:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = (size, ids)
        return ids

    def _match(self, query: _Query, low: int, high: int) -> Iterable[int]:
        ids: Iterable[int] = range(low, high)
        if query.min_levelno is not None:
            floor, levels = query.min_levelno, self._levelno
            ids = [i for i in ids if levels[i] >= floor]
        if query.loggers:
            allowed = self._loggers_allowed(query.loggers)
            loggers = self._logger
            ids = [i for i in ids if allowed[loggers[i]]]
        if query.since is not None:
            since, times = query.since, self._time
            ids = [i for i in ids if times[i] >= since]
        if query.until is not None:
            until, times = query.until, self._time
            ids = [i for i in ids if times[i] < until]
        if query.slow is None and query.text is None and not query.needles:
            return ids
        return self._scan(query, ids)

    def _loggers_allowed(self, globs: tuple[tuple[str, bool], ...]) -> bytearray:
        probe = Filter(loggers=globs)
        return bytearray(probe._match_logger(name or "") for name in self._logger_names)

    def _scan(self, query: _Query, ids: Iterable[int]) -> list[int]:
        needles = query.needles
        text = query.text
        folded = text.lower().encode() if text is not None and text.isascii() else None
        slow = query.slow
        match = slow.match if slow is not None else None
        kept: list[int] = []
        for number, line in self._read(list(ids)):
            if folded is not None:
                if folded not in line.lower():
                    continue
            elif text is not None and text.lower() not in line.decode("utf-8", "replace").lower():
                continue
            if needles and not all(needle in line for needle in needles):
                continue
            if match is not None and not match(parse_line(line, "")):
                continue
            kept.append(number)
        kept.sort()
        return kept

    def close(self) -> None:
        """Close the inputs and delete the spools."""
        with self._lock:
            self._closed = True
            for store in self._stores:
                try:
                    if store.spool is not None:
                        store.spool.close()
                    else:
                        os.close(store.fd)
                except OSError:
                    pass
            self._stores.clear()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


_LEVEL_ORDER = {"notice": 25}


def _level_key(name: str | None) -> tuple[int, str]:
    if name is None:
        return (2**31, "")
    number = _LEVEL_ORDER.get(name, levelno_of(name))
    return (1000 if number is None else number, name)


def _compile(filter: Filter | None, text: str | None) -> _Query:
    flt = filter or Filter()
    needles: list[bytes] = []
    for predicate in flt.predicates:
        if predicate.op == "!=" or predicate.key in _SPECIAL_KEYS:
            continue
        if predicate.key.startswith("exception."):
            continue
        last = predicate.key.rsplit(".", 1)[-1]
        if _PLAIN.fullmatch(last):
            needles.append(last.encode())
        if predicate.op == "=" and predicate.number is None and _PLAIN.fullmatch(predicate.value):
            needles.append(predicate.value.encode())
    grep = flt.grep
    if (
        grep is not None
        and _PLAIN.fullmatch(grep.pattern)
        and "." not in grep.pattern
        and not grep.flags & re.IGNORECASE
    ):
        needles.append(grep.pattern.encode())
    slow = None
    if flt.predicates or flt.grep is not None or flt.trace_id is not None:
        slow = replace(
            flt, min_levelno=None, loggers=(), since=None, until=None
        )  # the array part is already applied
    return _Query(
        min_levelno=flt.min_levelno,
        loggers=flt.loggers,
        since=None if flt.since is None else flt.since.timestamp(),
        until=None if flt.until is None else flt.until.timestamp(),
        slow=slow,
        text=text or None,
        needles=tuple(needles),
    )


def _key(filter: Filter | None, text: str | None) -> tuple[object, ...]:
    flt = filter or Filter()
    return (
        flt.min_levelno,
        flt.loggers,
        None if flt.since is None else flt.since.timestamp(),
        None if flt.until is None else flt.until.timestamp(),
        tuple((p.key, p.op, p.value) for p in flt.predicates),
        None if flt.grep is None else (flt.grep.pattern, flt.grep.flags),
        flt.trace_id,
        text or None,
    )


class _Range:
    """The first *size* bytes of a descriptor as a stream (``iter_lines`` reads it)."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size
        self.pos = 0

    def read(self, n: int) -> bytes:
        n = min(n, self.size - self.pos)
        if n <= 0:
            return b""
        data = os.pread(self.fd, n, self.pos)
        self.pos += len(data)
        return data


def _last_newline(fd: int, size: int) -> int:
    """The offset just after the last newline in the first *size* bytes (0 when none)."""
    end = size
    while end > 0:
        start = max(0, end - _GAP)
        found = os.pread(fd, end - start, start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0
