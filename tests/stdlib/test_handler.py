"""FastlogHandler: configuration, record mapping, lifecycle, threads."""

from __future__ import annotations

import asyncio
import json
import logging
import logging.config
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest

import fastlog_core
from fastlog_core import ConfigError
from fastlog_stdlib import FastlogFormatter, FastlogHandler
from tests.helpers import read_lines, run_threads


def written(handler: logging.Handler, path: Path) -> list[dict[str, object]]:
    handler.flush()
    return read_lines(path)


def dict_config(path: Path, **handler: object) -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "json": {"class": "fastlog_stdlib.FastlogHandler", "sink": str(path), **handler}
            },
            "root": {"handlers": ["json"], "level": "DEBUG"},
        }
    )


class TestConfiguration:
    def test_dict_config_round_trip(self, log_path: Path) -> None:
        """The README's dictConfig works as written: level and sink from plain keys."""
        dict_config(log_path, level="INFO")
        (handler,) = logging.getLogger().handlers
        assert isinstance(handler, FastlogHandler)
        assert handler.level == logging.INFO
        logging.getLogger("app").debug("filtered by handler level")
        logging.getLogger("app").info("kept")
        assert [r["message"] for r in written(handler, log_path)] == ["kept"]

    def test_dict_config_unknown_option_names_it(self, log_path: Path) -> None:
        """An unknown handler option fails dictConfig, with the option in the cause."""
        with pytest.raises(ValueError, match="json") as info:
            dict_config(log_path, capcity=10)
        assert isinstance(info.value.__cause__, ConfigError)
        assert "'capcity'" in str(info.value.__cause__)

    def test_dict_config_bad_value_names_it(self, log_path: Path) -> None:
        """A bad pipeline option value fails at configure time, naming the option."""
        with pytest.raises(ValueError) as info:
            dict_config(log_path, preset="fastest", policy="maybe")
        assert "policy='maybe'" in str(info.value.__cause__)

    def test_file_config_round_trip(self, tmp_path: Path) -> None:
        """fileConfig with args/kwargs reaches the handler."""
        path = tmp_path / "ini.log"
        ini = tmp_path / "logging.ini"
        ini.write_text(
            "[loggers]\nkeys=root\n\n"
            "[handlers]\nkeys=json\n\n"
            "[formatters]\nkeys=\n\n"
            "[logger_root]\nlevel=INFO\nhandlers=json\n\n"
            "[handler_json]\nclass=fastlog_stdlib.FastlogHandler\nlevel=INFO\n"
            f"args=({str(path)!r},)\nkwargs={{'preset': 'balanced', 'include_thread': True}}\n"
        )
        logging.config.fileConfig(ini, disable_existing_loggers=False)
        logging.getLogger("ini").warning("from ini")
        (handler,) = logging.getLogger().handlers
        (record,) = written(handler, path)
        assert record["message"] == "from ini"
        assert record["level"] == "warning"
        assert record["thread"] == threading.get_ident()
        assert record["thread_name"] == "MainThread"

    def test_filename_alias(self, log_path: Path) -> None:
        """filename= works like sink=, for configs written for FileHandler."""
        handler = FastlogHandler(filename=str(log_path))
        assert handler.pipeline is fastlog_core.get_pipeline(str(log_path))

    def test_contradictory_options(self) -> None:
        """optimize=True with include_location is rejected with a reason."""
        with pytest.raises(ConfigError, match="optimize=True"):
            FastlogHandler(optimize=True, include_location=True)
        with pytest.raises(ConfigError, match="include_thread='yes'"):
            FastlogHandler(include_thread="yes")  # type: ignore[arg-type]

    def test_sink_none_follows_configure(self, tmp_path: Path) -> None:
        """sink=None writes where fastlog_core.configure() says, even if configured later."""
        handler = FastlogHandler()
        logger = logging.getLogger("late")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        target = tmp_path / "late.log"
        fastlog_core.configure(sink=str(target))
        logger.info("after configure")
        assert [r["message"] for r in written(handler, target)] == ["after configure"]

    def test_core_levels_do_not_apply(self, tmp_path: Path) -> None:
        """``fastlog_core.configure(levels=...)`` is for the native API and structlog: stdlib
        records keep stdlib's own per-logger levels (``setLevel``), whatever ``levels`` says."""
        target = tmp_path / "levels.log"
        fastlog_core.configure(sink=str(target), level="info", levels={"chatty": "error"})
        handler = FastlogHandler()
        logger = logging.getLogger("chatty.sub")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.debug("stdlib decides")
        fastlog_core.get_logger("chatty.sub").warning("native: below its level")
        assert [(r["logger"], r["level"]) for r in written(handler, target)] == [
            ("chatty.sub", "debug")
        ]

    def test_shares_pipeline_with_native_logger(self, log_path: Path) -> None:
        """The handler and the native API writing to one path share one pipeline and order."""
        handler = FastlogHandler(str(log_path))
        logger = logging.getLogger("std")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        fastlog_core.configure(sink=str(log_path))
        native = fastlog_core.get_logger("native")
        for i in range(100):
            logger.info("s", extra={"i": i})
            native.info("n", i=i)
        assert handler.pipeline is fastlog_core.get_pipeline(str(log_path))
        records = written(handler, log_path)
        assert [(r["logger"], r["i"]) for r in records] == [
            (name, i) for i in range(100) for name in ("std", "native")
        ]

    def test_unknown_option_lists_every_keyword_and_suggests(self, log_path: Path) -> None:
        """The error lists sink, level and preset among the known options, and suggests the
        closest one for a typo."""
        with pytest.raises(ConfigError) as info:
            FastlogHandler(str(log_path), prest="fastest")  # type: ignore[call-arg]
        message = str(info.value)
        assert message.startswith(
            "FastlogHandler: unknown option 'prest' (did you mean 'preset'?); known options: "
        )
        known = message.split("known options: ")[1].split(", ")
        assert {"sink", "level", "preset", "filename", "capacity", "optimize"} <= set(known)

    def test_other_settings_than_the_destinations_fail(self, log_path: Path) -> None:
        """A second handler on the file with another rotation fails at construction, naming
        the option and both values; with the same rotation, or none, it shares the pipeline."""
        first = FastlogHandler(str(log_path), rotation="100 MB")
        with pytest.raises(
            ConfigError, match=r"given by FastlogHandler: rotation='100 MB' vs '1 GB'"
        ):
            FastlogHandler(str(log_path), rotation="1 GB")
        assert FastlogHandler(str(log_path), rotation=100_000_000).pipeline is first.pipeline
        assert FastlogHandler(str(log_path)).pipeline is first.pipeline

    def test_configure_over_the_handlers_sampling_says_so(self, log_path: Path) -> None:
        """fastlog_core.configure() on the handler's file replaces its sampling (the one
        pipeline follows) and writes a record saying what changed, and whose it was."""
        handler = FastlogHandler(str(log_path), sample={"debug": 10})
        fastlog_core.configure(sink=str(log_path))
        assert handler.pipeline.settings.sample == ()
        (note,) = written(handler, log_path)
        assert note["logger"] == "fastlog"
        assert note["changed"] == {"sample": [{"debug": 10}, None]}
        assert "(given by FastlogHandler)" in str(note["message"])


