"""Failure modes found in review of the engine, each pinned by the scenario that exposed it."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

import fastlog_core
from fastlog_core import ConfigError
from tests.helpers import read_lines


class Collecting:
    """A sink that keeps lines; optionally slow."""

    def __init__(self, delay: float = 0.0) -> None:
        self.data = bytearray()
        self.delay = delay

    def write(self, data: bytes) -> None:
        if self.delay:
            time.sleep(self.delay)
        self.data += data

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class Broken(Collecting):
    def write(self, data: bytes) -> None:
        raise OSError(errno.EIO, "broken")


class TestSignalHandlers:
    def test_handler_that_flushes_cannot_deadlock(self, log_path: Path) -> None:
        """A signal handler calling flush() while this thread is inside fastlog returns."""
        fastlog_core.configure(sink=str(log_path))
        log = fastlog_core.get_logger()
        fired = [0]

        def handler(signum: int, frame: object) -> None:
            fired[0] += 1
            fastlog_core.flush(timeout=1)
            log.error("from handler")

        previous = signal.signal(signal.SIGPROF, handler)
        signal.setitimer(signal.ITIMER_PROF, 0.0005, 0.0005)
        try:
            for i in range(3000):
                log.info("r", i=i)
                fastlog_core.flush(timeout=5)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
            signal.signal(signal.SIGPROF, previous)
        assert fastlog_core.flush(timeout=10)
        records = read_lines(log_path)
        assert [r["i"] for r in records if r["message"] == "r"] == list(range(3000))
        handled = len([r for r in records if r["message"] == "from handler"])
        assert handled + fastlog_core.stats()["dropped"] == fired[0]


class TestNonBlockingStdout:
    def test_no_duplicates_or_torn_lines(self) -> None:
        """stdout as a non-blocking pipe with a late reader: each record exactly once."""
        code = textwrap.dedent(
            """
            import io, os, sys, threading, time
            r, w = os.pipe()
            os.set_blocking(w, False)
            sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(w, "w", closefd=False)))
            import fastlog_core
            fastlog_core.configure(sink="stdout")
            log = fastlog_core.get_logger("t")
            for i in range(3000):
                log.info("r", i=i, pad="x" * 100)
            chunks = []
            def reader():
                time.sleep(0.5)
                while True:
                    chunk = os.read(r, 1 << 16)
                    chunks.append(chunk)
                    if not chunk:
                        break
            threading.Thread(target=reader, daemon=True).start()
            deadline = time.time() + 30
            while not fastlog_core.flush(timeout=1) and time.time() < deadline:
                pass
            time.sleep(0.3)
            sys.__stdout__.buffer.write(b"".join(chunks))
            """
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, timeout=120, check=True
        )
        seen = [orjson.loads(line)["i"] for line in proc.stdout.splitlines()]
        assert seen == list(range(3000))


class TestSyncModeFailures:
    def test_dev_preset_on_failing_destination_stays_bounded(self) -> None:
        """dev (sync) on /dev/full: the backlog stays within capacity and calls stay quick."""
        if not os.path.exists("/dev/full"):
            pytest.skip("no /dev/full on this platform")
        fastlog_core.configure(
            sink="/dev/full", preset="dev", capacity=64 * 1024, max_record_bytes=4096
        )
        pipeline = fastlog_core.get_pipeline("/dev/full")
        log = fastlog_core.get_logger()
        start = time.monotonic()
        for i in range(5000):
            log.info("r", i=i, pad="d" * 100)
        elapsed = time.monotonic() - start
        stats = pipeline.stats()
        assert stats["queued_bytes"] <= 64 * 1024
        assert stats["lost"] > 0
        assert elapsed < 30


@contextlib.contextmanager
def logging_in_background() -> Iterator[list[int]]:
    """A thread logging records numbered 0, 1, 2, ... until the block ends; yields the count."""
    log = fastlog_core.get_logger()
    count = [0]
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            log.info("r", i=count[0])
            count[0] += 1

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        time.sleep(0.2)
        yield count
    finally:
        stop.set()
        thread.join()


def numbers(sink: Collecting) -> list[int]:
    return [orjson.loads(line)["i"] for line in sink.data.splitlines()]


class TestShutdownRaces:
    def test_shutdown_while_a_thread_logs_loses_nothing(self) -> None:
        """Records logged during shutdown() are written (or written after), never stranded."""
        sink = Collecting(delay=0.05)
        fastlog_core.configure(sink=sink)
        pipeline = fastlog_core.get_pipeline(sink)
        with logging_in_background() as count:
            assert fastlog_core.shutdown()
        assert pipeline.flush(timeout=10)
        assert numbers(sink) == list(range(count[0]))
        assert pipeline.stats()["lost"] == 0

    def test_switch_to_dev_while_a_thread_logs(self) -> None:
        """configure(preset='dev') on a live destination strands no record."""
        sink = Collecting(delay=0.02)
        fastlog_core.configure(sink=sink)
        with logging_in_background() as count:
            fastlog_core.configure(sink=sink, preset="dev", format="json")
            time.sleep(0.1)
        assert fastlog_core.flush(timeout=10)
        assert numbers(sink) == list(range(count[0]))


class TestSeveralSinks:
    def test_failing_sink_does_not_starve_healthy_one(self, tmp_path: Path) -> None:
        """A dead destination in a list: the healthy one gets every record, far past capacity."""
        good = tmp_path / "good.log"
        bad = Broken()
        fastlog_core.configure(sink=[str(good), bad], capacity=64 * 1024, max_record_bytes=4096)
        log = fastlog_core.get_logger()
        for i in range(6000):
            log.info("r", i=i, pad="h" * 100)
            if i % 500 == 0:
                time.sleep(0.01)
        fastlog_core.flush(timeout=2)
        pipeline = fastlog_core.get_pipeline([str(good), bad])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(read_lines(good)) < 6000:
            pipeline.flush(timeout=1)
        assert [r["i"] for r in read_lines(good)] == list(range(6000))
        stats = pipeline.stats()
        assert stats["dropped"] == 0
        assert stats["sinks"][1]["pending_bytes"] <= 64 * 1024
        assert stats["sinks"][1]["failing"]


class TestResources:
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

    def test_custom_sink_pipeline_name(self) -> None:
        """A custom sink's pipeline is named after its class."""
        pipeline = fastlog_core.get_pipeline(Collecting())
        assert pipeline.name.startswith("Collecting@")


class TestFsync:
    def test_failed_fsync_is_not_success(self, log_path: Path) -> None:
        """durable: when fsync fails, flush(fsync=True) says so, and it is retried."""

        class NoSync(Collecting):
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


class TestIntervals:
    @pytest.mark.parametrize("value", [float("inf"), 1e10, -1])
    def test_flush_interval_out_of_range(self, value: float) -> None:
        """An interval the platform cannot wait for fails at configure time."""
        with pytest.raises(ConfigError, match="flush_interval="):
            fastlog_core.configure(flush_interval=value)


class TestRepairKeepsSchema:
    def test_bad_value_and_colliding_key_in_one_call(self, log_path: Path) -> None:
        """The repair path still renames a field called level: the record's level is kept."""
        fastlog_core.configure(sink=str(log_path))
        fastlog_core.get_logger("app").error("both", big=2**80, level="spoofed")
        assert fastlog_core.flush(timeout=10)
        (record,) = read_lines(log_path)
        assert record["level"] == "error"
        assert record["logger"] == "app"
        assert record["fields.level"] == "spoofed"
        assert record["big"] == str(2**80)
        assert "fastlog_error" in record
