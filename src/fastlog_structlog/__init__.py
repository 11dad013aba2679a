"""fastlog for structlog: keep ``structlog.get_logger()`` and your processors; fastlog renders
and writes.

    fastlog_structlog.configure(sink="app.log", level="info")

or, in your own ``structlog.configure(...)``, end the chain with ``FastlogRenderer()`` and use
``logger_factory=FastlogLoggerFactory("app.log")``.

With ``configure()`` and no extra processors, the default chain runs natively in one method per
level (same output, about half the cost); see ``docs/structlog.md``.
"""

from __future__ import annotations

from ._config import configure
from ._renderer import FastlogLogger, FastlogLoggerFactory, FastlogRenderer

__all__ = ["FastlogLogger", "FastlogLoggerFactory", "FastlogRenderer", "configure"]
