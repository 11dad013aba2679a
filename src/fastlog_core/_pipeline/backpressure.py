"""The callers' slow path: a full block, a full buffer (block or drop), sync mode, re-entry.

The appender sends a record here when its lock-free check fails: the block being filled is
full (``_seal`` starts the next), the buffer is full (``policy="block"`` waits for the writer
while waiting can help, see ``_append_locked``; ``"drop"`` counts the record, per level,
without the lock), the record is oversized (truncated) or at ``fsync_level`` (flushed and
fsynced before the call returns), or the pipeline is in sync mode or closed (written in the
caller's thread). A record logged from inside this path on the same thread (a signal handler,
a sink that logs) takes ``_append_reentrant``, which touches no lock.
"""

from __future__ import annotations

import sys
import threading
import time

from .. import _diagnostics, _encoders
from . import buffer, wake
from .appender import splice
from .writer import Writer


class Backpressure(Writer):
    """The callers' slow path of a pipeline (see the module docstring)."""

    __slots__ = ()

    def _wake_writer(self) -> None:
        # Marked as slow path: a signal handler that logs meanwhile appends without waking
        # (see _append_reentrant). The pipe needs no such care; the Event used where pipes
        # cannot be selected (Windows) does: set() inside set() deadlocks.
        depth = wake.depth()
        wake.local.depth = depth + 1
        try:
            # The limit goes past wake_bytes until drained. Stored under the lock, as every
            # store of it: computed from _room outside it, another thread's seal between the
            # read and the store (a thread switch there) could leave the limit a block past
            # the room, or undo a shutdown's limit -1.
            with self._lock:
                self._signaled = True
                self._update_limit()
            self._wake.set()
        finally:
            wake.local.depth = depth

    def append_whole(self, line: bytes, levelno: int) -> None:
        """Queue *line* as ``appender.append`` does, but not truncated at ``max_record_bytes``:
        a line up to the pipeline's capacity is written as it is. For an adapter whose host
        defines the bytes of every line (loguru's ``serialize=True`` layout), where a cut line
        would break that contract. A line longer than the capacity could never be buffered: it
        is truncated and counted as any other. Never raises.
        """
        out = self.appender
        final = splice(line, out.suffix)  # the static fields count, as in append()
        if len(final) <= out.max_record:
            out.append(line, levelno)  # which splices them itself
        else:
            self._append_slow(final, levelno, whole=True)

    def _append_slow(self, line: bytes, levelno: int, whole: bool = False) -> None:
        out = self.appender
        if (
            len(out.buf) + len(line) > self._room
            and self._lock_free
            and len(line) <= out.max_record
            and levelno < out.slow_level
            and (self._drop_policy or self._stalled)
        ):
            # Full, and the record would be dropped under the lock anyway: dropped here,
            # without it. Callers of a full pipeline queued on that lock to be told no: ~5 us
            # per call with 2 threads, against ~1 us for a record written (docs/performance).
            try:
                self._count_drop(levelno)
            except Exception as exc:  # pragma: no cover - defensive: never raise into the caller
                _diagnostics.report("append", f"{type(exc).__name__}: {exc}")
            return
        depth = wake.depth()
        if depth:
            self._append_reentrant(line, levelno)
            return
        wake.local.depth = depth + 1
        try:
            if len(line) > out.max_record and not (whole and len(line) <= self._capacity):
                line = _encoders.json.truncate(line, out.max_record)
                with self._lock:
                    self._accounts.truncated += 1
            if self._sync or self._closed:
                self._write_now(line)
                return
            if not self._append_locked(line, levelno):
                return
            if levelno >= out.slow_level:
                self._flush(None, fsync=True)
        except Exception as exc:  # pragma: no cover - defensive: never raise into the caller
            _diagnostics.report("append", f"{type(exc).__name__}: {exc}")
        finally:
            wake.local.depth = depth
        if wake.deferred and not depth:
            wake.run_deferred()

    def _append_reentrant(self, line: bytes, levelno: int) -> None:
        """A record logged from inside our own slow path on this thread.

        That happens when a signal handler interrupts this thread while it waits for room or
        wakes the writer. ``threading`` primitives are not reentrant (``Event.set`` inside
        ``Event.set`` deadlocks), so this path touches none of them: it appends if there is
        room and counts a drop otherwise.
        """
        try:
            out = self.appender
            if len(line) > out.max_record:
                line = _encoders.json.truncate(line, out.max_record)
            # Never the sink from here, also in sync mode: this thread may be inside that
            # sink's write() (a sink that logs, a signal handler). The line waits in the
            # buffer; sync mode writes it right after the write in progress (_write_now).
            buf = out.buf  # never ``out.buf += line``: its store would undo a swap
            if len(buf) + len(line) <= self._room:
                buf += line
                out.count()
            else:
                self._count_drop(levelno)
        except Exception as exc:  # pragma: no cover - defensive
            _diagnostics.report("append", f"{type(exc).__name__}: {exc}")

    def _append_locked(self, line: bytes, levelno: int) -> bool:
        """Append under the lock, waiting for room if the policy says so.

        Returns False when the record was not appended: dropped (counted per level, noted in
        the stream by the writer), or written synchronously because the pipeline was shut down
        meanwhile.

        ``policy="block"`` waits while waiting can help: at most ``block_timeout`` when set,
        and never once the writer cannot make room, i.e. when every sink is failing, when the
        writer has been stuck in one write for ``writer.STALL`` seconds (a destination that
        takes nothing), when the pipeline is shut down, or when the interpreter is exiting
        (no writer runs then).
        """
        needed = len(line)
        with self._cond:
            if self.closed or self._sync:
                # Shut down (SIGTERM's flush, atexit) or switched to sync mode while this caller
                # waited for the lock: written now, as every record after shutdown() is. In the
                # buffer it would wait for a drain that may never come: lost, uncounted.
                self._write_now(line)
                return False
            if self._fits(needed):
                self._add(line, levelno)
                return True
            if (
                self._drop_policy
                or self._stalled
                or needed > self._capacity  # could never fit (truncation keeps lines within)
                or threading.get_ident() == self._writer_ident  # a sink that logs cannot wait
                or self._writer_stuck()
                or sys.is_finalizing()
            ):
                self._count_drop(levelno)
                return False
            start = time.monotonic()
            timeout = self.settings.block_timeout
            deadline = None if timeout is None else start + timeout
            accounts = self._accounts
            accounts.blocked += 1
            try:
                while True:
                    if self._closed or self._sync:
                        # Shut down (or switched to sync mode) while we waited: written now, as
                        # above. Checked before _fits, whose room (made by the final drain) is
                        # that of a buffer nobody drains any more.
                        self._write_now(line)
                        return False
                    if self._fits(needed):
                        break
                    if self._stalled or self._writer_stuck() or sys.is_finalizing():
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
                    if wake.deferred:  # a signal's shutdown while we wait: a safe point
                        wake.run_deferred()
                self._add(line, levelno)
                return True
            finally:
                accounts.blocked_seconds += time.monotonic() - start

    def _add(self, line: bytes, levelno: int) -> None:
        """Append *line* to the block being filled, once ``_fits`` said it does; lock held.
        Then restore the limit, and at wake_bytes wake the writer: here, under the lock, since
        the limit is only stored under it (see ``_wake_writer``)."""
        out = self.appender
        buf = out.buf
        buf += line
        out.count()
        del buf  # the writer's swap waits for holders of a block (buffer.take)
        if (
            levelno < out.slow_level
            and not self._signaled
            and len(out.buf) + self._sealed_bytes >= self._wake_bytes
        ):
            self._wake_writer()  # which restores the limit, past wake_bytes
        else:
            self._update_limit()  # the one _fits lowered (or the writer, while being woken)

    def _fits(self, needed: int) -> bool:
        """Whether *needed* more bytes fit now, starting a new block if this one is full. Lock
        held.

        When they fit, the caller appends them next (``_add``, which restores the limit) and
        lock-free appends wait until then (limit -1): the lock does not stop them, and one that
        took the room after this check (a thread switch before the caller's append) put that
        line past capacity.
        """
        out = self.appender
        if len(out.buf) + needed > buffer.BLOCK and out.buf:
            self._seal()
        out.limit = -1
        if len(out.buf) + needed <= self._room:
            return True
        self._update_limit()
        return False

    def _seal(self) -> None:
        """Queue the block being filled and start the next. Lock held.

        A caller that read the old block just before this may still append to it:
        ``buffer.take`` sees that.
        """
        out = self.appender
        # Until _update_limit below, appends take the slow path, which waits for this lock (as
        # in Writer._take). The limit is the room of the block being filled: left in place, a
        # lock-free append after a thread switch here went into the new block against the old
        # block's limit (up to a block past capacity), or into the old one after its size was
        # counted.
        out.limit = -1
        buf = out.buf
        self._sealed.append(buf)
        self._sealed_bytes += len(buf)
        out.buf = buffer.new_block()
        del buf
        self._update_limit()

    def _count_drop(self, levelno: int) -> None:
        """Count one dropped record, without a lock, and wake the writer if nobody has (which
        takes the lock, once per writer cycle)."""
        self._accounts.count_drop(levelno)
        if not self._signaled and not self._stalled and not wake.depth():
            # Full before wake_bytes (wake_bytes >= the room left): the record that would have
            # woken the writer is this one. Not when every sink is failing (the writer's retry
            # backoff decides then; waking it would only cycle it), nor from inside fastlog's
            # slow path (a signal handler: see _wake_writer).
            self._wake_writer()

    def _write_now(self, line: bytes) -> None:
        """``sync`` mode and closed pipelines: deliver in the caller's thread."""
        with self._lock:
            if (
                self.appender.buf or self._sealed
            ):  # a lock-free append raced a switch to sync/closed
                self._take_and_deliver(final=True, hold=True)
            self._taken += len(line)
            self.appender.count()
            self._delivery.deliver([line], force=False)
            if self.appender.buf:  # logged from inside that write (a sink or signal handler)
                self._take_and_deliver(final=True, hold=True)  # once: a sink logging per write
            if not self._delivery.failing():  # cannot loop here forever
                self._done = self._taken