class TestRecordMapping:
    @pytest.fixture
    def logger(self, log_path: Path) -> logging.Logger:
        dict_config(log_path)
        return logging.getLogger("map")

    def records(self, log_path: Path) -> list[dict[str, object]]:
        return written(logging.getLogger().handlers[0], log_path)

    def test_schema_and_args(self, logger: logging.Logger, log_path: Path) -> None:
        """%-args applied; level lower case; logger name; time from record.created."""
        logger.warning("user %s has %d items", "ann", 3)
        (record,) = self.records(log_path)
        assert list(record)[:4] == ["timestamp", "level", "logger", "message"]
        assert record["message"] == "user ann has 3 items"
        assert record["level"] == "warning"
        assert record["logger"] == "map"

    def test_time_is_record_created(self, log_path: Path) -> None:
        """timestamp is the LogRecord's creation time, not the time of writing."""
        handler = FastlogHandler(str(log_path))
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", None, None)
        record.created = 1_700_000_000.25
        handler.handle(record)
        (written_record,) = written(handler, log_path)
        assert written_record["timestamp"] == "2023-11-14T22:13:20.250000Z"

    def test_extra_fields_at_top_level_without_standard_attrs(
        self, logger: logging.Logger, log_path: Path
    ) -> None:
        """extra= fields are top-level; no standard LogRecord attribute leaks."""
        logger.info("m", extra={"user_id": 42, "tags": ["a", "b"]})
        (record,) = self.records(log_path)
        assert record == {
            "timestamp": record["timestamp"],
            "level": "info",
            "logger": "map",
            "message": "m",
            "user_id": 42,
            "tags": ["a", "b"],
        }

    def test_extras_colliding_with_schema(self, logger: logging.Logger, log_path: Path) -> None:
        """extra keys named like schema keys are kept as fields.<key>."""
        logger.info("real", extra={"level": "x", "logger": "y", "timestamp": "z"})
        (record,) = self.records(log_path)
        assert (record["level"], record["logger"], record["message"]) == ("info", "map", "real")
        assert record["fields.level"] == "x"
        assert record["fields.logger"] == "y"
        assert record["fields.timestamp"] == "z"

    def test_exception_and_stack_info(self, logger: logging.Logger, log_path: Path) -> None:
        """exc_info becomes the structured exception; stack_info its own field."""
        try:
            {}["missing"]
        except KeyError:
            logger.exception("lookup failed")
        logger.info("where", stack_info=True)
        failed, stacked = self.records(log_path)
        exc = failed["exception"]
        assert isinstance(exc, dict)
        assert exc["type"] == "KeyError"
        assert exc["message"] == "'missing'"
        assert '{}["missing"]' in exc["traceback"]
        assert str(stacked["stack_info"]).startswith("Stack (most recent call last):")
        assert "test_exception_and_stack_info" in str(stacked["stack_info"])

    def test_context_fields_merged(self, logger: logging.Logger, log_path: Path) -> None:
        """fastlog_core.context() fields appear in stdlib records; extras win."""
        with fastlog_core.context(request_id="r-9", user="ctx"):
            logger.info("in context", extra={"user": "extra"})
        (record,) = self.records(log_path)
        assert record["request_id"] == "r-9"
        assert record["user"] == "extra"

    def test_task_name_in_asyncio(self, logger: logging.Logger, log_path: Path) -> None:
        """Inside an asyncio task the record carries taskName."""

        async def job() -> None:
            logger.info("in task")

        async def main() -> None:
            await asyncio.create_task(job(), name="worker-7")

        asyncio.run(main())
        logger.info("no task")
        in_task, outside = [r for r in self.records(log_path) if r["logger"] == "map"]
        assert in_task["taskName"] == "worker-7"
        assert "taskName" not in outside

    def test_optional_location_process_thread(self, log_path: Path) -> None:
        """include_location/process/thread add those fields, and only then."""
        handler = FastlogHandler(
            str(log_path), include_location=True, include_process=True, include_thread=True
        )
        logger = logging.getLogger("opt")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.info("here")
        (record,) = written(handler, log_path)
        assert record["file"] == __file__
        assert record["function"] == "test_optional_location_process_thread"
        assert isinstance(record["line"], int)
        assert record["process"] > 0
        assert record["process_name"] == "MainProcess"
        assert record["thread_name"] == "MainThread"

    def test_lazy_formatting(self, logger: logging.Logger, log_path: Path) -> None:
        """A filtered-out record's args are never formatted."""

        class Exploding:
            def __str__(self) -> str:
                raise AssertionError("formatted although filtered")

            __repr__ = __str__

        logging.getLogger().handlers[0].setLevel(logging.WARNING)
        logger.info("value %s", Exploding())
        logger.warning("shown")
        assert [r["message"] for r in self.records(log_path)] == ["shown"]

    def test_bad_format_args_still_logged(self, logger: logging.Logger, log_path: Path) -> None:
        """msg % args that fails gives a record and a counted error, not an exception."""
        logger.info("%d items", "many")
        (record,) = self.records(log_path)
        assert record["message"] == "'%d items' ('many',)"
        assert fastlog_core.stats()["errors_by_kind"]["format"] == 1

    def test_unserializable_extra(self, logger: logging.Logger, log_path: Path) -> None:
        """extras orjson rejects are repaired like native fields."""
        logger.info("m", extra={"big": 2**80, "obj": object()})
        (record,) = self.records(log_path)
        assert record["big"] == str(2**80)
        assert str(record["obj"]).startswith("<object object at")

    def test_custom_level_name(self, logger: logging.Logger, log_path: Path) -> None:
        """A custom level registered with addLevelName is written in lower case."""
        logging.addLevelName(25, "NOTICE")
        logger.log(25, "notice me")
        assert self.records(log_path)[0]["level"] == "notice"

    def test_unnamed_level_spelled_as_every_api_spells_it(
        self, logger: logging.Logger, log_path: Path
    ) -> None:
        """Level 15 (no name) is "level-15", as the native API and the ECS schema write it,
        not stdlib's "Level 15" lowered; the formatter writes the same."""
        logger.log(15, "unnamed")
        stream = StringIO()
        plain = logging.StreamHandler(stream)
        plain.setFormatter(FastlogFormatter())
        logger.addHandler(plain)
        logger.log(16, "formatted")
        assert [r["level"] for r in self.records(log_path)] == ["level-15", "level-16"]
        assert json.loads(stream.getvalue())["level"] == "level-16"
        fastlog_core.configure(sink=str(log_path), level=1)
        fastlog_core.get_logger("native").log(15, "unnamed")
        assert self.records(log_path)[-1]["level"] == "level-15"

    def test_record_formatted_by_another_handler_first(self, log_path: Path) -> None:
        """A record a text formatter already handled (message, asctime added) maps the same."""
        console = logging.StreamHandler(open(log_path.with_suffix(".txt"), "w"))  # noqa: SIM115
        console.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        json_handler = FastlogHandler(str(log_path))
        logger = logging.getLogger("two")
        logger.addHandler(console)
        logger.addHandler(json_handler)
        logger.setLevel(logging.INFO)
        logger.info("hello %s", "x", extra={"k": 1})
        console.close()
        (record,) = written(json_handler, log_path)
        assert record["message"] == "hello x"
        assert record["k"] == 1
        assert "asctime" not in record

    def test_record_factory_and_filter_attributes(self, log_path: Path) -> None:
        """Attributes a record factory sets (before or after the standard ones) and a filter
        adds are fields, in order; the standard attributes never leak, whatever their place."""
        base = logging.getLogRecordFactory()

        class Early(logging.LogRecord):
            def __init__(self, *args: object, **kwargs: object) -> None:
                self.deployment = "blue"  # set before LogRecord.__init__'s attributes
                super().__init__(*args, **kwargs)  # type: ignore[arg-type]
                self.region = "eu"

        def add_request_id(record: logging.LogRecord) -> bool:
            record.request_id = "r-1"
            return True

        handler = FastlogHandler(str(log_path))
        handler.addFilter(add_request_id)
        logger = logging.getLogger("factory")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logging.setLogRecordFactory(Early)
        try:
            logger.info("shifted", extra={"k": 1})
        finally:
            logging.setLogRecordFactory(base)
        logger.info("plain", extra={"k": 2})
        shifted, plain = written(handler, log_path)
        assert list(shifted) == [
            "timestamp", "level", "logger", "message", "deployment", "region", "k", "request_id"
        ]  # fmt: skip
        assert (shifted["deployment"], shifted["region"], shifted["k"]) == ("blue", "eu", 1)
        assert list(plain) == ["timestamp", "level", "logger", "message", "k", "request_id"]

    def test_standard_attribute_deleted_and_set_again(self, log_path: Path) -> None:
        """A filter that deletes and re-sets a standard attribute moves it to the end of the
        record's __dict__: it is still not a field, and no extra is lost."""

        def shout(record: logging.LogRecord) -> bool:
            msg = record.msg
            del record.msg
            record.msg = str(msg).upper()
            return True

        handler = FastlogHandler(str(log_path))
        handler.addFilter(shout)
        formatter_handler = logging.StreamHandler(open(log_path.with_suffix(".json"), "w"))  # noqa: SIM115
        formatter_handler.setFormatter(FastlogFormatter())
        formatter_handler.addFilter(shout)
        logger = logging.getLogger("moved")
        logger.addHandler(handler)
        logger.addHandler(formatter_handler)
        logger.setLevel(logging.INFO)
        logger.info("quiet", extra={"a": 1, "b": 2})
        formatter_handler.close()
        (record,) = written(handler, log_path)
        assert record == {**record, "message": "QUIET", "a": 1, "b": 2}
        assert list(record)[4:] == ["a", "b"]
        (formatted,) = read_lines(log_path.with_suffix(".json"))
        assert list(formatted)[4:] == ["a", "b"]

    def test_reserved_names_among_extras_are_left_out(self, log_path: Path) -> None:
        """uvicorn's color_message and structlog's wrapper attributes are not fields."""
        handler = FastlogHandler(str(log_path))
        logger = logging.getLogger("reserved")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.info("GET /", extra={"color_message": "\x1b[1mGET /\x1b[0m", "status": 200})
        (record,) = written(handler, log_path)
        assert list(record) == ["timestamp", "level", "logger", "message", "status"]


