"""Which pipeline serves which destination, plus process-level lifecycle.

One destination has one pipeline, whichever adapter asks for it: the path ``app.log`` asked for
by the stdlib handler, the structlog factory and the loguru sink is one buffer, one writer, one
order of lines. This module also owns what is process-wide: the default route that
``configure()`` changes, the exit hook, and the fork hooks.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import weakref
from collections.abc import Sequence
from typing import Any, TypedDict

from . import _errors
from ._levels import INFO, parse_level
from ._pipeline import Pipeline, PipelineStats
from ._presets import ConfigError, Settings, resolve
from ._sinks import FileSink, Sink, StreamSink

SinkSpec = str | os.PathLike[str] | Sink | Sequence["str | os.PathLike[str] | Sink"]


class Route:
    """Where a logger's records go and from which level: a pipeline and a threshold.

    The default route is one shared object that ``configure()`` updates in place, so loggers
    and handlers created before ``configure()`` follow it without being recreated.
    """

    __slots__ = ("__weakref__", "level", "pipeline")

    def __init__(self, pipeline: Pipeline, level: int) -> None:
        self.pipeline = pipeline
        self.level = level

    def __repr__(self) -> str:
        return f"Route(pipeline={self.pipeline.name!r}, level={self.level})"


_lock = threading.RLock()
_pipelines: dict[Any, Pipeline] = {}
_live: weakref.WeakSet[Pipeline] = weakref.WeakSet()
_default: Route | None = None


def _key(spec: Any) -> tuple[str, Any]:
    """The registry key of one destination, without opening anything."""
    if isinstance(spec, str) and spec in ("stdout", "stderr"):
        return ("stream", spec)
    if isinstance(spec, (str, os.PathLike)):
        return ("file", os.path.abspath(os.fspath(spec)))
    if isinstance(spec, FileSink):
        return ("file", spec.path)
    if isinstance(spec, StreamSink) and spec.name is not None:
        return ("stream", spec.name)
    if isinstance(spec, Sink):
        return ("sink", id(spec))
    raise ConfigError(
        f"sink={spec!r}: expected a path, 'stdout', 'stderr', a Sink (write/flush/close) "
        "or a list of those"
    )


def _make_sink(spec: Any) -> Sink:
    if isinstance(spec, str) and spec in ("stdout", "stderr"):
        return StreamSink(spec)
    if isinstance(spec, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(spec))
        try:
            return FileSink(path)
        except OSError as exc:
            raise ConfigError(f"sink={path!r}: cannot open for appending: {exc}") from exc
    return spec  # type: ignore[no-any-return]  # a Sink, checked by _key


def _normalize(sink: Any) -> tuple[Any, list[Any], str]:
    """Registry key, the destination specs, and a display name; opens nothing."""
    if sink is None:
        sink = "stdout"
    specs = list(sink) if isinstance(sink, (list, tuple)) else [sink]
    if not specs:
        raise ConfigError("sink=[]: give at least one destination")
    keys = tuple(_key(spec) for spec in specs)
    if len(set(keys)) != len(keys):
        raise ConfigError(f"sink={sink!r}: the same destination is listed twice")
    name = "+".join(_name(k, spec) for k, spec in zip(keys, specs, strict=True))
    return (keys if len(keys) > 1 else keys[0]), specs, name


def _name(key: tuple[str, Any], spec: Any) -> str:
    kind, value = key
    return f"{type(spec).__name__}@{value:x}" if kind == "sink" else str(value)


def get_pipeline(sink: Any = None, preset: str | None = None, **options: Any) -> Pipeline:
    """The shared pipeline for *sink*, created on first use.

    Settings come from *preset* and *options*. Asking again for an existing destination with
    settings that differ from its own is a configuration error (two parts of a program would
    otherwise silently fight over one file's policy); asking without settings shares whatever
    the destination has.

    Raises:
        ConfigError: naming the option or the sink that is wrong.
    """
    explicit = preset is not None or bool(options)
    settings = resolve(preset, **options)
    key, specs, name = _normalize(sink)
    with _lock:
        existing = _pipelines.get(key)
        if existing is not None and not existing.closed:
            if explicit and existing.settings != settings:
                diff = _difference(existing.settings, settings)
                raise ConfigError(
                    f"sink={name!r} is already in use with other settings ({diff}); "
                    "give the same preset and options, or none to share the existing ones"
                )
            return existing
        pipeline = Pipeline([_make_sink(spec) for spec in specs], settings, name=name)
        _pipelines[key] = pipeline
        _live.add(pipeline)
        if _signals_wanted and not settings.sync:
            _install_sigterm()
        return pipeline


def _difference(old: Settings, new: Settings) -> str:
    parts = [
        f"{field}={getattr(old, field)!r} vs {getattr(new, field)!r}"
        for field in old.__dataclass_fields__
        if getattr(old, field) != getattr(new, field)
    ]
    return ", ".join(parts)


def default_route() -> Route:
    """The process-wide route: stdout with ``balanced`` until ``configure()`` says otherwise."""
    global _default
    route = _default
    if route is None:
        with _lock:
            if _default is None:
                _default = Route(get_pipeline("stdout"), INFO)
            route = _default
    return route


def route(sink: Any = None, preset: str | None = None, level: Any = 0, **options: Any) -> Route:
    """A route for an adapter: the default one for ``sink=None``, else a new one to *sink*."""
    if sink is None and preset is None and not options:
        return default_route()
    return Route(get_pipeline(sink, preset, **options), _level(level))


def _level(value: Any) -> int:
    try:
        return parse_level(value)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def configure(
    sink: Any = None, level: Any = "info", preset: str | None = None, **options: Any
) -> None:
    """Set where records go by default, from which level, with which preset.

    Optional: unconfigured, records at INFO and above go to stdout with the ``balanced``
    preset. Calling it again redirects existing loggers (they share the default route). If
    the destination is already in use, its pipeline is reconfigured in place.

    Args:
        sink: A path, ``"stdout"``, ``"stderr"``, a ``Sink``, or a list of them.
        level: The lowest level written, as a name (``"info"``) or number (``20``).
        preset: ``"balanced"`` (default), ``"fastest"``, ``"durable"`` or ``"dev"``.
        **options: Individual settings on top of the preset (see ``Settings``).

    Raises:
        ConfigError: for an unknown option or a bad value, naming it.
    """
    threshold = _level(level)
    settings = resolve(preset, **options)
    key, _, _ = _normalize(sink)
    with _lock:
        existing = _pipelines.get(key)
        if existing is not None and not existing.closed:
            existing.reconfigure(settings)
            pipeline = existing
        else:
            pipeline = get_pipeline(sink, preset, **options)
        global _default
        if _default is None:
            _default = Route(pipeline, threshold)
        else:
            _default.pipeline = pipeline
            _default.level = threshold


def flush(timeout: float | None = None) -> bool:
    """Wait until every record logged before the call is written, in every pipeline.

    Returns False if *timeout* passed first or a destination is failing (its records stay
    buffered and are retried).
    """
    ok = True
    for pipeline in list(_live):
        ok = pipeline.flush(timeout) and ok
    return ok


def shutdown(timeout: float = 5.0) -> bool:
    """Flush and close every pipeline; runs by itself at interpreter exit.

    Logging after ``shutdown()`` still works: records are then written synchronously.
    Returns False if anything could not be written (counted as ``lost`` and reported).
    """
    with _lock:
        pipelines = list(_live)
        _pipelines.clear()
    ok = True
    for pipeline in pipelines:
        ok = pipeline.shutdown(timeout) and ok
    return ok


class Stats(TypedDict):
    """Process-wide counters: the sum over all pipelines, plus each pipeline by name."""

    records_written: int
    bytes_written: int
    dropped: int
    dropped_by_level: dict[str, int]
    errors: int
    errors_by_kind: dict[str, int]
    queued_bytes: int
    high_water_bytes: int
    blocked: int
    blocked_seconds: float
    truncated: int
    lost: int
    pipelines: dict[str, PipelineStats]


def stats() -> Stats:
    """Counters for this process (a forked child starts from zero)."""
    per = {p.name: p.stats() for p in list(_live)}
    dropped_by_level: dict[str, int] = {}
    for s in per.values():
        for level, count in s["dropped_by_level"].items():
            dropped_by_level[level] = dropped_by_level.get(level, 0) + count
    by_kind = _errors.counts()
    return {
        "records_written": sum(s["records_written"] for s in per.values()),
        "bytes_written": sum(s["bytes_written"] for s in per.values()),
        "dropped": sum(s["dropped"] for s in per.values()),
        "dropped_by_level": dropped_by_level,
        "errors": sum(by_kind.values()),
        "errors_by_kind": by_kind,
        "queued_bytes": sum(s["queued_bytes"] for s in per.values()),
        "high_water_bytes": max((s["high_water_bytes"] for s in per.values()), default=0),
        "blocked": sum(s["blocked"] for s in per.values()),
        "blocked_seconds": sum(s["blocked_seconds"] for s in per.values()),
        "truncated": sum(s["truncated"] for s in per.values()),
        "lost": sum(s["lost"] for s in per.values()),
        "pipelines": per,
    }


# -- process life ---------------------------------------------------------------------------


def _at_exit() -> None:
    try:
        shutdown(timeout=5.0)
    except Exception as exc:  # pragma: no cover - never fail interpreter exit
        _errors.report("exit", f"{type(exc).__name__}: {exc}")


def _hook_multiprocessing() -> None:
    # multiprocessing's fork and forkserver children end in os._exit(), which skips atexit.
    # Its finalizers do run, but Process._bootstrap clears them before the target starts;
    # its after-fork registry is run right after that, so a hook there registers the
    # finalizer that flushes. Registered at import and before each fork.
    util = sys.modules.get("multiprocessing.util")
    if util is not None and _MP_HOOK not in util._afterfork_registry.values():
        util.register_after_fork(_MP_HOOK, _mp_child_started)


def _before_fork() -> None:
    _hook_multiprocessing()


def _after_fork_child() -> None:
    global _lock, _installed_sigterm
    _lock = threading.RLock()
    # The handler is inherited; whether it is ours is checked again before any removal.
    _installed_sigterm = signal.getsignal(signal.SIGTERM) is _on_sigterm
    _errors.reset_after_fork()
    for pipeline in list(_live):
        pipeline.after_fork_child()


_signals_wanted = True
_installed_sigterm = False


def handle_signals(enabled: bool = True) -> None:
    """Flush on SIGTERM (the default), or stop doing so with ``enabled=False``.

    SIGTERM's default action kills the process without running ``atexit``, which would lose
    whatever is still buffered (servers such as uvicorn re-raise SIGTERM after their graceful
    shutdown, so their last lines would be lost). fastlog therefore replaces the *default*
    disposition only — never a handler someone else installed — with one that flushes every
    pipeline (within 2 s) and then re-raises SIGTERM with the default action, so the process
    still ends exactly as it would have. It is installed when the first asynchronous pipeline
    is created, from the main thread.

    .. versionadded:: 0.1
    """
    global _signals_wanted, _installed_sigterm
    _signals_wanted = enabled
    if enabled:
        _install_sigterm()
        return
    if _installed_sigterm and signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _installed_sigterm = False


def _install_sigterm() -> None:
    global _installed_sigterm
    if _installed_sigterm or threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)
            _installed_sigterm = True
    except (ValueError, OSError, AttributeError):  # no signals here (e.g. embedded)
        pass


def _on_sigterm(signum: int, frame: object) -> None:
    try:
        shutdown(timeout=2.0)
    finally:
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)


class _MPHook:
    """A weak-referenceable object for multiprocessing's after-fork registry."""


_MP_HOOK = _MPHook()


def _mp_child_started(_: object) -> None:
    util = sys.modules["multiprocessing.util"]
    util.Finalize(None, _at_exit, exitpriority=0)


atexit.register(_at_exit)
_hook_multiprocessing()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_child)


def _reset() -> None:
    """Shut everything down and forget the default route: for test isolation only."""
    global _default
    shutdown(timeout=5.0)
    with _lock:
        _pipelines.clear()
        _default = None
