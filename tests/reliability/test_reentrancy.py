"""Re-entrancy: fastlog called from inside itself, from signal handlers, from finalizers.

Each scenario runs in a child process with a timeout, so a deadlock fails the test instead of
hanging the suite. The promise checked everywhere: no deadlock, no exception reaching the
caller, and every record either written or counted (dropped, lost).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from fastlog_core import PRESETS
from tests.helpers import read_lines
from tests.reliability.conftest import SOAK, Result, count_lines, run_child

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="POSIX signals")

ALL_PRESETS = ["balanced", "fastest", "durable", "dev"]
ASYNC_PRESETS = ["balanced", "fastest", "durable"]

#: ``dev`` writes console lines by default; every line here must parse as JSON, so ``dev`` gets
#: ``format="json"`` (it keeps what matters: records are written in the caller's thread).
CONFIGURE = """
import fastlog_core
def configure(path, preset, **options):
    if preset == "dev":
        options.setdefault("format", "json")
    fastlog_core.configure(sink=path, preset=preset, **options)
"""

#: A sink that logs on every write(), as a sink built on a library that logs would (an HTTP
#: client, a cloud SDK). It appends to a real file and records how deeply write() nests.
CHATTY_SINK = """
class ChattySink:
    def __init__(self, path, logger):
        self.path, self.logger = path, logger
        self.file = None
        self.calls = self.depth = self.max_depth = 0

    def write(self, data):
        self.calls += 1
        self.depth += 1
        self.max_depth = max(self.max_depth, self.depth)
        try:
            self.logger.info("from sink", n=self.calls)
            if self.file is None:
                self.file = open(self.path, "ab")
            self.file.write(data)
            self.file.flush()
        finally:
            self.depth -= 1

    def flush(self):
        pass

    def close(self):
        if self.file is not None:
            self.file.close()
            self.file = None
"""


def setup_name(preset: str) -> str:
    return "dev (format=json)" if preset == "dev" else preset


def messages(records: list[dict[str, Any]], message: str, key: str = "i") -> list[Any]:
    return [r[key] for r in records if r["message"] == message]


def assert_clean(stderr: str) -> None:
    """Nothing escaped: no traceback, no 'Exception ignored' from a finalizer."""
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "Exception ignored" not in stderr, stderr[-3000:]


# -- sinks that log ---------------------------------------------------------------------------


class TestSinkThatLogs:
    SAME_PIPELINE = (
        CONFIGURE
        + CHATTY_SINK
        + """
import sys
path, preset, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
log = fastlog_core.get_logger("app")
sink = ChattySink(path, log)
fastlog_core.configure(sink=sink, preset=preset, **({"format": "json"} if preset == "dev" else {}))
for i in range(n):
    log.info("r", i=i)
    if i % 100 == 99:
        fastlog_core.flush()  # one batch, one write(), one record from the sink per 100
ok = fastlog_core.shutdown()
stats = fastlog_core.stats()
report(calls=sink.calls, max_depth=sink.max_depth, ok=ok, errors_by_kind=stats["errors_by_kind"])
"""
    )

    @pytest.mark.parametrize("preset", ASYNC_PRESETS)
    def test_same_pipeline(self, log_path: Path, results: list[Result], preset: str) -> None:
        """A sink whose write() logs to its own pipeline: one record per write, no loop."""
        n = 20_000
        child = run_child(self.SAME_PIPELINE, str(log_path), preset, str(n), timeout=60)
        report = child.report
        records = read_lines(log_path)
        assert messages(records, "r") == list(range(n))
        from_sink = messages(records, "from sink", "n")
        assert from_sink == sorted(set(from_sink)), "sink records duplicated or reordered"
        # The sink's last record is logged during the final drain, after which nothing can be
        # written: it is counted as lost (and reported), never silently gone.
        assert len(from_sink) + report["lost"] == report["calls"]
        assert report["lost"] <= 1
        assert report["max_depth"] == 1, "write() was re-entered"
        assert "sink" not in report["errors_by_kind"]
        results.append(
            Result(
                "sink whose write() logs to its own pipeline",
                setup_name(preset),
                sent=n + report["calls"],
                written=len(records),
                lost=report["lost"],
                note=f"{report['calls']:,} writes, one record each, written with the next "
                "batch; the last one (logged during the final drain) counted as lost",
            )
        )

    OTHER_PIPELINE = (
        CONFIGURE
        + CHATTY_SINK
        + """
