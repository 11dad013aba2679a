"""FastlogSink against real loguru: configuration, record mapping, exceptions, lifecycle."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import warnings
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

import fastlog_core
from fastlog_core import ConfigError, adapter
from fastlog_loguru import FastlogSink
from fastlog_loguru._record import DefaultEncoder
from fastlog_stdlib import FastlogHandler
from tests.helpers import read_lines, run_threads


def lines(path: Path) -> list[dict[str, Any]]:
    assert fastlog_core.flush(timeout=10)
    return read_lines(path)


def ensure_level(name: str, no: int, icon: str = "*") -> None:
    """loguru levels cannot be removed: add a custom level once per process."""
    try:
        logger.level(name)
    except ValueError:
        logger.level(name, no=no, icon=icon)


class Recorder:
    """A second loguru sink keeping the records loguru built, to compare against."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    def __call__(self, message: Any) -> None:
        self.records.append(message.record)


class TestConfiguration:
    def test_unknown_option_names_it(self, log_path: Path) -> None:
        """An unknown keyword fails at construction, naming it and listing the known ones."""
        with pytest.raises(ConfigError, match="'capcity'") as info:
            FastlogSink(str(log_path), capcity=10)
        assert "include_location" in str(info.value)
        assert "schema" in str(info.value)

    def test_misspelt_option_suggests_the_closest(self, log_path: Path) -> None:
        """A typo gets the closest known name, the sink's own parameters included."""
        with pytest.raises(ConfigError) as info:
            FastlogSink(str(log_path), include_proces=True)  # type: ignore[call-arg]
        message = str(info.value)
        assert message.startswith(
            "FastlogSink: unknown option 'include_proces' (did you mean 'include_process'?)"
        )
        assert {"sink", "schema", "preset"} <= set(message.split("known options: ")[1].split(", "))

    def test_other_settings_than_the_destinations_fail(self, log_path: Path) -> None:
        """A sink on a file configure() gave a rotation, with another rotation: ConfigError
        naming the option, both values and configure(); the same rotation shares it."""
        fastlog_core.configure(sink=str(log_path), rotation="1 MB")
        with pytest.raises(
            ConfigError, match=r"^FastlogSink: .* given by configure\(\): rotation='1 MB' vs '2 MB'"
        ):
            FastlogSink(str(log_path), rotation="2 MB")
        sink = FastlogSink(str(log_path), rotation=1_000_000)
        assert sink.pipeline is fastlog_core.get_pipeline(str(log_path))

    @pytest.mark.parametrize("schema", ["elastic", "LOGURU", 1, ""])
    def test_unknown_schema_names_the_option(self, log_path: Path, schema: object) -> None:
        """schema= is None, 'default', 'loguru', a platform schema or a key mapping."""
        with pytest.raises(ConfigError, match=r"schema="):
            FastlogSink(str(log_path), schema=schema)  # type: ignore[arg-type]

    def test_bad_pipeline_value_names_it(self, log_path: Path) -> None:
        """Pipeline options are checked by the core, which names the option."""
        with pytest.raises(ConfigError, match="policy='maybe'"):
            FastlogSink(str(log_path), policy="maybe")

    def test_flags_must_be_bool(self, log_path: Path) -> None:
        """include_* take True or False, nothing truthy."""
        with pytest.raises(ConfigError, match="include_thread='yes'"):
            FastlogSink(str(log_path), include_thread="yes")  # type: ignore[arg-type]

    def test_loguru_schema_rejects_include_flags(self, log_path: Path) -> None:
        """The loguru layout always has location, process and thread: the flags are an error."""
        with pytest.raises(ConfigError, match="schema='loguru'"):
            FastlogSink(str(log_path), schema="loguru", include_location=True)

    def test_pathlike_and_shared_pipeline(self, log_path: Path) -> None:
        """A Path works like its str; the sink shares the destination's pipeline."""
        sink = FastlogSink(log_path)
        assert sink.pipeline is fastlog_core.get_pipeline(str(log_path))
        assert repr(sink) == f"<FastlogSink {log_path}>"

    def test_sink_none_follows_configure(self, tmp_path: Path) -> None:
        """sink=None writes where fastlog_core.configure() says, even if configured later."""
        logger.add(FastlogSink())
        target = tmp_path / "late.log"
        fastlog_core.configure(sink=str(target))
        logger.info("after configure")
        assert [r["message"] for r in lines(target)] == ["after configure"]

    def test_is_a_stream_sink_without_flush(self, log_path: Path) -> None:
        """loguru flushes a stream sink after every record if it has flush(): it must not."""
        sink = FastlogSink(str(log_path))
        assert not hasattr(sink, "flush")
        assert callable(sink.stop)
        assert inspect.iscoroutinefunction(sink.complete)