class TestLifecycle:
    def test_dict_config_again_with_other_settings(self, log_path: Path) -> None:
        """dictConfig closes its old handlers before making the new ones: the closed handler's
        settings are released, so a second dictConfig may give the same file other ones (and
        the new settings apply: one more record fits before rotating)."""
        dict_config(log_path, flush_interval=60, max_record_bytes=4096)
        logging.getLogger("app").info("first")
        dict_config(log_path, flush_interval=60, max_record_bytes=8192)
        (handler,) = logging.getLogger().handlers
        assert handler.pipeline.settings.max_record_bytes == 8192
        logging.getLogger("app").info("second", extra={"blob": "x" * 6000})
        assert [r["message"] for r in written(handler, log_path)] == ["first", "second"]

    def test_open_handler_keeps_its_settings(self, log_path: Path) -> None:
        """While a handler that gave settings is open, other settings are still refused; once
        it is closed they are accepted; configure()'s are never released by a handler."""
        first = FastlogHandler(str(log_path), max_record_bytes=4096)
        shared = FastlogHandler(str(log_path), max_record_bytes=4096)
        with pytest.raises(ConfigError, match="max_record_bytes"):
            FastlogHandler(str(log_path), max_record_bytes=8192)
        first.close()
        with pytest.raises(ConfigError, match="max_record_bytes"):
            FastlogHandler(str(log_path), max_record_bytes=8192)  # shared still holds them
        shared.close()
        shared.close()  # twice: harmless
        other = FastlogHandler(str(log_path), max_record_bytes=8192)
        assert other.pipeline.settings.max_record_bytes == 8192
        other.close()
        fastlog_core.configure(sink=str(log_path), max_record_bytes=4096)
        closing = FastlogHandler(str(log_path), max_record_bytes=4096)
        closing.close()
        with pytest.raises(ConfigError, match=r"given by configure\(\)"):
            FastlogHandler(str(log_path), max_record_bytes=8192)

    def test_close_flushes(self, log_path: Path) -> None:
        """close() leaves every record on disk."""
        handler = FastlogHandler(str(log_path), flush_interval=60)
        logger = logging.getLogger("closing")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        for i in range(1000):
            logger.info("r", extra={"i": i})
        handler.close()
        assert len(read_lines(log_path)) == 1000

    def test_logging_shutdown_flushes_in_subprocess(self, log_path: Path) -> None:
        """A program that configures via dictConfig and exits leaves every record."""
        import subprocess
        import textwrap

        code = textwrap.dedent(
            f"""
            import logging, logging.config
            logging.config.dictConfig({{
                "version": 1,
                "handlers": {{"j": {{"class": "fastlog_stdlib.FastlogHandler",
                                    "sink": {str(log_path)!r}}}}},
                "root": {{"handlers": ["j"], "level": "INFO"}},
            }})
            log = logging.getLogger("exit")
            for i in range(20000):
                log.info("r", extra={{"i": i}})
            logging.shutdown()
            log.info("after logging.shutdown")
            """
        )
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
        records = read_lines(log_path)
        assert [r["i"] for r in records[:-1]] == list(range(20000))
        assert records[-1]["message"] == "after logging.shutdown"

    def test_handler_on_several_loggers(self, log_path: Path) -> None:
        """One handler on several loggers writes each record once."""
        handler = FastlogHandler(str(log_path))
        for name in ("a", "b", "c.d"):
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
        for name in ("a", "b", "c.d"):
            logging.getLogger(name).info("from " + name)
        assert [r["logger"] for r in written(handler, log_path)] == ["a", "b", "c.d"]

    def test_handle_takes_no_lock(self, log_path: Path) -> None:
        """handle() works with the handler's own lock held elsewhere (it does not take it)."""
        handler = FastlogHandler(str(log_path))
        logger = logging.getLogger("nolock")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        handler.acquire()
        try:
            done = threading.Event()
            thread = threading.Thread(target=lambda: (logger.info("x"), done.set()))
            thread.start()
            assert done.wait(5), "handle() waited for the handler lock"
            thread.join()
        finally:
            handler.release()
        assert len(written(handler, log_path)) == 1

    def test_filter_can_drop_and_replace(self, log_path: Path) -> None:
        """Handler filters still apply: a false filter drops the record."""
        handler = FastlogHandler(str(log_path))
        handler.addFilter(lambda record: "secret" not in record.getMessage())
        logger = logging.getLogger("filtered")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.info("secret stuff")
        logger.info("public")
        assert [r["message"] for r in written(handler, log_path)] == ["public"]


