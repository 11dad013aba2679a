"""Per-logger levels: ``configure(level=..., levels={...})`` for the native API."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import fastlog_core
from fastlog_core import _logger_levels, _registry
from fastlog_core._logger_levels import LoggerLevels, most_specific, parse_levels
from tests.helpers import read_lines

RULES = {"sqlalchemy.engine": "warning", "app.payments": "debug", "app": "error"}


def written(path: Path) -> list[tuple[str, str, str]]:
    assert fastlog_core.flush(timeout=10)
    return [(r["logger"], r["level"], r["message"]) for r in read_lines(path)]  # type: ignore[misc]


def each_level(name: str) -> None:
    log = fastlog_core.get_logger(name)
    for method in (log.debug, log.info, log.warning, log.error):
        method(method.__name__)


class TestMostSpecific:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("app", "app"),
            ("app.db", "app"),
            ("app.payments", "app.payments"),
            ("app.payments.stripe", "app.payments"),
            ("apple", None),
            ("app_payments", None),
            ("sqlalchemy", None),
            ("sqlalchemy.engine.Engine", "sqlalchemy.engine"),
            ("root", None),
        ],
    )
    def test_dotted_prefix_longest_wins(self, name: str, expected: str | None) -> None:
        """A key covers its name and its children, not a name it merely prefixes; the longest
        covering key wins."""
        rules = {key: key for key in RULES}
        assert most_specific(rules, name) == expected


class TestConfigure:
    def test_levels_per_logger(self, log_path: Path) -> None:
        """Each logger writes from the level of its most specific key, else from ``level``."""
        fastlog_core.configure(sink=str(log_path), level="info", levels=RULES)
        for name in ("sqlalchemy.engine.Engine", "app.payments.stripe", "app.db", "apple"):
            each_level(name)
        assert written(log_path) == [
            ("sqlalchemy.engine.Engine", "warning", "warning"),
            ("sqlalchemy.engine.Engine", "error", "error"),
            ("app.payments.stripe", "debug", "debug"),
            ("app.payments.stripe", "info", "info"),
            ("app.payments.stripe", "warning", "warning"),
            ("app.payments.stripe", "error", "error"),
            ("app.db", "error", "error"),
            ("apple", "info", "info"),
            ("apple", "warning", "warning"),
            ("apple", "error", "error"),
        ]

    def test_loggers_made_before_follow(self, log_path: Path) -> None:
        """Loggers made at import time, before ``configure()``, get their name's level, and
        every later ``configure()`` replaces the rules (none given: none left)."""
        early = fastlog_core.get_logger("app.payments")
        bound = early.bind(order=7)
        fastlog_core.configure(sink=str(log_path), level="warning", levels={"app": "debug"})
        early.debug("one")
        bound.debug("two")
        fastlog_core.configure(sink=str(log_path), level="warning")
        early.info("dropped")
        early.warning("three")
        assert written(log_path) == [
            ("app.payments", "debug", "one"),
            ("app.payments", "debug", "two"),
            ("app.payments", "warning", "three"),
        ]

    def test_is_enabled_for_and_log(self, log_path: Path) -> None:
        """``is_enabled_for`` and ``log(level, ...)`` follow the logger's own level."""
        fastlog_core.configure(sink=str(log_path), level="info", levels={"noisy": 40})
        noisy = fastlog_core.get_logger("noisy.lib")
        assert not noisy.is_enabled_for("warning")
        assert noisy.is_enabled_for("error")
        assert fastlog_core.get_logger("quiet").is_enabled_for("info")
        noisy.log("warning", "no")
        noisy.log(40, "yes")
        assert written(log_path) == [("noisy.lib", "error", "yes")]

    def test_root_logger_is_named_root(self, log_path: Path) -> None:
        """``get_logger()`` is the logger ``root``: a ``"root"`` key sets its level only."""
        fastlog_core.configure(sink=str(log_path), level="warning", levels={"root": "debug"})
        fastlog_core.get_logger().debug("root debug")
        fastlog_core.get_logger("other").debug("no")
        assert written(log_path) == [("root", "debug", "root debug")]

    def test_resolved_once_per_name(self, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The level is looked up when a logger's route is made and at ``configure()``, never
        per call: a logger shares its name's route, whose level is a plain number."""
        fastlog_core.configure(sink=str(log_path), level="info", levels=RULES)
        log = fastlog_core.get_logger("app.db")
        assert log._route is fastlog_core.get_logger("app.db")._route
        assert log._route is log.bind(x=1)._route
        assert log._route.level == 40
        lookups: list[str] = []
        original = LoggerLevels.of

        def counting(self: LoggerLevels, name: str) -> int:
            lookups.append(name)
            return original(self, name)

        monkeypatch.setattr(LoggerLevels, "of", counting)
        for i in range(100):
            log.info("filtered", i=i)
            log.error("kept", i=i)
        assert lookups == []
        assert len(written(log_path)) == 100

    def test_names_are_not_kept_alive(self) -> None:
        """A logger name nobody holds a logger for any more leaves no route behind."""
        fastlog_core.configure(sink="stdout", level="info", levels={"x": "debug"})
        log = fastlog_core.get_logger("short.lived")
        assert "short.lived" in _registry._named
        del log
        gc.collect()
        assert "short.lived" not in _registry._named

    def test_cache_is_bounded(self) -> None:
        """``LoggerLevels`` remembers at most a bounded number of names, and still answers."""
        levels = LoggerLevels(20, {"a": 10})
        for i in range(_logger_levels._MAX_NAMES + 5):
            assert levels.of(f"a.n{i}") == 10
        assert len(levels._cache) == _logger_levels._MAX_NAMES
        assert levels.of("b") == 20


class TestBadConfiguration:
    @pytest.mark.parametrize(
        ("levels", "message"),
        [
            (
                ["app"],
                "levels=['app']: expected a mapping of logger name to level, e.g. "
                "{'sqlalchemy.engine': 'warning', 'app.payments': 'debug'}",
            ),
            (
                {"app": "loud"},
                "levels['app']='loud': expected a level number or one of critical, debug, "
                "error, fatal, info, notset, success, trace, warn, warning",
            ),
            (
                {"app": -1},
                "levels['app']=-1: a level number cannot be negative",
            ),
            (
                {3: "debug"},
                "levels: the key 3 is not a logger name (a non-empty str such as 'app' or "
                "'sqlalchemy.engine'), e.g. levels={'sqlalchemy.engine': 'warning', "
                "'app.payments': 'debug'}",
            ),
            (
                {"": "debug"},
                "levels: the key '' is not a logger name (a non-empty str such as 'app' or "
                "'sqlalchemy.engine'), e.g. levels={'sqlalchemy.engine': 'warning', "
                "'app.payments': 'debug'}",
            ),
            (
                {"app..db": "debug"},
                "levels: the key 'app..db' is not a logger name (a non-empty str such as "
                "'app' or 'sqlalchemy.engine'), e.g. levels={'sqlalchemy.engine': 'warning', "
                "'app.payments': 'debug'}",
            ),
        ],
    )
    def test_fails_at_configure_naming_the_option(
        self, log_path: Path, levels: object, message: str
    ) -> None:
        """A bad ``levels`` is a ConfigError naming the option (and key) and what is
        accepted; the configuration in place stays as it was."""
        fastlog_core.configure(sink=str(log_path), level="info", levels={"a": "debug"})
        with pytest.raises(fastlog_core.ConfigError) as caught:
            fastlog_core.configure(sink=str(log_path), level="error", levels=levels)  # type: ignore[arg-type]
        assert str(caught.value) == message
        fastlog_core.get_logger("a").debug("still debug")
        fastlog_core.get_logger("b").info("still info")
        assert written(log_path) == [("a", "debug", "still debug"), ("b", "info", "still info")]

    def test_misspelt_option_is_suggested(self) -> None:
        """``levles=`` is an unknown option, with ``levels`` suggested."""
        with pytest.raises(
            fastlog_core.ConfigError, match=r"unknown option 'levles' \(did you mean 'levels'\?\)"
        ):
            fastlog_core.configure(levles={"a": "debug"})  # type: ignore[call-arg]

    def test_none_and_empty_mean_no_rules(self) -> None:
        """``levels=None`` and ``{}`` give every logger ``level``."""
        assert parse_levels(None) == {}
        assert parse_levels({}) == {}
        assert parse_levels({"A.b": "WARNING", "c": 15}) == {"A.b": 30, "c": 15}
