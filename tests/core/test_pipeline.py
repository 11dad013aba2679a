"""The buffer and writer: ordering under threads, batching, backpressure, failures, flush."""

from __future__ import annotations

import errno
import os
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import orjson
import pytest

import fastlog_core
from fastlog_core import FileSink, Pipeline, Settings
from tests.helpers import MemorySink, VectorSink, finishes, read_lines, run_threads, wait_until


@pytest.fixture(autouse=True, params=["C", "Python+Block", "Python+bytearray"])
def append_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs on each append path: the C ``Appender`` with ``Block``s (the
    speedups), the Python twin with ``bytearray`` blocks (``FASTLOG_NO_SPEEDUPS=1``), and the
    Python twin with ``Block``s (its stragglers on the blocks the C path allocates)."""
    from fastlog_core._pipeline import appender, buffer, pipeline

    if request.param == "Python+bytearray":
        monkeypatch.setattr(buffer, "new_block", bytearray)
    else:
        pytest.importorskip("fastlog_core._speedups")
        assert type(buffer.new_block()).__name__ == "Block"
    if request.param == "C":
        assert type(pipeline.new_appender(*[None] * 5)).__module__ == "fastlog_core._speedups"
    else:
        monkeypatch.setattr(pipeline, "new_appender", appender.Appender)
    return str(request.param)


def pipeline_logger(sink: Any, **options: Any) -> tuple[fastlog_core.Logger, Pipeline]:
    route = fastlog_core.route(sink, **({"preset": "balanced"} | options))
    return fastlog_core.Logger("t", route), route.pipeline


class TestThreads:
    def test_four_threads_exact_count_and_per_thread_order(self, log_path: Path) -> None:
        """4 threads x 250k records: exactly 1M valid lines, each thread's order kept."""
        fastlog_core.configure(sink=str(log_path))
        log = fastlog_core.get_logger("mt")
        per_thread = 250_000

        def body(tid: int) -> None:
            info = log.info
            for seq in range(per_thread):
                info("r", tid=tid, seq=seq)

        run_threads(body, 4)
        assert fastlog_core.flush(timeout=60)
        next_seq = [0, 0, 0, 0]
        count = 0
        with open(log_path, "rb") as f:
            for line in f:
                record = orjson.loads(line)
                tid = record["tid"]
                assert record["seq"] == next_seq[tid], "a thread's records out of order"
                next_seq[tid] += 1
                count += 1
        assert count == 1_000_000
        assert next_seq == [per_thread] * 4
        stats = fastlog_core.stats()
        assert stats["records_written"] == 1_000_000
        assert stats["dropped"] == 0
        assert stats["bytes_written"] == log_path.stat().st_size

    def test_batches_are_large(self, log_path: Path) -> None:
        """The writer issues few writes: many records per write call."""
        sink = MemorySink()
        log, pipeline = pipeline_logger(sink)
        for i in range(20_000):
            log.info("r", i=i)
        assert pipeline.flush(timeout=10)
        assert len(sink.lines()) == 20_000
        assert len(sink.writes) < 20_000 / 100, len(sink.writes)
        assert all(w.endswith(b"\n") for w in sink.writes), "a write ended mid-line"


def one_large_batch(sink: Any) -> Pipeline:
    """20,000 records (~3 MiB) logged within one writer cycle, then flushed."""
    log, pipeline = pipeline_logger(sink, flush_interval=60, wake_bytes="64 MiB")
    for i in range(20_000):
        log.info("r", i=i, pad="p" * 100)
    assert pipeline.flush(timeout=10)
    return pipeline


