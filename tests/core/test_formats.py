"""Several sinks per pipeline: per-sink level and encoder (console, logfmt, msgpack, custom)."""

from __future__ import annotations

import errno
import io
import json
from pathlib import Path
from typing import Any

import msgpack
import pytest

import fastlog_core
from fastlog_core import ConfigError, ConsoleEncoder, LogfmtEncoder, MsgpackEncoder, StreamSink
from tests.helpers import MemorySink, read_lines


class Upper:
    """A custom encoder: the message in capitals, one per line."""

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, record: dict[str, Any]) -> bytes:
        self.calls += 1
        return str(record["message"]).upper().encode() + b"\n"


class Broken:
    def encode(self, record: dict[str, Any]) -> bytes:
        if record.get("bad"):
            raise RuntimeError("no")
        return b"ok\n"


class TestLogfmtEncoder:
    def test_line(self) -> None:
        """Plain values bare, others quoted with JSON escapes, nested as quoted JSON."""
        record = {
            "timestamp": "2026-01-02T03:04:05.000006Z",
            "level": "info",
            "logger": "app",
            "message": "user logged in",
            "user_id": 7,
            "ok": True,
            "ratio": 0.5,
            "none": None,
            "quote": 'say "hi"',
            "nested": {"a": [1, 2]},
            "new\nline key": "x\ny",
        }
        assert LogfmtEncoder().encode(record) == (
            b'timestamp=2026-01-02T03:04:05.000006Z level=info logger=app message="user logged in"'
            b' user_id=7 ok=true ratio=0.5 none= quote="say \\"hi\\"" nested="{\\"a\\":[1,2]}"'
            b' new_line_key="x\\ny"\n'
        )

    def test_exception_flattened(self) -> None:
        """The exception object becomes exception.* keys on the same line."""
        line = LogfmtEncoder().encode(
            {
                "message": "m",
                "exception": {"type": "ValueError", "message": "bad", "traceback": "T\nB"},
            }
        )
        assert line == (
            b"message=m exception.type=ValueError exception.message=bad"
            b' exception.traceback="T\\nB"\n'
        )
        assert line.count(b"\n") == 1


class TestPerSinkOptions:
    def test_fan_out_levels_and_encoders(self, tmp_path: Path) -> None:
        """JSON file at DEBUG + logfmt file at WARNING + msgpack file: each gets its share."""
        json_path, logfmt_path, pack_path = (tmp_path / n for n in ("a.log", "b.logfmt", "c.mp"))
        fastlog_core.configure(
            sink=[
                str(json_path),
                {"sink": str(logfmt_path), "level": "warning", "encoder": "logfmt"},
                {"sink": str(pack_path), "encoder": "msgpack"},
            ],
            level="debug",
        )
        log = fastlog_core.get_logger("fan")
        for i in range(300):
            log.debug("d", i=i)
            log.info("i", i=i)
            log.warning("w", i=i)
            log.error("e", i=i)
        assert fastlog_core.flush(timeout=10)
        records = read_lines(json_path)
        assert len(records) == 1200
        lines = logfmt_path.read_bytes().splitlines()
        assert len(lines) == 600
        assert (
            lines[0].startswith(b"timestamp=")
            and b" level=warning logger=fan message=w i=0" in lines[0]
        )
        assert b" level=error " in lines[1]
        unpacked = list(msgpack.Unpacker(io.BytesIO(pack_path.read_bytes()), raw=False))
        assert unpacked == records  # the same records, field for field, in order
        stats = fastlog_core.stats()["pipelines"]
        (pipe,) = stats.values()
        sinks = {Path(s["sink"].split("'")[1]).name: s for s in pipe["sinks"]}
        assert sinks["a.log"]["records_written"] == 1200 and sinks["a.log"]["filtered"] == 0
        assert sinks["b.logfmt"]["records_written"] == 600 and sinks["b.logfmt"]["filtered"] == 600
        assert sinks["c.mp"]["records_written"] == 1200

    def test_console_to_a_stream_at_warning(self, tmp_path: Path) -> None:
        """The classic pair: JSON file at INFO, human-readable stream at WARNING, no colours."""
        stream = io.StringIO()
        console = StreamSink(stream)
        path = tmp_path / "app.log"
        fastlog_core.configure(
            sink=[
                str(path),
                {"sink": console, "level": "warning", "encoder": ConsoleEncoder(colors=False)},
            ]
        )
        log = fastlog_core.get_logger("svc")
        log.info("started", port=8000)
        log.warning("slow", ms=1200)
        assert fastlog_core.flush(timeout=10)
        assert [r["message"] for r in read_lines(path)] == ["started", "slow"]
        text = stream.getvalue().splitlines()
        assert len(text) == 1
        assert text[0].endswith("WARNING  svc  slow  ms=1200")

    def test_custom_encoder_once_per_distinct_encoder(self, tmp_path: Path) -> None:
        """Two sinks sharing one encoder object: each record encoded once, both written."""
        upper = Upper()
        a, b = tmp_path / "a.txt", tmp_path / "b.txt"
        fastlog_core.configure(
            sink=[{"sink": str(a), "encoder": upper}, {"sink": str(b), "encoder": upper}]
        )
        log = fastlog_core.get_logger()
        for i in range(10):
            log.info(f"m{i}")
        assert fastlog_core.flush(timeout=10)
        expected = b"".join(f"M{i}\n".encode() for i in range(10))
        assert a.read_bytes() == expected and b.read_bytes() == expected
        assert upper.calls == 10

    def test_failing_encoder_writes_json_and_counts(self, log_path: Path) -> None:
        """A record the encoder rejects is written as its JSON line; the error is counted."""
        fastlog_core.configure(sink={"sink": str(log_path), "encoder": Broken()})
        log = fastlog_core.get_logger()
        log.info("a")
        log.info("b", bad=True)
        assert fastlog_core.flush(timeout=10)
        first, second = log_path.read_bytes().splitlines()
        assert first == b"ok"
        assert json.loads(second)["message"] == "b"
        assert fastlog_core.stats()["errors_by_kind"]["encoder"] == 1

    def test_top_level_encoder_applies_to_every_sink(self, tmp_path: Path) -> None:
        """encoder= next to the settings is the default of each sink."""
        a, b = tmp_path / "a", tmp_path / "b"
        fastlog_core.configure(sink=[str(a), str(b)], encoder="logfmt")
        fastlog_core.get_logger().info("x")
        assert fastlog_core.flush(timeout=10)
        assert a.read_bytes() == b.read_bytes()
        assert b"message=x" in a.read_bytes()

    def test_console_format_still_works(self, log_path: Path) -> None:
        """format="console" (the dev preset's) renders every sink without its own encoder."""
        fastlog_core.configure(sink=str(log_path), format="console", colors=False)
        fastlog_core.get_logger("c").info("hello", k=1)
        assert fastlog_core.flush(timeout=10)
        assert log_path.read_text().endswith("INFO     c  hello  k=1\n")


