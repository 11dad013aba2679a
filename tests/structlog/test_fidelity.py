"""structlog features behave as structlog documents them, with fastlog at the end of the chain.

One test class per case of issue 16 (structlog 26.1.0): each runs the feature with
``fastlog_structlog.configure()`` and, where it applies, with ``FastlogRenderer`` at the end of
a user's own chain and with ``FastlogLoggerFactory``, and compares with what structlog itself
gives for the same calls.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import UserDict
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from structlog.processors import CallsiteParameter, CallsiteParameterAdder

import fastlog_core
import fastlog_stdlib
import fastlog_structlog
from fastlog_structlog import FastlogLoggerFactory, FastlogRenderer
from tests.helpers import read_lines

SITE = [CallsiteParameter.MODULE, CallsiteParameter.FUNC_NAME, CallsiteParameter.LINENO]


def records(path: Path) -> list[dict[str, Any]]:
    assert fastlog_core.flush(timeout=10)
    return read_lines(path)


def own_chain(path: Path, *processors: Any, level: int = logging.DEBUG) -> None:
    """A user's own configuration ending in FastlogRenderer."""
    structlog.configure(
        processors=[*processors, FastlogRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=FastlogLoggerFactory(str(path)),
        cache_logger_on_first_use=True,
    )


def structlog_json(*processors: Any) -> list[dict[str, Any]]:
    """structlog's own output for a chain ending in JSONRenderer, captured in memory."""
    out: list[dict[str, Any]] = []

    def keep(logger: Any, name: str, event_dict: Any) -> Any:
        out.append(orjson.loads(structlog.processors.JSONRenderer()(logger, name, event_dict)))
        raise structlog.DropEvent

    structlog.configure(
        processors=[*processors, keep],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        cache_logger_on_first_use=False,
    )
    return out


class TestCaptureLogs:
    """1. capture_logs() captures with every fastlog setup (it swaps processors in place)."""

    @pytest.mark.parametrize("processors", [[], [structlog.processors.add_log_level]])
    def test_configure(self, log_path: Path, processors: list[Any]) -> None:
        fastlog_structlog.configure(sink=str(log_path), processors=processors)
        log = structlog.get_logger("c")
        with structlog.testing.capture_logs() as captured:
            log.info("one", a=1)
            try:
                raise ValueError("v")
            except ValueError:
                log.exception("two")
            log.debug("filtered")  # below configure()'s level: never reaches a processor
        assert captured == [
            {"a": 1, "event": "one", "log_level": "info"},
            {"exc_info": True, "event": "two", "log_level": "error"},
        ]
        log.info("three")
        assert [r["message"] for r in records(log_path)] == ["three"]

    def test_own_chain(self, log_path: Path) -> None:
        own_chain(log_path, structlog.processors.add_log_level)
        log = structlog.get_logger()
        with structlog.testing.capture_logs() as captured:
            log.warning("w")
        assert captured == [{"event": "w", "log_level": "warning"}]  # capture_logs' chain only
        assert records(log_path) == []


def app_call(log: Any) -> int:
    """The application's call site; returns the line of the first call."""
    line = sys._getframe().f_lineno + 1
    log.info("info")
    log.log(logging.WARNING, "log")
    try:
        raise KeyError("k")
    except KeyError:
        log.exception("exception")
    log.bind(x=1).error("bound")
    return line


async def app_acall(log: Any) -> int:
    line = sys._getframe().f_lineno + 1
    await log.ainfo("ainfo")
    await log.alog(logging.WARNING, "alog")
    try:
        raise KeyError("k")
    except KeyError:
        await log.aexception("aexception")
    return line


class TestCallsiteParameterAdder:
    """2. CallsiteParameterAdder reports the application's frame, sync and async."""

    @pytest.mark.parametrize("setup", ["configure", "own_chain"])
    def test_sync_and_async(self, log_path: Path, setup: str) -> None:
        if setup == "configure":
            fastlog_structlog.configure(
                sink=str(log_path), processors=[CallsiteParameterAdder(SITE)]
            )
        else:
            own_chain(log_path, CallsiteParameterAdder(SITE))
        log = structlog.get_logger("site")
        line = app_call(log)
        aline = asyncio.run(app_acall(log))
        written = records(log_path)
        assert [(r["message"], r["func_name"], r["module"]) for r in written] == [
            ("info", "app_call", "test_fidelity"),
            ("log", "app_call", "test_fidelity"),
            ("exception", "app_call", "test_fidelity"),
            ("bound", "app_call", "test_fidelity"),
            ("ainfo", "app_acall", "test_fidelity"),
            ("alog", "app_acall", "test_fidelity"),
            ("aexception", "app_acall", "test_fidelity"),
        ]
        assert [r["lineno"] for r in written] == [
            line,
            line + 1,
            line + 5,
            line + 6,
            aline,
            aline + 1,
            aline + 5,
        ]
        assert written[2]["exception"]["type"] == "KeyError"
        assert written[6]["exception"]["type"] == "KeyError"


class TestPositionalArguments:
    """3. %-arguments as structlog's _maybe_interpolate: one non-empty Mapping by name."""

    def test_mapping_and_custom_level(self, log_path: Path) -> None:
        fastlog_structlog.configure(sink=str(log_path))
        log = structlog.get_logger()
        log.info("%(a)s by name", UserDict(a=1))
        log.info("%s positional %s", 1, "two")
        log.info("empty %s", {})  # an empty mapping is a positional argument
        log.log(25, "custom %s", 1)  # structlog raises KeyError; fastlog writes it at info
        log.log(5, "below debug")  # below configure()'s level: nothing
        assert [(r["level"], r["message"]) for r in records(log_path)] == [
            ("info", "1 by name"),
            ("info", "1 positional two"),
            ("info", "empty {}"),
            ("info", "custom 1"),
        ]

    def test_bad_template_does_not_raise(self, log_path: Path) -> None:
        """structlog raises TypeError into the caller; fastlog writes the line and counts."""
        fastlog_structlog.configure(sink=str(log_path))
        structlog.get_logger().info("%s %s", 1)
        (record,) = records(log_path)
        assert record["message"] == "%s %s (1,)"
        assert fastlog_core.stats()["errors_by_kind"]["format"] == 1


class TestSchemaNamedFields:
    """4, 5. A field named like a schema key never changes the record's level, time, logger or
    message; a contextvar named ``event`` does not replace the call's event."""

    def test_configure(self, log_path: Path) -> None:
        fastlog_structlog.configure(sink=str(log_path))
        log = structlog.get_logger("n").bind(level="critical", timestamp=1.0)
        structlog.contextvars.bind_contextvars(logger="ctx", event="ctx-event", message="m")
        log.info("call", level="error")
        log.info()  # no event given: structlog keeps the contextvar's (merge's setdefault)
        first, second = records(log_path)
        assert (first["level"], first["logger"], first["message"]) == ("info", "n", "call")
        assert first["fields.level"] == "error"  # the call's keyword wins over the bound one
        assert first["fields.timestamp"] == 1.0
        assert first["fields.logger"] == "ctx"
        assert first["fields.message"] == "m"
        assert first["timestamp"] > "2020"
        assert second["message"] == "ctx-event"

    def test_own_chain_with_add_log_level(self, log_path: Path) -> None:
        """structlog's add_log_level overwrites a user's level: the record is the call's."""
        own_chain(log_path, structlog.processors.add_log_level)
        structlog.get_logger().info("x", level="error")
        (record,) = records(log_path)
        assert record["level"] == "info"
        assert "fields.level" not in record

    def test_own_chain_without_add_log_level(self, log_path: Path) -> None:
        """Without add_log_level the level is still the call's; the user's value is kept."""
        own_chain(log_path)
        log = structlog.get_logger()
        log.info("x", level="error")
        log.warning("y", level="warning")  # what add_log_level would write: not a field
        first, second = records(log_path)
        assert (first["level"], first["fields.level"]) == ("info", "error")
        assert second["level"] == "warning"
        assert "fields.level" not in second


class Reported:
    def __structlog__(self) -> str:
        return "as structlog reports it"


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque>"


class TestValueRendering:
    """6. Values render with JSONRenderer's fallback: __structlog__(), then repr()."""

    VALUES: dict[str, Any] = {  # noqa: RUF012
        "reported": Reported(),
        "opaque": Opaque(),
        "a_set": {1},
        "raw": b"\x00x",
        "error": ValueError("v"),
        "nested": [Reported(), {"k": Opaque()}],
    }

    def expected(self) -> dict[str, Any]:
        out = structlog_json()
        structlog.get_logger().info("v", **self.VALUES)
        (rendered,) = out
        structlog.reset_defaults()
        return {k: rendered[k] for k in self.VALUES}

    @pytest.mark.parametrize("setup", ["native", "processors", "own_chain"])
    def test_same_as_json_renderer(self, log_path: Path, setup: str) -> None:
        expected = self.expected()
        assert expected["reported"] == "as structlog reports it"
        assert expected["a_set"] == "{1}"
        if setup == "own_chain":
            own_chain(log_path)
        else:
            extra = [] if setup == "native" else [lambda logger, name, ed: ed]
            fastlog_structlog.configure(sink=str(log_path), processors=extra)
        structlog.get_logger().info("v", **self.VALUES)
        (record,) = records(log_path)
        assert {k: record[k] for k in self.VALUES} == expected


class TestOnePathOneOutput:
    """7. The native path and the processor path agree on the cases seen differing."""

    def test_cases(self, tmp_path: Path) -> None:
        def scenario(path: Path, processors: list[Any]) -> list[dict[str, Any]]:
            fastlog_structlog.configure(sink=str(path), processors=processors)
            log = structlog.get_logger("same")
            log.info("a", logger_name="ln")
            log.info("b", exception="text")
            try:
                raise KeyError("k")
            except KeyError:
                log.exception("c", exception="text")
            with fastlog_core.context(level="ctx"):
                log.info("d", level="kw")
            return [{k: v for k, v in r.items() if k != "timestamp"} for r in records(path)]

        native = scenario(tmp_path / "native.log", [])
        full = scenario(tmp_path / "full.log", [lambda logger, name, ed: ed])
        assert native == full
        assert native[0]["logger_name"] == "ln"
        assert native[0]["logger"] == "same"
        assert native[1]["exception"] == "text"
        assert native[2]["fields.exception"] == "text"
        assert native[2]["exception"]["type"] == "KeyError"
        assert [k for k in native[3] if "level" in k] == ["level", "fields.level"]
        assert native[3]["fields.level"] == "kw"  # the call's field wins over the context's


class TestFilterByLevel:
    """8. structlog.stdlib.filter_by_level with FastlogLoggerFactory follows the route's level."""

    def test_filters(self, log_path: Path) -> None:
        fastlog_core.configure(sink=str(log_path), level="warning")
        structlog.configure(
            processors=[
                structlog.stdlib.filter_by_level,
                structlog.stdlib.add_log_level,
                FastlogRenderer(),
            ],
            wrapper_class=structlog.stdlib.BoundLogger,
            logger_factory=FastlogLoggerFactory(),
            cache_logger_on_first_use=True,
        )
        log = structlog.get_logger("f")
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.error("e")
        assert log.isEnabledFor(logging.WARNING)
        assert not log.isEnabledFor(logging.INFO)
        assert log.getEffectiveLevel() == logging.WARNING
        assert [r["message"] for r in records(log_path)] == ["w", "e"]


class TestOnePipelineWithHandler:
    """9. The documented structlog-into-logging setup writes an exception once."""

    def test_exception_once(self, log_path: Path) -> None:
        root = logging.getLogger()
        handler = fastlog_stdlib.FastlogHandler(str(log_path))
        root.addHandler(handler)
        saved = root.level
        root.setLevel(logging.INFO)
        try:
            structlog.configure(
                processors=[
                    structlog.contextvars.merge_contextvars,
                    structlog.stdlib.add_log_level,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
                ],
                logger_factory=structlog.stdlib.LoggerFactory(),
                wrapper_class=structlog.stdlib.BoundLogger,
            )
            try:
                raise ValueError("once")
            except ValueError:
                structlog.get_logger("h").exception("failed", k=1)
            (record,) = records(log_path)
        finally:
            root.removeHandler(handler)
            root.setLevel(saved)
        assert record["exception"]["type"] == "ValueError"
        assert record["exception"]["message"] == "once"
        assert "fields.exception" not in record
        assert (record["message"], record["k"], record["level"]) == ("failed", 1, "error")


class TestFormatExcInfo:
    """10. format_exc_info's text gives the right type and message (several lines, notes)."""

    def log_error(self, error: BaseException) -> None:
        try:
            raise error
        except BaseException:
            structlog.get_logger().exception("failed")

    def test_multiline_and_notes(self, log_path: Path) -> None:
        own_chain(log_path, structlog.processors.format_exc_info)
        noted = ValueError("with a note")
        noted.add_note("the note\nover two lines")
        self.log_error(ValueError("first line\nsecond line"))
        self.log_error(noted)
        self.log_error(KeyError("k"))
        try:
            try:
                raise OSError("inner")
            except OSError as inner:
                raise RuntimeError("outer:\n  indented") from inner
        except RuntimeError:
            structlog.get_logger().exception("chained")
        written = records(log_path)
        assert [(r["exception"]["type"], r["exception"]["message"]) for r in written] == [
            ("ValueError", "first line\nsecond line"),
            ("ValueError", "with a note"),
            ("KeyError", "'k'"),
            ("RuntimeError", "outer:\n  indented"),
        ]
        assert "the note\nover two lines" in written[1]["exception"]["traceback"]
        assert "OSError: inner" in written[3]["exception"]["traceback"]

    def test_text_alone(self) -> None:
        """Outside the except block only the text is left: type and the rest as message."""
        text = (
            "Traceback (most recent call last):\n"
            '  File "x.py", line 1, in <module>\n'
            "    raise E\n"
            "pkg.E: first\n"
            "second\n"
        )
        render = FastlogRenderer()
        line = render(None, "error", {"event": "e", "exception": text})
        exception = orjson.loads(line)["exception"]
        assert exception == {"type": "pkg.E", "message": "first\nsecond", "traceback": text}


class TestConfigurationChanges:
    """Reconfiguring and resetting take effect as structlog documents."""

    def test_level_change_and_reset(
        self, log_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        fastlog_structlog.configure(
            sink=str(log_path), level="warning", cache_logger_on_first_use=False
        )
        log = structlog.get_logger("r")
        log.info("dropped")
        fastlog_structlog.configure(
            sink=str(log_path), level="info", cache_logger_on_first_use=False
        )
        log.info("kept")  # not cached: the new wrapper class applies
        structlog.reset_defaults()
        log.info("to stdout")  # structlog's defaults: PrintLogger and ConsoleRenderer
        assert [r["message"] for r in records(log_path)] == ["kept"]
        assert "to stdout" in capsys.readouterr().out
