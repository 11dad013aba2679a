"""fastlog_structlog against real structlog: configure(), the renderer, the factory."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog

import fastlog_core
import fastlog_stdlib
import fastlog_structlog
from fastlog_structlog import FastlogLoggerFactory, FastlogRenderer, _native
from tests.helpers import read_lines, run_threads


def lines(path: Path) -> list[dict[str, Any]]:
    assert fastlog_core.flush(timeout=10)
    return read_lines(path)


def without_time(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "timestamp"} for r in records]


class TestConfigure:
    def test_schema(self, log_path: Path) -> None:
        """event -> message; level, logger, timestamp added; fields in call order."""
        fastlog_structlog.configure(sink=str(log_path))
        structlog.get_logger("svc").info("user logged in", user_id=1, ip="x", ok=True)
        (record,) = lines(log_path)
        assert list(record) == ["timestamp", "level", "logger", "message", "user_id", "ip", "ok"]
        assert (record["level"], record["logger"], record["message"]) == (
            "info",
            "svc",
            "user logged in",
        )
        assert str(record["timestamp"]).endswith("Z")

    def test_level_filtering(self, log_path: Path) -> None:
        """Calls below the configured level are not written."""
        fastlog_structlog.configure(sink=str(log_path), level="warning")
        log = structlog.get_logger()
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.error("e")
        log.log(logging.CRITICAL, "c")
        assert [r["message"] for r in lines(log_path)] == ["w", "e", "c"]
        assert [r["level"] for r in lines(log_path)] == ["warning", "error", "critical"]

    def test_bound_loggers_and_args(self, log_path: Path) -> None:
        """bind/new/unbind behave as in structlog; positional args interpolate."""
        fastlog_structlog.configure(sink=str(log_path))
        log = structlog.get_logger("b").bind(request_id="r1", user="ann")
        log.info("hello %s", "world")
        log.unbind("user").info("unbound")
        log.new(x=1).info("new")
        first, second, third = lines(log_path)
        assert (first["message"], first["request_id"], first["user"]) == (
            "hello world",
            "r1",
            "ann",
        )
        assert "user" not in second
        assert third["x"] == 1
        assert "request_id" not in third

    def test_contextvars_and_fastlog_context(self, log_path: Path) -> None:
        """structlog's bind_contextvars/bound_contextvars and fastlog's context both appear."""
        fastlog_structlog.configure(sink=str(log_path))
        log = structlog.get_logger()
        structlog.contextvars.bind_contextvars(tenant="t1")
        with (
            structlog.contextvars.bound_contextvars(request_id="r9"),
            fastlog_core.context(trace="abc"),
        ):
            log.info("inside")
        log.info("outside")
        inside, outside = lines(log_path)
        assert (inside["tenant"], inside["request_id"], inside["trace"]) == ("t1", "r9", "abc")
        assert outside["tenant"] == "t1"
        assert "request_id" not in outside
        assert "trace" not in outside

    def test_contextvars_isolated_in_threads_and_tasks(self, log_path: Path) -> None:
        """Each thread and each asyncio task sees its own structlog contextvars."""
        fastlog_structlog.configure(sink=str(log_path))
        log = structlog.get_logger()

        def worker(n: int) -> None:
            structlog.contextvars.bind_contextvars(worker=n)
            for i in range(50):
                log.info(f"t{n}-{i}")

        run_threads(worker, 4)

        async def handler(n: int) -> None:
            structlog.contextvars.bind_contextvars(task=n)
            await asyncio.sleep(0.001 * (3 - n))
            await log.ainfo(f"task{n}")

        async def main() -> None:
            await asyncio.gather(*(handler(n) for n in range(3)))

        asyncio.run(main())
        records = lines(log_path)
        for r in records:
            if r["message"].startswith("t") and "-" in r["message"]:
                assert r["message"].startswith(f"t{r['worker']}-")
            else:
                assert r["message"] == f"task{r['task']}"
        assert len(records) == 203

    def test_async_methods(self, log_path: Path) -> None:
        """ainfo/awarning/aexception write like their sync twins."""
        fastlog_structlog.configure(sink=str(log_path))
        log = structlog.get_logger()

        async def main() -> None:
            await log.ainfo("a", n=1)
            await log.awarning("b")
            try:
                raise ValueError("v")
            except ValueError:
                await log.aexception("c")

        asyncio.run(main())
        records = lines(log_path)
        assert [r["level"] for r in records] == ["info", "warning", "error"]
        assert records[2]["exception"]["type"] == "ValueError"

    def test_cache_logger_on_first_use_with_reconfiguration(self, tmp_path: Path) -> None:
        """A logger cached before reconfiguration keeps its configuration, as in structlog."""
        first, second = tmp_path / "1.log", tmp_path / "2.log"
        fastlog_structlog.configure(sink=str(first))
        cached = structlog.get_logger("c")
        cached.info("one")
        fastlog_structlog.configure(sink=str(second))
        cached.info("two")
        structlog.get_logger("c").info("three")
        assert [r["message"] for r in lines(first)] == ["one", "two"]
        assert [r["message"] for r in lines(second)] == ["three"]

    def test_bad_values_still_one_line(self, log_path: Path) -> None:
        """Values orjson rejects give a valid line and a counted error."""
        fastlog_structlog.configure(sink=str(log_path))
        cyclic: dict[str, Any] = {}
        cyclic["self"] = cyclic
        structlog.get_logger().info("bad", big=2**90, s="\ud800", cyc=cyclic, obj=object())
        (record,) = lines(log_path)
        assert record["big"] == str(2**90)
        assert record["s"] == "\\ud800"
        assert record["cyc"] == {"self": "<cycle>"}
        assert fastlog_core.stats()["errors_by_kind"]["encoding"] == 1

    def test_schema_named_keys(self, log_path: Path) -> None:
        """Under configure() the call decides level, logger, time and message (as
        add_log_level, add_logger_name and TimeStamper would); same-named fields are kept as
        fields.<key>, never read as the record's own."""
        fastlog_structlog.configure(sink=str(log_path))
        log = structlog.get_logger("x")
        log.info("m", logger="other", timestamp="t", level="spoof", message="msg")
        log.info("n", level="error", timestamp=0.0)
        first, second = lines(log_path)
        assert (first["logger"], first["level"], first["message"]) == ("x", "info", "m")
        assert first["fields.logger"] == "other"
        assert first["fields.level"] == "spoof"
        assert first["fields.timestamp"] == "t"
        assert first["fields.message"] == "msg"
        assert str(first["timestamp"]).endswith("Z")
        assert (second["level"], second["fields.level"]) == ("info", "error")
        assert second["fields.timestamp"] == 0.0
        assert second["timestamp"] > "2020"

    def test_bad_option(self) -> None:
        """Bad options fail at configure time, naming the option."""
        with pytest.raises(fastlog_core.ConfigError, match="capcity"):
            fastlog_structlog.configure(capcity=1)
        with pytest.raises(fastlog_core.ConfigError, match="level='loud'"):
            fastlog_structlog.configure(level="loud")

    def test_misspelt_option_suggests_the_closest(self) -> None:
        """A typo of an option or of configure()'s own parameters gets a suggestion, naming
        configure(); the factory names itself."""
        with pytest.raises(fastlog_core.ConfigError) as info:
            fastlog_structlog.configure(procesors=[])  # type: ignore[call-arg]
        assert str(info.value).startswith(
            "fastlog_structlog.configure(): unknown option 'procesors' (did you mean 'processors'?)"
        )
        with pytest.raises(fastlog_core.ConfigError, match=r"^FastlogLoggerFactory: .*'capacity'"):
            FastlogLoggerFactory(capcity=1)  # type: ignore[call-arg]

    def test_other_settings_than_the_destinations_fail(self, log_path: Path) -> None:
        """configure() on a file a FastlogHandler set up with other options fails, naming the
        option, both values and the handler; the same options share its pipeline."""
        handler = fastlog_stdlib.FastlogHandler(str(log_path), preset="fastest")
        expected = (
            r"^fastlog_structlog\.configure\(\): .* given by FastlogHandler: "
            r"preset='fastest' vs 'balanced', policy='drop' vs 'block'"
        )
        with pytest.raises(fastlog_core.ConfigError, match=expected):
            fastlog_structlog.configure(sink=str(log_path), preset="balanced")
        fastlog_structlog.configure(sink=str(log_path), preset="fastest")
        structlog.get_logger("sl").info("shared")
        assert [r["message"] for r in lines(log_path)] == ["shared"]
        assert handler.pipeline is fastlog_core.get_pipeline(str(log_path))


