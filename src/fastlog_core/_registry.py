"""Which pipeline serves which destination, and the default route ``configure()`` changes.

One destination has one pipeline, whichever adapter asks for it: the path ``app.log`` asked for
by the stdlib handler, the structlog factory and the loguru sink is one buffer, one writer, one
order of lines. Process-wide hooks (exit, fork, signals) are ``_process`` and ``_signals``.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from typing import Any, Unpack

from . import _diagnostics, _encoders
from ._levels import INFO, parse_level
from ._options import Level, Options, SinkSpec
from ._pipeline import Pipeline, PipelineStats, SinkOptions
from ._pipeline.accounting import Counters
from ._presets import SINK_OPTION_NAMES, Settings, resolve
from ._sinks import FileSink, Sink, StreamSink
from .exceptions import ConfigError


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


_FILE_OPTIONS = ("rotation", "retention", "compression")
_SPEC_KEYS = frozenset({"sink", "level", "encoder", *_FILE_OPTIONS})


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
        f"sink={spec!r}: expected a path, 'stdout', 'stderr', a Sink (write/flush/close), "
        "a dict such as {'sink': 'app.log', 'level': 'warning', 'encoder': 'logfmt'}, "
        "or a list of those"
    )


class _Spec:
    """One destination as asked for: the target, its per-sink options, its file options."""

    __slots__ = ("explicit", "file_options", "key", "options", "target")

    def __init__(self, raw: Any, defaults: dict[str, Any]) -> None:
        given: dict[str, Any] = dict(defaults)
        # Asked with sink options (else it shares whatever the destination has).
        self.explicit = bool(defaults) or isinstance(raw, dict)
        if isinstance(raw, dict):
            unknown = sorted(set(raw) - _SPEC_KEYS)
            if unknown or "sink" not in raw:
                what = f"unknown key {unknown[0]!r}" if unknown else "no 'sink' key"
                raise ConfigError(
                    f"sink={raw!r}: {what} (a sink dict has 'sink' and optionally "
                    f"{', '.join(sorted(_SPEC_KEYS - {'sink'}))})"
                )
            given.update({k: v for k, v in raw.items() if k != "sink"})
            raw = raw["sink"]
        if isinstance(raw, os.PathLike):
            raw = os.fspath(raw)
        self.target = raw
        self.key = _key(raw)
        level = given.get("level", 0)
        self.options = SinkOptions(
            _level(level, "level") if level is not None else 0,
            _encoders.resolve(given.get("encoder")),
        )
        self.file_options = {k: given[k] for k in _FILE_OPTIONS if given.get(k) is not None}
        if self.file_options and self.key[0] != "file":
            raise ConfigError(
                f"{next(iter(self.file_options))}= applies to files; sink={raw!r} is not a path "
                "or FileSink"
            )
        if self.file_options and isinstance(raw, FileSink):
            raise ConfigError(
                f"{next(iter(self.file_options))}=: give it to FileSink({raw.path!r}, ...) itself"
            )

    def signature(self) -> tuple[Any, ...]:
        return (self.key, self.options, tuple(sorted(self.file_options.items(), key=str)))

    def make(self) -> Sink:
        spec = self.target
        if isinstance(spec, str) and spec in ("stdout", "stderr"):
            return StreamSink(spec)
        if isinstance(spec, str):
            path = os.path.abspath(spec)
            try:
                return FileSink(path, **self.file_options)
            except OSError as exc:
                raise ConfigError(f"sink={path!r}: cannot open for appending: {exc}") from exc
        return spec  # type: ignore[no-any-return]  # a Sink, checked by _key


def _split(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pipeline settings and per-sink defaults (rotation, encoder, ...) from one keyword set."""
    sink_defaults = {k: options.pop(k) for k in list(options) if k in SINK_OPTION_NAMES}
    return options, sink_defaults


