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
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ._levels import ERROR, level_name, parse_level

__all__ = ["Sampler", "parse_rate", "parse_sampling"]

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


class Sampler:
    """The rules of one pipeline, with their counters. Thread-safe.

    1-in-N counters are ``itertools.count`` objects: ``next()`` is atomic under the GIL, so the
    kept/sampled split is exact with any number of threads. The rate limiter takes a lock (only
    pipelines with ``rate_limit`` pay for it).

    *clock* is what the rate limiter reads the time from (seconds, monotonic): a test hands in a
    fake one to move between windows without waiting.
    """

    __slots__ = (
        "_by_level",
        "_by_logger",
        "_clock",
        "_errors",
        "_lock",
        "_loggers",
        "_period",
        "_rate",
        "_windows",
        "rate_limited",
        "sampled",
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
        self._by_level = {levelno: (n, itertools.count()) for levelno, n in levels}
        # One counter per rule, shared by the loggers under it.
        self._loggers = {name: (n, itertools.count()) for name, n in loggers}
        # logger name -> the rule of its most specific configured ancestor (or itself), or
        # None: resolved once per name.
        self._by_logger: dict[str, tuple[int, itertools.count[int]] | None] = {}
        self._errors = sample_errors
        self._rate, self._period = rate if rate is not None else (0, 1.0)
        self._windows: dict[Any, list[float]] = {}  # template -> [window start, count]
        self._lock = threading.Lock()
        self._clock = clock
        self.sampled: dict[str, int] = {}  # sampled or rate limited away, by level name
        self.rate_limited = 0

    def keep(self, levelno: int, logger: str | None, template: Any) -> bool:
        """Whether to write this record; a record not kept is counted. Never raises."""
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
                return self._count(levelno)
        except Exception:  # pragma: no cover - an unhashable template: keep the record
            return True
        return True

    def _resolve(self, name: str) -> tuple[int, itertools.count[int]] | None:
        probe = name
        found = self._loggers.get(probe)
        while found is None and "." in probe:
            probe = probe.rpartition(".")[0]
            found = self._loggers.get(probe)
        if len(self._by_logger) < _MAX_KEYS:
            self._by_logger[name] = found
        return found

    def _admit(self, template: Any) -> bool:
        now = self._clock()
        with self._lock:
            window = self._windows.get(template)
            if window is None or now - window[0] >= self._period:
                if window is None and len(self._windows) >= _MAX_KEYS:
                    self._windows.clear()
                self._windows[template] = [now, 1]
                return True
            if window[1] < self._rate:
                window[1] += 1
                return True
            self.rate_limited += 1
            return False

    def _count(self, levelno: int) -> bool:
        name = level_name(levelno)
        with self._lock:
            self.sampled[name] = self.sampled.get(name, 0) + 1
        return False

    def counts(self) -> tuple[int, dict[str, int], int]:
        """``(sampled in total, by level, of which rate limited)``."""
        with self._lock:
            by_level = dict(self.sampled)
        return sum(by_level.values()), by_level, self.rate_limited