class TestNativePath:
    def test_native_and_processor_paths_write_the_same(self, tmp_path: Path) -> None:
        """The native fast path and structlog's own processing produce identical lines."""

        def passthrough(logger: Any, name: str, event_dict: Any) -> Any:
            return event_dict

        def scenario() -> None:
            log = structlog.get_logger("same").bind(b=1)
            structlog.contextvars.bind_contextvars(cv="x")
            with fastlog_core.context(fc=2):
                log.info("hello %s", "you", k=[1, 2])
            log.warning("w", level="spoof")
            try:
                raise KeyError("k")
            except KeyError:
                log.exception("e")
            structlog.contextvars.clear_contextvars()

        native, chain = tmp_path / "native.log", tmp_path / "chain.log"
        fastlog_structlog.configure(sink=str(native))
        assert structlog.get_config()["processors"] == _native.NATIVE_CHAIN
        scenario()
        fastlog_structlog.configure(sink=str(chain), processors=[passthrough])
        assert structlog.get_config()["processors"] != _native.NATIVE_CHAIN
        scenario()
        assert without_time(lines(native)) == without_time(lines(chain))

    def test_drop_event_and_filtering_processors(self, log_path: Path) -> None:
        """DropEvent from a user processor drops the event, as in structlog."""

        def drop_health(logger: Any, name: str, event_dict: Any) -> Any:
            if event_dict.get("path") == "/health":
                raise structlog.DropEvent
            return event_dict

        fastlog_structlog.configure(sink=str(log_path), processors=[drop_health])
        log = structlog.get_logger()
        log.info("req", path="/health")
        log.info("req", path="/api")
        assert [r["path"] for r in lines(log_path)] == ["/api"]


