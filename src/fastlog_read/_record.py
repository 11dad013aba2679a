"""The reading layer's record: one line of a log file, whatever wrote it, in one shape."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Record"]


@dataclass(slots=True)
class Record:
    """One line read back, normalised from its layout.

    ``time`` is timezone-aware (UTC) or ``None``; ``level`` the canonical lower-case name
    (``trace``, ``debug``, ``info``, ``success``, ``warning``, ``error``, ``critical``, and
    ``notice``, ``alert``, ``emergency`` from syslog-like schemas) with ``levelno`` its number
    (stdlib's scale), both ``None`` when the line has none; ``exception`` the core's
    ``{"type", "message", "traceback"}`` object when the line carries one; ``fields`` every
    other key of the line (the user's fields, nested as written); ``layout`` which writer's
    layout the line was read as (``fastlog``, ``ecs``, ``gcp``, ``datadog``, ``otel``,
    ``structlog``, ``loguru``, ``pjl``, ``logfmt``, ``json`` for other JSON objects, or
    ``text`` for a line that is not a record); ``raw`` the line as read, without its
    newline; ``source`` the file it came from (``-`` for standard input).
    """

    time: datetime.datetime | None
    level: str | None
    levelno: int | None
    logger: str | None
    message: str | None
    exception: dict[str, Any] | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    trace_id: str | None = None
    layout: str = "fastlog"
    raw: bytes = b""
    source: str = ""
