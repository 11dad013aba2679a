"""DatadogSink against a loopback intake that checks every request against the documented
format (``datadog_intake.py``, violations asserted empty at teardown), and the ``datadog``
schema's trace correlation with a real ddtrace tracer (in child processes: ddtrace starts its
own threads and patches ``logging``).

Not tested here: the real Datadog service (no account, no network in the suite).
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastlog_core
from fastlog_core import ConfigError
from fastlog_core._network.datadog import (
    MAX_ENTRY_BYTES,
    SITES,
    DatadogSink,
    _Merge,
)
from tests.helpers import ROOT, child_env, finishes, read_lines, wait_until
from tests.network.receiver import Reply
from tests.network.test_docs import blocks, rewrite, run
from tests.platforms.datadog_intake import KEY, DatadogIntake

ATTRIBUTES = ("ddsource", "ddtags", "hostname", "service")
DD_VARS = ("DD_API_KEY", "DD_SITE", "DD_SERVICE", "DD_ENV", "DD_VERSION", "DD_TAGS", "DD_HOSTNAME")


@pytest.fixture(autouse=True)
def _no_dd_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' own DD_* settings only (a developer's shell may have some)."""
    for name in DD_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return tmp_path / "copy.log"


def make(intake: DatadogIntake, **options: Any) -> DatadogSink:
    options.setdefault("api_key", KEY)
    options.setdefault("url", intake.url)
    options.setdefault("hostname", "test-host")
    options.setdefault("batch_wait", 0.05)
    return DatadogSink(**options)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def own(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry without the attributes the sink added."""
    return {k: v for k, v in entry.items() if k not in ATTRIBUTES}


def log_n(count: int, start: int = 0, logger: str = "shop") -> None:
    log = fastlog_core.get_logger(logger)
    for seq in range(start, start + count):
        log.info("order placed", seq=seq)


def settled(sink: DatadogSink) -> dict[str, int]:
    """The sink's counts once everything ended one way: the identity holds, nothing pending."""
    stats = dict(sink.delivery_stats())
    assert stats["queued"] == 0 and stats["spill_pending"] == 0, stats
    assert stats["sent"] == stats["delivered"] + stats["lost"], stats
    return stats


# ---------------------------------------------------------------------------------------------
# Delivery and the entries' attributes


class TestDelivery:
    def test_every_record_arrives_once_in_order_with_the_attributes(
        self, datadog_intake: DatadogIntake, copy: Path
    ) -> None:
        """2,500 records: each once, in order, as the file copy has it plus ddsource,
        service, hostname and ddtags; every request within 1,000 entries."""
        sink = make(
            datadog_intake,
            service="shop",
            env="prod",
            version="1.4.2",
            tags={"team": "payments"},
        )
        fastlog_core.configure(sink=[sink, str(copy)], schema="datadog", level="debug")
        log_n(2500)
        assert fastlog_core.flush(timeout=30)
        entries = datadog_intake.wait_for(2500)
        assert [own(e) for e in entries] == read_lines(copy)
        assert [e["seq"] for e in entries] == list(range(2500))
        assert {tuple(e[k] for k in ATTRIBUTES) for e in entries} == {
            ("python", "env:prod,version:1.4.2,team:payments", "test-host", "shop")
        }
        sizes = [len(orjson.loads(r.body)) for r, _ in datadog_intake.seen]
        assert max(sizes) <= 1000 and sum(sizes) == 2500 and len(sizes) >= 3
        fastlog_core.shutdown()
        assert settled(sink)["delivered"] == 2500

    def test_attributes_from_the_dd_environment(
        self, datadog_intake: DatadogIntake, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """DD_API_KEY, DD_SERVICE, DD_ENV, DD_VERSION, DD_TAGS (commas or spaces),
        DD_HOSTNAME, when no argument gives them."""
        for name, value in {
            "DD_API_KEY": KEY,
            "DD_SERVICE": "billing",
            "DD_ENV": "staging",
            "DD_VERSION": "7",
            "DD_TAGS": "team:pay,tier:1 region:eu",
            "DD_HOSTNAME": "node-3",
        }.items():
            monkeypatch.setenv(name, value)
        sink = DatadogSink(url=datadog_intake.url, batch_wait=0.05, source="gunicorn")
        fastlog_core.configure(sink=sink)
        fastlog_core.get_logger("a").info("from env")
        assert fastlog_core.flush(timeout=20)
        [entry] = datadog_intake.wait_for(1)
        assert {k: entry[k] for k in ATTRIBUTES} == {
            "ddsource": "gunicorn",
            "ddtags": "env:staging,version:7,team:pay,tier:1,region:eu",
            "hostname": "node-3",
            "service": "billing",
        }

    def test_arguments_win_over_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DD_SERVICE", "from-env")
        monkeypatch.setenv("DD_TAGS", "a:1")
        monkeypatch.setenv("DD_HOSTNAME", "env-host")
        sink = DatadogSink(
            KEY, url="http://127.0.0.1:9/", service="arg", tags=["b:2"], hostname="h"
        )
        assert sink.attributes == {
            "ddsource": "python",
            "ddtags": "b:2",
            "hostname": "h",
            "service": "arg",
        }
        sink.close()

    def test_the_hostname_defaults_to_the_machines(self) -> None:
        sink = DatadogSink(KEY, url="http://127.0.0.1:9/")
        assert sink.attributes["hostname"] == socket.gethostname()
        assert "service" not in sink.attributes and "ddtags" not in sink.attributes
        sink.close()

    def test_a_records_own_attribute_wins_and_is_not_duplicated(
        self, datadog_intake: DatadogIntake
    ) -> None:
        """A record with its own ``service`` (or ``hostname``) keeps it: the entry has the key
        once, the record's value."""
        sink = make(datadog_intake, service="shop")
        fastlog_core.configure(sink=sink)
        log = fastlog_core.get_logger("a")
        log.info("mine", service="billing", hostname="pod-1")
        log.info("default", ctx={"service": "nested"})
        assert fastlog_core.flush(timeout=20)
        first, second = datadog_intake.wait_for(2)
        assert (first["service"], first["hostname"]) == ("billing", "pod-1")
        assert (second["service"], second["ctx"]) == ("shop", {"service": "nested"})
        [(request, _)] = datadog_intake.seen
        assert request.body.count(b'"service":') == 3  # 2 top-level, 1 nested
        assert request.body.count(b'"hostname":') == 2

    def test_a_record_over_one_megabyte_is_truncated_and_marked(
        self, datadog_intake: DatadogIntake
    ) -> None:
        """An entry over the intake's 1,000,000 bytes is cut to fit, marked, counted; the
        records around it arrive whole."""
        sink = make(datadog_intake)
        fastlog_core.configure(sink=sink, max_record_bytes="4 MiB")
        log = fastlog_core.get_logger("a")
        log.info("before")
        log.info("x" * 1_500_000)
        log.info("after")
        assert fastlog_core.flush(timeout=30)
        before, big, after = datadog_intake.wait_for(3)
        assert (before["message"], after["message"]) == ("before", "after")
        assert big["fastlog_truncated"] > 1_500_000
        assert len(orjson.dumps(big)) <= MAX_ENTRY_BYTES
        assert big["message"].startswith("xxxx") and big["ddsource"] == "python"
        fastlog_core.shutdown()
        assert (sink.delivery_stats()["truncated"], settled(sink)["delivered"]) == (1, 3)

    def test_a_line_from_another_encoder_is_sent_as_its_message(
        self, datadog_intake: DatadogIntake, copy: Path
    ) -> None:
        """A sink given a logfmt encoder: each line arrives whole as the entry's message."""
        sink = make(datadog_intake)
        fastlog_core.configure(
            sink=[{"sink": sink, "encoder": "logfmt"}, {"sink": str(copy), "encoder": "logfmt"}]
        )
        fastlog_core.get_logger("a").info("plain text", n=1)
        assert fastlog_core.flush(timeout=20)
        [entry] = datadog_intake.wait_for(1)
        assert own(entry) == {"message": copy.read_text().rstrip("\n")}
        assert "plain text" in entry["message"]


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    names = st.sampled_from([*ATTRIBUTES, "message", "x", "dd.trace_id", 'a"service":', "é"])
    values = st.one_of(
        st.none(),
        st.integers(-(2**63), 2**63 - 1),
        st.text(max_size=20),
        st.dictionaries(names, st.text(max_size=5), max_size=3),
    )
    return draw(st.dictionaries(names, values, max_size=6))


class TestMerge:
    @settings(max_examples=400, deadline=None)
    @given(record=records(), attributes=st.sampled_from([{}, {"service": "s"}, None]))
    def test_the_spliced_entry_is_the_merged_dict(
        self, record: dict[str, Any], attributes: dict[str, str] | None
    ) -> None:
        """For any record, the entry parsed is ``{**attributes, **record}``, and it has no
        key twice (parsed with every pair kept)."""
        if attributes is None:
            attributes = {
                "ddsource": "python",
                "ddtags": "env:p,k:v",
                "hostname": "h",
                "service": "s",
            }
        merge = _Merge(attributes)
        entry = merge.entry(orjson.dumps(record))
        assert orjson.loads(entry) == {**attributes, **record}
        pairs = json.loads(entry, object_pairs_hook=lambda items: items)
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys))


