"""``FastlogHandler``: stdlib ``logging`` records into a fastlog pipeline."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Unpack

import fastlog_core
from fastlog_core import ConfigError, Options, SinkSpec, adapter
from fastlog_core.adapter import OPTION_NAMES, check_options

from ._optimize import optimize as _optimize
from ._record import RecordEncoder

# Python >= 3.12: Handler.handle returns the record emitted (filters may replace it).
_HANDLE_RETURNS_RECORD = sys.version_info >= (3, 12)


class HandlerOptions(Options, total=False):
    """The core's options, plus ``filename=`` (an alias of ``sink``, for configs written for
    ``logging.FileHandler``)."""

    filename: str | os.PathLike[str]


#: Every keyword the handler takes, for the unknown-option message and its suggestion.
_HANDLER_OPTIONS = frozenset(
    {
        "sink",
        "level",
        "preset",
        "include_location",
        "include_process",
        "include_thread",
        "optimize",
        "filename",
    }
)


class FastlogHandler(logging.Handler):
    """A ``logging.Handler`` that writes the core's JSON schema through a fastlog pipeline.

    It needs no listener and no setup beyond being attached: the pipeline's writer thread
    starts by itself and everything is flushed at exit (and by ``flush()``, ``close()`` and
    ``logging.shutdown()``). ``handle()`` takes no lock: the pipeline is thread-safe.

    Args:
        sink: ``None`` for the process-wide pipeline (``fastlog_core.configure()``'s), or a
            path, ``"stdout"``, ``"stderr"``, a ``Sink`` or a list: the shared pipeline of that
            destination, so other adapters writing there share one writer and one order.
            ``filename=`` is accepted as an alias, for configs written for ``FileHandler``.
        level: The handler's level, as for any handler.
        preset: A fastlog preset for the destination (``balanced``, ``fastest``, ...).
        include_location: Add ``file``, ``line`` and ``function`` of the logging call.
        include_process: Add ``process`` and ``process_name``.
        include_thread: Add ``thread`` and ``thread_name``.
        optimize: Apply :func:`fastlog_stdlib.optimize` (turns off stdlib's caller lookup and
            thread/process bookkeeping); cannot be combined with ``include_location``,
            ``include_process`` or ``include_thread``.
        **options: fastlog pipeline options (``capacity``, ``policy``, ``flush_interval``, ...).

    Raises:
        ConfigError: for an unknown option or a bad value, naming it and suggesting the closest
            known name (``dictConfig`` reports it as the cause of its own ``ValueError``); for a
            destination already in use with other settings, naming each option and both values
            (the same settings, or none, share them: ``docs/sinks.md``).

    A formatter set on this handler is not used: the record's JSON shape is the core's. To
    keep a handler of your own, give it :class:`fastlog_stdlib.FastlogFormatter` instead.
    """

    def __init__(
        self,
        sink: SinkSpec = None,
        *,
        level: int | str = logging.NOTSET,
        preset: str | None = None,
        include_location: bool = False,
        include_process: bool = False,
        include_thread: bool = False,
        optimize: bool = False,
        **options: Unpack[HandlerOptions],
    ) -> None:
        given: dict[str, Any] = dict(options)
        if "filename" in given:
            if sink is not None:
                raise ConfigError("give either sink= or filename=, not both")
            sink = given.pop("filename")
        check_options(given, OPTION_NAMES | _HANDLER_OPTIONS, owner="FastlogHandler")
        for name, flag in (
            ("include_location", include_location),
            ("include_process", include_process),
            ("include_thread", include_thread),
            ("optimize", optimize),
        ):
            if not isinstance(flag, bool):
                raise ConfigError(f"FastlogHandler: {name}={flag!r}: expected True or False")
        if optimize and (include_location or include_process or include_thread):
            raise ConfigError(
                "FastlogHandler: optimize=True turns off the caller lookup and process/thread "
                "names that include_location/include_process/include_thread would write"
            )
        if isinstance(sink, os.PathLike):
            sink = os.fspath(sink)
        # Before Handler.__init__, which registers the handler for logging.shutdown(): a
        # handler whose configuration failed must not be left half-built in that list.
        self._route = adapter.route(sink, preset=preset, owner="FastlogHandler", **given)
        super().__init__(level)
        self._emit = RecordEncoder(
            location=include_location, process=include_process, thread=include_thread
        ).emit
        if optimize:
            _optimize()

    @property
    def pipeline(self) -> fastlog_core.Pipeline:
        """The pipeline records go to (follows ``fastlog_core.configure()`` for ``sink=None``)."""
        return self._route.pipeline

    def handle(self, record: logging.LogRecord) -> Any:
        """Filter, then emit — without ``Handler.handle``'s lock: the pipeline is thread-safe.

        Returns what ``Handler.handle`` returns: a false value for a filtered-out record,
        else (Python >= 3.12) the record emitted, which a filter may have replaced.
        """
        rv: Any = record if _HANDLE_RETURNS_RECORD else True
        if self.filters:
            rv = self.filter(record)
            if not rv:
                return rv
            if isinstance(rv, logging.LogRecord):
                record = rv
        # emit() inlined: one frame less per record (bench_stdlib.py).
        pipe = self._route.pipeline
        out = pipe.appender
        if out.special:  # sampling or a schema: the pipeline decides, then shapes
            if pipe.keep(record.levelno, record.name, record.msg):
                self._emit(record, out, pipe.shape)
            return rv
        self._emit(record, out)
        return rv

    def emit(self, record: logging.LogRecord) -> None:
        """Translate *record* and hand it to the pipeline. Never raises."""
        pipe = self._route.pipeline
        out = pipe.appender
        if out.special:
            if pipe.keep(record.levelno, record.name, record.msg):
                self._emit(record, out, pipe.shape)
            return
        self._emit(record, out)

    def flush(self) -> None:
        """Wait until every record this process logged so far is written (or the sink fails)."""
        self._route.pipeline.flush()

    def close(self) -> None:
        """Flush and detach. The pipeline stays open for its other users; the settings this
        handler gave its destination are released, so a handler made after it (``dictConfig``
        called again) may give other ones."""
        try:
            self.flush()
        finally:
            adapter.release(self._route)
            super().close()

    def __repr__(self) -> str:
        level = logging.getLevelName(self.level)
        return f"<FastlogHandler {self._route.pipeline.name} ({level})>"