import sys
path, other, preset, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
options = {"format": "json"} if preset == "dev" else {}
audit = fastlog_core.Logger("audit", fastlog_core.route(sink=other, preset=preset, **options))
sink = ChattySink(path, audit)
log = fastlog_core.Logger("app", fastlog_core.route(sink=sink, preset=preset, **options))
for i in range(n):
    log.info("r", i=i)
    if i % 100 == 99:
        fastlog_core.flush()
ok = fastlog_core.shutdown()
stats = fastlog_core.stats()
report(calls=sink.calls, max_depth=sink.max_depth, ok=ok, errors_by_kind=stats["errors_by_kind"])
"""
    )

    @pytest.mark.parametrize("preset", ["balanced", "dev"])
    def test_other_pipeline(
        self, tmp_path: Path, log_path: Path, results: list[Result], preset: str
    ) -> None:
        """A sink whose write() logs to another pipeline: every one of those records arrives."""
        n = 20_000
        other = tmp_path / "audit.log"
        child = run_child(self.OTHER_PIPELINE, str(log_path), str(other), preset, str(n))
        report = child.report
        assert messages(read_lines(log_path), "r") == list(range(n))
        audit = read_lines(other)
        assert messages(audit, "from sink", "n") == list(range(1, report["calls"] + 1))
        assert report["lost"] == 0
        assert report["ok"] is True
        assert report["max_depth"] == 1
        assert report["errors_by_kind"] == {}
        results.append(
            Result(
                "sink whose write() logs to another pipeline",
                setup_name(preset),
                sent=n + report["calls"],
                written=n + len(audit),
                note=f"{report['calls']:,} writes, each logged to the other file, all written "
                "(those logged after the other pipeline closed: synchronously)",
            )
        )

    @pytest.mark.parametrize("when", ["dev", "after shutdown()"])
    def test_same_pipeline_sync(self, log_path: Path, results: list[Result], when: str) -> None:
        """In sync mode too, a sink that logs is not re-entered and loses nothing uncounted."""
        n = 200
        child = run_child(
            CONFIGURE
            + CHATTY_SINK
            + textwrap.dedent(
                """
            import sys
            path, when, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
            log = fastlog_core.get_logger("app")
            sink = ChattySink(path, log)
            if when == "dev":
                fastlog_core.configure(sink=sink, preset="dev", format="json")
            else:
                fastlog_core.configure(sink=sink)
                fastlog_core.shutdown()  # from here on the pipeline writes in the caller
            for i in range(n):
                log.info("r", i=i)
            fastlog_core.shutdown()
            s = fastlog_core.stats()
            report(calls=sink.calls, max_depth=sink.max_depth, written_stat=s["records_written"],
                   errors_by_kind=s["errors_by_kind"])
            """
            ),
            str(log_path),
            when,
            str(n),
            timeout=60,
        )
        report = child.report
        records = read_lines(log_path)
        from_sink = messages(records, "from sink", "n")
        sent = n + report["calls"]
        accounted = len(records) + report["dropped"] + report["lost"]
        results.append(
            Result(
                "sink whose write() logs to its own pipeline, sync mode",
                "dev (format=json)" if when == "dev" else "balanced, after shutdown()",
                sent=sent,
                written=len(records),
                dropped=report["dropped"],
                lost=report["lost"],
                note=f"write() nested {report['max_depth']} deep"
                + (
                    f"; BUG: {report['calls']} writes for {n} records, "
                    f"{sent - accounted} records neither written nor counted, "
                    f"stats say {report['written_stat']} written"
                    if report["max_depth"] > 1
                    else ""
                ),
            )
        )
        assert messages(records, "r") == list(range(n))
        assert report["max_depth"] == 1, f"write() re-entered {report['max_depth']} deep"
        assert "sink" not in report["errors_by_kind"], report["errors_by_kind"]
        assert accounted == sent
        assert report["written_stat"] == len(records)
        assert from_sink == sorted(set(from_sink))


# -- values whose repr/str logs -------------------------------------------------------------

REPR_CHILD = """
import logging, sys
path, adapter, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
calls = {"repr": 0, "str": 0}

