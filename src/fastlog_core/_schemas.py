"""Output schemas: the core's record dict in the layout a log platform ingests natively.

The adapters build every record in the core's default schema (``timestamp``, ``level``,
``logger``, ``message``, the fields, optionally ``file``/``line``/``function``,
``process``/``process_name``, ``thread``/``thread_name`` and a structured ``exception``). A
``Schema`` turns that dict into another one, still one JSON object per line:

- ``"ecs"``: Elastic Common Schema, as Elastic's ecs-logging libraries write it.
- ``"gcp"``: Google Cloud Logging's structured-logging special fields (Cloud Run, GKE, the Ops
  agent), with the stack trace where Error Reporting looks for it.
- ``"datadog"``: Datadog's reserved and standard attributes.
- ``"otel"``: the OpenTelemetry Logs Data Model's field names, for a collector's ``filelog``
  receiver.
- a mapping such as ``{"timestamp": "ts", "level": "severity"}``: the default schema with its
  four keys renamed (``None`` drops a key).

``resolve_schema`` turns the ``schema=`` option into a ``Schema`` (or ``None`` for the default
schema, whose fast path stays as it is). ``Schema.apply`` never raises and costs a few hundred
nanoseconds per record (its docstring has the figures); ``Schema.level_key`` names the key that
holds the level as text, which always lower-cases to a name ``_levels.levelno_of`` reads back
(for a mapping: whatever the default schema wrote).

When the ``opentelemetry`` package (``opentelemetry-api``) is importable and a valid span is
current, the platform schemas add its trace and span ids in the platform's form. It is
imported once, when the first such schema is resolved (never at fastlog's import, never per
record); without it the cost is one ``is None`` test per record.

Sources (see ``docs/schemas.md`` for the field-by-field table):

- ECS: elastic/ecs-logging ``spec/spec.json`` and ``spec/README.md`` (key order, ``log.level``
  never nested); elastic/ecs-logging-python 2.3.0 ``ecs_logging/_stdlib.py``, ``_utils.py`` and
  ``_meta.py`` (``ECS_VERSION = "1.6.0"``); https://www.elastic.co/guide/en/ecs/current/ (log,
  process, error, tracing field sets).
- Google Cloud: https://cloud.google.com/logging/docs/structured-logging (special JSON fields),
  https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry (LogSeverity,
  LogEntrySourceLocation), https://cloud.google.com/error-reporting/docs/formatting-error-messages
  (``stack_trace`` is evaluated first); googleapis/python-logging
  ``handlers/structured_log.py`` and ``handlers/handlers.py`` (``python_logger`` label,
  ``projects/<id>/traces/<trace>``, ``trace_sampled``).
- Datadog: https://docs.datadoghq.com/logs/log_configuration/attributes_naming_convention/
  (reserved ``timestamp``/``status``/``message``; standard ``logger.*`` and ``error.*``),
  https://docs.datadoghq.com/logs/log_configuration/processors/log_status_remapper/ (how
  ``status`` strings are read), https://docs.datadoghq.com/tracing/other_telemetry/connect_logs_and_traces/opentelemetry/
  (``dd.trace_id``/``dd.span_id``: decimal strings, the trace id's low 64 bits).
- OpenTelemetry: ``specification/logs/data-model.md`` (field names, SeverityNumber ranges and
  short names), ``specification/protocol/file-exporter.md`` and the OTLP JSON encoding
  (64-bit integers as decimal strings, ids as hex), semantic conventions ``code.*``,
  ``thread.*``, ``exception.*`` (stable names as ``opentelemetry-semantic-conventions`` 0.66b2
  and the SDK's ``LoggingHandler`` write them), opentelemetry-collector-contrib
  ``pkg/stanza/operator/helper/{time,trace,severity}.go`` (what ``filelog`` parses).
"""

from __future__ import annotations

import datetime
import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from . import _diagnostics
from ._encoders.json import ERROR_KEY, RENAME_PREFIX
from ._levels import LEVEL_NAMES
from .exceptions import ConfigError

__all__ = [
    "ECS_VERSION",
    "SCHEMA_NAMES",
    "DatadogSchema",
    "EcsSchema",
    "GcpSchema",
    "MappingSchema",
    "OtelSchema",
    "Schema",
    "datadog_status",
    "ecs_level",
    "epoch_nanos",
    "gcp_severity",
    "otel_severity",
    "resolve_schema",
]

#: The names ``schema=`` accepts (besides a mapping and ``None``).
SCHEMA_NAMES: Final = ("default", "ecs", "gcp", "datadog", "otel")

