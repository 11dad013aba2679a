"""A loguru script whose stdlib ``logging`` records land in the same JSON file, in one schema.

Run it with fastlog and its loguru extra installed (``pip install ".[loguru]"``)::

    APP_LOG_FILE=import.log python examples/loguru_script.py

What it shows:

- ``logger.add(FastlogSink(path))`` for loguru, and ``fastlog_stdlib.FastlogHandler`` on the
  root logger with the *same* path for every library that logs through ``logging`` (here
  ``Warehouse``, standing for a database driver or an HTTP client). Both share the file's one
  fastlog pipeline: one writer, one order of lines, the same keys on every line. Library records
  keep their stdlib logger name and never pass through loguru. (To send them through loguru's
  filters instead, use the ``InterceptHandler`` recipe in docs/loguru.md.)
- ``logger.bind(...)`` fields become top-level JSON fields; ``fastlog_core.context(batch=...)``
  tags the loguru records and the library's alike (loguru's ``contextualize`` reaches loguru
  records only).
- ``logger.catch`` logs a failing row with the structured ``exception`` and carries on.
- No ``enqueue=True`` and nothing to flush by hand: fastlog's pipeline is already asynchronous
  and writes what is buffered at exit.
"""

from __future__ import annotations

import logging
import os

from loguru import logger

import fastlog_core
from fastlog_loguru import FastlogSink
from fastlog_stdlib import FastlogHandler


def setup_logging(path: str) -> None:
    """loguru and stdlib ``logging`` to the same file: one fastlog pipeline writes both."""
    logger.remove()  # loguru's default stderr handler
    logger.add(FastlogSink(path), level="INFO")
    logging.basicConfig(handlers=[FastlogHandler(path)], level=logging.INFO)


class Warehouse:
    """Stands for a third-party library: it logs through stdlib ``logging`` only."""

    def __init__(self) -> None:
        self.log = logging.getLogger("warehouse.client")
        self.stock: dict[str, int] = {}

    def store(self, sku: str, quantity: int) -> None:
        if quantity < 0:
            raise ValueError(f"negative quantity for {sku}: {quantity}")
        self.stock[sku] = self.stock.get(sku, 0) + quantity
        self.log.info("stored %d x %s", quantity, sku)


ROWS = [("A-1", 5), ("B-2", -3), ("C-3", 7)]


def main() -> None:
    warehouse = Warehouse()
    logger.info("import started", rows=len(ROWS))
    with fastlog_core.context(batch="2025-01-15"):
        for number, (sku, quantity) in enumerate(ROWS, 1):
            with logger.catch(message="row rejected"):
                warehouse.store(sku, quantity)
                logger.bind(row=number, sku=sku).info("row imported")
    logger.info("import finished", skus=len(warehouse.stock))


if __name__ == "__main__":
    setup_logging(os.environ.get("APP_LOG_FILE", "import.log"))
    main()
