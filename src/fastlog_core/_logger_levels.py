"""Per-logger levels: ``levels={"sqlalchemy.engine": "warning"}`` and the dotted-prefix rule.

A key names a logger and its children: ``"app"`` covers ``app`` and ``app.db`` but not
``apple``; the most specific key wins, and a logger no key covers gets ``level``. The rule is
resolved once per logger name (when the logger is made, and again by ``configure()``), never
per call: a call below its logger's level costs the same comparison as any call below the
global level. ``sample_loggers`` uses the same rule (``most_specific``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from ._levels import parse_level
from .exceptions import ConfigError

__all__ = ["LoggerLevels", "most_specific", "parse_levels"]

_T = TypeVar("_T")
#: Names resolved and remembered per ``LoggerLevels``; beyond, names are resolved each time
#: (a program that makes a logger name per request must not grow the cache without bound).
_MAX_NAMES = 10_000


def most_specific(rules: Mapping[str, _T], name: str) -> _T | None:
    """The value of the most specific key covering *name*: its own, else its nearest
    ancestor's (``"app"`` covers ``"app.db"``, not ``"apple"``); ``None`` when none does."""
    probe = name
    found = rules.get(probe)
    while found is None and "." in probe:
        probe = probe.rpartition(".")[0]
        found = rules.get(probe)
    return found


_EXAMPLE = "{'sqlalchemy.engine': 'warning', 'app.payments': 'debug'}"


def parse_levels(value: object, option: str = "levels") -> dict[str, int]:
    """``levels=`` checked: logger name -> level number.

    Raises:
        ConfigError: naming *option* and the key, for anything but a mapping of logger names
            (non-empty, no empty dotted part) to level names or numbers.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{option}={value!r}: expected a mapping of logger name to level, e.g. {_EXAMPLE}"
        )
    out: dict[str, int] = {}
    for key, level in value.items():
        if not isinstance(key, str) or not key or "" in key.split("."):
            raise ConfigError(
                f"{option}: the key {key!r} is not a logger name (a non-empty str such as "
                f"'app' or 'sqlalchemy.engine'), e.g. {option}={_EXAMPLE}"
            )
        try:
            out[key] = parse_level(level, f"{option}[{key!r}]")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return out


class LoggerLevels:
    """``level`` and ``levels=`` together: the level of each logger name.

    Args:
        level: The level of a logger no key covers.
        rules: Logger name -> level number, as ``parse_levels`` returns it.
    """

    __slots__ = ("_cache", "level", "rules")

    def __init__(self, level: int, rules: Mapping[str, int] | None = None) -> None:
        self.level = level
        self.rules: dict[str, int] = dict(rules or {})
        self._cache: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"LoggerLevels(level={self.level}, rules={self.rules!r})"

    def of(self, name: str) -> int:
        """The level of the logger *name* (``"root"`` for a logger without a name)."""
        if not self.rules:
            return self.level
        found = self._cache.get(name)
        if found is None:
            rule = most_specific(self.rules, name)
            found = self.level if rule is None else rule
            if len(self._cache) < _MAX_NAMES:
                self._cache[name] = found
        return found
