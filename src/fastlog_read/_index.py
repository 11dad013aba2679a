"""An offset index over log inputs: what ``fastlog web`` pages, filters and counts.

Per record the index keeps only what the filters need, in compact arrays: the time (float
seconds, NaN when none), the level number and name, the logger, where the line is (store,
offset, length), its layout, and, per top-level field key and for the message, a small id into
the distinct values seen, or, past a few tens of thousands of them, the value as text (while
the memory allowed for those lasts). The records themselves stay in their files and are parsed
again, by offset, when a page, a detail or a filter the arrays cannot answer needs them. A
single input's lines in fastlog's default layout are indexed without building a record. Plain
files are read in place; ``.gz`` inputs, standard input and other non-regular files are
spooled once into a private temporary file (deleted when the index is closed or the process
ends) and read there. Records that arrive while following (:meth:`Index.add_lines`) are
appended to a spool too.

Record ids are positions in the merged (time) order of the initial inputs (the same merge as
``fastlog view`` with several files), then arrival order: an id never changes while the index
grows. A line that is not a record (a ``text`` line: a traceback or a print) is indexed too
and, under a filter, goes with the record before it in its input, as ``fastlog view`` shows it.
"""

from __future__ import annotations

import bisect
import datetime
import math
import os
import re
import stat
import tempfile
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress, filterfalse
from typing import Any, BinaryIO, cast

import orjson

from ._filters import Filter, Predicate
from ._layouts import parse_line
from ._levels import canonical_level, levelno_of
from ._reader import _chain, merge
from ._record import Record
from ._sources import iter_lines, open_source
from ._stats import _WIDTHS, Stats
from ._stats import NONE as _NONE
from ._stats import _Message as _StatsMessage
from ._templates import template
from ._times import from_text

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


#: Where a line is: store, offset, length, line number in the store, and for a text line the
#: record before it in its input: its line number in the same store (>= 0), or its id ``n``
#: written ``-n - 2`` (in another store), or -1 (none).
_Where = tuple[int, int, int, int, int]


@dataclass(eq=False)
class _Store:
    """A file the index reads lines from by offset (an input in place, or a spool)."""

    name: str
    fd: int
    spool: BinaryIO | None = None  # kept open: closing it deletes the spool
    size: int = 0  # bytes indexed
    last: int = -1  # the line number of the last record (not a text line) read when building
    #: The id of each line's record, by line number (every line in [0, size) is a record).
    order: array[int] = field(default_factory=lambda: array("I"))


class _FastlogLines:
    """What the index keeps of a line in fastlog's default layout, read with one
    ``orjson.loads`` and no :class:`Record`: the same values :func:`parse_line` gives, or
    None for any line it does not read that way (another layout, a timestamp in another
    shape, a level that is not a string...), which is then parsed."""

    def __init__(self) -> None:
        #: "YYYY-MM-DDTHH:MM:SS." -> (epoch microseconds,), or None for another shape
        self.times: dict[str, tuple[int] | None] = {}
        self.levels: dict[str, tuple[str, int | None]] = {}

    def read(
        self, line: bytes
    ) -> (
        tuple[float, int | None, str | None, str | None, str, bool, dict[str, Any], str | None]
        | None
    ):
        if line[:14] != _HEAD or line[-1:] == b"\r":
            return None
        try:
            d = orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        # parse_line's test for the layout; the first key is "timestamp", as the line starts.
        if "level" not in d or "message" not in d:
            return None
        stamp = d["timestamp"]
        level = d["level"]
        if type(stamp) is not str or type(level) is not str:
            return None
        at = self.times.get(stamp[:20])
        if at is None:
            at = self.times[stamp[:20]] = _second(stamp[:20])
        micro = stamp[20:]
        # 6 digits and a Z: what the shape test of _second() leaves to look at.
        if (
            not at
            or len(micro) != 7
            or micro[6] != "Z"
            or not micro[:6].isdigit()
            or not micro.isascii()
        ):
            return None
        named = self.levels.get(level)
        if named is None:
            named = self.levels[level] = (canonical_level(level), levelno_of(level))
        # d becomes the fields: what parse_line keeps apart goes (its order is kept).
        del d["timestamp"], d["level"]
        logger = d.pop("logger", None)
        message = d.pop("message")
        exc = d.pop("exception", None)
        if (logger is not None and type(logger) is not str) or (
            message is not None and type(message) is not str
        ):
            return None
        # As datetime.timestamp() computes it: whole microseconds over 10**6, rounded once.
        return (
            (at[0] + int(micro[:6])) / 1_000_000,
            named[1],
            named[0],
            logger,
            "fastlog",
            isinstance(exc, dict) or bool(exc),  # parse_line's exception is not None
            d,
            message,
        )


