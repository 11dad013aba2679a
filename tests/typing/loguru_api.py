"""Type-checked, not run: the loguru configurations docs/loguru.md shows, as users write them."""

from __future__ import annotations

import logging
from pathlib import Path

from loguru import logger

import fastlog_core
import fastlog_stdlib
from fastlog_loguru import FastlogSink


def loguru_examples() -> None:
    logger.remove()
    handler_id: int = logger.add(FastlogSink("app.log"), level="INFO")
    logger.add(FastlogSink("app.log"), format="{message}", backtrace=False, diagnose=False)
    logger.add(FastlogSink(Path("app.log"), schema="loguru"), format="{time} {message}")
    logger.add(FastlogSink(preset="fastest", capacity="64 MiB", include_location=True))
    logger.add(FastlogSink("stderr", schema="default", include_thread=True), filter="app")
    sink = FastlogSink("app.log", include_process=True)
    pipeline: fastlog_core.Pipeline = sink.pipeline
    logger.add(sink)
    logger.bind(user_id=42).info("user logged in")
    logger.complete()
    logger.remove(handler_id)
    logging.basicConfig(handlers=[fastlog_stdlib.FastlogHandler("app.log")], level=logging.INFO)
    print(pipeline)


async def async_example() -> None:
    logger.add(FastlogSink("app.log"))
    logger.info("in a coroutine")
    await logger.complete()
