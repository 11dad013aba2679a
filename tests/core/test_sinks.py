"""Sinks: FileSink appends whole lines, StreamSink follows redirection, custom sinks plug in."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson

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
