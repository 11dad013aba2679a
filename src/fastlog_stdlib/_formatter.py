"""``FastlogFormatter``: the core's JSON schema for handlers fastlog does not own."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from fastlog_core import ConfigError

from ._record import RESERVED_ATTRS, RecordEncoder

# Names python-json-logger users put in ``fmt`` and ``rename_fields`` that the core schema
# already writes under its own name.
_SCHEMA_ALIASES = {
    "asctime": "timestamp",
    "levelname": "level",
    "name": "logger",
    "message": "message",
}
_FIELD_PATTERNS = {
    "%": re.compile(r"%\((\w+)\)"),
    "{": re.compile(r"{(\w+)(?:[!:][^}]*)?}"),
    "$": re.compile(r"\$\{?(\w+)\}?"),
}


class FastlogFormatter(logging.Formatter):
    """An orjson-based JSON formatter producing fastlog's schema, for any handler.

    For teams that must keep their own handler (``RotatingFileHandler``, a vendor's handler),
    this gives the same lines ``FastlogHandler`` writes. It accepts python-json-logger's common
    options, so replacing ``pythonjsonlogger.json.JsonFormatter`` is a change of class name.

    Args:
        fmt: As in python-json-logger: the record attributes named in it (``%(process)d``,
            ``{funcName}``, ...) are written as fields. ``asctime``, ``levelname``, ``name`` and
            ``message`` are always written, as ``timestamp``, ``level``, ``logger`` and
            ``message``.
        datefmt: Accepted for compatibility; timestamps are always RFC 3339 UTC.
        style: ``"%"``, ``"{"`` or ``"$"``: how to read *fmt*.
        rename_fields: Map of output key (or python-json-logger attribute name such as
            ``levelname``) to the key to write instead.
        static_fields: Fields added to every record.
        reserved_attrs: Record attributes never written as extra fields (default: the standard
            LogRecord attributes). ``[]`` writes every attribute.
        timestamp: ``True`` writes ``timestamp``; a string names the key; ``False`` omits it.
        include_location, include_process, include_thread: as for ``FastlogHandler``.
    """

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Literal["%", "{", "$"] = "%",
        validate: bool = True,
        *,
        defaults: Mapping[str, Any] | None = None,
        rename_fields: Mapping[str, str] | None = None,
        static_fields: Mapping[str, Any] | None = None,
        reserved_attrs: Iterable[str] | None = None,
        timestamp: bool | str = True,
        include_location: bool = False,
        include_process: bool = False,
        include_thread: bool = False,
    ) -> None:
        if style not in _FIELD_PATTERNS:
            raise ConfigError(f"FastlogFormatter: style={style!r}: expected '%', '{{' or '$'")
        super().__init__(None, datefmt, "%", validate, defaults=defaults)
        attrs = tuple(
            name
            for name in dict.fromkeys(_FIELD_PATTERNS[style].findall(fmt or ""))
            if name not in _SCHEMA_ALIASES
        )
        rename = {_SCHEMA_ALIASES.get(k, k): v for k, v in (rename_fields or {}).items()}
        if isinstance(timestamp, str):
            timestamp_key: str | None = timestamp
        elif timestamp is True:
            timestamp_key = "timestamp"
        elif timestamp is False:
            timestamp_key = None
        else:
            raise ConfigError(
                f"FastlogFormatter: timestamp={timestamp!r}: expected a bool or a key"
            )
        reserved = RESERVED_ATTRS if reserved_attrs is None else frozenset(reserved_attrs)
        self._encoder = RecordEncoder(
            location=include_location,
            process=include_process,
            thread=include_thread,
            static=static_fields,
            attrs=attrs,
            reserved=reserved | set(attrs),
            rename=rename,
            timestamp_key=timestamp_key,
        )

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON object (no trailing newline). Never raises."""
        return self._encoder.encode(record)[:-1].decode("utf-8")
