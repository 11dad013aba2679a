"""The writer thread: wakes, takes everything buffered by a swap, delivers it; and flush().

One daemon thread per pipeline. It sleeps on the wake pipe with the flush interval as timeout;
on each cycle it takes the queued blocks without copying them (``buffer.take``) and hands them
to the sinks in one call each, with the pipeline's lock released around the writes. Its own
GIL time is what limits callers' multi-threaded throughput, so a cycle does as little as it
can: a swap, a reference-count check, one ``writev``.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from .. import _diagnostics
from . import buffer, wake
from .delivery import BACKOFF_MIN
from .state import State

if TYPE_CHECKING:
    from .buffer import Data

#: Seconds one delivery may take before the writer counts as stuck (a destination that takes
#: nothing: a FIFO or pipe nobody reads, a hung network file system). A write that has not
#: returned after this long is not waited for: blocked callers drop their record (counted, and
#: noted in the stream once the writer gets through), and flush() returns False.
STALL = 5.0

#: ``.writer``: the Writer whose delivery this thread is running (the writer thread, or a
#: flushing caller holding the lock), for ``still_busy``.
_delivering = threading.local()


def still_busy() -> None:
    """Tell the pipeline whose delivery is running in this thread that its destination is
    working, only slower: a network sink's ``write()`` calls it while it waits for room and
    its sender is healthy (a request in progress within its timeout, or batches going out).
    The writer then does not count as stuck (``STALL``), so ``policy="block"`` keeps waiting
    as for a slow disk. Called from any other thread, it does nothing."""
    writer = getattr(_delivering, "writer", None)
    if writer is not None and writer._busy_since:
        writer._busy_since = time.monotonic()


class Writer(State):
    """The writer's side of a pipeline (see the module docstring)."""

    __slots__ = ()

    def _start_writer(self) -> None:
        self._stopping = False
        thread = threading.Thread(target=self._run, name=f"fastlog-writer {self.name}", daemon=True)
        self._thread = thread
        thread.start()

    def _ensure_writer(self) -> None:
        # Not while closing: shutdown() has stopped the writer on purpose and drains the
        # buffer itself. A caller waiting for room that restarted it then had a second writer
        # deliver a batch during (and after) the final drain: counted lost, or lost outright
        # when the process ended next (SIGTERM).
        thread = self._thread
        if (
            not self._sync
            and not self._closed
            and not self._closing
            and (thread is None or not thread.is_alive())
        ):
            self._start_writer()

    def _stop_writer(self, timeout: float, *, report: bool = True) -> bool:
        """Stop the writer thread; True when it has stopped (it may be stuck in a sink)."""
        thread = self._thread
        if thread is None or thread.ident == threading.get_ident():
            return True
        with self._lock:
            self._stopping = True
        depth = wake.depth()
        wake.local.depth = depth + 1
        try:
            self._wake.set()
        finally:
            wake.local.depth = depth
        thread.join(timeout)
        if thread.is_alive():
            if report:
                _diagnostics.report(
                    "shutdown", f"writer of {self.name} did not stop within {timeout}s"
                )
            return False
        return True

    def _run(self) -> None:
        self._writer_ident = threading.get_ident()
        signal = self._wake
        while True:
            try:
                signal.wait(self._next_wait())
                signal.clear()
                self._signaled = False
                if self._stopping:
                    return
                with self._lock:
                    self._take_and_deliver(final=False)
            except BaseException as exc:  # the writer must outlive any one bad batch
                _diagnostics.report("writer", f"{type(exc).__name__}: {exc}")
                time.sleep(BACKOFF_MIN)

    def _next_wait(self) -> float:
        interval = self.settings.flush_interval
        if self._failing:
            now = time.monotonic()
            soonest = self._delivery.next_retry()
            if soonest is None:
                soonest = now + interval
            return max(0.0, min(interval, soonest - now))
        return interval

    def _take_and_deliver(self, *, final: bool, hold: bool = False) -> None:
        """One writer cycle: take everything buffered, deliver it. Called with ``_lock`` held.

        The lock is released around the sink writes, except with *hold* (the final drain, sync
        mode), where appends must wait until the buffer is empty. The whole buffer is taken
        at once, by a swap (``_take``): copying it out doubled peak memory (2x capacity with a
        full buffer, docs/reliability.md), and taking it in 1 MiB slices made callers pay for
        the bytearray's regrowth copies (benchmarks/bench_core.py).
        """
        size = len(self.appender.buf) + self._sealed_bytes
        accounts = self._accounts
        accounts.high_water = max(accounts.high_water, size)
        parts: list[Data] = []
        if (size and self._room + self._sealed_bytes > 0) or final or self._sealed:
            parts = self._take()
        self._taken += self._in_flight_bytes
        taken = self._taken
        note = accounts.drop_note(self.settings.policy, self.preset)
        force = final or self._flush_wanted
        self._flush_wanted = False
        self._cond.notify_all()  # room was freed for blocked callers
        if note:
            accounts.notes += 1
            parts.append(note)  # after the batch, one more part: no copy of it
        delivery = self._delivery
        if parts or delivery.failing():
            self._in_flight = parts
            if hold:
                self._deliver_parts(parts, force=force)
            else:
                self._busy_since = time.monotonic()
                self._lock.release()
                try:
                    self._deliver_parts(parts, force=force)
                finally:
                    self._lock.acquire()
                    self._busy_since = 0.0
            self._in_flight = []
        self._in_flight_bytes = 0
        self._failing = delivery.failing()
        self._stalled = delivery.stalled()
        if not self._failing:
            self._done = taken
            if self._fsync_target > self._synced:
                self._fsync_error = not delivery.flush_sinks(fsync=True)
                if not self._fsync_error:
                    self._synced = taken
        self._update_limit()
        self._cycles += 1
        self._cond.notify_all()

    def _take(self) -> list[Data]:
        """Swap in an empty block and return every queued block, oldest first. Lock held.

        The common case returns the blocks themselves: no copy, so a full buffer costs its
        capacity once (see ``buffer.take`` for the stragglers a swap must wait for).
        """
        out = self.appender
        stale = self._sealed
        old = out.buf
        # Until _update_limit below, appends take the slow path, which waits for this lock.
        self._room -= len(old)
        out.limit = -1
        stale.append(old)
        self._sealed_bytes += len(old)
        out.buf = buffer.new_block()
        del old
        parts, kept = buffer.take(stale)
        self._sealed = kept
        self._sealed_bytes = sum(map(len, kept))
        self._in_flight_bytes = sum(map(len, parts))
        self._update_limit()
        return parts

    def _writer_stuck(self) -> bool:
        """Whether the writer has been inside one delivery for longer than ``STALL`` (lock
        held). Then waiting for it cannot help: the pipeline counts as stalled, so callers of
        a full buffer drop at once, without the lock, until the writer's next cycle."""
        since = self._busy_since
        if since and time.monotonic() - since > STALL:
            self._stalled = True
            return True
        return False

    def _deliver_parts(self, parts: list[Data], *, force: bool) -> None:
        # An empty list retries a failing sink's backlog.
        outer = getattr(_delivering, "writer", None)
        _delivering.writer = self
        try:
            self._delivery.deliver(parts, force=force)
        finally:
            _delivering.writer = outer
        parts.clear()  # the blocks are freed here (they are also _in_flight)

    # -- flush: waiting for the writer -------------------------------------------------------

    def flush(self, timeout: float | None = None, *, fsync: bool = False) -> bool:
        """Wait until everything appended before this call is written (and delivered, for a
        network sink); True when it is.

        Returns False when *timeout* passes first, when a write attempt made after this call
        failed (the data stays buffered and is retried), or, without a *timeout*, when the
        writer has been stuck in one write for ``STALL`` seconds (a destination that takes
        nothing): flush never waits on a broken or stalled destination forever. Called from a
        signal handler that interrupted this thread inside fastlog, it returns False at once
        (it cannot wait on itself).
        """
        depth = wake.depth()
        if depth:
            return False
        wake.local.depth = 1
        try:
            deadline = None if timeout is None else time.monotonic() + timeout
            # Then what network sinks were written is delivered, too (outside the lock:
            # the writer goes on meanwhile).
            return self._flush(timeout, fsync=fsync) and self._delivery.drain(deadline)
        finally:
            wake.local.depth = depth
            if wake.deferred:
                wake.run_deferred()

    def _flush(self, timeout: float | None, *, fsync: bool) -> bool:
        try:
            delivery = self._delivery
            if self._sync or self._closed:
                with self._lock:
                    if (
                        self.appender.buf
                        or self._sealed
                        or delivery.failing()
                        or self._accounts.unnoted()
                    ):
                        self._take_and_deliver(final=True, hold=True)
                    ok = not delivery.failing()
                    return delivery.flush_sinks(fsync) and ok
            if threading.get_ident() == self._writer_ident:
                return False  # called from a sink: the writer cannot wait for itself
            deadline = None if timeout is None else time.monotonic() + timeout
            with self._cond:
                target = self._taken + len(self.appender.buf) + sum(map(len, self._sealed))
                # Records dropped before this call are noted in the stream by then too: the
                # note is made by a writer cycle, so one must start after this call.
                unnoted = self._accounts.unnoted()
                if self._done >= target and (not fsync or self._synced >= target) and not unnoted:
                    return True
                start_cycle = self._cycles
                self._flush_wanted = True
                if fsync and target > self._fsync_target:
                    self._fsync_target = target
                self._wake.set()
                while (
                    self._done < target
                    or (fsync and self._synced < target)
                    or (unnoted and self._cycles < start_cycle + 2)
                ):
                    if self._cycles >= start_cycle + 2 and (
                        self._failing or (fsync and self._fsync_error)
                    ):
                        return False
                    if self.closed:  # shut down meanwhile: the final drain has run
                        return self._done >= target
                    if deadline is None and self._writer_stuck():
                        return False  # no timeout given: not forever on a stalled destination
                    self._ensure_writer()
                    if unnoted:  # the cycle that notes them, without waiting flush_interval
                        self._wake.set()
                    wait = 0.05
                    if deadline is not None:
                        wait = min(wait, deadline - time.monotonic())
                        if wait <= 0:
                            return False
                    self._cond.wait(wait)
                return True
        except Exception as exc:  # pragma: no cover - defensive
            _diagnostics.report("flush", f"{type(exc).__name__}: {exc}")
            return False