def _normalize(sink: Any, sink_defaults: dict[str, Any]) -> tuple[Any, list[_Spec], str]:
    """Registry key, the destination specs, and a display name; opens nothing."""
    if sink is None:
        sink = "stdout"
    raws = list(sink) if isinstance(sink, (list, tuple)) else [sink]
    if not raws:
        raise ConfigError("sink=[]: give at least one destination")
    specs = [_Spec(raw, sink_defaults) for raw in raws]
    keys = tuple(spec.key for spec in specs)
    if len(set(keys)) != len(keys):
        raise ConfigError(f"sink={sink!r}: the same destination is listed twice")
    name = "+".join(_name(spec.key, spec.target) for spec in specs)
    return (keys if len(keys) > 1 else keys[0]), specs, name


def _name(key: tuple[str, Any], spec: Any) -> str:
    kind, value = key
    return f"{type(spec).__name__}@{value:x}" if kind == "sink" else str(value)


_signatures: dict[Any, tuple[Any, ...]] = {}


def get_pipeline(
    sink: SinkSpec = None, *, preset: str | None = None, **options: Unpack[Options]
) -> Pipeline:
    """The shared pipeline for *sink*, created on first use.

    Settings come from *preset* and *options*. Asking again for an existing destination with
    settings that differ from its own is a configuration error (two parts of a program would
    otherwise silently fight over one file's policy); asking without settings shares whatever
    the destination has.

    *sink* is a path, ``"stdout"``, ``"stderr"``, a ``Sink``, a dict naming one of those with
    per-sink options (``{"sink": "stderr", "level": "warning", "encoder": "console"}``, and for
    files ``rotation``, ``retention``, ``compression``), or a list of them. ``rotation``,
    ``retention``, ``compression`` and ``encoder`` among *options* apply to every sink.

    Raises:
        ConfigError: naming the option or the sink that is wrong.
    """
    return _get_pipeline(_Request(sink, preset, options))


class _Request:
    """One call's destination and settings, parsed and checked; nothing opened yet."""

    __slots__ = ("explicit", "explicit_sinks", "key", "name", "settings", "signature", "specs")

    def __init__(self, sink: SinkSpec, preset: str | None, options: Options) -> None:
        settings_options, sink_defaults = _split(dict(options))
        self.explicit = preset is not None or bool(settings_options)  # settings were given
        self.settings = resolve(preset, **settings_options)
        self.key, self.specs, self.name = _normalize(sink, sink_defaults)
        self.signature = tuple(spec.signature() for spec in self.specs)
        self.explicit_sinks = any(spec.explicit for spec in self.specs)

    def sink_options_differ(self) -> bool:
        """Sink options were given, and the destination already has others (lock held)."""
        return self.explicit_sinks and _signatures.get(self.key, self.signature) != self.signature


def _get_pipeline(request: _Request) -> Pipeline:
    with _lock:
        existing = _pipelines.get(request.key)
        if existing is not None and not existing.closed:
            if request.explicit and existing.settings != request.settings:
                diff = _difference(existing.settings, request.settings)
                raise ConfigError(
                    f"sink={request.name!r} is already in use with other settings ({diff}); "
                    "give the same preset and options, or none to share the existing ones"
                )
            if request.sink_options_differ():
                raise ConfigError(
                    f"sink={request.name!r} is already in use with other sink options (level, "
                    "encoder, rotation, retention or compression); give the same, or none to "
                    "share them"
                )
            return existing
        pipeline = Pipeline(
            [spec.make() for spec in request.specs],
            request.settings,
            name=request.name,
            sink_options=[spec.options for spec in request.specs],
        )
        _pipelines[request.key] = pipeline
        _signatures[request.key] = request.signature
        _live.add(pipeline)
        # Process-wide hooks (exit, fork, SIGTERM) come with the first pipeline, not at import.
        from . import _process

        _process.on_new_pipeline(request.settings)
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


