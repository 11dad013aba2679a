"""``FastlogFormatter``: the core's JSON lines for handlers fastlog does not own, with every
python-json-logger option and extension point."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from fastlog_core import ConfigError, adapter

from ._record import RESERVED_ATTRS, STANDARD_ATTRS, RecordEncoder, message_of
from ._values import VALUE_OPTIONS, value_default

_dumps = orjson.dumps
_unsafe_value = adapter.unsafe_value

# python-json-logger's own patterns (pythonjsonlogger/core.py), so a fmt names the same fields.
_TEMPLATE_FIELD = re.compile(r"\$(?:\$|\{(?P<braced>.+?)\}|(?P<named>[_a-z][_a-z0-9]*))", re.I)
_FORMAT_FIELD = re.compile(r"\{(.+?)\}", re.I)
_PERCENT_FIELD = re.compile(r"%\((.+?)\)", re.I)

#: python-json-logger's default ``reserved_attrs``: the LogRecord attributes of this Python
#: (``taskName`` from 3.12) and what formatters add, not the other names fastlog reserves.
PJL_RESERVED_ATTRS: tuple[str, ...] = tuple(sorted({*STANDARD_ATTRS, "message", "asctime"}))

# logging.Formatter's styles (its private _STYLES table holds the same classes).
_STYLES: dict[str, type[logging.PercentStyle]] = {
    "%": logging.PercentStyle,
    "{": logging.StrFormatStyle,
    "$": logging.StringTemplateStyle,
}

# Attribute names a fmt or rename_fields uses for what fastlog's schema writes under its own key.
_SCHEMA_ALIASES = {
    "asctime": "timestamp",
    "levelname": "level",
    "name": "logger",
    "message": "message",
    "exc_info": "exception",
}
# Attributes the schema writes in its own form: never written again as extra fields.
_SCHEMA_ATTRS = frozenset({"asctime", "levelname", "name", "message", "exc_info", "stack_info"})

# The methods python-json-logger documents as extension points: when a subclass overrides one,
# format() takes pjl's sequence of calls (add_fields, process_log_record, serialize...).
_HOOKS = (
    "add_fields",
    "process_log_record",
    "serialize_log_record",
    "jsonify_log_record",
    "formatException",
    "formatStack",
    "formatTime",
)


class FastlogFormatter(logging.Formatter):
    """An orjson-based JSON formatter for any handler: python-json-logger's ``JsonFormatter``
    options and extension points, fastlog's schema and speed.

    For teams that keep their own handler (``RotatingFileHandler``, a vendor's handler): the
    lines are those ``FastlogHandler`` writes. Replacing ``pythonjsonlogger.json.JsonFormatter``
    (or ``jsonlogger.JsonFormatter``) is a change of class name; every pjl option keeps its
    meaning (docs/migrate/stdlib.md has the table). ``pjl_compatible=True`` writes pjl's own
    layout (its key names, text tracebacks, ``json.dumps`` spacing) for consumers that depend
    on it.

    Args:
        fmt: The fields to write: a ``%``/``{``/``$`` format string (the attributes it
            names), a comma-separated list (``style=","``) or a sequence of names. In
            fastlog's schema ``asctime``, ``levelname``, ``name``, ``message`` and
            ``exc_info`` are written as ``timestamp``, ``level``, ``logger``, ``message`` and
            ``exception``, always; another named attribute the record lacks is ``null``.
        datefmt: ``asctime``'s format (``formatTime``) with ``pjl_compatible``; fastlog's
            ``timestamp`` is always RFC 3339 UTC.
        style: ``"%"``, ``"{"``, ``"$"`` or ``","``; with ``validate=False`` any value, read
            by an overridden ``parse()``.
        validate: Check *fmt* against *style*, as ``logging.Formatter`` does.
        prefix: Text put before each JSON line.
        rename_fields: Map of key (or pjl attribute name such as ``levelname``) to the key
            to write instead; each key is renamed once.
        rename_fields_keep_missing: Write renamed keys the record lacks, as ``null``.
        static_fields: Fields added to every record (``ext://`` values resolved by dictConfig).
        reserved_attrs: Record attributes never written as extra fields (default: the
            standard LogRecord attributes). ``[]`` writes every attribute.
        timestamp: ``True`` writes the record's time as ``timestamp``, a string names the
            key, ``False`` leaves it out. Default: on in fastlog's schema, off with
            ``pjl_compatible`` (as in pjl).
        defaults: Fields written first, replaced by any field of the same name.
        exc_info_as_array: The traceback as a list of lines.
        stack_info_as_array: ``stack_info`` as a list of lines.
        json_default: Called for values the encoder cannot write (as ``json.dumps``'s
            ``default``); replaces python-json-logger's rendering, which is the default.
        json_encoder: A ``json.JSONEncoder`` subclass whose ``default`` renders values.
        json_serializer: A ``json.dumps``-compatible function that writes the line itself
            (the encoder is then yours, not fastlog's).
        json_indent: Indent each line (multi-line records), as ``json.dumps`` does.
        json_ensure_ascii: Escape non-ASCII characters. Default: off in fastlog's schema
            (UTF-8, as orjson writes), on with ``pjl_compatible`` (as in pjl).
        pjl_compatible: Write python-json-logger's layout instead of fastlog's schema.
        include_location, include_process, include_thread: as for ``FastlogHandler``.

    Raises:
        ConfigError: for a bad *style*, *fmt*, *timestamp* or flag, naming it (a
            ``ValueError``, as pjl raises).
    """

    def __init__(
        self,
        fmt: str | Sequence[str] | None = None,
        datefmt: str | None = None,
        style: str = "%",
        validate: bool = True,
        *,
        prefix: str = "",
        rename_fields: Mapping[str, str] | None = None,
        rename_fields_keep_missing: bool = False,
        static_fields: Mapping[str, Any] | None = None,
        reserved_attrs: Sequence[str] | None = None,
        timestamp: bool | str | None = None,
        defaults: Mapping[str, Any] | None = None,
        exc_info_as_array: bool = False,
        stack_info_as_array: bool = False,
        json_default: Callable[[Any], Any] | None = None,
        json_encoder: Callable[..., Any] | None = None,
        json_serializer: Callable[..., str] | None = None,
        json_indent: int | str | None = None,
        json_ensure_ascii: bool | None = None,
        pjl_compatible: bool = False,
        include_location: bool = False,
        include_process: bool = False,
        include_thread: bool = False,
    ) -> None:
        # Not logging.Formatter.__init__: its validation and style table are pjl's below.
        for name, flag in (
            ("validate", validate),
            ("rename_fields_keep_missing", rename_fields_keep_missing),
            ("exc_info_as_array", exc_info_as_array),
            ("stack_info_as_array", stack_info_as_array),
            ("pjl_compatible", pjl_compatible),
            ("include_location", include_location),
            ("include_process", include_process),
            ("include_thread", include_thread),
        ):
            if not isinstance(flag, bool):
                raise ConfigError(f"FastlogFormatter: {name}={flag!r}: expected True or False")
        self._style: Any
        if fmt is None or isinstance(fmt, str):
            if style in _STYLES:
                self._style = _STYLES[style](fmt or _STYLES[style].default_format)
                if validate:
                    try:
                        self._style.validate()
                    except ValueError as exc:
                        raise ConfigError(f"FastlogFormatter: fmt={fmt!r}: {exc}") from None
                self._fmt = self._style._fmt
            elif style == "," or not validate:
                self._style = style
                self._fmt = fmt
            else:
                raise ConfigError(
                    f"FastlogFormatter: style={style!r}: expected '%', '{{', '$' or ','"
                    " (or validate=False and an overridden parse())"
                )
            self._required_fields = self.parse()
        elif isinstance(fmt, Sequence):
            self._style = "__sequence__"
            self._fmt = str(fmt)
            self._required_fields = list(fmt)
        else:
            raise ConfigError(
                f"FastlogFormatter: fmt={fmt!r}: expected a format string or a list of names"
            )
        if timestamp is not None and not isinstance(timestamp, (bool, str)):
            raise ConfigError(
                f"FastlogFormatter: timestamp={timestamp!r}: expected a bool or a key"
            )
        if json_indent is not None and not isinstance(json_indent, (int, str)):
            raise ConfigError(
                f"FastlogFormatter: json_indent={json_indent!r}: expected None, an int or a str"
            )
        self.datefmt = datefmt
        self.prefix = prefix
        # Rebuilt by item access: dictConfig's ConvertingDict resolves "ext://" and "cfg://"
        # values when an item is read, not when the dict is iterated.
        self.rename_fields = (
            {key: rename_fields[key] for key in rename_fields} if rename_fields else {}
        )
        self.static_fields = (
            {key: static_fields[key] for key in static_fields} if static_fields else {}
        )
        self.defaults = {key: defaults[key] for key in defaults} if defaults else {}
        self.rename_fields_keep_missing = rename_fields_keep_missing
        self.pjl_compatible = pjl_compatible
        self.reserved_attrs = set(
            reserved_attrs
            if reserved_attrs is not None
            else (PJL_RESERVED_ATTRS if pjl_compatible else RESERVED_ATTRS)
        )
        self.timestamp: bool | str = (not pjl_compatible) if timestamp is None else timestamp
        self._skip_fields = set(self._required_fields) | self.reserved_attrs
        self.exc_info_as_array = exc_info_as_array
        self.stack_info_as_array = stack_info_as_array
        self.json_default = json_default
        self.json_encoder = json_encoder
        self.json_serializer = json_serializer
        self.json_indent = json_indent
        self.json_ensure_ascii = pjl_compatible if json_ensure_ascii is None else json_ensure_ascii
        self._policy = _value_policy(json_default, json_encoder)
        # json.dumps hands datetimes and dataclasses to a given default; orjson writes them
        # itself unless told to pass them through.
        self._options = VALUE_OPTIONS
        if json_default is not None or json_encoder is not None:
            self._options |= orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
        # The text layout: orjson's compact UTF-8, or json.dumps's (adapter.relayout).
        self._relayout = pjl_compatible or json_indent is not None or bool(self.json_ensure_ascii)
        self._compact = self._options & ~orjson.OPT_APPEND_NEWLINE
        cls = type(self)
        hooked = any(getattr(cls, h) is not getattr(FastlogFormatter, h) for h in _HOOKS)
        self._pjl_path = pjl_compatible or hooked or json_serializer is not None
        self._fast = not (self._pjl_path or self._relayout or prefix)
        traceback_text = None
        if cls.formatException is not FastlogFormatter.formatException:
            traceback_text = self.formatException
        if not pjl_compatible:
            # exc_info stays: the record's exception (or null) under "exception".
            # A "{" field's conversion and format spec ("{process:d}") are not part of its
            # name here (pjl writes a "process:d" key, null).
            names = self._required_fields
            if isinstance(self._style, logging.StrFormatStyle):
                names = [re.split(r"[!:]", name, maxsplit=1)[0] for name in names]
            attrs = [
                name
                for name in dict.fromkeys(names)
                if name not in _SCHEMA_ALIASES or name == "exc_info"
            ]
            if timestamp is False:
                timestamp_key: str | None = None
            elif isinstance(timestamp, str):
                timestamp_key = timestamp
            else:
                timestamp_key = "timestamp"
            self._encoder = RecordEncoder(
                location=include_location,
                process=include_process,
                thread=include_thread,
                static=self.static_fields,
                defaults=self.defaults,
                attrs=attrs,
                reserved=frozenset(self._skip_fields | _SCHEMA_ATTRS),
                skip_private=True,
                rename={_SCHEMA_ALIASES.get(k, k): v for k, v in self.rename_fields.items()},
                keep_missing=rename_fields_keep_missing,
                timestamp_key=timestamp_key,
                exc_lines=exc_info_as_array,
                stack_lines=stack_info_as_array,
                traceback_text=traceback_text,
                value_policy=self._policy,
                value_options=self._options,
            )
            self._fields = self._encoder.fields
        elif include_location or include_process or include_thread:
            raise ConfigError(
                "FastlogFormatter: pjl_compatible=True writes python-json-logger's fields: name "
                "the attributes in fmt (%(pathname)s, %(process)d, ...) instead of "
                "include_location/include_process/include_thread"
            )

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON object (no trailing newline). Never raises."""
        if self._fast:  # fastlog's schema, compact, no prefix: the common case, inlined
            try:
                fields = self._fields(record)
            except Exception:  # the encoder's own path repairs and marks it
                return self._encoder.encode(record)[:-1].decode("utf-8")
            bad = _unsafe_value(fields, False)  # a value orjson would crash on
            if bad is None:
                try:
                    return _dumps(fields, self._policy, self._compact).decode("utf-8")
                except Exception as exc:
                    bad = exc
            line = adapter.encode_rejected(fields, bad, self._policy, self._options)
            return line[:-1].decode("utf-8")
        if not self._pjl_path:
            line = self._encoder.encode(record)
            if self._relayout:
                return self.prefix + self._layout(line)
            return self.prefix + line[:-1].decode("utf-8")
        try:
            return self._pjl_format(record)
        except Exception as exc:  # a subclass's hook raised: still one valid, marked line
            return self.prefix + adapter.encode_repaired(
                {
                    "timestamp": adapter.utc_stamp(record.created),
                    "level": adapter.host_level_name(record.levelname),
                    "logger": str(record.name),
                    "message": record.msg,
                },
                exc,
                value_default,
                VALUE_OPTIONS,
            )[:-1].decode("utf-8")

    def _pjl_format(self, record: logging.LogRecord) -> str:
        """python-json-logger's ``format``: the same calls, in its order, for subclasses."""
        message_dict: dict[str, Any] = {}
        if isinstance(record.msg, dict):
            message_dict = record.msg.copy()
            record.message = ""
        else:
            record.message = message_of(record)
        if not self.pjl_compatible:
            log_data: dict[str, Any] = {}
            self.add_fields(log_data, record, message_dict)
            return self.serialize_log_record(self.process_log_record(log_data))
        if "asctime" in self._required_fields:
            record.asctime = self.formatTime(record, self.datefmt)
        if record.exc_info and not message_dict.get("exc_info"):
            message_dict["exc_info"] = self.formatException(record.exc_info)
        if not message_dict.get("exc_info") and record.exc_text:
            message_dict["exc_info"] = record.exc_text
        if record.stack_info and not message_dict.get("stack_info"):
            message_dict["stack_info"] = self.formatStack(record.stack_info)
        log_data = {}
        self.add_fields(log_data, record, message_dict)
        return self.serialize_log_record(self.process_log_record(log_data))

    # python-json-logger's extension points -------------------------------------------------

    def parse(self) -> list[str]:
        """The field names *fmt* asks for (override it for a custom *style*)."""
        if self._fmt is None:
            return []
        style = self._style
        if isinstance(style, str):
            if style == ",":
                return [field.strip() for field in self._fmt.split(",") if field.strip()]
            raise ConfigError(
                f"FastlogFormatter: style={style!r} needs an overridden parse() to read fmt"
            )
        if isinstance(style, logging.StringTemplateStyle):
            return [
                match.group("braced") or match.group("named")
                for match in _TEMPLATE_FIELD.finditer(self._fmt)
                if match.group("braced") or match.group("named")
            ]
        if isinstance(style, logging.StrFormatStyle):
            return _FORMAT_FIELD.findall(self._fmt)
        return _PERCENT_FIELD.findall(self._fmt)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        """Put the record's fields into *log_data* (override it to add or change fields).

        *message_dict* holds the fields of a dict message (with ``pjl_compatible``, also the
        ``exc_info`` and ``stack_info`` texts), as in python-json-logger.
        """
        if not self.pjl_compatible:
            log_data.update(self._encoder.fields(record, message_dict=message_dict))
            return
        rename = self.rename_fields
        for key, value in self.defaults.items():
            log_data[rename.get(key, key)] = value
        attrs = record.__dict__
        for field in self._required_fields:
            log_data[rename.get(field, field)] = attrs.get(field)
        for data in (self.static_fields, message_dict):
            for key, value in data.items():
                log_data[rename.get(key, key)] = value
        skip = self._skip_fields
        for key, value in attrs.items():
            if key not in skip and not (isinstance(key, str) and key.startswith("_")):
                log_data[rename.get(key, key)] = value
        if self.timestamp:
            key = self.timestamp if isinstance(self.timestamp, str) else "timestamp"
            log_data[rename.get(key, key)] = datetime.fromtimestamp(record.created, tz=UTC)
        if self.rename_fields_keep_missing:
            for field in rename.values():
                if field not in log_data:
                    log_data[field] = None

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        """Change the finished dict before it is written (override it); returns it."""
        return log_data

    def serialize_log_record(self, log_data: dict[str, Any]) -> str:
        """*prefix* and the JSON text of *log_data*."""
        return self.prefix + self.jsonify_log_record(log_data)

    def jsonify_log_record(self, log_data: dict[str, Any]) -> str:
        """*log_data* as JSON text, by the core's encoder (or *json_serializer*)."""
        if self.json_serializer is not None:
            return self.json_serializer(
                log_data,
                default=self.json_default,
                cls=self.json_encoder,
                indent=self.json_indent,
                ensure_ascii=self.json_ensure_ascii,
            )
        line = adapter.encode_record(log_data, self._policy, self._options)
        if self._relayout:
            return self._layout(line)
        return line[:-1].decode("utf-8")

    def formatException(self, ei: Any) -> Any:
        """The traceback text (a list of lines with *exc_info_as_array*)."""
        text = super().formatException(ei)
        return text.splitlines() if self.exc_info_as_array else text

    def formatStack(self, stack_info: str) -> Any:
        """The stack text (a list of lines with *stack_info_as_array*)."""
        text = super().formatStack(stack_info)
        return text.splitlines() if self.stack_info_as_array else text

    def _layout(self, line: bytes) -> str:
        if self.pjl_compatible:
            separators = None  # json.dumps's own: ", " and ": " (", " ... with an indent)
        else:
            separators = (",", ": ") if self.json_indent is not None else (",", ":")
        return adapter.relayout(
            line,
            indent=self.json_indent,
            ensure_ascii=bool(self.json_ensure_ascii),
            separators=separators,
        )


def _value_policy(
    json_default: Callable[[Any], Any] | None, json_encoder: Callable[..., Any] | None
) -> Callable[[Any], Any]:
    """The value policy for *json_default* / *json_encoder*, as ``json.dumps`` combines them:
    a given ``default`` wins over the encoder class's method."""
    if json_default is not None:
        return json_default
    if json_encoder is not None:
        try:
            encoder = json_encoder()
        except Exception as exc:
            raise ConfigError(
                f"FastlogFormatter: json_encoder={json_encoder!r} could not be created "
                f"without arguments ({type(exc).__name__}: {exc})"
            ) from None
        policy: Callable[[Any], Any] = encoder.default
        return policy
    return value_default