class TestBufferHandOff:
    """How a batch leaves the buffer: without a copy, in blocks, past callers still in it."""

    def test_the_writer_takes_the_buffer_itself(self) -> None:
        """The sink receives the very bytearray the callers appended to: no copy of the batch."""
        sink = VectorSink()
        log, pipeline = pipeline_logger(sink, flush_interval=60)
        for i in range(100):
            log.info("r", i=i)
        queued = id(pipeline.appender.buf)  # alive until delivered: the id cannot be reused before
        assert pipeline.flush(timeout=10)
        assert sink.part_ids == [queued]
        assert [r["i"] for r in sink.lines()] == list(range(100))

    def test_a_large_batch_arrives_in_whole_line_blocks(self) -> None:
        """~3 MiB in one cycle: one writev of blocks of about 256 KiB, lines whole, in order."""
        from fastlog_core._pipeline.buffer import BLOCK as _BLOCK

        sink = VectorSink()
        pipeline = one_large_batch(sink)
        assert len(sink.batches) == 1
        parts = sink.batches[0]
        assert len(parts) >= 3 * 2**20 // _BLOCK
        assert all(part.endswith(b"\n") for part in parts)
        assert all(len(part) <= _BLOCK + 200 for part in parts)  # a record may end a block
        assert [r["i"] for r in sink.lines()] == list(range(20_000))
        stats = pipeline.stats()
        assert stats["records_written"] == 20_000
        assert stats["queued_bytes"] == 0
        assert pipeline._sealed == []

    def test_a_sink_without_writev_gets_joined_writes_of_at_most_1_mib(self) -> None:
        from fastlog_core._pipeline.buffer import BLOCK as _BLOCK
        from fastlog_core._pipeline.delivery import JOIN as _JOIN

        sink = MemorySink()
        one_large_batch(sink)
        assert len(sink.writes) >= 3
        assert all(len(w) <= _JOIN for w in sink.writes[:-1])
        assert all(len(w) > _JOIN - _BLOCK - 200 for w in sink.writes[:-1])
        assert [r["i"] for r in sink.lines()] == list(range(20_000))

    def test_a_write_failing_between_joined_writes_resumes_after_what_was_written(self) -> None:
        """The first 1 MiB went out, the second write failed: the retry starts right after."""
        sink = MemorySink(fail_after=1, fail_times=1, error=errno.EIO)
        pipeline = one_large_batch(sink)  # its flush waits for the retry after the backoff
        assert sink.attempts >= 3
        assert [r["i"] for r in sink.lines()] == list(range(20_000))
        stats = pipeline.stats()
        assert stats["records_written"] == 20_000
        assert stats["errors"] == 1

    def test_a_caller_still_holding_the_old_buffer(self) -> None:
        """A caller that read ``_buf`` before the writer's swap and appends after it.

        Holding the reference here stands for a caller preempted (or interrupted by a signal
        handler) between reading the buffer and appending to it. The writer cannot wait for
        it forever: it copies out what is there, and takes the rest on a later cycle, before
        anything queued after it.
        """
        sink = VectorSink()
        log, pipeline = pipeline_logger(sink, flush_interval=60)
        log.info("a")
        held = pipeline.appender.buf
        assert pipeline.flush(timeout=10)  # waited (~1 ms) for the holder, not for ever
        assert [r["message"] for r in sink.lines()] == ["a"]
        assert pipeline._sealed == [held]  # kept: the holder may still append
        held += b'{"message":"b"}\n'  # the straggler's append, as the hot path does it
        pipeline.appender.count()
        del held
        log.info("c")
        assert pipeline.flush(timeout=10)
        assert [r["message"] for r in sink.lines()] == ["a", "b", "c"]
        assert pipeline._sealed == []
        stats = pipeline.stats()
        assert stats["records_written"] == 3
        assert stats["queued_bytes"] == 0


class TestFlush:
    def test_flush_waits_for_everything_before(self, log_path: Path) -> None:
        """After flush() returns, every earlier record is in the file."""
        fastlog_core.configure(sink=str(log_path), flush_interval=60)
        log = fastlog_core.get_logger()
        for i in range(1000):
            log.info("r", i=i)
            if i % 250 == 249:
                assert fastlog_core.flush(timeout=10)
                assert len(read_lines(log_path)) == i + 1

    def test_flush_interval_writes_without_flush(self, log_path: Path) -> None:
        """A record is written within the flush interval even if nobody flushes."""
        fastlog_core.configure(sink=str(log_path), flush_interval=0.05)
        fastlog_core.get_logger().info("soon")
        wait_until(lambda: log_path.stat().st_size, message="the record written without flush()")
        assert [r["message"] for r in read_lines(log_path)] == ["soon"]

    def test_flush_timeout_on_stalled_sink(self) -> None:
        """flush(timeout) returns False while the destination hangs, then True after."""
        sink = MemorySink()
        log, pipeline = pipeline_logger(sink)
        sink.gate.clear()
        log.info("stuck")
        flushed = finishes(lambda: pipeline.flush(timeout=0.2), message="flush(timeout=0.2)")
        assert flushed is False
        sink.gate.set()
        assert pipeline.flush(timeout=10) is True
        assert [r["message"] for r in sink.lines()] == ["stuck"]

    def test_failed_fsync_is_not_success(self, log_path: Path) -> None:
        """durable: when fsync fails, flush(fsync=True) says so, and it is retried."""

        class NoSync(MemorySink):
            attempts = 0

            def fsync(self) -> None:
                NoSync.attempts += 1
                raise OSError(errno.EIO, "fsync failed")

        sink = NoSync()
        fastlog_core.configure(sink=sink, preset="durable")
        pipeline = fastlog_core.get_pipeline(sink)
        fastlog_core.get_logger().error("must be durable")
        assert pipeline.flush(timeout=5, fsync=True) is False
        assert NoSync.attempts >= 2
        assert b"must be durable" in sink.data


def stuck_pipeline() -> tuple[MemorySink, fastlog_core.Logger, Pipeline]:
    """policy=drop, 64 KiB, and a writer hanging in its first write: nothing drains until
    ``sink.gate.set()``."""
    sink = MemorySink()
    log, pipeline = pipeline_logger(
        sink, preset="fastest", capacity=64 * 1024, max_record_bytes=4096, wake_bytes=64 * 1024
    )
    sink.gate.clear()
    log.info("first")
    assert sink.started.wait(timeout=30), "the writer never started its first write"
    return sink, log, pipeline


