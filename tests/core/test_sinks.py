"""Sinks: FileSink appends whole lines, StreamSink follows redirection, custom sinks plug in."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

import fastlog_core
from fastlog_core import FileSink, Sink, StreamSink
from tests.helpers import (
    MemorySink,
    RecordingFileSink,
    append_from_processes,
    child_env,
    read_lines,
)


class TestFileSink:
    def test_creates_parents_and_appends(self, tmp_path: Path) -> None:
        """Missing directories are created; existing content is kept."""
        path = tmp_path / "a" / "b" / "app.log"
        path.parent.mkdir(parents=True)
        path.write_bytes(b'{"old":true}\n')
        fastlog_core.configure(sink=str(path))
        fastlog_core.get_logger().info("new")
        assert fastlog_core.flush(timeout=10)
        records = read_lines(path)
        assert records[0] == {"old": True}
        assert records[1]["message"] == "new"

    def test_parent_directories_created(self, tmp_path: Path) -> None:
        """A path in directories that do not exist yet works."""
        sink = FileSink(tmp_path / "x" / "y" / "z.log")
        sink.write(b"line\n")
        sink.close()
        assert (tmp_path / "x" / "y" / "z.log").read_bytes() == b"line\n"

    def test_processes_append_without_torn_lines(self, log_path: Path) -> None:
        """4 processes x 25k records of ~300 bytes to one file: every line whole, every record
        there (tests/integrations: 4 x 100k of ~200 bytes)."""
        append_from_processes(log_path, processes=4, records=25_000, pad=200)

    def test_writev_writes_parts_in_order_past_iov_max(self, tmp_path: Path) -> None:
        """More parts than one writev call takes (Linux: 1024): all of them, in order."""
        path = tmp_path / "v.log"
        sink = FileSink(path)
        parts = [bytearray(b"%d\n" % i) for i in range(3000)]
        sink.writev(parts)
        sink.close()
        assert path.read_bytes() == b"".join(parts)

    def test_writev_short_write_reports_what_was_written(self, tmp_path: Path) -> None:
        """RLIMIT_FSIZE cuts a writev short: the error says how many bytes went out, and
        writing the rest once the limit is raised gives the exact bytes."""
        code = textwrap.dedent(
            """
            import os, resource, signal, sys
            from fastlog_core import FileSink
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            path = sys.argv[1]
            parts = [bytes([65 + i]) * 999 + b"\\n" for i in range(10)]  # 10 x 1000 bytes
            soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4500, hard))
            sink = FileSink(path)
            try:
                sink.writev(parts)
            except OSError as exc:
                written = exc.fastlog_written
            else:
                raise SystemExit("no error past the limit")
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            sink.write(b"".join(parts)[written:])
            sink.close()
            print(written)
            """
        )
        path = tmp_path / "short.log"
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert int(out.stdout) == 4500
        assert path.read_bytes() == b"".join(bytes([65 + i]) * 999 + b"\n" for i in range(10))

    def test_cut_line_given_up_is_ended(self, tmp_path: Path) -> None:
        """A cut line whose rest never comes (the pipeline gave it up, counted as lost): its
        start is ended, so that the next line is whole."""
        code = textwrap.dedent(
            """
            import resource, signal, sys
            from fastlog_core import FileSink
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1500, hard))
            sink = FileSink(sys.argv[1])
            try:
                sink.write(b"a" * 999 + b"\\n" + b"b" * 999 + b"\\n")
            except OSError as exc:
                print(exc.fastlog_written)
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            sink.write(b"next\\n")  # not the rest of the b line
            sink.close()
            """
        )
        path = tmp_path / "cut.log"
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert int(out.stdout) == 1500
        assert path.read_bytes() == b"a" * 999 + b"\n" + b"b" * 500 + b"\n" + b"next\n"
        assert "given up" in out.stderr

    def test_subclass_overriding_write_alone_keeps_getting_write(self, tmp_path: Path) -> None:
        """The pipeline calls writev only where a class defines it next to write."""
        path = tmp_path / "n.log"
        sink = RecordingFileSink(path)  # overrides write alone
        fastlog_core.configure(sink=sink)
        for i in range(10):
            fastlog_core.get_logger().info("n", i=i)
        assert fastlog_core.flush(timeout=10)
        assert b"".join(sink.writes) == path.read_bytes()
        assert [r["i"] for r in read_lines(path)] == list(range(10))


class TestStreamSink:
    def test_stdout_follows_redirection(self) -> None:
        """'stdout' writes to whatever sys.stdout is at write time."""
        captured = io.StringIO()
        fastlog_core.configure(sink="stdout")
        with contextlib.redirect_stdout(captured):
            fastlog_core.get_logger("s").info("hello")
            assert fastlog_core.flush(timeout=10)
        assert '"logger":"s","message":"hello"' in captured.getvalue()
        assert captured.getvalue().endswith("}\n")

    def test_binary_stream_object(self) -> None:
        """An open binary stream can be a sink."""
        stream = io.BytesIO()
        fastlog_core.configure(sink=StreamSink(stream))
        fastlog_core.get_logger().info("bin")
        assert fastlog_core.flush(timeout=10)
        assert stream.getvalue().count(b"\n") == 1

    def test_no_duplicates_or_torn_lines(self) -> None:
        """stdout as a non-blocking pipe with a late reader: each record exactly once."""
        code = textwrap.dedent(
            """
            import io, os, sys, threading, time
            r, w = os.pipe()
            os.set_blocking(w, False)
            sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(w, "w", closefd=False)))
            import fastlog_core
            from tests.helpers import wait_until
            fastlog_core.configure(sink="stdout")
            log = fastlog_core.get_logger("t")
            for i in range(3000):
                log.info("r", i=i, pad="x" * 100)
            chunks = []
            def reader():
                time.sleep(0.5)  # the late reader under test: the pipe fills up meanwhile
                while True:
                    chunk = os.read(r, 1 << 16)
                    chunks.append(chunk)
                    if not chunk:
                        break
            thread = threading.Thread(target=reader, daemon=True)
            thread.start()
            wait_until(lambda: fastlog_core.flush(timeout=1), message="every record in the pipe")
            sys.stdout = sys.__stdout__  # nothing is written to the pipe from here on
            os.close(w)  # the reader sees the end of the pipe once it has drained it
            thread.join(timeout=30)
            assert not thread.is_alive(), "the reader never reached the end of the pipe"
            sys.__stdout__.buffer.write(b"".join(chunks))
            """
        )
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            timeout=120,
            check=True,
            env=child_env(),
        )
        seen = [orjson.loads(line)["i"] for line in proc.stdout.splitlines()]
        assert seen == list(range(3000))


#: A console line of ``log.info("log", i=N)`` from the logger ``t``, colours removed.
CONSOLE_LOG = re.compile(r"\d\d:\d\d:\d\d\.\d{6} INFO     t  log  i=(\d)")


def on_terminal(args: list[str]) -> tuple[int, int]:
    """Start ``python *args`` with a pseudo-terminal as stdin, stdout and stderr: (pid, fd)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: nothing of pytest's may run here
        env = child_env()
        env.pop("PYTHONSTARTUP", None)
        env.pop("FASTLOG_FORMAT", None)
        env["TERM"] = "dumb"
        os.execve(sys.executable, [sys.executable, *args], env)
    return pid, fd