if adapter in ("native", "native-dev"):
    import fastlog_core
    if adapter == "native":
        fastlog_core.configure(sink=path)
    else:
        fastlog_core.configure(sink=path, preset="dev", format="json")
    log = fastlog_core.get_logger("native")
    def inner(msg, **kw):
        log.info(msg, **kw)
    def outer(obj, i):
        log.info("outer %s", obj, i=i, obj=obj)
elif adapter == "stdlib":
    from fastlog_stdlib import FastlogHandler
    root = logging.getLogger()
    root.handlers[:] = [FastlogHandler(path)]
    root.setLevel(logging.INFO)
    std = logging.getLogger("stdlib")
    def inner(msg, **kw):
        std.info(msg, extra=kw)
    def outer(obj, i):
        std.info("outer %s", obj, extra={"i": i, "obj": obj})
elif adapter == "structlog":
    import structlog, fastlog_structlog
    fastlog_structlog.configure(sink=path)
    slog = structlog.get_logger("structlog")
    def inner(msg, **kw):
        slog.info(msg, **kw)
    def outer(obj, i):
        slog.info("outer %s", obj, i=i, obj=obj)
elif adapter == "loguru":
    from loguru import logger
    from fastlog_loguru import FastlogSink
    logger.remove()
    logger.add(FastlogSink(path))
    def inner(msg, **kw):
        logger.bind(**kw).info(msg)
    def outer(obj, i):
        logger.bind(i=i, obj=obj).info("outer {}", obj)

class Noisy:
    def __repr__(self):
        calls["repr"] += 1
        inner("inner from __repr__", n=calls["repr"])
        return "noisy-repr"

    def __str__(self):
        calls["str"] += 1
        inner("inner from __str__", n=calls["str"])
        return "noisy-str"

for i in range(n):
    outer(Noisy(), i)
report(calls=calls)
"""


class TestReprThatLogs:
    @pytest.mark.parametrize("adapter", ["native", "native-dev", "stdlib", "structlog", "loguru"])
    def test_field_value_logs(self, log_path: Path, results: list[Result], adapter: str) -> None:
        """A value whose __repr__/__str__ logs, through every adapter: no deadlock, no loop."""
        n = 2_000
        child = run_child(REPR_CHILD, str(log_path), adapter, str(n), timeout=60)
        calls = child.report["calls"]
        records = read_lines(log_path)
        outer = [r for r in records if r["message"].startswith("outer")]
        assert [r["i"] for r in outer] == list(range(n))
        # loguru + FastlogSink and stdlib write a value orjson cannot write as its str() (loguru's
        # and python-json-logger's value policies); the other adapters write its repr().
        as_str = adapter in ("loguru", "stdlib")
        assert {r["obj"] for r in outer} == {"noisy-str" if as_str else "noisy-repr"}
        # The message is %-formatted (stdlib, loguru: str()) or the value's repr is used.
        assert {r["message"] for r in outer} <= {"outer noisy-str", "outer noisy-repr"}
        from_repr = messages(records, "inner from __repr__", "n")
        from_str = messages(records, "inner from __str__", "n")
        refused = child.stderr.count("deadlock avoided")
        note = "inner records written, none lost"
        if adapter == "loguru":
            # loguru calls the sink under its handler lock; a record logged from inside is
            # refused by loguru itself, as with loguru's own serialize=True, and reported on
            # stderr. str() runs twice per record: for the message (before the handler lock: the
            # record it logs is written) and for the extra field (FastlogSink encoding it under
            # loguru's handler lock: loguru refuses the record it logs, as with its own sinks).
            assert calls["repr"] == 0
            assert sorted(from_str) == from_str
            assert len(from_str) + refused == calls["str"]
            assert refused == n
            note = (
                f"{refused} records logged from the str() of an extra field are refused by "
                "loguru's handler lock ('deadlock avoided', on stderr), as with loguru's own "
                "sinks; those from str() in the message are written"
            )
        else:
            assert from_str == list(range(1, calls["str"] + 1))
            assert from_repr == list(range(1, calls["repr"] + 1))
            assert_clean(child.stderr)
        sent = n + calls["repr"] + calls["str"]
        results.append(
            Result(
                "field value whose __repr__/__str__ logs",
                {
                    "native": "native logger, balanced",
                    "native-dev": "native logger, dev (format=json)",
                    "stdlib": "FastlogHandler",
                    "structlog": "fastlog_structlog.configure",
                    "loguru": "loguru + FastlogSink",
                }[adapter],
                sent=sent,
                written=len(records),
                lost=sent - len(records),
                note=note,
            )
        )


# -- signal handlers that log -----------------------------------------------------------------

SIGNAL_CHILD = (
    CONFIGURE
    + """
