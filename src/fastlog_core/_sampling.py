"""Sampling and rate limiting: fewer records on purpose, every one of them counted.

Consulted by the adapters *before* a record is built, so a sampled-away call costs a level check,
a dict lookup and a counter (``benchmarks/bench_pipeline.py``), less than a written record. Three
rules, checked in this order:

- ``sample={"debug": 100}``: keep 1 record in N at that level (the 1st, the N+1th, ...), exactly;
- ``sample_loggers={"urllib3": 10}``: keep 1 in N from that logger and its children
  (``urllib3.connectionpool``), the most specific name winning;
- ``rate_limit=100`` (or ``"100/s"``, ``"6000/min"``): at most N records per second for each
  message template (the format string before ``%``-interpolation; loguru hands over the
  formatted message, which is then the key), in fixed one-second windows.

ERROR and above are never sampled or rate limited unless ``sample_errors=True``; listing such a
level in ``sample`` without it is a configuration error rather than a silent no-op.
"""

from __future__ import annotations

import itertools
import re
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from ._levels import ERROR, level_name, parse_level
from ._logger_levels import most_specific

__all__ = ["Sampler", "after_fork_child", "parse_rate", "parse_sampling"]

_RATE = re.compile(r"^\s*(\d+)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*$", re.IGNORECASE)
_PER = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0}
_PER |= {"h": 3600.0, "hour": 3600.0}
_MAX_KEYS = 10_000  # distinct templates tracked by the rate limiter; beyond, windows restart


def _ratio(value: object, option: str, key: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ValueError(
        f"{option}={{{key!r}: {value!r}}}: expected a whole number N >= 1 (keep 1 in N)"
    )


def parse_sampling(
    sample: object, sample_loggers: object, sample_errors: bool
) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[str, int], ...]]:
    """Validated ``(level, N)`` and ``(logger, N)`` pairs. Raises ValueError naming the option."""
    levels: list[tuple[int, int]] = []
    if sample is not None:
        if not isinstance(sample, Mapping):
            raise ValueError(
                f"sample={sample!r}: expected a mapping of level to N, e.g. {{'debug': 10}}"
            )
        for key, value in sample.items():
            try:
                levelno = parse_level(key, "sample")
            except ValueError as exc:
                raise ValueError(f"sample={{{key!r}: ...}}: {exc}") from None
            if levelno >= ERROR and not sample_errors:
                raise ValueError(
                    f"sample={{{key!r}: {value!r}}}: ERROR and above are never sampled unless "
                    "sample_errors=True"
                )
            levels.append((levelno, _ratio(value, "sample", key)))
    loggers: list[tuple[str, int]] = []
    if sample_loggers is not None:
        if not isinstance(sample_loggers, Mapping):
            raise ValueError(
                f"sample_loggers={sample_loggers!r}: expected a mapping of logger name to N"
            )
        for key, value in sample_loggers.items():
            if not isinstance(key, str) or not key:
                raise ValueError(f"sample_loggers={{{key!r}: ...}}: expected a logger name")
            loggers.append((key, _ratio(value, "sample_loggers", key)))
    return tuple(sorted(levels)), tuple(sorted(loggers))


