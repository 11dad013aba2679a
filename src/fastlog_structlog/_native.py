"""The filtering bound logger ``configure()`` installs, with a native path for its own chain.

``configure()``'s chain without extra processors is fixed: merge structlog's contextvars, build
the record from the call, render. While a bound logger's processor list holds exactly that
chain — checked on every call, by content, so in-place changes such as
``structlog.testing.capture_logs()`` are seen at once — the wrapper builds the same record in
one method instead of running the processors one by one. Any other chain goes through
structlog's own processing (``_proxy_to_logger``), with the caller's frame made known to
structlog, so ``CallsiteParameterAdder`` reports the application's call site, not this module.
``tests/structlog/test_native.py`` proves, for generated calls, that both paths write the same.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any

from structlog import BoundLoggerBase, DropEvent
from structlog.contextvars import merge_contextvars
from structlog.processors import CallsiteParameterAdder

from fastlog_core import CRITICAL, DEBUG, ERROR, INFO, WARNING, adapter

from ._host import CALLING_FRAME, CONTEXT_VARS, callsite_plan
from ._renderer import DEFAULT, FastlogLogger, _CallRenderer, _render_repaired, build, call_record

#: ``configure()``'s renderer: one instance, so the native check is an identity test.
RENDERER = _CallRenderer()

#: The chain ``configure()`` installs without extra processors. A bound logger whose processor
#: list equals it (element for element, by identity) takes the native path.
NATIVE_CHAIN: list[Any] = [merge_contextvars, RENDERER]

_utcnow = adapter.utcnow
_ctx_get = adapter.context_fields
_merge = adapter.merge

#: structlog's level names by number (``LEVEL_TO_NAME``), highest first.
_LEVELS = (
    (CRITICAL, "critical"),
    (ERROR, "error"),
    (WARNING, "warning"),
    (INFO, "info"),
    (DEBUG, "debug"),
)


def _interpolate(event: Any, args: tuple[Any, ...]) -> Any:
    """structlog's ``_maybe_interpolate``: one non-empty mapping argument is used by name.

    Unlike structlog, a template that does not fit its arguments never raises into the
    caller: the message is written with the arguments appended, and the error is counted.
    """
    if len(args) == 1 and isinstance(args[0], Mapping) and args[0]:
        return adapter.interpolate(event, args[0])
    return adapter.interpolate(event, args)


def _native(  # noqa: PLR0917 - positional: one call per record, no keyword matching
    self: Any,
    logger: FastlogLogger,
    levelno: int,
    name: str,
    event: Any,
    kw: dict[str, Any],
    site: tuple[Any, Any, FrameType] | None = None,
) -> None:
    """What ``merge_contextvars`` + ``_CallRenderer`` + ``FastlogLogger`` do for one call, and,
    given *site* (adder, its plan, the caller's frame), a ``CallsiteParameterAdder`` between.

    *kw* is the call's own keyword dict (a fresh one per call), so it may be changed. The field
    order is the processor path's: bound context, keywords, contextvars not already set, then
    the call-site parameters.
    """
    out = logger._route.pipeline.appender
    record: dict[str, Any] | None = None
    try:
        context = self._context
        fields = {**context, **kw} if context else kw
        if CONTEXT_VARS:
            merge_contextvars(logger, name, fields)
        if site is not None:
            adder, plan, frame = site
            if "_record" in fields:  # a stdlib record's call site: the adder reads it itself
                token = CALLING_FRAME.set(frame)
                try:
                    fields = adder(logger, name, fields)
                finally:
                    CALLING_FRAME.reset(token)
            else:
                _add_callsite(plan, frame, fields)
        if event is None:  # structlog keeps a bound (or contextvar) "event" as the event
            event = fields.pop("event", None)
        elif "event" in fields:
            del fields["event"]
        exc_info = fields.pop("exc_info", None) if "exc_info" in fields else None
        ctx = _ctx_get()
        if ctx:
            fields = {**ctx, **fields}
        ts = _utcnow()
        if not ts.microsecond:
            ts = adapter.timestamp()  # type: ignore[assignment]
        lname = logger.name or "root"
        record = {"timestamp": ts, "level": name, "logger": lname, "message": event, **fields}
        if len(record) != 4 + len(fields):  # a field named like a schema key: moved aside
            record = build(ts, name, lname, event, fields)
        if exc_info:
            info = adapter.exception_info(exc_info)
            if info is not None:
                adapter.add_exception(record, info)
    except Exception as error:
        if record is None:
            record = _merge(adapter.timestamp(), name, "root", event, None)
        out.append(adapter.encode_repaired(record, error, DEFAULT), levelno)
        return
    out.emit(record, levelno, DEFAULT)


#: Per CallsiteParameterAdder (kept alive here, so its id is not reused): its plan.
_PLANS: dict[int, tuple[Any, Any]] = {}


def _plan(adder: Any) -> Any:
    entry = _PLANS.get(id(adder))
    if entry is not None and entry[0] is adder:
        return entry[1]
    plan = callsite_plan(adder)
    if len(_PLANS) >= 256:  # adders are made at configure time: a few, unless made per call
        _PLANS.clear()
    _PLANS[id(adder)] = (adder, plan)
    return plan


#: ``co_filename`` -> (basename, module) as structlog's handlers compute them.
_FILES: dict[str, tuple[str, str]] = {}


def _file_names(path: str) -> tuple[str, str]:
    names = _FILES.get(path)
    if names is None:
        base = os.path.basename(path)
        names = (base, os.path.splitext(base)[0])
        if len(_FILES) < 4096:
            _FILES[path] = names
    return names


def _add_callsite(plan: Any, frame: FrameType, event_dict: dict[str, Any]) -> None:
    """What ``CallsiteParameterAdder`` adds, from *frame* (the application's call site):
    structlog's frame lookup (skip modules named with the ignored prefixes), then each
    parameter; those read from the code and line are computed here, the others (thread,
    process) by structlog's own handler. ``test_native`` compares every parameter."""
    ignores, handlers = plan
    f = frame
    module = f.f_globals.get("__name__") or "?"
    while module.startswith(ignores):
        if f.f_back is None:
            module = "?"
            break
        f = f.f_back
        module = f.f_globals.get("__name__") or "?"
    for key, handler in handlers:
        if key == "module":
            event_dict[key] = _file_names(f.f_code.co_filename)[1]
        elif key == "func_name":
            event_dict[key] = f.f_code.co_name
        elif key == "lineno":
            event_dict[key] = f.f_lineno
        elif key == "filename":
            event_dict[key] = _file_names(f.f_code.co_filename)[0]
        elif key == "pathname":
            event_dict[key] = f.f_code.co_filename
        elif key == "qual_name":
            event_dict[key] = f.f_code.co_qualname
        elif key == "qual_module":
            event_dict[key] = module
        else:
            event_dict[key] = handler(module, f)


def _processed(  # noqa: PLR0917 - positional: one call per record, no keyword matching
    self: Any,
    logger: FastlogLogger,
    levelno: int,
    name: str,
    event: Any,
    kw: dict[str, Any],
    frame: FrameType | None,
) -> None:
    """``configure(processors=[...])``'s chain, run as structlog's ``_process_event`` runs it,
    with the renderer's part done in place: the record goes to the pipeline as a dict, not as
    rendered bytes handed to ``FastlogLogger``. Same output as structlog's own processing."""
    event_dict = self._context.copy()
    event_dict.update(kw)
    if event is not None:
        event_dict["event"] = event
    token = None
    try:
        if CONTEXT_VARS:  # else merge_contextvars has nothing to add
            event_dict = merge_contextvars(logger, name, event_dict)
        for processor in self._processors[1:-1]:
            if (
                type(processor) is CallsiteParameterAdder
                and type(event_dict) is dict
                and "_record" not in event_dict  # a stdlib record's own call site: the adder's
                and frame is not None
            ):
                plan = _plan(processor)
                if plan is not None:
                    _add_callsite(plan, frame, event_dict)
                    continue
            if token is None:  # the application's frame, for any processor that looks
                token = CALLING_FRAME.set(frame)  # type: ignore[arg-type]
            event_dict = processor(logger, name, event_dict)
    except DropEvent:
        return
    finally:
        if token is not None:
            CALLING_FRAME.reset(token)
    out = logger._route.pipeline.appender
    if type(event_dict) is not dict:  # a processor returned something else: the renderer's say
        logger._write(RENDERER(logger, name, event_dict), levelno)
        return
    message: Any = None
    try:
        message = event_dict.pop("event", None)
        exc_info = event_dict.pop("exc_info", None)
        record = call_record(logger, name, message, exc_info, event_dict)
    except Exception as exc:
        out.append(_render_repaired(logger, name, event_dict, message, exc) + b"\n", levelno)
        return
    out.emit(record, levelno, DEFAULT)


def _full(  # noqa: PLR0917 - positional, as _call
    self: Any, name: str, event: Any, args: tuple[Any, ...], kw: dict[str, Any], frame: Any
) -> Any:
    """structlog's own processing, with *frame* (the application's) as the call site."""
    if args:
        event = _interpolate(event, args)
    token = CALLING_FRAME.set(frame)
    try:
        return self._proxy_to_logger(name, event, **kw)
    finally:
        CALLING_FRAME.reset(token)


def _call(  # noqa: PLR0917 - positional: one call per record, no keyword matching
    self: Any,
    levelno: int,
    name: str,
    event: Any,
    args: tuple[Any, ...],
    kw: dict[str, Any],
    frame: FrameType | None,
) -> Any:
    """One call at *name*: natively, through ``_processed``, or through structlog."""
    logger = self._logger
    if type(logger) is FastlogLogger and not logger._route.pipeline.appender.special:
        # (sampling or a schema: the renderer's job, through structlog)
        processors = self._processors
        if processors == NATIVE_CHAIN:
            if args:
                event = _interpolate(event, args)
            _native(self, logger, levelno, name, event, kw)
            return None
        if (
            len(processors) > 2  # merge_contextvars, yours, the renderer
            and processors[0] is merge_contextvars
            and processors[-1] is RENDERER
        ):
            if args:
                event = _interpolate(event, args)
            if (
                len(processors) == 3
                and type(processors[1]) is CallsiteParameterAdder
                and frame is not None
            ):
                plan = _plan(processors[1])
                if plan is not None:  # the one processor, done natively
                    _native(self, logger, levelno, name, event, kw, (processors[1], plan, frame))
                    return None
            _processed(self, logger, levelno, name, event, kw, frame)
            return None
    return _full(self, name, event, args, kw, frame)


def _nop(self: Any, event: Any = None, *args: Any, **kw: Any) -> None:
    return None


async def _anop(self: Any, event: Any = None, *args: Any, **kw: Any) -> None:
    return None


def _method(levelno: int, name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def method(self: Any, event: Any = None, *args: Any, **kw: Any) -> Any:
        logger = self._logger
        if (
            self._processors == NATIVE_CHAIN
            and type(logger) is FastlogLogger
            and not logger._route.pipeline.appender.special
        ):
            if args:
                event = _interpolate(event, args)
            _native(self, logger, levelno, name, event, kw)
            return None
        return _call(self, levelno, name, event, args, kw, sys._getframe(1))

    async def amethod(self: Any, event: Any = None, *args: Any, **kw: Any) -> Any:
        # fastlog never blocks on I/O in the caller, so there is no executor hop: the call
        # runs here, in the task's thread and with its contextvars.
        return _call(self, levelno, name, event, args, kw, sys._getframe(1))

    method.__name__ = name
    amethod.__name__ = "a" + name
    return method, amethod


def _named_level(level: int) -> tuple[int, str]:
    """The structlog level for a number: its own, else the nearest named one below.

    structlog raises ``KeyError`` for a number without a name (``log.log(25, ...)``); a log
    call must not raise, so the record is written at the nearest level below (``debug`` for
    anything under it).
    """
    for levelno, name in _LEVELS:
        if level >= levelno:
            return levelno, name
    return DEBUG, "debug"


#: The wrapper classes made so far, by threshold (``configure()`` may run many times).
_CLASSES: dict[int, type[BoundLoggerBase]] = {}


def make_wrapper(min_level: int) -> type[BoundLoggerBase]:
    """A bound-logger class for *min_level*: levels below it are no-ops, like structlog's
    ``make_filtering_bound_logger``, with the same methods (sync and ``a``-prefixed async)."""
    cls = _CLASSES.get(min_level)
    if cls is not None:
        return cls
    namespace: dict[str, Any] = {}
    for levelno, name in _LEVELS:
        if levelno < min_level:
            sync, asyn = _nop, _anop
        else:
            sync, asyn = _method(levelno, name)
        namespace[name] = sync
        namespace["a" + name] = asyn
    namespace["warn"] = namespace["warning"]
    namespace["awarn"] = namespace["awarning"]
    namespace["fatal"] = namespace["critical"]
    namespace["afatal"] = namespace["acritical"]
    namespace["msg"] = namespace["info"]
    namespace["amsg"] = namespace["ainfo"]

    def exception(self: Any, event: Any = None, *args: Any, **kw: Any) -> Any:
        kw.setdefault("exc_info", True)
        if min_level > ERROR:
            return None
        return _call(self, ERROR, "error", event, args, kw, sys._getframe(1))

    async def aexception(self: Any, event: Any = None, *args: Any, **kw: Any) -> Any:
        # As structlog: the exception is read here, where it is being handled.
        if kw.get("exc_info", True) is True:
            kw["exc_info"] = sys.exc_info()
        if min_level > ERROR:
            return None
        return _call(self, ERROR, "error", event, args, kw, sys._getframe(1))

    def log(self: Any, level: int, event: Any = None, *args: Any, **kw: Any) -> Any:
        if level < min_level:
            return None
        levelno, name = _named_level(level)
        return _call(self, levelno, name, event, args, kw, sys._getframe(1))

    async def alog(self: Any, level: int, event: Any = None, *args: Any, **kw: Any) -> Any:
        if level < min_level:
            return None
        levelno, name = _named_level(level)
        return _call(self, levelno, name, event, args, kw, sys._getframe(1))

    def is_enabled_for(self: Any, level: int) -> bool:
        return level >= min_level

    def get_effective_level(self: Any) -> int:
        return min_level

    namespace.update(
        exception=exception,
        aexception=aexception,
        log=log,
        alog=alog,
        is_enabled_for=is_enabled_for,
        get_effective_level=get_effective_level,
    )
    cls = type(f"FastlogBoundLoggerFilteringAt{min_level}", (BoundLoggerBase,), namespace)
    _CLASSES[min_level] = cls
    return cls


def make_wrapper_by_name(levels: adapter.LoggerLevels) -> type[BoundLoggerBase]:
    """A bound-logger class that makes, for each logger, ``make_wrapper``'s class for that
    logger's level: ``levels.of(name)``, *name* being what ``structlog.get_logger(name)`` gave
    the factory (``"root"`` without one).

    structlog calls ``wrapper_class(logger, processors=..., context=...)`` when it makes a
    bound logger, and a bound logger's ``bind()`` makes its own class again: the level is
    looked up once per bound logger, and a filtered call is the same no-op method as under a
    single level.
    """

    class FastlogBoundLoggerByName(BoundLoggerBase):
        def __new__(cls, logger: Any, processors: Any, context: Any) -> Any:
            name = getattr(logger, "name", None)
            level = levels.of(name if isinstance(name, str) and name else "root")
            return make_wrapper(level)(logger, processors=processors, context=context)

    return FastlogBoundLoggerByName
