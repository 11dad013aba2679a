"""CloudWatch Embedded Metric Format: metrics written as log records.

A record carrying an ``_aws`` member (a timestamp and metric directives) and the metric values
at its top level is turned into CloudWatch metrics by CloudWatch Logs when it arrives there,
whichever way: ``CloudWatchSink``, the Lambda or ECS stdout collection, the CloudWatch agent.
These helpers write one such record through the normal pipeline (a fastlog ``Logger``), so it
goes wherever the application's other records go; nothing here talks to AWS.

Values are written at the record's top level, as the default, ``ecs``, ``gcp`` and
``datadog`` schemas write fields; the ``otel`` schema nests fields under ``Attributes``,
where CloudWatch does not look for them.

Example::

    from fastlog_core import emf

    emf.count("orders", dimensions={"Service": "checkout"})
    with emf.timer("charge_time", dimensions={"Service": "checkout"}):
        charge()
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ._logger import Logger, get_logger

__all__ = [
    "DEFAULT_NAMESPACE",
    "MAX_DIMENSIONS",
    "MAX_METRICS",
    "MAX_VALUES",
    "UNITS",
    "Number",
    "count",
    "metrics",
    "record",
    "timer",
]

#: The namespace when neither ``namespace=`` nor ``AWS_EMF_NAMESPACE`` gives one (the same
#: as AWS's own EMF libraries).
DEFAULT_NAMESPACE = "aws-embedded-metrics"
#: The units CloudWatch accepts (MetricDatum.Unit).
UNITS = frozenset(
    {
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
        "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
        "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
        "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
        "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    }
)  # fmt: skip
#: The spec's limits: metrics per directive, dimensions per set, values per metric.
MAX_METRICS = 100
MAX_DIMENSIONS = 30
MAX_VALUES = 100
#: Keys a record of fastlog's schemas has already: no metric or dimension may take them.
_RESERVED = frozenset({"_aws", "timestamp", "level", "logger", "message"})

#: A metric value.
Number = int | float


def record(
    values: Mapping[str, Number | Sequence[Number]],
    *,
    units: Mapping[str, str] | str = "None",
    namespace: str | None = None,
    dimensions: Mapping[str, str] | None = None,
    resolution: int = 60,
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    """The fields of one EMF record: ``_aws`` and the dimensions' and metrics' values.

    Args:
        values: Metric name to its value (a number, or up to 100 numbers).
        units: One unit for all metrics, or a unit per metric name (missing: ``"None"``);
            among ``UNITS``.
        namespace: The CloudWatch namespace; default ``AWS_EMF_NAMESPACE``, else
            ``DEFAULT_NAMESPACE``.
        dimensions: Dimension name to value (strings), at most 30.
        resolution: ``60`` (standard) or ``1`` (high-resolution) seconds.
        timestamp_ms: The metrics' time in unix milliseconds; default now.

    Raises:
        ValueError: for input the spec does not allow, naming it.
    """
    if namespace is None:
        namespace = os.environ.get("AWS_EMF_NAMESPACE") or DEFAULT_NAMESPACE
    if not isinstance(namespace, str) or not namespace.strip() or len(namespace) > 1024:
        raise ValueError(f"namespace={namespace!r}: expected 1-1024 characters, not all blank")
    if resolution not in (1, 60) or isinstance(resolution, bool):
        raise ValueError(f"resolution={resolution!r}: expected 60 (standard) or 1 (high)")
    if not isinstance(values, Mapping) or not values:
        raise ValueError("values: expected a mapping of at least one metric name to a number")
    if len(values) > MAX_METRICS:
        raise ValueError(f"{len(values)} metrics: at most {MAX_METRICS} in one record")
    dimensions = dict(dimensions or {})
    if len(dimensions) > MAX_DIMENSIONS:
        raise ValueError(f"{len(dimensions)} dimensions: at most {MAX_DIMENSIONS}")
    for name, value in dimensions.items():
        if not _name(name, 255):
            raise ValueError(
                f"dimension name {name!r}: expected 1-255 ASCII characters, not all blank, "
                "not starting with ':'"
            )
        if not isinstance(value, str) or not _ascii_text(value, 1024):
            raise ValueError(
                f"dimensions[{name!r}]={value!r}: expected a string of 1-1024 ASCII "
                "characters, not all blank"
            )
        if name in _RESERVED:
            raise ValueError(f"dimension name {name!r}: taken by the record itself")
    definitions: list[dict[str, Any]] = []
    fields: dict[str, Any] = dict(dimensions)
    for name, given in values.items():
        if not _name(name, 1024) or name in _RESERVED or name in dimensions:
            raise ValueError(
                f"metric name {name!r}: expected 1-1024 characters, not a dimension's name "
                "nor one of the record's own keys"
            )
        unit = units if isinstance(units, str) else units.get(name, "None")
        if unit not in UNITS:
            raise ValueError(f"unit {unit!r} of {name!r}: accepted: {', '.join(sorted(UNITS))}")
        fields[name] = _value(name, given)
        definition: dict[str, Any] = {"Name": name, "Unit": unit}
        if resolution == 1:
            definition["StorageResolution"] = 1
        definitions.append(definition)
    if not isinstance(units, str):
        unknown = set(units) - set(values)
        if unknown:
            raise ValueError(f"units for metrics not given: {sorted(unknown)}")
    stamp = time.time_ns() // 1_000_000 if timestamp_ms is None else timestamp_ms
    directive = {"Namespace": namespace, "Dimensions": [list(dimensions)], "Metrics": definitions}
    return {"_aws": {"Timestamp": stamp, "CloudWatchMetrics": [directive]}, **fields}


def metrics(
    values: Mapping[str, Number | Sequence[Number]],
    *,
    units: Mapping[str, str] | str = "None",
    namespace: str | None = None,
    dimensions: Mapping[str, str] | None = None,
    resolution: int = 60,
    logger: Logger | str | None = None,
    message: str = "metrics",
    **fields: Any,
) -> None:
    """Log one EMF record with several metrics (see ``record`` for the arguments), at INFO,
    through *logger* (a ``Logger``, a logger name, or ``"emf"``); *fields* are added to it
    (properties: searchable, not metrics).

    Raises:
        ValueError: for input the spec does not allow (before anything is logged).
    """
    emf = record(
        values, units=units, namespace=namespace, dimensions=dimensions, resolution=resolution
    )
    clash = set(fields) & set(emf)
    if clash:
        raise ValueError(f"fields {sorted(clash)}: taken by the metrics or dimensions")
    _logger(logger).info(message, **fields, **emf)


def count(
    name: str,
    n: Number = 1,
    *,
    unit: str = "Count",
    namespace: str | None = None,
    dimensions: Mapping[str, str] | None = None,
    resolution: int = 60,
    logger: Logger | str | None = None,
    **fields: Any,
) -> None:
    """Log one EMF record counting *n* of *name* (unit ``Count``).

    Raises:
        ValueError: for input the spec does not allow.
    """
    metrics(
        {name: n},
        units=unit,
        namespace=namespace,
        dimensions=dimensions,
        resolution=resolution,
        logger=logger,
        message=name,
        **fields,
    )


@contextmanager
def timer(
    name: str,
    *,
    unit: str = "Milliseconds",
    namespace: str | None = None,
    dimensions: Mapping[str, str] | None = None,
    resolution: int = 60,
    logger: Logger | str | None = None,
    **fields: Any,
) -> Iterator[None]:
    """Time the ``with`` block and log one EMF record of its duration (also when it raises).

    *unit*: ``"Milliseconds"``, ``"Microseconds"`` or ``"Seconds"``.

    Raises:
        ValueError: for input the spec does not allow (on entry, before the block runs).
    """
    scale = {"Milliseconds": 1e3, "Microseconds": 1e6, "Seconds": 1.0}.get(unit)
    if scale is None:
        raise ValueError(f"unit={unit!r}: accepted: 'Milliseconds', 'Microseconds', 'Seconds'")
    record({name: 0}, units=unit, namespace=namespace, dimensions=dimensions, resolution=resolution)
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = (time.perf_counter() - start) * scale
        metrics(
            {name: round(elapsed, 3)},
            units=unit,
            namespace=namespace,
            dimensions=dimensions,
            resolution=resolution,
            logger=logger,
            message=name,
            **fields,
        )


def _logger(logger: Logger | str | None) -> Logger:
    if logger is None:
        return get_logger("emf")
    if isinstance(logger, str):
        return get_logger(logger)
    if isinstance(logger, Logger):
        return logger
    raise ValueError(f"logger={logger!r}: expected a fastlog Logger, a logger name or None")


def _name(name: object, limit: int) -> bool:
    return (
        isinstance(name, str)
        and 1 <= len(name) <= limit
        and bool(name.strip())
        and not name.startswith(":")
        and _ascii_text(name, limit)
    )


def _ascii_text(text: str, limit: int) -> bool:
    return (
        1 <= len(text) <= limit
        and bool(text.strip())
        and text.isascii()
        and all(ch >= " " and ch != "\x7f" for ch in text)
    )


def _value(name: str, value: object) -> Number | list[Number]:
    if _number(value):
        return value  # type: ignore[return-value]
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items = list(value)
        if 1 <= len(items) <= MAX_VALUES and all(_number(v) for v in items):
            return items
    raise ValueError(
        f"metric {name!r}={value!r}: expected a finite number or 1-{MAX_VALUES} of them"
    )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
