"""Per-logger levels with structlog: ``fastlog_structlog.configure(levels=...)`` and the
default route's ``fastlog_core.configure(levels=...)`` seen through ``FastlogLoggerFactory``."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import structlog

import fastlog_core
import fastlog_structlog
from fastlog_structlog import FastlogLoggerFactory, FastlogRenderer, _native
from tests.helpers import read_lines

RULES = {"sqlalchemy.engine": "warning", "app.payments": "debug", "app": "error"}


def written(path: Path) -> list[tuple[object, ...]]:
    assert fastlog_core.flush(timeout=10)
    return [(r["logger"], r["level"], r["message"]) for r in read_lines(path)]


def each_level(log: object) -> None:
    for name in ("debug", "info", "warning", "error"):
        getattr(log, name)(name)


class TestConfigureLevels:
    @pytest.mark.parametrize("cache", [True, False])
    def test_levels_per_logger_name(self, log_path: Path, cache: bool) -> None:
        """The name given to ``structlog.get_logger(name)`` picks the level: the most specific
        dotted prefix, else ``level``; the same whether structlog caches the bound logger."""
        fastlog_structlog.configure(
            sink=str(log_path), level="info", levels=RULES, cache_logger_on_first_use=cache
        )
        for name in ("sqlalchemy.engine.Engine", "app.payments.stripe", "app.db", "apple"):
            each_level(structlog.get_logger(name))
        each_level(structlog.get_logger())
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
            ("root", "info", "info"),
            ("root", "warning", "warning"),
            ("root", "error", "error"),
        ]

    def test_bound_and_processed_loggers_keep_their_level(self, log_path: Path) -> None:
        """``bind()`` keeps the logger's level; so do ``log()``, ``exception()`` and a chain
        with processors of the user's."""
        fastlog_structlog.configure(
            sink=str(log_path),
            level="warning",
            levels={"app": "debug", "lib": "critical"},
            processors=[structlog.processors.add_log_level],
        )
        app = structlog.get_logger("app.x").bind(request="r1")
        app.debug("bound debug")
        app.log(logging.INFO, "log info")
        lib = structlog.get_logger("lib.y").bind(request="r2")
        lib.error("hidden")
        lib.log(logging.ERROR, "hidden too")
        try:
            raise ValueError("boom")
        except ValueError:
            lib.exception("hidden as well")
            app.exception("shown")
        lib.critical("critical")
        assert written(log_path) == [
            ("app.x", "debug", "bound debug"),
            ("app.x", "info", "log info"),
            ("app.x", "error", "shown"),
            ("lib.y", "critical", "critical"),
        ]

    def test_filtered_call_is_the_no_op_method(self, log_path: Path) -> None:
        """A bound logger's class is the single-level one for its name's level: a filtered
        call is the same no-op method as a call below ``level``, nothing looked up per call."""
        fastlog_structlog.configure(sink=str(log_path), level="info", levels={"quiet": "error"})
        quiet = structlog.get_logger("quiet.lib").bind()
        other = structlog.get_logger("other").bind()
        assert type(quiet) is _native.make_wrapper(logging.ERROR)
        assert type(other) is _native.make_wrapper(logging.INFO)
        assert type(quiet).warning is _native._nop
        assert type(other).debug is _native._nop
        assert quiet.is_enabled_for(logging.ERROR) and not quiet.is_enabled_for(logging.WARNING)
        assert quiet.get_effective_level() == logging.ERROR

    def test_without_levels_the_wrapper_is_unchanged(self, log_path: Path) -> None:
        """No ``levels``: the one wrapper class of ``level``, as before."""
        fastlog_structlog.configure(sink=str(log_path), level="info", levels={})
        assert structlog.get_config()["wrapper_class"] is _native.make_wrapper(logging.INFO)

    def test_reconfigure_replaces_the_rules(self, log_path: Path) -> None:
        """A later ``configure()`` applies to loggers structlog makes from then on."""
        fastlog_structlog.configure(sink=str(log_path), levels={"a": "debug"})
        structlog.get_logger("a").debug("one")
        fastlog_structlog.configure(sink=str(log_path))
        structlog.get_logger("a").debug("not written")
        assert written(log_path) == [("a", "debug", "one")]

    @pytest.mark.parametrize(
        ("levels", "message"),
        [
            (
                "app",
                "levels='app': expected a mapping of logger name to level, e.g. "
                "{'sqlalchemy.engine': 'warning', 'app.payments': 'debug'}",
            ),
            (
                {"app": "verbose"},
                "levels['app']='verbose': expected a level number or one of critical, debug, "
                "error, fatal, info, notset, success, trace, warn, warning",
            ),
            (
                {None: "debug"},
                "levels: the key None is not a logger name (a non-empty str such as 'app' or "
                "'sqlalchemy.engine'), e.g. levels={'sqlalchemy.engine': 'warning', "
                "'app.payments': 'debug'}",
            ),
        ],
    )
    def test_bad_levels_fail_at_configure(
        self, log_path: Path, levels: object, message: str
    ) -> None:
        """A bad ``levels`` is a ConfigError naming it, and structlog stays as configured."""
        fastlog_structlog.configure(sink=str(log_path))
        before = structlog.get_config()
        with pytest.raises(fastlog_core.ConfigError) as caught:
            fastlog_structlog.configure(sink=str(log_path), levels=levels)  # type: ignore[arg-type]
        assert str(caught.value) == message
        assert structlog.get_config() == before


class TestFactoryOnTheDefaultRoute:
    def test_filter_by_level_follows_core_levels(self, log_path: Path) -> None:
        """A ``FastlogLoggerFactory()`` logger on the default route has its name's level from
        ``fastlog_core.configure(levels=...)``: ``filter_by_level`` and ``isEnabledFor`` see
        it."""
        fastlog_core.configure(sink=str(log_path), level="info", levels={"chatty": "error"})
        structlog.configure(
            processors=[structlog.stdlib.filter_by_level, FastlogRenderer()],
            logger_factory=FastlogLoggerFactory(),
        )
        chatty = structlog.get_logger("chatty.sub")
        chatty.warning("hidden")
        chatty.error("shown")
        structlog.get_logger("main").info("main info")
        factory = FastlogLoggerFactory()
        assert factory("chatty").level == logging.ERROR
        assert not factory("chatty.sub").isEnabledFor(logging.WARNING)
        assert factory("main").getEffectiveLevel() == logging.INFO
        assert written(log_path) == [
            ("chatty.sub", "error", "shown"),
            ("main", "info", "main info"),
        ]

    def test_a_factory_with_its_own_destination_keeps_its_route(self, log_path: Path) -> None:
        """A factory given a sink has its own route: core ``levels`` do not apply to it."""
        fastlog_core.configure(level="info", levels={"chatty": "error"})
        factory = FastlogLoggerFactory(str(log_path))
        assert factory("chatty").level == 0
