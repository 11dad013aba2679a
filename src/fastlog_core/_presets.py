"""Presets and the validation of pipeline options.

A preset is a named set of defaults with a promise attached (see ``docs/presets.md``).
Explicit options override the preset's values. Everything is checked here, once, at configure
time, so a bad option fails with a message naming it rather than misbehaving under load.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import orjson

from . import _sampling
from ._levels import ERROR, parse_level
from .exceptions import ConfigError

Policy = Literal["block", "drop"]
Format = Literal["json", "console"]


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """The resolved settings of one pipeline (one destination, one writer).

    Args:
        policy: What a caller does when the buffer is full: ``"block"`` waits for the writer
            (the wait is counted), ``"drop"`` discards the record (counted per level).
        capacity: Bytes the in-memory buffer may hold (encoded records waiting for the writer,
            plus what the writer holds back while a destination fails).
        flush_interval: Longest time in seconds a record waits in the buffer before the writer
            wakes up by itself.
        wake_bytes: Buffered bytes at which a caller wakes the writer early.
        max_record_bytes: Cap on one encoded record; a larger one is truncated and marked.
        block_timeout: With ``block``, the longest a caller waits for room before it drops the
            record after all (counted, and noted in the stream); ``None`` waits as long as the
            writer makes progress. A caller never waits when the writer cannot make room:
            every sink failing, a write that has not returned for 5 s (a destination that
            takes nothing, such as a pipe nobody reads), the pipeline shut down, or the
            interpreter exiting; the record is then dropped at once, counted and noted.
        sync: Write in the caller's thread instead of a writer thread (the ``dev`` preset).
        format: ``"json"`` lines, or ``"console"`` for human-readable lines.
        colors: With ``console``: ``None`` colours when the destination is a terminal.
        fsync_level: A record at or above this level is written and fsynced before the logging
            call returns (the ``durable`` preset); ``None`` disables that.
        schema: The JSON shape written: ``"default"``, ``"ecs"``, ``"gcp"``, ``"datadog"``,
            ``"otel"``, or a mapping renaming the four schema keys (``docs/schemas.md``).
        sample: Keep 1 record in N per level, e.g. ``{"debug": 100}`` (``docs/sampling.md``).
        sample_loggers: Keep 1 record in N per logger (and its children), below ERROR.
        rate_limit: At most N records per second per message template (``100``, ``"100/s"``,
            ``"6000/min"``), below ERROR.
        sample_errors: Let ``sample``, ``sample_loggers`` and ``rate_limit`` apply to ERROR and
            above too (never the case otherwise).
        static_fields: Fields added to every JSON line, e.g. the pod and namespace
            (``fastlog_core.enrich.kubernetes()``, or ``"kubernetes"`` for it). Encoded once,
            here; each line gets them as bytes spliced before its closing brace, at the top
            level whatever the schema, so they cost the callers nothing per record. Not shown
            by the console encoder. A record field of the same name is written too, before
            them: JSON readers (orjson, ``json``, Fluent Bit, Vector) keep the last, these.
            Stored as ``(key, JSON text of the value)`` pairs.
    """

    policy: Policy = "block"
    capacity: int = 32 * 1024 * 1024
    flush_interval: float = 0.1
    wake_bytes: int = 4 * 1024 * 1024
    max_record_bytes: int = 1024 * 1024
    block_timeout: float | None = None
    sync: bool = False
    format: Format = "json"
    colors: bool | None = None
    fsync_level: int | None = None
    # Stored normalized (hashable, comparable): a schema name or the mapping's items; sampling
    # rules as sorted (key, N) pairs; the rate as (records, seconds).
    schema: str | tuple[tuple[str, str | None], ...] = "default"
    sample: tuple[tuple[int, int], ...] = ()
    sample_loggers: tuple[tuple[str, int], ...] = ()
    rate_limit: tuple[int, float] | None = None
    sample_errors: bool = False
    static_fields: tuple[tuple[str, str], ...] = ()


#: The presets and their promises; ``docs/presets.md`` says the same in a table.
PRESETS: dict[str, Settings] = {
    # Never loses a record while the destination works: callers wait when the buffer is full.
    "balanced": Settings(),
    # Never blocks the caller: drops (counted) when full; large batches, rarer wake-ups.
    "fastest": Settings(
        policy="drop",
        capacity=64 * 1024 * 1024,
        flush_interval=0.5,
        wake_bytes=8 * 1024 * 1024,
    ),
    # Short flush interval; ERROR and above are on disk (fsync) when the call returns.
    "durable": Settings(
        flush_interval=0.01,
        wake_bytes=64 * 1024,
        fsync_level=ERROR,
    ),
    # Human-readable, coloured on a terminal, written synchronously by the caller.
    "dev": Settings(sync=True, format="console", flush_interval=0.1),
}

#: The pipeline's settings, by name.
SETTING_NAMES: frozenset[str] = frozenset(f.name for f in dataclasses.fields(Settings))
#: Options of the destination rather than the pipeline: applied to each sink the pipeline
#: creates (rotation to each file path; encoder and level to each sink).
SINK_OPTION_NAMES: frozenset[str] = frozenset({"rotation", "retention", "compression", "encoder"})
#: The option names a user may pass next to ``preset=``.
OPTION_NAMES: frozenset[str] = SETTING_NAMES | SINK_OPTION_NAMES
#: The parameters every entry point takes besides the options (``configure``, the handler, the
#: sink and the factory all name them so): a misspelling of one is suggested too.
ENTRY_NAMES: frozenset[str] = frozenset({"sink", "preset"})


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """``" (did you mean 'capacity'?)"`` for a misspelt *value*, else ``""``."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, sorted(choices), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(value.lower(), sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_options(options: Iterable[str], known: Iterable[str], *, owner: str = "") -> None:
    """Raise ``ConfigError`` for the first name of *options* not in *known*.

    The message names the option, suggests the closest known name (``difflib``) and lists them
    all; *owner* (``"FastlogHandler"``) prefixes it. Every entry point checks its keywords here,
    with its own parameters among *known*, so a typo of ``level`` is suggested as well as one of
    ``capacity``.

    Raises:
        ConfigError: naming the unknown option.
    """
    names = frozenset(known)
    unknown = sorted(set(options) - names)
    if unknown:
        prefix = f"{owner}: " if owner else ""
        raise ConfigError(
            f"{prefix}unknown option {unknown[0]!r}{did_you_mean(unknown[0], names)}; "
            f"known options: {', '.join(sorted(names))}"
        )


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)\s*$", re.IGNORECASE)
_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "kib": 1024, "ki": 1024,
    "m": 1000**2, "mb": 1000**2, "mib": 1024**2, "mi": 1024**2,
    "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "gi": 1024**3,
}  # fmt: skip


