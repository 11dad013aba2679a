"""fastlog for structlog: keep ``structlog.get_logger()`` and your processors; fastlog renders
and writes.

    fastlog_structlog.configure(sink="app.log", level="info")

or, in your own ``structlog.configure(...)``, end the chain with ``FastlogRenderer()`` and use
``logger_factory=FastlogLoggerFactory("app.log")``.

With ``configure()``, the wrapper builds each record in one method, or runs your processors
itself, instead of structlog's per-call processing: the same output as structlog's own
processing of the chain (property-tested), for less; see ``docs/structlog.md``.
"""

from __future__ import annotations

from ._config import configure
from ._renderer import FastlogLogger, FastlogLoggerFactory, FastlogRenderer

__all__ = ["FastlogLogger", "FastlogLoggerFactory", "FastlogRenderer", "configure"]
