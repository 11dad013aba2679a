"""The seam for integrations: everything an adapter needs from the core, and nothing more.

The stdlib handler, the structlog renderer and the loguru sink use only this module and
``fastlog_core`` itself; an adapter for another host (eliot, a framework's own logger) can do
the same. An adapter *translates* its host's record into the core's parts; the core owns the
rest — encoding (one encoder, one set of options), buffering, writing:

1. **Where records go**: ``route(sink, preset=..., level=..., owner=..., **options)`` gives a
   ``Route`` (the process-wide default for ``sink=None``, which follows ``configure()``). Below
   ``route.level`` a record costs one comparison. ``logger_route(name)`` is the default route
   of one logger name, at the level ``configure(levels=...)`` gives it; a host with its own
   ``levels=`` option parses it with ``parse_levels`` and resolves names with
   ``LoggerLevels`` (the same dotted-prefix rule). A route that gave settings holds them
   until ``release(route)`` (call it when the adapter's object is closed). Check the keywords
   first with ``check_options(options, OPTION_NAMES | {your parameters}, owner="YourAdapter")``:
   a typo then fails naming the option and the closest known name.
2. **The record**: a dict in the default schema's order, built with ``merge(ts, level, name,
   message, *field_mappings)`` (a field named like a schema key moves to ``fields.<name>``)
   or as a literal when no field can clash; ``timestamp()``, ``context_fields()``,
   ``exception_info()`` and ``add_exception()`` give its parts.
3. **Sampling and schemas**: when ``appender.special`` is true, ask
   ``pipeline.keep(levelno, logger, template)`` before building the record and apply
   ``pipeline.shape(record, levelno)`` before handing it over.
4. **Handing it over**: ``route.pipeline.appender.emit(record, levelno)`` encodes and queues
   it (a host value policy may be given as ``default``/``option``); ``append(line, levelno)``
   queues a line the core's encoder made (``encode_record``, ``encode``) when the host's own
   contract needs the bytes first (a renderer's return value). Neither raises nor blocks
   beyond the pipeline's policy. A host that calls ``orjson.dumps`` itself first asks
   ``unsafe_value(record)``: a datetime whose ``tzinfo.utcoffset()`` raises crashes orjson, so
   such a record goes to ``encode_rejected(record, error, ...)`` instead.

See ``docs/architecture.md`` ("Writing an adapter").
"""

from __future__ import annotations

from ._context import get as context_fields
from ._diagnostics import report as report_error
from ._encoders.json import (
    ERROR_KEY,
    RENAME_PREFIX,
    RESERVED,
    add_exception,
    describe_exception,
    encode,
    encode_record,
    encode_rejected,
    encode_repaired,
    exception_info,
    from_posix,
    interpolate,
    merge,
    relayout,
    timestamp,
    timestamp_from,
    unsafe_value,
    utcnow,
)
from ._fields import SPEEDUPS, naive_copy, record_fields, utc_naive, utc_stamp
from ._levels import host_level_name, level_name, levelno_of, parse_level
from ._logger_levels import LoggerLevels, parse_levels
from ._pipeline import AppenderType as Appender
from ._pipeline import Pipeline
from ._presets import OPTION_NAMES, check_options
from ._registry import Route, logger_route, release, route
from ._schemas.http import HttpKeys

__all__ = [
    "ERROR_KEY",
    "OPTION_NAMES",
    "RENAME_PREFIX",
    "RESERVED",
    "SPEEDUPS",
    "Appender",
    "HttpKeys",
    "LoggerLevels",
    "Pipeline",
    "Route",
    "add_exception",
    "check_options",
    "context_fields",
    "describe_exception",
    "encode",
    "encode_record",
    "encode_rejected",
    "encode_repaired",
    "exception_info",
    "from_posix",
    "host_level_name",
    "interpolate",
    "level_name",
    "levelno_of",
    "logger_route",
    "merge",
    "naive_copy",
    "parse_level",
    "parse_levels",
    "record_fields",
    "relayout",
    "release",
    "report_error",
    "route",
    "timestamp",
    "timestamp_from",
    "unsafe_value",
    "utc_naive",
    "utc_stamp",
    "utcnow",
]
