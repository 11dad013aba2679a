"""The pipeline: one bounded buffer, one writer thread, one or more sinks.

Callers append encoded lines to the block being filled, a ``bytearray`` of about 256 KiB; full
blocks are queued (``_seal``). The writer thread takes everything that has accumulated and hands
it to the sinks in one call (``writev`` where the sink has it). No lock is taken on the callers'
common path: with the GIL, ``bytearray += bytes`` is one C call (``bytearray_iconcat``) that no
other thread can interleave with, and every append is a whole line. ``len(buf)`` is therefore
also the exact number of bytes in the block, which is what the capacity check reads.

The writer takes the blocks by swapping in an empty one, not by copying them, so memory stays
within ``capacity``: the batch in flight counts against it, and nothing holds a second copy.
A caller that read ``_buf`` just before the swap may still append to the old block; it holds
a reference to it until its call returns, and the writer waits for those (see ``_take``).
See ``docs/architecture.md`` for the diagram and the reasoning.

Locks exist only off the common path: between the writer and ``flush`` waiters, for callers that
must block because the buffer is full, and in ``sync`` mode.
"""

from __future__ import annotations

import itertools
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, cast

import orjson

from . import _encoder, _errors, _formats, _sampling
from ._levels import LEVEL_NAMES, level_name, levelno_of
from ._presets import Settings
from ._sinks import Sink

if TYPE_CHECKING:
    from typing import Protocol, Self

    from ._speedups import Block

    class _Buffer(Protocol):
        """A block of the buffer: a ``bytearray`` or a ``_speedups.Block``."""

        def __iadd__(self, other: bytes, /) -> Self: ...
        def __len__(self) -> int: ...
        def __buffer__(self, flags: int, /) -> memoryview: ...
        def count(self, byte: bytes, start: int = ..., end: int = ..., /) -> int: ...
        def find(self, byte: bytes, start: int = ..., end: int = ..., /) -> int: ...

    _Data = bytes | bytearray | _Buffer  # what sinks are given

_NO_LEVEL = 1 << 30  # "no record is at or above this level"
# Where a default-schema line has its level: {"timestamp":"<27 characters>","level":"info",...
_LEVEL_AT = b'","level":"'
_LEVEL_AT_OFFSET = len('{"timestamp":"') + len("2026-01-01T00:00:00.000000Z")
_LEVEL_START = _LEVEL_AT_OFFSET + len(_LEVEL_AT)
_LEVELS_BYTES: dict[bytes, int] = {name.encode(): number for number, name in LEVEL_NAMES.items()}
_orjson_loads = orjson.loads
_local = threading.local()  # .depth: this thread is inside a pipeline's slow path
# Free-threaded builds (3.13t+) do not promise that ``bytearray += bytes`` is atomic; there
# every append takes the lock (see _update_limit).
_GIL_ENABLED: bool = getattr(sys, "_is_gil_enabled", lambda: True)()
_BACKOFF_MIN = 0.05
_BACKOFF_MAX = 2.0


class SinkStats(TypedDict):
    sink: str
    records_written: int
    filtered: int
    bytes_written: int
    errors: int
    pending_bytes: int
    failing: bool


class PipelineStats(TypedDict):
    """Counters of one pipeline. ``records_written`` counts records delivered to sinks (not
    fastlog's own drop notes), so that records sent = written + dropped + lost."""

    records_written: int
    bytes_written: int
    dropped: int
    dropped_by_level: dict[str, int]
    errors: int
    queued_bytes: int
    high_water_bytes: int
    blocked: int
    blocked_seconds: float
    truncated: int
    lost: int
    sampled: int
    sampled_by_level: dict[str, int]
    rate_limited: int
    sinks: list[SinkStats]


class _Wake:
    """The writer's wake-up call, safe from signal handlers: a byte written to a pipe.

    ``threading.Event.set()`` takes the event's internal lock, which is not reentrant: a signal
    handler that runs while the main thread is inside ``set()`` and calls ``set()`` again
    (SIGTERM's flush does) deadlocks the process, and the writer waiting on the event with it.
    ``os.write`` to a non-blocking pipe takes no Python-level lock; the writer waits with
    ``select``. Where pipes cannot be selected (Windows) an ``Event`` is used.
    """

    __slots__ = ("_event", "_r", "_w")

    def __init__(self) -> None:
        self._event: threading.Event | None = None
        self._r = self._w = -1
        if os.name == "nt":  # pragma: no cover - select() takes sockets only there
            self._event = threading.Event()
            return
        self._r, self._w = os.pipe()  # non-inheritable (PEP 446)
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)

    def set(self) -> None:
        if self._event is not None:  # pragma: no cover - Windows
            self._event.set()
            return
        try:
            os.write(self._w, b"\0")
        except OSError:  # full (already signalled) or closed (shut down): nothing to do
            pass

    def wait(self, timeout: float) -> None:
        if self._event is not None:  # pragma: no cover - Windows
            self._event.wait(timeout)
            return
        try:
            select.select([self._r], [], [], timeout)
        except (OSError, ValueError):  # closed under us at shutdown
            time.sleep(min(timeout, _BACKOFF_MIN))

    def clear(self) -> None:
        if self._event is not None:  # pragma: no cover - Windows
            self._event.clear()
            return
        try:
            while os.read(self._r, 4096):
                pass
        except OSError:  # empty (EAGAIN) or closed
            pass

    def close(self) -> None:
        for fd in (self._r, self._w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._r = self._w = -1


# Work a signal handler asked for while its thread was inside fastlog's slow path (SIGTERM's
# shutdown): run when that thread is at a safe point, i.e. it leaves fastlog or waits in it.
_deferred: list[Callable[[], None]] = []


def defer_if_inside(action: Callable[[], None]) -> bool:
    """From a signal handler: if this thread is inside fastlog, run *action* at its next safe
    point instead (and return True); otherwise return False and let the caller run it now."""
    if getattr(_local, "depth", 0):
        _deferred.append(action)
        return True
    return False


def _run_deferred() -> None:
    while _deferred:
        action = _deferred.pop(0)
        try:
            action()
        except Exception as exc:  # pragma: no cover - defensive
            _errors.report("signal", f"{type(exc).__name__}: {exc}")


class SinkOptions:
    """What one sink of a pipeline takes beyond the pipeline's settings.

    Args:
        level: Lines below this level are not written to this sink (the writer reads each
            line's level; the callers' path is unchanged).
        encoder: ``None`` for the JSON lines as they are, else an encoder object
            (``_formats``): console, logfmt, MessagePack or a custom one.
    """

    __slots__ = ("encoder", "level")

    def __init__(self, level: int = 0, encoder: _formats.Encoder | None = None) -> None:
        self.level = level
        self.encoder = encoder

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SinkOptions)
            and self.level == other.level
            and _same_encoder(self.encoder, other.encoder)
        )

    def __hash__(self) -> int:
        return hash((self.level, type(self.encoder)))

    def __repr__(self) -> str:
        return f"SinkOptions(level={self.level}, encoder={self.encoder!r})"


