"""fastlog for structlog: keep ``structlog.get_logger()`` and your processors; fastlog renders
and writes.

    fastlog_structlog.configure(sink="app.log", level="info")

or, in your own ``structlog.configure(...)``, end the chain with ``FastlogRenderer()`` and use
``logger_factory=FastlogLoggerFactory("app.log")``.

This adapter is in progress (issue #4): the configuration helpers are usable and tested; the
native fast path and the speed targets are not done yet.
"""

from __future__ import annotations

from ._config import configure
from ._renderer import FastlogLogger, FastlogLoggerFactory, FastlogRenderer

__all__ = ["FastlogLogger", "FastlogLoggerFactory", "FastlogRenderer", "configure"]
