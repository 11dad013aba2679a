"""FastlogFormatter: the same schema for handlers fastlog does not own; pjl's options."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import orjson
import pytest

import fastlog_core
from fastlog_core import ConfigError
from fastlog_stdlib import FastlogFormatter, FastlogHandler
from tests.helpers import read_lines


def format_one(formatter: logging.Formatter, **extra: object) -> dict[str, object]:
    record = logging.getLogger("fmt").makeRecord(
        "fmt", logging.INFO, __file__, 12, "hello %s", ("you",), None, "func", extra or None
    )
    text = formatter.format(record)
    assert "\n" not in text
    parsed = orjson.loads(text)
    assert isinstance(parsed, dict)
    return parsed


class TestFastlogFormatter:
    def test_same_schema_as_handler(self, log_path: Path) -> None:
        """The formatter's line equals what FastlogHandler writes for the same record."""
        record = logging.LogRecord("same", logging.WARNING, __file__, 3, "m %d", (1,), None)
        record.user = "ann"
        handler = FastlogHandler(str(log_path))
        handler.handle(record)
        handler.flush()
        (from_handler,) = read_lines(log_path)
        assert orjson.loads(FastlogFormatter().format(record)) == from_handler

    def test_with_rotating_file_handler(self, tmp_path: Path) -> None:
        """Keeps a RotatingFileHandler and rotates; every line valid JSON."""
        path = tmp_path / "rot.log"
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2000, backupCount=50)
        handler.setFormatter(FastlogFormatter())
        logger = logging.getLogger("rot")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        for i in range(200):
            logger.info("r", extra={"i": i})
        handler.close()
        files = sorted(tmp_path.glob("rot.log*"))
        assert len(files) > 3
        seen = sorted(r["i"] for f in files for r in read_lines(f))
        assert seen == list(range(200))

    def test_pjl_options(self) -> None:
        """rename_fields, static_fields, fmt fields and timestamp keys as in python-json-logger."""
        formatter = FastlogFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(lineno)d %(funcName)s",
            rename_fields={"levelname": "severity", "message": "msg"},
            static_fields={"service": "billing"},
            timestamp="@timestamp",
        )
        out = format_one(formatter, user_id=7)
        assert list(out)[:4] == ["@timestamp", "severity", "logger", "msg"]
        assert out["severity"] == "info"
        assert out["msg"] == "hello you"
        assert out["service"] == "billing"
        assert out["lineno"] == 12
        assert out["funcName"] == "func"
        assert out["user_id"] == 7

    def test_brace_style_fmt(self) -> None:
        """{}-style fmt strings name fields too."""
        out = format_one(FastlogFormatter("{message} {process:d}", style="{"))
        assert isinstance(out["process"], int)

    def test_reserved_attrs(self) -> None:
        """reserved_attrs=[] writes every record attribute; a custom list hides those named."""
        everything = format_one(FastlogFormatter(reserved_attrs=[]), k=1)
        assert everything["pathname"] == __file__
        assert everything["k"] == 1
        hidden = format_one(
            FastlogFormatter(
                reserved_attrs=[*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "k"]
            ),
            k=1,
            j=2,
        )
        assert "k" not in hidden
        assert hidden["j"] == 2

    def test_timestamp_false(self) -> None:
        """timestamp=False leaves the timestamp out."""
        assert "timestamp" not in format_one(FastlogFormatter(timestamp=False))

    def test_context_and_exception(self) -> None:
        """Context fields and exceptions appear as with the handler."""
        try:
            raise ValueError("bad")
        except ValueError:
            import sys

            record = logging.LogRecord("e", logging.ERROR, __file__, 1, "x", None, sys.exc_info())
        with fastlog_core.context(req="r1"):
            out = orjson.loads(FastlogFormatter().format(record))
        assert out["req"] == "r1"
        assert out["exception"]["type"] == "ValueError"

    def test_bad_options(self) -> None:
        """Bad style or timestamp fail at construction, naming the option."""
        with pytest.raises(ConfigError, match="style="):
            FastlogFormatter(style="<")  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="timestamp="):
            FastlogFormatter(timestamp=3)  # type: ignore[arg-type]

    def test_from_dict_config(self, tmp_path: Path) -> None:
        """Usable as a dictConfig formatter via the '()' factory key."""
        import logging.config

        path = tmp_path / "f.log"
        logging.config.dictConfig(
            {
                "version": 1,
                "formatters": {"json": {"()": "fastlog_stdlib.FastlogFormatter",
                                        "static_fields": {"env": "test"}}},
                "handlers": {"file": {"class": "logging.FileHandler", "filename": str(path),
                                      "formatter": "json"}},
                "root": {"handlers": ["file"], "level": "INFO"},
            }
        )  # fmt: skip
        logging.getLogger("dc").info("via dictConfig")
        for handler in logging.getLogger().handlers:
            handler.flush()
        (record,) = read_lines(path)
        assert record["env"] == "test"
        assert record["message"] == "via dictConfig"


