"""Elastic Common Schema (``schema="ecs"``), as Elastic's ecs-logging libraries write it."""

from __future__ import annotations

from typing import Any, Final

from .._levels import LEVEL_NAMES
from . import http
from .base import (
    CORE,
    EXC,
    GROUPS,
    HTTP,
    LOC,
    PROC,
    THREAD,
    LevelCache,
    Schema,
    clamp,
    copy_rest,
    key_tables,
)

#: The ECS version the ecs-logging libraries write (ecs-logging-python 2.3.0, ``_meta.py``).
ECS_VERSION: Final = "1.6.0"


def ecs_level(levelno: int) -> str:
    """ECS ``log.level``: the level's own name (``"warning"``), ``"level-<n>"`` for others.

    ECS keeps "the original log level of the log event"; ecs-logging-python writes the lower-case
    level name, as the core's schema does.
    """
    levelno = clamp(levelno)
    name = LEVEL_NAMES.get(levelno)
    return name if name is not None else f"level-{levelno}"


_ECS_LEVELS: Final = LevelCache(ecs_level)

# ECS

# Top-level keys, and the dotted spellings of the paths written (Elasticsearch reads
# "log.logger" and {"log": {"logger": ...}} as the same field).
_ECS_WRITTEN: Final = (
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
)
_ECS_SOFT: Final = ("trace", "trace.id", "span", "span.id")

_ECS_TABLES = _ECS_KEYS, _ECS_KEYS_TRACED = key_tables(
    consumed=GROUPS, written=_ECS_WRITTEN, soft=_ECS_SOFT, same=("message",)
)
# For a record with the HTTP group: its paths are ECS's only then (a field of yours named
# "event" or "url" moves aside in an access record, and is left alone in any other).
_ECS_HTTP_TABLES = key_tables(
    consumed={**GROUPS, **dict.fromkeys(http.ECS_CONSUMED, HTTP)},
    written=(*_ECS_WRITTEN, *http.ECS_WRITTEN),
    soft=_ECS_SOFT,
    same=("message",),
)


class EcsSchema(Schema):
    """Elastic Common Schema, laid out as ecs-logging-python writes it.

    ``@timestamp``, ``log.level`` and ``message`` first (the ecs-logging spec's order, with
    ``log.level`` never nested), then ``ecs.version`` and the other fields as nested objects:
    ``{"log": {"logger", "origin": {"file": {"name", "line"}, "function"}}, "process": {"pid",
    "name", "thread": {"id", "name"}}, "error": {"type", "message", "stack_trace"}}``, and
    ``trace.id``/``span.id`` in a span. An access record's HTTP fields become ``http``,
    ``url``, ``client``, ``user_agent`` and ``event.duration`` (``http.py``).
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
            level = _ECS_LEVELS[levelno]
            out: dict[str, Any] = {
                "@timestamp": get("timestamp"),
                "log.level": level,
                "message": get("message"),
                "ecs": {"version": ECS_VERSION},
            }
            consumed = CORE
            logger = get("logger")
            log: dict[str, Any] | None = {"logger": logger} if logger is not None else None
            if "function" in fields and "line" in fields and "file" in fields:
                consumed |= LOC
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
                consumed |= PROC
                process = {"pid": fields["process"], "name": fields["process_name"]}
            if "thread_name" in fields and "thread" in fields:
                consumed |= THREAD
                thread = {"id": fields["thread"], "name": fields["thread_name"]}
                if process is None:
                    process = {"thread": thread}
                else:
                    process["thread"] = thread
            if process is not None:
                out["process"] = process
            exc = get("exception")
            if type(exc) is dict and "traceback" in exc:
                consumed |= EXC
                out["error"] = {
                    "type": exc.get("type"),
                    "message": exc.get("message"),
                    "stack_trace": exc.get("traceback"),
                }
            tables = _ECS_TABLES
            if "http.response.status_code" in fields:  # http.HTTP_MARK, inlined: the one test
                consumed |= HTTP
                tables = _ECS_HTTP_TABLES
                http.ecs_http(fields, out)
            ids = self._trace() if self._current_span is not None else None
            if ids is None:
                copy_rest(fields, out, tables[0], consumed)
            else:
                out["trace"] = {"id": ids[0]}
                out["span"] = {"id": ids[1]}
                copy_rest(fields, out, tables[1], consumed)
            return out
        except Exception as exc:
            return self._failed(fields, exc)
