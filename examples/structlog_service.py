"""A structlog service and a library that logs through stdlib ``logging``: one file, one schema.

Run it with fastlog and its structlog extra installed (``pip install ".[structlog]"``)::

    APP_LOG_FILE=service.log python examples/structlog_service.py

What it shows:

- ``fastlog_structlog.configure(sink=...)`` for the service's structlog loggers, and
  ``fastlog_stdlib.FastlogHandler`` on the root logger with the *same* sink for everything
  that logs through ``logging`` (here ``RatesClient``, standing for urllib3, boto3, ...). Both
  adapters share that file's one fastlog pipeline: one writer, one order of lines, and every
  line has the same keys (``timestamp``, ``level``, ``logger``, ``message``, then fields), so a
  reader needs no per-source parsing.
- ``fastlog_core.context(invoice_id=...)`` puts the id on every record of the block, structlog's
  and the library's alike (structlog's own ``bind_contextvars`` reaches structlog events only).
- ``log.exception(...)`` writes the structured ``exception`` object (type, message, traceback).
- Nothing to flush by hand: fastlog writes what is buffered at exit.
"""

from __future__ import annotations

import logging
import os

import structlog

import fastlog_core
import fastlog_structlog
from fastlog_stdlib import FastlogHandler

log = structlog.get_logger("billing")


def setup_logging(path: str) -> None:
    """structlog and stdlib ``logging`` to the same file: one fastlog pipeline writes both."""
    fastlog_structlog.configure(sink=path, level="info")
    logging.basicConfig(handlers=[FastlogHandler(path)], level=logging.INFO)


class RatesClient:
    """Stands for a third-party client library: it knows nothing of structlog or fastlog."""

    def __init__(self) -> None:
        self.log = logging.getLogger("ratesclient.http")
        self.rates = {"USD": 0.92, "GBP": 1.17}  # a real one would make HTTP requests

    def rate(self, currency: str) -> float:
        url = f"https://rates.example/{currency}"
        if currency not in self.rates:
            self.log.warning("GET %s -> %d", url, 404)
            raise LookupError(f"no rate for {currency}")
        self.log.info("GET %s -> %d", url, 200)
        return self.rates[currency]


INVOICES = [("INV-1", 100.0, "USD"), ("INV-2", 5000.0, "JPY"), ("INV-3", 20.0, "GBP")]


def main() -> None:
    client = RatesClient()
    log.info("service started", invoices=len(INVOICES))
    failed = 0
    for invoice_id, amount, currency in INVOICES:
        with fastlog_core.context(invoice_id=invoice_id):
            log.info("invoice received", amount=amount, currency=currency)
            try:
                rate = client.rate(currency)
            except LookupError:
                log.exception("invoice failed")
                failed += 1
                continue
            log.info("invoice converted", amount_eur=round(amount * rate, 2))
    log.info("service stopped", converted=len(INVOICES) - failed, failed=failed)


if __name__ == "__main__":
    setup_logging(os.environ.get("APP_LOG_FILE", "service.log"))
    main()