def parse_rate(value: object) -> tuple[int, float] | None:
    """``(records, seconds)`` from ``100``, ``"100/s"``, ``"6000/min"``; ValueError naming it."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value, 1.0
    if isinstance(value, str):
        m = _RATE.match(value)
        if m and int(m.group(1)) >= 1:
            return int(m.group(1)), _PER[(m.group(2) or "s").lower()]
    raise ValueError(
        f"rate_limit={value!r}: expected records per second (100) or a rate such as "
        "'100/s', '6000/min', '10000/hour'"
    )


class _Window:
    """One template's rate-limit window: when it started and the tickets it has handed out.

    The window admits the first ``rate`` tickets (``next()`` on an ``itertools.count``, atomic
    under the GIL). Its successor is chosen once, by ``dict.setdefault`` on ``after``, which is
    atomic too: every thread, or signal handler, that finds this window over agrees on the same
    successor, so no window admits more than the rate, and no lock is needed.
    """

    __slots__ = ("after", "start", "tickets")

    def __init__(self, start: float) -> None:
        self.start = start
        self.tickets = itertools.count()
        self.after: dict[int, _Window] = {}


def _peek(counter: itertools.count[int]) -> int:
    """The next value *counter* would return, without consuming it."""
    return int(repr(counter)[6:-1])


_live: weakref.WeakSet[Sampler] = weakref.WeakSet()


def after_fork_child() -> None:
    """In a forked child (``_process``): every sampler starts from zero, as ``stats()`` does."""
    for sampler in list(_live):
        sampler.reset()


class Sampler:
    """The rules of one pipeline, with their counters. Thread-safe, and takes no lock.

    No lock, because a signal handler may log (docs/architecture.md): it runs in the main
    thread between two bytecodes, possibly while that thread is in here, and a non-reentrant
    lock held by the interrupted code would deadlock it; a lock held by another thread at
    ``fork()`` would hang the child. Every shared update is one atomic C call under the GIL
    instead: 1-in-N counters and the sampled counts are ``itertools.count`` objects (``next()``),
    and rate-limit windows change hands through ``dict.setdefault`` (``_Window``). The
    kept/sampled split and the rate limits are exact with any number of threads and handlers.

    *clock* is what the rate limiter reads the time from (seconds, monotonic): a test hands in a
    fake one to move between windows without waiting.
    """

    __slots__ = (
        "__weakref__",
        "_by_level",
        "_by_logger",
        "_clock",
        "_errors",
        "_levels",
        "_logger_rules",
        "_loggers",
        "_period",
        "_rate",
        "_rate_limited",
        "_sampled",
        "_windows",
    )

    def __init__(
        self,
        levels: tuple[tuple[int, int], ...],
        loggers: tuple[tuple[str, int], ...],
        rate: tuple[int, float] | None,
        sample_errors: bool,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._levels = levels
        self._logger_rules = loggers
        self._errors = sample_errors
        self._rate, self._period = rate if rate is not None else (0, 1.0)
        self._clock = clock
        self.reset()
        _live.add(self)

    def reset(self) -> None:
        """Counters and windows from zero: at creation and in a forked child."""
        self._by_level = {levelno: (n, itertools.count()) for levelno, n in self._levels}
        # One counter per rule, shared by the loggers under it.
        self._loggers = {name: (n, itertools.count()) for name, n in self._logger_rules}
        # logger name -> the rule of its most specific configured ancestor (or itself), or
        # None: resolved once per name.
        self._by_logger: dict[str, tuple[int, itertools.count[int]] | None] = {}
        self._windows: dict[Any, _Window] = {}  # template -> its current window
        self._sampled: dict[int, itertools.count[int]] = {}  # not kept, by level number
        self._rate_limited = itertools.count()

    def keep(self, levelno: int, logger: str | None, template: Any) -> bool:
        """Whether to write this record; a record not kept is counted. Never raises, never
        blocks: safe from a signal handler."""
        try:
            rule = self._by_level.get(levelno)
            if rule is not None and next(rule[1]) % rule[0]:
                return self._count(levelno)
            if levelno >= ERROR and not self._errors:
                return True
            if self._loggers:
                name = logger or "root"
                found = self._by_logger[name] if name in self._by_logger else self._resolve(name)
                if found is not None and next(found[1]) % found[0]:
                    return self._count(levelno)
            if self._rate and not self._admit(template):
                next(self._rate_limited)
                return self._count(levelno)
        except Exception:  # pragma: no cover - an unhashable template: keep the record
            return True
        return True

    def _resolve(self, name: str) -> tuple[int, itertools.count[int]] | None:
        found = most_specific(self._loggers, name)
        if len(self._by_logger) < _MAX_KEYS:
            self._by_logger[name] = found
        return found

    def _admit(self, template: Any) -> bool:
        """Whether *template*'s window at this moment has a ticket left (taking it)."""
        now = self._clock()
        windows = self._windows
        window = windows.get(template)
        if window is None:
            if len(windows) >= _MAX_KEYS:
                windows.clear()
            window = windows.setdefault(template, _Window(now))
        if now - window.start >= self._period:
            # Over: move to its successor, the same one for every caller (a caller that read
            # the clock late may find several windows passed, and follows them).
            while now - window.start >= self._period:
                window = window.after.get(0) or window.after.setdefault(0, _Window(now))
            windows[template] = window
        return next(window.tickets) < self._rate

    def _count(self, levelno: int) -> bool:
        counter = self._sampled.get(levelno)
        if counter is None:
            counter = self._sampled.setdefault(levelno, itertools.count())
        next(counter)
        return False

    def counts(self) -> tuple[int, dict[str, int], int]:
        """``(sampled in total, by level, of which rate limited)``."""
        by_level: dict[str, int] = {}
        for levelno, counter in list(self._sampled.items()):
            name = level_name(levelno)
            by_level[name] = by_level.get(name, 0) + _peek(counter)
        return sum(by_level.values()), by_level, _peek(self._rate_limited)