def read_terminal(fd: int, until: bytes | None = None, timeout: float = 30.0) -> bytes:
    """What the terminal shows until *until* appears (or the program ends), without escapes.

    ``select``'s timeout is a hang guard, not a synchronisation: reading stops on *until*.
    """
    out = b""
    deadline = time.monotonic() + timeout
    while until is None or until not in out:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"the terminal showed no {until!r} in {timeout}s: {out!r}"
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the program ended, its side of the terminal is closed
            chunk = b""
        if not chunk:
            break
        out += chunk
    return re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", out).replace(b"\r\n", b"\n")


class TestTerminal:
    """On a terminal, log lines show up in call order, between the program's own output."""

    def test_print_and_log_lines_in_call_order(self) -> None:
        """print(), log, print(), ... on a terminal: the lines appear in the order of the calls
        (the pipeline writes in the caller when stdout is a terminal), as console lines
        (``test_terminal``)."""
        code = textwrap.dedent(
            """
            import fastlog_core
            log = fastlog_core.get_logger("t")
            for i in range(3):
                print(f"print {i}")
                log.info("log", i=i)
            print("sync", fastlog_core.get_pipeline("stdout").settings.sync)
            """
        )
        pid, fd = on_terminal(["-c", code])
        shown = read_terminal(fd).decode().splitlines()
        assert os.waitpid(pid, 0)[1] == 0
        texts = [
            f"log {m.group(1)}" if (m := CONSOLE_LOG.fullmatch(line)) else line for line in shown
        ]
        assert texts == ["print 0", "log 0", "print 1", "log 1", "print 2", "log 2", "sync True"]

    def test_interactive_prompt_comes_after_the_line(self) -> None:
        """``python -i``: the log line is shown before the next prompt, not after it."""
        pid, fd = on_terminal(["-q", "-i"])
        try:
            read_terminal(fd, until=b">>> ")
            os.write(fd, b"import fastlog_core; fastlog_core.get_logger('repl').info('hi')\n")
            shown = read_terminal(fd, until=b"\n>>> ")
            os.write(fd, b"exit()\n")
            read_terminal(fd)
        finally:
            os.close(fd)
            os.waitpid(pid, 0)
        between = shown.split(b"info('hi')\n", 1)[1]  # after the echo of the command
        assert re.fullmatch(rb"\d\d:\d\d:\d\d\.\d{6} INFO     repl  hi\n>>> ", between), (
            f"the prompt came before the line: {shown!r}"
        )

    def test_explicit_sync_false_keeps_the_writer_thread(self) -> None:
        """sync=False given explicitly keeps the asynchronous writer on a terminal."""
        code = (
            "import fastlog_core; fastlog_core.configure(sink='stdout', sync=False); "
            "print('sync', fastlog_core.get_pipeline('stdout').settings.sync)"
        )
        pid, fd = on_terminal(["-c", code])
        shown = read_terminal(fd).decode()
        assert os.waitpid(pid, 0)[1] == 0
        assert shown == "sync False\n"

    def test_pipe_keeps_the_writer_thread(self) -> None:
        """stdout to a pipe (not a terminal) keeps the asynchronous writer: throughput as before."""
        code = "import fastlog_core; print(fastlog_core.get_pipeline('stdout').settings.sync)"
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=child_env(),
        )
        assert proc.stdout == "False\n"