# ---------------------------------------------------------------------------------------------
# Configuration


class TestConfiguration:
    def test_the_site_table(self) -> None:
        """Each known site is its intake's URL; DD_SITE applies when site= is not given."""
        for site in SITES:
            sink = DatadogSink(KEY, site=site)
            assert sink.url == f"https://http-intake.logs.{site}/api/v2/logs"
            sink.close()
        sink = DatadogSink(KEY)
        assert sink.url == "https://http-intake.logs.datadoghq.com/api/v2/logs"
        sink.close()

    def test_dd_site(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DD_SITE", "datadoghq.eu")
        sink = DatadogSink(KEY)
        assert sink.url == "https://http-intake.logs.datadoghq.eu/api/v2/logs"
        sink.close()
        monkeypatch.setenv("DD_SITE", "datadoghq.moon")
        with pytest.raises(ConfigError, match=r"DD_SITE='datadoghq.moon': not a Datadog site"):
            DatadogSink(KEY)

    def test_an_unknown_site_fails_listing_the_sites(self) -> None:
        with pytest.raises(ConfigError) as info:
            DatadogSink(KEY, site="datadog.com")
        message = str(info.value)
        assert message.startswith("site='datadog.com': not a Datadog site; accepted: ")
        assert all(site in message for site in SITES) and "url=" in message

    @pytest.mark.parametrize(
        ("options", "match"),
        [
            ({"api_key": None}, r"^api_key: no Datadog API key; give api_key= or set DD_API_KEY"),
            ({"api_key": ""}, r"^api_key: expected a non-empty string"),
            ({"site": "datadoghq.eu", "url": "http://x/"}, r"^site= and url=: give one"),
            ({"batch_records": 1001}, r"^batch_records=1001: expected 1 to 1000"),
            ({"batch_records": 0}, r"^batch_records=0: expected 1 to 1000"),
            ({"batch_bytes": "5 MB"}, r"^batch_bytes='5 MB': a request could reach \d+ bytes"),
            ({"tags": 5}, r"^tags=5: expected a mapping"),
            ({"tags": ["a:b,c:d"]}, r"^tags: 'a:b,c:d': a tag cannot contain a comma"),
            ({"service": 3}, r"^service=3: expected a string"),
            ({"gzip": "yes"}, r"^gzip='yes': expected True or False"),
            ({"url": "ftp://x/"}, r"^url="),
        ],
    )
    def test_bad_options_fail_at_construction_naming_the_option(
        self, options: dict[str, Any], match: str
    ) -> None:
        options = {"api_key": KEY, **options}
        with pytest.raises(ConfigError, match=match) as info:
            DatadogSink(options.pop("api_key"), **options)
        assert KEY not in str(info.value)

    def test_the_largest_batches_fit_the_intakes_limits(self) -> None:
        """The defaults (1,000 entries with the note line, 4 MiB of lines) and a
        ``batch_bytes`` just within 5,000,000 with the attributes are accepted."""
        sink = DatadogSink(KEY, url="http://127.0.0.1:9/")
        assert (sink.batch_records, sink.batch_bytes) == (999, 4 * 1024 * 1024)
        sink.close()
        DatadogSink(KEY, url="http://127.0.0.1:9/", batch_bytes=4_500_000).close()

    def test_the_key_is_in_no_repr_nor_message(
        self, datadog_intake: DatadogIntake, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """Refused, rejected and unreachable: the key shows nowhere (repr, stats, stderr)."""
        datadog_intake.script = [Reply(400, b'{"errors":["bad"]}')]
        sink = make(datadog_intake, service="shop")
        down = DatadogSink(
            KEY, url=f"http://127.0.0.1:{free_port()}/api/v2/logs", close_timeout=0.2
        )
        refused = DatadogSink("f" * 32, url=datadog_intake.url, batch_wait=0.05)
        fastlog_core.configure(sink=[sink, down, refused])
        log_n(3)
        wait_until(
            lambda: sink.delivery_stats()["lost"] == 3 and refused.delivery_stats()["lost"] == 3
        )
        wait_until(lambda: down.delivery_stats()["failures"] >= 1)
        fastlog_core.shutdown(timeout=2)
        shown = repr(sink) + repr(down) + repr(refused) + str(fastlog_core.stats())
        out, err = capfd.readouterr()
        assert "Datadog refused the API key" in err
        for text in (shown, out, err):
            assert KEY not in text and "f" * 32 not in text
        assert repr(sink) == f"DatadogSink({datadog_intake.url!r}, service='shop')"


# ---------------------------------------------------------------------------------------------
# What the intake answers


class TestFaults:
    def test_400_is_lost_counted_and_reported_with_the_intakes_message(
        self, datadog_intake: DatadogIntake, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """400: one attempt, the batch counted lost, the intake's ``errors`` detail reported
        and told in the stream by a note in the next request."""
        body = b'{"errors":[{"status":"400","title":"Bad Request","detail":"bad payload"}]}'
        datadog_intake.script = [Reply(400, body)]
        sink = make(datadog_intake)
        fastlog_core.configure(sink=[sink, str(copy)])
        log_n(5)
        wait_until(lambda: sink.delivery_stats()["lost"] == 5)
        log_n(2, start=5)
        fastlog_core.shutdown()
        stats = settled(sink)
        assert (stats["lost"], stats["delivered"], stats["failures"], stats["retried"]) == (
            5,
            2,
            0,
            0,
        )
        assert datadog_intake.statuses() == [400, 202]
        assert (
            f"{sink!r} lost 5 records: HTTP 400 Bad Request: bad payload" in capfd.readouterr().err
        )
        note, *rest = datadog_intake.entries()
        assert (note["logger"], note["lost"]) == ("fastlog", 5)
        assert [own(e) for e in rest] == read_lines(copy)[5:]

    @pytest.mark.parametrize("status", [401, 403])
    def test_a_refused_key_is_reported_once_each_batch_tried_once_then_recovers(
        self, datadog_intake: DatadogIntake, status: int, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """401/403 over five batches: one report, five requests (none retried), fifteen
        records lost and counted; once the key is accepted, delivery resumes."""
        datadog_intake.script = [Reply(status, b'{"errors":["Forbidden"]}')] * 5
        sink = make(datadog_intake)
        fastlog_core.configure(sink=sink)
        for batch in range(5):
            log_n(3, start=3 * batch)
            assert fastlog_core.flush(timeout=20)
        assert datadog_intake.statuses() == [status] * 5
        assert sink.delivery_stats()["lost"] == 15
        log_n(3, start=15)
        fastlog_core.shutdown()
        stats = settled(sink)
        assert (stats["lost"], stats["delivered"], stats["retried"]) == (15, 3, 0)
        assert [e["seq"] for e in datadog_intake.records()] == [15, 16, 17]
        err = capfd.readouterr().err
        assert err.count("Datadog refused the API key") == 1
        assert f"Datadog refused the API key (HTTP {status} " in err
        assert "check api_key= or DD_API_KEY" in err

    def test_a_wrong_key_is_refused_by_the_intake(
        self, datadog_intake: DatadogIntake, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """The intake checks the DD-API-KEY header: another key gets 403, counted lost."""
        sink = make(datadog_intake, api_key="0" * 32)
        fastlog_core.configure(sink=sink)
        log_n(4)
        fastlog_core.shutdown()
        assert (settled(sink)["lost"], datadog_intake.statuses()) == (4, [403])
        assert "Datadog refused the API key (HTTP 403" in capfd.readouterr().err

    @pytest.mark.parametrize("status", [408, 429, 500, 503])
    def test_transient_statuses_are_retried_and_nothing_is_lost(
        self, datadog_intake: DatadogIntake, copy: Path, status: int
    ) -> None:
        """408, 429, 500, 503 ("should be retried after some time"): the batch is sent again
        until accepted, delivered once, in order."""
        datadog_intake.script = [Reply(status, b'{"errors":["later"]}')] * 2
        sink = make(datadog_intake)
        fastlog_core.configure(sink=[sink, str(copy)])
        log_n(10)
        fastlog_core.shutdown()
        assert datadog_intake.statuses() == [status, status, 202]
        assert [own(e) for e in datadog_intake.entries()] == read_lines(copy)
        stats = settled(sink)
        assert (stats["delivered"], stats["lost"], stats["failures"], stats["retried"]) == (
            10,
            0,
            2,
            20,
        )

    def test_429_retry_after_is_honoured(self, datadog_intake: DatadogIntake) -> None:
        """429 with Retry-After: 1: the next attempt waits at least that long (the sink's own
        backoff would be 0.1 s)."""
        datadog_intake.script = [Reply(429, b"", {"Retry-After": "1"})]
        sink = make(datadog_intake)
        fastlog_core.configure(sink=sink)
        log_n(2)
        fastlog_core.shutdown()
        (first, _), (second, _) = datadog_intake.seen
        assert second.at - first.at >= 1.0
        assert settled(sink)["delivered"] == 2

    def test_413_splits_the_batch_until_it_fits(
        self, datadog_intake: DatadogIntake, copy: Path
    ) -> None:
        """413: the batch is halved until the intake takes each part; every record once, in
        order, none lost."""
        datadog_intake.max_entries = 8
        sink = make(datadog_intake, batch_wait=30)
        fastlog_core.configure(sink=[sink, str(copy)])
        log_n(64)
        fastlog_core.shutdown()
        assert [own(e) for e in datadog_intake.entries()] == read_lines(copy)
        assert datadog_intake.statuses().count(413) == 7  # 64 -> 32 -> 16 -> 8
        stats = settled(sink)
        assert (stats["delivered"], stats["lost"]) == (64, 0)


class TestUnreachable:
    def test_drop_counts_every_record_it_could_not_deliver(self) -> None:
        """The intake down, policy drop: drops and losses counted, the identities exact."""
        sink = DatadogSink(
            KEY,
            url=f"http://127.0.0.1:{free_port()}/api/v2/logs",
            queue_bytes="64 KiB",
            batch_bytes="16 KiB",
            close_timeout=0.2,
        )
        fastlog_core.configure(
            sink=sink, policy="drop", capacity="256 KiB", max_record_bytes="16 KiB"
        )
        log_n(30_000)
        assert not fastlog_core.shutdown(timeout=2)
        stats = fastlog_core.stats()
        delivery = sink.delivery_stats()
        assert stats["dropped"] > 0 and delivery["delivered"] == 0
        assert stats["records_written"] + stats["dropped"] + stats["lost"] == 30_000
        assert delivery["sent"] == delivery["lost"] + delivery["queued"] + delivery["spill_pending"]

    def test_block_waits_at_most_block_timeout_then_drops(self) -> None:
        """policy block with block_timeout: callers are held at most that long per wait,
        then records are dropped and counted; the caller never hangs."""
        sink = DatadogSink(
            KEY,
            url=f"http://127.0.0.1:{free_port()}/api/v2/logs",
            queue_bytes="64 KiB",
            batch_bytes="16 KiB",
            close_timeout=0.2,
        )
        fastlog_core.configure(
            sink=sink,
            policy="block",
            block_timeout=0.2,
            capacity="64 KiB",
            max_record_bytes="8 KiB",
        )
        finishes(lambda: log_n(5000), timeout=60)  # a liveness bound, not a speed one
        assert not fastlog_core.shutdown(timeout=2)
        stats = fastlog_core.stats()
        assert stats["dropped"] > 0
        assert stats["records_written"] + stats["dropped"] + stats["lost"] == 5000
        delivery = sink.delivery_stats()
        assert delivery["sent"] == delivery["lost"] + delivery["queued"] + delivery["spill_pending"]

    def test_the_spill_is_replayed_in_order_once_the_intake_is_up(self, tmp_path: Path) -> None:
        """Down: the records go to the spill (policy block: none dropped, no caller held
        by the network); up: all delivered, in order."""
        port = free_port()
        sink = DatadogSink(
            KEY,
            url=f"http://127.0.0.1:{port}/api/v2/logs",
            spill=tmp_path / "spill",
            queue_bytes="64 KiB",
            batch_bytes="16 KiB",
            batch_wait=0.05,
        )
        fastlog_core.configure(
            sink=sink, policy="block", capacity="64 KiB", max_record_bytes="8 KiB"
        )
        log_n(5000)
        wait_until(lambda: sink.delivery_stats()["spilled"] > 0)
        intake = DatadogIntake(port)
        try:
            assert fastlog_core.flush(timeout=60) or fastlog_core.flush(timeout=60)
            entries = intake.wait_for(5000, timeout=60)
            assert [e["seq"] for e in entries] == list(range(5000))
            fastlog_core.shutdown()
            assert fastlog_core.stats()["dropped"] == 0
            stats = settled(sink)
            assert (stats["delivered"], stats["lost"]) == (5000, 0) and stats["spilled"] > 0
        finally:
            intake.close()
        assert intake.violations == []


# ---------------------------------------------------------------------------------------------
# Exported, configured by URL and dictConfig, reached from every adapter


LAZY = """
import sys
import fastlog_core
assert "fastlog_core._network.datadog" not in sys.modules
sink_class = fastlog_core.DatadogSink
assert sink_class.__module__ == "fastlog_core._network.datadog", sink_class.__module__
assert "DatadogSink" in fastlog_core.__all__
assert "ddtrace" not in sys.modules
print("ok")
"""


def child(code: str, *args: str, **env: str) -> str:
    path = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=child_env(PYTHONPATH=path, **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class TestIntegration:
    def test_lazy_export(self) -> None:
        """``fastlog_core.DatadogSink`` is imported on first use; ddtrace never by fastlog."""
        assert child(LAZY).split() == ["ok"]

    def test_url_form(self, datadog_intake: DatadogIntake) -> None:
        """``datadog://<site>`` names the site; ``datadog://`` with ``url=`` an intake."""
        from fastlog_core._registry import _make_network

        sink = _make_network("datadog://datadoghq.eu", {"api_key": KEY})
        assert isinstance(sink, DatadogSink)
        assert sink.url == "https://http-intake.logs.datadoghq.eu/api/v2/logs"
        sink.close()
        with pytest.raises(ConfigError, match=r"unknown option 'servce'.*service"):
            _make_network("datadog://", {"api_key": KEY, "servce": "x"})
        with pytest.raises(ConfigError, match=r"not a Datadog site"):
            _make_network("datadog://example.com", {"api_key": KEY})
        with pytest.raises(ConfigError, match=r"expected datadog:// or datadog://<site>"):
            _make_network("datadog://datadoghq.com/path", {"api_key": KEY})
        fastlog_core.configure(
            sink={
                "sink": "datadog://",
                "url": datadog_intake.url,
                "api_key": KEY,
                "batch_wait": 0.05,
            },
            schema="datadog",
        )
        fastlog_core.get_logger("u").info("by url")
        assert fastlog_core.flush(timeout=20)
        [entry] = datadog_intake.wait_for(1)
        assert (entry["message"], entry["status"], entry["logger.name"]) == ("by url", "info", "u")

    def test_dictconfig_with_fastlog_handler(self, datadog_intake: DatadogIntake) -> None:
        root = logging.getLogger()
        handlers = root.handlers[:]
        config = {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "datadog": {
                    "class": "fastlog_stdlib.FastlogHandler",
                    "sink": {
                        "sink": "datadog://",
                        "url": datadog_intake.url,
                        "api_key": KEY,
                        "service": "web",
                        "batch_wait": 0.05,
                    },
                    "schema": "datadog",
                }
            },
            "root": {"handlers": ["datadog"], "level": "INFO"},
        }
        try:
            logging.config.dictConfig(config)
            logging.getLogger("web.orders").warning("slow", extra={"ms": 840})
            assert fastlog_core.flush(timeout=20)
            [entry] = datadog_intake.wait_for(1)
        finally:
            for handler in root.handlers[:]:
                if handler not in handlers:
                    root.removeHandler(handler)
                    handler.close()
        assert {k: entry[k] for k in ("message", "status", "logger.name", "ms", "service")} == {
            "message": "slow",
            "status": "warning",
            "logger.name": "web.orders",
            "ms": 840,
            "service": "web",
        }

    def test_structlog(self, datadog_intake: DatadogIntake, copy: Path) -> None:
        structlog = pytest.importorskip("structlog")
        import fastlog_structlog
        from tests.helpers import reset_structlog

        try:
            fastlog_structlog.configure(sink=[make(datadog_intake), str(copy)], level="debug")
            log = structlog.get_logger("tests.dd.structlog")
            log.info("user logged in", user_id=42)
            log.bind(session="s1").error("denied")
            assert fastlog_core.flush(timeout=20)
            entries = datadog_intake.wait_for(2)
        finally:
            reset_structlog()
        assert [own(e) for e in entries] == read_lines(copy)
        assert [e["message"] for e in entries] == ["user logged in", "denied"]

    def test_loguru(self, datadog_intake: DatadogIntake, copy: Path) -> None:
        loguru = pytest.importorskip("loguru")
        from fastlog_loguru import FastlogSink

        logger = loguru.logger
        logger.remove()
        handler = logger.add(FastlogSink([make(datadog_intake), str(copy)]), level="TRACE")
        try:
            logger.bind(user_id=42).success("paid {}", "12.50")
            logger.trace("tick")
            assert fastlog_core.flush(timeout=20)
            entries = datadog_intake.wait_for(2)
        finally:
            logger.remove(handler)
        assert [own(e) for e in entries] == read_lines(copy)
        assert [e["message"] for e in entries] == ["paid 12.50", "tick"]


# ---------------------------------------------------------------------------------------------
# The datadog schema and the dd.* keys ddtrace's log injection puts on a record


def injected(trace_id: str, span_id: str, service: str = "", env: str = "") -> dict[str, Any]:
    return {
        "timestamp": "2026-12-07T14:00:00.000000Z",
        "level": "info",
        "logger": "app",
        "message": "m",
        "dd.trace_id": trace_id,
        "dd.span_id": span_id,
        "dd.service": service,
        "dd.version": "",
        "dd.env": env,
    }


class TestInjectedKeys:
    @pytest.fixture
    def span(self) -> Any:
        pytest.importorskip("opentelemetry.sdk")
        from opentelemetry.sdk.trace import TracerProvider

        tracer = TracerProvider().get_tracer("fastlog-tests")
        with tracer.start_as_current_span("op") as span:
            yield span.get_span_context()

    def test_placeholders_and_equal_ids_are_written_once(self, span: Any) -> None:
        """In a span: ddtrace's "0"/"" placeholders and copies of the same ids are dropped;
        a real dd.service of the record's own is kept."""
        from fastlog_core._schemas import resolve_schema

        schema = resolve_schema("datadog")
        assert schema is not None
        ours = (str(span.trace_id & (2**64 - 1)), str(span.span_id))
        out = schema.apply(injected("0", "0", service="shop"), 20)
        assert (out["dd.trace_id"], out["dd.span_id"], out["dd.service"]) == (*ours, "shop")
        assert "dd.version" not in out and "dd.env" not in out
        assert not any(key.startswith("fields.") for key in out)
        out = schema.apply(injected(*ours), 20)
        assert [k for k in out if k.startswith(("dd.", "fields."))] == ["dd.trace_id", "dd.span_id"]

    def test_a_different_trace_id_is_kept_aside(self, span: Any) -> None:
        from fastlog_core._schemas import resolve_schema

        schema = resolve_schema("datadog")
        assert schema is not None
        out = schema.apply(injected("123", "456"), 20)
        assert (out["fields.dd.trace_id"], out["fields.dd.span_id"]) == ("123", "456")
        assert out["dd.trace_id"] == str(span.trace_id & (2**64 - 1))

    def test_outside_a_span_the_injected_keys_pass_as_they_are(self) -> None:
        from fastlog_core._schemas import resolve_schema

        schema = resolve_schema("datadog")
        assert schema is not None
        record = injected("0", "0", service="shop")
        out = schema.apply(dict(record), 20)
        assert {k: out[k] for k in record if k.startswith("dd.")} == {
            k: v for k, v in record.items() if k.startswith("dd.")
        }


# ---------------------------------------------------------------------------------------------
# Trace correlation with a real ddtrace (child processes)


def ddtrace_env(**extra: str) -> dict[str, str]:
    """ddtrace offline and quiet: its agent on a closed loopback port, no telemetry, no
    remote configuration, no startup logs."""
    return {
        "DD_TRACE_AGENT_URL": f"http://127.0.0.1:{free_port()}",
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
        "DD_REMOTE_CONFIGURATION_ENABLED": "false",
        "DD_TRACE_STARTUP_LOGS": "false",
        "DD_DATA_STREAMS_ENABLED": "false",
        "DD_PROFILING_ENABLED": "false",
        "DD_SERVICE": "checkout",
        "DD_ENV": "test",
        "DD_VERSION": "2.0",
        **extra,
    }


CORRELATION = """
import json, sys
import ddtrace
from ddtrace.trace import tracer
import fastlog_core

path = sys.argv[1]
fastlog_core.configure(sink=path, schema="datadog")
log = fastlog_core.get_logger("dd")
oracle = {}
with tracer.trace("outer"):
    oracle["outer"] = tracer.get_log_correlation_context()
    log.info("outer")
    with tracer.trace("inner"):
        oracle["inner"] = tracer.get_log_correlation_context()
        log.info("inner")
    log.info("outer again")
log.info("outside")
assert fastlog_core.flush()
print(json.dumps(oracle))
"""


class TestDdtraceCorrelation:
    @pytest.mark.parametrize("bits", ["128", "64"])
    def test_ids_are_ddtraces_own(self, tmp_path: Path, bits: str) -> None:
        """Inside ``tracer.trace()``, dd.trace_id/dd.span_id (and dd.service, dd.env,
        dd.version) equal ``tracer.get_log_correlation_context()``'s: 32 hex digits for a
        128-bit trace, decimal with 128-bit generation off."""
        extra = {} if bits == "128" else {"DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED": "false"}
        path = tmp_path / "app.log"
        oracle = json.loads(child(CORRELATION, str(path), **ddtrace_env(**extra)))
        outer, inner, again, outside = read_lines(path)
        for line, expected in (
            (outer, oracle["outer"]),
            (inner, oracle["inner"]),
            (again, oracle["outer"]),
        ):
            assert {k: line[k] for k in expected} == expected
        assert len(oracle["outer"]["dd.trace_id"]) == (
            32 if bits == "128" else len(oracle["outer"]["dd.trace_id"])
        )
        if bits == "64":
            assert oracle["outer"]["dd.trace_id"].isdigit()
            assert int(oracle["outer"]["dd.trace_id"]) < 2**64
        else:
            assert int(oracle["outer"]["dd.trace_id"], 16) >= 2**64
        assert inner["dd.trace_id"] == outer["dd.trace_id"] != ""
        assert inner["dd.span_id"] != outer["dd.span_id"]
        assert not any(k.startswith("dd.") for k in outside)

    def test_otel_span_gives_the_low_64_bits_and_ddtrace_wins_when_both(
        self, tmp_path: Path
    ) -> None:
        pytest.importorskip("opentelemetry.sdk")
        code = """
        import json, sys
        import ddtrace
        from ddtrace.trace import tracer
        from opentelemetry.sdk.trace import TracerProvider
        import fastlog_core

        fastlog_core.configure(sink=sys.argv[1], schema="datadog")
        log = fastlog_core.get_logger("dd")
        otel = TracerProvider().get_tracer("t")
        out = {}
        with otel.start_as_current_span("otel") as span:
            ctx = span.get_span_context()
            out["otel"] = [str(ctx.trace_id & (2**64 - 1)), str(ctx.span_id)]
            log.info("otel only")
            with tracer.trace("dd"):
                out["dd"] = tracer.get_log_correlation_context()
                log.info("both")
        assert fastlog_core.flush()
        print(json.dumps(out))
        """
        path = tmp_path / "app.log"
        out = json.loads(child(code, str(path), **ddtrace_env()))
        otel_only, both = read_lines(path)
        assert [otel_only["dd.trace_id"], otel_only["dd.span_id"]] == out["otel"]
        assert "dd.service" not in otel_only
        assert {k: both[k] for k in out["dd"]} == out["dd"]

    def test_stdlib_log_injection_is_not_duplicated(self, tmp_path: Path) -> None:
        """ddtrace's log injection puts dd.* on every LogRecord: the datadog schema writes
        each key once (in a span: the same ids; outside: ddtrace's own values)."""
        code = """
        import json, logging, sys
        import ddtrace
        ddtrace.patch(logging=True)
        from ddtrace.trace import tracer
        import fastlog_core
        from fastlog_stdlib import FastlogHandler

        logger = logging.getLogger("app")
        logger.addHandler(FastlogHandler(sink=sys.argv[1], schema="datadog"))
        logger.setLevel(logging.INFO)
        with tracer.trace("op"):
            oracle = tracer.get_log_correlation_context()
            logger.info("in a span")
        logger.info("outside")
        assert fastlog_core.flush()
        print(json.dumps(oracle))
        """
        path = tmp_path / "app.log"
        oracle = json.loads(child(code, str(path), **ddtrace_env(DD_LOGS_INJECTION="true")))
        raw = path.read_bytes().splitlines()
        inside, outside = read_lines(path)
        assert {k: inside[k] for k in oracle} == oracle
        assert not any(k.startswith("fields.") for k in inside)
        assert raw[0].count(b'"dd.trace_id":') == 1 and raw[0].count(b'"dd.service":') == 1
        # Outside a span ddtrace's injected values pass as it writes them ("0": no trace).
        assert (outside["dd.trace_id"], outside["dd.service"]) == ("0", "checkout")

    def test_a_real_span_reaches_the_intake(
        self, datadog_intake: DatadogIntake, tmp_path: Path
    ) -> None:
        """A child process logs in a ddtrace span through DatadogSink: the intake gets
        ddtrace's ids, and the sink's attributes from DD_SERVICE/DD_ENV/DD_VERSION."""
        code = """
        import json, sys
        import ddtrace
        from ddtrace.trace import tracer
        import fastlog_core

        sink = fastlog_core.DatadogSink(url=sys.argv[1], batch_wait=0.05)
        fastlog_core.configure(sink=sink, schema="datadog")
        with tracer.trace("checkout.pay"):
            oracle = tracer.get_log_correlation_context()
            fastlog_core.get_logger("pay").info("charged", amount=12)
        assert fastlog_core.flush(timeout=20)
        print(json.dumps(oracle))
        """
        oracle = json.loads(
            child(code, datadog_intake.url, **ddtrace_env(DD_API_KEY=KEY, DD_HOSTNAME="pod-7"))
        )
        [entry] = datadog_intake.wait_for(1)
        assert {k: entry[k] for k in oracle} == oracle
        assert (entry["message"], entry["amount"], entry["status"]) == ("charged", 12, "info")
        assert {k: entry[k] for k in ATTRIBUTES} == {
            "ddsource": "python",
            "ddtags": "env:test,version:2.0",
            "hostname": "pod-7",
            "service": "checkout",
        }


# ---------------------------------------------------------------------------------------------
# docs/platforms/datadog.md: each Python example runs, against the intake


class TestDocs:
    def test_native_api(
        self, datadog_intake: DatadogIntake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DD_API_KEY", KEY)
        code = rewrite(
            blocks("platforms/datadog.md")[0],
            {
                'site="datadoghq.eu"': f'url="{datadog_intake.url}"',
                "/var/spool/checkout-logs": str(tmp_path / "spool"),
            },
        )
        run(code, "datadog.md:1")
        assert fastlog_core.flush(timeout=20)
        [entry] = datadog_intake.wait_for(1)
        assert {k: entry[k] for k in ("ddtags", "service", "message", "order_id", "amount")} == {
            "ddtags": "env:prod,version:1.4.2,team:payments",
            "service": "checkout",
            "message": "order placed",
            "order_id": 1042,
            "amount": 12.5,
        }
        assert (entry["status"], entry["logger.name"]) == ("info", "checkout")

    def test_dictconfig(
        self, datadog_intake: DatadogIntake, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DD_API_KEY", KEY)
        code = rewrite(
            blocks("platforms/datadog.md")[1],
            {'"datadog://datadoghq.eu"': f'"datadog://", "url": "{datadog_intake.url}"'},
        )
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        try:
            logging.config.dictConfig(run(code, "datadog.md:2")["LOGGING"])
            logging.getLogger("docs.datadog").info("sold", extra={"seq": 5})
            assert fastlog_core.flush(timeout=20)
            [entry] = datadog_intake.wait_for(1)
        finally:
            for handler in root.handlers[:]:
                if handler not in handlers:
                    root.removeHandler(handler)
                    handler.close()
            root.setLevel(level)
        assert (entry["message"], entry["seq"], entry["service"]) == ("sold", 5, "checkout")
        assert entry["logger.name"] == "docs.datadog"

    def test_ddtrace_example(self, datadog_intake: DatadogIntake) -> None:
        """The ddtrace example, in a child process (ddtrace.auto patches the interpreter)."""
        code = rewrite(
            blocks("platforms/datadog.md")[2],
            {'service="checkout")': f'service="checkout", url="{datadog_intake.url}")'},
        )
        child(code, **ddtrace_env(DD_API_KEY=KEY, DD_SERVICE="checkout"))
        [entry] = datadog_intake.wait_for(1)
        assert (entry["message"], entry["amount"], entry["service"]) == (
            "charged",
            12.5,
            "checkout",
        )
        assert len(entry["dd.trace_id"]) == 32 and int(entry["dd.trace_id"], 16) >= 2**64
        assert entry["dd.span_id"].isdigit() and entry["dd.service"] == "checkout"