#: The ECS version the ecs-logging libraries write (ecs-logging-python 2.3.0, ``_meta.py``).
ECS_VERSION: Final = "1.6.0"

_CORE_KEYS: Final = ("timestamp", "level", "logger", "message")

# ---------------------------------------------------------------------------------------------
# Levels. Each function maps any level number (stdlib's scale: TRACE 5 ... CRITICAL 50) to the
# platform's value, monotonically; the text it produces always reads back through
# _levels.levelno_of, which the writer uses to filter lines per sink.


def _clamp(levelno: Any) -> int:
    try:
        number = int(levelno)
    except Exception:
        return 0
    return number if number > 0 else 0


def ecs_level(levelno: int) -> str:
    """ECS ``log.level``: the level's own name (``"warning"``), ``"level-<n>"`` for others.

    ECS keeps "the original log level of the log event"; ecs-logging-python writes the lower-case
    level name, as the core's schema does.
    """
    levelno = _clamp(levelno)
    name = LEVEL_NAMES.get(levelno)
    return name if name is not None else f"level-{levelno}"


def gcp_severity(levelno: int) -> str:
    """Cloud Logging's ``LogSeverity`` for a level number, by range.

    0 is DEFAULT ("no assigned severity"), below 20 DEBUG, 20-24 INFO, 25-29 NOTICE (loguru's
    SUCCESS: "normal but significant"), 30s WARNING, 40s ERROR, 50s CRITICAL, 60s ALERT,
    70 and above EMERGENCY.
    """
    levelno = _clamp(levelno)
    if levelno == 0:
        return "DEFAULT"
    if levelno < 20:
        return "DEBUG"
    if levelno < 25:
        return "INFO"
    if levelno < 30:
        return "NOTICE"
    if levelno < 40:
        return "WARNING"
    if levelno < 50:
        return "ERROR"
    if levelno < 60:
        return "CRITICAL"
    if levelno < 70:
        return "ALERT"
    return "EMERGENCY"


def datadog_status(levelno: int) -> str:
    """Datadog ``status``: a name its status remapper reads as the right syslog severity.

    Below 10 ``trace`` (read as debug), 10s ``debug``, 20-24 ``info``, 25-29 ``notice``
    (``success`` would be read as OK, which Datadog does not rank above info), 30s
    ``warning``, 40s ``error``, 50s ``critical``, 60s ``alert``, 70 and above ``emergency``.
    """
    levelno = _clamp(levelno)
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


