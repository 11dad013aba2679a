"""Process life: exit without flush, fork, multiprocessing, logging after shutdown."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

import fastlog_core
from tests.helpers import MemorySink, read_lines, signal_every, wait_until


def run_python(code: str, *args: str, expect_rc: int = 0) -> subprocess.CompletedProcess[str]:
    """Run *code* as a script file (spawn-based multiprocessing needs a real __main__)."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(textwrap.dedent(code))
    try:
        proc = subprocess.run(
            [sys.executable, script.name, *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.unlink(script.name)
    assert proc.returncode == expect_rc, proc.stderr
    return proc


class TestExit:
    def test_exit_without_flush_keeps_all_records(self, log_path: Path) -> None:
        """A process that logs 100k records and just ends leaves all 100k on disk."""
        run_python(
            """
            import sys, fastlog_core
            fastlog_core.configure(sink=sys.argv[1])
            log = fastlog_core.get_logger("exit")
            for i in range(100_000):
                log.info("r", i=i)
            """,
            str(log_path),
        )
        records = read_lines(log_path)
        assert len(records) == 100_000
        assert [r["i"] for r in records] == list(range(100_000))

    def test_sys_exit_and_unhandled_exception(self, tmp_path: Path) -> None:
        """sys.exit(3) and an unhandled exception both flush at exit."""
        for code, rc in (("sys.exit(3)", 3), ("raise RuntimeError('boom')", 1)):
            path = tmp_path / f"{rc}.log"
            run_python(
                f"""
                import sys, fastlog_core
                fastlog_core.configure(sink=sys.argv[1])
                log = fastlog_core.get_logger()
                for i in range(5000):
                    log.info("r", i=i)
                {code}
                """,
                str(path),
                expect_rc=rc,
            )
            assert len(read_lines(path)) == 5000

    def test_unconfigured_goes_to_stdout(self) -> None:
        """Without configure(), records go to stdout as JSON at INFO and above."""
        proc = run_python(
            """
            import fastlog_core
            log = fastlog_core.get_logger("svc")
            log.debug("hidden")
            log.info("shown", n=1)
            """
        )
        lines = proc.stdout.splitlines()
        assert len(lines) == 1
        assert '"logger":"svc","message":"shown","n":1}' in lines[0]

    def test_logging_after_shutdown_is_written(self, log_path: Path) -> None:
        """After shutdown() records are written synchronously, not lost."""
        fastlog_core.configure(sink=str(log_path))
        log = fastlog_core.get_logger()
        log.info("before")
        assert fastlog_core.shutdown()
        log.info("after")
        assert fastlog_core.flush(timeout=5)
        assert [r["message"] for r in read_lines(log_path)] == ["before", "after"]


@contextlib.contextmanager
def logging_in_background() -> Iterator[list[int]]:
    """A thread logging records numbered 0, 1, 2, ... until the block ends; yields the count.

    The block starts once the thread has logged its first 1000 records.
    """
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
        wait_until(lambda: count[0] >= 1000, message="the background thread logging")
        yield count
    finally:
        stop.set()
        thread.join()


def numbers(sink: MemorySink) -> list[int]:
    """The numbered records, without fastlog's own (configure()'s note of what it changed)."""
    records = [orjson.loads(line) for line in sink.data.splitlines()]
    return [r["i"] for r in records if r["logger"] != "fastlog"]


class TestShutdownRaces:
    def test_shutdown_while_a_thread_logs_loses_nothing(self) -> None:
        """Records logged during shutdown() are written (or written after), never stranded."""
        sink = MemorySink(delay=0.05)
        fastlog_core.configure(sink=sink)
        pipeline = fastlog_core.get_pipeline(sink)
        with logging_in_background() as count:
            assert fastlog_core.shutdown()
        assert pipeline.flush(timeout=10)
        assert numbers(sink) == list(range(count[0]))
        assert pipeline.stats()["lost"] == 0

    def test_switch_to_dev_while_a_thread_logs(self) -> None:
        """configure(preset='dev') on a live destination strands no record."""
        sink = MemorySink(delay=0.02)
        fastlog_core.configure(sink=sink)
        with logging_in_background() as count:
            fastlog_core.configure(sink=sink, preset="dev", format="json")
            switched = count[0]
            # dev writes in the caller's thread: 0.02 s a record to this sink.
            wait_until(lambda: count[0] >= switched + 5, message="records after the switch")
        assert fastlog_core.flush(timeout=10)
        assert numbers(sink) == list(range(count[0]))

    def test_new_rotation_while_a_thread_logs(self, log_path: Path) -> None:
        """configure() swapping the FileSink (new rotation) under a logging thread: every
        record once, in order, around the note."""
        fastlog_core.configure(sink=str(log_path))
        with logging_in_background() as count:
            fastlog_core.configure(sink=str(log_path), rotation="1 GB")
            switched = count[0]
            wait_until(lambda: count[0] >= switched + 1000, message="records after the swap")
        assert fastlog_core.flush(timeout=10)
        records = read_lines(log_path)
        assert [r["i"] for r in records if r["logger"] != "fastlog"] == list(range(count[0]))
        assert [r["changed"] for r in records if r["logger"] == "fastlog"] == [
            {"rotation": [None, "1 GB"]}
        ]
        assert fastlog_core.stats()["lost"] == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
class TestFork:
    def test_fork_child_logs_and_parent_not_duplicated(self, log_path: Path) -> None:
        """A forked child's records arrive; the parent's pending ones are written once."""
        run_python(
            """
            import os, sys, fastlog_core
            fastlog_core.configure(sink=sys.argv[1], flush_interval=60)
            log = fastlog_core.get_logger()
            for i in range(1000):
                log.info("parent-before", i=i)   # still buffered at fork time
            pid = os.fork()
            if pid == 0:
                for i in range(2000):
                    log.info("child", i=i)
                fastlog_core.flush()
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert status == 0
            for i in range(500):
                log.info("parent-after", i=i)
            """,
            str(log_path),
        )
        records = read_lines(log_path)
        by_message: dict[str, list[int]] = {}
        for r in records:
            by_message.setdefault(r["message"], []).append(r["i"])
        assert by_message["parent-before"] == list(range(1000))
        assert by_message["child"] == list(range(2000))
        assert by_message["parent-after"] == list(range(500))
        assert len(records) == 3500

    def test_fork_while_threads_log(self, log_path: Path) -> None:
        """Forking while other threads log: the child still logs; nothing is duplicated."""
        run_python(
            """
            import os, sys, threading, fastlog_core
            fastlog_core.configure(sink=sys.argv[1])
            log = fastlog_core.get_logger()
            stop = threading.Event()
            counts = [0, 0]
            def spam(t):
                while not stop.is_set():
                    log.info("thread", t=t, i=counts[t])
                    counts[t] += 1
            threads = [threading.Thread(target=spam, args=(t,)) for t in range(2)]
            for t in threads: t.start()
            pids = []
            for n in range(5):
                pid = os.fork()
                if pid == 0:
                    for i in range(300):
                        log.info("child", n=n, i=i)
                    fastlog_core.flush()
                    os._exit(0)
                pids.append(pid)
            for pid in pids:
                assert os.waitpid(pid, 0)[1] == 0
            stop.set()
            for t in threads: t.join()
            print(counts[0], counts[1])
            """,
            str(log_path),
        )
        records = read_lines(log_path)
        children = [r for r in records if r["message"] == "child"]
        assert len(children) == 5 * 300
        for n in range(5):
            assert [r["i"] for r in children if r["n"] == n] == list(range(300))
        threads = [r for r in records if r["message"] == "thread"]
        for t in range(2):
            seqs = [r["i"] for r in threads if r["t"] == t]
            assert seqs == list(range(len(seqs))), "parent thread records duplicated or lost"

    @pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
    def test_multiprocessing_children_flush_at_exit(self, log_path: Path, method: str) -> None:
        """multiprocessing children (which may end in os._exit) leave all their records."""
        run_python(
            """
            import sys, multiprocessing, fastlog_core

            def work(n, path):
                fastlog_core.configure(sink=path)
                log = fastlog_core.get_logger("worker")
                for i in range(2000):
                    log.info("w", n=n, i=i)

            if __name__ == "__main__":
                fastlog_core.configure(sink=sys.argv[1])
                fastlog_core.get_logger("main").info("start")
                ctx = multiprocessing.get_context(sys.argv[2])
                procs = [ctx.Process(target=work, args=(n, sys.argv[1])) for n in range(3)]
                for p in procs: p.start()
                for p in procs: p.join()
                assert all(p.exitcode == 0 for p in procs)
            """,
            str(log_path),
            method,
        )
        records = read_lines(log_path)
        assert [r["message"] for r in records].count("start") == 1
        for n in range(3):
            assert [r["i"] for r in records if r.get("n") == n] == list(range(2000))


class TestReentrancy:
    def test_signal_handler_logs_while_main_thread_logs(self, log_path: Path) -> None:
        """A signal handler that logs, interrupting logging calls, never deadlocks.

        Its records are written, or counted as dropped when they arrive while the interrupted
        call holds the pipeline (no threading primitive is reentrant).
        """
        fastlog_core.configure(sink=str(log_path), capacity=64 * 1024, max_record_bytes=4096)
        log = fastlog_core.get_logger()
        fired = [0]

        def handler(signum: int, frame: object) -> None:
            fired[0] += 1
            log.warning("from signal", n=fired[0])

        with signal_every(0.001, handler):
            for i in range(50_000):
                log.info("main", i=i, pad="s" * 80)
        assert fastlog_core.flush(timeout=30)
        records = read_lines(log_path)
        assert [r["i"] for r in records if r["message"] == "main"] == list(range(50_000))
        from_signal = len([r for r in records if r["message"] == "from signal"])
        assert from_signal + fastlog_core.stats()["dropped"] == fired[0]
        assert fired[0] > 0

    def test_handler_that_flushes_cannot_deadlock(self, log_path: Path) -> None:
        """A signal handler calling flush() while this thread is inside fastlog returns."""
        fastlog_core.configure(sink=str(log_path))
        log = fastlog_core.get_logger()
        fired = [0]

        def handler(signum: int, frame: object) -> None:
            fired[0] += 1
            fastlog_core.flush(timeout=1)
            log.error("from handler")

        with signal_every(0.0005, handler):
            for i in range(3000):
                log.info("r", i=i)
                fastlog_core.flush(timeout=5)
        assert fastlog_core.flush(timeout=10)
        records = read_lines(log_path)
        assert [r["i"] for r in records if r["message"] == "r"] == list(range(3000))
        handled = len([r for r in records if r["message"] == "from handler"])
        assert handled + fastlog_core.stats()["dropped"] == fired[0]

    def test_sink_that_logs(self, log_path: Path) -> None:
        """A sink whose write itself logs to the same pipeline does not deadlock."""
        log = fastlog_core.get_logger()

        class Chatty(MemorySink):
            def write(self, data: bytes) -> None:
                if b"from sink" not in data:
                    log.info("from sink")
                super().write(data)

        sink = Chatty()
        fastlog_core.configure(sink=sink)
        log.info("first")
        assert fastlog_core.flush(timeout=10)
        assert fastlog_core.flush(timeout=10)
        assert sink.data.count(b'"message":"first"') == 1
        assert sink.data.count(b'"message":"from sink"') == 1


class TestSigterm:
    def test_sigterm_flushes_then_dies_by_sigterm(self, log_path: Path) -> None:
        """SIGTERM with the default disposition: records flushed, process still ends by SIGTERM."""
        proc = run_python(
            """
            import os, signal, sys, fastlog_core
            fastlog_core.configure(sink=sys.argv[1], flush_interval=60)
            log = fastlog_core.get_logger()
            for i in range(50_000):
                log.info("r", i=i)
            os.kill(os.getpid(), signal.SIGTERM)
            log.info("never reached")
            """,
            str(log_path),
            expect_rc=-15,
        )
        assert proc.returncode == -15
        assert [r["i"] for r in read_lines(log_path)] == list(range(50_000))

    def test_users_handler_is_kept(self, log_path: Path) -> None:
        """A SIGTERM handler the program installed first is never replaced."""
        proc = run_python(
            """
            import signal, sys, fastlog_core
            def mine(signum, frame):
                print("mine")
            signal.signal(signal.SIGTERM, mine)
            fastlog_core.configure(sink=sys.argv[1])
            print(signal.getsignal(signal.SIGTERM) is mine)
            """,
            str(log_path),
        )
        assert proc.stdout.split() == ["True"]

    def test_opt_out(self, log_path: Path) -> None:
        """handle_signals(False) puts the default disposition back."""
        proc = run_python(
            """
            import signal, sys, fastlog_core
            fastlog_core.configure(sink=sys.argv[1])
            installed = signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
            fastlog_core.handle_signals(False)
            print(installed, signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
            """,
            str(log_path),
        )
        assert proc.stdout.split() == ["True", "True"]