HEAD_CHILD = textwrap.dedent(
    """
    import json, sys, fastlog_core
    log = fastlog_core.get_logger("cli")
    for i in range(int(sys.argv[2])):
        log.info("line", i=i)
        if i % 1000 == 0:
            fastlog_core.flush()  # batches of all sizes, some before head has gone
    fastlog_core.flush()
    stats = fastlog_core.stats()
    with open(sys.argv[1], "w") as out:
        json.dump({k: stats[k] for k in ("records_written", "dropped", "lost", "errors")}, out)
    """
)


class TestClosedPipe:
    """``python app.py | head -1``: an ordinary end for a command-line tool."""

    @pytest.mark.parametrize("records", [50, 100_000])
    @pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
    def test_head_closing_the_pipe_is_quiet_and_counted(
        self, tmp_path: Path, records: int, buffered: bool
    ) -> None:
        """head exits after one line: no stderr output, exit status 0, and the records that
        could not be written counted as lost (sent = written + dropped + lost)."""
        counts = tmp_path / "stats.json"
        env = child_env()
        if buffered:
            env.pop("PYTHONUNBUFFERED", None)
        else:
            env["PYTHONUNBUFFERED"] = "1"
        app = subprocess.Popen(
            [sys.executable, "-c", HEAD_CHILD, str(counts), str(records)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert app.stdout is not None and app.stderr is not None
        head = subprocess.Popen(["head", "-1"], stdin=app.stdout, stdout=subprocess.PIPE)
        app.stdout.close()  # head holds the only read end: its exit closes the pipe
        first, _ = head.communicate(timeout=120)
        err = app.stderr.read()
        assert app.wait(timeout=120) == 0
        assert err == b""
        assert orjson.loads(first)["i"] == 0
        stats = json.loads(counts.read_text())
        assert stats["errors"] == stats["dropped"] == 0
        assert stats["records_written"] >= 1
        assert stats["records_written"] + stats["lost"] == records


class TestSinkProtocol:
    def test_custom_sink(self) -> None:
        """Any object with write/flush/close is a Sink and receives whole lines."""
        sink = MemorySink()
        assert isinstance(sink, Sink)
        fastlog_core.configure(sink=sink)
        log = fastlog_core.get_logger()
        for i in range(10):
            log.info("c", i=i)
        assert fastlog_core.flush(timeout=10)
        assert sink.data.count(b"\n") == 10
        assert sink.data.endswith(b"\n")

    def test_custom_sink_pipeline_name(self) -> None:
        """A custom sink's pipeline is named after its class."""
        pipeline = fastlog_core.get_pipeline(MemorySink())
        assert pipeline.name.startswith("MemorySink@")

    def test_sink_closed_is_given_up_quietly_and_counted(
        self, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A sink raising SinkClosed is written to no more: no retry, nothing on stderr, its
        records counted as lost; the pipeline's other sink gets everything."""

        class Gone(MemorySink):
            def write(self, data: bytes, /) -> None:
                self.attempts += 1
                if self.attempts > 1:
                    raise fastlog_core.SinkClosed(32, "the reader left")
                self.writes.append(bytes(data))

        gone, kept = Gone(), MemorySink()
        fastlog_core.configure(sink=[gone, {"sink": kept, "level": "info"}])
        log = fastlog_core.get_logger()
        log.info("first")
        assert fastlog_core.flush(timeout=10)
        for i in range(100):
            log.info("after", i=i)
        assert fastlog_core.flush(timeout=10)
        log.info("last")
        assert fastlog_core.flush(timeout=10)
        assert gone.attempts == 2  # never retried, never called again
        assert kept.data.count(b"\n") == 102
        (closed, healthy) = fastlog_core.stats()["pipelines"][
            fastlog_core.get_pipeline([gone, {"sink": kept, "level": "info"}]).name
        ]["sinks"]
        assert (closed["records_written"], closed["failing"], closed["errors"]) == (1, False, 0)
        assert healthy["records_written"] == 102
        assert fastlog_core.stats()["lost"] == 101
        assert fastlog_core.shutdown()
        assert "fastlog" not in capfd.readouterr().err