def route(
    sink: SinkSpec = None,
    *,
    preset: str | None = None,
    level: Level = 0,
    **options: Unpack[Options],
) -> Route:
    """A route for an adapter: the default one for ``sink=None``, else a new one to *sink*."""
    if sink is None and preset is None and not options:
        return default_route()
    return Route(get_pipeline(sink, preset=preset, **options), _level(level))


def _level(value: Any, option: str = "level") -> int:
    try:
        return parse_level(value, option)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def configure(
    sink: SinkSpec = None,
    level: Level = "info",
    *,
    preset: str | None = None,
    **options: Unpack[Options],
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
    request = _Request(sink, preset, options)
    with _lock:
        existing = _pipelines.get(request.key)
        if existing is not None and not existing.closed:
            if request.sink_options_differ():
                raise ConfigError(
                    f"sink={sink!r}: level, encoder, rotation, retention or compression differ "
                    "from the pipeline already writing there; shutdown() it first"
                )
            existing.reconfigure(request.settings)
            pipeline = existing
        else:
            pipeline = _get_pipeline(request)
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
        _signatures.clear()
    ok = True
    for pipeline in pipelines:
        ok = pipeline.shutdown(timeout) and ok
    return ok


def hold(timeout: float) -> None:
    """Take every pipeline's lock and keep it: the process is about to end (SIGTERM, after its
    flush; ``_signals``). A thread in the middle of a synchronous write finishes it first, and
    later appends wait, so that no line is cut off by the end of the process. Waits at most
    *timeout* seconds in all."""
    deadline = time.monotonic() + timeout
    for pipeline in list(_live):
        # The pipeline's own lock (private to _pipeline): what every synchronous write and
        # every locked append takes. Reentrant, so a main thread inside fastlog gets it too.
        pipeline._lock.acquire(timeout=max(0.0, deadline - time.monotonic()))


class Stats(Counters):
    """Process-wide counters: the sum over all pipelines, internal errors by kind, and each
    pipeline's own counters by name."""

    errors_by_kind: dict[str, int]
    pipelines: dict[str, PipelineStats]


def stats() -> Stats:
    """Counters for this process (a forked child starts from zero)."""
    per = {p.name: p.stats() for p in list(_live)}
    dropped_by_level: dict[str, int] = {}
    sampled_by_level: dict[str, int] = {}
    for s in per.values():
        for level, count in s["dropped_by_level"].items():
            dropped_by_level[level] = dropped_by_level.get(level, 0) + count
        for level, count in s["sampled_by_level"].items():
            sampled_by_level[level] = sampled_by_level.get(level, 0) + count
    by_kind = _diagnostics.counts()
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
        "sampled": sum(s["sampled"] for s in per.values()),
        "sampled_by_level": sampled_by_level,
        "rate_limited": sum(s["rate_limited"] for s in per.values()),
        "pipelines": per,
    }


def after_fork_child() -> None:
    """In a forked child (``_process``): a fresh lock, and each pipeline starts over."""
    global _lock
    _lock = threading.RLock()
    for pipeline in list(_live):
        pipeline.after_fork_child()


def reopen() -> None:
    """Reopen every file sink by its path: after logrotate (or anyone) renamed the files.

    File sinks also notice a renamed or removed file by themselves before each write; this is
    for ``postrotate`` scripts and SIGHUP (see ``handle_sighup``). Safe from a signal handler:
    the reopen happens in the writer thread, before its next write.

    .. versionadded:: 0.2
    """
    for pipeline in list(_live):
        for sink in pipeline.sinks:
            hook = getattr(sink, "reopen", None)
            if hook is not None:
                try:
                    hook()
                except Exception as exc:
                    _diagnostics.report("sink", f"reopening {sink!r}: {type(exc).__name__}: {exc}")


def _reset() -> None:
    """Shut everything down and forget the default route: for test isolation only."""
    global _default
    shutdown(timeout=5.0)
    with _lock:
        _pipelines.clear()
        _live.clear()  # closed pipelines a test still references must not count in stats()
        _default = None