import signal, sys
path, variant, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if variant == "tiny":
    configure(path, "balanced", capacity=4096, max_record_bytes=1024, policy="block")
else:
    configure(path, variant)
log = fastlog_core.get_logger("sig")
emit = log.error if variant == "durable" else log.warning  # durable: fsynced, the slow path
fired = 0

def handler(signum, frame):
    global fired
    fired += 1
    emit("from signal", n=fired)

signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
pad = "s" * 80
for i in range(n):
    log.info("main", i=i, pad=pad)
signal.setitimer(signal.ITIMER_REAL, 0, 0)
ok = fastlog_core.flush(timeout=30)
report(fired=fired, ok=ok)
"""
)


class TestSignalHandlerLogs:
    @pytest.mark.parametrize(
        ("variant", "setup"),
        [
            ("balanced", "balanced"),
            ("durable", "durable, handler logs ERROR (fsync)"),
            ("tiny", "capacity 4 KiB, block: main thread in the slow path"),
            ("dev", "dev (format=json): main thread inside the sink"),
        ],
    )
    def test_sigalrm_every_ms(
        self, log_path: Path, results: list[Result], variant: str, setup: str
    ) -> None:
        """SIGALRM every 1 ms logs while the main thread logs at full speed: nothing lost."""
        n = 1_000_000 if SOAK else 100_000
        child = run_child(SIGNAL_CHILD, str(log_path), variant, str(n), timeout=600)
        report = child.report
        assert report["ok"] is True
        records = read_lines(log_path)
        assert messages(records, "main") == list(range(n))
        from_signal = messages(records, "from signal", "n")
        # Unique, not ordered: a handler interrupted by the next SIGALRM logs after it.
        assert len(set(from_signal)) == len(from_signal), "signal records duplicated"
        fired = report["fired"]
        assert fired > 0
        # A signal that lands while its own thread holds the pipeline cannot wait for room:
        # its record is then dropped and counted.
        assert len(from_signal) + report["dropped"] == fired
        if variant != "tiny":
            assert report["dropped"] == 0
        assert_clean(child.stderr)
        results.append(
            Result(
                "SIGALRM every 1 ms logs while the main thread logs",
                setup,
                sent=n + fired,
                written=n + len(from_signal),
                dropped=report["dropped"],
                note=f"{fired} handler calls, no deadlock; a handler record that finds the "
                "buffer full while its thread holds the pipeline is dropped (counted)",
            )
        )


# -- finalizers and exit handlers -----------------------------------------------------------

DEL_CHILD = (
    CONFIGURE
    + """
import gc, sys
path, preset, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
configure(path, preset)
log = fastlog_core.get_logger("del")

class Dying:
    def __init__(self, tag):
        self.tag, self.log, self.finalizing = tag, log, sys.is_finalizing

    def __del__(self):
        self.log.info("from __del__", tag=self.tag, finalizing=self.finalizing())

gc.disable()  # the cycle below survives until the interpreter's last collection
keeper = Dying("module global")
a, b = Dying("cycle a"), Dying("cycle b")
a.peer, b.peer = b, a
del a, b
for i in range(n):
    log.info("r", i=i)