class TestFailures:
    def test_transformed_sink_resumes_where_it_stopped(self, log_path: Path) -> None:
        """A logfmt sink failing mid-write: its bytes resume exactly, JSON sink unaffected."""
        # Fails its first two writes with EIO, each taking half of its batch, then works.
        flaky = MemorySink(fail_times=2, error=errno.EIO, partial=True)
        fastlog_core.configure(
            sink=[str(log_path), {"sink": flaky, "encoder": "logfmt", "level": "info"}],
            level="debug",
        )
        log = fastlog_core.get_logger("f")
        for i in range(200):
            log.debug("d", i=i)
            log.info("i", i=i)
        # flush() reports a failed attempt as False; the retries (backoff) then succeed.
        assert any(fastlog_core.flush(timeout=10) for _ in range(5))
        assert len(read_lines(log_path)) == 400
        lines = flaky.data.splitlines()
        assert [int(line.rsplit(b"i=", 1)[1]) for line in lines] == list(range(200))
        assert all(b" level=info " in line for line in lines)
        sinks = next(iter(fastlog_core.stats()["pipelines"].values()))["sinks"]
        assert sinks[1]["errors"] == 2 and sinks[1]["filtered"] == 200
        assert sinks[1]["records_written"] == 200


class TestConfiguration:
    @pytest.mark.parametrize(
        ("sink", "named"),
        [
            ({"path": "x.log"}, "unknown key 'path'"),
            ({"level": "info"}, "no 'sink' key"),
            ({"sink": "x.log", "encoder": "yaml"}, "encoder='yaml'"),
            ({"sink": "x.log", "encoder": 3}, "encoder=3"),
            ({"sink": "x.log", "level": "loud"}, "level='loud'"),
            ({"sink": "stdout", "rotation": "1 MB"}, "rotation= applies to files"),
        ],
    )
    def test_bad_sink_specs_named(self, tmp_path: Path, sink: dict[str, Any], named: str) -> None:
        if isinstance(sink.get("sink"), str) and sink["sink"].endswith(".log"):
            sink = {**sink, "sink": str(tmp_path / sink["sink"])}
        with pytest.raises(ConfigError, match=named.replace("(", r"\(")):
            fastlog_core.configure(sink=sink)

    def test_other_sink_options_conflict(self, log_path: Path) -> None:
        """Asking for a destination in use with other per-sink options fails, naming them."""
        fastlog_core.get_pipeline(str(log_path), encoder="logfmt")
        with pytest.raises(ConfigError, match=r"already has other settings.*encoder='logfmt' vs"):
            fastlog_core.get_pipeline(str(log_path), encoder="json")
        assert fastlog_core.get_pipeline(str(log_path)) is fastlog_core.get_pipeline(
            str(log_path), encoder="logfmt"
        )

    def test_asking_without_sink_options_shares(self, log_path: Path) -> None:
        """A destination set up with rotation and an encoder is shared by a plain request."""
        first = fastlog_core.get_pipeline(
            {"sink": str(log_path), "rotation": "1 MB", "encoder": "logfmt"}
        )
        assert fastlog_core.get_pipeline(str(log_path)) is first
        assert isinstance(first.sink_options[0].encoder, LogfmtEncoder)
        assert "rotation='1 MB'" in repr(first.sinks[0])

    def test_configure_replaces_sink_options_in_place(self, log_path: Path) -> None:
        """configure() gives the destination exactly its options: rotation and encoder go, on
        the same pipeline, and the stream says what changed."""
        first = fastlog_core.get_pipeline(
            {"sink": str(log_path), "rotation": "1 MB", "encoder": "logfmt"}
        )
        fastlog_core.configure(sink=str(log_path), level="debug")
        assert fastlog_core.get_logger()._route.pipeline is first
        assert first.sink_options[0].encoder is None
        assert repr(first.sinks[0]) == f"FileSink({str(log_path)!r})"
        fastlog_core.get_logger().info("json again")
        assert fastlog_core.flush(timeout=10)
        note, record = read_lines(log_path)
        assert note["changed"] == {"encoder": ["logfmt", None], "rotation": ["1 MB", None]}
        assert record["message"] == "json again"

    def test_msgpack_encoder_is_an_object_too(self) -> None:
        assert MsgpackEncoder().encode({"a": 1}) == msgpack.packb({"a": 1})