class TestRecordMapping:
    def test_schema_order_and_fields(self, log_path: Path) -> None:
        """The benchmark's record: schema keys first, then bound fields in order."""
        logger.add(FastlogSink(str(log_path)))
        logger.bind(user_id=7, ip="203.0.113.7", ok=True).info("user logged in")
        (record,) = lines(log_path)
        assert list(record) == ["timestamp", "level", "logger", "message", "user_id", "ip", "ok"]
        assert record["level"] == "info"
        assert record["logger"] == __name__
        assert record["message"] == "user logged in"
        assert (record["user_id"], record["ip"], record["ok"]) == (7, "203.0.113.7", True)

    def test_timestamp_is_record_time_in_utc(self, log_path: Path) -> None:
        """timestamp is loguru's record["time"] converted to UTC, to the microsecond."""
        recorder = Recorder()
        logger.add(recorder)
        logger.add(FastlogSink(str(log_path)))
        for _ in range(20):
            logger.info("tick")
        for written, seen in zip(lines(log_path), recorder.records, strict=True):
            expected = seen["time"].astimezone(datetime.UTC).replace(tzinfo=None)
            assert written["timestamp"] == expected.isoformat(timespec="microseconds") + "Z"

    @pytest.mark.parametrize(
        "tz",
        [
            datetime.timezone(datetime.timedelta(hours=5, minutes=30), "IST"),
            datetime.timezone(datetime.timedelta(hours=-8)),
            datetime.UTC,
            zoneinfo.ZoneInfo("America/New_York"),
        ],
        ids=["+05:30", "-08:00", "utc", "zoneinfo"],
    )
    def test_timestamp_from_patched_time_zones(self, log_path: Path, tz: datetime.tzinfo) -> None:
        """A patcher may move the time to another zone: the instant written stays the same."""
        moment = datetime.datetime(2024, 3, 10, 6, 30, 15, 123456, tzinfo=datetime.UTC)
        logger.add(FastlogSink(str(log_path)))
        logger.patch(lambda r: r.update(time=moment.astimezone(tz))).info("patched")
        (record,) = lines(log_path)
        assert record["timestamp"] == "2024-03-10T06:30:15.123456Z"

    def test_timestamp_whole_second_and_naive(self, log_path: Path) -> None:
        """Microsecond 0 keeps the 6-digit shape; a naive time is read as local time."""
        logger.add(FastlogSink(str(log_path)))
        whole = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
        naive = datetime.datetime(2024, 1, 2, 3, 4, 5, 600)
        logger.patch(lambda r: r.update(time=whole)).info("whole")
        logger.patch(lambda r: r.update(time=naive)).info("naive")
        first, second = lines(log_path)
        assert first["timestamp"] == "2024-01-02T03:04:05.000000Z"
        utc = datetime.datetime.fromtimestamp(naive.timestamp(), datetime.UTC)
        assert second["timestamp"] == utc.replace(tzinfo=None).isoformat() + "Z"
        assert "fastlog_error" not in first
        assert "fastlog_error" not in second

    def test_output_same_without_speedups(self, tmp_path: Path) -> None:
        """Byte-for-byte the same lines with FASTLOG_NO_SPEEDUPS=1 (the pure-Python time path)."""
        code = textwrap.dedent(
            """
            import datetime, sys
            from loguru import logger
            from fastlog_core import _fields
            from fastlog_loguru import FastlogSink
            print(_fields.SPEEDUPS)
            logger.remove()
            logger.add(FastlogSink(sys.argv[1]), format="{message}")
            utc = datetime.datetime(2024, 3, 10, 6, 30, 15, 123456, tzinfo=datetime.UTC)
            for hours in (0, 5.5, -8):
                tz = datetime.timezone(datetime.timedelta(hours=hours))
                logger.patch(lambda r: r.update(time=utc.astimezone(tz))).bind(h=hours).info("t")
            whole = utc.replace(microsecond=0)
            logger.patch(lambda r: r.update(time=whole)).info("whole")
            """
        )
        outputs = []
        for flag in ("", "1"):
            path = tmp_path / f"out{flag}.log"
            done = subprocess.run(
                [sys.executable, "-c", code, str(path)],
                env={**os.environ, "FASTLOG_NO_SPEEDUPS": flag},
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == str(not flag and fastlog_core._fields.SPEEDUPS)
            outputs.append(path.read_bytes())
        assert outputs[0] == outputs[1]
        stamps = [json.loads(line)["timestamp"] for line in outputs[0].splitlines()]
        assert stamps == ["2024-03-10T06:30:15.123456Z"] * 3 + ["2024-03-10T06:30:15.000000Z"]

    def test_levels_lower_case_custom_too(self, log_path: Path) -> None:
        """Every loguru level, custom ones included, is written lower case."""
        ensure_level("NOTICE", 22)
        logger.add(FastlogSink(str(log_path)), level=0)
        for name in ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL", "NOTICE"):
            logger.log(name, name)
        logger.log(17, "by number")
        records = lines(log_path)
        assert [r["level"] for r in records] == [
            "trace",
            "debug",
            "info",
            "success",
            "warning",
            "error",
            "critical",
            "notice",
            "level-17",
        ]

    def test_bind_contextualize_kwargs_and_context(self, log_path: Path) -> None:
        """bind, contextualize and call kwargs are fields after fastlog's context fields."""
        logger.add(FastlogSink(str(log_path)))
        logger.configure(extra={"service": "billing"})
        with fastlog_core.context(request_id="r-1", user="ctx"):
            with logger.contextualize(tenant="acme"):
                logger.bind(user="bound").info("charged {amount}", amount=12.5)
        (record,) = lines(log_path)
        assert record["message"] == "charged 12.5"
        assert list(record)[4:] == ["request_id", "user", "service", "tenant", "amount"]
        assert record["user"] == "bound"  # loguru's extra wins over the context of the same name
        assert (record["request_id"], record["tenant"], record["amount"]) == ("r-1", "acme", 12.5)

    def test_opt_variants(self, log_path: Path) -> None:
        """opt(lazy=True), opt(raw=True), opt(depth=1) and opt(record=True) as loguru means."""
        logger.add(FastlogSink(str(log_path), include_location=True))

        def helper() -> None:
            logger.opt(depth=1).info("from caller")

        logger.opt(lazy=True).info("lazy {x}", x=lambda: 6 * 7)
        logger.opt(raw=True).info("raw text\n")
        logger.opt(record=True).info("line {record[line]}")
        helper()
        lazy, raw, rec, depth = lines(log_path)
        assert (lazy["message"], lazy["x"]) == ("lazy 42", 42)
        assert raw["message"] == "raw text\n"
        assert rec["message"] == f"line {rec['line']}"
        assert depth["function"] == "test_opt_variants"

    def test_schema_keys_in_extra_are_renamed(self, log_path: Path) -> None:
        """extra keys named like schema keys never overwrite them: fields.<key>."""
        logger.add(FastlogSink(str(log_path)))
        logger.bind(level="x", logger="y", timestamp="z", message="m").warning("real")
        with fastlog_core.context(level="ctx"):
            logger.info("with context")
        first, second = lines(log_path)
        assert (first["level"], first["logger"], first["message"]) == ("warning", __name__, "real")
        assert first["fields.level"] == "x"
        assert first["fields.logger"] == "y"
        assert first["fields.timestamp"] == "z"
        assert first["fields.message"] == "m"
        assert (second["level"], second["fields.level"]) == ("info", "ctx")

    def test_include_location_process_thread(self, log_path: Path) -> None:
        """include_* add loguru's file path, line, function, process and thread."""
        logger.add(
            FastlogSink(
                str(log_path), include_location=True, include_process=True, include_thread=True
            )
        )
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        logger.bind(k=1).info("where")
        (record,) = lines(log_path)
        assert list(record)[:4] == ["timestamp", "level", "logger", "message"]
        assert record["file"] == __file__
        assert record["line"] == line
        assert record["function"] == "test_include_location_process_thread"
        assert (record["process"], record["process_name"]) == (os.getpid(), "MainProcess")
        assert (record["thread"], record["thread_name"]) == (threading.get_ident(), "MainThread")
        assert record["k"] == 1

    def test_inlined_path_matches_encoder(self, log_path: Path) -> None:
        """write()'s inlined default path writes what DefaultEncoder writes (time aside)."""
        recorder: list[Any] = []
        logger.add(lambda m: recorder.append(m))
        logger.add(FastlogSink(str(log_path)))
        with fastlog_core.context(c=1):
            logger.bind(level="x", a=[1, 2]).warning("w")
        try:
            raise ValueError("v")
        except ValueError:
            logger.exception("e")
        encoder = DefaultEncoder()
        expected = [
            __import__("orjson").loads(adapter.encode_record(encoder.fields(m, m.record)))
            for m in recorder
            if m.record["message"] != "w"
        ]
        written = lines(log_path)
        assert written[1] == expected[0]


class TestExceptions:
    def records(self, path: Path) -> list[dict[str, Any]]:
        return lines(path)

    def test_logger_exception(self, log_path: Path) -> None:
        """logger.exception() in an except block: the structured exception object."""
        logger.add(FastlogSink(str(log_path)))
        try:
            {}["missing"]
        except KeyError:
            logger.exception("lookup failed")
        (record,) = self.records(log_path)
        assert record["level"] == "error"
        exc = record["exception"]
        assert exc["type"] == "KeyError"
        assert exc["message"] == "'missing'"
        assert exc["traceback"].startswith("Traceback (most recent call last):")
        assert '{}["missing"]' in exc["traceback"]

    def test_opt_exception_instance_and_tuple(self, log_path: Path) -> None:
        """opt(exception=...) with an instance, a tuple and True."""
        logger.add(FastlogSink(str(log_path)))
        error = ConnectionError("gone")
        logger.opt(exception=error).warning("instance")
        try:
            raise RuntimeError("boom")
        except RuntimeError as exc:
            logger.opt(exception=(type(exc), exc, exc.__traceback__)).error("tuple")
            logger.opt(exception=True).error("true")
        instance, as_tuple, as_true = self.records(log_path)
        assert instance["exception"]["type"] == "ConnectionError"
        assert instance["exception"]["message"] == "gone"
        assert as_tuple["exception"]["type"] == "RuntimeError"
        assert as_true["exception"]["message"] == "boom"

    def test_exception_with_cause(self, log_path: Path) -> None:
        """A chained exception keeps both parts in the traceback text."""
        logger.add(FastlogSink(str(log_path)))
        try:
            try:
                int("x")
            except ValueError as inner:
                raise LookupError("config missing") from inner
        except LookupError:
            logger.exception("startup")
        (record,) = self.records(log_path)
        exc = record["exception"]
        assert exc["type"] == "LookupError"
        assert "ValueError: invalid literal" in exc["traceback"]
        assert "direct cause of the following exception" in exc["traceback"]

    def test_catch_decorator_and_context_manager(self, log_path: Path) -> None:
        """@logger.catch and `with logger.catch()` write one error record each."""
        logger.add(FastlogSink(str(log_path)))

        @logger.catch
        def divide(a: int, b: int) -> float:
            return a / b

        divide(1, 0)
        with logger.catch(message="in block"):
            raise ValueError("bad")
        first, second = self.records(log_path)
        assert first["level"] == "error"
        assert first["message"].startswith("An error has been caught in function")
        assert first["exception"]["type"] == "ZeroDivisionError"
        assert second["message"] == "in block"
        assert second["exception"]["type"] == "ValueError"

    def test_exception_without_active_exception(self, log_path: Path) -> None:
        """logger.exception() outside except: loguru records (None, None, None); none written."""
        logger.add(FastlogSink(str(log_path)))
        logger.exception("nothing to show")
        (record,) = self.records(log_path)
        assert "exception" not in record
        assert record["message"] == "nothing to show"

    def test_extra_named_exception_moves_aside(self, log_path: Path) -> None:
        """A field called exception is kept as fields.exception next to the real one."""
        logger.add(FastlogSink(str(log_path)))
        try:
            raise KeyError("k")
        except KeyError:
            logger.bind(exception="mine").exception("both")
        (record,) = self.records(log_path)
        assert record["fields.exception"] == "mine"
        assert record["exception"]["type"] == "KeyError"

    def test_non_builtin_exception_type_is_qualified(self, log_path: Path) -> None:
        """Exception types outside builtins carry their module."""
        logger.add(FastlogSink(str(log_path)))
        logger.opt(exception=zoneinfo.ZoneInfoNotFoundError("no zone")).error("tz")
        (record,) = self.records(log_path)
        assert record["exception"]["type"] == "zoneinfo._common.ZoneInfoNotFoundError"


class TestLevelsAndFilters:
    def test_level_and_filter_keep_loguru_meaning(self, log_path: Path) -> None:
        """level=, filter= (str, callable, dict) on logger.add decide what reaches the sink."""
        sink = FastlogSink(str(log_path))
        logger.add(sink, level="WARNING", filter=lambda r: "skip" not in r["extra"])
        logger.info("below level")
        logger.warning("kept 1")
        logger.bind(skip=True).error("filtered")
        logger.error("kept 2")
        logger.remove()
        logger.add(sink, filter={"": "ERROR", __name__: "DEBUG"})
        logger.debug("kept 3")
        logger.remove()
        logger.add(sink, filter="somewhere.else")
        logger.critical("not this module")
        assert [r["message"] for r in lines(log_path)] == ["kept 1", "kept 2", "kept 3"]

    def test_custom_level_counts_and_pipeline_levelno(self, log_path: Path) -> None:
        """Custom levels pass loguru's level check by number; the pipeline gets that number."""
        ensure_level("SECURITY", 45, "S")
        sink = FastlogSink(str(log_path), fsync_level=45)
        logger.add(sink, level="ERROR")
        for i in range(10):
            logger.log("SECURITY", "audit {}", i)
            logger.warning("dropped by level")
        records = lines(log_path)
        assert [r["message"] for r in records] == [f"audit {i}" for i in range(10)]
        assert {r["level"] for r in records} == {"security"}

    def test_disable_enable_modules(self, log_path: Path) -> None:
        """logger.disable()/enable() for a module name apply before the sink."""
        logger.add(FastlogSink(str(log_path)))
        logger.disable(__name__)
        try:
            logger.info("disabled")
        finally:
            logger.enable(__name__)
        logger.info("enabled")
        assert [r["message"] for r in lines(log_path)] == ["enabled"]


class TestLifecycle:
    def test_remove_flushes_and_keeps_pipeline_open(self, log_path: Path) -> None:
        """logger.remove(id) writes this sink's records out; the shared pipeline stays usable."""
        sink = FastlogSink(str(log_path), flush_interval=60)
        handler_id = logger.add(sink)
        for i in range(100):
            logger.info("r{}", i)
        logger.remove(handler_id)
        assert len(read_lines(log_path)) == 100  # no fastlog flush: remove() did it
        assert not sink.pipeline.closed
        native = logging.getLogger("native")
        native.addHandler(FastlogHandler(str(log_path)))  # shares the pipeline: no options
        native.warning("after remove")
        logger.add(sink)  # the same sink can be added again
        logger.info("again")
        assert [r["message"] for r in lines(log_path)][-2:] == ["after remove", "again"]

    def test_remove_all_flushes(self, log_path: Path) -> None:
        """logger.remove() without id (what loguru runs at exit) flushes too."""
        logger.add(FastlogSink(str(log_path), flush_interval=60))
        logger.info("one")
        logger.remove()
        assert [r["message"] for r in read_lines(log_path)] == ["one"]

    def test_complete_waits_for_data(self, log_path: Path) -> None:
        """logger.complete() from plain code returns once the records are on disk."""
        logger.add(FastlogSink(str(log_path), flush_interval=60))
        for i in range(1000):
            logger.info("r{}", i)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "coroutine was never awaited"
            logger.complete()
        assert len(read_lines(log_path)) == 1000

    def test_await_complete(self, log_path: Path) -> None:
        """await logger.complete() inside a coroutine waits as well."""
        logger.add(FastlogSink(str(log_path), flush_interval=60))

        async def main() -> int:
            for i in range(50):
                logger.info("async {}", i)
            await logger.complete()
            return len(read_lines(log_path))

        assert asyncio.run(main()) == 50

    def test_sink_complete_directly(self, log_path: Path) -> None:
        """The sink's own complete() flushes when called and returns an awaitable."""
        sink = FastlogSink(str(log_path), flush_interval=60)
        logger.add(sink)
        logger.info("x")
        awaitable = sink.complete()
        assert len(read_lines(log_path)) == 1
        assert list(awaitable.__await__()) == []

    def test_enqueue_still_works(self, log_path: Path) -> None:
        """enqueue=True is unnecessary but harmless: records arrive through loguru's queue."""
        logger.add(FastlogSink(str(log_path)), enqueue=True)
        for i in range(20):
            logger.bind(i=i).info("queued")
        logger.complete()
        assert [r["i"] for r in lines(log_path)] == list(range(20))

    def test_threads_exact_counts_and_order(self, log_path: Path) -> None:
        """Several threads: every record once, each thread's records in call order."""
        logger.add(FastlogSink(str(log_path)))

        def work(n: int) -> None:
            log = logger.bind(worker=n)
            for i in range(2000):
                log.info("w", i=i)

        run_threads(work, 4)
        records = lines(log_path)
        assert len(records) == 8000
        for n in range(4):
            assert [r["i"] for r in records if r["worker"] == n] == list(range(2000))

    def test_drops_counted_by_level(self, log_path: Path) -> None:
        """A full buffer with policy=drop counts drops per level, loguru's numbers mapped."""
        sink = FastlogSink(
            str(log_path),
            policy="drop",
            capacity=4096,
            max_record_bytes=1024,
            flush_interval=60,
            wake_bytes=1 << 20,
        )
        logger.add(sink)
        for _ in range(200):
            logger.warning("w" * 100)
        stats = sink.pipeline.stats()
        assert stats["dropped"] > 0
        assert set(stats["dropped_by_level"]) == {"warning"}
