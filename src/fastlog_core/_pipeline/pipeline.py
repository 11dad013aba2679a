"""The pipeline: one bounded buffer, one writer thread, one or more sinks.

Callers append encoded lines through the pipeline's ``appender`` to the block being filled;
full blocks are queued. The writer thread takes everything that has accumulated and hands it
to the sinks in one call (``writev`` where the sink has it). No lock is taken on the callers'
common path. See ``docs/architecture.md`` for the diagram and the reasoning; each part lives in
a module named for it:

- ``appender``: the callers' hot path (C, with a Python twin);
- ``buffer``: the blocks, and taking them without a copy;
- ``backpressure``: the callers' slow path, block or drop;
- ``writer``: the thread, its cycle, flush;
- ``delivery`` and ``per_sink``: sinks, retries and backoff, per-sink level and encoder;
- ``backlog``: what a failing sink owes, and the note telling what it gave up;
- ``accounting``: drops, drop notes, stats;
- ``wake``: the signal-safe wake-up and re-entrancy marker.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson

from .. import _diagnostics, _encoders, _sampling
from .._levels import NO_LEVEL
from .._presets import Settings
from .._sinks import Sink
from ..exceptions import ConfigError
from . import buffer
from .accounting import Accounting, PipelineStats, SinkStats, records
from .appender import AppenderType, new_appender
from .backpressure import Backpressure
from .delivery import Delivery
from .per_sink import SinkOptions


class Pipeline(Backpressure):
    """One destination's buffer and writer. Thread-safe; see the module docstring."""

    __slots__ = ("__weakref__",)

    def __init__(
        self,
        sinks: Sequence[Sink],
        settings: Settings,
        *,
        name: str,
        sink_options: Sequence[SinkOptions | None] = (),
        preset: str | None = None,
    ) -> None:
        if not sinks:
            raise ValueError("a pipeline needs at least one sink")
        self.name = name
        self.preset = preset
        options = list(sink_options) + [None] * (len(sinks) - len(sink_options))
        self._accounts = Accounting()
        self._delivery = Delivery(sinks, options, self._accounts)
        #: The callers' side: ``emit(record, levelno)`` and ``append(line, levelno)``; the one
        #: append path of every adapter (see appender.py). Stable for the pipeline's life.
        self.appender: AppenderType = new_appender(
            self._append_slow,
            _encoders.json.dumps,
            _encoders.json.default,
            _encoders.json.OPTIONS,
            _encoders.json.encode_rejected,
        )
        self._thread = None
        self._reset_state()
        self._apply(settings)
        if not settings.sync:
            self._start_writer()

    def _apply(self, settings: Settings) -> None:
        self.settings = settings
        self._capacity = settings.capacity
        self._wake_bytes = settings.wake_bytes
        out = self.appender
        out.max_record = settings.max_record_bytes
        out.slow_level = NO_LEVEL if settings.fsync_level is None else settings.fsync_level
        self._sync = settings.sync
        self._drop_policy = settings.policy == "drop"
        delivery = self._delivery
        delivery.capacity = settings.capacity
        # The static fields, encoded once: every JSON line gets these bytes (appender.py).
        out.suffix = b"".join(
            b"," + orjson.dumps(key) + b":" + text.encode() for key, text in settings.static_fields
        )
        for slot in delivery.slots:
            slot.configure(settings.format, settings.colors, out.suffix)
        self._schema = None
        if settings.schema != "default":
            from .. import _schemas

            schema = settings.schema
            self._schema = _schemas.resolve_schema(
                dict(schema) if isinstance(schema, tuple) else schema
            )
        delivery.level_key = "level" if self._schema is None else self._schema.level_key
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
        out.special = self._schema is not None or self._sampler is not None
        self._update_limit()

    # -- what adapters use -------------------------------------------------------------------

    @property
    def special(self) -> bool:
        """True when the pipeline samples or applies a schema: adapters then ask ``keep()``
        before building a record and ``shape()`` before encoding it."""
        return self.appender.special

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

    def append(self, line: bytes, levelno: int) -> None:
        """Queue one encoded line (with its newline). Never raises."""
        self.appender.append(line, levelno)

    @property
    def sinks(self) -> list[Sink]:
        return [slot.sink for slot in self._delivery.slots]

    @property
    def sink_options(self) -> list[SinkOptions]:
        return [slot.options for slot in self._delivery.slots]

    # -- shutdown and reconfiguration --------------------------------------------------------

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Flush, stop the writer, close the sinks. Later appends are written synchronously.

        Returns True when everything was written. Returns False when something could not be:
        a failing destination, or a writer still stuck in a write when *timeout* (in seconds,
        for the whole call) ran out, e.g. on a FIFO nobody reads. What was not written is
        counted as ``lost`` then, the batch the stuck writer holds included, so that
        ``stats()`` adds up (records sent = written + dropped + lost) when this returns; it
        is reported on stderr. Records logged later to a pipeline whose writer was given up
        on are counted as lost too, rather than written into the stuck destination.
        """
        if self._closed:
            # Closed already; lines a sink logged during the last synchronous write wait in
            # the buffer: one more write for them, the rest is counted.
            with self._lock:
                if self.appender.buf or self._sealed:
                    self._take_and_deliver(final=True, hold=True)
                return self._count_leftovers() == 0 and not self._delivery.abandoned
        deadline = time.monotonic() + timeout
        with self._lock:
            stuck = self._writer_stuck()
        if not self._sync and not stuck:  # a writer stuck for writer.STALL: no use waiting
            self.flush(timeout=timeout)
        with self._lock:
            self._closing = True  # from now on every append takes the lock
            self._update_limit()
            self._delivery.closing()
            # What flush left of the timeout (a writer stuck in one write for writer.STALL
            # seconds is not waited for again); a moment at least, for an idle writer to wake.
            left = 0.0 if self._writer_stuck() else deadline - time.monotonic()
        stopped = self._stop_writer(max(left, min(timeout, 0.1)), report=False)
        with self._lock:
            if stopped:
                self._take_and_deliver(final=True, hold=True)
            leftover_lines = self._count_leftovers(abandon=not stopped)
            self._closed = True
            self._closing = False
            self._update_limit()
            if stopped:
                self._wake.close()  # appends are synchronous from now on: no writer to wake
                self._delivery.flush_sinks(fsync=False)
                if not self._delivery.close():
                    leftover_lines += 1  # a network sink could not deliver them all
            # else the writer is stuck inside a sink: a sink's flush or close could wait on
            # that write (a stream's lock), so they are left to the writer, should it return.
            self._cond.notify_all()
        return leftover_lines == 0

    def _count_leftovers(self, *, abandon: bool = False) -> int:
        """Count what is still buffered or held for a failing sink as lost (lock held); with
        *abandon* (the writer is stuck in a write), the batch it holds too.

        Returns non-zero when anything was left unwritten (a drop note too)."""
        blocks = [*self._sealed, self.appender.buf]
        never_delivered = sum(block.count(b"\n") for block in blocks)
        if never_delivered:  # never reached any sink: lost for each of them
            self._taken += sum(map(len, blocks))
            for block in blocks:
                buffer.clear(block)
            self._sealed = []
            self._sealed_bytes = 0
        in_flight = self._in_flight
        if abandon:
            # The stuck writer holds this batch; from now on it is counted here, not as in
            # flight (the writer's own reference to the list is all it keeps).
            self._in_flight = []
            self._in_flight_bytes = 0
        lost, unwritten = self._delivery.give_up(never_delivered, in_flight, abandon=abandon)
        told = []  # one report: they are rate-limited per kind
        if abandon:
            unwritten += 1  # whatever the stuck write was doing, it did not finish
            told.append("its writer is stuck in a write and was given up on")
        if lost:
            self._accounts.lost += lost
            told.append(f"{lost} records could not be written")
        accounts = self._accounts
        if accounts.unnoted():  # the writer never got to write the note of these drops
            unwritten += 1
            drops = sum(accounts.drops().values()) - sum(accounts.drops_noted.values())
            told.append(f"{drops} dropped records could not be noted in the stream")
        if told:
            _diagnostics.report("shutdown", f"{self.name}: {'; '.join(told)}")
        return unwritten

    def reconfigure(self, settings: Settings, preset: str | None = None) -> None:
        """Apply new settings to a live pipeline (``configure()`` called again); *preset* is
        the preset named for them, if any."""
        self.preset = preset
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

    def replace_sinks(
        self, sinks: Sequence[Sink], sink_options: Sequence[SinkOptions]
    ) -> list[Sink]:
        """Give a live pipeline new sink objects or options for the same destinations
        (``configure()`` with new rotation, level or encoder). Returns the sinks no longer used,
        for the caller to close.

        Everything appended before is delivered to the old sinks first: the writer is stopped,
        the buffer drained, the sinks swapped, the writer started again. Their counters and
        what a failing sink still owes stay with the destination.

        Raises:
            ConfigError: if the writer could not be stopped (stuck in a sink's write).
        """
        if len(sinks) != len(self._delivery.slots):
            raise ValueError("replace_sinks: one sink per destination of the pipeline")
        writer = not self._sync and not self._closed
        if writer:
            self.flush(timeout=5.0)
            with self._lock:
                self._closing = True  # appends take the lock while the writer is away
                self._update_limit()
        stopped = self._stop_writer(5.0) if writer else True
        old: list[Sink] = []
        with self._lock:
            try:
                if not stopped:
                    raise ConfigError(
                        f"sink={self.name!r}: its writer is stuck in a write for more than 5 s; "
                        "the sinks cannot be changed now"
                    )
                if writer:
                    self._take_and_deliver(final=True, hold=True)
                    self._thread = None
                for slot, sink, options in zip(
                    self._delivery.slots, sinks, sink_options, strict=True
                ):
                    if slot.sink is not sink:
                        old.append(slot.sink)
                        slot.sink = sink
                        slot.closed = False  # a new sink object: written to again
                    slot.options = options
                    slot.level = options.level
                    slot.configure(self.settings.format, self.settings.colors, self.appender.suffix)
                    self._delivery.rerender(slot)  # what a failing sink owes, in its new form
            finally:
                self._stopping = False
                self._closing = False
                self._update_limit()
        self._ensure_writer()
        return old

    # -- fork and stats ----------------------------------------------------------------------

    def after_fork_child(self) -> None:
        """In a forked child: drop the parent's pending records, start a writer of our own."""
        self._reset_state()
        self._update_limit()
        self._delivery.after_fork()
        if not self._sync:
            self._start_writer()

    def stats(self) -> PipelineStats:
        """Counters; exact whenever the pipeline is idle (e.g. after ``flush()``).

        Records are counted as they enter the buffer and the lines still queued are counted
        here, so this call scans at most ``capacity`` bytes.
        """
        with self._lock:
            out = self.appender
            in_flight = sum(map(records, list(self._in_flight)))
            sealed = sum(block.count(b"\n") for block in self._sealed)
            queued = out.buf.count(b"\n") + sealed
            taken = out.appended - queued - in_flight
            slots = self._delivery.slots
            # What a sink holds back after a failed write; a healthy sink's backlog is the
            # batch being written to it, counted as in flight.
            held = [slot.pending if slot.failing else None for slot in slots]
            sinks: list[SinkStats] = []
            network_lost = 0
            for slot, backlog in zip(slots, held, strict=True):
                one: SinkStats = {
                    "sink": repr(slot.sink),
                    "records_written": taken
                    - (backlog.records() if backlog is not None else 0)
                    - slot.lost
                    - slot.filtered,
                    "filtered": slot.filtered,
                    "lost": slot.lost,
                    "bytes_written": slot.written,
                    "errors": slot.errors,
                    "pending_bytes": len(backlog) if backlog is not None else 0,
                    "failing": backlog is not None,
                }
                delivered = getattr(slot.sink, "delivery_stats", None)
                if delivered is not None:
                    # A network sink: what it lost after the writer handed it over is lost,
                    # not written (records sent = written + dropped + lost still holds).
                    one["delivery"] = delivered()
                    one["records_written"] -= one["delivery"]["lost"]
                    one["lost"] += one["delivery"]["lost"]
                    network_lost += one["delivery"]["lost"]
                sinks.append(one)
            accounts = self._accounts
            dropped = accounts.dropped_by_name()
            held_bytes = sum(s["pending_bytes"] for s in sinks)
            queued = len(out.buf) + sum(map(len, self._sealed)) + held_bytes
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
                "high_water_bytes": max(accounts.high_water, len(out.buf)),
                "blocked": accounts.blocked,
                "blocked_seconds": accounts.blocked_seconds,
                "truncated": accounts.truncated,
                "lost": accounts.lost + network_lost,
                "sampled": sampled,
                "sampled_by_level": sampled_by_level,
                "rate_limited": rate_limited,
                "sinks": sinks,
            }