class TestThreadsAndStream:
    def test_many_threads_exact(self, log_path: Path) -> None:
        """8 threads x 5k records: every record once, each thread in order."""
        dict_config(log_path)
        logger = logging.getLogger("mt")

        def body(t: int) -> None:
            for i in range(5000):
                logger.info("r", extra={"t": t, "i": i})

        run_threads(body, 8)
        records = written(logging.getLogger().handlers[0], log_path)
        assert len(records) == 40_000
        for t in range(8):
            assert [r["i"] for r in records if r["t"] == t] == list(range(5000))

    def test_library_app_and_native_records_in_one_stream(self, log_path: Path) -> None:
        """Third-party loggers, the app's loggers and the native API: one schema, one file."""
        dict_config(log_path, level="INFO")
        fastlog_core.configure(sink=str(log_path))
        logging.getLogger("urllib3.connectionpool").info("Starting new HTTPS connection")
        logging.getLogger("myapp.billing").info("charged", extra={"amount": 5})
        fastlog_core.get_logger("myapp.native").info("native", amount=6)
        records = written(logging.getLogger().handlers[0], log_path)
        assert [r["logger"] for r in records] == [
            "urllib3.connectionpool", "myapp.billing", "myapp.native",
        ]  # fmt: skip
        for record in records:
            assert list(record)[:4] == ["timestamp", "level", "logger", "message"]
            assert json.dumps(record)


class TestRepairKeepsSchema:
    def test_bad_extra_and_colliding_extra(self, log_path: Path) -> None:
        """stdlib: a bad extra value and an extra named level together keep the real level."""
        handler = FastlogHandler(str(log_path))
        logger = logging.getLogger("repair")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.error("both", extra={"big": 2**80, "level": "spoofed"})
        (record,) = written(handler, log_path)
        assert record["level"] == "error"
        assert record["fields.level"] == "spoofed"
        assert record["big"] == str(2**80)