def otel_severity(levelno: int) -> tuple[str, int]:
    """``(SeverityText, SeverityNumber)`` for a level number.

    The text is the level's name in upper case, as Python's ``levelname`` (and the OpenTelemetry
    SDK's ``LoggingHandler``) writes it: ``"WARNING"``, ``"LEVEL-15"`` for a number without a
    name. The number follows the data model's ranges (TRACE 1-4, DEBUG 5-8, INFO 9-12, WARN
    13-16, ERROR 17-20, FATAL 21-24): a standard level gets its range's first value (5 -> 1,
    10 -> 5, 20 -> 9, 30 -> 13, 40 -> 17, 50 -> 21) and each three numbers above it step one
    further, up to the range's fourth (20-22 INFO, 23-25 INFO2, 26-28 INFO3, 29 INFO4; so
    SUCCESS 25 -> 10). Numbers below 5 are TRACE, 59 and above FATAL4.
    """
    levelno = _clamp(levelno)
    text = ecs_level(levelno).upper()
    if levelno < 10:
        return text, 1 + max(0, levelno - 5) // 3
    if levelno >= 50:
        return text, min(24, 21 + (levelno - 50) // 3)
    decade = levelno // 10  # 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR
    return text, 1 + 4 * decade + (levelno % 10) // 3


# Per-schema caches of the values above: the standard numbers up front, other numbers below
# _CACHED_LEVELS added on first use (a bounded dict; setting an item is atomic).
_CACHED_LEVELS = 256
_ECS_LEVELS: Final = {n: ecs_level(n) for n in LEVEL_NAMES}
_GCP_LEVELS: Final = {n: gcp_severity(n) for n in LEVEL_NAMES}
_DATADOG_LEVELS: Final = {n: datadog_status(n) for n in LEVEL_NAMES}
_OTEL_LEVELS: Final = {n: otel_severity(n) for n in LEVEL_NAMES}


def _level_miss(cache: dict[int, Any], convert: Callable[[int], Any], levelno: Any) -> Any:
    value = convert(levelno)
    if type(levelno) is int and 0 <= levelno < _CACHED_LEVELS:
        cache[levelno] = value
    return value


# ---------------------------------------------------------------------------------------------
# Copying the rest of the record. Each schema has a table of the keys it treats specially:
# input keys it consumes (always, or when their group is present in the record) and output keys
# it writes (a user field with that name moves to "fields.<name>", as the core does).

_LOC: Final = 1  # file, line, function: all three present
_PROC: Final = 2  # process, process_name
_THREAD: Final = 4  # thread, thread_name
_EXC: Final = 8  # exception: the core's {"type", "message", "traceback"}
_LABELS: Final = 16  # gcp: a user's logging.googleapis.com/labels dict, merged
_CORE: Final = 32  # timestamp, level, logger, message: always consumed
_RENAME: Final = 64  # the schema writes this key

_Plan = tuple[frozenset[str], tuple[str, ...] | None, frozenset[str]]


class _Keys:
    """One schema's key table: what ``_copy_rest`` skips and what it renames.

    Args:
        kinds: input keys it consumes (always, or with their group) and keys it writes.
        same: core keys the schema writes under their own name with the input's value
            (``message``, Datadog's ``timestamp``): copying them again changes nothing.
    """

    __slots__ = ("_same", "_written", "kinds", "plans")

    def __init__(self, kinds: dict[str, int], same: Iterable[str] = ()) -> None:
        self.kinds = kinds
        self._same = frozenset(same)
        self._written = frozenset(key for key, kind in kinds.items() if kind & _RENAME)
        #: Per combination of consumed groups, made on first use (setting an item is atomic).
        self.plans: dict[int, _Plan] = {}
        self.plan(_CORE)

    def plan(self, consumed: int) -> _Plan:
        """For these consumed groups: the input keys not copied; the keys to remove after
        ``out.update(fields)`` (``None`` when a skipped key is also one the schema writes: it
        would be overwritten, then removed); the written keys a copied field could clash with.
        """
        skip = frozenset(key for key, kind in self.kinds.items() if kind & consumed)
        safe = self._written.isdisjoint(skip - self._same)
        drops = tuple(key for key in skip if key not in self._same) if safe else None
        plan = (skip, drops, self._written - skip)
        self.plans[consumed] = plan
        return plan


def _keys(
    consumed: Mapping[str, int],
    written: Iterable[str],
    soft: Iterable[str] = (),
    same: Iterable[str] = (),
) -> tuple[_Keys, _Keys]:
    """The key tables without and with trace ids (``soft`` keys are written only in a span)."""
    kinds = {key: _RENAME for key in written}
    for key, bit in consumed.items():
        kinds[key] = kinds.get(key, 0) | bit
    for key in _CORE_KEYS:
        kinds[key] = kinds.get(key, 0) | _CORE
    traced = dict(kinds)
    for key in soft:
        traced[key] = traced.get(key, 0) | _RENAME
    return _Keys(kinds, same), _Keys(traced, same)


def _aside(key: str, out: Mapping[Any, Any]) -> str:
    name = RENAME_PREFIX + key
    while name in out:
        name = RENAME_PREFIX + name
    return name


def _copy_rest(fields: Mapping[Any, Any], out: dict[Any, Any], keys: _Keys, consumed: int) -> None:
    """Copy the fields *out* has not taken, renaming those named like a key the schema writes."""
    plan = keys.plans.get(consumed)
    if plan is None:
        plan = keys.plan(consumed)
    skip, drops, clashes = plan
    if clashes.isdisjoint(fields):  # the common case
        if drops is not None:  # a C-level update, then a few removals
            out.update(fields)
            for key in drops:
                out.pop(key, None)
            return
        for key, value in fields.items():
            if key not in skip:
                out[key] = value  # noqa: PERF403 - a comprehension is slower on 3.11
        return
    kinds = keys.kinds
    renamed = False
    for key, value in fields.items():
        kind = kinds.get(key, 0)
        if kind & consumed:
            continue
        if kind & _RENAME or (renamed and key in out):
            # the schema's own key, or "fields.x" after a field was renamed to "fields.x"
            out[_aside(key, out)] = value
            renamed = True
        else:
            out[key] = value


_EPOCH: Final = datetime.datetime(1970, 1, 1)
_EPOCH_UTC: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def epoch_nanos(ts: Any) -> Any:
    """A ``timestamp`` value (naive UTC or aware ``datetime``, or an ISO string) as a decimal
    string of nanoseconds since the epoch; any other value, or a string that does not parse,
    is returned as it is."""
    if isinstance(ts, datetime.datetime):
        delta = ts - (_EPOCH if ts.tzinfo is None else _EPOCH_UTC)
        return str(((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1000)
    if isinstance(ts, str):
        try:
            parsed = datetime.datetime.fromisoformat(ts)
        except ValueError:
            return ts
        return epoch_nanos(parsed)  # a naive one is UTC, as the core writes it
    return ts


# ---------------------------------------------------------------------------------------------
# Trace context: opentelemetry imported once, on first need.

_UNRESOLVED: Final[Any] = object()
_otel: Any = _UNRESOLVED  # (get_current_span, INVALID_SPAN), or None without opentelemetry


def _otel_api() -> tuple[Callable[[], Any], Any] | None:
    """``opentelemetry.trace``'s ``get_current_span`` and ``INVALID_SPAN``, imported once."""
    global _otel
    if _otel is _UNRESOLVED:
        try:
            trace = importlib.import_module("opentelemetry.trace")
            _otel = (trace.get_current_span, trace.INVALID_SPAN)
        except Exception:  # not installed, or broken: no ids
            _otel = None
    result: tuple[Callable[[], Any], Any] | None = _otel
    return result


class Schema:
    """A platform's layout for records: ``apply`` turns the core's dict into it.

    Attributes:
        name: ``"ecs"``, ``"gcp"``, ``"datadog"``, ``"otel"`` or ``"mapping"``.
        level_key: The output key holding the level as text (``None`` if a mapping dropped it).
    """

    __slots__ = ("_cache", "_current_span", "_invalid_span", "level_key", "name")

    def __init__(self, name: str, level_key: str | None, *, traced: bool = True) -> None:
        self.name = name
        self.level_key = level_key
        api = _otel_api() if traced else None
        self._current_span: Callable[[], Any] | None = api[0] if api is not None else None
        self._invalid_span: Any = api[1] if api is not None else None
        self._cache: tuple[Any, Any] = (None, None)

    def apply(self, fields: dict[str, Any], levelno: int) -> dict[str, Any]:
        """The record in this schema, as a new dict (*fields* is not changed). Never raises:
        if converting fails, the core's record is returned with ``fastlog_error`` set, and the
        failure is counted (``_errors``, kind ``"schema"``).

        Each subclass's docstring gives its cost, measured with ``timeit`` (best of 7 x 100,000
        calls) on the development machine (Python 3.11, 2 shared cores), for a record of the 4
        core keys and 3 fields, and for the same with location, process, thread and an
        exception. For scale: ``orjson.dumps`` of that 7-key record takes ~150 ns there.
        """
        raise NotImplementedError  # pragma: no cover - every schema overrides it

    def _ids(self, trace_id: int, span_id: int, flags: int) -> Any:
        """The schema's form of a span's ids (computed once per span)."""
        raise NotImplementedError  # pragma: no cover

    def _trace(self) -> Any:
        """The current span's ids in this schema's form, or ``None`` outside a valid span."""
        current = self._current_span
        if current is None:
            return None
        try:
            span = current()
            if span is self._invalid_span:
                return None
            ctx = span.get_span_context()
            cache = self._cache
            if cache[0] is ctx:  # the cache holds ctx, so its id cannot be reused meanwhile
                return cache[1]
            if not ctx.is_valid:
                return None
            ids = self._ids(ctx.trace_id, ctx.span_id, int(ctx.trace_flags))
            self._cache = (ctx, ids)
            return ids
        except Exception as exc:
            reason = f"{self.name}: could not read the current span ({type(exc).__name__})"
            _diagnostics.report("schema", reason)
            return None

    def _failed(self, fields: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
        """The record as the core built it, marked: what a schema that cannot apply returns."""
        try:
            reason = f"schema {self.name!r} could not be applied ({type(exc).__name__})"
            _diagnostics.report("schema", reason)
            out = dict(fields)
            out[ERROR_KEY] = reason
            return out
        except Exception:
            return {"message": "a record could not be converted", ERROR_KEY: "schema"}

    def __repr__(self) -> str:
        return f"<fastlog schema {self.name!r}, level in {self.level_key!r}>"


# ---------------------------------------------------------------------------------------------
# ECS

_ECS_KEYS, _ECS_KEYS_TRACED = _keys(
    consumed={
        "file": _LOC,
        "line": _LOC,
        "function": _LOC,
        "process": _PROC,
        "process_name": _PROC,
        "thread": _THREAD,
        "thread_name": _THREAD,
        "exception": _EXC,
    },
    # Top-level keys, and the dotted spellings of the paths written (Elasticsearch reads
    # "log.logger" and {"log": {"logger": ...}} as the same field).
    written=(
        "@timestamp",
        "log.level",
        "ecs",
        "ecs.version",
        "log",
        "log.logger",
        "log.origin",
        "log.origin.file",
        "log.origin.file.name",
        "log.origin.file.line",
        "log.origin.function",
        "process",
        "process.pid",
        "process.name",
        "process.thread",
        "process.thread.id",
        "process.thread.name",
        "error",
        "error.type",
        "error.message",
        "error.stack_trace",
    ),
    soft=("trace", "trace.id", "span", "span.id"),
    same=("message",),
)


class EcsSchema(Schema):
    """Elastic Common Schema, laid out as ecs-logging-python writes it.

    ``@timestamp``, ``log.level`` and ``message`` first (the ecs-logging spec's order, with
    ``log.level`` never nested), then ``ecs.version`` and the other fields as nested objects:
    ``{"log": {"logger", "origin": {"file": {"name", "line"}, "function"}}, "process": {"pid",
    "name", "thread": {"id", "name"}}, "error": {"type", "message", "stack_trace"}}``, and
    ``trace.id``/``span.id`` in a span.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("ecs", "log.level")

    def _ids(self, trace_id: int, span_id: int, flags: int) -> Any:
        return (format(trace_id, "032x"), format(span_id, "016x"))

    def apply(self, fields: dict[str, Any], levelno: int) -> dict[str, Any]:
        """The record in ECS. Never raises.

        timeit, Python 3.11 (machine and method in ``Schema.apply``): 835 ns; 1590 ns with
        location, process, thread and an exception; 1010 ns with opentelemetry installed and
        no span; 1400 ns in a span.
        """
        try:
            get = fields.get
            level = _ECS_LEVELS.get(levelno)
            if level is None:
                level = _level_miss(_ECS_LEVELS, ecs_level, levelno)
            out: dict[str, Any] = {
                "@timestamp": get("timestamp"),
                "log.level": level,
                "message": get("message"),
                "ecs": {"version": ECS_VERSION},
            }
            consumed = _CORE
            logger = get("logger")
            log: dict[str, Any] | None = {"logger": logger} if logger is not None else None
            if "function" in fields and "line" in fields and "file" in fields:
                consumed |= _LOC
                origin = {
                    "file": {"name": fields["file"], "line": fields["line"]},
                    "function": fields["function"],
                }
                if log is None:
                    log = {"origin": origin}
                else:
                    log["origin"] = origin
            if log is not None:
                out["log"] = log
            process: dict[str, Any] | None = None
            if "process_name" in fields and "process" in fields:
                consumed |= _PROC
                process = {"pid": fields["process"], "name": fields["process_name"]}
            if "thread_name" in fields and "thread" in fields:
                consumed |= _THREAD
                thread = {"id": fields["thread"], "name": fields["thread_name"]}
                if process is None:
                    process = {"thread": thread}
                else:
                    process["thread"] = thread
            if process is not None:
                out["process"] = process
            exc = get("exception")
            if type(exc) is dict and "traceback" in exc:
                consumed |= _EXC
                out["error"] = {
                    "type": exc.get("type"),
                    "message": exc.get("message"),
                    "stack_trace": exc.get("traceback"),
                }
            ids = self._trace() if self._current_span is not None else None
            if ids is None:
                _copy_rest(fields, out, _ECS_KEYS, consumed)
            else:
                out["trace"] = {"id": ids[0]}
                out["span"] = {"id": ids[1]}
                _copy_rest(fields, out, _ECS_KEYS_TRACED, consumed)
            return out
        except Exception as exc:
            return self._failed(fields, exc)


# ---------------------------------------------------------------------------------------------
# Google Cloud Logging

_GCP_SOURCE: Final = "logging.googleapis.com/sourceLocation"
_GCP_LABELS: Final = "logging.googleapis.com/labels"
_GCP_TRACE: Final = "logging.googleapis.com/trace"
_GCP_SPAN: Final = "logging.googleapis.com/spanId"
_GCP_SAMPLED: Final = "logging.googleapis.com/trace_sampled"

_GCP_KEYS, _GCP_KEYS_TRACED = _keys(
    consumed={
        "file": _LOC,
        "line": _LOC,
        "function": _LOC,
        "exception": _EXC,
        _GCP_LABELS: _LABELS,
    },
    written=("severity", "time", _GCP_SOURCE, _GCP_LABELS, "stack_trace"),
    soft=(_GCP_TRACE, _GCP_SPAN, _GCP_SAMPLED),
    same=("message",),
)


class GcpSchema(Schema):
    """Google Cloud Logging's structured-logging special fields.

    ``severity`` (LogSeverity), ``message``, ``time`` (RFC 3339), the location as
    ``logging.googleapis.com/sourceLocation`` ``{file, line, function}``, the logger as the
    label ``python_logger`` (as Google's own ``StructuredLogHandler`` does; a user's
    ``logging.googleapis.com/labels`` dict is merged in), the traceback as ``stack_trace``
    (which Error Reporting evaluates first), and in a span ``logging.googleapis.com/trace``
    (``projects/<GOOGLE_CLOUD_PROJECT>/traces/<id>``, read when the schema is resolved, or the
    bare id), ``logging.googleapis.com/spanId`` and ``logging.googleapis.com/trace_sampled``.
    Process and thread fields keep the core's names.
    """

    __slots__ = ("project",)

    def __init__(self, project: str | None = None) -> None:
        super().__init__("gcp", "severity")
        if project is None:
            project = os.environ.get("GOOGLE_CLOUD_PROJECT") or None
        self.project = project

    def _ids(self, trace_id: int, span_id: int, flags: int) -> Any:
        trace = format(trace_id, "032x")
        if self.project:
            trace = f"projects/{self.project}/traces/{trace}"
        return (trace, format(span_id, "016x"), bool(flags & 1))

    def apply(self, fields: dict[str, Any], levelno: int) -> dict[str, Any]:
        """The record in Cloud Logging's layout. Never raises.

        timeit, Python 3.11 (machine and method in ``Schema.apply``): 770 ns; 1290 ns with
        location, process, thread and an exception; 940 ns with opentelemetry installed and
        no span; 1260 ns in a span.
        """
        try:
            get = fields.get
            severity = _GCP_LEVELS.get(levelno)
            if severity is None:
                severity = _level_miss(_GCP_LEVELS, gcp_severity, levelno)
            out: dict[str, Any] = {
                "severity": severity,
                "message": get("message"),
                "time": get("timestamp"),
            }
            consumed = _CORE
            if "function" in fields and "line" in fields and "file" in fields:
                consumed |= _LOC
                out[_GCP_SOURCE] = {
                    "file": fields["file"],
                    "line": fields["line"],
                    "function": fields["function"],
                }
            logger = get("logger")
            labels: dict[str, Any] | None = (
                {"python_logger": logger} if logger is not None else None
            )
            user_labels = get(_GCP_LABELS)
            if type(user_labels) is dict:
                consumed |= _LABELS
                labels = {**labels, **user_labels} if labels is not None else dict(user_labels)
            if labels:
                out[_GCP_LABELS] = labels
            exc = get("exception")
            if type(exc) is dict and "traceback" in exc:
                consumed |= _EXC
                out["stack_trace"] = exc.get("traceback")
            ids = self._trace() if self._current_span is not None else None
            if ids is None:
                _copy_rest(fields, out, _GCP_KEYS, consumed)
            else:
                out[_GCP_TRACE] = ids[0]
                out[_GCP_SPAN] = ids[1]
                out[_GCP_SAMPLED] = ids[2]
                _copy_rest(fields, out, _GCP_KEYS_TRACED, consumed)
            return out
        except Exception as exc:
            return self._failed(fields, exc)


# ---------------------------------------------------------------------------------------------
# Datadog

_DD_MASK: Final = 0xFFFFFFFFFFFFFFFF

_DATADOG_KEYS, _DATADOG_KEYS_TRACED = _keys(
    # file and line have no standard attribute, nor do process and the thread id: they keep
    # the core's names.
    consumed={"function": _LOC, "thread_name": _THREAD, "exception": _EXC},
    written=(
        "status",
        "logger",
        "logger.name",
        "logger.thread_name",
        "logger.method_name",
        "error",
        "error.kind",
        "error.message",
        "error.stack",
    ),
    soft=("dd.trace_id", "dd.span_id"),
    same=("timestamp", "message"),
)


class DatadogSchema(Schema):
    """Datadog's reserved attributes (``timestamp``, ``status``, ``message``) and standard
    ones (``logger.name``, ``logger.thread_name``, ``logger.method_name``, ``error.kind``,
    ``error.message``, ``error.stack``), written as flat dotted keys as Datadog's Python
    formatters and ddtrace do; in a span ``dd.trace_id``/``dd.span_id`` as decimal strings of
    the 64-bit ids (the trace id's low half), as ddtrace writes them.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("datadog", "status")

    def _ids(self, trace_id: int, span_id: int, flags: int) -> Any:
        return (str(trace_id & _DD_MASK), str(span_id))

    def apply(self, fields: dict[str, Any], levelno: int) -> dict[str, Any]:
        """The record in Datadog's layout. Never raises.

        timeit, Python 3.11 (machine and method in ``Schema.apply``): 700 ns; 1220 ns with
        location, process, thread and an exception; 900 ns with opentelemetry installed and
        no span; 1200 ns in a span.
        """
        try:
            get = fields.get
            status = _DATADOG_LEVELS.get(levelno)
            if status is None:
                status = _level_miss(_DATADOG_LEVELS, datadog_status, levelno)
            out: dict[str, Any] = {
                "timestamp": get("timestamp"),
                "status": status,
                "message": get("message"),
            }
            consumed = _CORE
            logger = get("logger")
            if logger is not None:
                out["logger.name"] = logger
            if "thread_name" in fields and "thread" in fields:
                consumed |= _THREAD
                out["logger.thread_name"] = fields["thread_name"]
            if "function" in fields and "line" in fields and "file" in fields:
                consumed |= _LOC
                out["logger.method_name"] = fields["function"]
            exc = get("exception")
            if type(exc) is dict and "traceback" in exc:
                consumed |= _EXC
                out["error.kind"] = exc.get("type")
                out["error.message"] = exc.get("message")
                out["error.stack"] = exc.get("traceback")
            ids = self._trace() if self._current_span is not None else None
            if ids is None:
                _copy_rest(fields, out, _DATADOG_KEYS, consumed)
            else:
                out["dd.trace_id"] = ids[0]
                out["dd.span_id"] = ids[1]
                _copy_rest(fields, out, _DATADOG_KEYS_TRACED, consumed)
            return out
        except Exception as exc:
            return self._failed(fields, exc)


# ---------------------------------------------------------------------------------------------
# OpenTelemetry

_OTEL_KEYS, _ = _keys(
    # Inside Attributes. process_name has no semantic convention and keeps its name.
    consumed={
        "file": _LOC,
        "line": _LOC,
        "function": _LOC,
        "process": _PROC,
        "thread": _THREAD,
        "thread_name": _THREAD,
        "exception": _EXC,
    },
    written=(
        "code.file.path",
        "code.line.number",
        "code.function.name",
        "process.pid",
        "thread.id",
        "thread.name",
        "exception.type",
        "exception.message",
        "exception.stacktrace",
    ),
)


class OtelSchema(Schema):
    """The OpenTelemetry Logs Data Model's field names, one flat record per line.

    ``Timestamp`` (nanoseconds since the epoch as a decimal string: the model's uint64, written
    as OTLP JSON writes 64-bit integers; a JSON number would lose the nanoseconds in parsers
    that read numbers as doubles, and the collector's ``epoch``/``ns`` time parser takes the
    string), ``SeverityText``, ``SeverityNumber``, ``Body``, ``InstrumentationScope``
    ``{"Name": logger}``, in a span ``TraceId``/``SpanId`` (lowercase hex, as OTLP JSON and the
    collector's trace parser want them) and ``TraceFlags`` (two hex digits, ``"01"`` when
    sampled: the collector's trace parser hex-decodes it), and ``Attributes``: the fields,
    with the location as ``code.file.path``/``code.line.number``/``code.function.name``, the
    thread as ``thread.id``/``thread.name``, the pid as ``process.pid`` and the exception as
    ``exception.type``/``exception.message``/``exception.stacktrace``.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("otel", "SeverityText")

    def _ids(self, trace_id: int, span_id: int, flags: int) -> Any:
        return (format(trace_id, "032x"), format(span_id, "016x"), format(flags & 0xFF, "02x"))

    def apply(self, fields: dict[str, Any], levelno: int) -> dict[str, Any]:
        """The record in the Logs Data Model's layout. Never raises.

        timeit, Python 3.11 (machine and method in ``Schema.apply``): 1080 ns (about 250 ns
        of it the nanosecond timestamp); 2060 ns with location, process, thread and an
        exception; 1290 ns with opentelemetry installed and no span; 1570 ns in a span.
        """
        try:
            get = fields.get
            severity = _OTEL_LEVELS.get(levelno)
            if severity is None:
                severity = _level_miss(_OTEL_LEVELS, otel_severity, levelno)
            out: dict[str, Any] = {
                "Timestamp": epoch_nanos(get("timestamp")),
                "SeverityText": severity[0],
                "SeverityNumber": severity[1],
                "Body": get("message"),
            }
            logger = get("logger")
            if logger is not None:
                out["InstrumentationScope"] = {"Name": logger}
            ids = self._trace() if self._current_span is not None else None
            if ids is not None:
                out["TraceId"] = ids[0]
                out["SpanId"] = ids[1]
                out["TraceFlags"] = ids[2]
            attributes: dict[str, Any] = {}
            consumed = _CORE
            if "function" in fields and "line" in fields and "file" in fields:
                consumed |= _LOC
                attributes["code.file.path"] = fields["file"]
                attributes["code.line.number"] = fields["line"]
                attributes["code.function.name"] = fields["function"]
            if "process" in fields and "process_name" in fields:
                consumed |= _PROC
                attributes["process.pid"] = fields["process"]
            if "thread_name" in fields and "thread" in fields:
                consumed |= _THREAD
                attributes["thread.id"] = fields["thread"]
                attributes["thread.name"] = fields["thread_name"]
            exc = get("exception")
            if type(exc) is dict and "traceback" in exc:
                consumed |= _EXC
                attributes["exception.type"] = exc.get("type")
                attributes["exception.message"] = exc.get("message")
                attributes["exception.stacktrace"] = exc.get("traceback")
            _copy_rest(fields, attributes, _OTEL_KEYS, consumed)
            out["Attributes"] = attributes
            return out
        except Exception as exc:
            return self._failed(fields, exc)


# ---------------------------------------------------------------------------------------------
# A user mapping


class MappingSchema(Schema):
    """The default schema with ``timestamp``, ``level``, ``message`` and ``logger`` renamed
    (a key mapped to ``None`` is left out). Values are the core's, unchanged; no trace ids.
    """

    __slots__ = ("_keys", "_targets", "mapping")

    def __init__(self, mapping: Mapping[str, str | None]) -> None:
        self.mapping: dict[str, str | None] = {key: mapping.get(key, key) for key in _CORE_KEYS}
        super().__init__("mapping", self.mapping["level"], traced=False)
        self._targets = tuple(
            (key, target) for key, target in self.mapping.items() if target is not None
        )
        self._keys, _ = _keys(
            {},
            (target for _, target in self._targets),
            same=(key for key, target in self._targets if key == target),
        )

    def _ids(self, trace_id: int, span_id: int, flags: int) -> Any:  # pragma: no cover
        return None

    def apply(self, fields: dict[str, Any], levelno: int) -> dict[str, Any]:
        """The record with its keys renamed. Never raises.

        timeit, Python 3.11 (machine and method in ``Schema.apply``): 700 ns; 900 ns with
        location, process, thread and an exception (no trace ids, so opentelemetry costs
        nothing here).
        """
        try:
            get = fields.get
            out: dict[str, Any] = {}
            for key, target in self._targets:
                out[target] = get(key)
            _copy_rest(fields, out, self._keys, _CORE)
            return out
        except Exception as exc:
            return self._failed(fields, exc)

    def __repr__(self) -> str:
        return f"<fastlog schema mapping {self.mapping!r}>"


# ---------------------------------------------------------------------------------------------

_NAMED: Final[dict[str, Callable[[], Schema]]] = {
    "ecs": EcsSchema,
    "gcp": GcpSchema,
    "datadog": DatadogSchema,
    "otel": OtelSchema,
}

_EXPECTED: Final = (
    "expected None, 'default', 'ecs', 'gcp', 'datadog', 'otel', or a mapping of "
    "'timestamp', 'level', 'message', 'logger' to new key names (str) or None"
)


def resolve_schema(value: object) -> Schema | None:
    """The ``Schema`` for a ``schema=`` option; ``None`` for the default schema.

    Raises:
        ConfigError: naming ``schema=<value>``, for an unknown name or a bad mapping.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if value == "default":
            return None
        factory = _NAMED.get(value)
        if factory is None:
            raise ConfigError(f"schema={value!r}: unknown schema; {_EXPECTED}")
        return factory()
    if isinstance(value, Mapping):
        return MappingSchema(_checked_mapping(value))
    raise ConfigError(f"schema={value!r}: {_EXPECTED}")


def _checked_mapping(value: Mapping[Any, Any]) -> dict[str, str | None]:
    mapping: dict[str, str | None] = {}
    for key, target in value.items():
        if key not in _CORE_KEYS:
            raise ConfigError(
                f"schema={value!r}: cannot rename {key!r}; {_EXPECTED}",
            )
        if target is not None and (not isinstance(target, str) or not target):
            raise ConfigError(
                f"schema={value!r}: the new name for {key!r} must be a non-empty str or "
                f"None, not {target!r}; {_EXPECTED}"
            )
        mapping[key] = target
    final = [mapping.get(key, key) for key in _CORE_KEYS]
    names = [name for name in final if name is not None]
    if len(set(names)) != len(names):
        raise ConfigError(
            f"schema={value!r}: two keys would have the same name "
            f"({', '.join(repr(n) for n in names)})"
        )
    return mapping
