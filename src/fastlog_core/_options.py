"""The options every entry point takes, as types: a typo in an option name is a type error.

``configure()``, ``get_pipeline()``, ``route()``, ``FastlogHandler``, ``FastlogLoggerFactory``,
``fastlog_structlog.configure()`` and ``FastlogSink`` all take ``preset=`` (keyword-only) and
these options as keywords (``**options: Unpack[Options]``); at run time the same names are
checked again (``_presets.resolve``), so a bad name or value fails at configure time with a
``ConfigError`` naming it, typed or not.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping, Sequence
from typing import Literal, Required, TypedDict

from ._encoders.base import Encoder
from ._sinks import Sink

#: A level as a name (``"info"``, case-insensitive) or a number (``20``).
Level = int | str
#: A size in bytes: a number, or text such as ``"64 MiB"`` or ``"1MB"``.
Size = int | str
#: Size (``"100 MB"``), interval (``"1 day"``, a ``timedelta``) or time of day
#: (``"00:00"``, ``"sunday at 12:00"``, a ``time``); see ``docs/rotation.md``.
Rotation = int | str | datetime.timedelta | datetime.time
#: How many rotated files to keep (a number), or for how long (``"10 days"``, a ``timedelta``).
Retention = int | str | datetime.timedelta
#: ``"json"`` (the lines as they are), ``"console"``, ``"logfmt"``, ``"msgpack"``, or an object
#: with ``encode(record) -> bytes``.
EncoderSpec = str | Encoder


class PipelineOptions(TypedDict, total=False):
    """Every option but ``schema`` (which ``FastlogSink`` takes as its own parameter)."""

    policy: Literal["block", "drop"]
    capacity: Size
    flush_interval: float
    wake_bytes: Size
    max_record_bytes: Size
    block_timeout: float | None
    sync: bool
    format: Literal["json", "console"]
    colors: bool | None
    fsync_level: Level | None
    sample: Mapping[Level, int]
    sample_loggers: Mapping[str, int]
    rate_limit: int | str | None
    sample_errors: bool
    static_fields: Mapping[str, object] | Literal["kubernetes"] | None
    rotation: Rotation | None
    retention: Retention | None
    compression: Literal["gz", "gzip"] | None
    encoder: EncoderSpec | None


class Options(PipelineOptions, total=False):
    """The pipeline options (``Settings`` documents each) and the per-sink defaults
    (``rotation``, ``retention``, ``compression``, ``encoder``)."""

    schema: str | Mapping[str, str | None] | None


#: One destination: a path, ``"stdout"``/``"stderr"``, or a ``Sink`` object.
SinkTarget = str | os.PathLike[str] | Sink


class SinkDict(TypedDict, total=False):
    """One destination with options of its own, e.g.
    ``{"sink": "stderr", "level": "warning", "encoder": "console"}``."""

    sink: Required[SinkTarget]
    level: Level
    encoder: EncoderSpec | None
    rotation: Rotation | None
    retention: Retention | None
    compression: Literal["gz", "gzip"] | None


#: What ``sink=`` takes: one destination, one with its own options, or a list of them.
SinkSpec = SinkTarget | SinkDict | Sequence[SinkTarget | SinkDict] | None
