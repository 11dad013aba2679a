"""``FastlogSink``: loguru records into a fastlog pipeline.

loguru wraps an object with a ``write`` method in its ``StreamSink`` (``loguru/_simple_sinks.py``,
0.7.3) and then, per record, calls ``write(message)`` and — if the object has one — ``flush()``.
It calls ``stop()`` when the handler is removed (``logger.remove()``, also run by loguru at exit)
and, on ``logger.complete()``, calls ``complete()`` only if ``inspect.iscoroutinefunction`` says
it is a coroutine function. Hence the shape below: no ``flush`` (it would run after every
record), a ``stop`` that flushes, and a ``complete`` that loguru sees as a coroutine function.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Unpack

import fastlog_core
from fastlog_core import ConfigError, PipelineOptions, SinkSpec, adapter
from fastlog_core.adapter import OPTION_NAMES, check_options

from . import _record, _serialize
from ._host import SINK_ENCODING, CoroutineFunctionLike
from ._record import (
    LEVELS,
    VALUE_DEFAULT,
    VALUE_OPTIONS,
    DefaultEncoder,
    fallback_line,
    level_name,
)

if TYPE_CHECKING:  # loguru's stubs declare Message; at run time the adapter never imports it
    from loguru import Message

_SCHEMAS = ("default", "loguru")
#: Every keyword the sink takes, for the unknown-option message and its suggestion.
_SINK_OPTIONS = frozenset(
    {"sink", "schema", "preset", "include_location", "include_process", "include_thread"}
)
_ctx_get = adapter.context_fields
_merge = adapter.merge
_add_exception = adapter.add_exception
_utc = _record.utc
_utc_naive = adapter.utc_naive
_serialized = _serialize.line


class _Done:
    """An awaitable that is already complete: the waiting happened when it was made."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # a generator that finishes at once


_DONE = _Done()


class _Complete(CoroutineFunctionLike):
    """``FastlogSink.complete``: waits until this sink's records are written, when *called*.

    loguru (0.7.3, ``StreamSink``) calls a sink's ``complete()`` from ``logger.complete()`` only
    if ``inspect.iscoroutinefunction`` is true for it, and only *awaits* the result when the
    caller awaits ``logger.complete()``. A real ``async def`` would therefore never run from
    plain ``logger.complete()`` (and warn "never awaited"). This object looks like a coroutine
    function to ``inspect`` (see ``_host``), flushes as soon as it is called, and returns an
    already-finished awaitable, so both ``logger.complete()`` and ``await logger.complete()``
    wait for the data.
    """

    __slots__ = ("_route",)

    def __init__(self, route: adapter.Route) -> None:
        self._route = route

    def __call__(self) -> _Done:
        self._route.pipeline.flush()
        return _DONE


