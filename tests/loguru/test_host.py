"""``fastlog_loguru._host``: what the sink relies on in loguru and ``inspect``, pinned.

loguru calls a sink object's ``complete()`` only when ``inspect.iscoroutinefunction`` says it
is a coroutine function. If a Python or loguru release changes either side, these fail there.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from loguru import logger

from fastlog_loguru import FastlogSink
from fastlog_loguru._host import SINK_ENCODING, CoroutineFunctionLike
from tests.helpers import read_lines


class Flag(CoroutineFunctionLike):
    __slots__ = ("called",)

    def __init__(self) -> None:
        self.called = 0

    def __call__(self) -> None:
        self.called += 1


class TestCoroutineFunctionLike:
    def test_inspect_sees_a_coroutine_function(self) -> None:
        """The instance passes inspect.iscoroutinefunction; the class keeps its own name."""
        flag = Flag()
        assert inspect.iscoroutinefunction(flag)
        assert Flag.__name__ == "Flag"

    def test_loguru_calls_it_from_plain_complete(self, log_path: Path) -> None:
        """loguru's StreamSink calls complete() from a plain logger.complete(), once."""

        class Sink:
            def __init__(self) -> None:
                self.complete = Flag()

            def write(self, message: str) -> None:
                pass

        sink = Sink()
        handler = logger.add(sink)
        try:
            logger.complete()
        finally:
            logger.remove(handler)
        assert sink.complete.called == 1

    def test_fastlog_sink_complete_waits(self, log_path: Path) -> None:
        """Through FastlogSink: the record is on disk when logger.complete() returns."""
        handler = logger.add(FastlogSink(str(log_path)))
        try:
            logger.info("done")
            logger.complete()
            assert [r["message"] for r in read_lines(log_path)] == ["done"]
        finally:
            logger.remove(handler)


class TestSinkEncoding:
    def test_loguru_draws_tracebacks_for_the_sinks_encoding(self) -> None:
        """loguru reads an object sink's ``encoding``: box-drawing markers for utf8, ASCII ones
        without (what FastlogSink.encoding = _host.SINK_ENCODING relies on)."""

        class Keep:
            def __init__(self) -> None:
                self.text = ""

            def write(self, message: str) -> None:
                self.text += message

        class Utf8Keep(Keep):
            encoding = SINK_ENCODING

        plain, utf8 = Keep(), Utf8Keep()
        logger.add(plain, format="{message}", diagnose=True)
        logger.add(utf8, format="{message}", diagnose=True)
        value = 0
        try:
            1 / value
        except ZeroDivisionError:
            logger.exception("failed")
        assert "└" in utf8.text
        assert "└" not in plain.text
        assert FastlogSink.encoding == SINK_ENCODING == "utf8"
