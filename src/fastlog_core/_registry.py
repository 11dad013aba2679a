"""Which pipeline serves which destination, and the default route ``configure()`` changes.

One destination has one pipeline, whichever adapter asks for it: the path ``app.log`` asked for
by the stdlib handler, the structlog factory and the loguru sink is one buffer, one writer, one
order of lines. Process-wide hooks (exit, fork, signals) are ``_process`` and ``_signals``.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import weakref
from collections.abc import Mapping
from typing import Any, Unpack

import orjson

from . import _diagnostics, _encoders, _fields, _rotation, _terminal
from ._levels import INFO, level_name, parse_level
from ._logger_levels import LoggerLevels, parse_levels
from ._options import Level, Options, SinkSpec
from ._pipeline import Pipeline, PipelineStats, SinkOptions
from ._pipeline.accounting import Counters
from ._presets import (
    ENTRY_NAMES,
    OPTION_NAMES,
    SINK_OPTION_NAMES,
    Settings,
    check_options,
    did_you_mean,
    resolve,
)
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
_live: weakref.WeakSet[Pipeline] = weakref.WeakSet()
_default: Route | None = None
#: ``configure()``'s ``level`` and ``levels``: the level of each native logger's route.
_levels = LoggerLevels(INFO)
#: One route per logger name on the default pipeline, at that name's level; ``configure()``
#: updates each in place. Weak: a name nobody logs with any more costs nothing.
_named: weakref.WeakValueDictionary[str, Route] = weakref.WeakValueDictionary()


_FILE_OPTIONS = ("rotation", "retention", "compression")
_SPEC_KEYS = frozenset({"sink", "level", "encoder", *_FILE_OPTIONS})
#: The name ``configure()`` goes by in messages and notes.
CONFIGURE = "configure()"


#: Sink URLs: scheme -> (module of fastlog_core._network, class, the URL the class takes).
_URL_SCHEMES: dict[str, tuple[str, str, str]] = {
    "syslog+tcp": ("syslog", "SyslogSink", "tcp"),
    "syslog+udp": ("syslog", "SyslogSink", "udp"),
    "syslog+tls": ("syslog", "SyslogSink", "tls"),
    "syslog+unix": ("syslog", "SyslogSink", "unix"),
    "otlp+http": ("otlp", "OTLPSink", "http"),
    "otlp+https": ("otlp", "OTLPSink", "https"),
    "http": ("http", "HTTPSink", "http"),
    "https": ("http", "HTTPSink", "https"),
    "datadog": ("datadog", "DatadogSink", ""),
    "cloudwatch": ("cloudwatch", "CloudWatchSink", "cloudwatch"),
}


def _url_scheme(spec: str) -> str | None:
    """The scheme of a sink URL (``syslog+tcp://...``), None for a path; an unknown scheme
    fails, naming the accepted ones."""
    scheme, sep, _ = spec.partition("://")
    if not sep or os.sep in scheme or not scheme:
        return None
    if scheme.lower() not in _URL_SCHEMES:
        raise ConfigError(
            f"sink={spec!r}: unknown URL scheme {scheme!r}{did_you_mean(scheme, _URL_SCHEMES)} "
            f"(accepted: {', '.join(s + '://' for s in _URL_SCHEMES)}; a path for a file)"
        )
    return scheme.lower()


def _make_network(url: str, options: dict[str, Any]) -> Sink:
    """The network sink a URL names, its options from the sink dict's other keys."""
    import importlib
    import inspect

    scheme = _url_scheme(url)
    assert scheme is not None
    module, name, inner = _URL_SCHEMES[scheme]
    kind = getattr(importlib.import_module(f"fastlog_core._network.{module}"), name)
    # A class with a from_url(url, /, *, ..., **options) reads its URL itself (its own
    # keyword-only options, then the class's).
    make = getattr(kind, "from_url", None)
    accepted = []
    for target in (kind,) if make is None else (make, kind):
        params = inspect.signature(target).parameters.values()
        accepted += [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            break
    for option in options:
        if option not in accepted:
            raise ConfigError(
                f"sink={url!r}: unknown option {option!r}{did_you_mean(option, accepted)} "
                f"({name} takes {', '.join(accepted)})"
            )
    sink: Sink = (
        make(url, **options) if make is not None else kind(inner + url[len(scheme) :], **options)
    )
    return sink


def _key(spec: Any) -> tuple[str, Any]:
    """The registry key of one destination, without opening anything."""
    if isinstance(spec, str) and spec in ("stdout", "stderr"):
        return ("stream", spec)
    if isinstance(spec, str) and _url_scheme(spec) is not None:
        return ("url", spec)
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
    """One destination as asked for: the target, its per-sink options, its file options.

    Its options are *given* when they come in a dict, next to the other options, or inside a
    ``FileSink`` object; a bare path or stream name gives none (it shares the destination's).
    """

    __slots__ = (
        "auto",
        "encoder_given",
        "explicit",
        "file_options",
        "given",
        "key",
        "network_options",
        "options",
        "policy",
        "target",
    )

    def __init__(self, raw: Any, defaults: dict[str, Any]) -> None:
        given: dict[str, Any] = dict(defaults)
        self.explicit = bool(defaults) or isinstance(raw, (dict, FileSink))
        self.auto = False  # its format chosen by _terminal, not by the caller
        self.network_options: dict[str, Any] = {}
        if isinstance(raw, dict):
            target = raw.get("sink")
            if isinstance(target, str) and _url_scheme(target) is not None:
                # A network sink's own options (app_name=, spill=, ...): its class checks them.
                self.network_options = {k: v for k, v in raw.items() if k not in _SPEC_KEYS}
                raw = {k: v for k, v in raw.items() if k in _SPEC_KEYS}
            unknown = sorted(set(raw) - _SPEC_KEYS)
            if unknown or "sink" not in raw:
                what = (
                    f"unknown key {unknown[0]!r}{did_you_mean(unknown[0], _SPEC_KEYS)}"
                    if unknown
                    else "no 'sink' key"
                )
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
        self.encoder_given = "encoder" in given
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
        if isinstance(raw, FileSink):
            if self.file_options:
                raise ConfigError(
                    f"{next(iter(self.file_options))}=: give it to FileSink({raw.path!r}, ...) "
                    "itself"
                )
            self.file_options = {k: v for k, v in raw.file_options.items() if v is not None}
        # As given, for messages; compared normalized ("100 MB" is 100_000_000).
        self.given = {"level": given.get("level"), "encoder": given.get("encoder")}
        self.policy = (
            _rotation.parse_rotation(self.file_options.get("rotation")),
            _rotation.parse_retention(self.file_options.get("retention")),
            _rotation.parse_compression(self.file_options.get("compression")),
        )

    def choose_format(self, implicit: bool) -> None:
        """A standard stream nobody chose a format for: console lines on a terminal or when
        ``FASTLOG_FORMAT=console``, else JSON (``_terminal``)."""
        self.auto = True
        if _terminal.stream_format(self.key[1], implicit=implicit) == "console":
            self.options = SinkOptions(self.options.level, _encoders.ConsoleEncoder())
            self.given["encoder"] = "console"

    def make(self) -> Sink:
        spec = self.target
        if isinstance(spec, str) and spec in ("stdout", "stderr"):
            return StreamSink(spec)
        if isinstance(spec, str) and self.key[0] == "url":
            return _make_network(spec, self.network_options)
        if isinstance(spec, str):
            path = os.path.abspath(spec)
            try:
                return FileSink(path, **self.file_options)
            except OSError as exc:
                raise ConfigError(f"sink={path!r}: cannot open for appending: {exc}") from exc
        return spec  # type: ignore[no-any-return]  # a Sink, checked by _key

    def differences(
        self, new: _Spec, prefix: str, *, lenient: bool = False
    ) -> list[tuple[str, Any, Any]]:
        """``(option, this value, new value)`` for each per-sink option that differs; with
        *lenient*, an automatic format replaced by a chosen one is not a difference."""
        out: list[tuple[str, Any, Any]] = []
        if self.options.level != new.options.level:
            out.append((f"{prefix}level", self.given["level"], new.given["level"]))
        if lenient and self.auto and not new.auto:
            pass
        elif not _same_encoder(self.options, new.options):
            out.append((f"{prefix}encoder", self.given["encoder"], new.given["encoder"]))
        for name, mine, theirs in zip(_FILE_OPTIONS, self.policy, new.policy, strict=True):
            if mine != theirs:
                out.append(
                    (f"{prefix}{name}", self.file_options.get(name), new.file_options.get(name))
                )
        for name in sorted(set(self.network_options) | set(new.network_options)):
            mine, theirs = self.network_options.get(name), new.network_options.get(name)
            if mine != theirs:
                out.append((f"{prefix}{name}", mine, theirs))
        return out


def _same_encoder(a: SinkOptions, b: SinkOptions) -> bool:
    return SinkOptions(0, a.encoder) == SinkOptions(0, b.encoder)


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


class _Request:
    """One call's destination and settings, parsed and checked; nothing opened yet."""

    __slots__ = ("explicit", "given", "key", "name", "named_preset", "preset", "settings", "specs")

    def __init__(
        self, sink: SinkSpec, preset: str | None, options: Options, *, implicit: bool = False
    ) -> None:
        settings_options, sink_defaults = _split(dict(options))
        self.settings = resolve(preset, **settings_options)
        self.preset = "balanced" if preset is None else preset
        self.named_preset = preset  # None when the call named none (drop notes say so)
        self.given = settings_options  # as given, for messages
        self.key, self.specs, self.name = _normalize(sink, sink_defaults)
        # Settings were given: a preset, an option, or per-sink options.
        self.explicit = (
            preset is not None or bool(settings_options) or any(s.explicit for s in self.specs)
        )
        # A preset, format= or encoder= chooses the format, and so does a platform schema (its
        # lines are for that platform's ingestion; the console shows the default schema's
        # keys); otherwise a standard stream gets console lines on a terminal. *implicit*:
        # nobody configured anything (default_route).
        if (
            preset is None
            and "format" not in settings_options
            and self.settings.schema == "default"
        ):
            for spec in self.specs:
                if spec.key[0] == "stream" and not spec.encoder_given:
                    spec.choose_format(implicit)

    def defer_format(self, entry: _Entry) -> bool:
        """Let formats chosen by someone win over automatic ones, without a conflict.

        A destination's stream whose format this request left automatic keeps the format the
        destination has; returns whether this request chose a format for a stream whose
        format is automatic (the destination then takes it).
        """
        chosen = False
        for mine, theirs in zip(entry.specs, self.specs, strict=True):
            if theirs.auto and not mine.auto:
                theirs.auto = False
                theirs.options = SinkOptions(theirs.options.level, mine.options.encoder)
                theirs.given["encoder"] = mine.given["encoder"]
            elif mine.auto and not theirs.auto and not _same_encoder(mine.options, theirs.options):
                chosen = True
        return chosen


class _Entry:
    """A destination's pipeline and the settings it was given, and by whom.

    ``given_by`` is ``None`` while nobody gave settings (only bare paths asked for it, or the
    default route): the first call that gives some sets them, from any entry point.

    ``holders`` are the adapters' routes that gave or shared those settings; when the last is
    released (a closed ``FastlogHandler``: ``dictConfig`` closes its handlers before making
    new ones), settings given by adapters only are free again, so the next handler may give
    others. ``pinned``: ``get_pipeline()`` gave or shared them (no release exists there).
    """

    __slots__ = (
        "given",
        "given_by",
        "holders",
        "pinned",
        "pipeline",
        "preset",
        "settings",
        "specs",
    )

    def __init__(self, pipeline: Pipeline, request: _Request, given_by: str | None) -> None:
        self.pipeline = pipeline
        self.given_by = given_by
        self.holders: weakref.WeakSet[Route] = weakref.WeakSet()
        self.pinned = False
        self.take(request)

    def held(self) -> bool:
        """Whether someone other than ``configure()`` still stands by the given settings."""
        return self.given_by == CONFIGURE or self.pinned or len(self.holders) > 0

    def take(self, request: _Request) -> None:
        self.settings = request.settings
        self.preset = request.preset
        self.given = request.given
        self.specs = request.specs

    def differences(
        self, request: _Request, *, lenient: bool = False
    ) -> list[tuple[str, Any, Any]]:
        """``(option, current value, requested value)`` for every setting that differs (with
        *lenient*, not an automatic format the request replaces: ``_Spec.differences``)."""
        out: list[tuple[str, Any, Any]] = []
        old, new = self.settings, request.settings
        changed = [
            f.name
            for f in dataclasses.fields(Settings)
            if getattr(old, f.name) != getattr(new, f.name)
        ]
        if changed and self.preset != request.preset:
            out.append(("preset", self.preset, request.preset))
        out.extend(
            (
                name,
                self.given.get(name, _shown(name, getattr(old, name))),
                request.given.get(name, _shown(name, getattr(new, name))),
            )
            for name in changed
        )
        several = len(self.specs) > 1
        for mine, theirs in zip(self.specs, request.specs, strict=True):
            prefix = f"sink {_name(mine.key, mine.target)!r} " if several else ""
            out.extend(mine.differences(theirs, prefix, lenient=lenient))
        return out


def _shown(name: str, value: Any) -> Any:
    """A normalized setting as a user would write it (sampling rules as dicts, a rate as text)."""
    if name == "sample" and isinstance(value, tuple):
        return {level_name(level): n for level, n in value} or None
    if name in ("sample_loggers", "schema") and isinstance(value, tuple):
        return dict(value) or None
    if name == "static_fields" and isinstance(value, tuple):
        return {key: orjson.loads(text) for key, text in value} or None
    if name == "rate_limit" and isinstance(value, tuple):
        return f"{value[0]}/{value[1]:g}s"
    return value


def _describe(changes: list[tuple[str, Any, Any]], arrow: str = " vs ") -> str:
    return ", ".join(f"{name}={old!r}{arrow}{new!r}" for name, old, new in changes)


_entries: dict[Any, _Entry] = {}


def get_pipeline(
    sink: SinkSpec = None,
    *,
    preset: str | None = None,
    owner: str = "get_pipeline()",
    **options: Unpack[Options],
) -> Pipeline:
    """The shared pipeline for *sink*, created on first use.

    One destination has one set of settings (``docs/sinks.md``, "One destination, one set of
    settings"): asking without settings shares the destination's; asking with the settings it
    has shares it too; asking with other settings is a ``ConfigError`` naming each option and
    both values, unless nobody gave the destination's settings yet (they were defaults), in
    which case these become its settings. Only ``configure()`` replaces settings given before.

    *sink* is a path, ``"stdout"``, ``"stderr"``, a ``Sink``, a dict naming one of those with
    per-sink options (``{"sink": "stderr", "level": "warning", "encoder": "console"}``, and for
    files ``rotation``, ``retention``, ``compression``), or a list of them. ``rotation``,
    ``retention``, ``compression`` and ``encoder`` among *options* apply to every sink.
    *owner* names the caller in messages (``"FastlogHandler"``).

    Raises:
        ConfigError: naming the option or the sink that is wrong, or each setting that differs
            from the destination's.
    """
    check_options(options, OPTION_NAMES | ENTRY_NAMES, owner=owner)
    request = _Request(sink, preset, options)
    with _lock:
        pipeline = _get_pipeline(request, owner)
        if request.explicit:
            _entries[request.key].pinned = True
        return pipeline


def _get_pipeline(request: _Request, owner: str) -> Pipeline:
    with _lock:
        entry = _entries.get(request.key)
        if entry is None or entry.pipeline.closed:
            return _create(request, owner if request.explicit else None).pipeline
        if request.explicit:
            chosen = request.defer_format(entry)
            changes = entry.differences(request, lenient=True)
            if changes and entry.given_by is not None and not entry.held():
                entry.given_by = None  # whoever gave them has released them
            if changes and entry.given_by is not None:
                raise ConfigError(
                    f"{owner}: sink={request.name!r} already has other settings, given by "
                    f"{entry.given_by}: {_describe(changes)} (its value vs the one asked here). "
                    "Give the same options, or none to share them; fastlog_core.configure() "
                    "replaces them"
                )
            if changes or chosen:  # defaults nobody asked for: the first settings given
                _apply(entry, request)
            else:
                _close_unused(request, entry.pipeline)
            if entry.given_by is None:
                entry.given_by = owner
        return entry.pipeline


def _create(request: _Request, given_by: str | None) -> _Entry:
    sinks = [spec.make() for spec in request.specs]
    settings = _effective(request, sinks)
    pipeline = Pipeline(
        sinks,
        settings,
        name=request.name,
        sink_options=[spec.options for spec in request.specs],
        preset=request.named_preset,
    )
    entry = _entries[request.key] = _Entry(pipeline, request, given_by)
    _live.add(pipeline)
    # Process-wide hooks (exit, fork, SIGTERM) come with the first pipeline, not at import.
    from . import _process

    _process.on_new_pipeline(settings)
    return entry


def _effective(request: _Request, sinks: list[Sink]) -> Settings:
    """The settings the pipeline runs: written in the caller when a sink is a terminal.

    A terminal's reader sees ``print()`` and log lines together, and ``python -i`` prints its
    prompt right after the call: a writer thread would show the lines late and out of order.
    Synchronous writes keep the call order; a terminal is not where throughput matters, and
    every other destination keeps its writer thread. ``sync=False`` given explicitly keeps the
    writer thread on a terminal too.
    """
    settings = request.settings
    if (
        settings.sync
        or request.given.get("sync") is False
        or not any(isinstance(s, StreamSink) and s.isatty() for s in sinks)
    ):
        return settings
    return dataclasses.replace(settings, sync=True)


def _apply(entry: _Entry, request: _Request) -> None:
    """Give *entry*'s live pipeline *request*'s settings and sinks, in place (lock held).

    The pipeline object stays the same, so every logger, handler and sink routed to it
    follows. A file whose rotation options changed gets a new ``FileSink`` (opened first: a
    path that cannot be opened fails before anything changes); a ``FileSink`` object given
    replaces the destination's.
    """
    pipeline = entry.pipeline
    current = pipeline.sinks
    sinks: list[Sink] = []
    made: list[Sink] = []  # opened here: closed again if the change does not happen
    try:
        for old_spec, old_sink, spec in zip(entry.specs, current, request.specs, strict=True):
            if isinstance(spec.target, FileSink):
                sinks.append(spec.target)
            elif spec.key[0] == "file" and old_spec.policy != spec.policy:
                made.append(spec.make())
                sinks.append(made[-1])
            else:
                sinks.append(old_sink)
        options = [spec.options for spec in request.specs]
        if sinks != current or options != pipeline.sink_options:
            replaced = pipeline.replace_sinks(sinks, options)
        else:
            replaced = []
    except BaseException:
        for sink in made:
            _close(sink)
        raise
    for sink in replaced:
        _close(sink)
    settings = _effective(request, sinks)
    pipeline.reconfigure(settings, request.named_preset)
    entry.take(request)
    from . import _process

    _process.on_new_pipeline(settings)


def _close_unused(request: _Request, pipeline: Pipeline) -> None:
    """A ``FileSink`` object given with the destination's own options is not used: its file
    descriptor is released (it would otherwise stay open until garbage collection)."""
    for spec in request.specs:
        if isinstance(spec.target, FileSink) and spec.target not in pipeline.sinks:
            _close(spec.target)


def _close(sink: Sink) -> None:
    try:
        sink.close()
    except Exception as exc:
        _diagnostics.report("close", f"{sink!r}: {type(exc).__name__}: {exc}")


def default_route() -> Route:
    """The process-wide route: stdout with ``balanced`` until ``configure()`` says otherwise
    (console lines when stdout is a terminal: ``_terminal``)."""
    global _default
    route = _default
    if route is None:
        with _lock:
            if _default is None:
                request = _Request("stdout", None, {}, implicit=True)
                _default = Route(_get_pipeline(request, "get_pipeline()"), INFO)
            route = _default
    return route


def logger_route(name: str) -> Route:
    """The default route for the logger *name*: the default pipeline, at the level
    ``configure(level=..., levels=...)`` gives that name.

    One object per name, shared by every logger of that name and updated in place by
    ``configure()``: the level is resolved when the route is made, not per call.
    """
    route = _named.get(name)
    if route is None:
        default = default_route()
        with _lock:
            route = _named.get(name)
            if route is None:
                route = _named[name] = Route(default.pipeline, _levels.of(name))
    return route


def route(
    sink: SinkSpec = None,
    *,
    preset: str | None = None,
    level: Level = 0,
    owner: str = "route()",
    **options: Unpack[Options],
) -> Route:
    """A route for an adapter: the default one for ``sink=None``, else a new one to *sink*.

    *owner* names the adapter in error messages (``"FastlogHandler"``); the rules for a
    destination that already has settings are ``get_pipeline``'s.
    """
    if sink is None and preset is None and not options:
        return default_route()
    check_options(options, OPTION_NAMES | ENTRY_NAMES | {"level"}, owner=owner)
    threshold = _level(level)
    request = _Request(sink, preset, options)
    with _lock:
        made = Route(_get_pipeline(request, owner), threshold)
        if request.explicit:
            _entries[request.key].holders.add(made)
    return made


def release(held: Route) -> None:
    """*held* (a route from :func:`route`) no longer stands by its destination's settings.

    For an adapter's close (``FastlogHandler.close()``): once every route that gave or shared
    a destination's settings is released, the next adapter may give it other settings instead
    of getting a ``ConfigError``. Settings ``configure()`` or ``get_pipeline()`` gave stay.
    The pipeline itself stays open (others may write to it). Releasing twice is harmless.
    """
    with _lock:
        for entry in _entries.values():
            entry.holders.discard(held)


def _level(value: Any, option: str = "level") -> int:
    try:
        return parse_level(value, option)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def configure(
    sink: SinkSpec = None,
    level: Level = "info",
    *,
    levels: Mapping[str, Level] | None = None,
    preset: str | None = None,
    **options: Unpack[Options],
) -> None:
    """Set where records go by default, from which level, and the destination's settings.

    Optional: unconfigured, records at INFO and above go to stdout with the ``balanced``
    preset, as console lines when stdout is a terminal and as JSON otherwise. Calling it again
    redirects existing loggers (they share the default route).

    stdout or stderr as the destination, with no ``preset``, ``format``, ``encoder`` or platform
    ``schema`` given, is written as the ``dev`` preset's console lines when it is a terminal and
    as JSON otherwise; ``FASTLOG_FORMAT=json`` or ``console`` in the environment decides instead
    of the terminal test (``docs/presets.md``).

    ``configure()`` is the application's own word on its destination: the destination gets
    exactly the settings given here (the preset's for what is not given), also when it is
    already in use, and every logger, handler and sink writing there follows. When that
    changes settings someone gave before (an earlier ``configure()``, a ``FastlogHandler``'s
    options), the destination's stream gets one record saying so: logger ``fastlog``, level
    ``info``, ``changed`` mapping each option to its old and new value. Identical settings
    change nothing.

    Args:
        sink: A path, ``"stdout"``, ``"stderr"``, a ``Sink``, or a list of them.
        level: The lowest level written, as a name (``"info"``) or number (``20``).
        levels: Levels of particular loggers of the native API, e.g.
            ``{"sqlalchemy.engine": "warning", "app.payments": "debug"}``: a key covers the
            logger of that name and its children (``"app"`` covers ``app.db``, not ``apple``),
            the most specific key wins, and *level* applies to the others. Resolved once per
            logger name, so a call below its logger's level costs what any filtered call
            costs. ``fastlog_structlog.configure()`` takes the same; stdlib ``logging`` has
            its own per-logger levels (``logging.getLogger(name).setLevel``).
        preset: ``"balanced"`` (default), ``"fastest"``, ``"durable"`` or ``"dev"``.
        **options: Individual settings on top of the preset (see ``Settings``).

    Raises:
        ConfigError: for an unknown option or a bad value (``levels`` included, and a bad
            ``FASTLOG_FORMAT`` when the destination is stdout or stderr), naming it; nothing
            is changed then.

    .. versionchanged:: 0.3
       ``levels=``; console lines on a terminal when no format is chosen.
    """
    check_options(options, OPTION_NAMES | ENTRY_NAMES | {"level", "levels"}, owner=CONFIGURE)
    threshold = _level(level)
    rules = parse_levels(levels)
    request = _Request(sink, preset, options)
    with _lock:
        entry = _entries.get(request.key)
        if entry is None or entry.pipeline.closed:
            entry = _create(request, CONFIGURE)
        else:
            changes = entry.differences(request)
            if changes:
                _apply(entry, request)
                if entry.given_by is not None:
                    _note(entry.pipeline, entry.given_by, changes)
                entry.given_by = CONFIGURE
            else:
                _close_unused(request, entry.pipeline)
                entry.given_by = entry.given_by or CONFIGURE
        pipeline = entry.pipeline
        global _default, _levels
        if _default is None:
            _default = Route(pipeline, threshold)
        else:
            _default.pipeline = pipeline
            _default.level = threshold
        _levels = LoggerLevels(threshold, rules)
        for name, named in list(_named.items()):
            named.level = _levels.of(name)
            named.pipeline = pipeline


def _note(pipeline: Pipeline, given_by: str, changes: list[tuple[str, Any, Any]]) -> None:
    """The record ``configure()`` writes when it replaces settings someone gave."""
    message = (
        f"{CONFIGURE} changed the settings of {pipeline.name} (given by {given_by}): "
        + _describe(changes, " -> ")
    )
    record = {
        "timestamp": _encoders.json.timestamp(),
        "level": "info",
        "logger": "fastlog",
        "message": message,
        "changed": {name: [old, new] for name, old, new in changes},
    }
    pipeline.appender.emit(pipeline.shape(record, INFO), INFO)


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
        _entries.clear()
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
    """Process-wide counters: the sum over all pipelines, internal errors by kind, each
    pipeline's own counters by name, and whether the C speedups are in use."""

    errors_by_kind: dict[str, int]
    pipelines: dict[str, PipelineStats]
    #: True when ``fastlog_core._speedups`` (C) is in use; False on the pure-Python path
    #: (no compiler at install time, ``FASTLOG_NO_SPEEDUPS=1``, a free-threaded interpreter).
    speedups: bool


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
        "speedups": _fields.SPEEDUPS,
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
    global _default, _levels
    shutdown(timeout=5.0)
    with _lock:
        _entries.clear()
        _live.clear()  # closed pipelines a test still references must not count in stats()
        _default = None
        _named.clear()
        _levels = LoggerLevels(INFO)
