"""What a pipeline's parts share: its state, declared in one place, and the buffer's limit.

``Pipeline`` is assembled from parts that each own one job and live in their own module:
``Writer`` (the thread, taking and delivering batches, flush), ``Backpressure`` (the callers'
slow path: block or drop when the buffer is full), and the collaborators ``Appender`` (the
callers' hot path), ``Delivery`` (sinks, retries, per-sink options) and ``Accounting``
(counters). They share the state below; only the pipeline's lock guards it, and only the slow
paths and the writer take that lock.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from .. import _sampling
from .._presets import Settings
from . import buffer
from .accounting import Accounting
from .appender import AppenderType
from .delivery import Delivery
from .wake import Wake

if TYPE_CHECKING:
    from .buffer import BufferBlock, Data


class State:
    """The pipeline's state (see the module docstring), in slots: the slow paths and the writer
    read several of these per record."""

    __slots__ = (
        "_accounts",
        "_busy_since",
        "_capacity",
        "_closed",
        "_closing",
        "_cond",
        "_cycles",
        "_delivery",
        "_done",
        "_drop_policy",
        "_failing",
        "_flush_wanted",
        "_fsync_error",
        "_fsync_target",
        "_in_flight",
        "_in_flight_bytes",
        "_lock",
        "_lock_free",
        "_room",
        "_sampler",
        "_schema",
        "_sealed",
        "_sealed_bytes",
        "_signaled",
        "_stalled",
        "_stopping",
        "_sync",
        "_synced",
        "_taken",
        "_thread",
        "_wake",
        "_wake_bytes",
        "_writer_ident",
        "appender",
        "name",
        "preset",
        "settings",
    )

    name: str
    settings: Settings
    preset: str | None  # the preset named at configure time (drop notes name it), or None
    appender: AppenderType  # the callers' side: the block being filled, the hot path's limits
    _accounts: Accounting
    _delivery: Delivery
    _lock: threading.RLock  # reentrant: a signal handler may log while we hold it
    _cond: threading.Condition
    _wake: Wake
    _thread: threading.Thread | None
    _writer_ident: int | None
    # Full blocks waiting for the writer, oldest first (the appender's block is being filled),
    # and a block the writer could not take whole (see buffer.take).
    _sealed: list[BufferBlock]
    _sealed_bytes: int
    _in_flight: list[Data]  # the batch being delivered
    _in_flight_bytes: int
    _busy_since: float  # when the writer's delivery in progress began (0.0: none)
    _capacity: int
    _room: int  # bytes the block being filled may grow to now
    _wake_bytes: int
    _lock_free: bool  # the hot path may append without the lock
    _signaled: bool  # the writer has been woken since its last cycle
    _taken: int  # bytes the writer has moved out of the buffer, cumulative
    _done: int  # bytes of _taken delivered to every sink (or given up on)
    _cycles: int
    _failing: bool  # some sink holds data back after a failed write
    _stalled: bool  # every sink does, or the writer is stuck in a write: waiting cannot help
    _flush_wanted: bool
    _fsync_target: int  # fsync once everything up to this byte count is written
    _synced: int  # bytes of _taken known to be fsynced
    _fsync_error: bool  # the last fsync attempt failed
    _stopping: bool
    _closing: bool  # shutdown() or a switch to sync mode is draining the buffer
    _closed: bool
    _sync: bool
    _drop_policy: bool
    _schema: Any  # a platform schema (_schemas.Schema) or None
    _sampler: _sampling.Sampler | None

    @property
    def closed(self) -> bool:
        """True after ``shutdown()``; appends are then written synchronously."""
        return self._closed

    def _reset_state(self) -> None:
        """Fresh buffer, locks and counters: at creation and in a forked child."""
        out = self.appender
        out.buf = buffer.new_block()
        out.appended = 0  # a forked child counts its own records
        self._accounts.reset()
        self._in_flight = []
        self._in_flight_bytes = 0
        self._busy_since = 0.0
        self._sealed = []
        self._sealed_bytes = 0
        # Reentrant: a signal handler that logs while this thread is in the slow path (holding
        # the lock) must not deadlock. Only the slow paths and the writer ever take it.
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        old = getattr(self, "_wake", None)
        if old is not None:  # a forked child: the parent's pipe is not ours to share
            old.close()
        self._wake = Wake()
        self._signaled = False
        self._taken = 0
        self._done = 0
        self._cycles = 0
        self._failing = False
        self._stalled = False
        self._flush_wanted = False
        self._fsync_target = 0
        self._synced = 0
        self._fsync_error = False
        self._stopping = False
        self._closing = False
        self._closed = False
        self._writer_ident = None
        self._thread = None
        self._delivery.reset()

    def _update_limit(self) -> None:
        # _room: bytes the buffer may grow to now (capacity less what the writer holds: the
        # batch in flight, blocks taken but not yet free, a failing sink's backlog).
        # The appender's limit: what the lock-free hot path compares against. It is -1 when
        # appends must go through the slow path: sync mode, closed pipelines, and interpreters
        # without a GIL, where ``bytearray += bytes`` is not guaranteed atomic.
        # Backpressure applies when every sink is holding data back; while one sink is
        # healthy the others' backlogs are bounded by Delivery instead.
        # Until the writer has been woken, the limit also stops at wake_bytes: the append that
        # crosses it takes the slow path, which wakes the writer. That keeps the wake-up
        # check off the hot path (~40 ns per record, bench_core.py).
        # The limit is about the block being filled: what the full blocks hold counts as held,
        # and the limit stops at buffer.BLOCK.
        held = self._delivery.held() + self._in_flight_bytes + self._sealed_bytes
        self._room = self._capacity - held
        self._lock_free = buffer.GIL_ENABLED and not (self._sync or self._closed or self._closing)
        if not self._lock_free:
            self.appender.limit = -1
        elif self._signaled:
            self.appender.limit = min(self._room, buffer.BLOCK)
        else:
            self.appender.limit = min(
                self._room, buffer.BLOCK, self._wake_bytes - self._sealed_bytes
            )
