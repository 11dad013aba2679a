"""FastlogRenderer(text=True) at the end of structlog's ProcessorFormatter on a stdlib handler of
the user's own: the recipe of docs/structlog.md ("Keeping ProcessorFormatter on a handler of
your own"), on a real RotatingFileHandler, for wrapped structlog events and plain ``logging``
records."""

from __future__ import annotations

import logging
import logging.handlers
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog

from fastlog_structlog import FastlogRenderer
from tests.helpers import read_lines

#: A time no formatting can happen at: the records' ``created`` is set to it by a filter, so
#: a line carries it only if the renderer took the time from the record.
CREATED = 1_700_000_000.123456
CREATED_TEXT = "2023-11-14T22:13:20.123456Z"


def recipe_formatter() -> structlog.stdlib.ProcessorFormatter:
    """The formatter exactly as docs/structlog.md gives it."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.ExtraAdder()],
        processors=[FastlogRenderer(text=True)],
    )


def json_renderer_formatter() -> structlog.stdlib.ProcessorFormatter:
    """structlog's own rendering of the same records: the recipe's chain with ``JSONRenderer``,
    plus what that renderer needs for the same content (``add_logger_name`` while ``_record``
    is there, ``remove_processors_meta``, ``format_exc_info``)."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )


def configure_wrapped() -> None:
    """structlog routed into ``logging``, as on the page."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
    )


def set_created(record: logging.LogRecord) -> bool:
    record.created = CREATED
    return True


@pytest.fixture
def on_root() -> Iterator[list[logging.Handler]]:
    """Handlers put in the list are on the root logger at INFO for the test, then removed and
    closed."""
    handlers: list[logging.Handler] = []
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.INFO)
    yield handlers
    for handler in handlers:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(saved)


def attach(
    on_root: list[logging.Handler],
    path: Path,
    formatter: logging.Formatter,
    filters: Sequence[Any] = (),
) -> None:
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=10_000_000)
    handler.setFormatter(formatter)
    for flt in filters:
        handler.addFilter(flt)
    logging.getLogger().addHandler(handler)
    on_root.append(handler)


def without_time(record: dict[str, Any]) -> dict[str, Any]:
    assert record["timestamp"].endswith("Z"), record["timestamp"]
    return {k: v for k, v in record.items() if k != "timestamp"}


def log_both() -> tuple[ValueError, ValueError]:
    """One wrapped structlog event and one plain stdlib record of each kind the page shows,
    plus ``exception()`` from both; returns the two exceptions logged."""
    structlog.get_logger("shop").info("charge ok", amount=12.5)
    logging.getLogger("urllib3.connectionpool").warning("x %d", 1, extra={"attempt": 3})
    try:
        raise ValueError("card declined")
    except ValueError as exc:
        structlog.get_logger("shop").exception("charge failed", amount=3)
        from_structlog = exc
    try:
        raise ValueError("pool full")
    except ValueError as exc:
        logging.getLogger("urllib3.connectionpool").exception("gave up", extra={"attempt": 4})
        from_stdlib = exc
    return from_structlog, from_stdlib


def structured(exc: BaseException) -> dict[str, Any]:
    return {
        "type": "ValueError",
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
    }


class TestDocumentedRecipe:
    def test_records(self, on_root: list[logging.Handler], log_path: Path) -> None:
        """Each line has its own logger's name (the stdlib logger's for a plain record, the
        structlog logger's for a wrapped event), the call's level and message, the ``extra=``
        fields, and the exception structured; nothing of the formatter's meta keys."""
        attach(on_root, log_path, recipe_formatter())
        configure_wrapped()
        from_structlog, from_stdlib = log_both()
        records = [without_time(r) for r in read_lines(log_path)]
        assert records == [
            {"level": "info", "logger": "shop", "message": "charge ok", "amount": 12.5},
            {
                "level": "warning",
                "logger": "urllib3.connectionpool",
                "message": "x 1",
                "attempt": 3,
            },
            {
                "level": "error",
                "logger": "shop",
                "message": "charge failed",
                "amount": 3,
                "exception": structured(from_structlog),
            },
            {
                "level": "error",
                "logger": "urllib3.connectionpool",
                "message": "gave up",
                "attempt": 4,
                "exception": structured(from_stdlib),
            },
        ]
        assert 'raise ValueError("pool full")' in records[3]["exception"]["traceback"]

    def test_time_of_the_record(self, on_root: list[logging.Handler], log_path: Path) -> None:
        """The ``timestamp`` is the record's ``created``, for plain records and wrapped events,
        not the time the line is formatted."""
        attach(on_root, log_path, recipe_formatter(), [set_created])
        configure_wrapped()
        log_both()
        assert [r["timestamp"] for r in read_lines(log_path)] == [CREATED_TEXT] * 4

    def test_same_content_as_json_renderer(
        self, on_root: list[logging.Handler], tmp_path: Path
    ) -> None:
        """Key by key what structlog's ``JSONRenderer`` writes for the same records, but for
        the schema: ``event`` is ``message``, a ``timestamp`` is added, the exception is
        structured (its ``traceback`` is ``format_exc_info``'s text)."""
        ours, theirs = tmp_path / "fastlog.log", tmp_path / "structlog.log"
        attach(on_root, ours, recipe_formatter())
        attach(on_root, theirs, json_renderer_formatter())
        configure_wrapped()
        log_both()
        mine, reference = read_lines(ours), read_lines(theirs)
        assert len(mine) == len(reference) == 4
        for line, expected in zip(mine, reference, strict=True):
            record = without_time(line)
            expected["message"] = expected.pop("event")
            if "exception" in expected:
                assert record["exception"]["traceback"].rstrip("\n") == expected["exception"]
                expected["exception"] = record["exception"]
            assert record == expected

    def test_formatter_logger_argument(
        self, on_root: list[logging.Handler], log_path: Path
    ) -> None:
        """``ProcessorFormatter(logger=...)`` hands every processor that logger; each line
        still has the name of the logger that made its record."""
        formatter = structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.ExtraAdder()],
            processors=[FastlogRenderer(text=True)],
            logger=logging.getLogger("the.formatters"),
        )
        attach(on_root, log_path, formatter)
        configure_wrapped()
        structlog.get_logger("shop").info("charge ok")
        logging.getLogger("urllib3.connectionpool").warning("x")
        assert [r["logger"] for r in read_lines(log_path)] == [
            "shop",
            "urllib3.connectionpool",
        ]

    def test_extra_named_like_a_schema_key(
        self, on_root: list[logging.Handler], log_path: Path
    ) -> None:
        """An ``extra=`` field named like a schema key that is not one of its values stays a
        field; the line keeps the record's name and time."""
        attach(on_root, log_path, recipe_formatter(), [set_created])
        logging.getLogger("urllib3.connectionpool").warning(
            "x", extra={"timestamp": "soon", "logger": 7}
        )
        (record,) = read_lines(log_path)
        assert record == {
            "timestamp": CREATED_TEXT,
            "level": "warning",
            "logger": "urllib3.connectionpool",
            "message": "x",
            "fields.timestamp": "soon",
            "fields.logger": 7,
        }

    def test_repaired_line(self, on_root: list[logging.Handler], log_path: Path) -> None:
        """A line repaired for a value the encoder rejects keeps the record's name and time."""
        attach(on_root, log_path, recipe_formatter(), [set_created])
        logging.getLogger("urllib3.connectionpool").warning("x", extra={"big": 2**70})
        (record,) = read_lines(log_path)
        assert "fastlog_error" in record
        assert (record["timestamp"], record["logger"], record["level"], record["message"]) == (
            CREATED_TEXT,
            "urllib3.connectionpool",
            "warning",
            "x",
        )


