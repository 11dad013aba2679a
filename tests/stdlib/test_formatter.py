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
