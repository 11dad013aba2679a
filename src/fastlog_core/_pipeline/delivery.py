"""Delivery: handing batches to the sinks, keeping what a failing sink owes, retrying it.

A batch is delivered to every sink of the pipeline in one call each (``writev`` where the sink
has it, else ``write`` of up to ``JOIN`` bytes). A sink that fails keeps the batch's blocks as
its backlog (no copy) and is retried with exponential backoff; its backlog is bounded by the
pipeline's capacity, what it gives up counted as lost. Sinks are called inside fastlog's slow
path, so a sink (or a signal handler) that logs meanwhile appends to the buffer and never
re-enters a sink's write().
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import _diagnostics, _encoders
from .._sinks import SinkClosed
from . import per_sink, wake
from .accounting import Accounting, Note, records
from .per_sink import SinkOptions

if TYPE_CHECKING:
    from .._sinks import Sink
    from .buffer import Data

BACKOFF_MIN = 0.05
BACKOFF_MAX = 2.0
#: Sinks without ``writev`` get the blocks of a batch joined up to this size per ``write``.
JOIN = 1024 * 1024


class Chunks:
    """Bytes kept as the list of buffers they came in: extended and trimmed without copying
    the whole (a failing sink's backlog can reach ``capacity``)."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[Data] = []
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:
        return self.size > 0

    def extend(self, parts: Sequence[Data]) -> None:
        for part in parts:
            if part:
                self.parts.append(part)
                self.size += len(part)

    def records(self) -> int:
        """The records in these bytes (drop notes left out)."""
        return sum(map(records, self.parts))

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
            lines += records(part) if whole_lines else 0
        if count > 0 and parts:
            part = parts[0]
            cut = count
            if whole_lines:
                cut = part.find(b"\n", count - 1) + 1 or len(part)
                lines += 0 if type(part) is Note else part.count(b"\n", 0, cut)
            rest = bytes(memoryview(part)[cut:])
            parts[0] = Note(rest) if type(part) is Note else rest
            self.size -= cut
            if not parts[0]:
                parts.pop(0)
        return lines

    def clear(self) -> None:
        self.parts = []
        self.size = 0


class Slot:
    """A sink, its options, and what the writer still owes it after a failure."""

    __slots__ = (
        "closed",
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
        self.encoder: _encoders.Encoder | None = self.options.encoder  # set again by configure
        self.transformed = False  # lines are filtered or re-encoded for this sink
        self.closed = False  # the sink raised SinkClosed: its destination is gone for good
        self.reset()

    def reset(self) -> None:
        self.pending: Chunks = Chunks()  # JSON lines not yet written to this sink
        self.rendered: Chunks = Chunks()  # ``pending`` as this sink's bytes, when transformed
        self.filtered = 0  # lines below this sink's level
        self.failures = 0
        self.retry_at = 0.0
        self.lost = 0  # records given up at shutdown
        self.written = 0
        self.errors = 0

    def configure(self, format: str, colors: bool | None) -> None:
        """Pick this sink's encoder for the pipeline's ``format`` and ``colors`` settings."""
        self.encoder = per_sink.choose_encoder(self.options, self.sink, format, colors)
        self.transformed = self.encoder is not None or self.level > 0


class Delivery:
    """The sinks of one pipeline and what each is owed."""

    __slots__ = ("_accounts", "capacity", "level_key", "slots")

    def __init__(
        self,
        sinks: Sequence[Sink],
        options: Sequence[SinkOptions | None],
        accounts: Accounting,
    ) -> None:
        self.slots = [Slot(s, o) for s, o in zip(sinks, options, strict=True)]
        self._accounts = accounts
        self.capacity = 0
        self.level_key: str | None = "level"  # where lines carry their level (the schema's)

    # -- state the pipeline reads ------------------------------------------------------------

    def failing(self) -> bool:
        """Some sink holds data back after a failed write."""
        return any(slot.pending for slot in self.slots)

    def stalled(self) -> bool:
        """Every sink does: waiting for room cannot help."""
        return all(slot.pending for slot in self.slots)

    def held(self) -> int:
        """What the sinks hold back in common (backpressure applies to that)."""
        return min((len(s.pending) for s in self.slots), default=0)

    def next_retry(self) -> float | None:
        return min((s.retry_at for s in self.slots if s.pending), default=None)

    def reset(self) -> None:
        for slot in self.slots:
            slot.reset()

    # -- the writer's side -------------------------------------------------------------------

    def deliver(self, parts: Sequence[Data], *, force: bool) -> None:
        """Hand *parts* (oldest first) to every sink; retry failing ones when due or *force*.

        Marked as fastlog's slow path: a sink that logs (or a signal handler meanwhile) then
        appends to the buffer and never re-enters a sink's write()
        (tests/reliability/test_reentrancy.py).
        """
        depth = wake.depth()
        wake.local.depth = depth + 1
        try:
            self._deliver_all(parts, force=force)
        finally:
            wake.local.depth = depth

    def _deliver_all(self, parts: Sequence[Data], *, force: bool) -> None:
        now = time.monotonic()
        done: dict[tuple[int, int], tuple[list[bytes], int]] = {}  # once per (encoder, level)
        for slot in self.slots:
            if slot.closed:  # gone for good (SinkClosed): lost for it, quietly
                self._lose(slot, parts, count_filtered=True)
                continue
            fresh: Sequence[Data] = parts
            if slot.transformed and parts:
                key = (id(slot.encoder), slot.level)
                cached = done.get(key)
                if cached is None:
                    cached = done[key] = per_sink.transform_parts(slot, self.level_key, parts)
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
                out: Sequence[Data] = (slot.rendered if slot.transformed else slot.pending).parts
            elif not parts:
                continue
            else:
                out = fresh
            try:
                written = write(slot.sink, out)
            except SinkClosed as exc:
                self._close_slot(slot, parts, exc)
                continue
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
                slot.retry_at = now + min(BACKOFF_MAX, BACKOFF_MIN * 2 ** (slot.failures - 1))
                self._bound_backlog(slot)
                _diagnostics.report(
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

    def _close_slot(self, slot: Slot, parts: Sequence[Data], exc: SinkClosed) -> None:
        """The sink raised ``SinkClosed`` (the reader of its pipe went away): from now on it is
        written to no more. What it owed and this batch are lost for it: counted, not retried,
        not reported (an ordinary end for ``| head``)."""
        slot.closed = True
        owed = Chunks()
        owed.extend(slot.pending.parts if slot.pending else parts)
        slot.pending.clear()
        slot.rendered.clear()
        slot.failures = 0
        if not slot.transformed:  # the bytes written before the pipe closed were written
            written = getattr(exc, "fastlog_written", 0)
            slot.written += written
            owed.drop(written)
        self._lose(slot, owed.parts, count_filtered=False)  # filtered as they came

    def _lose(self, slot: Slot, parts: Sequence[Data], *, count_filtered: bool) -> None:
        """Count *parts* as lost for a closed *slot*: the lines its level keeps; the others
        as filtered (with *count_filtered*), as if it were written to."""
        lines = 0
        for part in parts:
            if type(part) is Note:
                continue
            total = part.count(b"\n")
            if slot.transformed:
                kept = len(per_sink.kept(slot.level, self.level_key, bytes(part).splitlines()))
                if count_filtered:
                    slot.filtered += total - kept
                total = kept
            lines += total
        slot.lost += lines
        self._accounts.lost += lines

    def _bound_backlog(self, slot: Slot) -> None:
        """Keep one failing sink's backlog within capacity by giving up its oldest lines.

        Only reached while another sink of the pipeline is healthy (otherwise the buffer stops
        admitting records first, see Pipeline._update_limit); what is given up is counted as
        lost for that sink and reported.
        """
        if len(slot.pending) <= self.capacity:
            return
        # Trim to three quarters of capacity, so a sink that stays down costs one trim (and
        # for a transformed sink one re-encoding) per quarter-capacity of records, not per
        # record.
        lines = slot.pending.drop(len(slot.pending) - self.capacity * 3 // 4, whole_lines=True)
        slot.lost += lines
        self._accounts.lost += lines
        if slot.transformed:  # its lines were counted as filtered when they first came
            slot.rendered.clear()
            slot.rendered.extend(
                per_sink.transform_parts(slot, self.level_key, slot.pending.parts)[0]
            )
        _diagnostics.report(
            "sink", f"{slot.sink!r} is failing: {lines} records given up to stay within capacity"
        )

    def flush_sinks(self, fsync: bool) -> bool:
        """Every sink's ``flush()`` (and ``fsync()`` where it has one); False if one failed."""
        ok = True
        for slot in self.slots:
            try:
                slot.sink.flush()
                if fsync:
                    sync = getattr(slot.sink, "fsync", None)
                    if sync is not None:
                        sync()
            except Exception as exc:
                ok = False
                slot.errors += 1
                _diagnostics.report("sink", f"flushing {slot.sink!r} failed: {type(exc).__name__}")
        return ok

    def give_up(self, never_delivered: int) -> tuple[int, int]:
        """At shutdown: count *never_delivered* records and every backlog as lost.

        Returns (records lost, lines left unwritten: a drop note counts there too)."""
        for slot in self.slots:
            slot.lost += never_delivered
        lost = unwritten = never_delivered
        for slot in self.slots:
            if slot.pending:
                lines = slot.pending.records()  # a drop note left unwritten is no record
                slot.lost += lines
                lost += lines
                unwritten += lines or 1
                slot.pending.clear()
                slot.rendered.clear()
        return lost, unwritten

    def close(self) -> None:
        for slot in self.slots:
            try:
                slot.sink.close()
            except Exception as exc:
                _diagnostics.report("close", f"{slot.sink!r}: {type(exc).__name__}: {exc}")

    def after_fork(self) -> None:
        """In a forked child: each sink's ``after_fork()`` hook, where it has one."""
        for slot in self.slots:
            hook = getattr(slot.sink, "after_fork", None)
            if hook is not None:
                try:
                    hook()
                except Exception as exc:
                    _diagnostics.report("fork", f"{slot.sink!r}: {type(exc).__name__}: {exc}")


_WRITEV: dict[type, bool] = {}


def has_writev(kind: type) -> bool:
    """Whether sinks of *kind* take ``writev(parts)``: they define it, in the same class as
    ``write`` (a subclass that overrides ``write`` alone keeps getting ``write``)."""
    known = _WRITEV.get(kind)
    if known is None:

        def owner(name: str) -> type | None:
            return next((k for k in kind.__mro__ if name in vars(k)), None)

        known = _WRITEV[kind] = owner("writev") is not None and owner("writev") is owner("write")
    return known


def write(sink: Sink, parts: Sequence[Data]) -> int:
    """Write *parts* in order; return the bytes written. Raises as the sink's write does,
    with ``fastlog_written`` set to what all the calls before the failure wrote."""
    parts = [part for part in parts if part]
    if not parts:
        return 0
    total = sum(map(len, parts))
    if has_writev(type(sink)):  # FileSink: the whole batch in one system call, no copy
        sink.writev(parts)  # type: ignore[attr-defined]
        return total
    written = 0
    group: list[Data] = []
    size = 0
    for part in [*parts, b""]:  # b"": the end, writes the last group
        if group and (size + len(part) > JOIN or not part):
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
