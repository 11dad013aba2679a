"""Signals: handlers that log with sampling on, fork while the sampler is busy, SIGTERM's end.

Each scenario runs in a real child process, with real signals and real forks; a deadlock fails
the test at a deadline instead of hanging the suite. What is checked: no deadlock, no exception
reaching the caller, every record written or counted, and a process asked to end by SIGTERM
ends by SIGTERM (``returncode == -15``), as it would without fastlog.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import child_env, read_lines, wait_until
from tests.reliability.conftest import CHILD_PRELUDE, Result, run_child, wait_for_line

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX signals and fork")

#: ``dev`` writes console lines by default; every line here must parse as JSON.
CONFIGURE = """
import fastlog_core
def configure(path, preset, **options):
    if preset == "dev":
        options.setdefault("format", "json")
    fastlog_core.configure(sink=path, preset=preset, **options)
"""


def start_child(code: str, *args: str) -> subprocess.Popen[bytes]:
    """A child left running for the parent to signal (``CHILD_PRELUDE``'s ``report``)."""
    return subprocess.Popen(
        [sys.executable, "-c", CHILD_PRELUDE + textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
    )


def finish(proc: subprocess.Popen[bytes], timeout: float = 30) -> tuple[int, str, str]:
    """Reap a child that should end by itself: return code, stdout, stderr."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(
            f"child still alive {timeout} s after SIGTERM (it survived the signal); "
            f"stderr: {err.decode()[-2000:]}"
        )
    return proc.returncode, out.decode(), err.decode()


LOST = re.compile(r"(\d+) records (?:for .* )?could not be written")


def lost_on_stderr(stderr: str) -> int:
    """Records fastlog's shutdown reported as lost (``... N records could not be written``)."""
    return sum(int(n) for n in LOST.findall(stderr))


def assert_clean(stderr: str) -> None:
    """Nothing escaped into stderr: no traceback, no internal error reported by fastlog."""
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "fastlog:" not in stderr, stderr[-3000:]


# -- item: a signal handler that logs, with sampling or rate limiting on ------------------------

SAMPLED_HANDLER_CHILD = (
    CONFIGURE
    + """
import signal, sys, time
path, rule, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rules = {"sample": {"sample": {"debug": 10}}, "rate_limit": {"rate_limit": "500/s"}}[rule]
configure(path, "balanced", level="debug", **rules)
log = fastlog_core.get_logger("sig")
fired = 0

def handler(signum, frame):
    # Runs in the main thread between two bytecodes of the loop below: often while that thread
    # is inside the sampler deciding about its own record.
    global fired
    fired += 1
    log.debug("from signal", n=fired)

signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
start = time.monotonic()
for i in range(n):
    log.debug("main", i=i)
signal.setitimer(signal.ITIMER_REAL, 0, 0)
elapsed = time.monotonic() - start
ok = fastlog_core.flush(timeout=30)
s = fastlog_core.stats()
report(fired=fired, ok=ok, elapsed=elapsed, sampled=s["sampled"], rate_limited=s["rate_limited"])
"""
)


class TestSignalHandlerLogsWithSampling:
    @pytest.mark.parametrize("rule", ["sample", "rate_limit"])
    def test_handler_logs_through_the_sampler(
        self, log_path: Path, results: list[Result], rule: str
    ) -> None:
        """A SIGALRM handler logs every 0.2 ms through the sampler the main thread is using:
        no deadlock, no exception, and written + sampled is exactly what was logged."""
        n = 200_000
        child = run_child(SAMPLED_HANDLER_CHILD, str(log_path), rule, str(n), timeout=60)
        report = child.report
        assert report["ok"] is True
        assert_clean(child.stderr)
        fired = report["fired"]
        assert fired > 50, "too few signals to exercise the sampler"
        records = read_lines(log_path)
        main = [r["i"] for r in records if r["message"] == "main"]
        from_signal = [r["n"] for r in records if r["message"] == "from signal"]
        sent = n + fired
        assert len(records) == len(main) + len(from_signal)
        assert report["dropped"] == 0
        assert len(records) + report["sampled"] == sent, "a record neither written nor counted"
        if rule == "sample":
            # One 1-in-10 counter for DEBUG, shared by the loop and the handler: exact.
            assert len(records) == -(-sent // 10)
            assert report["rate_limited"] == 0
        else:
            assert report["rate_limited"] == report["sampled"]
            windows = int(report["elapsed"]) + 2  # fixed 1 s windows the run can overlap
            assert len(main) <= 500 * windows
            assert len(from_signal) <= 500 * windows
        results.append(
            Result(
                "SIGALRM every 0.2 ms logs while the main thread logs, sampling on",
                "balanced, sample={'debug': 10}"
                if rule == "sample"
                else "balanced, rate_limit='500/s'",
                sent=sent,
                written=len(records),
                note=f"{fired} handler calls, no deadlock; {report['sampled']} sampled away, "
                "counted exactly (the sampler takes no lock)",
            )
        )


# -- item: fork while another thread is inside the sampler -------------------------------------

FORK_SAMPLED_CHILD = (
    CONFIGURE
    + """
import json, os, sys, threading
from tests.helpers import wait_until
path, forks, per_child = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
configure(path, "balanced", level="debug", sample={"debug": 3}, rate_limit="1000000/s")
log = fastlog_core.get_logger("fork")
stop = threading.Event()
progress = [0]

def hammer():
    i = 0
    while not stop.is_set():
        log.debug("hammer", i=i)
        log.info("hammer-info", i=i)
        i += 1
        progress[0] = i

def reaped(pid):
    done, status = os.waitpid(pid, os.WNOHANG)
    return [os.waitstatus_to_exitcode(status)] if done else None

statuses = []

def forker():
    for n in range(forks):
        mark = progress[0]
        wait_until(lambda: progress[0] > mark + 50, message="the hammer logging between forks")
        pid = os.fork()
        if pid == 0:  # the child: only this thread exists here
            for i in range(per_child):
                log.debug("child", n=n, i=i)
            fastlog_core.shutdown()
            s = fastlog_core.stats()
            with open(f"{path}.{n}.json", "w") as out:
                json.dump({"sampled": s["sampled"], "written": s["records_written"]}, out)
            os._exit(0)
        try:
            statuses.extend(wait_until(lambda: reaped(pid), timeout=15, message=f"fork {n}"))
        except AssertionError:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            statuses.append("deadlocked")

thread = threading.Thread(target=hammer)
thread.start()
forking = threading.Thread(target=forker)  # fork from a thread that is not the main one
forking.start()
forking.join()
stop.set()
thread.join()
report(statuses=statuses)
"""
)


class TestForkWhileSampling:
    def test_fork_while_a_thread_is_in_the_sampler(
        self, log_path: Path, results: list[Result]
    ) -> None:
        """20 forks from a thread while another thread logs through the sampler and rate
        limiter: each child logs, starts its counters from zero, and exits in time."""
        forks, per_child = 20, 30
        child = run_child(FORK_SAMPLED_CHILD, str(log_path), str(forks), str(per_child))
        statuses = child.report["statuses"]
        assert statuses == [0] * forks, statuses
        records = read_lines(log_path)
        for n in range(forks):
            kept = [r["i"] for r in records if r["message"] == "child" and r["n"] == n]
            # The child's own 1-in-3 counter: its 1st, 4th, ... record, not the parent's phase.
            assert kept == list(range(0, per_child, 3)), (n, kept)
            counts = json.loads(Path(f"{log_path}.{n}.json").read_text())
            assert counts == {"sampled": per_child - len(kept), "written": len(kept)}
        kept = sum(r["message"] == "child" for r in records)
        results.append(
            Result(
                "fork while another thread is inside the sampler",
                "balanced, sample={'debug': 3}, rate_limit",
                sent=forks * per_child,
                written=kept,
                note=f"{forks} forks from a non-main thread, none deadlocked; each child's "
                f"sampling counters start from zero ({forks * per_child - kept} sampled away, "
                "counted exactly)",
            )
        )


# -- item: SIGTERM while the main thread is inside fastlog --------------------------------------

INSIDE_CHILD = (
    CONFIGURE
    + """
import os, signal, sys, threading
from tests.helpers import wait_until
path, other = sys.argv[1], sys.argv[2]

class GatedSink:
    # A destination that hangs until the gate opens: the writer is inside write() while
    # the main thread waits in flush(), inside fastlog.
    def __init__(self, path):
        self.file = open(path, "ab")
        self.started = threading.Event()
        self.gate = threading.Event()
    def write(self, data):
        self.started.set()
        self.gate.wait()
        self.file.write(data)
        self.file.flush()
    def flush(self):
        pass
    def close(self):
        self.gate.set()
        self.file.close()

sink = GatedSink(path)
# The writer wakes only for flush(): once it is inside write(), the main thread is in flush().
fastlog_core.configure(sink=sink, flush_interval=3600.0, wake_bytes=1 << 24)
log = fastlog_core.get_logger("inside")
other_pipe = fastlog_core.get_pipeline(other)  # a second destination, idle
handled = []
fastlog_handler = signal.getsignal(signal.SIGTERM)
assert fastlog_handler is not signal.SIG_DFL, "fastlog installed no SIGTERM handler"

def noting(signum, frame):
    # Chains to fastlog's handler, as a framework that re-raises would, and notes the call.
    fastlog_handler(signum, frame)
    handled.append(signum)

signal.signal(signal.SIGTERM, noting)
main = threading.main_thread().ident

def helper():
    wait_until(sink.started.is_set, message="the writer inside the sink")
    signal.pthread_kill(main, signal.SIGTERM)  # lands while main waits inside flush()
    wait_until(lambda: handled, message="the main thread's SIGTERM handler")
    other_pipe.flush()  # this thread passes through fastlog meanwhile
    sink.gate.set()
    for i in range(100):
        log.info("helper", i=i)

for i in range(100):
    log.info("r", i=i)
thread = threading.Thread(target=helper)
thread.start()
fastlog_core.flush()
thread.join()
log.info("survived")  # never reached: the process ends by SIGTERM
print("SURVIVED", flush=True)
"""
)


class TestSigtermInsideFastlog:
    def test_sigterm_while_main_thread_waits_in_flush(
        self, tmp_path: Path, log_path: Path, results: list[Result]
    ) -> None:
        """SIGTERM lands while the main thread waits inside flush() and another thread passes
        through fastlog: the process still ends by SIGTERM, with its records written."""
        proc = start_child(INSIDE_CHILD, str(log_path), str(tmp_path / "other.log"))
        returncode, out, err = finish(proc)
        assert "SURVIVED" not in out, f"the process outlived SIGTERM: {err[-2000:]}"
        assert returncode == -signal.SIGTERM, err[-2000:]
        records = read_lines(log_path)
        assert [r["i"] for r in records if r["message"] == "r"] == list(range(100))
        assert lost_on_stderr(err) == 0, err[-2000:]
        results.append(
            Result(
                "SIGTERM while the main thread waits inside flush()",
                "balanced, writer held in a sink; another thread logs meanwhile",
                sent=100,
                written=sum(r["message"] == "r" for r in records),
                note="the flush waits for the main thread's flush() call to return, runs in "
                "the main thread (not in the thread passing through fastlog meanwhile), and "
                "the process dies by SIGTERM (returncode -15)",
            )
        )


NO_SAFE_POINT_CHILD = """
import itertools, os, signal, sys, threading
import fastlog_core
from fastlog_core._pipeline import wake
path = sys.argv[1]
# wake_bytes is capped at the capacity: the record that finds the buffer full is the one that
# wakes the writer, from the lock-free drop path.
fastlog_core.configure(
    sink=path, preset="fastest", capacity=65536, max_record_bytes=1024, flush_interval=3600.0
)
log = fastlog_core.get_logger("nudge")

class SignalInsideDropWake(wake.Wake):
    __slots__ = ()
    armed = True

    def set(self):
        if (
            SignalInsideDropWake.armed
            and threading.current_thread() is threading.main_thread()
            and sys._getframe(2).f_code.co_name == "_count_drop"
        ):
            SignalInsideDropWake.armed = False
            # Lands here, inside fastlog, on a path that returns to the program without
            # passing a safe point where a deferred flush would run.
            os.kill(os.getpid(), signal.SIGTERM)
        super().set()

# The same object the writer waits on, with the signal landing at a chosen instruction.
fastlog_core._registry.default_route().pipeline._wake.__class__ = SignalInsideDropWake
sent = 0
while SignalInsideDropWake.armed:
    log.info("r", i=sent)
    sent += 1
print("SENT", sent, flush=True)
for _ in itertools.count():  # the program goes on, and never calls fastlog again
    pass
"""


class TestSigtermWithoutSafePoint:
    def test_flush_starts_once_the_call_has_left(
        self, log_path: Path, results: list[Result]
    ) -> None:
        """SIGTERM lands inside fastlog on a path that returns to the program without a safe
        point, and the program never logs again: the flush still runs (the watchdog signals the
        main thread again) and the process dies by SIGTERM, every record written or counted."""
        proc = subprocess.Popen(
            [sys.executable, "-c", NO_SAFE_POINT_CHILD, str(log_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(),
        )
        returncode, out, err = finish(proc)
        assert returncode == -signal.SIGTERM, err[-2000:]
        assert "not done after" not in err, err[-2000:]  # flushed, not given up on
        sent = int(out.split()[1])
        records = read_lines(log_path)
        written = [r["i"] for r in records if r["message"] == "r"]
        dropped = sum(r["dropped"] for r in records if r["logger"] == "fastlog")
        assert dropped > 0, "the buffer never filled: the drop path was not reached"
        assert written == sorted(written)
        assert len(written) + dropped == sent, "a record neither written nor counted"
        results.append(
            Result(
                "SIGTERM inside fastlog, on a path with no safe point after it",
                "fastest, capacity 64 KiB: a dropped record wakes the writer",
                sent=sent,
                written=len(written),
                dropped=dropped,
                note="the program never logs again; the watchdog signals the main thread "
                "again, which flushes then: dies by SIGTERM (returncode -15), nothing lost",
            )
        )


# -- item: SIGTERM with 6 threads logging: every acknowledged record written or counted --------

THREADS_CHILD = (
    CONFIGURE
    + """
import itertools, os, sys, threading
path, acks, preset, capacity = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
configure(path, preset, **({"capacity": capacity, "max_record_bytes": 1024} if capacity else {}))
log = fastlog_core.get_logger("t")
ack = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

def work(t):
    for i in itertools.count():
        log.info("r", t=t, i=i)
        os.write(ack, b"%d %d\\n" % (t, i))  # the call has returned

for t in range(1, 6):
    threading.Thread(target=work, args=(t,), daemon=True).start()
print("STARTED", flush=True)
work(0)  # the main thread is the sixth
"""
)


def acknowledged(path: Path) -> set[tuple[int, int]]:
    data = path.read_bytes() if path.exists() else b""
    return {(int(t), int(i)) for t, i in (line.split() for line in data.splitlines())}


class TestSigtermWithThreads:
    @pytest.mark.parametrize(
        ("preset", "capacity", "runs"),
        [
            ("balanced", 0, 30),
            ("balanced", 64 * 1024, 30),  # callers often wait for room when the signal lands
            ("fastest", 0, 10),
            ("fastest", 64 * 1024, 10),  # records dropped, counted in the stream's notes
            ("durable", 0, 10),
        ],
    )
    def test_every_acknowledged_record_is_written_or_counted(
        self, tmp_path: Path, results: list[Result], preset: str, capacity: int, runs: int
    ) -> None:
        """6 threads log; SIGTERM at a random moment, many times: every record whose call
        returned before the signal is in the file or counted, and the process dies by it."""
        seed = random.randrange(1 << 30)
        rng = random.Random(seed)
        total_acked = total_written = total_dropped = total_notes = 0
        for run in range(runs):
            path, acks = tmp_path / f"app{run}.log", tmp_path / f"acks{run}"
            proc = start_child(THREADS_CHILD, str(path), str(acks), preset, str(capacity))
            wait_for_line(proc, b"STARTED")
            target = rng.randrange(1, 60_000)

            def acked_enough(
                proc: subprocess.Popen[bytes] = proc, acks: Path = acks, target: int = target
            ) -> bool:
                return proc.poll() is not None or acks.stat().st_size >= target * 4

            wait_until(acked_enough, message="records acknowledged")
            proc.send_signal(signal.SIGTERM)
            returncode, _, err = finish(proc)
            assert returncode == -signal.SIGTERM, f"run {run} (seed {seed}): {err[-2000:]}"
            acked = acknowledged(acks)
            records = read_lines(path)
            written = {(r["t"], r["i"]) for r in records if r["message"] == "r"}
            dropped = sum(r.get("dropped", 0) for r in records if r["logger"] == "fastlog")
            lost = lost_on_stderr(err)
            missing = acked - written
            assert len(missing) <= dropped + lost, (
                f"run {run} (seed {seed}): {len(missing)} acknowledged records neither "
                f"written nor counted (dropped {dropped}, lost {lost}); e.g. "
                f"{sorted(missing)[:5]}; stderr: {err[-1500:]}"
            )
            if preset != "fastest":
                assert not missing, f"run {run} (seed {seed}): {sorted(missing)[:5]}"
            # A healthy file: the flush writes everything; nothing is given up on.
            assert lost == 0, f"run {run} (seed {seed}): {err[-1500:]}"
            assert_clean(err)
            total_acked += len(acked)
            total_written += len(acked & written)
            total_dropped += len(missing)  # acknowledged, not written: covered by the notes
            total_notes += dropped
        results.append(
            Result(
                "SIGTERM at a random moment, 6 threads logging",
                f"{preset}{', capacity 64 KiB' if capacity else ''}, {runs} runs",
                sent=total_acked,
                written=total_written,
                dropped=total_dropped,
                note="every record whose call returned before the signal is written"
                + (
                    f" or dropped ({total_notes:,} drops told by the stream's notes)"
                    if total_notes
                    else ""
                )
                + "; none torn, none lost; each run dies by SIGTERM (returncode -15)",
            )
        )


# -- item: SIGTERM etiquette --------------------------------------------------------------------

FRAMEWORK_CHILD = (
    CONFIGURE
    + """
import os, signal, sys, threading
path, mode = sys.argv[1], sys.argv[2]
configure(path, "balanced")
log = fastlog_core.get_logger("app")
assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # fastlog's, over the default
fastlog_handler = signal.getsignal(signal.SIGTERM)
got = []

def framework(signum, frame):  # what uvicorn or gunicorn installs once the pipeline exists
    got.append(signum)

previous = signal.signal(signal.SIGTERM, framework)
# fastlog goes on being used: new destinations, reconfiguration, opting in again, a fork.
fastlog_core.get_pipeline(path + ".2", preset="fastest")
fastlog_core.get_pipeline(path + ".3", preset="durable")
fastlog_core.handle_signals()
pid = os.fork()
if pid == 0:
    fastlog_core.get_pipeline(path + ".child", preset="balanced")
    os._exit(0 if signal.getsignal(signal.SIGTERM) is framework else 1)
assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0, "fastlog took SIGTERM in a child"
assert signal.getsignal(signal.SIGTERM) is framework, "fastlog replaced the framework's handler"
os.kill(os.getpid(), signal.SIGTERM)
while not got:  # the framework's handler runs at the next bytecode
    pass
log.info("graceful shutdown", signals=got)
if mode == "restore-and-reraise":
    # uvicorn >= 0.29: restore the handler it found, then re-raise the signal it captured.
    signal.signal(signal.SIGTERM, previous)
    log.info("re-raising")
    signal.raise_signal(signal.SIGTERM)
    print("SURVIVED", flush=True)
"""
)


class TestSigtermEtiquette:
    def test_default_disposition_dies_by_sigterm(self, log_path: Path) -> None:
        """Over the default disposition, fastlog flushes and the process dies by SIGTERM, as
        the parent expects from the default (returncode -15, not exit status 143)."""
        child = run_child(
            CONFIGURE
            + textwrap.dedent(
                """
            import os, signal, sys
            configure(sys.argv[1], "balanced")
            log = fastlog_core.get_logger("x")
            for i in range(1000):
                log.info("r", i=i)
            os.kill(os.getpid(), signal.SIGTERM)
            print("SURVIVED", flush=True)
            """
            ),
            str(log_path),
            check=False,
        )
        assert child.returncode == -signal.SIGTERM, child.stderr[-2000:]
        assert "SURVIVED" not in child.stdout
        assert [r["i"] for r in read_lines(log_path)] == list(range(1000))

    def test_opt_out_leaves_the_default(self, log_path: Path) -> None:
        """handle_signals(False): the default disposition is back; SIGTERM kills at once."""
        child = run_child(
            CONFIGURE
            + textwrap.dedent(
                """
            import os, signal, sys
            configure(sys.argv[1], "balanced")
            fastlog_core.handle_signals(False)
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
            fastlog_core.get_pipeline(sys.argv[1] + ".2")  # a new pipeline does not reinstall
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
            os.kill(os.getpid(), signal.SIGTERM)
            print("SURVIVED", flush=True)
            """
            ),
            str(log_path),
            check=False,
        )
        assert child.returncode == -signal.SIGTERM, child.stderr[-2000:]
        assert "SURVIVED" not in child.stdout

    @pytest.mark.parametrize("mode", ["graceful", "restore-and-reraise"])
    def test_framework_handler_left_alone(self, log_path: Path, mode: str) -> None:
        """A handler installed after fastlog's (uvicorn, gunicorn) is never replaced or
        wrapped; when the framework restores fastlog's and re-raises, fastlog flushes and the
        process dies by SIGTERM."""
        child = run_child(FRAMEWORK_CHILD, str(log_path), mode, check=False)
        assert "SURVIVED" not in child.stdout
        messages = [r["message"] for r in read_lines(log_path)]
        assert "graceful shutdown" in messages
        if mode == "graceful":
            assert child.returncode == 0, child.stderr[-2000:]
        else:
            assert child.returncode == -signal.SIGTERM, child.stderr[-2000:]
            assert "re-raising" in messages