class TestRendererInOwnChain:
    """structlog's documented configurations with fastlog's renderer and factory swapped in."""

    def configure(self, path: Path, *processors: Any, **kw: Any) -> None:
        structlog.configure(
            processors=[*processors, FastlogRenderer()],
            logger_factory=FastlogLoggerFactory(str(path)),
            **kw,
        )

    def test_with_add_log_level_and_timestamper(self, log_path: Path) -> None:
        """Level and timestamp from the chain are used; ISO UTC timestamps pass through."""
        self.configure(
            log_path,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            cache_logger_on_first_use=True,
        )
        structlog.get_logger("own").warning("w", n=1)
        (record,) = lines(log_path)
        assert record["level"] == "warning"
        assert str(record["timestamp"]).endswith("Z")
        assert record["n"] == 1

    def test_epoch_timestamps_converted(self, log_path: Path) -> None:
        """TimeStamper() without fmt (epoch float) becomes RFC 3339."""
        self.configure(log_path, structlog.processors.TimeStamper())
        structlog.get_logger().info("epoch")
        (record,) = lines(log_path)
        assert str(record["timestamp"]).endswith("Z")
        assert str(record["timestamp"])[4] == "-"

    @pytest.mark.parametrize("form", ["exc_info", "format_exc_info", "dict_tracebacks"])
    def test_exception_forms(self, log_path: Path, form: str) -> None:
        """exc_info, format_exc_info and dict_tracebacks all give the structured exception."""
        processors: list[Any] = [structlog.processors.add_log_level]
        if form == "format_exc_info":
            processors.append(structlog.processors.format_exc_info)
        elif form == "dict_tracebacks":
            processors.append(structlog.processors.dict_tracebacks)
        self.configure(log_path, *processors)
        try:
            raise RuntimeError("broken pipe")
        except RuntimeError:
            structlog.get_logger().exception("failed")
        (record,) = lines(log_path)
        exc = record["exception"]
        assert exc["type"] == "RuntimeError"
        assert exc["message"] == "broken pipe"
        assert "Traceback (most recent call last):" in exc["traceback"]
        assert "test_exception_forms" in exc["traceback"]

    def test_stdlib_bound_logger(self, log_path: Path) -> None:
        """structlog.stdlib.BoundLogger as wrapper class works with the factory."""
        self.configure(
            log_path,
            structlog.stdlib.add_log_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            wrapper_class=structlog.stdlib.BoundLogger,
        )
        log = structlog.get_logger("std")
        log.info("via stdlib wrapper", k=1)
        log.warning("warn %s", "x")
        assert log.isEnabledFor(logging.DEBUG)
        assert log.getEffectiveLevel() == 0
        first, second = lines(log_path)
        assert (first["logger"], first["level"], first["k"]) == ("std", "info", 1)
        assert (second["message"], second["level"]) == ("warn x", "warning")

    def test_bytes_logger_factory_with_renderer(self, log_path: Path) -> None:
        """The renderer alone, with structlog's BytesLoggerFactory, writes the same schema."""
        with open(log_path, "wb") as out:
            structlog.configure(
                processors=[structlog.processors.add_log_level, FastlogRenderer()],
                logger_factory=structlog.BytesLoggerFactory(out),
            )
            structlog.get_logger().info("bytes", n=2)
        (record,) = read_lines(log_path)
        assert (record["message"], record["level"], record["n"]) == ("bytes", "info", 2)