def _exc_record(msg: object = "failed") -> logging.LogRecord:
    try:
        raise ValueError("bad input")
    except ValueError:
        import sys

        return logging.getLogger("fmt").makeRecord(
            "fmt", logging.ERROR, __file__, 7, msg, (), sys.exc_info(), "func", None
        )


class TestPjlOptions:
    """Each python-json-logger option, in fastlog's schema (issue 17)."""

    def test_style_comma_and_sequences(self) -> None:
        """style="," and fmt as a list or tuple name fields as a % string does."""
        for formatter in (
            FastlogFormatter("levelname,,message,lineno,funcName,", style=","),
            FastlogFormatter(["levelname", "message", "lineno", "funcName"]),
            FastlogFormatter(("levelname", "message", "lineno", "funcName")),
        ):
            out = format_one(formatter)
            assert list(out) == ["timestamp", "level", "logger", "message", "lineno", "funcName"]
            assert (out["lineno"], out["funcName"]) == (12, "func")

    def test_missing_named_attribute_is_null(self) -> None:
        """An attribute named in fmt that the record lacks is written as null, as pjl does."""
        out = format_one(FastlogFormatter("%(message)s %(request_id)s"))
        assert out["request_id"] is None

    def test_prefix(self) -> None:
        text = FastlogFormatter(prefix="app: ").format(logging.makeLogRecord({"msg": "m"}))
        assert text.startswith('app: {"timestamp":')

    def test_indent_and_ensure_ascii(self) -> None:
        """json_indent and json_ensure_ascii give json.dumps's layout of the same record."""
        import json

        record = logging.makeLogRecord({"msg": "Привет", "n": 1})
        compact = FastlogFormatter().format(record)
        assert "Привет" in compact
        indented = FastlogFormatter(json_indent=2).format(record)
        assert indented == json.dumps(json.loads(compact), indent=2, ensure_ascii=False)
        escaped = FastlogFormatter(json_ensure_ascii=True).format(record)
        assert escaped == json.dumps(json.loads(compact), separators=(",", ":"))
        assert "\\u041f" in escaped

    def test_defaults_yield_to_fields(self) -> None:
        out = format_one(FastlogFormatter(defaults={"region": "eu", "user": "nobody"}), user="ann")
        assert (out["region"], out["user"]) == ("eu", "ann")

    def test_rename_keep_missing(self) -> None:
        out = format_one(
            FastlogFormatter(rename_fields={"absent": "present"}, rename_fields_keep_missing=True)
        )
        assert out["present"] is None
        assert "present" not in format_one(FastlogFormatter(rename_fields={"absent": "present"}))

    def test_rename_exc_info(self) -> None:
        """rename_fields={"exc_info": ...} renames the exception object."""
        out = orjson.loads(
            FastlogFormatter(rename_fields={"exc_info": "error"}).format(_exc_record())
        )
        assert "exception" not in out
        assert out["error"]["type"] == "ValueError"

    def test_exc_info_in_fmt_is_the_exception(self) -> None:
        """%(exc_info)s writes the structured exception (null without one), never the tuple."""
        formatter = FastlogFormatter("%(message)s %(exc_info)s")
        out = orjson.loads(formatter.format(_exc_record()))
        assert out["exception"]["message"] == "bad input"
        assert "exc_info" not in out
        assert format_one(formatter)["exception"] is None

    def test_exc_and_stack_as_array(self) -> None:
        record = _exc_record()
        record.stack_info = "Stack (most recent call last):\n  File x\n    f()"
        out = orjson.loads(
            FastlogFormatter(exc_info_as_array=True, stack_info_as_array=True).format(record)
        )
        assert out["exception"]["traceback"][0] == "Traceback (most recent call last):"
        assert out["exception"]["traceback"][-1] == "ValueError: bad input"
        assert out["stack_info"] == ["Stack (most recent call last):", "  File x", "    f()"]

    def test_reserved_attrs_with_renamed_levelname(self) -> None:
        """Custom reserved_attrs plus a rename of levelname write the level once."""
        reserved = [a for a in logging.makeLogRecord({}).__dict__ if a != "levelname"]
        out = format_one(
            FastlogFormatter(reserved_attrs=reserved, rename_fields={"levelname": "log.level"})
        )
        assert out["log.level"] == "info"
        assert "levelname" not in out
        assert "level" not in out

    def test_dict_message(self) -> None:
        """A dict message: its items are fields, message "", also with other options."""
        for formatter in (
            FastlogFormatter(),
            FastlogFormatter(static_fields={"env": "prod"}),
            FastlogFormatter(include_location=True),
        ):
            record = logging.makeLogRecord({"msg": {"user": "ann", "n": 2}, "args": ()})
            out = orjson.loads(formatter.format(record))
            assert (out["message"], out["user"], out["n"]) == ("", "ann", 2)

    def test_underscore_attributes_are_not_written(self) -> None:
        """pjl leaves out extra attributes whose names start with an underscore."""
        out = format_one(FastlogFormatter(), _internal=1, shown=2)
        assert "_internal" not in out
        assert out["shown"] == 2

    def test_json_default_and_encoder(self) -> None:
        import json

        class Money:
            def __init__(self, cents: int) -> None:
                self.cents = cents

        def default(obj: object) -> object:
            return {"cents": obj.cents} if isinstance(obj, Money) else str(obj)

        class Encoder(json.JSONEncoder):
            def default(self, o: object) -> object:
                return f"{o.cents / 100:.2f}" if isinstance(o, Money) else str(o)

        assert format_one(FastlogFormatter(json_default=default), m=Money(250))["m"] == {
            "cents": 250
        }
        assert format_one(FastlogFormatter(json_encoder=Encoder), m=Money(250))["m"] == "2.50"

    def test_json_serializer(self) -> None:
        import json

        calls: list[dict[str, object]] = []

        def serializer(data: dict[str, object], **kwargs: object) -> str:
            calls.append(kwargs)
            return json.dumps(data, sort_keys=True)

        text = FastlogFormatter(json_serializer=serializer).format(
            logging.makeLogRecord({"msg": "m", "b": 1})
        )
        assert text.startswith('{"b": 1, "level": ')
        assert set(calls[0]) == {"default", "cls", "indent", "ensure_ascii"}

    def test_subclass_hooks(self) -> None:
        """add_fields and process_log_record overrides take effect, as in pjl."""

        class Custom(FastlogFormatter):
            def add_fields(
                self,
                log_data: dict[str, object],
                record: logging.LogRecord,
                message_dict: dict[str, object],
            ) -> None:
                super().add_fields(log_data, record, message_dict)
                log_data["level"] = record.levelname

            def process_log_record(self, log_data: dict[str, object]) -> dict[str, object]:
                log_data["processed"] = True
                return log_data

        out = format_one(Custom())
        assert (out["level"], out["processed"], out["message"]) == ("INFO", True, "hello you")

    def test_raising_hook_gives_a_marked_line(self) -> None:
        class Broken(FastlogFormatter):
            def process_log_record(self, log_data: dict[str, object]) -> dict[str, object]:
                raise RuntimeError("hook failed")

        out = format_one(Broken())
        assert out["message"] == "hello %s"
        assert out["fastlog_error"] == "RuntimeError: hook failed"

    def test_static_fields_ext_reference_in_dict_config(self, tmp_path: Path) -> None:
        """ext:// values inside static_fields are resolved, as dictConfig resolves them."""
        import logging.config

        path = tmp_path / "f.log"
        logging.config.dictConfig(
            {
                "version": 1,
                "formatters": {"json": {"()": "fastlog_stdlib.FastlogFormatter",
                                        "static_fields": {"pid_type": "ext://os.getpid"},
                                        "json_default": "ext://builtins.repr"}},
                "handlers": {"file": {"class": "logging.FileHandler", "filename": str(path),
                                      "formatter": "json"}},
                "root": {"handlers": ["file"], "level": "INFO"},
            }
        )  # fmt: skip
        import os

        formatter = logging.getLogger().handlers[0].formatter
        assert isinstance(formatter, FastlogFormatter)
        assert formatter.static_fields == {"pid_type": os.getpid}
        assert formatter.json_default is repr

    def test_bad_configuration_names_the_option(self) -> None:
        with pytest.raises(ConfigError, match=r"fmt='no fields'"):
            FastlogFormatter("no fields")
        with pytest.raises(ConfigError, match="json_indent="):
            FastlogFormatter(json_indent=2.5)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="exc_info_as_array="):
            FastlogFormatter(exc_info_as_array="yes")  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="pjl_compatible=True"):
            FastlogFormatter(pjl_compatible=True, include_location=True)
        assert isinstance(FastlogFormatter("no fields", validate=False), FastlogFormatter)


class TestPjlCompatible:
    def test_keys_and_layout(self) -> None:
        formatter = FastlogFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            datefmt="%Y",
            pjl_compatible=True,
        )
        record = logging.makeLogRecord({"name": "app", "msg": "héllo", "levelname": "INFO"})
        text = formatter.format(record)
        year = formatter.formatTime(record, "%Y")
        assert text == (
            f'{{"asctime": "{year}", "levelname": "INFO", "name": "app", "message": "h\\u00e9llo"}}'
        )

    def test_exc_info_text(self) -> None:
        out = orjson.loads(FastlogFormatter(pjl_compatible=True).format(_exc_record()))
        assert out["exc_info"].startswith("Traceback (most recent call last):")
        assert out["exc_info"].endswith("ValueError: bad input")
        assert "exception" not in out