class FastlogSink:
    """A loguru sink writing fastlog's JSON schema through the core's pipeline.

    ``logger.add(FastlogSink("app.log"))``: each record loguru hands over becomes one JSON
    line, encoded in the calling thread and written by the pipeline's writer thread, in large
    batches. ``level=``, ``filter=`` and ``format=`` on ``logger.add`` keep their meaning
    (``format`` only shapes the ``text`` of ``schema="loguru"``). Do not combine it with
    ``serialize=True`` (loguru would serialize first, for nothing) nor ``enqueue=True`` (the
    pipeline is already asynchronous and bounded).

    ``logger.remove(id)`` writes out what this sink has buffered (the pipeline stays open for
    its other users); ``logger.complete()`` and ``await logger.complete()`` wait until
    everything logged before is written; at exit everything is flushed without a call.

    Args:
        sink: ``None`` for the process-wide pipeline (``fastlog_core.configure()``'s), or a
            path, ``"stdout"``, ``"stderr"``, a ``Sink`` or a list: the shared pipeline of that
            destination, so the stdlib handler or the structlog factory writing there share one
            writer and one order of lines.
        schema: ``None`` or ``"default"`` for the core's schema (``timestamp``, ``level``,
            ``logger``, ``message``, context fields, then loguru's ``extra``); ``"loguru"`` for
            loguru's own ``serialize=True`` layout, ``{"text": ..., "record": {...}}``, for
            readers that already parse it; ``"ecs"``, ``"gcp"``, ``"datadog"``, ``"otel"`` or a
            key mapping for the destination's platform schema (a pipeline setting, shared by
            every adapter writing there; ``docs/schemas.md``).
        preset: A fastlog preset for the destination (``balanced``, ``fastest``, ...).
        include_location: Add ``file`` (path), ``line`` and ``function`` of the logging call.
        include_process: Add ``process`` (pid) and ``process_name``.
        include_thread: Add ``thread`` (ident) and ``thread_name``.
        **options: fastlog pipeline options (``capacity``, ``policy``, ``flush_interval``, ...).

    Raises:
        ConfigError: for an unknown option or a bad value, naming it and suggesting the closest
            known name; for a destination already in use with other settings, naming each
            option and both values (the same settings, or none, share them: ``docs/sinks.md``).

    .. versionadded:: 0.1
    """

    __slots__ = ("_default", "_fields", "_layout", "_route", "complete")

    #: What loguru reads to draw the traceback text of ``format=`` (``_host.SINK_ENCODING``):
    #: UTF-8, as loguru's own file sink, so ``text`` is the same as ``serialize=True`` writes.
    encoding = SINK_ENCODING

    def __init__(
        self,
        sink: SinkSpec = None,
        *,
        schema: str | Mapping[str, str | None] | None = None,
        preset: str | None = None,
        include_location: bool = False,
        include_process: bool = False,
        include_thread: bool = False,
        **options: Unpack[PipelineOptions],
    ) -> None:
        check_options(options, OPTION_NAMES | _SINK_OPTIONS, owner="FastlogSink")
        if schema is not None and schema not in _SCHEMAS:
            # A platform schema ("ecs", "gcp", ...) or a key mapping: the pipeline's setting,
            # checked (and named in errors) by the core.
            pipeline_options: dict[str, Any] = {**options, "schema": schema}
            schema = "default"
        else:
            pipeline_options = dict(options)
        flags = {
            "include_location": include_location,
            "include_process": include_process,
            "include_thread": include_thread,
        }
        for name, flag in flags.items():
            if not isinstance(flag, bool):
                raise ConfigError(f"FastlogSink: {name}={flag!r}: expected True or False")
        if schema == "loguru" and any(flags.values()):
            raise ConfigError(
                "FastlogSink: schema='loguru' always writes file, line, function, process and "
                "thread; include_location/include_process/include_thread apply to the default "
                "schema only"
            )
        if isinstance(sink, os.PathLike):
            sink = os.fspath(sink)
        try:
            self._route = adapter.route(
                sink, preset=preset, owner="FastlogSink", **pipeline_options
            )
        except ConfigError as exc:
            text = str(exc)
            raise ConfigError(
                text if text.startswith("FastlogSink") else f"FastlogSink: {text}"
            ) from None
        self._layout = schema == "loguru"
        self._default = DefaultEncoder(
            location=include_location, process=include_process, thread=include_thread
        )
        # None: the default schema without options, the case write() inlines.
        self._fields: Callable[..., dict[str, Any]] | None = (
            self._default.fields if any(flags.values()) else None
        )
        self.complete = _Complete(self._route)

    @property
    def pipeline(self) -> fastlog_core.Pipeline:
        """The pipeline records go to (follows ``fastlog_core.configure()`` for ``sink=None``)."""
        return self._route.pipeline

    def write(self, message: Message) -> None:
        """Translate the record loguru attached to *message* and queue it. Never raises.

        *message* is loguru's formatted text (a ``str``) with the record dict as ``.record``.
        """
        record: Any = message.record  # Any: a patcher may have put anything in it
        pipe = self._route.pipeline
        out = pipe.appender
        try:
            level = record["level"]
            levelno = level.no
            if type(levelno) is not int:  # a patcher's doing: the pipeline compares numbers
                levelno = _levelno(record)
            if self._layout:  # loguru's own bytes (never raises), whole up to the capacity
                if out.special and not pipe.keep(levelno, record["name"], record["message"]):
                    return
                data = _serialized(message, record)
                # append_whole's own check, one frame less (the static fields count too).
                if len(data) + len(out.suffix) <= out.max_record:
                    out.append(data, levelno)
                else:
                    pipe.append_whole(data, levelno)
                return
            if out.special:  # sampling or a schema: the pipeline decides, then shapes
                if not pipe.keep(levelno, record["name"], record["message"]):
                    return
                fields = self._default.fields(message, record, pipe.shape, levelno)
            elif self._fields is not None:
                fields = self._fields(message, record)
            else:
                # DefaultEncoder.fields without options, inlined into this frame: one call
                # less and no option checks (bench_loguru.py).
                lname = LEVELS.get(level.name) or level_name(level.name)
                moment = record["time"]
                ts: Any = _utc_naive(moment)
                if ts is None:  # not loguru's own time (a patcher's), or a whole second
                    ts = _utc(moment)
                ctx = _ctx_get()
                extra = record["extra"]
                name = record["name"]
                text = record["message"]
                fields = {
                    "timestamp": ts,
                    "level": lname,
                    "logger": name,
                    "message": text,
                    **ctx,
                    **extra,
                }
                if len(fields) != 4 + len(ctx) + len(extra):  # a schema key, or a key in both
                    fields = _merge(ts, lname, name, text, ctx, extra)
                exception = record["exception"]
                if exception is not None:
                    info = _record.exception_of(exception)
                    if info is not None:
                        _add_exception(fields, info)
        except Exception as exc:
            out.append(fallback_line(record, exc), _levelno(record))
            return
        out.emit(fields, levelno, VALUE_DEFAULT, VALUE_OPTIONS)

    def stop(self) -> None:
        """Called by loguru when the handler is removed: write out what is buffered.

        The pipeline itself stays open: other handlers, adapters or a later ``logger.add`` of
        this same sink may still use it. Closing is the core's job, at exit.
        """
        self._route.pipeline.flush()

    def __repr__(self) -> str:
        return f"<FastlogSink {self._route.pipeline.name}>"


def _levelno(record: Any) -> int:
    try:
        levelno = record["level"].no
        return levelno if isinstance(levelno, int) else fastlog_core.ERROR
    except Exception:
        return fastlog_core.ERROR