class TestOneStream:
    def test_structlog_stdlib_and_native_to_one_file(self, log_path: Path) -> None:
        """structlog, stdlib and native calls to one file: one writer, checked line by line."""
        fastlog_structlog.configure(sink=str(log_path))
        fastlog_core.configure(sink=str(log_path))
        handler = fastlog_stdlib.FastlogHandler(str(log_path))
        std = logging.getLogger("std-one-stream")
        std.addHandler(handler)
        std.setLevel(logging.INFO)
        std.propagate = False
        slog = structlog.get_logger("sl")
        native = fastlog_core.get_logger("native")
        try:
            for i in range(300):
                slog.info("s", i=i)
                std.info("t", extra={"i": i})
                native.info("n", i=i)
        finally:
            std.removeHandler(handler)
        records = lines(log_path)
        assert [(r["logger"], r["i"]) for r in records] == [
            (name, i) for i in range(300) for name in ("sl", "std-one-stream", "native")
        ]
        for r in records:
            assert list(r)[:4] == ["timestamp", "level", "logger", "message"]
            assert orjson.dumps(r)


class TestThroughStdlib:
    def test_one_pipeline_for_both(self, log_path: Path) -> None:
        """structlog events routed into logging (wrap_for_formatter) and plain stdlib records
        both end in FastlogHandler: one schema, one file."""
        handler = fastlog_stdlib.FastlogHandler(str(log_path))
        root = logging.getLogger()
        root.addHandler(handler)
        previous = root.level
        root.setLevel(logging.INFO)
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.stdlib.add_log_level,
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
            ],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
        )
        try:
            structlog.contextvars.bind_contextvars(request_id="r1")
            structlog.get_logger("app.sl").info("from structlog", user=1)
            logging.getLogger("lib.std").warning("from stdlib %s", "lib")
            try:
                raise OSError("disk")
            except OSError:
                structlog.get_logger("app.sl").exception("failed")
        finally:
            root.removeHandler(handler)
            root.setLevel(previous)
        first, second, third = lines(log_path)
        assert list(first)[:4] == ["timestamp", "level", "logger", "message"]
        assert (first["request_id"], first["user"]) == ("r1", 1)
        assert len(first) == 6
        assert (first["logger"], first["level"], first["message"]) == (
            "app.sl",
            "info",
            "from structlog",
        )
        assert (second["logger"], second["level"], second["message"]) == (
            "lib.std", "warning", "from stdlib lib",
        )  # fmt: skip
        assert third["exception"]["type"] == "OSError"
        assert third["level"] == "error"


class TestRepairKeepsSchema:
    def test_bad_value_and_colliding_key(self, log_path: Path) -> None:
        """structlog's native path: a bad value and a key named like a schema key together."""
        fastlog_structlog.configure(sink=str(log_path))
        structlog.get_logger("app").error("both", big=2**80, level="spoofed")
        (record,) = lines(log_path)
        assert record["level"] == "error"
        assert record["fields.level"] == "spoofed"
        assert record["big"] == str(2**80)
