"""fastlog's engine: records serialized once in the caller, written in batches by one thread.

The public surface is small: ``configure``, ``get_logger``, ``context`` and friends,
``flush``/``shutdown``/``stats``, the ``Sink`` protocol with ``FileSink``/``StreamSink``, and
``get_pipeline``/``route`` for adapters. Everything else lives in private modules.
"""

from __future__ import annotations

from typing import Any

from ._context import bind_context, clear_context, context, get_context, unbind_context
from ._encoders import ConsoleEncoder, Encoder, LogfmtEncoder, MsgpackEncoder
from ._levels import CRITICAL, DEBUG, ERROR, INFO, WARNING
from ._logger import Logger, get_logger
from ._options import Options, PipelineOptions, SinkDict, SinkSpec
from ._pipeline import Pipeline, PipelineStats
from ._presets import PRESETS, Settings
from ._registry import (
    Route,
    Stats,
    configure,
    flush,
    get_pipeline,
    reopen,
    route,
    shutdown,
    stats,
)
from ._signals import handle_sighup, handle_signals
from ._sinks import FileSink, Sink, SinkClosed, StreamSink
from .exceptions import ConfigError


def __getattr__(name: str) -> Any:
    """``__version__`` on first use: ``importlib.metadata`` is half of the import time."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("fastlog-py")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        value = "0.0.0"
    globals()["__version__"] = value
    return value


__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "INFO",
    "PRESETS",
    "WARNING",
    "ConfigError",
    "ConsoleEncoder",
    "Encoder",
    "FileSink",
    "LogfmtEncoder",
    "Logger",
    "MsgpackEncoder",
    "Options",
    "Pipeline",
    "PipelineOptions",
    "PipelineStats",
    "Route",
    "Settings",
    "Sink",
    "SinkClosed",
    "SinkDict",
    "SinkSpec",
    "Stats",
    "StreamSink",
    "bind_context",
    "clear_context",
    "configure",
    "context",
    "flush",
    "get_context",
    "get_logger",
    "get_pipeline",
    "handle_sighup",
    "handle_signals",
    "reopen",
    "route",
    "shutdown",
    "stats",
    "unbind_context",
]
