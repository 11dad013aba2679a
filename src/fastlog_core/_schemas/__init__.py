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
  (``dd.trace_id``/``dd.span_id``: decimal strings, the trace id's low 64 bits); from ddtrace,
  DataDog/dd-trace-py ``ddtrace/_trace/tracer.py`` (``get_log_correlation_context``) and
  ``ddtrace/internal/utils/formats.py`` (``format_trace_id``: 32 hex digits above 64 bits).
- OpenTelemetry: ``specification/logs/data-model.md`` (field names, SeverityNumber ranges and
  short names), ``specification/protocol/file-exporter.md`` and the OTLP JSON encoding
  (64-bit integers as decimal strings, ids as hex), semantic conventions ``code.*``,
  ``thread.*``, ``exception.*`` (stable names as ``opentelemetry-semantic-conventions`` 0.66b2
  and the SDK's ``LoggingHandler`` write them), opentelemetry-collector-contrib
  ``pkg/stanza/operator/helper/{time,trace,severity}.go`` (what ``filelog`` parses).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .._encoders.json import ERROR_KEY
from ..exceptions import ConfigError
from . import datadog as _datadog
from . import ecs as _ecs
from . import gcp as _gcp
from . import http as _http
from .base import CORE_KEYS, GROUPS, RENAME, Keys, Schema, epoch_nanos
from .datadog import DatadogSchema, datadog_status
from .ecs import ECS_VERSION, EcsSchema, ecs_level
from .gcp import GcpSchema, gcp_severity
from .mapping import MappingSchema
from .otel import OtelSchema, otel_severity

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
    "schema_keys",
]

#: The names ``schema=`` accepts (besides a mapping and ``None``).
SCHEMA_NAMES: Final = ("default", "ecs", "gcp", "datadog", "otel")


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
        if key not in CORE_KEYS:
            raise ConfigError(
                f"schema={value!r}: cannot rename {key!r}; {_EXPECTED}",
            )
        if target is not None and (not isinstance(target, str) or not target):
            raise ConfigError(
                f"schema={value!r}: the new name for {key!r} must be a non-empty str or "
                f"None, not {target!r}; {_EXPECTED}"
            )
        mapping[key] = target
    final = [mapping.get(key, key) for key in CORE_KEYS]
    names = [name for name in final if name is not None]
    if len(set(names)) != len(names):
        raise ConfigError(
            f"schema={value!r}: two keys would have the same name "
            f"({', '.join(repr(n) for n in names)})"
        )
    return mapping


# The OpenTelemetry schema's top level: everything else goes inside Attributes.
_OTEL_TOP: Final = (
    "Timestamp",
    "SeverityText",
    "SeverityNumber",
    "Body",
    "InstrumentationScope",
    "TraceId",
    "SpanId",
    "TraceFlags",
    "Attributes",
)


def _written(*tables: Keys) -> frozenset[str]:
    # Keys it writes under a new name, and core keys it writes under their own (``same``).
    return frozenset(
        key
        for keys in tables
        for key, kind in keys.kinds.items()
        if kind & RENAME or key in keys._same
    )


def schema_keys(schema: Schema | None) -> frozenset[str]:
    """The top-level keys *schema* (``None``: the default schema) may write itself: a
    ``static_fields`` key among them would give a line the same key twice."""
    own = {ERROR_KEY}
    if schema is None:
        own.update(CORE_KEYS, GROUPS, _http.HTTP_KEYS)
    elif isinstance(schema, MappingSchema):
        own.update(target for target in schema.mapping.values() if target is not None)
        own.update(GROUPS, _http.HTTP_KEYS)
    elif isinstance(schema, OtelSchema):
        own.update(_OTEL_TOP)
    else:
        tables = {
            "ecs": (_ecs._ECS_KEYS_TRACED, _ecs._ECS_HTTP_TABLES[1]),
            "gcp": (_gcp._GCP_KEYS_TRACED, _gcp._GCP_HTTP_TABLES[1]),
            "datadog": (_datadog._DATADOG_KEYS_TRACED, _datadog._DATADOG_HTTP_TABLES[1]),
        }[schema.name]
        own.update(_written(*tables))
    return frozenset(own)
