"""Sampling and rate limiting: exact kept/sampled counts, errors spared, bad options named."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import fastlog_core
from fastlog_core import ConfigError
from fastlog_core._sampling import Sampler, parse_rate
from tests.helpers import read_lines, run_threads


def written(path: Path) -> list[dict[str, object]]:
    assert fastlog_core.flush(timeout=10)
    return read_lines(path)


class FakeClock:
    """A monotonic clock that moves only when the test says: windows pass without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    """Every Sampler built in the test (the pipeline's too) reads this clock by default."""
    fake = FakeClock()
    defaults = Sampler.__init__.__kwdefaults__
    assert defaults is not None and "clock" in defaults
    monkeypatch.setitem(defaults, "clock", fake)
    yield fake


class TestSampleByLevel:
    def test_one_in_n_exact(self, log_path: Path) -> None:
        """sample={"debug": 10}: debug 1000 -> exactly 100 kept (the 1st, 11th, ...), info all."""
        fastlog_core.configure(sink=str(log_path), level="debug", sample={"debug": 10})
        log = fastlog_core.get_logger("s")
        for i in range(1000):
            log.debug("d", i=i)
            log.info("i", i=i)
        records = written(log_path)
        debug = [r["i"] for r in records if r["level"] == "debug"]
        assert debug == list(range(0, 1000, 10))
        assert sum(r["level"] == "info" for r in records) == 1000
        stats = fastlog_core.stats()
        assert stats["sampled"] == 900
        assert stats["sampled_by_level"] == {"debug": 900}
        assert stats["rate_limited"] == 0
        assert stats["records_written"] == 1100

    def test_exact_with_threads(self, log_path: Path) -> None:
        """4 threads x 10k info records, 1 in 7: kept + sampled is exact, kept is ceil(n/7)."""
        fastlog_core.configure(sink=str(log_path), sample={"info": 7})
        log = fastlog_core.get_logger("t")

        def body(_: int) -> None:
            for i in range(10_000):
                log.info("x", i=i)

        run_threads(body, 4)
        kept = len(written(log_path))
        assert kept == -(-40_000 // 7)
        assert fastlog_core.stats()["sampled"] == 40_000 - kept

    def test_errors_never_sampled_unless_asked(self, log_path: Path) -> None:
        """Listing ERROR without sample_errors=True is a configuration error; with it, it works."""
        with pytest.raises(ConfigError, match=r"sample=\{'error': 2\}.*sample_errors=True"):
            fastlog_core.configure(sink=str(log_path), sample={"error": 2})
        fastlog_core.configure(sink=str(log_path), sample={"error": 2}, sample_errors=True)
        log = fastlog_core.get_logger()
        for i in range(10):
            log.error("e", i=i)
        assert [r["i"] for r in written(log_path)] == [0, 2, 4, 6, 8]


class TestSampleByLogger:
    def test_logger_and_children(self, log_path: Path) -> None:
        """sample_loggers={"noisy": 5}: noisy and noisy.child share one 1-in-5; others all."""
        fastlog_core.configure(sink=str(log_path), sample_loggers={"noisy": 5})
        noisy = fastlog_core.get_logger("noisy")
        child = fastlog_core.get_logger("noisy.child")
        other = fastlog_core.get_logger("noisyish")
        for i in range(50):
            noisy.info("n", i=i)
            child.info("c", i=i)
            other.info("o", i=i)
        records = written(log_path)
        by_logger: dict[object, int] = {}
        for r in records:
            by_logger[r["logger"]] = by_logger.get(r["logger"], 0) + 1
        assert by_logger["noisyish"] == 50
        assert by_logger["noisy"] + by_logger["noisy.child"] == 20  # 100 records, 1 in 5
        assert fastlog_core.stats()["sampled"] == 80

    def test_most_specific_rule_wins_and_errors_pass(self, log_path: Path) -> None:
        """A rule for a.b beats a rule for a; ERROR passes without sample_errors."""
        fastlog_core.configure(sink=str(log_path), sample_loggers={"a": 1000, "a.b": 2})
        ab = fastlog_core.get_logger("a.b.c")
        for i in range(10):
            ab.info("x", i=i)
            ab.error("boom", i=i)
        records = written(log_path)
        assert [r["i"] for r in records if r["level"] == "info"] == [0, 2, 4, 6, 8]
        assert sum(r["level"] == "error" for r in records) == 10


class TestRateLimit:
    def test_per_template_per_window(self, log_path: Path, clock: FakeClock) -> None:
        """rate_limit=5: each template gets 5 per second; a new window admits 5 more."""
        fastlog_core.configure(sink=str(log_path), rate_limit="5/s")
        log = fastlog_core.get_logger()
        for i in range(20):
            log.info("a %s", i)
            log.info("b %s", i)
        records = written(log_path)
        assert [r["message"] for r in records] == [
            m for i in range(5) for m in (f"a {i}", f"b {i}")
        ]
        assert fastlog_core.stats()["rate_limited"] == 30
        clock.now += 1.0
        log.info("a %s", 99)
        assert written(log_path)[-1]["message"] == "a 99"

    def test_window_boundary(self, clock: FakeClock) -> None:
        """A window lasts exactly its period from its first record; the next one starts afresh."""
        sampler = Sampler((), (), (2, 60.0), False, clock=clock)
        assert [sampler.keep(20, "x", "t") for _ in range(3)] == [True, True, False]
        clock.now += 59.999
        assert sampler.keep(20, "x", "t") is False
        assert sampler.keep(20, "x", "other") is True  # each template has its own window
        clock.now += 0.001
        assert [sampler.keep(20, "x", "t") for _ in range(3)] == [True, True, False]
        assert sampler.counts() == (3, {"info": 3}, 3)

    def test_default_clock_is_monotonic(self) -> None:
        """Without a clock the Sampler reads time.monotonic."""
        assert Sampler((), (), (1, 1.0), False)._clock is time.monotonic

    def test_errors_spared(self, log_path: Path) -> None:
        """ERROR and above are not rate limited unless sample_errors=True."""
        fastlog_core.configure(sink=str(log_path), rate_limit=1)
        log = fastlog_core.get_logger()
        for _ in range(5):
            log.error("same")
        assert len(written(log_path)) == 5

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (100, (100, 1.0)),
            ("100/s", (100, 1.0)),
            ("6000/min", (6000, 60.0)),
            ("7 / hour", (7, 3600.0)),
        ],
    )
    def test_parse(self, value: object, expected: tuple[int, float]) -> None:
        assert parse_rate(value) == expected


