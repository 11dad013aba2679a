"""fastlog for loguru: keep ``from loguru import logger``; fastlog encodes and writes.

    from loguru import logger
    from fastlog_loguru import FastlogSink

    logger.remove()
    logger.add(FastlogSink("app.log"))

Records become the core's JSON schema (``extra`` as fields, exceptions structured), or loguru's
own ``serialize=True`` layout with ``FastlogSink("app.log", schema="loguru")``.
"""

from __future__ import annotations

from ._sink import FastlogSink

__all__ = ["FastlogSink"]