def parse_size(value: object, option: str) -> int:
    """Bytes from ``1048576``, ``"1 MiB"`` or ``"1MB"``; raises ConfigError naming *option*."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ConfigError(f"{option}={value!r}: must be a positive number of bytes")
        return value
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m and m.group(2).lower() in _UNITS:
            size = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
            if size > 0:
                return size
    raise ConfigError(f"{option}={value!r}: expected a size such as 1048576, '64 KiB' or '16 MB'")


def _seconds(value: object, option: str, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and 0 <= value <= threading.TIMEOUT_MAX
    ):
        return float(value)
    expected = f"a number of seconds from 0 to {threading.TIMEOUT_MAX:.0f}" + (
        " or None" if allow_none else ""
    )
    raise ConfigError(f"{option}={value!r}: expected {expected}")


def resolve(preset: str | None = None, **options: Any) -> Settings:
    """Settings for *preset* (default ``balanced``) with *options* applied and checked.

    Raises:
        ConfigError: for an unknown preset, an unknown option or a bad value; the message
            names the option.
    """
    name = "balanced" if preset is None else preset
    base = PRESETS.get(name) if isinstance(name, str) else None
    if base is None:
        raise ConfigError(
            f"preset={preset!r}{did_you_mean(preset, PRESETS)}: expected one of "
            f"{', '.join(sorted(PRESETS))}"
        )
    check_options(options, SETTING_NAMES)  # the entry points checked their own names first
    values = {f.name: getattr(base, f.name) for f in dataclasses.fields(Settings)}
    values.update(options)

    policy = values["policy"]
    if policy not in ("block", "drop"):
        raise ConfigError(f"policy={policy!r}: expected 'block' or 'drop'")
    fmt = values["format"]
    if fmt not in ("json", "console"):
        raise ConfigError(f"format={fmt!r}: expected 'json' or 'console'")
    capacity = parse_size(values["capacity"], "capacity")
    wake = parse_size(values["wake_bytes"], "wake_bytes")
    max_record = parse_size(values["max_record_bytes"], "max_record_bytes")
    if max_record < 1024:
        raise ConfigError(f"max_record_bytes={max_record}: must be at least 1024")
    if max_record > capacity:
        raise ConfigError(
            f"max_record_bytes={max_record} is larger than capacity={capacity}: "
            "a record must fit in the buffer"
        )
    interval = _seconds(values["flush_interval"], "flush_interval")
    assert interval is not None
    if interval <= 0:
        raise ConfigError(f"flush_interval={interval!r}: must be greater than 0")
    block_timeout = _seconds(values["block_timeout"], "block_timeout", allow_none=True)
    for flag in ("sync", "sample_errors"):
        if not isinstance(values[flag], bool):
            raise ConfigError(f"{flag}={values[flag]!r}: expected True or False")
    colors = values["colors"]
    if colors is not None and not isinstance(colors, bool):
        raise ConfigError(f"colors={colors!r}: expected True, False or None")
    fsync_level = values["fsync_level"]
    if fsync_level is not None:
        try:
            fsync_level = parse_level(fsync_level, "fsync_level")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    schema = _schema(values["schema"])
    static = values["static_fields"]
    if "static_fields" not in options:  # the preset's, in Settings' form: checked again
        static = {key: orjson.loads(text) for key, text in static}
    static_fields = _static_fields(static, schema)
    try:
        sample, sample_loggers = _sampling.parse_sampling(
            _pairs(values["sample"]), _pairs(values["sample_loggers"]), values["sample_errors"]
        )
        rate = values["rate_limit"]
        rate_limit = rate if _is_rate(rate) else _sampling.parse_rate(rate)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return Settings(
        policy=policy,
        capacity=capacity,
        flush_interval=interval,
        wake_bytes=min(wake, capacity),
        max_record_bytes=max_record,
        block_timeout=block_timeout,
        sync=values["sync"],
        format=fmt,
        colors=colors,
        fsync_level=fsync_level,
        schema=schema,
        sample=sample,
        sample_loggers=sample_loggers,
        rate_limit=rate_limit,
        sample_errors=values["sample_errors"],
        static_fields=static_fields,
    )


def _pairs(value: object) -> object:
    """A mapping given as the normalized pairs ``Settings`` stores (a preset's value) or as is."""
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        return dict(value)
    return value


def _is_rate(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], float)
    )