def _same_encoder(a: object, b: object) -> bool:
    # Built-in encoders compare by kind and options; custom ones by identity.
    if a is b:
        return True
    if type(a) is not type(b) or type(a).__module__ != __name__.rpartition(".")[0] + "._formats":
        return False
    return repr(a) == repr(b)


class _Note(bytes):
    """A drop note line (the writer's own record): sinks write it, counters leave it out, so
    that records sent = written + dropped + lost holds exactly."""

    __slots__ = ()


def _records(part: bytes | bytearray | _Buffer) -> int:
    """The records (lines) in *part*; none for a drop note."""
    return 0 if type(part) is _Note else part.count(b"\n")


class _Chunks:
    """Bytes kept as the list of buffers they came in: extended and trimmed without copying
    the whole (a failing sink's backlog can reach ``capacity``)."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[_Data] = []
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:
        return self.size > 0

    def extend(self, parts: Sequence[_Data]) -> None:
        for part in parts:
            if part:
                self.parts.append(part)
                self.size += len(part)

    def records(self) -> int:
        """The records in these bytes (drop notes left out)."""
        return sum(map(_records, self.parts))

    def drop(self, count: int, *, whole_lines: bool = False) -> int:
        """Remove the first *count* bytes (with *whole_lines*, up to the end of the line they
        end in); return the number of records removed (with *whole_lines*; drop notes are not
        records). Copies at most one part."""
        parts = self.parts
        lines = 0
        while parts and count >= len(parts[0]):
            part = parts.pop(0)
            count -= len(part)
            self.size -= len(part)
            lines += _records(part) if whole_lines else 0
        if count > 0 and parts:
            part = parts[0]
            cut = count
            if whole_lines:
                cut = part.find(b"\n", count - 1) + 1 or len(part)
                lines += 0 if type(part) is _Note else part.count(b"\n", 0, cut)
            rest = bytes(memoryview(part)[cut:])
            parts[0] = _Note(rest) if type(part) is _Note else rest
            self.size -= cut
            if not parts[0]:
                parts.pop(0)
        return lines

    def clear(self) -> None:
        self.parts = []
        self.size = 0


class _Slot:
    """A sink plus what the writer still owes it after a failure."""

    __slots__ = (
        "encoder",
        "errors",
        "failures",
        "filtered",
        "level",
        "lost",
        "options",
        "pending",
        "rendered",
        "retry_at",
        "sink",
        "transformed",
        "written",
    )

    def __init__(self, sink: Sink, options: SinkOptions | None = None) -> None:
        self.sink = sink
        self.options = options or SinkOptions()
        self.level = self.options.level
        self.encoder: _formats.Encoder | None = self.options.encoder  # set again by _apply
        self.transformed = False  # lines are filtered or re-encoded for this sink
        self.reset()

    def reset(self) -> None:
        self.pending = _Chunks()  # JSON lines not yet written to this sink
        self.rendered = _Chunks()  # ``pending`` as this sink's bytes, when transformed
        self.filtered = 0  # lines below this sink's level
        self.failures = 0
        self.retry_at = 0.0
        self.lost = 0  # records given up at shutdown
        self.written = 0
        self.errors = 0


class Pipeline:
    """One destination's buffer and writer. Thread-safe; see the module docstring."""

    # Slots: the callers' path reads six attributes per record; slot reads save ~40 ns.
    __slots__ = (
        "__weakref__",
        "_appended",
        "_blocked",
        "_blocked_seconds",
        "_buf",
        "_capacity",
        "_closed",
        "_closing",
        "_cond",
        "_cycles",
        "_done",
        "_drop_counts",
        "_drop_policy",
        "_drops_noted",
        "_failing",
        "_flush_wanted",
        "_fsync_error",
        "_fsync_target",
        "_high_water",
        "_in_flight",
        "_in_flight_bytes",
        "_limit",
        "_lock",
        "_lock_free",
        "_lost",
        "_max_record",
        "_notes",
        "_room",
        "_sampler",
        "_schema",
        "_sealed",
        "_sealed_bytes",
        "_signaled",
        "_slots",
        "_slow_level",
        "_special",
        "_stalled",
        "_stopping",
        "_sync",
        "_synced",
        "_taken",
        "_thread",
        "_truncated",
        "_wake",
        "_wake_bytes",
        "_writer_ident",
        "name",
        "settings",
    )

    def __init__(
        self,
        sinks: Sequence[Sink],
        settings: Settings,
        *,
        name: str,
        sink_options: Sequence[SinkOptions | None] = (),
    ) -> None:
        if not sinks:
            raise ValueError("a pipeline needs at least one sink")
        self.name = name
        options = list(sink_options) + [None] * (len(sinks) - len(sink_options))
        self._slots = [_Slot(s, o) for s, o in zip(sinks, options, strict=True)]
        self._thread: threading.Thread | None = None
        self._reset_state()
        self._apply(settings)
        if not settings.sync:
            self._start_writer()

    # -- state -------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        """Fresh buffer, locks and counters: at creation and in a forked child."""
        self._buf = _new_block()
        # Records are counted by the callers (next() on a C iterator is atomic and ~19 ns)
        # rather than by the writer: bytes.count(b"\n") under the GIL cost the writer
        # ~45 ns per record, time every caller waits for (benchmarks/bench_core.py).
        self._appended = itertools.count()
        self._notes = 0  # lines the writer added itself (drop notes)
        # Batches taken from the buffer, not yet delivered to every sink, oldest first.
        self._in_flight: list[_Data] = []
        self._in_flight_bytes = 0
        # Full blocks waiting for the writer, oldest first; _buf is the block being filled
        # (see _seal), and a block the writer could not take whole stays here (see _take).
        self._sealed: list[_Buffer] = []
        self._sealed_bytes = 0
        # Reentrant: a signal handler that logs while this thread is in the slow path (holding
        # the lock) must not deadlock. Only the slow paths and the writer ever take it.
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        old = getattr(self, "_wake", None)
        if old is not None:  # a forked child: the parent's pipe is not ours to share
            old.close()
        self._wake = _Wake()
        self._signaled = False
        self._taken = 0  # bytes the writer has moved out of _buf, cumulative
        self._done = 0  # bytes of _taken delivered to every sink (or given up on)
        self._cycles = 0
        self._failing = False  # some sink holds data back after a failed write
        self._stalled = False  # every sink does: waiting for room cannot help
        self._flush_wanted = False
        self._fsync_target = 0  # fsync once everything up to this byte count is written
        self._synced = 0  # bytes of _taken known to be fsynced
        self._fsync_error = False  # the last fsync attempt failed
        self._stopping = False
        self._closing = False  # shutdown() or a switch to sync mode is draining the buffer
        self._closed = False
        self._writer_ident: int | None = None
        self._thread = None
        # Dropped records per level number, counted without a lock (see _count_drop), and
        # how many of them the stream's drop notes have told so far.
        self._drop_counts: dict[int, itertools.count[int]] = {}
        self._drops_noted: dict[int, int] = {}
        self._blocked = 0
        self._blocked_seconds = 0.0
        self._high_water = 0
        self._truncated = 0
        self._lost = 0
        for slot in self._slots:
            slot.reset()

    def _apply(self, settings: Settings) -> None:
        self.settings = settings
        self._capacity = settings.capacity
        self._wake_bytes = settings.wake_bytes
        self._max_record = settings.max_record_bytes
        self._slow_level = _NO_LEVEL if settings.fsync_level is None else settings.fsync_level
        self._sync = settings.sync
        self._drop_policy = settings.policy == "drop"
        for slot in self._slots:
            encoder = slot.options.encoder
            if encoder is None and settings.format == "console":
                encoder = _formats.ConsoleEncoder(colors=settings.colors)
            if isinstance(encoder, _formats.ConsoleEncoder) and encoder.colors is None:
                # Decided per sink: colour where that sink is a terminal.
                colors = settings.colors if settings.colors is not None else _isatty(slot.sink)
                encoder = _formats.ConsoleEncoder(colors=colors)
            slot.encoder = encoder
            slot.transformed = encoder is not None or slot.level > 0
        self._schema = None
        if settings.schema != "default":
            from . import _schemas

            schema = settings.schema
            self._schema = _schemas.resolve_schema(
                dict(schema) if isinstance(schema, tuple) else schema
            )
        self._sampler = (
            _sampling.Sampler(
                settings.sample,
                settings.sample_loggers,
                settings.rate_limit,
                settings.sample_errors,
            )
            if settings.sample or settings.sample_loggers or settings.rate_limit
            else None
        )
        # The adapters' common path checks this one flag; when set they take their general
        # path, which asks keep() and shape() (bench_pipeline.py: ~10 ns when unset).
        self._special = self._schema is not None or self._sampler is not None
        self._update_limit()

    def _update_limit(self) -> None:
        # _room: bytes the buffer may grow to now (capacity less what the writer holds: the
        # batch in flight, buffers taken but not yet free, a failing sink's backlog).
        # _limit: what the lock-free hot path compares against. It is -1 when appends must
        # go through the slow path: sync mode, closed pipelines, and interpreters without a
        # GIL, where ``bytearray += bytes`` is not guaranteed atomic.
        # Backpressure applies when every sink is holding data back; while one sink is
        # healthy the others' backlogs are bounded in _deliver instead.
        # Until the writer has been woken, _limit also stops at wake_bytes: the append that
        # crosses it takes the slow path, which wakes the writer. That keeps the wake-up
        # check off the hot path (~40 ns per record, bench_core.py).
        held = min((len(s.pending) for s in self._slots), default=0)
        # The buffer is a list of blocks (see _seal): _room and _limit are about the block being
        # filled, so what the full blocks hold counts as held, and _limit stops at _BLOCK.
        held += self._in_flight_bytes + self._sealed_bytes
        self._room = self._capacity - held
        self._lock_free = _GIL_ENABLED and not (self._sync or self._closed or self._closing)
        if not self._lock_free:
            self._limit = -1
        elif self._signaled:
            self._limit = min(self._room, _BLOCK)
        else:
            self._limit = min(self._room, _BLOCK, self._wake_bytes - self._sealed_bytes)

    @property
    def closed(self) -> bool:
        """True after ``shutdown()``; appends are then written synchronously."""
        return self._closed

    @property
    def sinks(self) -> list[Sink]:
        return [slot.sink for slot in self._slots]

    @property
    def sink_options(self) -> list[SinkOptions]:
        return [slot.options for slot in self._slots]

    # -- what adapters ask on their general path ---------------------------------------------

    def keep(self, levelno: int, logger: str | None, template: Any) -> bool:
        """False when sampling or rate limiting drops this record (it is then counted).

        Adapters ask before building the record, so a record sampled away costs little.
        """
        sampler = self._sampler
        return sampler is None or sampler.keep(levelno, logger, template)

    def shape(self, fields: dict[str, Any], levelno: int) -> dict[str, Any]:
        """*fields* (the default schema's dict) in this pipeline's schema, in the caller."""
        schema = self._schema
        return fields if schema is None else schema.apply(fields, levelno)

    # -- the callers' side -------------------------------------------------------------------

    def append(self, line: bytes, levelno: int) -> None:
        """Queue one encoded line. The hot path: no lock, three comparisons. Never raises.

        Adapters call this; the native logger and ``FastlogHandler`` inline the same lines.
        """
        buf = self._buf
        size = len(line)
        if (
            len(buf) + size <= self._limit
            and size <= self._max_record
            and levelno < self._slow_level
        ):
            buf += line
            _next(self._appended)
            return
        del buf  # a caller waiting in the slow path must not hold the buffer (see _take)
        self._append_slow(line, levelno)

    def _wake_writer(self) -> None:
        # Marked as slow path: a signal handler that logs meanwhile appends without waking
        # (see _append_reentrant). The pipe needs no such care; the Event used where pipes
        # cannot be selected (Windows) does: set() inside set() deadlocks.
        depth = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        try:
            self._signaled = True
            if self._lock_free:
                self._limit = min(self._room, _BLOCK)  # past wake_bytes until drained
            self._wake.set()
        finally:
            _local.depth = depth

    def _append_slow(self, line: bytes, levelno: int) -> None:
        if (
            len(self._buf) + len(line) > self._room
            and self._lock_free
            and len(line) <= self._max_record
            and levelno < self._slow_level
            and (self._drop_policy or self._stalled)
        ):
            # Full, and the record would be dropped under the lock anyway: dropped here,
            # without it. Callers of a full pipeline queued on that lock to be told no: ~5 us
            # per call with 2 threads, against ~1 us for a record written (docs/performance).
            try:
                self._count_drop(levelno)
            except Exception as exc:  # pragma: no cover - defensive: never raise into the caller
                _errors.report("append", f"{type(exc).__name__}: {exc}")
            return
        depth = getattr(_local, "depth", 0)
        if depth:
            self._append_reentrant(line, levelno)
            return
        _local.depth = depth + 1
        try:
            if len(line) > self._max_record:
                line = _encoder.truncate(line, self._max_record)
                with self._lock:
                    self._truncated += 1
            if self._sync or self._closed:
                self._write_now(line)
                return
            if not self._append_locked(line, levelno):
                return
            if levelno >= self._slow_level:
                self._flush(None, fsync=True)
            elif len(self._buf) + self._sealed_bytes >= self._wake_bytes:
                if not self._signaled:
                    self._wake_writer()
                elif self._lock_free:  # the writer lowered the limit while being woken
                    self._limit = min(self._room, _BLOCK)
        except Exception as exc:  # pragma: no cover - defensive: never raise into the caller
            _errors.report("append", f"{type(exc).__name__}: {exc}")
        finally:
            _local.depth = depth
        if _deferred and not depth:
            _run_deferred()

    def _append_reentrant(self, line: bytes, levelno: int) -> None:
        """A record logged from inside our own slow path on this thread.

        That happens when a signal handler interrupts this thread while it waits for room or
        wakes the writer. ``threading`` primitives are not reentrant (``Event.set`` inside
        ``Event.set`` deadlocks), so this path touches none of them: it appends if there is
        room and counts a drop otherwise.
        """
        try:
            if len(line) > self._max_record:
                line = _encoder.truncate(line, self._max_record)
            # Never the sink from here, also in sync mode: this thread may be inside that
            # sink's write() (a sink that logs, a signal handler). The line waits in the
            # buffer; sync mode writes it right after the write in progress (_write_now).
            buf = self._buf  # never ``self._buf += line``: its store would undo a swap
            if len(buf) + len(line) <= self._room:
                buf += line
                _next(self._appended)
            else:
                self._count_drop(levelno)
        except Exception as exc:  # pragma: no cover - defensive
            _errors.report("append", f"{type(exc).__name__}: {exc}")

    def _append_locked(self, line: bytes, levelno: int) -> bool:
        """Append under the lock, waiting for room if the policy says so.

        Returns False when the record was dropped instead (counted per level).
        """
        needed = len(line)
        with self._cond:
            if self._fits(needed):
                buf = self._buf
                buf += line
                _next(self._appended)
                return True
            if (
                self.settings.policy == "drop"
                or self._stalled
                or threading.get_ident() == self._writer_ident  # a sink that logs cannot wait
            ):
                self._count_drop(levelno)
                return False
            start = time.monotonic()
            timeout = self.settings.block_timeout
            deadline = None if timeout is None else start + timeout
            self._blocked += 1
            try:
                while not self._fits(needed):
                    if self._stalled or self._closed:
                        self._count_drop(levelno)
                        return False
                    self._ensure_writer()
                    self._wake_writer()
                    wait = 0.05
                    if deadline is not None:
                        wait = min(wait, deadline - time.monotonic())
                        if wait <= 0:
                            self._count_drop(levelno)
                            return False
                    self._cond.wait(wait)
                    if _deferred:  # a signal's shutdown while we wait: this is a safe point
                        _run_deferred()
                buf = self._buf
                buf += line
                _next(self._appended)
                return True
            finally:
                self._blocked_seconds += time.monotonic() - start

    def _fits(self, needed: int) -> bool:
        """Whether *needed* more bytes fit now, starting a new block if this one is full."""
        if len(self._buf) + needed > _BLOCK and self._buf:
            self._seal()
        return len(self._buf) + needed <= self._room

    def _seal(self) -> None:
        """Queue the block being filled and start the next. Lock held.

        The buffer is a list of blocks of about ``_BLOCK`` bytes rather than one bytearray:
        a bytearray grows by realloc, and at several MiB glibc's realloc copies it or leaves
        freed copies behind (its mmap threshold moves with what was freed), which made peak
        RSS 2-3x capacity in a flood. Blocks of one size are reused by the allocator as they
        are, and the writer delivers them without copying (``_take``). A caller that read the
        old block just before this may still append to it: ``_take`` sees that.
        """
        buf = self._buf
        self._sealed.append(buf)
        self._sealed_bytes += len(buf)
        self._buf = _new_block()
        self._update_limit()

    def _count_drop(self, levelno: int) -> None:
        """Count one dropped record. No lock: ``next()`` on a C iterator is atomic, so callers
        of a full pipeline do not queue on its lock to be told no, and a signal handler can
        count too."""
        counter = self._drop_counts.get(levelno)
        if counter is None:
            counter = self._drop_counts.setdefault(levelno, itertools.count())
        _next(counter)
        if not self._signaled and not self._stalled and not getattr(_local, "depth", 0):
            # Full before wake_bytes (wake_bytes >= the room left): the record that would have
            # woken the writer is this one. Not when every sink is failing (the writer's retry
            # backoff decides then; waking it would only cycle it), nor from inside fastlog's
            # slow path (a signal handler: see _wake_writer).
            self._wake_writer()

    def _drops(self) -> dict[int, int]:
        """Records dropped so far, per level number."""
        return {levelno: _peek(count) for levelno, count in list(self._drop_counts.items())}

    def _write_now(self, line: bytes) -> None:
        """``sync`` mode and closed pipelines: deliver in the caller's thread."""
        with self._lock:
            if self._buf or self._sealed:  # a lock-free append raced a switch to sync/closed
                self._take_and_deliver(final=True, hold=True)
            self._taken += len(line)
            _next(self._appended)
            self._deliver([line], force=False)
            if self._buf:  # logged from inside that write (a sink or a signal handler that logs)
                self._take_and_deliver(final=True, hold=True)  # once: a sink logging per write
            if not any(slot.pending for slot in self._slots):  # cannot loop here forever
                self._done = self._taken

    # -- flush and shutdown ------------------------------------------------------------------

    def flush(self, timeout: float | None = None, *, fsync: bool = False) -> bool:
        """Wait until everything appended before this call is written; True when it is.

        Returns False when *timeout* passes first, or when a write attempt made after this
        call failed (the data stays buffered and is retried): flush never waits on a broken
        destination forever. Called from a signal handler that interrupted this thread
        inside fastlog, it returns False at once (it cannot wait on itself).
        """
        depth = getattr(_local, "depth", 0)
        if depth:
            return False
        _local.depth = 1
        try:
            return self._flush(timeout, fsync=fsync)
        finally:
            _local.depth = depth
            if _deferred:
                _run_deferred()

    def _flush(self, timeout: float | None, *, fsync: bool) -> bool:
        try:
            if self._sync or self._closed:
                with self._lock:
                    if self._buf or self._sealed or any(slot.pending for slot in self._slots):
                        self._take_and_deliver(final=True, hold=True)
                    ok = not any(slot.pending for slot in self._slots)
                    return self._flush_sinks(fsync) and ok
            if threading.get_ident() == self._writer_ident:
                return False  # called from a sink: the writer cannot wait for itself
            deadline = None if timeout is None else time.monotonic() + timeout
            with self._cond:
                target = self._taken + len(self._buf) + sum(map(len, self._sealed))
                if self._done >= target and (not fsync or self._synced >= target):
                    return True
                start_cycle = self._cycles
                self._flush_wanted = True
                if fsync and target > self._fsync_target:
                    self._fsync_target = target
                self._wake.set()
                while self._done < target or (fsync and self._synced < target):
                    if self._cycles >= start_cycle + 2 and (
                        self._failing or (fsync and self._fsync_error)
                    ):
                        return False
                    if self.closed:  # shut down meanwhile: the final drain has run
                        return self._done >= target
                    self._ensure_writer()
                    wait = 0.05
                    if deadline is not None:
                        wait = min(wait, deadline - time.monotonic())
                        if wait <= 0:
                            return False
                    self._cond.wait(wait)
                return True
        except Exception as exc:  # pragma: no cover - defensive
            _errors.report("flush", f"{type(exc).__name__}: {exc}")
            return False

    def _stop_writer(self, timeout: float) -> bool:
        """Stop the writer thread; True when it has stopped (it may be stuck in a sink)."""
        thread = self._thread
        if thread is None or thread.ident == threading.get_ident():
            return True
        with self._lock:
            self._stopping = True
        depth = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        try:
            self._wake.set()
        finally:
            _local.depth = depth
        thread.join(timeout)
        if thread.is_alive():
            _errors.report("shutdown", f"writer of {self.name} did not stop within {timeout}s")
            return False
        return True

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Flush, stop the writer, close the sinks. Later appends are written synchronously.

        Returns True when nothing was left unwritten. What could not be written is counted
        as ``lost`` and reported on stderr.
        """
        if self._closed:
            # Closed already; lines a sink logged during the last synchronous write wait in
            # the buffer: one more write for them, the rest is counted.
            with self._lock:
                if self._buf or self._sealed:
                    self._take_and_deliver(final=True, hold=True)
                return self._count_leftovers() == 0
        if not self._sync:
            self.flush(timeout=timeout)
        with self._lock:
            self._closing = True  # from now on every append takes the lock
            self._update_limit()
        stopped = self._stop_writer(timeout)
        with self._lock:
            if stopped:
                self._take_and_deliver(final=True, hold=True)
            leftover_lines = self._count_leftovers()
            self._closed = True
            self._closing = False
            self._update_limit()
            if stopped:
                self._wake.close()  # appends are synchronous from now on: no writer to wake
            self._flush_sinks(fsync=False)
            for slot in self._slots:
                try:
                    slot.sink.close()
                except Exception as exc:
                    _errors.report("close", f"{slot.sink!r}: {type(exc).__name__}: {exc}")
            self._cond.notify_all()
        return leftover_lines == 0

    def _count_leftovers(self) -> int:
        """Count what is still buffered or held for a failing sink as lost (lock held).

        Returns non-zero when anything was left unwritten (a drop note too)."""
        buffers = [*self._sealed, self._buf]
        leftover_lines = sum(buf.count(b"\n") for buf in buffers)
        if leftover_lines:  # never reached any sink: lost for each of them
            self._taken += sum(map(len, buffers))
            for buf in buffers:
                _clear(buf)
            self._sealed = []
            self._sealed_bytes = 0
            for slot in self._slots:
                slot.lost += leftover_lines
        unwritten = leftover_lines
        for slot in self._slots:
            if slot.pending:
                lines = slot.pending.records()  # a drop note left unwritten is no record
                slot.lost += lines
                leftover_lines += lines
                unwritten += lines or 1
                slot.pending.clear()
                slot.rendered.clear()
        if leftover_lines:
            self._lost += leftover_lines
            _errors.report(
                "shutdown", f"{leftover_lines} records for {self.name} could not be written"
            )
        return unwritten

    def reconfigure(self, settings: Settings) -> None:
        """Apply new settings to a live pipeline (``configure()`` called again)."""
        if settings == self.settings:
            return
        if settings.sync and not self._sync:
            self.flush(timeout=5.0)
            with self._lock:
                self._closing = True  # appends take the lock until sync mode is on
                self._update_limit()
            stopped = self._stop_writer(5.0)
            with self._lock:
                if stopped:
                    self._take_and_deliver(final=True, hold=True)
                    self._thread = None
                self._stopping = False
                self._closing = False
                self._apply(settings)
            return
        with self._lock:
            self._apply(settings)
        if not settings.sync and not self._closed:
            self._ensure_writer()

    # -- the writer's side -------------------------------------------------------------------

    def _start_writer(self) -> None:
        self._stopping = False
        thread = threading.Thread(target=self._run, name=f"fastlog-writer {self.name}", daemon=True)
        self._thread = thread
        thread.start()

    def _ensure_writer(self) -> None:
        thread = self._thread
        if not self._sync and not self._closed and (thread is None or not thread.is_alive()):
            self._start_writer()

    def _run(self) -> None:
        self._writer_ident = threading.get_ident()
        wake = self._wake
        while True:
            try:
                wake.wait(self._next_wait())
                wake.clear()
                self._signaled = False
                if self._stopping:
                    return
                with self._lock:
                    self._take_and_deliver(final=False)
            except BaseException as exc:  # the writer must outlive any one bad batch
                _errors.report("writer", f"{type(exc).__name__}: {exc}")
                time.sleep(_BACKOFF_MIN)

    def _next_wait(self) -> float:
        interval = self.settings.flush_interval
        if self._failing:
            now = time.monotonic()
            soonest = min((s.retry_at for s in self._slots if s.pending), default=now + interval)
            return max(0.0, min(interval, soonest - now))
        return interval

    def _take_and_deliver(self, *, final: bool, hold: bool = False) -> None:
        """One writer cycle: take everything buffered, deliver it. Called with ``_lock`` held.

        The lock is released around the sink writes, except with *hold* (the final drain, sync
        mode), where appends must wait until the buffer is empty. The whole buffer is taken
        at once, by a swap (``_take``): copying it out doubled peak memory (2x capacity with a
        full buffer, docs/reliability.md), and taking it in 1 MiB slices made callers pay for
        the bytearray's regrowth copies, 4-thread throughput falling from 0.89 to 1.33 us per
        record (benchmarks/bench_core.py).
        """
        size = len(self._buf) + self._sealed_bytes
        self._high_water = max(self._high_water, size)
        parts: list[_Data] = []
        if (size and self._room + self._sealed_bytes > 0) or final or self._sealed:
            parts = self._take()
        self._taken += self._in_flight_bytes
        taken = self._taken
        note = self._drop_note()
        force = final or self._flush_wanted
        self._flush_wanted = False
        self._cond.notify_all()  # room was freed for blocked callers
        if note:
            self._notes += 1
            parts.append(_Note(note))  # after the batch, one more part: no copy of it
        if parts or any(s.pending for s in self._slots):
            self._in_flight = parts
            if hold:
                self._deliver_parts(parts, force=force)
            else:
                self._lock.release()
                try:
                    self._deliver_parts(parts, force=force)
                finally:
                    self._lock.acquire()
            self._in_flight = []
        self._in_flight_bytes = 0
        self._failing = any(slot.pending for slot in self._slots)
        self._stalled = all(slot.pending for slot in self._slots)
        if not self._failing:
            self._done = taken
            if self._fsync_target > self._synced:
                self._fsync_error = not self._flush_sinks(fsync=True)
                if not self._fsync_error:
                    self._synced = taken
        self._update_limit()
        self._cycles += 1
        self._cond.notify_all()

    def _take(self) -> list[_Data]:
        """Swap in an empty block and return every queued block, oldest first. Lock held.

        The common case returns the blocks themselves: no copy, so a full buffer costs its
        capacity once. Callers append without a lock, so one that read ``_buf`` just before
        the swap may append to the old buffer just after it: such a straggler holds a
        reference (its local ``buf``) until its call returns. The buffer's reference count
        tells when nobody else holds it; the writer waits for that, a GIL hand-over or two.
        A caller that cannot finish meanwhile (e.g. a signal handler in the main thread,
        waiting on this pipeline) leaves the buffer *stale*: what it holds is copied out and
        it is taken again next cycle, until it is free.

        Buffers are taken newest first and delivered oldest first, so that a thread whose
        line went late into an old buffer cannot see its next line, in a newer buffer,
        written before it.
        """
        stale = self._sealed
        old = self._buf
        # Until _update_limit below, appends take the slow path, which waits for this lock.
        self._room -= len(old)
        self._limit = -1
        stale.append(old)
        self._sealed_bytes += len(old)
        self._buf = _new_block()
        del old
        holders = _holders(stale)
        for delay in _SETTLE:
            if max(holders) <= _ALONE:
                break
            time.sleep(delay)
            holders = _holders(stale)
        parts: list[_Data] = []
        kept: list[_Buffer] = []
        for index in range(len(stale) - 1, -1, -1):
            buf = stale[index]
            if holders[index] <= _ALONE:  # nobody else can reach it: the batch, as it is
                if buf:
                    parts.append(buf)
            else:  # a straggler may still append: copy out what is there
                if buf:
                    parts.append(_take_content(buf))
                kept.append(buf)
        parts.reverse()
        kept.reverse()
        self._sealed = kept
        self._sealed_bytes = sum(map(len, kept))
        self._in_flight_bytes = sum(map(len, parts))
        self._update_limit()
        return parts

    def _deliver_parts(self, parts: list[_Data], *, force: bool) -> None:
        # An empty list retries a failing sink's backlog.
        self._deliver(parts, force=force)
        parts.clear()  # the blocks are freed here (they are also _in_flight)

    def _drop_note(self) -> bytes:
        if not self._drop_counts:
            return b""
        totals = self._drops()
        noted = self._drops_noted
        by_level: dict[str, int] = {}
        for levelno, total in totals.items():
            if total > noted.get(levelno, 0):
                name = level_name(levelno)
                by_level[name] = by_level.get(name, 0) + total - noted.get(levelno, 0)
        if not by_level:
            return b""
        self._drops_noted = totals
        count = sum(by_level.values())
        return _encoder.encode(
            _encoder.timestamp(),
            "warning",
            "fastlog",
            f"{count} records dropped: buffer full (policy={self.settings.policy})",
            {"dropped": count, "dropped_by_level": by_level},
        )

    def _deliver(self, parts: Sequence[_Data], *, force: bool) -> None:
        # Sinks are called inside fastlog's slow path, on whatever thread: a sink that logs
        # (or a signal handler meanwhile) then appends to the buffer and never re-enters a
        # sink's write() (tests/reliability/test_reentrancy.py).
        depth = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        try:
            self._deliver_all(parts, force=force)
        finally:
            _local.depth = depth

    def _deliver_all(self, parts: Sequence[_Data], *, force: bool) -> None:
        now = time.monotonic()
        done: dict[tuple[int, int], tuple[list[bytes], int]] = {}  # once per (encoder, level)
        for slot in self._slots:
            fresh: Sequence[_Data] = parts
            if slot.transformed and parts:
                key = (id(slot.encoder), slot.level)
                cached = done.get(key)
                if cached is None:
                    cached = done[key] = self._transform_parts(slot, parts)
                fresh = cached[0]
                slot.filtered += cached[1]
            if slot.pending:
                if parts:
                    slot.pending.extend(parts)
                    if slot.transformed:
                        slot.rendered.extend(fresh)
                    self._bound_backlog(slot)
                if slot.retry_at > now and not force:
                    continue
                out: Sequence[_Data] = (slot.rendered if slot.transformed else slot.pending).parts
            elif not parts:
                continue
            else:
                out = fresh
            try:
                written = _write(slot.sink, out)
            except Exception as exc:
                if not slot.pending:  # the backlog keeps the batch's buffers: no copy
                    slot.pending.extend(parts)
                    if slot.transformed:
                        slot.rendered.extend(out)
                # A partial write: keep the rest of this sink's bytes.
                done_bytes = getattr(exc, "fastlog_written", 0)
                (slot.rendered if slot.transformed else slot.pending).drop(done_bytes)
                slot.failures += 1
                slot.errors += 1
                slot.retry_at = now + min(_BACKOFF_MAX, _BACKOFF_MIN * 2 ** (slot.failures - 1))
                self._bound_backlog(slot)
                _errors.report(
                    "sink",
                    f"writing to {slot.sink!r} failed ({type(exc).__name__}: {exc}); "
                    f"{len(slot.pending)} bytes kept for retry",
                )
                continue
            slot.written += written
            if slot.pending:
                slot.pending.clear()
                slot.rendered.clear()
                slot.failures = 0

    def _level_key(self) -> str | None:
        schema = self._schema
        return "level" if schema is None else schema.level_key

    def _kept(self, slot: _Slot, lines: list[bytes]) -> list[bytes]:
        """The lines at or above the sink's level; a line whose level cannot be read is kept."""
        threshold = slot.level
        key = self._level_key()
        if not threshold or key is None:
            return lines
        fast = key == "level"  # the default schema: "level" is the second key, at a fixed place
        kept = []
        for line in lines:
            levelno = None
            if fast and line.startswith(_LEVEL_AT, _LEVEL_AT_OFFSET):
                levelno = _LEVELS_BYTES.get(line[_LEVEL_START : line.find(b'"', _LEVEL_START)])
            if levelno is None:
                try:
                    record = _orjson_loads(line)
                except ValueError:
                    record = None
                levelno = levelno_of(record.get(key)) if isinstance(record, dict) else None
            if levelno is None or levelno >= threshold:
                kept.append(line)
        return kept

    def _transform_parts(self, slot: _Slot, parts: Sequence[_Data]) -> tuple[list[bytes], int]:
        """This sink's bytes for each part of a batch, and the lines filtered in all.

        Part by part, so the writer's working memory is one block's lines, not the batch's.
        """
        outs = []
        filtered = 0
        for part in parts:
            out, dropped = self._transform(slot, bytes(part).splitlines())
            outs.append(out)
            if type(part) is not _Note:  # a drop note below the sink's level is no record
                filtered += dropped
        return outs, filtered

    def _transform(self, slot: _Slot, lines: list[bytes]) -> tuple[bytes, int]:
        """This sink's bytes for a batch (its level, then its encoder), and the lines filtered.

        Only the kept lines are parsed, and only for an encoder: a JSON sink at WARNING costs
        the writer a slice per line (``benchmarks/bench_pipeline.py``).
        """
        kept = self._kept(slot, lines)
        filtered = len(lines) - len(kept)
        encoder = slot.encoder
        if encoder is None:
            return b"".join([line + b"\n" for line in kept]), filtered
        out, failed = _formats.encode_batch(encoder, _formats.parse_lines(kept))
        if failed:
            _errors.report("encoder", f"{encoder!r} failed on {failed} records; written as JSON")
        return out, filtered

    def _bound_backlog(self, slot: _Slot) -> None:
        """Keep one failing sink's backlog within capacity by giving up its oldest lines.

        Only reached while another sink of the pipeline is healthy (otherwise the buffer stops
        admitting records first, see _update_limit); what is given up is counted as lost for
        that sink and reported.
        """
        if len(slot.pending) <= self._capacity:
            return
        # Trim to three quarters of capacity, so a sink that stays down costs one trim (and
        # for a transformed sink one re-encoding) per quarter-capacity of records, not per record.
        lines = slot.pending.drop(len(slot.pending) - self._capacity * 3 // 4, whole_lines=True)
        slot.lost += lines
        self._lost += lines
        if slot.transformed:  # its lines were counted as filtered when they first came
            slot.rendered.clear()
            slot.rendered.extend(self._transform_parts(slot, slot.pending.parts)[0])
        _errors.report(
            "sink", f"{slot.sink!r} is failing: {lines} records given up to stay within capacity"
        )

    def _flush_sinks(self, fsync: bool) -> bool:
        ok = True
        for slot in self._slots:
            try:
                slot.sink.flush()
                if fsync:
                    sync = getattr(slot.sink, "fsync", None)
                    if sync is not None:
                        sync()
            except Exception as exc:
                ok = False
                slot.errors += 1
                _errors.report("sink", f"flushing {slot.sink!r} failed: {type(exc).__name__}")
        return ok

    # -- fork and stats ----------------------------------------------------------------------

    def after_fork_child(self) -> None:
        """In a forked child: drop the parent's pending records, start a writer of our own."""
        self._reset_state()
        self._update_limit()
        for slot in self._slots:
            hook = getattr(slot.sink, "after_fork", None)
            if hook is not None:
                try:
                    hook()
                except Exception as exc:
                    _errors.report("fork", f"{slot.sink!r}: {type(exc).__name__}: {exc}")
        if not self._sync:
            self._start_writer()

    def stats(self) -> PipelineStats:
        """Counters; exact whenever the pipeline is idle (e.g. after ``flush()``).

        Records are counted as they enter the buffer and the lines still queued are counted
        here, so this call scans at most ``capacity`` bytes.
        """
        with self._lock:
            in_flight = sum(map(_records, list(self._in_flight)))
            sealed = sum(buf.count(b"\n") for buf in self._sealed)
            queued = self._buf.count(b"\n") + sealed
            taken = _peek(self._appended) - queued - in_flight
            sinks: list[SinkStats] = [
                {
                    "sink": repr(slot.sink),
                    "records_written": taken - slot.pending.records() - slot.lost - slot.filtered,
                    "filtered": slot.filtered,
                    "bytes_written": slot.written,
                    "errors": slot.errors,
                    "pending_bytes": len(slot.pending),
                    "failing": bool(slot.pending),
                }
                for slot in self._slots
            ]
            dropped: dict[str, int] = {}
            for levelno, total in self._drops().items():
                name = level_name(levelno)
                dropped[name] = dropped.get(name, 0) + total
            queued = (
                len(self._buf)
                + sum(map(len, self._sealed))
                + sum(len(s.pending) for s in self._slots)
            )
            sampler = self._sampler
            sampled, sampled_by_level, rate_limited = (
                sampler.counts() if sampler is not None else (0, {}, 0)
            )
            return {
                "records_written": sum(s["records_written"] for s in sinks),
                "bytes_written": sum(s["bytes_written"] for s in sinks),
                "dropped": sum(dropped.values()),
                "dropped_by_level": dropped,
                "errors": sum(s["errors"] for s in sinks),
                "queued_bytes": queued,
                "high_water_bytes": max(self._high_water, len(self._buf)),
                "blocked": self._blocked,
                "blocked_seconds": self._blocked_seconds,
                "truncated": self._truncated,
                "lost": self._lost,
                "sampled": sampled,
                "sampled_by_level": sampled_by_level,
                "rate_limited": rate_limited,
                "sinks": sinks,
            }


_next = next
_getrefcount = sys.getrefcount


def _pick_block() -> Callable[[], _Buffer]:
    """What a new block of the buffer is: ``_speedups.Block`` (allocated once at ``_BLOCK``
    bytes: appends never reallocate it), else a ``bytearray`` (grows by realloc as it fills:
    ~400 more instructions per record, callgrind). Same GIL condition as ``_fields``."""
    if os.environ.get("FASTLOG_NO_SPEEDUPS") or not _GIL_ENABLED:
        return bytearray
    try:
        from ._speedups import Block
    except ImportError:
        return bytearray
    return lambda: Block(_BLOCK)


def _take_content(buf: _Buffer) -> bytes | bytearray:
    """Everything in *buf*, which is emptied. A caller may append meanwhile; what it appends
    stays in *buf* (one C call for a Block; for a bytearray the slice ends on a line)."""
    if isinstance(buf, bytearray):
        size = len(buf)
        data = buf[:size]
        del buf[:size]
        return data
    return cast("Block", buf).take()


def _clear(buf: _Buffer) -> None:
    if isinstance(buf, bytearray):
        del buf[:]
    else:
        cast("Block", buf).clear()


#: Sinks without ``writev`` get the blocks of a batch joined up to this size per ``write``.
_JOIN = 1024 * 1024


_WRITEV: dict[type, bool] = {}


def _has_writev(kind: type) -> bool:
    """Whether sinks of *kind* take ``writev(parts)``: they define it, in the same class as
    ``write`` (a subclass that overrides ``write`` alone keeps getting ``write``)."""
    known = _WRITEV.get(kind)
    if known is None:

        def owner(name: str) -> type | None:
            return next((k for k in kind.__mro__ if name in vars(k)), None)

        known = _WRITEV[kind] = owner("writev") is not None and owner("writev") is owner("write")
    return known


def _write(sink: Sink, parts: Sequence[_Data]) -> int:
    """Write *parts* in order; return the bytes written. Raises as the sink's write does,
    with ``fastlog_written`` set to what all the calls before the failure wrote."""
    parts = [part for part in parts if part]
    if not parts:
        return 0
    total = sum(map(len, parts))
    if _has_writev(type(sink)):  # FileSink: the whole batch in one system call, no copy
        sink.writev(parts)  # type: ignore[attr-defined]
        return total
    written = 0
    group: list[_Data] = []
    size = 0
    for part in [*parts, b""]:  # b"": the end, writes the last group
        if group and (size + len(part) > _JOIN or not part):
            # A user's write() gets bytes or a bytearray, never a Block.
            first = group[0]
            single = len(group) == 1 and isinstance(first, (bytes, bytearray))
            data = first if single else b"".join(group)
            try:
                sink.write(data)  # type: ignore[arg-type]
            except Exception as exc:
                try:
                    exc.fastlog_written = written + getattr(exc, "fastlog_written", 0)  # type: ignore[attr-defined]
                except AttributeError:  # pragma: no cover - an exception without __dict__
                    pass
                raise
            written += len(data)
            group = []
            size = 0
        if part:
            group.append(part)
            size += len(part)
    return total


def _holders(buffers: list[_Buffer]) -> list[int]:
    """Each buffer's reference count, as seen from here (compare with ``_ALONE``)."""
    return [_getrefcount(buf) for buf in buffers]


#: The size of the buffer's blocks (see Pipeline._seal): a record may end a block a little
#: past it.
_BLOCK = 256 * 1024
_new_block = _pick_block()
#: What _holders() reads for a buffer held by its list alone: measured rather than assumed,
#: since what a call adds to a reference count differs between Python versions. (Any object
#: reads the same; a bytearray spares a 256 KiB Block at import.)
_ALONE = _holders([bytearray()])[0]
#: The writer's waits for stragglers in _take: GIL hand-overs first, then at most ~1.2 ms.
_SETTLE = (0.0, 0.0, 1e-5, 1e-4, 1e-4, 1e-3)


def _peek(counter: itertools.count[int]) -> int:
    """The next value *counter* would return, without consuming it."""
    return int(repr(counter)[6:-1])


def _isatty(sink: Any) -> bool:
    probe = getattr(sink, "isatty", None)
    try:
        return bool(probe()) if probe is not None else False
    except Exception:
        return False
