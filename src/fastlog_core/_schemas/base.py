"""What every platform schema shares: the ``Schema`` base, level clamping and caching, the key
tables that decide what is copied and what is renamed, and the current span's ids."""

from __future__ import annotations

import datetime
import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from .. import _diagnostics
from .._encoders.json import ERROR_KEY, RENAME_PREFIX
from .._levels import LEVEL_NAMES

CORE_KEYS: Final = ("timestamp", "level", "logger", "message")

# ---------------------------------------------------------------------------------------------
# Levels. Each function maps any level number (stdlib's scale: TRACE 5 ... CRITICAL 50) to the
# platform's value, monotonically; the text it produces always reads back through
# _levels.levelno_of, which the writer uses to filter lines per sink.


def clamp(levelno: Any) -> int:
    try:
        number = int(levelno)
    except Exception:
        return 0
    return number if number > 0 else 0


CACHED_LEVELS = 256


class LevelCache(dict[Any, Any]):
    """A schema's level values by number: ``cache[levelno]``. The standard numbers are filled
    up front; another number is converted on first use and kept when below ``CACHED_LEVELS``
    (bounded; setting an item is atomic). A hit is one dict lookup, in C."""

    __slots__ = ("_convert",)

    def __init__(self, convert: Callable[[int], Any]) -> None:
        super().__init__((n, convert(n)) for n in LEVEL_NAMES)
        self._convert = convert

    def __missing__(self, levelno: Any) -> Any:
        value = self._convert(levelno)
        if type(levelno) is int and 0 <= levelno < CACHED_LEVELS:
            self[levelno] = value
        return value


# ---------------------------------------------------------------------------------------------
# Copying the rest of the record. Each schema has a table of the keys it treats specially:
# input keys it consumes (always, or when their group is present in the record) and output keys
# it writes (a user field with that name moves to "fields.<name>", as the core does).

LOC: Final = 1  # file, line, function: all three present
PROC: Final = 2  # process, process_name
THREAD: Final = 4  # thread, thread_name
EXC: Final = 8  # exception: the core's {"type", "message", "traceback"}
LABELS: Final = 16  # gcp: a user's logging.googleapis.com/labels dict, merged
CORE: Final = 32  # timestamp, level, logger, message: always consumed
RENAME: Final = 64  # the schema writes this key
HTTP: Final = 128  # the default schema's HTTP fields (http.py): present with their marker

#: The core's optional groups of keys, each consumed whole when the schema places the group.
GROUPS: Final = {
    "file": LOC,
    "line": LOC,
    "function": LOC,
    "process": PROC,
    "process_name": PROC,
    "thread": THREAD,
    "thread_name": THREAD,
    "exception": EXC,
}

Plan = tuple[frozenset[str], tuple[str, ...] | None, frozenset[str]]


class Keys:
    """One schema's key table: what ``copy_rest`` skips and what it renames.

    Args:
        kinds: input keys it consumes (always, or with their group) and keys it writes.
        same: core keys the schema writes under their own name with the input's value
            (``message``, Datadog's ``timestamp``): copying them again changes nothing.
        grouped: keys the schema writes only with a group (the group's bit): a field named
            like one is moved aside only in a record that has the group.
    """

    __slots__ = ("_grouped", "_same", "_written", "kinds", "plans")

    def __init__(
        self, kinds: dict[str, int], same: Iterable[str] = (), grouped: Mapping[str, int] = {}
    ) -> None:
        self.kinds = kinds
        self._same = frozenset(same)
        self._written = frozenset(key for key, kind in kinds.items() if kind & RENAME)
        self._grouped = dict(grouped)
        #: Per combination of consumed groups, made on first use (setting an item is atomic).
        self.plans: dict[int, Plan] = {}
        self.plan(CORE)

    def plan(self, consumed: int) -> Plan:
        """For these consumed groups: the input keys not copied; the keys to remove after
        ``out.update(fields)`` (``None`` when a skipped key is also one the schema writes: it
        would be overwritten, then removed); the written keys a copied field could clash with.
        """
        written = self._written.union(
            key for key, group in self._grouped.items() if group & consumed
        )
        skip = frozenset(key for key, kind in self.kinds.items() if kind & consumed)
        safe = written.isdisjoint(skip - self._same)
        drops = tuple(key for key in skip if key not in self._same) if safe else None
        plan = (skip, drops, written - skip)
        self.plans[consumed] = plan
        return plan


