"""optimize(): stdlib's documented speed switches, reversible."""

from __future__ import annotations

import logging
from pathlib import Path

import fastlog_stdlib
from fastlog_stdlib import FastlogHandler
from tests.helpers import read_lines


class TestOptimize:
    def test_switches_and_restore(self) -> None:
        """optimize() turns off caller lookup and thread/process names; restore() undoes it."""
        before = (logging._srcfile, logging.logThreads, logging.logProcesses)
        fastlog_stdlib.optimize()
        assert logging._srcfile is None
        assert logging.logThreads is False
        assert logging.logProcesses is False
        assert logging.logMultiprocessing is False
        record = logging.getLogger("o").makeRecord("o", 20, "(unknown file)", 0, "m", None, None)
        assert record.thread is None
        assert record.process is None
        fastlog_stdlib.restore()
        assert (logging._srcfile, logging.logThreads, logging.logProcesses) == before

    def test_handler_option(self, log_path: Path) -> None:
        """FastlogHandler(optimize=True) applies it; records still carry the schema."""
        handler = FastlogHandler(str(log_path), optimize=True)
        assert logging._srcfile is None
        logger = logging.getLogger("opt")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.info("fast", extra={"n": 1})
        handler.flush()
        (record,) = read_lines(log_path)
        assert (record["message"], record["n"], record["level"]) == ("fast", 1, "info")