"""
)


class TestFinalizers:
    @pytest.mark.parametrize("preset", ALL_PRESETS)
    def test_del_during_interpreter_shutdown(
        self, log_path: Path, results: list[Result], preset: str
    ) -> None:
        """__del__ of a module global and of a cycle, run at interpreter shutdown, logs."""
        n = 5_000
        child = run_child(DEL_CHILD, str(log_path), preset, str(n), timeout=60)
        assert_clean(child.stderr)
        records = read_lines(log_path)
        assert messages(records, "r") == list(range(n))
        dying = [r for r in records if r["message"] == "from __del__"]
        assert sorted(r["tag"] for r in dying) == ["cycle a", "cycle b", "module global"]
        assert all(r["finalizing"] for r in dying), "ran before interpreter shutdown"
        results.append(
            Result(
                "__del__ logs during interpreter shutdown (global, cycle)",
                setup_name(preset),
                sent=n + 3,
                written=len(records),
                note="written in the caller, as always with dev"
                if PRESETS[preset].sync
                else "runs after fastlog's exit hook: written synchronously (file reopened)",
            )
        )

    AFTER_SHUTDOWN = (
        CONFIGURE
        + """
import sys, threading
path, preset, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
configure(path, preset)
log = fastlog_core.get_logger("late")
for i in range(n):
    log.info("before", i=i)
ok = fastlog_core.shutdown()

def late(t):
    for i in range(n):
        log.info("after", t=t, i=i)

threads = [threading.Thread(target=late, args=(t,)) for t in range(1, 4)]
for thread in threads:
    thread.start()
late(0)
for thread in threads:
    thread.join()
report(ok=ok)
"""
    )

    @pytest.mark.parametrize("preset", ALL_PRESETS)
    def test_logging_after_shutdown(
        self, log_path: Path, results: list[Result], preset: str
    ) -> None:
        """After shutdown(), 4 threads keep logging: written synchronously, whole, in order."""
        n = 5_000
        child = run_child(self.AFTER_SHUTDOWN, str(log_path), preset, str(n), timeout=60)
        assert child.report["ok"] is True
        assert child.report["lost"] == 0
        assert_clean(child.stderr)
        records = read_lines(log_path)
        assert messages(records, "before") == list(range(n))
        first_after = next(k for k, r in enumerate(records) if r["message"] == "after")
        assert all(r["message"] == "after" for r in records[first_after:])
        for t in range(4):
            assert [r["i"] for r in records if r.get("t") == t] == list(range(n))
        assert count_lines(log_path) == 5 * n
        results.append(
            Result(
                "logging after shutdown(), 4 threads",
                setup_name(preset),
                sent=5 * n,
                written=len(records),
                note="written synchronously by the caller, none torn or lost",
            )
        )

    @pytest.mark.parametrize("preset", ALL_PRESETS)
    def test_atexit_handlers_log(self, log_path: Path, results: list[Result], preset: str) -> None:
        """atexit handlers registered before and after fastlog's both get their records out."""
        n = 2_000
        code = textwrap.dedent(
            """
            import atexit, sys
            path, preset, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

            def registered_before():  # atexit runs it after fastlog's hook
                for i in range(n):
                    log.info("atexit, registered before fastlog", i=i)

            atexit.register(registered_before)
            import fastlog_core
            options = {"format": "json"} if preset == "dev" else {}
            fastlog_core.configure(sink=path, preset=preset, **options)
            log = fastlog_core.get_logger("atexit")

            def registered_after():  # atexit runs it before fastlog's hook
                for i in range(n):
                    log.info("atexit, registered after fastlog", i=i)

            atexit.register(registered_after)
            for i in range(n):
                log.info("main", i=i)
            """
        )
        proc = subprocess.run(
            [sys.executable, "-c", code, str(log_path), preset, str(n)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert_clean(proc.stderr)
        records = read_lines(log_path)
        order = ["main", "atexit, registered after fastlog", "atexit, registered before fastlog"]
        for message in order:
            assert messages(records, message) == list(range(n)), message
        assert [r["message"] for r in records] == [m for m in order for _ in range(n)]
        results.append(
            Result(
                "atexit handlers log (registered before and after fastlog's)",
                setup_name(preset),
                sent=3 * n,
                written=len(records),
                note="the one running before fastlog's hook is flushed by it; the one running "
                "after is written synchronously"
                if not PRESETS[preset].sync
                else "written in the caller either way",
            )
        )