def key_tables(
    consumed: Mapping[str, int],
    written: Iterable[str],
    soft: Iterable[str] = (),
    same: Iterable[str] = (),
    grouped: Mapping[str, int] = {},
) -> tuple[Keys, Keys]:
    """The key tables without and with trace ids (``soft`` keys are written only in a span,
    ``grouped`` ones only with their group)."""
    kinds = {key: RENAME for key in written}
    for key, bit in consumed.items():
        kinds[key] = kinds.get(key, 0) | bit
    for key in CORE_KEYS:
        kinds[key] = kinds.get(key, 0) | CORE
    for key in grouped:
        kinds.setdefault(key, 0)  # listed, so the tests find every key a schema may write
    traced = dict(kinds)
    for key in soft:
        traced[key] = traced.get(key, 0) | RENAME
    return Keys(kinds, same, grouped), Keys(traced, same, grouped)


def aside(key: str, out: Mapping[Any, Any]) -> str:
    name = RENAME_PREFIX + key
    while name in out:
        name = RENAME_PREFIX + name
    return name


def copy_rest(fields: Mapping[Any, Any], out: dict[Any, Any], keys: Keys, consumed: int) -> None:
    """Copy the fields *out* has not taken, renaming those named like a key the schema writes."""
    plan = keys.plans.get(consumed)
    if plan is None:
        plan = keys.plan(consumed)
    skip, drops, clashes = plan
    if clashes.isdisjoint(fields):  # the common case
        if drops is not None:  # a C-level update, then a few removals
            out.update(fields)
            for key in drops:
                out.pop(key, None)
            return
        for key, value in fields.items():
            if key not in skip:
                out[key] = value  # noqa: PERF403 - a comprehension is slower on 3.11
        return
    renamed = False
    for key, value in fields.items():
        if key in skip:
            continue
        if key in clashes or (renamed and key in out):
            # the schema's own key, or "fields.x" after a field was renamed to "fields.x"
            out[aside(key, out)] = value
            renamed = True
        else:
            out[key] = value