class TestBackpressure:
    def test_drop_counts_exactly_and_notes_the_gap(self) -> None:
        """With drop, a full buffer drops records, counts each by level, and says so in-stream."""
        sink, log, pipeline = stuck_pipeline()
        sent = 5000
        for i in range(sent):
            (log.info if i % 2 else log.warning)("r", i=i, pad="x" * 100)
        stats = pipeline.stats()
        assert stats["dropped"] > 0
        sink.gate.set()
        assert pipeline.flush(timeout=10)
        lines = sink.lines()
        notes = [r for r in lines if r["logger"] == "fastlog"]
        records = [r for r in lines if r["logger"] == "t" and r["message"] == "r"]
        stats = pipeline.stats()
        assert len(records) + stats["dropped"] == sent
        assert stats["records_written"] == len(records) + 1  # + "first"; the note is no record
        assert sum(stats["dropped_by_level"].values()) == stats["dropped"]
        assert set(stats["dropped_by_level"]) == {"info", "warning"}
        assert len(notes) == 1
        assert notes[0]["dropped"] == stats["dropped"]
        assert notes[0]["dropped_by_level"] == stats["dropped_by_level"]
        assert notes[0]["level"] == "warning"
        assert (
            notes[0]["message"] == f"{stats['dropped']} records dropped: buffer full (policy=drop)"
        )
        assert notes[0]["preset"] == "fastest"  # the preset named at configure time
        assert set(notes[0]) == {
            "timestamp", "level", "logger", "message", "dropped", "dropped_by_level", "preset",
        }  # fmt: skip
        kept = [r["i"] for r in records]
        assert kept == sorted(kept)

    def test_a_drop_note_names_no_preset_when_none_was_named(self) -> None:
        """``policy="drop"`` without a preset: the note has no ``preset`` field; a preset named
        again later (configure() called again) is the next note's."""
        sink = MemorySink()
        route = fastlog_core.route(
            sink, policy="drop", capacity=64 * 1024, max_record_bytes=4096, wake_bytes=64 * 1024
        )
        log, pipeline = fastlog_core.Logger("t", route), route.pipeline
        assert pipeline.preset is None
        for preset in (None, "fastest"):
            if preset is not None:
                pipeline.reconfigure(pipeline.settings, preset)
            sink.gate.clear()
            log.info("first")
            wait_until(sink.started.is_set, message="the writer never started its write")
            dropped = pipeline.stats()["dropped"]
            while pipeline.stats()["dropped"] == dropped:
                log.info("r", pad="x" * 100)
            sink.gate.set()
            assert pipeline.flush(timeout=10)
            notes = [r for r in sink.lines() if r["logger"] == "fastlog"]
            assert notes[-1]["message"].endswith("records dropped: buffer full (policy=drop)")
            assert notes[-1].get("preset") == preset
            sink.started.clear()

    def test_flush_returns_once_every_drop_before_it_is_noted(self) -> None:
        """Records dropped while the buffer was empty (the writer holds the whole capacity in
        flight) are noted in the stream by the time flush() returns, not at a later cycle."""
        sink = MemorySink()
        cap = 64 * 1024
        log, pipeline = pipeline_logger(
            sink,
            preset="fastest",
            capacity=cap,
            max_record_bytes=4096,
            wake_bytes=cap,
            flush_interval=30,
        )
        sink.gate.clear()
        pad = "x" * 150
        for i in range(cap // 100):  # fills the buffer; the first drop wakes the writer
            log.info("r", i=i, pad=pad)
            if sink.started.is_set():
                break
        wait_until(sink.started.is_set, message="the writer never started its write")
        before = pipeline.stats()["dropped"]
        for i in range(100):  # the writer holds the capacity: each is dropped, none queued
            log.info("late", i=i, pad=pad)
        stats = pipeline.stats()
        assert stats["dropped"] == before + 100
        assert stats["queued_bytes"] == 0
        # The first late drop woke the writer for its next cycle (which notes them); take that
        # wake-up back, as if the writer had not been scheduled for it yet when flush() runs:
        # flush() must not rely on it.
        pipeline._wake.clear()
        sink.gate.set()
        wait_until(lambda: len(sink.writes) == 1, message="the held write never completed")
        assert pipeline.flush(timeout=10)
        notes = [r for r in sink.lines() if r["logger"] == "fastlog"]
        assert sum(note["dropped"] for note in notes) == stats["dropped"]

    def test_drops_from_four_threads_are_counted_exactly_per_level(self) -> None:
        """4 threads into a full buffer: every record written or counted, per level, and the
        in-stream notes add up to the same counts."""
        sink, log, pipeline = stuck_pipeline()
        per_thread = 20_000

        def body(tid: int) -> None:
            for i in range(per_thread):
                (log.info if i % 2 else log.warning)("r", tid=tid, i=i)

        run_threads(body, 4)
        sink.gate.set()
        assert pipeline.flush(timeout=10)
        lines = sink.lines()
        records = [r for r in lines if r["logger"] == "t" and r["message"] == "r"]
        stats = pipeline.stats()
        assert len(records) + stats["dropped"] == 4 * per_thread
        written = {"info": 0, "warning": 0}
        for r in records:
            written["info" if r["i"] % 2 else "warning"] += 1
        assert stats["dropped_by_level"] == {
            "info": 2 * per_thread - written["info"],
            "warning": 2 * per_thread - written["warning"],
        }
        noted: dict[str, int] = {}
        for note in (r for r in lines if r["logger"] == "fastlog"):
            for level, count in note["dropped_by_level"].items():
                noted[level] = noted.get(level, 0) + count
        assert noted == stats["dropped_by_level"]

    def test_a_drop_wakes_the_writer_when_the_buffer_filled_before_wake_bytes(self) -> None:
        """wake_bytes at capacity: the record that would cross it is the one dropped. It must
        wake the writer anyway, or records are dropped until flush_interval (30 s here)."""
        sink = MemorySink()
        log, pipeline = pipeline_logger(
            sink,
            preset="fastest",
            capacity=64 * 1024,
            wake_bytes=64 * 1024,
            max_record_bytes=4096,
            flush_interval=30,
        )
        i = 0
        while pipeline.stats()["dropped"] == 0:
            log.info("r", i=i, pad="x" * 100)
            i += 1
        # Well under flush_interval: a writer that slept through the drop would write at 30 s.
        wait_until(
            lambda: sink.writes, timeout=10, message="the writer slept through a full buffer"
        )
        assert [r["i"] for r in sink.lines() if r["logger"] == "t"] == list(range(i - 1))

    def test_a_full_buffer_drops_without_taking_the_lock(self) -> None:
        """Callers told no by a full buffer do not queue on the pipeline's lock: with the lock
        held elsewhere, a thread logging into the full buffer still returns at once."""
        sink, log, pipeline = stuck_pipeline()
        for i in range(2000):  # fill it
            log.info("fill", i=i, pad="x" * 100)
        dropped = pipeline.stats()["dropped"]
        assert dropped > 0
        with pipeline._lock:
            thread = threading.Thread(target=lambda: [log.info("late", i=i) for i in range(100)])
            thread.start()
            thread.join(timeout=10)
            assert not thread.is_alive()
        assert pipeline.stats()["dropped"] == dropped + 100
        sink.gate.set()
        assert pipeline.flush(timeout=10)

    def test_block_waits_and_loses_nothing(self) -> None:
        """With block, callers wait for room (counted) and every record arrives."""
        sink = MemorySink()
        log, pipeline = pipeline_logger(
            sink, capacity=16 * 1024, max_record_bytes=2048, wake_bytes=8 * 1024
        )
        sink.gate.clear()

        def release() -> None:
            try:
                wait_until(lambda: pipeline.stats()["blocked"], message="a caller waiting for room")
                time.sleep(0.2)  # the stall under test: the destination hangs while callers wait
            finally:
                sink.gate.set()

        releaser = threading.Thread(target=release)
        releaser.start()
        for i in range(2000):
            log.info("r", i=i, pad="y" * 50)
        releaser.join()
        assert pipeline.flush(timeout=10)
        assert [r["i"] for r in sink.lines()] == list(range(2000))
        stats = pipeline.stats()
        assert stats["dropped"] == 0
        assert stats["blocked"] > 0
        assert stats["blocked_seconds"] > 0.1
        assert stats["high_water_bytes"] <= 16 * 1024

    def test_block_timeout_drops_after_waiting(self) -> None:
        """block_timeout bounds the wait; what times out is counted as dropped."""
        sink = MemorySink()
        log, pipeline = pipeline_logger(
            sink, capacity=4096, max_record_bytes=2048, wake_bytes=4096, block_timeout=0.05
        )
        sink.gate.clear()
        log.info("first")
        assert sink.started.wait(timeout=30), "the writer never started its first write"

        def log_100() -> None:
            for i in range(100):
                log.info("r", i=i, pad="z" * 100)

        finishes(log_100, message="callers past block_timeout")  # each waits 0.05 s at most
        assert pipeline.stats()["dropped"] > 0
        sink.gate.set()
        assert pipeline.flush(timeout=10)
        written = [r for r in sink.lines() if r["logger"] == "t"]
        assert len(written) + pipeline.stats()["dropped"] == 101


class TestFailingSink:
    def test_fails_then_recovers_loses_nothing(self) -> None:
        """ENOSPC three times, then success: every record arrives once, in order."""
        sink = MemorySink(fail_times=3)
        log, pipeline = pipeline_logger(sink, flush_interval=0.01)
        for i in range(500):
            log.info("r", i=i)
        wait_until(lambda: len(sink.lines()) >= 500, message="the 500 records after the failures")
        assert pipeline.flush(timeout=10)
        assert [r["i"] for r in sink.lines()] == list(range(500))
        assert sink.attempts >= 4
        stats = pipeline.stats()
        assert stats["errors"] == 3
        assert stats["lost"] == 0
        assert fastlog_core.stats()["errors_by_kind"]["sink"] == 3

    def test_drops_into_a_failing_pipeline_leave_the_writer_to_its_backoff(self) -> None:
        """Every sink failing: the drops do not wake the writer (a drop wakes it only when a
        sink could take the batch), so it retries on its backoff, not once per wake-up."""
        sink = MemorySink(fail_times=10**9)
        log, pipeline = pipeline_logger(
            sink, capacity=64 * 1024, max_record_bytes=4096, flush_interval=1
        )
        for i in range(2000):  # fills the buffer; the first write fails
            log.info("fill", i=i, pad="x" * 100)
        wait_until(lambda: pipeline._stalled, message="the pipeline stalled on its failing sink")
        cycles, attempts = pipeline._cycles, sink.attempts
        for i in range(200_000):
            log.info("r", i=i)
        # 48 cycles in such a run when each drop re-woke the writer; its backoff allows ~5.
        assert pipeline._cycles - cycles <= 15
        assert sink.attempts - attempts <= 15
        assert pipeline.stats()["dropped"] >= 200_000

    @pytest.mark.parametrize("error", [errno.EACCES, errno.ENOSPC, errno.EBADF])
    def test_logging_keeps_returning_while_sink_fails(self, error: int) -> None:
        """A destination that keeps failing never raises into callers; overflow is counted."""
        sink = MemorySink(fail_times=10**9, error=error)
        log, pipeline = pipeline_logger(sink, capacity=32 * 1024, max_record_bytes=2048)

        def log_5000() -> None:
            for i in range(5000):
                log.info("r", i=i, pad="p" * 50)

        finishes(log_5000, message="logging into a failing sink")
        assert pipeline.flush(timeout=2) is False
        stats = pipeline.stats()
        assert stats["queued_bytes"] <= 32 * 1024 + 4096
        assert stats["dropped"] > 0
        assert stats["errors"] >= 1

    def test_dev_preset_on_failing_destination_stays_bounded(self) -> None:
        """dev (sync) on /dev/full: the backlog stays within capacity and calls stay quick."""
        if not os.path.exists("/dev/full"):
            pytest.skip("no /dev/full on this platform")
        fastlog_core.configure(
            sink="/dev/full", preset="dev", capacity=64 * 1024, max_record_bytes=4096
        )
        pipeline = fastlog_core.get_pipeline("/dev/full")
        log = fastlog_core.get_logger()

        def log_5000() -> None:
            for i in range(5000):
                log.info("r", i=i, pad="d" * 100)

        finishes(log_5000, message="logging in the caller's thread to /dev/full")
        stats = pipeline.stats()
        assert stats["queued_bytes"] <= 64 * 1024
        assert stats["lost"] > 0

    def test_closed_descriptor_heals(self, log_path: Path) -> None:
        """EBADF from a descriptor closed under the writer: reopened, nothing lost."""
        sink = FileSink(log_path)
        log, pipeline = pipeline_logger(sink)
        log.info("before")
        assert pipeline.flush(timeout=10)
        assert sink._fd is not None
        os.close(sink._fd)
        log.info("after")
        # The first attempt fails with EBADF, a retry heals.
        wait_until(lambda: pipeline.flush(timeout=1), message="recovery from EBADF")
        assert [r["message"] for r in read_lines(log_path)] == ["before", "after"]
        assert pipeline.stats()["errors"] == 1

    def test_dev_full_counts_loss_at_shutdown(self) -> None:
        """Writing to /dev/full: records stay buffered, shutdown counts them as lost."""
        if not os.path.exists("/dev/full"):
            pytest.skip("no /dev/full on this platform")
        log, pipeline = pipeline_logger("/dev/full")
        for i in range(10):
            log.info("r", i=i)
        assert pipeline.flush(timeout=2) is False
        assert pipeline.shutdown(timeout=1) is False
        stats = pipeline.stats()
        assert stats["lost"] == 10
        assert stats["errors"] >= 1


class TestStuckWriter:
    """A sink whose write does not return (a destination that takes nothing)."""

    def test_shutdown_gives_up_and_counts_the_stuck_batch(self) -> None:
        """shutdown() returns False within its timeout; the batch in the writer's hands counts
        as lost, so the stats add up; a record logged afterwards is counted, not written into
        the stuck sink; when the write returns after all, its records move to written."""
        sink = MemorySink()
        sink.gate.clear()
        log, pipeline = pipeline_logger(sink, flush_interval=0.01)
        for i in range(100):
            log.info("r", i=i)
        assert sink.started.wait(timeout=30), "the writer never started its write"
        for i in range(100, 150):  # these stay in the buffer
            log.info("r", i=i)
        start = time.monotonic()
        assert pipeline.shutdown(timeout=0.3) is False
        assert time.monotonic() - start < 2.0
        stats = pipeline.stats()
        assert (stats["records_written"], stats["dropped"], stats["lost"]) == (0, 0, 150)
        assert not sink.closed  # not closed under the write in progress
        finishes(lambda: log.info("after"), message="a record logged after the give-up")
        assert pipeline.stats()["lost"] == 151
        sink.gate.set()  # the write returns: the writer closes the sinks and ends
        wait_until(lambda: sink.closed, message="the writer closing the sinks once back")
        written = [r["i"] for r in sink.lines()]
        assert written == list(range(len(written))) and written
        stats = pipeline.stats()
        assert stats["records_written"] == len(written)
        assert stats["records_written"] + stats["lost"] == 151


class TestCapacityBound:
    """The buffer never holds more than ``capacity``, whatever the callers' interleaving."""

    @pytest.mark.parametrize("when", ["every line", "once _fits lets a line in"])
    def test_lock_free_appends_inside_a_slow_path_stay_within_capacity(self, when: str) -> None:
        """Another thread's lock-free append may run at any point of a caller's slow path: the
        GIL hands over between bytecodes, and the pipeline's lock does not stop the hot path.
        Here a trace function plays that thread, at every line of the slow path, or right
        after ``_fits`` has let the caller's line in (before the caller appends it): it
        appends through the real appender's hot path whatever its limit lets in at that
        moment, and counts what the buffer holds. That never passes capacity, and every
        record arrives once, in order.

        Before: sealing a block swapped in the next one before lowering the limit (the new
        block took the old one's limit, up to a block past capacity: a CI flood held 4455207
        bytes of 4194304), and the hot path could take the room ``_fits`` had just found
        for the caller's line.
        """
        from fastlog_core._pipeline import backpressure, state, writer
        from fastlog_core._pipeline.buffer import BLOCK

        capacity = 4 * BLOCK + 1000  # the last block has room for a few lines
        sink = MemorySink()
        _, pipeline = pipeline_logger(
            sink, capacity=capacity, wake_bytes=capacity, flush_interval=60
        )
        out = pipeline.appender
        slow_path = {backpressure.__file__, state.__file__, writer.__file__}
        peak = interleaved = chances = 0
        inside = False

        def buffered() -> int:
            blocks = {id(b): b for b in [*pipeline._sealed, out.buf, *pipeline._in_flight]}
            return sum(map(len, blocks.values()))

        def now(frame: FrameType, event: str, arg: object) -> bool:
            if when == "every line":
                return event == "line"
            return event == "return" and frame.f_code.co_name == "_fits" and arg is True

        def other_thread(frame: FrameType, event: str, arg: object) -> Any:
            nonlocal peak, interleaved, chances, inside
            # Until the writer's first cycle: the room it frees next would go to this thread
            # at every line of the blocked caller's wait, which would never get in.
            if now(frame, event, arg) and not inside and not pipeline._cycles:
                inside = True
                chances += 1
                try:
                    while True:  # shorter lines than the caller's: what room is left is less
                        line = orjson.dumps({"o": interleaved, "pad": "x" * 60}) + b"\n"
                        if len(out.buf) + len(line) > out.limit:  # the hot path's check
                            break
                        out.append(line, fastlog_core.INFO)
                        interleaved += 1
                    peak = max(peak, buffered())
                finally:
                    inside = False
            return other_thread

        def tracer(frame: FrameType, event: str, arg: object) -> Any:
            return other_thread if frame.f_code.co_filename in slow_path else None

        sent = 3 * capacity // 100
        sys.settrace(tracer)
        try:
            for i in range(sent):
                line = orjson.dumps({"m": i, "pad": "x" * 80}) + b"\n"
                out.append(line, fastlog_core.INFO)
                peak = max(peak, buffered())
        finally:
            sys.settrace(None)
        assert pipeline.flush(timeout=10)
        assert chances > 0  # the other thread did run inside slow paths
        assert peak <= capacity
        assert pipeline.stats()["high_water_bytes"] <= capacity
        lines = sink.lines()
        assert [r["m"] for r in lines if "m" in r] == list(range(sent))
        assert [r["o"] for r in lines if "o" in r] == list(range(interleaved))


class TestBacklogBound:
    """What a failing sink keeps for its retry, and what it gives up."""

    def test_drop_notes_never_push_accepted_records_out(self) -> None:
        """Every sink failing, callers dropping: the drop notes queued behind the held records
        do not count against capacity, so after recovery every accepted record is written."""
        sink = MemorySink(fail_times=10**9)
        log, pipeline = pipeline_logger(
            sink, policy="drop", capacity=16 * 1024, max_record_bytes=4096, flush_interval=0.01
        )
        for i in range(2000):
            log.info("r", i=i, pad="d" * 50)
        wait_until(lambda: pipeline._stalled, message="the pipeline stalled on its failing sink")
        for i in range(2000, 2500):  # dropped, a note for each writer cycle that saw drops
            log.info("r", i=i, pad="d" * 50)
            if i % 100 == 99:
                notes = pipeline._accounts.notes
                wait_until(lambda n=notes: pipeline._accounts.notes > n, message="a drop note")
        sink.fail_times = 0  # the destination recovers
        wait_until(lambda: pipeline.flush(timeout=1), message="recovery")
        stats = pipeline.stats()
        records = [r for r in sink.lines() if r["logger"] == "t"]
        notes = [r for r in sink.lines() if r["logger"] == "fastlog"]
        assert stats["lost"] == 0
        assert len(records) == stats["records_written"]
        assert stats["records_written"] + stats["dropped"] == 2500
        assert sum(n["dropped"] for n in notes) == stats["dropped"] > 0
        # one note per gap, however many writer cycles saw drops while the sink failed
        assert pipeline._accounts.notes >= 6 and len(notes) <= 2

    def test_partly_written_line_is_finished_before_anything_is_given_up(self) -> None:
        """A failing sink next to a healthy one, its writes cut in the middle (a short write):
        when its backlog is trimmed, the line it is in the middle of is finished first, so its
        stream has no torn line, and a note tells what was given up."""
        healthy = MemorySink()
        failing = MemorySink(fail_times=5, partial=True)
        fastlog_core.configure(
            sink=[healthy, failing], capacity=16 * 1024, max_record_bytes=4096, flush_interval=0.01
        )
        log = fastlog_core.get_logger("t")
        pipeline = fastlog_core.get_pipeline([healthy, failing])
        for i in range(1500):
            log.info("r", i=i, pad="t" * 50)
            if i % 100 == 99:  # one batch per writer cycle, retries left to their backoff
                cycle = pipeline._cycles
                wait_until(lambda c=cycle: pipeline._cycles > c, message="a writer cycle")
        assert failing.fail_times > 0, "recovered before its backlog reached capacity"
        wait_until(lambda: pipeline.flush(timeout=1), message="the failing sink recovering")
        lines = failing.lines()  # every line parses: none torn
        records = [r["i"] for r in lines if r["logger"] == "t"]
        assert records == sorted(set(records))
        stats = pipeline.stats()
        mine = stats["sinks"][1]
        assert mine["lost"] > 0, "nothing was given up: the test did not exercise a trim"
        assert sum(r.get("lost", 0) for r in lines if r["logger"] == "fastlog") == mine["lost"]
        assert len(records) == mine["records_written"]
        assert mine["records_written"] + mine["lost"] + stats["dropped"] == 1500
        assert len(healthy.lines()) == 1500 - stats["dropped"]


class TestSharing:
    def test_same_path_same_pipeline(self, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Asking twice for one file (relative or absolute) gives one pipeline."""
        first = fastlog_core.get_pipeline(str(log_path))
        # monkeypatch restores the working directory: later tests' children find a relative
        # PYTHONPATH (src) from it.
        monkeypatch.chdir(log_path.parent)
        second = fastlog_core.get_pipeline(log_path.name)
        assert first is second

    def test_conflicting_settings_rejected(self, log_path: Path) -> None:
        """A second request with other settings fails, naming the difference."""
        fastlog_core.get_pipeline(str(log_path), preset="balanced")
        with pytest.raises(fastlog_core.ConfigError, match="policy='block' vs 'drop'"):
            fastlog_core.get_pipeline(str(log_path), preset="fastest")
        assert fastlog_core.get_pipeline(str(log_path)) is fastlog_core.get_pipeline(
            str(log_path), preset="balanced"
        )

    def test_list_of_sinks(self, tmp_path: Path) -> None:
        """A list writes every record to each destination."""
        a, b = tmp_path / "a.log", tmp_path / "b.log"
        fastlog_core.configure(sink=[str(a), str(b)])
        fastlog_core.get_logger().info("both")
        assert fastlog_core.flush(timeout=10)
        assert read_lines(a) == read_lines(b)
        assert len(read_lines(a)) == 1

    def test_one_failing_sink_does_not_stop_the_other(self, tmp_path: Path) -> None:
        """A failing destination in a list does not hold back the healthy one."""
        bad = MemorySink(fail_times=10**9)
        good = tmp_path / "good.log"
        log, pipeline = pipeline_logger([str(good), bad])
        for i in range(50):
            log.info("r", i=i)
        pipeline.flush(timeout=1)
        assert [r["i"] for r in read_lines(good)] == list(range(50))

    def test_failing_sink_does_not_starve_healthy_one(self, tmp_path: Path) -> None:
        """A dead destination in a list: the healthy one gets every record, far past capacity."""
        good = tmp_path / "good.log"
        bad = MemorySink(fail_times=10**9, error=errno.EIO)
        fastlog_core.configure(sink=[str(good), bad], capacity=64 * 1024, max_record_bytes=4096)
        log = fastlog_core.get_logger()
        for i in range(6000):
            log.info("r", i=i, pad="h" * 100)
        fastlog_core.flush(timeout=2)
        pipeline = fastlog_core.get_pipeline([str(good), bad])

        def all_in_good() -> bool:
            pipeline.flush(timeout=1)
            return len(read_lines(good)) >= 6000

        wait_until(all_in_good, message="every record in the healthy sink")
        assert [r["i"] for r in read_lines(good)] == list(range(6000))
        stats = pipeline.stats()
        assert stats["dropped"] == 0
        assert stats["sinks"][1]["pending_bytes"] <= 64 * 1024
        assert stats["sinks"][1]["failing"]

    def test_list_destination_opens_files_once(self, tmp_path: Path) -> None:
        """Asking again for an existing list of files opens no new descriptors."""
        if not os.path.isdir("/proc/self/fd"):
            pytest.skip("needs /proc")
        spec = [str(tmp_path / "a.log"), str(tmp_path / "b.log")]
        fastlog_core.get_pipeline(spec)
        before = len(os.listdir("/proc/self/fd"))
        for _ in range(50):
            fastlog_core.get_pipeline(spec)
            fastlog_core.configure(sink=spec)
        assert len(os.listdir("/proc/self/fd")) == before


class TestSettingsObject:
    def test_resolved_settings_visible(self, log_path: Path) -> None:
        """The pipeline exposes its resolved settings."""
        pipeline = fastlog_core.get_pipeline(str(log_path), preset="fastest")
        assert isinstance(pipeline.settings, Settings)
        assert pipeline.settings.policy == "drop"


class TestLockedAppends:
    """The path free-threaded interpreters take: every append under the pipeline's lock."""

    @pytest.fixture(autouse=True)
    def _no_gil(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from fastlog_core._pipeline import buffer

        monkeypatch.setattr(buffer, "GIL_ENABLED", False)

    def test_threads_exact_count_and_order(self, log_path: Path) -> None:
        """4 threads x 25k records through the locked path: all there, in per-thread order."""
        fastlog_core.configure(sink=str(log_path))
        pipeline = fastlog_core.get_pipeline(str(log_path))
        assert pipeline.appender.limit == -1
        log = fastlog_core.get_logger()

        def body(tid: int) -> None:
            for seq in range(25_000):
                log.info("r", tid=tid, seq=seq)

        run_threads(body, 4)
        assert fastlog_core.flush(timeout=30)
        records = read_lines(log_path)
        assert len(records) == 100_000
        for tid in range(4):
            assert [r["seq"] for r in records if r["tid"] == tid] == list(range(25_000))
        assert fastlog_core.stats()["records_written"] == 100_000

    def test_drop_policy_still_counts(self) -> None:
        """Drops are counted the same way on the locked path."""
        sink = MemorySink()
        log, pipeline = pipeline_logger(
            sink, preset="fastest", capacity=8192, max_record_bytes=2048, wake_bytes=8192
        )
        sink.gate.clear()
        log.info("first")
        assert sink.started.wait(timeout=30), "the writer never started its first write"
        for i in range(500):
            log.info("r", i=i)
        sink.gate.set()
        assert pipeline.flush(timeout=10)
        written = [r for r in sink.lines() if r["logger"] == "t" and r["message"] == "r"]
        assert len(written) + pipeline.stats()["dropped"] == 500
        assert pipeline.stats()["dropped"] > 0


class TestAppendWhole:
    def test_whole_up_to_capacity_then_truncated(self) -> None:
        """append_whole: a line over max_record_bytes is written whole while it fits in the
        capacity; one over the capacity is truncated, marked and counted, as append's are."""
        sink = MemorySink()
        _, pipeline = pipeline_logger(sink, capacity=16 * 1024, max_record_bytes=1024)
        small = b'{"n":1}\n'
        big = b'{"pad":"' + b"x" * 8000 + b'"}\n'
        huge = b'{"pad":"' + b"y" * 20_000 + b'"}\n'
        pipeline.append_whole(small, fastlog_core.INFO)
        pipeline.append_whole(big, fastlog_core.INFO)
        pipeline.appender.append(big, fastlog_core.INFO)  # the ordinary path cuts it
        pipeline.append_whole(huge, fastlog_core.INFO)
        assert pipeline.flush(timeout=10)
        lines = b"".join(sink.writes).splitlines(keepends=True)
        assert lines[:2] == [small, big]
        cut, marked = orjson.loads(lines[2]), orjson.loads(lines[3])
        assert cut["fastlog_truncated"] == len(big) and marked["fastlog_truncated"] == len(huge)
        assert len(lines[2]) <= 1024 and len(lines[3]) <= 1024
        stats = pipeline.stats()
        assert (stats["records_written"], stats["truncated"], stats["dropped"]) == (4, 2, 0)