class TestRemoveProcessorsMetaFirst:
    def test_with_add_logger_name(self, on_root: list[logging.Handler], log_path: Path) -> None:
        """structlog's own placement (``remove_processors_meta`` before the renderer) with
        ``add_logger_name`` and ``ExtraAdder()`` in ``foreign_pre_chain``, as ``JSONRenderer``
        needs them, gives the same names, levels, messages and fields."""
        formatter = structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                FastlogRenderer(text=True),
            ],
        )
        attach(on_root, log_path, formatter)
        configure_wrapped()
        structlog.get_logger("shop").warning("from structlog", k=1)
        logging.getLogger("urllib3.connectionpool").info("from stdlib", extra={"attempt": 3})
        assert [without_time(r) for r in read_lines(log_path)] == [
            {"level": "warning", "logger": "shop", "message": "from structlog", "k": 1},
            {
                "level": "info",
                "logger": "urllib3.connectionpool",
                "message": "from stdlib",
                "attempt": 3,
            },
        ]


class TestOtherChains:
    def test_a_record_field_that_is_not_a_log_record(self) -> None:
        """Outside ``ProcessorFormatter`` a ``_record`` key is the user's field, written as
        any other, and ``_from_structlog`` too."""
        line = FastlogRenderer(text=True)(
            None, "info", {"event": "e", "_record": "mine", "_from_structlog": True}
        )
        record = without_time(orjson.loads(line))
        assert record == {
            "level": "info",
            "logger": "root",
            "message": "e",
            "_record": "mine",
            "_from_structlog": True,
        }
