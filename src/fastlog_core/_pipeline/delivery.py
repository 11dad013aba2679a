"""Delivery: handing batches to the sinks, keeping what a failing sink owes, retrying it.

A batch is delivered to every sink of the pipeline in one call each (``writev`` where the sink
has it, else ``write`` of up to ``JOIN`` bytes). A sink that fails keeps the batch's blocks as
its backlog (no copy) and is retried with exponential backoff. Sinks are called inside
fastlog's slow path, so a sink (or a signal handler) that logs meanwhile appends to the buffer
and never re-enters a sink's write().

What each sink is owed (``backlog.Backlog``) is counted per sink, so that for every sink,
records sent = written + filtered (below its level) + lost + dropped, exactly:

- While every sink fails, the buffer stops admitting records (``held``): backlogs stay within
  capacity and nothing accepted is given up. fastlog's own note lines never count against
  that bound, so a note cannot push accepted records out.
- While another sink is healthy, a failing sink's backlog is bounded on its own: past
  capacity its oldest records are given up, counted as lost for that sink, and a note saying
  how many goes into that sink's stream where they were (``LossNote``), so a reader of that
  destination sees the gap. Trimming one sink's backlog never touches another's.
- When shutdown gives up on a writer stuck inside a sink's write (a FIFO nobody reads), it
  ``abandon``\\ s the delivery: everything owed is counted as lost at once, and the stuck
  writer, should its write ever return, only corrects the count for what that write did
  deliver (``settle``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import _diagnostics, _encoders
from .._sinks import SinkClosed
from . import per_sink, wake
from .accounting import Accounting, DropNote, Note, merge_drop_notes, records
from .backlog import Backlog, drops_told, loss_note
from .per_sink import SinkOptions

if TYPE_CHECKING:
    from .._sinks import Sink
    from .buffer import Data

BACKOFF_MIN = 0.05
BACKOFF_MAX = 2.0
#: Sinks without ``writev`` get the blocks of a batch joined up to this size per ``write``.
JOIN = 1024 * 1024


class Slot:
    """A sink, its options, and what the writer still owes it."""

    __slots__ = (
        "closed",
        "encoder",
        "errors",
        "failures",
        "filtered",
        "hidden",
        "level",
        "lost",
        "options",
        "pending",
        "retry_at",
        "settle",
        "sink",
        "transformed",
        "unnoted",
        "written",
    )

    def __init__(self, sink: Sink, options: SinkOptions | None = None) -> None:
        self.sink = sink
        self.options = options or SinkOptions()
        self.level = self.options.level
        self.encoder: _encoders.Encoder | None = self.options.encoder  # set again by configure
        self.hidden = b""  # static fields this sink's encoder leaves out (set by configure)
        self.transformed = False  # lines are filtered or re-encoded for this sink
        self.closed = False  # the sink raised SinkClosed: its destination is gone for good
        self.reset()

    def reset(self) -> None:
        self.pending: Backlog = Backlog()  # handed to this sink and not yet written
        self.filtered = 0  # lines below this sink's level
        self.failures = 0  # failed writes in a row (0: the last write worked)
        self.retry_at = 0.0
        self.lost = 0  # records given up: trimmed from the backlog, or at shutdown
        self.unnoted = 0  # of those, trimmed ones no note in this sink's stream has told yet
        self.settle = 0  # lost records a stuck write may still deliver (see Delivery.abandon)
        self.written = 0
        self.errors = 0

    @property
    def failing(self) -> bool:
        """Its last write failed and it holds records back."""
        return bool(self.failures and self.pending)

    def configure(self, format: str, colors: bool | None, static: bytes = b"") -> None:
        """Pick this sink's encoder for the pipeline's ``format`` and ``colors`` settings;
        *static* is the pipeline's static fields as spliced into each line."""
        self.encoder = per_sink.choose_encoder(self.options, self.sink, format, colors)
        self.transformed = self.encoder is not None or self.level > 0
        # A console reader does not want the pod's name on every line: the console encoder
        # gets the lines without them (logfmt and MessagePack keep them, as JSON does).
        self.hidden = static if isinstance(self.encoder, _encoders.ConsoleEncoder) else b""


