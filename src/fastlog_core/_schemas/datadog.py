"""Datadog's reserved and standard attributes (``schema="datadog"``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .. import _diagnostics
from . import http
from .base import (
    CORE,
    EXC,
    HTTP,
    LOC,
    THREAD,
    LevelCache,
    Schema,
    clamp,
    copy_rest,
    ddtrace_api,
    key_tables,
)


def datadog_status(levelno: int) -> str:
    """Datadog ``status``: a name its status remapper reads as the right syslog severity.

    Below 10 ``trace`` (read as debug), 10s ``debug``, 20-24 ``info``, 25-29 ``notice``
    (``success`` would be read as OK, which Datadog does not rank above info), 30s
    ``warning``, 40s ``error``, 50s ``critical``, 60s ``alert``, 70 and above ``emergency``.
    """
    levelno = clamp(levelno)
    if levelno < 10:
        return "trace"
    if levelno < 20:
        return "debug"
    if levelno < 25:
        return "info"
    if levelno < 30:
        return "notice"
    if levelno < 40:
        return "warning"
    if levelno < 50:
        return "error"
    if levelno < 60:
        return "critical"
    if levelno < 70:
        return "alert"
    return "emergency"


_DATADOG_LEVELS: Final = LevelCache(datadog_status)

# Datadog

_DD_MASK: Final = 0xFFFFFFFFFFFFFFFF
#: The keys ddtrace's log injection adds to a stdlib record (``dd.trace_id`` ... ``dd.env``),
#: "0" for the ids and "" for the others outside a span: placeholders, never a value to keep
#: next to fastlog's own.
_DD_INJECTED: Final = frozenset({"dd.trace_id", "dd.span_id", "dd.service", "dd.version", "dd.env"})
_DD_PLACEHOLDERS: Final = ("0", "")
_NO_TAGS: Final[tuple[tuple[str, str], ...]] = ()


def ddtrace_trace_id(trace_id: int) -> str:
    """A trace id as ddtrace's log correlation writes it (``format_trace_id``): 32 hex digits
    for a 128-bit id, decimal for one that fits 64 bits."""
    return f"{trace_id:032x}" if trace_id > _DD_MASK else str(trace_id)


# file and line have no standard attribute, nor do process and the thread id: they keep the
# core's names.
_DATADOG_CONSUMED: Final = {"function": LOC, "thread_name": THREAD, "exception": EXC}
_DATADOG_WRITTEN: Final = (
    "status",
    "logger",
    "logger.name",
    "logger.thread_name",
    "logger.method_name",
    "error",
    "error.kind",
    "error.message",
    "error.stack",
)
_DATADOG_SOFT: Final = ("dd.trace_id", "dd.span_id")
_DATADOG_SAME: Final = ("timestamp", "message")

_DATADOG_TABLES = _DATADOG_KEYS, _DATADOG_KEYS_TRACED = key_tables(
    consumed=_DATADOG_CONSUMED,
    written=_DATADOG_WRITTEN,
    soft=_DATADOG_SOFT,
    same=_DATADOG_SAME,
)
# For a record with the HTTP group: its attributes are the schema's only then.
_DATADOG_HTTP_TABLES = key_tables(
    consumed={**_DATADOG_CONSUMED, **dict.fromkeys(http.DATADOG_CONSUMED, HTTP)},
    written=(*_DATADOG_WRITTEN, *http.DATADOG_WRITTEN),
    soft=_DATADOG_SOFT,
    same=_DATADOG_SAME,
)


class DatadogSchema(Schema):
    """Datadog's reserved attributes (``timestamp``, ``status``, ``message``) and standard
    ones (``logger.name``, ``logger.thread_name``, ``logger.method_name``, ``error.kind``,
    ``error.message``, ``error.stack``), written as flat dotted keys as Datadog's Python
    formatters and ddtrace do. An access record's HTTP fields become ``http.*``,
    ``network.client.*``, ``network.bytes_written`` and ``duration`` (``http.py``).

    In a span, ``dd.trace_id``/``dd.span_id`` link the record to its trace:

    - from ddtrace, when the application imported it before the schema was resolved (fastlog
      never imports it) and its tracer has an active span or context: as ddtrace's own log
      correlation writes them (``Tracer.get_log_correlation_context``), the trace id as 32 hex
      digits when it is 128-bit, else decimal, the span id decimal; with ``dd.service``,
      ``dd.env`` and ``dd.version`` from ddtrace's config, read once per span;
    - otherwise from OpenTelemetry: decimal strings of the trace id's low 64 bits and of the
      span id, as Datadog's OpenTelemetry correlation asks.

    A record that already carries those keys (ddtrace's stdlib log injection adds them to
    every ``LogRecord``) keeps one copy: the same value, or ddtrace's placeholder (``"0"``,
    ``""``), is not written twice; a different trace or span id is kept as
    ``fields.dd.trace_id``; a ``dd.service``/``dd.env``/``dd.version`` of the record's own
    wins over the config's.
    """

    __slots__ = ("_dd_cache", "_dd_config", "_dd_tracer", "_traced")

    def __init__(self) -> None:
        super().__init__("datadog", "status")
        api = ddtrace_api()
        self._dd_tracer: Any = api[0] if api is not None else None
        self._dd_config: Any = api[1] if api is not None else None
        self._dd_cache: tuple[Any, Any] = (None, None)
        self._traced = api is not None or self._current_span is not None

    def _ids(self, trace_id: int, span_id: int, flags: int) -> Any:
        return (str(trace_id & _DD_MASK), str(span_id), _NO_TAGS)

    def _trace(self) -> Any:
        """ddtrace's active span's ids when there is one, else OpenTelemetry's."""
        tracer = self._dd_tracer
        if tracer is not None:
            try:
                # ddtrace's get_log_correlation_context reads the active span only when the
                # tracer is enabled; a Context (a distributed trace without a local span)
                # has the same ids.
                active = tracer.context_provider.active() if tracer.enabled else None
                if active is not None:
                    cache = self._dd_cache
                    if cache[0] is active:  # held by the cache: its id cannot be reused
                        return cache[1]
                    trace_id = active.trace_id
                    if trace_id:
                        span_id = active.span_id
                        span = str(span_id) if span_id else "0"
                        ids = (ddtrace_trace_id(trace_id), span, self._dd_tags())
                        self._dd_cache = (active, ids)
                        return ids
            except Exception as exc:
                reason = f"datadog: could not read ddtrace's active span ({type(exc).__name__})"
                _diagnostics.report("schema", reason)
        if self._current_span is None:
            return None
        return super()._trace()

    def _dd_tags(self) -> tuple[tuple[str, str], ...]:
        """``dd.service``, ``dd.env``, ``dd.version`` from ddtrace's config (set ones only)."""
        config = self._dd_config
        tags = []
        for key, name in (("dd.service", "service"), ("dd.env", "env"), ("dd.version", "version")):
            value = getattr(config, name, None)
            if value:
                tags.append((key, str(value)))
        return tuple(tags)

    def apply(self, fields: dict[str, Any], levelno: int) -> dict[str, Any]:
        """The record in Datadog's layout. Never raises.

        timeit, Python 3.11 (machine and method in ``Schema.apply``): 700 ns; 1220 ns with
        location, process, thread and an exception; 900 ns with opentelemetry installed and
        no span; 1200 ns in a span; about 100 ns more with ddtrace imported (its active
        span looked up).
        """
        try:
            get = fields.get
            status = _DATADOG_LEVELS[levelno]
            out: dict[str, Any] = {
                "timestamp": get("timestamp"),
                "status": status,
                "message": get("message"),
            }
            consumed = CORE
            logger = get("logger")
            if logger is not None:
                out["logger.name"] = logger
            if "thread_name" in fields and "thread" in fields:
                consumed |= THREAD
                out["logger.thread_name"] = fields["thread_name"]
            if "function" in fields and "line" in fields and "file" in fields:
                consumed |= LOC
                out["logger.method_name"] = fields["function"]
            exc = get("exception")
            if type(exc) is dict and "traceback" in exc:
                consumed |= EXC
                out["error.kind"] = exc.get("type")
                out["error.message"] = exc.get("message")
                out["error.stack"] = exc.get("traceback")
            tables = _DATADOG_TABLES
            if "http.response.status_code" in fields:  # http.HTTP_MARK, inlined: the one test
                consumed |= HTTP
                tables = _DATADOG_HTTP_TABLES
                http.datadog_http(fields, out)
            ids = self._trace() if self._traced else None
            if ids is None:
                copy_rest(fields, out, tables[0], consumed)
            else:
                out["dd.trace_id"] = ids[0]
                out["dd.span_id"] = ids[1]
                out.update(ids[2])  # a real value of the record's own replaces it below
                if not fields.keys().isdisjoint(_DD_INJECTED):
                    fields = _without_copies(fields, out)
                copy_rest(fields, out, tables[1], consumed)
            return out
        except Exception as exc:
            return self._failed(fields, exc)


def _without_copies(fields: Mapping[str, Any], out: Mapping[str, Any]) -> dict[str, Any]:
    """*fields* in a span without the ``dd.*`` keys ddtrace's log injection added that repeat
    what the schema wrote in *out* (the same value) or say "none" (its placeholders)."""
    rest = dict(fields)
    for key in _DD_INJECTED:
        if key in rest:
            value = rest[key]
            if value in _DD_PLACEHOLDERS or (key in out and value == out[key]):
                del rest[key]
    return rest