class TestConfiguration:
    @pytest.mark.parametrize(
        ("options", "named"),
        [
            ({"sample": {"debug": 0}}, "sample="),
            ({"sample": {"debug": 1.5}}, "sample="),
            ({"sample": {"verbose": 2}}, "sample="),
            ({"sample": ["debug"]}, "sample="),
            ({"sample_loggers": {"": 2}}, "sample_loggers="),
            ({"sample_loggers": {"x": True}}, "sample_loggers="),
            ({"rate_limit": "fast"}, "rate_limit="),
            ({"rate_limit": 0}, "rate_limit="),
            ({"sample_errors": "yes"}, "sample_errors="),
        ],
    )
    def test_bad_options_named(
        self, log_path: Path, options: dict[str, object], named: str
    ) -> None:
        with pytest.raises(ConfigError, match=named):
            fastlog_core.configure(sink=str(log_path), **options)

    def test_settings_normalized_and_shared(self, log_path: Path) -> None:
        """The same rules given again share the pipeline; different ones are a conflict."""
        a = fastlog_core.get_pipeline(str(log_path), sample={"debug": 10}, rate_limit="100/s")
        b = fastlog_core.get_pipeline(str(log_path), sample={10: 10}, rate_limit=100)
        assert a is b
        assert a.settings.sample == ((10, 10),)
        with pytest.raises(ConfigError, match=r"sample=\{'debug': 10\} vs \{'debug': 5\}"):
            fastlog_core.get_pipeline(str(log_path), sample={"debug": 5})

    def test_no_rules_no_sampler(self, log_path: Path) -> None:
        """Without rules the adapters' fast path stays on (no sampler, no schema)."""
        pipe = fastlog_core.get_pipeline(str(log_path))
        assert pipe.special is False
        assert fastlog_core.get_pipeline(str(log_path) + "2", sample={"debug": 2}).special


def test_sampler_keep_counts_by_level() -> None:
    """The Sampler alone: 1-in-N first, then the rate limit; counters by level name."""
    sampler = Sampler(((10, 2),), (), (2, 3600.0), False)
    debug = [sampler.keep(10, "x", "d") for _ in range(6)]  # kept by 1-in-2: 0, 2, 4
    info = [sampler.keep(20, "x", "i") for _ in range(3)]
    assert debug == [True, False, True, False, False, False]  # the 3rd kept one: over the rate
    assert info == [True, True, False]
    assert sampler.counts() == (5, {"debug": 4, "info": 1}, 2)