_EPOCH: Final = datetime.datetime(1970, 1, 1)
_EPOCH_UTC: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def epoch_nanos(ts: Any) -> Any:
    """A ``timestamp`` value (naive UTC or aware ``datetime``, or an ISO string) as a decimal
    string of nanoseconds since the epoch; any other value, or a string that does not parse,
    is returned as it is."""
    if isinstance(ts, datetime.datetime):
        delta = ts - (_EPOCH if ts.tzinfo is None else _EPOCH_UTC)
        return str(((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1000)
    if isinstance(ts, str):
        try:
            parsed = datetime.datetime.fromisoformat(ts)
        except ValueError:
            return ts
        return epoch_nanos(parsed)  # a naive one is UTC, as the core writes it
    return ts


# ---------------------------------------------------------------------------------------------
# Trace context: opentelemetry imported once, on first need.

_UNRESOLVED: Final[Any] = object()
_otel: Any = _UNRESOLVED  # (get_current_span, INVALID_SPAN), or None without opentelemetry


def otel_api() -> tuple[Callable[[], Any], Any] | None:
    """``opentelemetry.trace``'s ``get_current_span`` and ``INVALID_SPAN``, imported once."""
    global _otel
    if _otel is _UNRESOLVED:
        try:
            trace = importlib.import_module("opentelemetry.trace")
            _otel = (trace.get_current_span, trace.INVALID_SPAN)
        except Exception:  # not installed, or broken: no ids
            _otel = None
    result: tuple[Callable[[], Any], Any] | None = _otel
    return result


def ddtrace_api() -> tuple[Any, Any] | None:
    """ddtrace's global tracer and its ``config``, when the application has imported ddtrace
    (``ddtrace-run``, ``import ddtrace.auto``, ``import ddtrace``); ``None`` otherwise.

    Never imports it: importing ddtrace starts its machinery (a tracer, patching, a writer to
    the agent), which only the application may decide to do. Read when a schema is resolved.
    """
    trace = sys.modules.get("ddtrace.trace")
    root = sys.modules.get("ddtrace")
    if trace is None or root is None:
        return None
    try:
        return (trace.tracer, root.config)
    except AttributeError:  # ddtrace half imported (fastlog configured during its import)
        return None


class Schema:
    """A platform's layout for records: ``apply`` turns the core's dict into it.

    Attributes:
        name: ``"ecs"``, ``"gcp"``, ``"datadog"``, ``"otel"`` or ``"mapping"``.
        level_key: The output key holding the level as text (``None`` if a mapping dropped it).
    """

    __slots__ = ("_cache", "_current_span", "_invalid_span", "level_key", "name")

    def __init__(self, name: str, level_key: str | None, *, traced: bool = True) -> None:
        self.name = name
        self.level_key = level_key
        api = otel_api() if traced else None
        self._current_span: Callable[[], Any] | None = api[0] if api is not None else None
        self._invalid_span: Any = api[1] if api is not None else None
        self._cache: tuple[Any, Any] = (None, None)

    def apply(self, fields: dict[str, Any], levelno: int) -> dict[str, Any]:
        """The record in this schema, as a new dict (*fields* is not changed). Never raises:
        if converting fails, the core's record is returned with ``fastlog_error`` set, and the
        failure is counted (``_diagnostics``, kind ``"schema"``).

        Each subclass's docstring gives its cost, measured with ``timeit`` (best of 7 x 100,000
        calls) on the development machine (Python 3.11, 2 shared cores), for a record of the 4
        core keys and 3 fields, and for the same with location, process, thread and an
        exception. For scale: ``orjson.dumps`` of that 7-key record takes ~150 ns there.
        """
        raise NotImplementedError  # pragma: no cover - every schema overrides it

    def _ids(self, trace_id: int, span_id: int, flags: int) -> Any:
        """The schema's form of a span's ids (computed once per span)."""
        raise NotImplementedError  # pragma: no cover

    def _trace(self) -> Any:
        """The current span's ids in this schema's form, or ``None`` outside a valid span."""
        current = self._current_span
        if current is None:
            return None
        try:
            span = current()
            if span is self._invalid_span:
                return None
            ctx = span.get_span_context()
            cache = self._cache
            if cache[0] is ctx:  # the cache holds ctx, so its id cannot be reused meanwhile
                return cache[1]
            if not ctx.is_valid:
                return None
            ids = self._ids(ctx.trace_id, ctx.span_id, int(ctx.trace_flags))
            self._cache = (ctx, ids)
            return ids
        except Exception as exc:
            reason = f"{self.name}: could not read the current span ({type(exc).__name__})"
            _diagnostics.report("schema", reason)
            return None

    def _failed(self, fields: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
        """The record as the core built it, marked: what a schema that cannot apply returns."""
        try:
            reason = f"schema {self.name!r} could not be applied ({type(exc).__name__})"
            _diagnostics.report("schema", reason)
            out = dict(fields)
            out[ERROR_KEY] = reason
            return out
        except Exception:
            return {"message": "a record could not be converted", ERROR_KEY: "schema"}

    def __repr__(self) -> str:
        return f"<fastlog schema {self.name!r}, level in {self.level_key!r}>"
