"""fastlog's engine: records serialized once in the caller, written in batches by one thread.

The public surface is small: ``configure``, ``get_logger``, ``context`` and friends,
``flush``/``shutdown``/``stats``, the ``Sink`` protocol with ``FileSink``/``StreamSink``, and
``get_pipeline``/``route`` for adapters. Everything else lives in private modules.

The network sinks (``SyslogSink``, ``OTLPSink``, ``HTTPSink``, ``DatadogSink`` and their base
``NetworkSink``) are imported on first use: ``ssl`` and ``http.client`` cost import time that a
program logging to a file should not pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from . import enrich as enrich
    from ._network.cloudwatch import CloudWatchSink
    from ._network.datadog import DatadogSink
    from ._network.delivery import DeliveryStats, NetworkSink
    from ._network.http import HTTPSink
    from ._network.otlp import OTLPSink
    from ._network.syslog import SyslogSink

#: The names imported on first use, and the private module each lives in.
_LAZY = {
    "DatadogSink": "datadog",
    "CloudWatchSink": "cloudwatch",
    "DeliveryStats": "delivery",
    "NetworkSink": "delivery",
    "HTTPSink": "http",
    "OTLPSink": "otlp",
    "SyslogSink": "syslog",
}


def __getattr__(name: str) -> Any:
    """The network sinks, and ``__version__`` (``importlib.metadata`` is half of the import
    time), on first use."""
    module = _LAZY.get(name)
    if module is not None:
        from importlib import import_module

        value = getattr(import_module(f"._network.{module}", __name__), name)
        globals()[name] = value
        return value
    if name == "enrich":  # the submodule, for fastlog_core.enrich.kubernetes() after import
        from importlib import import_module

        return import_module(".enrich", __name__)
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
    "CloudWatchSink",
    "ConfigError",
    "ConsoleEncoder",
    "DatadogSink",
    "DeliveryStats",
    "Encoder",
    "FileSink",
    "HTTPSink",
    "LogfmtEncoder",
    "Logger",
    "MsgpackEncoder",
    "NetworkSink",
    "OTLPSink",
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
    "SyslogSink",
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