def _schema(value: object) -> str | tuple[tuple[str, str | None], ...]:
    """The schema option, checked (``_schemas.resolve_schema`` names the option on error)."""
    if value is None or value == "default":
        return "default"
    from . import _schemas

    value = _pairs(value) if isinstance(value, tuple) else value
    _schemas.resolve_schema(value)
    if isinstance(value, str):
        return value
    assert isinstance(value, Mapping)
    return tuple(value.items())


_STATIC_EXPECTED = (
    "expected a mapping of str keys to JSON values (str, int, float, bool, None, lists and "
    "dicts of them), 'kubernetes' (fastlog_core.enrich.kubernetes()), or None"
)


def _static_fields(
    value: object, schema: str | tuple[tuple[str, str | None], ...]
) -> tuple[tuple[str, str], ...]:
    """The ``static_fields`` option as ``(key, JSON text)`` pairs, checked: JSON values, no
    key the schema writes itself (the line would have it twice)."""
    if value is None:
        return ()
    if isinstance(value, str) and value == "kubernetes":
        from . import enrich

        value = enrich.kubernetes()
    if not isinstance(value, Mapping):
        raise ConfigError(f"static_fields={value!r}: {_STATIC_EXPECTED}")
    if not value:
        return ()
    from . import _schemas

    own = _schemas.schema_keys(
        _schemas.resolve_schema(dict(schema) if isinstance(schema, tuple) else schema)
    )
    pairs = []
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"static_fields: the key {key!r} is not a non-empty str")
        if key in own:
            raise ConfigError(
                f"static_fields[{key!r}]: the schema {schema!r} writes this key itself; "
                "choose another name (e.g. a prefix such as 'k8s.')"
            )
        try:
            # No default=: a value must be JSON as it is (its text is fixed at configure time).
            text = orjson.dumps(item).decode()
        except TypeError as exc:
            raise ConfigError(
                f"static_fields[{key!r}]={item!r}: not JSON-serialisable ({exc}); "
                f"{_STATIC_EXPECTED}"
            ) from None
        pairs.append((key, text))
    return tuple(pairs)