def _second(head: str) -> tuple[int] | None:
    """``YYYY-MM-DDTHH:MM:SS.`` in UTC as epoch microseconds (in a tuple: never falsy), or
    None when not a time of that shape."""
    if _WHOLE_SECONDS.fullmatch(head) is None:
        return None
    when = from_text(head + "000000Z")
    if when is None:
        return None
    return ((when - _EPOCH) // datetime.timedelta(microseconds=1),)


_HEAD = b'{"timestamp":"'
_WHOLE_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.", re.ASCII)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


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
        self._layout = array("B")  # index into _layout_names
        self._layout_names: list[str] = []
        self._layout_ids: dict[str, int] = {}
        self._exceptions = array("I")  # ids of the records with an exception, ascending
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
        self._level_counts = array("q", bytes(8 * 256))
        self._first, self._last = math.inf, -math.inf
        self._field_counts: dict[str, int] = {}
        self._columns: dict[str, _Column] = {}  # top-level field values, for -f predicates
        self._untracked: set[str] = set()  # keys seen once the columns were all taken
        #: Bytes left for the columns of many values (:class:`_Wide`), shared by all.
        self._budget = [_WIDE_BYTES]
        self._messages = _Column(self._budget)  # messages, for grep
        if not _MAX_COLUMNS:
            self._messages.drop()
        self._stores: list[_Store] = []
        self._live_store: _Store | None = None
        self._live_last: dict[str, int] = {}  # source -> live line of its last record
        self._built_last: dict[str, int] = {}  # input -> id of its last record when built
        self._text = array("I")  # ids of the text lines (not records), ascending
        self._owner = array("i")  # for each, the id of the record before it in its input, or -1
        self._lock = threading.Lock()  # one writer: building or adding lines
        self._cache: dict[tuple[object, ...], tuple[int, array[int]]] = {}  # key: (size, ids)
        self._cache_lock = threading.Lock()
        self._running: dict[tuple[object, ...], threading.Event] = {}
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

    def _records(self, path: str, store: _Store, pending: dict[int, _Where]) -> Iterator[Record]:
        number = len(self._stores)
        self._stores.append(store)
        offset = seq = 0
        last = -1  # the line of the input's last record (what a text line after it goes with)
        for lines in self._lines(path, store):
            for line in lines:
                record = parse_line(line, path)
                if record.layout == "text":
                    pending[id(record)] = (number, offset, len(line), seq, last)
                else:
                    pending[id(record)] = (number, offset, len(line), seq, -1)
                    last = seq
                offset += len(line) + 1
                seq += 1
                yield record
        store.size = offset
        store.last = last

    def _build(self, window: float, on_error: Callable[[str, OSError], None] | None) -> None:
        if len(self.paths) == 1:  # nothing to merge: lines straight from the file
            path = self.paths[0]
            try:
                store = self._open(path)
                with self._lock:
                    self._build_one(path, store)
            except OSError as exc:
                if on_error is None:
                    raise
                on_error(path, exc)
            with self._lock:
                for store in self._stores:
                    if store.last >= 0:
                        self._built_last[store.name] = store.order[store.last]
            return
        pending: dict[int, _Where] = {}
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
                self._append(record, pending.pop(id(record)))
                if self._progress is not None and not len(self._time) % 100_000:
                    self._progress(len(self._time))
            for store in self._stores:
                if store.last >= 0:
                    self._built_last[store.name] = store.order[store.last]

    def _build_one(self, path: str, store: _Store) -> None:
        """Index the lines of the only input: a line in fastlog's default layout read by
        :class:`_FastlogLines`, any other parsed."""
        number = len(self._stores)
        self._stores.append(store)
        offset = seq = 0
        last = -1  # the line of the last record (what a text line after it goes with)
        fast = _FastlogLines().read
        add, append, progress = self._add, self._append, self._progress
        try:
            for lines in self._lines(path, store):
                for line in lines:
                    length = len(line)
                    values = fast(line)
                    if values is not None:
                        add((number, offset, length, seq, -1), *values, path)
                        last = seq
                    else:
                        record = parse_line(line, path)
                        if record.layout == "text":
                            append(record, (number, offset, length, seq, last))
                        else:
                            append(record, (number, offset, length, seq, -1))
                            last = seq
                    offset += length + 1
                    seq += 1
                    if progress is not None and not seq % 100_000:
                        progress(len(self._time))
        finally:
            store.size = offset
            store.last = last

    def _append(self, record: Record, where: _Where) -> None:
        """Add *record*, found *where* (see :data:`_Where`)."""
        time = record.time
        self._add(
            where,
            math.nan if time is None else time.timestamp(),
            record.levelno,
            record.level,
            record.logger,
            record.layout,
            record.exception is not None,
            record.fields,
            record.message,
            record.source,
        )

    def _add(  # noqa: PLR0917 - positional: the build's per-record call
        self,
        where: _Where,
        at: float,
        levelno: int | None,
        level: str | None,
        logger: str | None,
        layout: str,
        exception: bool,
        fields: dict[str, Any],
        message: str | None,
        source: str,
    ) -> None:
        """Add a record (what the arrays keep of it), found *where* (see :data:`_Where`)."""
        store, offset, length, seq, owner = where
        number = len(self._time)
        self._time.append(at)
        # Comparisons, not min()/max(): no call on the build's per-record path (NaN: False).
        if at < self._first:  # noqa: PLR1730
            self._first = at
        if at > self._last:  # noqa: PLR1730
            self._last = at
        if levelno is None:
            levelno = _NO_LEVEL
        elif not _NO_LEVEL < levelno <= _LEVEL_MAX:
            levelno = _LEVEL_MAX if levelno > 0 else _NO_LEVEL + 1
        self._levelno.append(levelno)
        level_id = self._level_ids.get(level)
        if level_id is None:
            level_id = len(self._level_names) if len(self._level_names) < 255 else 0
            if level_id:
                self._level_ids[level] = level_id
                self._level_names.append(level)
        self._level.append(level_id)
        self._level_counts[level_id] += 1
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
        order = self._stores[store].order
        if seq == len(order):
            order.append(number)
        else:  # merging hands out a stream's records a little out of order
            if seq > len(order):
                order.frombytes(bytes(order.itemsize * (seq + 1 - len(order))))
            order[seq] = number
        if layout == "text":
            # Merging never hands out a text line before its record: the record's id is known.
            self._text.append(number)
            self._owner.append(order[owner] if owner >= 0 else (-owner - 2 if owner < -1 else -1))
        layout_id = self._layout_ids.get(layout)
        if layout_id is None:
            layout_id = self._layout_ids[layout] = len(self._layout_names)
            self._layout_names.append(layout)
        self._layout.append(layout_id)
        if exception:
            self._exceptions.append(number)
        source_id = self._source_ids.get(source)
        if source_id is None:
            source_id = self._source_ids[source] = len(self._source_names)
            self._source_names.append(source)
        self._source.append(source_id)
        if number < _SAMPLE_FIELDS or not number % 100:
            counts = self._field_counts
            for key in fields:
                counts[key] = counts.get(key, 0) + 1
        columns = self._columns
        for key, value in fields.items():
            column = columns.get(key)
            if column is None:
                if key in self._untracked:
                    continue
                if len(columns) >= _MAX_COLUMNS:
                    self._untracked.add(key)
                    continue
                column = columns[key] = _Column(self._budget)
            ids = column.ids
            if ids is None:
                wide = column.wide
                if wide is not None:
                    wide.put(number, value)
                continue
            # A value seen before, of the usual types, inline (the per-field path of the
            # build); anything else through put().
            kind = type(value)
            table = column.tables.get(kind) if kind is str or kind is int else None
            found = None if table is None else table.get(value)
            if found is None:
                column.put(number, value)
                continue
            if len(ids) != number:
                ids.frombytes(bytes(2 * (number - len(ids))))
            ids.append(found)
        self._messages.put(number, message)

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
            pending: dict[int, _Where] = {}
            by_source: dict[str, list[Record]] = {}
            chunks: list[bytes] = []
            offset = store.size
            seq = len(store.order)
            last = self._live_last
            for source, line in lines:
                record = parse_line(line, source)
                if record.layout == "text":
                    owner = last.get(source)
                    if owner is None:  # the input's last record when the index was built
                        built = self._built_last.get(source, -1)
                        owner = -built - 2 if built >= 0 else -1
                    pending[id(record)] = (number, offset, len(line), seq, owner)
                else:
                    pending[id(record)] = (number, offset, len(line), seq, -1)
                    last[source] = seq
                offset += len(line) + 1
                seq += 1
                chunks.append(line)
                by_source.setdefault(source, []).append(record)
            assert store.spool is not None
            store.spool.seek(0, os.SEEK_END)
            store.spool.write(b"\n".join(chunks) + b"\n")
            store.spool.flush()
            store.size = offset
            for record in merge(list(by_source.values())):
                self._append(record, pending.pop(id(record)))
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
        if numbers is None:
            return None if self._first == math.inf else (self._first, self._last)
        finite = list(filterfalse(math.isnan, map(self._time.__getitem__, numbers)))
        return (min(finite), max(finite)) if finite else None

    def levels(self) -> list[str | None]:
        """The level names present (``None`` for records without one), lowest first."""
        counts = self._level_counts
        names = [self._level_names[i] for i in range(len(self._level_names)) if counts[i]]
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
        # Counter counts in C; the slot of a record at *end* exactly is folded back below.
        counted = Counter(
            int((times[n] - start) / width) * 256 + levels[n]
            for n in numbers
            if start <= times[n] <= end  # NaN never is
        )
        flat = [0] * ((buckets + 1) * 256)
        for slot, count in counted.items():
            flat[slot] += count
        for level in range(256):
            flat[(buckets - 1) * 256 + level] += flat[buckets * 256 + level]
        used = sorted(
            {slot % 256 for slot in counted},
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

    def stats(self, numbers: Sequence[int], top: int = 10) -> Stats:
        """The :class:`Stats` of the records *numbers* (ascending ids): the same as
        ``Stats(top=top).update(self.records(numbers))``.

        Counted from the arrays (level, logger, layout, input, time, the message's distinct
        values); only the records with an exception, and fastlog's own notes, are parsed
        again. When the arrays cannot tell (too many distinct messages or loggers), every
        record is parsed.
        """
        stats = Stats(top=top)
        if not self._counted(stats, numbers):
            step = 10_000
            for at in range(0, len(numbers), step):
                stats.update(self.records(numbers[at : at + step]))
        return stats

    def _counted(self, stats: Stats, numbers: Sequence[int]) -> bool:
        """Fill *stats* from the arrays; False (and *stats* untouched) when they cannot tell."""
        high = len(self)
        if not numbers:
            return True
        if numbers[-1] >= high:
            raise IndexError(numbers[-1])
        column = self._column_of(self._messages, high)
        if column is None or column.ids is None or len(self._level_names) >= 255:
            return False
        message_ids = column.ids
        text = bytearray(high)
        for n in self._text:
            if n < high:
                text[n] = 1
        # Arrays, not lists, of what there is one of per record: no object kept per record.
        records = array("I", compress(numbers, map((1).__xor__, map(text.__getitem__, numbers))))
        sources = Counter(map(self._source.__getitem__, numbers))
        levels = Counter(map(self._level.__getitem__, records))
        loggers = Counter(map(self._logger.__getitem__, records))
        level_of = [name or _NONE for name in self._level_names]
        logger_of = [name or _NONE for name in self._logger_names]
        level_counts: Counter[str] = Counter()
        for level_id, count in levels.items():
            level_counts[level_of[level_id]] += count
        logger_counts: Counter[str] = Counter()
        for logger_id, count in loggers.items():
            logger_counts[logger_of[logger_id]] += count
        # Counts kept whole only: past a cap, which keys were kept depends on the order.
        if (
            len(sources) > stats._sources.cap
            or len(level_counts) > stats._levels.cap
            or len(logger_counts) > stats._loggers.cap
            or len(Counter(map(self._layout.__getitem__, records))) > stats._layouts.cap
        ):
            return False
        times = array("d", filterfalse(math.isnan, map(self._time.__getitem__, records)))
        if times and (min(times) < -_EXACT_SECONDS or max(times) > _EXACT_SECONDS):
            return False  # a float may not tell two microseconds apart there
        message_list = array("I", map(message_ids.__getitem__, records))
        # (message, level) as one int, counted in C.
        by_pair = Counter(
            map(
                int.__add__,
                map((256).__mul__, message_list),
                map(self._level.__getitem__, records),
            )
        )
        # The first record of each distinct message: a template's example is its first message.
        first_of = dict(
            zip(reversed(message_list), range(len(message_list) - 1, -1, -1), strict=True)
        )
        del message_list
        values = column.values
        messages = stats._messages
        ordered = sorted(first_of, key=first_of.__getitem__)
        templates: dict[int, str] = {}
        for message_id in ordered:
            message = values[message_id]
            if not isinstance(message, str):
                continue
            key = template(message)
            templates[message_id] = key
            if key not in messages and len(messages) < stats._max_templates:
                messages[key] = _StatsMessage(0, message, set())
        for pair, count in by_pair.items():
            message_id, level_id = divmod(pair, 256)
            kept = templates.get(message_id)
            if kept is None:
                continue
            found = messages.get(kept)
            if found is None:
                stats._messages_other += count
            else:
                found.count += count
                found.levels.add(level_of[level_id])
        for source_id, count in sources.items():
            stats._sources.counts[self._source_names[source_id]] = count
        for layout_id, count in Counter(map(self._layout.__getitem__, records)).items():
            stats._layouts.counts[self._layout_names[layout_id]] = count
        stats._levels.counts.update(level_counts)
        stats._loggers.counts.update(logger_counts)
        stats.records = len(records)
        stats.text_lines = len(numbers) - len(records)
        stats.without_time = len(records) - len(times)
        if times:
            earliest, latest = min(times), max(times)
            stats.first = datetime.datetime.fromtimestamp(earliest, datetime.UTC)
            stats.last = datetime.datetime.fromtimestamp(latest, datetime.UTC)
            # Stats._bucket() for each, in order; inline while the bucket exists already.
            width = _WIDTHS[stats._width_index]
            buckets = stats._buckets
            floor = math.floor
            for moment in times:
                slot = floor(moment / width)
                if slot in buckets:
                    buckets[slot] += 1
                else:
                    stats._bucket(moment)
                    width = _WIDTHS[stats._width_index]
                    buckets = stats._buckets
        # The exceptions and fastlog's notes from their records, parsed again, in order.
        wanted = bytearray(high)
        for n in records:
            wanted[n] = 1
        parsed = [n for n in self._exceptions if n < high and wanted[n]]
        notes = self._logger_ids.get("fastlog")
        if notes is not None:
            logger = self._logger
            parsed.extend(n for n in records if logger[n] == notes)
        parsed = sorted(set(parsed))
        for at in range(0, len(parsed), 10_000):  # a few records in memory at a time
            for record in self.records(parsed[at : at + 10_000]):
                when = record.time
                if record.exception is not None:
                    stats._error(record.exception, when)
                if record.logger == "fastlog":
                    stats._note(record, when)
        return True

    # -- filtering ---------------------------------------------------------------------------

    def match(self, filter: Filter | None = None, *, text: str | None = None) -> array[int]:
        """The ids of the records *filter* keeps whose raw line contains *text* (ignoring
        case), in order: the lines ``read(paths, filter)`` gives (text lines with the record
        before them in their input, :meth:`Filter.matcher`).

        Level, logger and time are read from the arrays; a field predicate on a top-level key,
        and ``grep``, from the distinct values seen while indexing when they were few enough;
        the rest from the lines (byte needles first, then the parse). The last results are
        cached and extended as the index grows; the same filter asked for by several threads
        at once is computed once. Do not modify the array returned.

        Args:
            filter: What to keep (``None``: everything).
            text: A string the raw line must contain, ignoring case (the page's free text).
        """
        key = _key(filter, text)
        while True:
            size = len(self)
            with self._cache_lock:
                cached = self._cache.get(key)
                if cached is not None and cached[0] >= size:
                    return cached[1]
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = threading.Event()
                    break
            # The same filter is being applied by another request (the page asks for a page
            # of records and the histogram at once): wait for its result.
            running.wait()
        try:
            done, before = cached if cached is not None else (0, array("I"))
            ids = array("I", before)
            ids.extend(self._match(filter or Filter(), text or None, done, size, before))
            with self._cache_lock:
                if len(self._cache) >= 16:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = (size, ids)
            return ids
        finally:
            with self._cache_lock:
                del self._running[key]
            running.set()

    def _match(
        self, flt: Filter, text: str | None, low: int, high: int, before: array[int]
    ) -> Sequence[int]:
        """The ids in [*low*, *high*) kept; *before* is what was kept below *low*."""
        ids: Sequence[int] = range(low, high)
        if flt.min_levelno is not None:
            ids = _keep(ids, self._levelno, flt.min_levelno.__le__)
        if flt.loggers:
            ids = _keep(ids, self._logger, self._loggers_allowed(flt.loggers).__getitem__)
        if flt.since is not None:
            ids = _keep(ids, self._time, flt.since.timestamp().__le__)  # NaN: False
        if flt.until is not None:
            ids = _keep(ids, self._time, flt.until.timestamp().__gt__)
        rest: list[Predicate] = []
        doubtful: set[int] = set()  # records whose value only their line can judge
        doubted: list[Predicate] = []
        doubted_grep: re.Pattern[str] | None = None
        for predicate in flt.predicates:
            column = self._column_for(predicate.key, high)
            if column is None:
                rest.append(predicate)
                continue
            if column is _MISSING_COLUMN:
                ids = ids if predicate.match(_probe(predicate.key, _ABSENT)) else []
                continue
            ids, doubt = self._judge(
                column, ids, high, _predicate_test(predicate), _fast_predicate(predicate)
            )
            if doubt:
                doubtful.update(doubt)
                doubted.append(predicate)
        grep = flt.grep
        if grep is not None:
            column = self._column_of(self._messages, high)
            if column is not None:
                ids, doubt = self._judge(column, ids, high, _grep_test(grep), _fast_grep(grep))
                if doubt:
                    doubtful.update(doubt)
                    doubted_grep = grep
                grep = None
        if doubtful:
            # Kept so far as maybe: their lines judge them (on every doubted condition, which
            # the others among them passed anyway).
            doubt = sorted(doubtful.intersection(ids))
            check = Filter(predicates=tuple(doubted), grep=doubted_grep)
            dropped = set(doubt).difference(
                self._scan(doubt, low, high, _LineTest(check, None, ()))
            )
            if dropped:
                ids = [n for n in ids if n not in dropped]
        slow = None
        if rest or grep is not None or flt.trace_id is not None:
            slow = Filter(predicates=tuple(rest), grep=grep, trace_id=flt.trace_id)
        needles = _needles(slow)
        if slow is not None or needles:
            ids = self._scan(ids, low, high, _LineTest(slow, None, needles))
        if flt.active:
            ids = self._with_records(ids, low, high, before)
        if text is not None:  # the free text is looked for in each line, text lines too
            ids = self._scan(ids, low, high, _LineTest(None, text, ()))
        return ids

    def _with_records(
        self, ids: Sequence[int], low: int, high: int, before: array[int]
    ) -> Sequence[int]:
        """*ids* with each text line (not a record) kept when the record before it in its
        input is, as ``fastlog view`` filters them (:meth:`Filter.matcher`)."""
        texts, owners = self._text, self._owner
        first = bisect.bisect_left(texts, low)
        last = bisect.bisect_left(texts, high, first, min(len(texts), len(owners)))
        if first == last:
            return ids
        kept = bytearray(high - low)
        for n in ids:
            kept[n - low] = 1
        for k in range(first, last):
            owner = owners[k]
            if owner >= low:
                keep = kept[owner - low]
            elif owner >= 0:  # kept earlier, or not
                at = bisect.bisect_left(before, owner)
                keep = at < len(before) and before[at] == owner
            else:  # before the input's first record: kept only without a filter
                keep = False
            kept[texts[k] - low] = keep
        return list(compress(range(low, high), kept))

    def _column_for(self, key: str, high: int) -> _Column | None:
        # field_value() looks past fields for these keys and for dotted ones: no column.
        if "." in key or key in _SPECIAL_KEYS or key in self._untracked:
            return None
        column = self._columns.get(key)
        if column is None:
            return _MISSING_COLUMN if len(self._columns) < _MAX_COLUMNS else None
        return self._column_of(column, high)

    def _column_of(self, column: _Column, high: int) -> _Column | None:
        with self._lock:  # padded to the index's size, out of the writer's way
            values = column.ids
            if values is None:
                wide = column.wide
                values = None if wide is None else wide.idx
                if values is None:
                    return None
            if len(values) < high:
                values.frombytes(bytes(values.itemsize * (high - len(values))))
            return column

    def _judge(
        self,
        column: _Column,
        ids: Sequence[int],
        high: int,
        test: Callable[[object], bool],
        fast: Callable[[int], Callable[[list[str]], Iterable[object]] | None],
    ) -> tuple[Sequence[int], list[int]]:
        """The *ids* whose value in *column* passes *test* or cannot be judged without the
        line, and those that cannot."""
        values = column.ids
        if values is not None:
            return _keep(ids, values, column.evaluate(test).__getitem__), []
        wide = column.wide
        assert wide is not None
        with self._lock:  # the slots of the records below high, out of the writer's way
            idx = wide.idx
            slots, size = len(wide.kinds), len(wide.text)
        if idx is None:  # given up since: every record's line
            return ids, list(ids)
        judged = wide.judge(slots, size, test, fast)
        kept = _keep(ids, idx, judged.__getitem__)
        if _UNSURE not in judged:
            return kept, []
        return kept, [n for n in kept if judged[idx[n]] == _UNSURE]

    def _loggers_allowed(self, globs: tuple[tuple[str, bool], ...]) -> bytearray:
        probe = Filter(loggers=globs)
        return bytearray(
            probe._match_logger(name or "")  # the filter's own rule (same package)
            for name in self._logger_names
        )

    def _scan(self, ids: Sequence[int], low: int, high: int, keep: _LineTest) -> list[int]:
        """The *ids* whose lines pass *keep*."""
        if not ids:
            return []
        if len(ids) < (high - low) // 8 or high - low < _DENSE:
            # A few records: read them where they are.
            by_line = self._read(ids)
            return sorted(n for n, line in by_line if keep.one(line))
        wanted: bytearray | None = None
        if len(ids) < high - low:
            wanted = bytearray(high)
            for i in ids:
                wanted[i] = 1
        kept: list[int] = []
        for store in list(self._stores):
            for data, numbers in self._chunks(store):
                kept.extend(keep.many(data, numbers, low, high, wanted))
        kept.sort()
        return kept

    def _chunks(self, store: _Store) -> Iterator[tuple[bytes, Sequence[int]]]:
        """A store's lines read in large pieces (whole lines joined by newlines), with the
        record id of each line."""
        with self._lock:  # complete batches only
            order = store.order[:]
        offsets, lengths = self._offset, self._length
        lines = range(len(order))
        seq = 0
        while seq < len(order):
            # The lines are contiguous: cut at a line boundary found from their offsets.
            start = offsets[order[seq]]
            stop = bisect.bisect_right(
                lines, start + _SPAN, seq + 1, len(order), key=lambda j: offsets[order[j]]
            )
            last = order[stop - 1]
            yield os.pread(store.fd, offsets[last] + lengths[last] - start, start), order[seq:stop]
            seq = stop

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


_LEVEL_ORDER = {"notice": 25}


def _level_key(name: str | None) -> tuple[int, str]:
    if name is None:
        return (2**31, "")
    number = _LEVEL_ORDER.get(name, levelno_of(name))
    return (1000 if number is None else number, name)


def _keep(ids: Sequence[int], values: array[Any], test: Callable[[Any], object]) -> list[int]:
    """The *ids* whose value passes *test*, iterated in C (``compress`` over ``map``)."""
    if isinstance(ids, range):
        return list(compress(ids, map(test, values[ids.start : ids.stop])))
    return list(compress(ids, map(test, map(values.__getitem__, ids))))


def _needles(slow: Filter | None) -> tuple[bytes, ...]:
    """Byte strings every line *slow* keeps contains: plain values and keys of predicates
    (as every JSON and logfmt writer writes them), a literal grep; the likely rarest first
    (values before keys), as the first one is searched for in whole pieces of the files."""
    if slow is None:
        return ()
    values: list[bytes] = []
    keys: list[bytes] = []
    for predicate in slow.predicates:
        if predicate.op == "!=" or predicate.key in _SPECIAL_KEYS:
            continue
        plain = predicate.op == "=" and predicate.number is None
        if predicate.key.startswith("exception."):
            # Its value is written in the line (a type also as the traceback's last line).
            if plain and _PLAIN.fullmatch(predicate.value):
                values.append(predicate.value.encode())
            continue
        last = predicate.key.rsplit(".", 1)[-1]
        if _PLAIN.fullmatch(last):
            keys.append(last.encode())
        if plain and _PLAIN.fullmatch(predicate.value):
            values.append(predicate.value.encode())
    grep = slow.grep
    if (
        grep is not None
        and _PLAIN.fullmatch(grep.pattern)
        and "." not in grep.pattern
        and not grep.flags & re.IGNORECASE
    ):
        values.append(grep.pattern.encode())
    values.sort(key=len, reverse=True)
    return tuple(dict.fromkeys([*values, *keys]))


class _LineTest:
    """The checks a line must pass: free text, byte needles, then the parsed record."""

    def __init__(self, slow: Filter | None, text: str | None, needles: tuple[bytes, ...]) -> None:
        self.match = slow.match if slow is not None else None
        self.text = None if text is None else text.lower()
        self.folded = self.text.encode() if self.text is not None and self.text.isascii() else None
        self.needles = needles
        self.traces = _trace_needles(slow.trace_id if slow is not None else None)

    def one(self, line: bytes) -> bool:
        if self.folded is not None:
            if self.folded not in line.lower():
                return False
        elif self.text is not None and self.text not in line.decode("utf-8", "replace").lower():
            return False
        if not all(needle in line for needle in self.needles):
            return False
        if self.traces and not any(trace in line.lower() for trace in self.traces):
            return False
        return self.match is None or self.match(parse_line(line))

    def many(
        self, data: bytes, numbers: Sequence[int], low: int, high: int, wanted: bytearray | None
    ) -> list[int]:
        """The ids among *numbers* (one per line of *data*) in [*low*, *high*), and in
        *wanted* when given, whose lines pass."""
        count = len(numbers)
        needles = self.needles
        probe = b""
        hay = None
        if self.folded is not None:
            probe, hay = self.folded, data.lower()
        elif needles:
            probe, hay = needles[0], data
            needles = needles[1:]
        lines: list[bytes] | None = None
        spans: dict[int, tuple[int, int]] | None = None  # line number -> (start, end)
        hits: Iterable[int]
        found = None if hay is None else _lines_with(hay, probe, count // 8)
        if hay is not None and found is None:
            # In many lines: test each line (in C) rather than go from occurrence to occurrence.
            split = hay.split(b"\n")
            hits = [k for k, line in enumerate(split) if probe in line]
            if hay is data:
                lines = split
        elif found is not None:
            spans = {k: (start, end) for k, start, end in found}
            hits = spans
        elif self.traces:
            folded = data.lower()
            spans = {
                k: (a, b) for trace in self.traces for k, a, b in _lines_with(folded, trace) or ()
            }
            hits = sorted(spans)
        else:
            hits = range(count)
        if wanted is None:
            kept = [k for k in hits if k < count and low <= numbers[k] < high]
        else:
            kept = [
                k for k in hits if k < count and low <= numbers[k] < high and wanted[numbers[k]]
            ]
        text = self.text if self.folded is None else None
        match = self.match
        if not kept or (text is None and not needles and match is None):
            return [numbers[k] for k in kept]
        if spans is not None:  # the lines of the hits only
            pairs = [(k, data[spans[k][0] : spans[k][1]]) for k in kept]
        else:
            if lines is None:
                lines = data.split(b"\n")
            pairs = [(k, lines[k]) for k in kept]
        if text is not None:
            pairs = [
                (k, line) for k, line in pairs if text in line.decode("utf-8", "replace").lower()
            ]
        for needle in needles:
            pairs = [(k, line) for k, line in pairs if needle in line]
        if match is not None:
            return [numbers[k] for k, line in pairs if match(parse_line(line))]
        return [numbers[k] for k, _ in pairs]


def _trace_needles(wanted: str | None) -> tuple[bytes, ...]:
    """What a line kept by ``--trace-id`` *wanted* contains, one of, in lower case: the id
    itself, or Datadog's decimal form of its low 64 bits (see ``_same_trace``)."""
    if wanted is None or not _PLAIN.fullmatch(wanted):
        return ()
    found = [wanted.lower().encode()]
    try:
        found.append(str(int(wanted[-16:], 16)).encode())
    except ValueError:
        pass
    return tuple(found)


def _lines_with(
    data: bytes, needle: bytes, most: int | None = None
) -> list[tuple[int, int, int]] | None:
    """``(line number, start, end)`` of the lines of *data* that contain *needle* (searched
    in C; Python runs once per line found), or None when more than *most* lines do."""
    found: list[tuple[int, int, int]] = []
    find, rfind, count = data.find, data.rfind, data.count
    line = start = 0
    at = find(needle)
    while at >= 0:
        if most is not None and len(found) > most:
            return None
        line += count(b"\n", start, at)
        begin = rfind(b"\n", start, at) + 1 or start
        end = find(b"\n", at)
        if end < 0:
            found.append((line, begin, len(data)))
            break
        found.append((line, begin, end))
        start = end + 1
        line += 1
        at = find(needle, start)
    return found


def _predicate_test(predicate: Predicate) -> Callable[[object], bool]:
    def test(value: object) -> bool:
        return predicate.match(_probe(predicate.key, value))

    return test


def _grep_test(grep: re.Pattern[str]) -> Callable[[object], bool]:
    def test(value: object) -> bool:
        return isinstance(value, str) and grep.search(value) is not None

    return test


def _probe(key: str, value: object) -> Record:
    """A record whose only field is *key* (none when *value* is the missing marker)."""
    fields = {} if value is _ABSENT else {key: value}
    return Record(None, None, None, None, None, fields=fields)


class _Column:
    """One value per record, as small ids into the distinct values seen (0: absent).

    Given up (``ids`` is None) when a value cannot be a dict key exactly (a dict, a list, NaN):
    the predicates on it read the lines then. With too many distinct values it goes on as a
    :class:`_Wide` column (``wide``) while the index's budget for them lasts.
    """

    __slots__ = ("budget", "ids", "tables", "values", "wide")

    def __init__(self, budget: list[int] | None = None) -> None:
        self.ids: array[int] | None = array("H")
        self.values: list[object] = [_ABSENT]
        # One table per type: True, 1 and 1.0 are equal keys but not equal values to a
        # predicate (true is not 1 to "="; "1.0" is not "1" to "~").
        self.tables: dict[type, dict[object, int]] = {}
        self.wide: _Wide | None = None
        self.budget = budget

    def put(self, number: int, value: object) -> None:
        ids = self.ids
        if ids is None:  # given up, or wide
            if self.wide is not None:
                self.wide.put(number, value)
            return
        kind = type(value)
        key = value
        if kind is float:
            if math.isnan(value):  # type: ignore[arg-type]
                self.drop()  # NaN is not equal to itself: no key finds it
                return
            if not value:
                key = repr(value)  # 0.0 and -0.0 are equal keys but not the same text
        elif kind is dict or kind is list:
            self.drop()
            return
        table = self.tables.get(kind)
        if table is None:
            table = self.tables[kind] = {}
        found = table.get(key)
        if found is None:
            found = len(self.values)
            if found > _MAX_VALUES:
                self.widen(number)
                self.put(number, value)
                return
            self.values.append(value)
            table[key] = found
        if len(ids) != number:
            ids.frombytes(bytes(ids.itemsize * (number - len(ids))))
        ids.append(found)

    def widen(self, number: int) -> None:
        """Go on as a :class:`_Wide` column holding the values of records [0, *number*)."""
        ids, values = self.ids, self.values
        self.drop()
        if self.budget is None or ids is None:
            return
        wide = _Wide(self.budget)
        for n, found in enumerate(ids[:number]):
            if found:
                wide.put(n, values[found])
                if wide.idx is None:
                    return
        self.wide = wide

    def drop(self) -> None:
        self.ids = None
        self.values = []
        self.tables = {}

    def evaluate(self, test: Callable[[object], bool]) -> bytearray:
        """Whether each distinct value passes *test* (the absent marker included)."""
        return bytearray(bool(test(value)) for value in self.values)


# The kinds of value a wide column keeps as text (what the value is read back as).
_STR, _INT, _FLOAT, _CONST, _LINE = 1, 2, 3, 4, 5
_CONSTANTS: dict[str, object] = {"true": True, "false": False, "null": None}
_SEP = b"\xff"  # never in UTF-8: ends each value's text
_PIECE = 1 << 22  # bytes of values decoded at a time when evaluating
_UNSURE = 2  # a judgement that needs the record's line


class _Wide:
    """A column of many distinct values, kept as text: one slot per record that has the key
    (``idx``: record -> slot, 0 when absent), each slot's text in one buffer (UTF-8, each
    ended by a byte UTF-8 never has) and its kind (str, int, float, true/false/null, or
    "read the line" for a dict, a list, NaN, a huge int or a string UTF-8 cannot hold).

    The text of an int is ``str()``, of a float ``repr()``: both read back exactly.
    """

    __slots__ = ("budget", "idx", "kinds", "text", "used")

    def __init__(self, budget: list[int]) -> None:
        self.idx: array[int] | None = array("I")
        self.text = bytearray()
        self.kinds = bytearray(b"\0")  # slot 0: absent
        self.budget = budget
        self.used = 0

    def put(self, number: int, value: object) -> None:
        idx = self.idx
        if idx is None:
            return
        kind = type(value)
        if kind is str:
            try:
                data = value.encode()  # type: ignore[attr-defined]
            except UnicodeEncodeError:  # a lone surrogate (json's fallback reads them)
                data, code = b"", _LINE
            else:
                if len(idx) == number and self.budget[0] > len(data) + 6:
                    # The usual case, inline: a string for the next record.
                    self.budget[0] -= len(data) + 6
                    self.used += len(data) + 6
                    self.text += data + _SEP
                    self.kinds.append(_STR)
                    idx.append(len(self.kinds) - 1)
                    return
                code = _STR
        elif kind is int and -(2**63) <= value < 2**63:  # type: ignore[operator]
            data, code = str(value).encode(), _INT
        elif kind is float and not math.isnan(value):  # type: ignore[arg-type]
            data, code = repr(value).encode(), _FLOAT
        elif value is True or value is False or value is None:
            data, code = (b"true" if value else b"false" if value is False else b"null"), _CONST
        else:
            data, code = b"", _LINE
        cost = len(data) + 6
        if len(idx) != number:
            cost += 4 * (number - len(idx))
            idx.frombytes(bytes(4 * (number - len(idx))))
        self.budget[0] -= cost
        self.used += cost
        if self.budget[0] < 0:  # too much text for the memory allowed: read the lines
            self.budget[0] += self.used
            self.idx = None
            self.text = bytearray()
            self.kinds = bytearray()
            return
        self.text += data
        self.text += _SEP
        self.kinds.append(code)
        idx.append(len(self.kinds) - 1)

    def judge(
        self,
        slots: int,
        size: int,
        test: Callable[[object], bool],
        fast: Callable[[int], Callable[[list[str]], Iterable[object]] | None],
    ) -> bytearray:
        """For each of the first *slots* slots (whose text is the first *size* bytes), and
        slot 0 (absent), 1 when its value passes *test*, 0 when not, :data:`_UNSURE` when only
        the line can tell. *fast* gives, for a kind, a test of many texts at once (or None)."""
        out = bytearray([bool(test(_ABSENT))])
        text, kinds = self.text, self.kinds
        start = 0
        slot = 1
        while start < size:
            stop = text.find(_SEP, min(start + _PIECE, size - 1), size) + 1
            texts = bytes(text[start : stop - 1]).decode("utf-8", "surrogateescape").split("\udcff")
            codes = kinds[slot : slot + len(texts)]
            first = codes[0]
            many = fast(first) if codes.count(first) == len(codes) else None
            if many is not None:
                out += bytes(map(bool, many(texts)))
            else:
                out += bytes(
                    _UNSURE if code == _LINE else bool(test(_value(code, value)))
                    for code, value in zip(codes, texts, strict=True)
                )
            slot += len(texts)
            start = stop
        assert slot == slots
        return out


def _value(code: int, text: str) -> object:
    """The value a wide column's slot holds, from its text and kind."""
    if code == _STR:
        return text
    if code == _INT:
        return int(text)
    if code == _FLOAT:
        return float(text)
    return _CONSTANTS[text]


def _fast_predicate(predicate: Predicate) -> Callable[[int], Callable[[list[str]], Any] | None]:
    """Tests of many texts of one kind at once for *predicate*, as ``Predicate.match`` judges
    the values they are (see :func:`_value`); None for the kinds and operators left to it."""
    op, expected, number, regex = predicate.op, predicate.value, predicate.number, predicate.regex

    def fast(code: int) -> Callable[[list[str]], Any] | None:
        if code not in (_STR, _INT, _FLOAT):
            return None
        if op == "?":
            return lambda texts: [True] * len(texts)
        if op == "~":
            assert regex is not None
            return lambda texts: map(regex.search, texts)  # an int's or float's text is str()
        if op in ("=", "!="):
            if code == _STR or number is None:  # a string, or a number compared as text
                return lambda texts: map(expected.__eq__ if op == "=" else expected.__ne__, texts)
            parse = int if code == _INT else float
            compare = number.__eq__ if op == "=" else number.__ne__
            return lambda texts: map(compare, map(parse, texts))
        if code == _STR:
            return None  # a string is compared as the number it spells, if it spells one
        assert number is not None
        order = {">": number.__lt__, ">=": number.__le__, "<": number.__gt__}.get(op, number.__ge__)
        # float() of an int's decimal text is float() of the int: both are rounded once.
        return lambda texts: map(order, map(float, texts))

    return fast


def _fast_grep(grep: re.Pattern[str]) -> Callable[[int], Callable[[list[str]], Any] | None]:
    def fast(code: int) -> Callable[[list[str]], Any] | None:
        return (lambda texts: map(grep.search, texts)) if code == _STR else None

    return fast


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT = _Absent()
_MISSING_COLUMN = _Column()  # a key no record has: every record reads as absent
_MAX_COLUMNS = 64  # 0: no columns (every predicate and grep read from the lines)
#: Fewer records than this to filter are read one by one (else stores are read whole).
_DENSE = 100_000
_MAX_VALUES = 65_000
_EXACT_SECONDS = 2**32  # times (epoch seconds) a float holds to the microsecond, and more
#: Memory for the columns of many distinct values (:class:`_Wide`), all together.
_WIDE_BYTES = 64 << 20


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
