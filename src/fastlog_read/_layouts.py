"""Per-line layout detection and normalisation to :class:`Record`.

Each line is parsed on its own (fastlog writes its own notes in the default layout whatever the
schema, so a file can mix layouts); a line that is neither JSON nor logfmt is a ``text`` record.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import orjson

from ._levels import canonical_level, levelno_of, otel_levelno
from ._record import Record
from ._times import from_epoch, from_text

__all__ = ["parse_line"]

_LOGFMT = re.compile(rb'([A-Za-z_][\w.\-/@]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)')
_LOGFMT_HEAD = re.compile(rb"[A-Za-z_][\w.\-/@]*=")
_FASTLOG_KEYS = frozenset(("timestamp", "level", "logger", "message", "exception"))
_STRUCTLOG_KEYS = frozenset(("timestamp", "level", "logger", "event", "exception", "logger_name"))
_GENERIC_TIME = ("timestamp", "time", "ts", "@timestamp", "asctime", "t")
_GENERIC_MESSAGE = ("message", "msg", "event", "Body", "body")
_GENERIC_LEVEL = ("level", "lvl", "levelname", "severity", "status", "loglevel")
_GENERIC_LOGGER = ("logger", "name", "logger_name", "logger.name")
_TRACE_KEYS = ("trace_id", "traceId", "otelTraceID", "trace.id", "dd.trace_id")


def parse_line(raw: bytes, source: str = "") -> Record:
    """The :class:`Record` for one line (without its newline); never raises.

    Args:
        raw: The line's bytes.
        source: The file name recorded in ``Record.source``.
    """
    line = raw.rstrip(b"\r")
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    data: Any = None
    if line[:1] == b"{":
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            try:  # json.dumps writes NaN/Infinity (structlog, loguru); orjson rejects them
                data = json.loads(line.decode("utf-8", "replace"))
            except ValueError:
                data = None
    if type(data) is dict:
        try:
            record = _from_dict(data)
        except Exception:  # a layout with unexpected types still reads: as text
            record = None
        if record is not None:
            record.raw = raw
            record.source = source
            return record
    elif data is None and _LOGFMT_HEAD.match(line):
        pairs = _LOGFMT.findall(line)
        if len(pairs) >= 2:
            record = _from_logfmt(pairs)
            record.raw = raw
            record.source = source
            return record
    return Record(None, None, None, None, None, layout="text", raw=raw, source=source)


def _level(value: Any) -> tuple[str | None, int | None]:
    if isinstance(value, str):
        return canonical_level(value), levelno_of(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return None, value
    return None, None


def _time(value: Any) -> datetime.datetime | None:
    if isinstance(value, str):
        if value.isdigit():
            return from_epoch(int(value))
        return from_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_epoch(value)
    return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _exception(type_: Any, message: Any, traceback: Any) -> dict[str, Any] | None:
    if type_ is None and message is None and not traceback:
        return None
    if isinstance(traceback, list):
        traceback = "".join(str(part) for part in traceback)
    if (type_ is None or message is None) and isinstance(traceback, str) and traceback.strip():
        last = traceback.rstrip("\n").rsplit("\n", 1)[-1]
        head, sep, tail = last.partition(": ")
        if type_ is None and head and " " not in head:
            type_ = head
        if message is None:
            message = tail if sep else ""
    return {"type": _str(type_), "message": _str(message), "traceback": _str(traceback)}


def _from_dict(d: dict[str, Any]) -> Record | None:
    if "level" in d:
        first = next(iter(d))
        if first == "timestamp" and "message" in d:
            return _fastlog(d)
        if "event" in d:
            return _structlog(d)
        if "asctime" in d or "levelname" in d:
            return _pjl(d)
        return _generic(d, "json")
    if "log.level" in d:
        return _ecs(d)
    if "severity" in d and "message" in d:
        return _gcp(d)
    if "status" in d and "message" in d and ("timestamp" in d or "logger.name" in d):
        return _datadog(d)
    if "SeverityText" in d or "SeverityNumber" in d:
        return _otel(d)
    record = d.get("record")
    if type(record) is dict and "text" in d:
        return _loguru(d, record)
    if "levelname" in d or "asctime" in d:
        return _pjl(d)
    if any(key in d for key in _GENERIC_MESSAGE):
        return _generic(d, "json")
    return None


def _fastlog(d: dict[str, Any]) -> Record:
    level, levelno = _level(d["level"])
    exc = d.get("exception")
    fields = {k: v for k, v in d.items() if k not in _FASTLOG_KEYS}
    trace = fields.get("trace_id") or fields.get("otelTraceID") or fields.get("traceId")
    return Record(
        _time(d["timestamp"]),
        level,
        levelno,
        _str(d.get("logger")),
        _str(d["message"]),
        exc if isinstance(exc, dict) else _exception(None, None, exc),
        fields,
        _str(trace),
        "fastlog",
    )


def _structlog(d: dict[str, Any]) -> Record:
    level, levelno = _level(d["level"])
    exc = d.get("exception")
    exception: dict[str, Any] | None
    if isinstance(exc, list) and exc and isinstance(exc[-1], dict):
        exception = _structlog_dict_traceback(exc)
    else:
        exception = _exception(None, None, exc) if exc else None
    fields = {k: v for k, v in d.items() if k not in _STRUCTLOG_KEYS}
    return Record(
        _time(d.get("timestamp")),
        level,
        levelno,
        _str(d.get("logger", d.get("logger_name"))),
        _str(d["event"]),
        exception,
        fields,
        _str(fields.get("trace_id")),
        "structlog",
    )


def _structlog_dict_traceback(stack: list[Any]) -> dict[str, Any]:
    # structlog's dict_tracebacks: a list of exceptions (causes first), each with its frames.
    lines: list[str] = []
    for exc in stack:
        if not isinstance(exc, dict):
            continue
        lines.append("Traceback (most recent call last):")
        for frame in exc.get("frames") or ():
            if isinstance(frame, dict):
                name, lineno = frame.get("name"), frame.get("lineno")
                lines.append(f'  File "{frame.get("filename")}", line {lineno}, in {name}')
        value = exc.get("exc_value")
        lines.append(f"{exc.get('exc_type')}: {value}" if value else f"{exc.get('exc_type')}")
    last = stack[-1]
    return {
        "type": _str(last.get("exc_type")),
        "message": _str(last.get("exc_value")),
        "traceback": "\n".join(lines) + "\n",
    }


def _ecs(d: dict[str, Any]) -> Record:
    level, levelno = _level(d["log.level"])
    fields = {
        k: v
        for k, v in d.items()
        if k not in ("@timestamp", "log.level", "message", "ecs", "error")
    }
    logger = fields.pop("log.logger", None)
    log = fields.get("log")
    if isinstance(log, dict):
        log = dict(log)
        logger = log.pop("logger", logger)
        if log:
            fields["log"] = log
        else:
            del fields["log"]
    err = d.get("error")
    exception = None
    if isinstance(err, dict):
        exception = _exception(err.get("type"), err.get("message"), err.get("stack_trace"))
    trace = fields.get("trace.id")
    if trace is None and isinstance(fields.get("trace"), dict):
        trace = fields["trace"].get("id")
    return Record(
        _time(d.get("@timestamp")),
        level,
        levelno,
        _str(logger),
        _str(d.get("message")),
        exception,
        fields,
        _str(trace),
        "ecs",
    )


_GCP_LABELS = "logging.googleapis.com/labels"
_GCP_TRACE = "logging.googleapis.com/trace"


def _gcp(d: dict[str, Any]) -> Record:
    level, levelno = _level(d["severity"])
    fields = {
        k: v
        for k, v in d.items()
        if k not in ("severity", "message", "time", "stack_trace", _GCP_TRACE)
    }
    labels = fields.get(_GCP_LABELS)
    logger = None
    if isinstance(labels, dict):
        labels = dict(labels)
        logger = labels.pop("python_logger", None)
        if labels:
            fields[_GCP_LABELS] = labels
        else:
            del fields[_GCP_LABELS]
    trace = d.get(_GCP_TRACE)
    if isinstance(trace, str) and "/traces/" in trace:
        trace = trace.rsplit("/", 1)[-1]
    stack = d.get("stack_trace")
    return Record(
        _time(d.get("time", d.get("timestamp"))),
        level,
        levelno,
        _str(logger),
        _str(d.get("message")),
        _exception(None, None, stack) if stack else None,
        fields,
        _str(trace),
        "gcp",
    )


def _datadog(d: dict[str, Any]) -> Record:
    level, levelno = _level(d["status"])
    skip = (
        "timestamp",
        "status",
        "message",
        "logger.name",
        "error.kind",
        "error.message",
        "error.stack",
    )
    fields = {k: v for k, v in d.items() if k not in skip}
    exception = _exception(d.get("error.kind"), d.get("error.message"), d.get("error.stack"))
    return Record(
        _time(d.get("timestamp")),
        level,
        levelno,
        _str(d.get("logger.name")),
        _str(d.get("message")),
        exception,
        fields,
        _str(d.get("dd.trace_id")),
        "datadog",
    )


def _otel(d: dict[str, Any]) -> Record:
    number = d.get("SeverityNumber")
    text = d.get("SeverityText")
    level, levelno = _level(text)
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= 24:
        levelno = otel_levelno(number)
    attributes = d.get("Attributes")
    fields = dict(attributes) if isinstance(attributes, dict) else {}
    exception = _exception(
        fields.pop("exception.type", None),
        fields.pop("exception.message", None),
        fields.pop("exception.stacktrace", None),
    )
    for key, value in d.items():
        if key not in (
            "Timestamp",
            "SeverityText",
            "SeverityNumber",
            "Body",
            "InstrumentationScope",
            "Attributes",
            "TraceId",
        ):
            fields[key] = value
    scope = d.get("InstrumentationScope")
    logger = scope.get("Name") if isinstance(scope, dict) else None
    return Record(
        _time(d.get("Timestamp")),
        level,
        levelno,
        _str(logger),
        _str(d.get("Body")),
        exception,
        fields,
        _str(d.get("TraceId")) or None,
        "otel",
    )


def _loguru(d: dict[str, Any], rec: dict[str, Any]) -> Record:
    lvl = rec.get("level")
    level = levelno = None
    if isinstance(lvl, dict):
        level, levelno = _level(lvl.get("name"))
        if isinstance(lvl.get("no"), int):
            levelno = lvl["no"]
    time = rec.get("time")
    stamp = time.get("timestamp") if isinstance(time, dict) else None
    extra = rec.get("extra")
    fields = dict(extra) if isinstance(extra, dict) else {}
    exception = None
    exc = rec.get("exception")
    if isinstance(exc, dict):
        # The traceback text only exists in "text", after the formatted first line.
        text = str(d.get("text", ""))
        _, _, trace = text.partition("\n")
        exception = _exception(exc.get("type"), exc.get("value"), trace or None)
    return Record(
        _time(stamp),
        level,
        levelno,
        _str(rec.get("name")),
        _str(rec.get("message")),
        exception,
        fields,
        _str(fields.get("trace_id")),
        "loguru",
    )


def _pjl(d: dict[str, Any]) -> Record:
    level_key = "levelname" if "levelname" in d else "level"
    level, levelno = _level(d.get(level_key))
    time_key = "asctime" if "asctime" in d else "timestamp"
    skip = {level_key, time_key, "name", "message", "exc_info"}
    fields = {k: v for k, v in d.items() if k not in skip}
    exc = d.get("exc_info")
    return Record(
        _time(d.get(time_key)),
        level,
        levelno,
        _str(d.get("name")),
        _str(d.get("message")),
        _exception(None, None, exc) if exc else None,
        fields,
        _str(fields.get("trace_id")),
        "pjl",
    )


def _pick(d: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        if key in d:
            return key, d[key]
    return None, None


def _generic(d: dict[str, Any], layout: str) -> Record:
    time_key, time = _pick(d, _GENERIC_TIME)
    level_key, level_value = _pick(d, _GENERIC_LEVEL)
    logger_key, logger = _pick(d, _GENERIC_LOGGER)
    message_key, message = _pick(d, _GENERIC_MESSAGE)
    level, levelno = _level(level_value)
    exc = d.get("exception", d.get("exc_info"))
    exception = exc if isinstance(exc, dict) else (_exception(None, None, exc) if exc else None)
    skip = {time_key, level_key, logger_key, message_key, "exception", "exc_info"}
    fields = {k: v for k, v in d.items() if k not in skip}
    _, trace = _pick(fields, _TRACE_KEYS)
    return Record(
        _time(time),
        level,
        levelno,
        _str(logger),
        _str(message),
        exception,
        fields,
        _str(trace),
        layout,
    )


def _logfmt_value(value: bytes) -> Any:
    if value.startswith(b'"'):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value[1:-1].decode("utf-8", "replace")
    text = value.decode("utf-8", "replace")
    if text in ("true", "false", "null"):
        return orjson.loads(value)
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text) if text and text[0] in "-0123456789" else text
    except ValueError:
        return text


def _from_logfmt(pairs: list[tuple[bytes, bytes]]) -> Record:
    d: dict[str, Any] = {}
    exc: dict[str, Any] = {}
    for key, value in pairs:
        name = key.decode("utf-8", "replace")
        if name.startswith("exception."):
            exc[name[10:]] = _logfmt_value(value)
        else:
            d[name] = _logfmt_value(value)
    record = _generic(d, "logfmt")
    if exc:
        record.exception = _exception(exc.get("type"), exc.get("message"), exc.get("traceback"))
    return record