class Delivery:
    """The sinks of one pipeline and what each is owed."""

    __slots__ = (
        "_accounts",
        "_counted",
        "_guard",
        "_position",
        "_sinks_closed",
        "_staged",
        "abandoned",
        "capacity",
        "level_key",
        "slots",
    )

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
        self._init_guard()

    def _init_guard(self) -> None:
        # Orders the writer's bookkeeping after each write against shutdown giving up on a
        # stuck writer (abandon). Never held across a sink's write, only the writer and
        # shutdown take it: callers never wait on it.
        self._guard = threading.Lock()
        self.abandoned = False  # shutdown gave up on a writer stuck in a write
        self._position = -1  # the slot being written to, while a write is in progress
        self._staged = False  # the batch being delivered is in every backlog
        self._counted: Sequence[Data] = ()  # the batch abandon counted before it was staged
        self._sinks_closed = False

    # -- state the pipeline reads ------------------------------------------------------------

    def failing(self) -> bool:
        """Some sink holds data back after a failed write (or the delivery was abandoned)."""
        return self.abandoned or any(slot.failing for slot in self.slots)

    def stalled(self) -> bool:
        """Every sink does: waiting for room cannot help."""
        return self.abandoned or all(slot.failing for slot in self.slots)

    def held(self) -> int:
        """What the failing sinks hold back, when every sink is failing (backpressure applies
        to that); 0 while one is healthy, the others' backlogs then being bounded here.

        The largest backlog: the buffer then admits no more than lets each backlog stay
        within capacity, so nothing accepted has to be given up while every sink fails.
        """
        slots = self.slots
        if all(slot.failing for slot in slots):
            return max(len(slot.pending) for slot in slots)
        return 0

    def next_retry(self) -> float | None:
        return min((s.retry_at for s in self.slots if s.failing), default=None)

    def reset(self) -> None:
        """Nothing owed, counters at zero: at creation and in a forked child."""
        for slot in self.slots:
            slot.reset()
        self._init_guard()

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

    def _stage(self, parts: Sequence[Data]) -> None:
        """Put the batch in every sink's backlog, in that sink's bytes (guard held).

        Each distinct (encoder, level) pair renders the batch once; plain JSON sinks get the
        blocks as they are.
        """
        done: dict[tuple[int, int], tuple[list[bytes], list[int], int]] = {}
        for slot in self.slots:
            backlog = slot.pending
            if slot.transformed:
                key = (id(slot.encoder), slot.level)
                cached = done.get(key)
                if cached is None:
                    cached = done[key] = per_sink.transform_parts(slot, self.level_key, parts)
                outs, owed, filtered = cached
                slot.filtered += filtered
                for part, out, count in zip(parts, outs, owed, strict=True):
                    if type(part) is not DropNote or not self._merged(slot, part):
                        backlog.add(part, out, count)
            else:
                for part in parts:
                    if type(part) is not DropNote or not self._merged(slot, part):
                        backlog.add(part, part)
            if slot.closed:  # gone for good (SinkClosed): what it is owed is lost, quietly
                self._lose_owed(slot)

    def _merged(self, slot: Slot, part: DropNote) -> bool:
        """Whether *part*, a drop note, was merged into the drop note that ends *slot*'s
        backlog: a failing sink keeps one note per gap in its stream, not one per writer
        cycle, so its backlog does not grow without bound while callers drop."""
        last = slot.pending.last_drop_note()
        if last is None:
            return False
        note = merge_drop_notes(last, part)
        out: Data = note
        if slot.transformed:
            out = per_sink.transform_parts(slot, self.level_key, [note])[0][0]
        slot.pending.replace_last(note, out)
        return True

    def _deliver_all(self, parts: Sequence[Data], *, force: bool) -> None:
        now = time.monotonic()
        # The guard is held throughout but for the sinks' writes (fewer acquisitions: this
        # runs once per batch on the writer's GIL time, which callers wait for).
        guard = self._guard
        guard.acquire()
        held = True
        ours = False  # this is the delivery in progress, the one shutdown may give up on
        try:
            if self.abandoned:
                ours = parts is self._counted  # the stuck writer's batch, counted by then
                if not ours:  # a record logged after shutdown gave up
                    self._lose(parts)
                return
            if parts:
                self._stage(parts)
            self._staged = ours = True
            for index, slot in enumerate(self.slots):
                backlog = slot.pending
                if not backlog or (slot.failures and slot.retry_at > now and not force):
                    continue
                self._position = index
                out = backlog.to_write()
                guard.release()
                held = False
                try:
                    written = write(slot.sink, out)
                except Exception as exc:
                    del out
                    guard.acquire()
                    held = True
                    if self._given_up():  # counted as lost by then
                        return
                    if isinstance(exc, SinkClosed):  # gone for good: not retried
                        self._close_slot(slot, exc)
                    else:
                        self._failed(slot, exc, now)
                    continue
                del out
                guard.acquire()
                held = True
                if self._given_up():
                    self._settle(slot, written)
                    return
                slot.written += written
                if backlog.notes:
                    slot.unnoted -= backlog.loss_told()
                backlog.clear()
                slot.failures = 0
            for slot in self.slots:
                if slot.failing:
                    self._bound_backlog(slot)
        finally:
            if not held:  # a BaseException out of a sink's write
                guard.acquire()
            if ours:
                self._position = -1
                self._staged = False
            close = ours and self.abandoned
            guard.release()
            if close:
                # The writer shutdown gave up on is back: the sinks are its to close (closing
                # them under its write could have let the descriptor's number be reused, the
                # write's rest landing in another file; a stream's lock was held by it).
                self.close()

    def _given_up(self) -> bool:
        """``abandoned``, read afresh: shutdown may set it while the writer is in a write."""
        return self.abandoned

    def rerender(self, slot: Slot) -> None:
        """*slot*'s backlog in its sink's current encoding and level (after ``replace_sinks``;
        guard held). A partly written first part stays as it is. Lines a new level filters, or
        no longer filters, move between owed and ``filtered``, so the counts still add up."""
        backlog = slot.pending
        start = 1 if backlog.done else 0
        rest = backlog.parts[start:]
        if not rest:
            return
        before = sum(backlog.owed_by(at) for at in range(start, len(backlog.parts)))
        if slot.transformed:
            outs, owed, _ = per_sink.transform_parts(slot, self.level_key, rest)
            backlog.outs[start:] = outs
        else:
            backlog.outs[start:] = rest
            owed = [records(part) for part in rest]
        backlog.owed[start:] = owed
        slot.filtered += before - sum(owed)

    def _close_slot(self, slot: Slot, exc: SinkClosed) -> None:
        """The sink raised ``SinkClosed`` (the reader of its pipe went away; guard held): from
        now on it is written to no more. What it owed is lost for it: counted, not retried, not
        reported (an ordinary end for ``| head``)."""
        slot.closed = True
        backlog = slot.pending
        done = getattr(exc, "fastlog_written", 0)
        slot.written += done  # the bytes written before the pipe closed were written
        backlog.advance(done)
        self._lose_owed(slot)
        slot.failures = 0

    def _lose_owed(self, slot: Slot) -> None:
        backlog = slot.pending
        lost = backlog.records()
        slot.lost += lost
        self._accounts.lost += lost
        backlog.clear()

    def _failed(self, slot: Slot, exc: Exception, now: float) -> None:
        """A write to *slot* raised (guard held): keep what it did not write, back off."""
        backlog = slot.pending
        # A partial write: the rest of this sink's bytes is kept, the written part forgotten.
        slot.unnoted -= backlog.advance(getattr(exc, "fastlog_written", 0))
        slot.failures += 1
        slot.errors += 1
        slot.retry_at = now + min(BACKOFF_MAX, BACKOFF_MIN * 2 ** (slot.failures - 1))
        _diagnostics.report(
            "sink",
            f"writing to {slot.sink!r} failed ({type(exc).__name__}: {exc}); "
            f"{len(backlog)} bytes kept for retry",
        )

    def _bound_backlog(self, slot: Slot) -> None:
        """Keep one failing sink's backlog within capacity by giving up its oldest records.

        Reached only while another sink of the pipeline is healthy, or in sync mode (while
        every sink fails, the buffer stops admitting records first: see ``held``); fastlog's
        own notes do not count. What is given up is counted as lost for that sink, reported,
        and told in its stream by a note where the records were.
        """
        backlog = slot.pending
        if backlog.size - backlog.notes <= self.capacity:
            return

        def render(rest: bytes) -> tuple[Data, int]:
            if not slot.transformed:
                return rest, records(rest)
            out, filtered = per_sink.transform(slot, self.level_key, rest.splitlines())
            return out, max(0, records(rest) - filtered)

        # Trim to three quarters of capacity, so a sink that stays down costs one trim (and
        # for a transformed sink one re-encoding of a part) per quarter-capacity of records.
        lost, notes = backlog.trim(self.capacity * 3 // 4, render)
        slot.lost += lost
        self._accounts.lost += lost
        slot.unnoted += lost
        untold = slot.unnoted - backlog.loss_told()
        drops = drops_told(notes)
        if untold > 0 or drops:
            note = loss_note(untold, drops)
            backlog.insert_note(note, per_sink.render_note(slot, note))
        if not lost:
            return
        _diagnostics.report(
            "sink", f"{slot.sink!r} is failing: {lost} records given up to stay within capacity"
        )

    def _lose(self, parts: Sequence[Data]) -> None:
        """After ``abandon``: *parts* cannot be delivered; counted as lost for every sink."""
        count = sum(map(records, parts))
        if count:
            for slot in self.slots:
                slot.lost += count
                self._accounts.lost += count
            _diagnostics.report(
                "shutdown", f"{count} records logged after shutdown gave up on a stuck sink: lost"
            )

    def _settle(self, slot: Slot, written: int) -> None:
        """A write that shutdown gave up on returned after all (guard held): what it wrote is
        written, not lost."""
        slot.written += written
        slot.lost -= slot.settle
        self._accounts.lost -= slot.settle
        slot.settle = 0

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

    def closing(self) -> None:
        """Shutdown begins: each sink's ``closing()`` hook, where it has one (a network sink
        then takes the final batches whole and starts its ``close_timeout``)."""
        for slot in self.slots:
            hook = getattr(slot.sink, "closing", None)
            if hook is not None and not slot.closed:
                try:
                    hook()
                except Exception as exc:
                    _diagnostics.report("close", f"{slot.sink!r}: {type(exc).__name__}: {exc}")

    def drain(self, deadline: float | None) -> bool:
        """Wait, until *deadline* (``time.monotonic()``; None: each sink's own bound), for the
        sinks that deliver in the background (network sinks, ``drain()``) to have delivered
        what they were written; False if one could not."""
        ok = True
        for slot in self.slots:
            drain = getattr(slot.sink, "drain", None)
            if drain is not None and not slot.closed:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    ok = bool(drain(left)) and ok
                except Exception as exc:
                    ok = False
                    _diagnostics.report("sink", f"{slot.sink!r}: {type(exc).__name__}: {exc}")
        return ok

    def give_up(
        self, never_delivered: int, in_flight: Sequence[Data] = (), *, abandon: bool = False
    ) -> tuple[int, int]:
        """At shutdown: count *never_delivered* records and every backlog as lost, for each
        sink. With *abandon*, the writer is stuck inside a write: *in_flight*, the batch it
        holds, is counted too where it has not reached the backlogs, and the writer's later
        bookkeeping is reduced to ``_settle``.

        Returns (records lost, summed over the sinks; lines left unwritten, a note counting
        too)."""
        with self._guard:
            lost = 0
            unwritten = never_delivered
            if abandon:
                self.abandoned = True
                if not self._staged:  # taken from the buffer, not yet in any backlog
                    self._counted = in_flight
                    held = sum(map(records, in_flight))
                    never_delivered += held
                    unwritten += held + sum(1 for part in in_flight if isinstance(part, Note))
                if self._position >= 0:
                    stuck = self.slots[self._position]
                    stuck.settle = stuck.pending.records()
            for slot in self.slots:
                owed = never_delivered
                backlog = slot.pending
                if backlog:
                    lines = backlog.records()  # a note left unwritten is no record
                    owed += lines
                    unwritten += lines or 1
                    backlog.clear()
                slot.failures = 0
                slot.lost += owed
                lost += owed
            return lost, unwritten

    def close(self) -> bool:
        """Close every sink, once. False when a sink that delivers in the background (a
        network sink) lost records while closing (not delivered within its close_timeout)."""
        if self._sinks_closed:
            return True
        self._sinks_closed = True
        clean = True
        for slot in self.slots:
            stats = getattr(slot.sink, "delivery_stats", None)
            before = stats()["lost"] if stats is not None else 0
            try:
                slot.sink.close()
            except Exception as exc:
                _diagnostics.report("close", f"{slot.sink!r}: {type(exc).__name__}: {exc}")
            if stats is not None and stats()["lost"] != before:
                clean = False
        return clean

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


def write(sink: Sink, parts: Sequence[Data | memoryview]) -> int:
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
    group: list[Data | memoryview] = []
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
