"""CloudWatchSink against moto's CloudWatch Logs server (``moto_logs``): records read back with
boto3's ``get_log_events`` and ``filter_log_events``, every PutLogEvents request checked against
the documented limits by the fixture, faults played by its script; the real auth check of moto
in a server process of its own.
"""

from __future__ import annotations

import datetime
import logging
import logging.config
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastlog_core
from fastlog_core import CloudWatchSink, ConfigError
from fastlog_core._network.cloudwatch import _Signer
from tests.helpers import child_env, free_port, run_threads
from tests.platforms.moto_logs import REGION, MotoLogs, MotoProcess, aws_environment

GROUP = "app"
STREAM = "web-1"
HOUR_MS = 3600 * 1000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def line_at(ms: int, seq: int, **fields: Any) -> bytes:
    """A default-schema line stamped *ms* (unix milliseconds)."""
    moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    record = {"timestamp": stamp, "level": "info", "logger": "t", "message": "m", "seq": seq}
    return orjson.dumps({**record, **fields})


def log_records(count: int, start: int = 0, logger: str = "app") -> None:
    log = fastlog_core.get_logger(logger)
    for seq in range(start, start + count):
        log.info("charge", seq=seq, user=f"u{seq % 7}")


def identity(stats: Any) -> bool:
    return bool(
        stats["sent"]
        == stats["delivered"] + stats["lost"] + stats["queued"] + stats["spill_pending"]
    )


def ship(sink: CloudWatchSink, copy: Path, count: int, **options: Any) -> None:
    """Log *count* records to *sink* and *copy*, then shut down (which delivers them)."""
    fastlog_core.configure(sink=[sink, str(copy)], level="debug", **options)
    log_records(count)
    assert fastlog_core.shutdown(timeout=30)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A file each test's pipeline also writes: the lines the sink was given, byte for byte."""
    return tmp_path / "copy.log"


# -- configuration ----------------------------------------------------------------------------


class TestConfiguration:
    @pytest.mark.parametrize(
        ("options", "named"),
        [
            ({"group": ""}, "group="),
            ({"group": "has space"}, "group="),
            ({"stream": "a:b"}, "stream="),
            ({"retention_days": 2}, "retention_days=2"),
            ({"max_event_bytes": "2 MiB"}, "max_event_bytes="),
            ({"max_event_bytes": 100}, "max_event_bytes="),
            ({"batch_records": 10_001}, "batch_records=10001"),
            ({"create_group": "yes"}, "create_group="),
            ({"endpoint_url": "ftp://x"}, "endpoint_url="),
        ],
    )
    def test_bad_options_are_refused_naming_them(
        self, moto_logs: MotoLogs, options: dict[str, Any], named: str
    ) -> None:
        """Each bad option fails at construction with a ConfigError naming it."""
        args = {"group": GROUP, **options}
        with pytest.raises(ConfigError, match=named.replace("(", r"\(")):
            CloudWatchSink(**args)

    def test_no_region_is_a_config_error(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Without region= nor AWS_REGION/AWS_DEFAULT_REGION/a profile's region: ConfigError."""
        aws_environment(monkeypatch, tmp_path, None)
        monkeypatch.delenv("AWS_DEFAULT_REGION")
        with pytest.raises(ConfigError, match="region: none given"):
            CloudWatchSink(GROUP)

    def test_missing_botocore_names_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without botocore the ConfigError gives the pip command."""
        monkeypatch.setitem(sys.modules, "botocore", None)
        monkeypatch.setitem(sys.modules, "botocore.session", None)
        with pytest.raises(ConfigError, match=r'pip install "fastlog-py\[aws\]"'):
            CloudWatchSink(GROUP, region=REGION)

    def test_the_stream_name_expands_hostname_and_pid(self, moto_logs: MotoLogs) -> None:
        sink = CloudWatchSink(GROUP)
        assert sink.stream == os.uname().nodename
        sink = CloudWatchSink(GROUP, "{hostname}-{pid}")
        assert sink.stream == f"{os.uname().nodename}-{os.getpid()}"
        assert repr(sink) == f"CloudWatchSink('app', {sink.stream!r}, region='us-east-1')"

    def test_lazy_export_and_no_aws_import(self) -> None:
        """fastlog_core.CloudWatchSink is the sink; importing fastlog_core loads no botocore."""
        from fastlog_core._network.cloudwatch import CloudWatchSink as Direct

        assert fastlog_core.CloudWatchSink is Direct
        code = "import sys, fastlog_core; print('botocore' in sys.modules, 'boto3' in sys.modules)"
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=child_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.split() == ["False", "False"], out.stderr

    def test_signature_is_botocores(self) -> None:
        """The SigV4 headers equal botocore's SigV4Auth for the same request and time."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        moment = datetime.datetime(2026, 1, 31, 12, 0, 0, tzinfo=datetime.UTC)
        payload = b'{"logGroupName":"app"}'
        for token in (None, "session-token"):
            ours = _Signer("eu-west-1", "logs.eu-west-1.amazonaws.com").headers(
                "Logs_20140328.CreateLogGroup", payload, ("AKIDEXAMPLE", "secret", token), moment
            )
            request = AWSRequest(
                "POST",
                "https://logs.eu-west-1.amazonaws.com/",
                data=payload,
                headers={
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": "Logs_20140328.CreateLogGroup",
                },
            )
            auth = SigV4Auth(Credentials("AKIDEXAMPLE", "secret", token), "logs", "eu-west-1")
            auth._get_current_datetime = lambda: moment.replace(tzinfo=None)  # type: ignore[method-assign]
            import botocore.auth

            saved = botocore.auth.get_current_datetime
            botocore.auth.get_current_datetime = lambda: moment.replace(tzinfo=None)
            try:
                auth.add_auth(request)
            finally:
                botocore.auth.get_current_datetime = saved
            assert ours["authorization"] == request.headers["Authorization"]
            assert ours["x-amz-date"] == request.headers["X-Amz-Date"]


# -- delivery ---------------------------------------------------------------------------------


class TestDelivery:
    def test_records_read_back_in_order_byte_for_byte(
        self, moto_logs: MotoLogs, copy: Path
    ) -> None:
        """Group and stream created; get_log_events and filter_log_events give every record,
        in order, each message the line as written, each timestamp the record's own."""
        sink = CloudWatchSink(GROUP, STREAM, batch_records=700)
        moto_logs.names = (GROUP, STREAM)
        ship(sink, copy, 3000)
        written = copy.read_bytes().splitlines()
        events = moto_logs.events(GROUP, STREAM)
        assert [e["message"].encode() for e in events] == written
        for event, line in zip(events, written, strict=True):
            stamp = datetime.datetime.fromisoformat(orjson.loads(line)["timestamp"])
            assert event["timestamp"] == int(stamp.timestamp() * 1000)
        filtered = moto_logs.filtered(GROUP)
        assert [e["message"].encode() for e in filtered] == written
        assert {e["logStreamName"] for e in filtered} == {STREAM}
        stats = sink.delivery_stats()
        assert (stats["sent"], stats["delivered"], stats["lost"]) == (3000, 3000, 0)
        assert identity(stats)
        assert moto_logs.calls["create_log_group"] == 1
        assert moto_logs.calls["create_log_stream"] == 1
        assert sum(p.count for p in moto_logs.puts) == 3000

    def test_an_existing_group_and_stream_are_used(self, moto_logs: MotoLogs, copy: Path) -> None:
        """Creating what exists is fine (ResourceAlreadyExists): nothing reported, delivered."""
        moto_logs.client.create_log_group(logGroupName=GROUP)
        moto_logs.client.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
        sink = CloudWatchSink(GROUP, STREAM)
        ship(sink, copy, 50)
        assert [m["seq"] for m in moto_logs.messages(GROUP, STREAM)] == list(range(50))

    def test_denied_creation_is_reported_and_tolerated(
        self, moto_logs: MotoLogs, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """AccessDenied on CreateLogGroup/CreateLogStream: reported, PutLogEvents still sent."""
        moto_logs.client.create_log_group(logGroupName=GROUP)
        moto_logs.client.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
        moto_logs.script("create_log_group", "denied")
        moto_logs.script("create_log_stream", "denied")
        sink = CloudWatchSink(GROUP, STREAM)
        ship(sink, copy, 20)
        assert [m["seq"] for m in moto_logs.messages(GROUP, STREAM)] == list(range(20))
        assert "CreateLogGroup was denied" in capfd.readouterr().err

    def test_without_creation_a_missing_group_loses_the_batch_reported(
        self, moto_logs: MotoLogs, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """create_group=False, create_stream=False, nothing there: lost, counted, told once."""
        sink = CloudWatchSink(GROUP, STREAM, create_group=False, create_stream=False)
        ship(sink, copy, 10)
        stats = sink.delivery_stats()
        assert (stats["delivered"], stats["lost"]) == (0, 10)
        assert "may not be created (create_group=False" in capfd.readouterr().err
        assert moto_logs.calls["create_log_group"] == 0

    def test_retention_days_sets_the_policy(self, moto_logs: MotoLogs, copy: Path) -> None:
        sink = CloudWatchSink(GROUP, STREAM, retention_days=30)
        ship(sink, copy, 5)
        groups = moto_logs.client.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]
        assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [(GROUP, 30)]

    def test_a_deleted_stream_is_recreated(self, moto_logs: MotoLogs, copy: Path) -> None:
        """ResourceNotFound after the stream was deleted: created again, the batch delivered."""
        sink = CloudWatchSink(GROUP, STREAM)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        log_records(10)
        assert fastlog_core.flush(timeout=10)
        moto_logs.client.delete_log_stream(logGroupName=GROUP, logStreamName=STREAM)
        log_records(10, start=10)
        assert fastlog_core.shutdown(timeout=10)
        assert [m["seq"] for m in moto_logs.messages(GROUP, STREAM)] == list(range(10, 20))
        assert moto_logs.calls["create_log_stream"] == 2
        assert sink.delivery_stats()["lost"] == 0

    @pytest.mark.parametrize(
        "source", ["argument", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL"]
    )
    def test_the_endpoint_from_each_source(
        self, moto_logs: MotoLogs, copy: Path, monkeypatch: pytest.MonkeyPatch, source: str
    ) -> None:
        """endpoint_url=, else the service's variable, else the general one: each reaches moto;
        the more specific wins over a wrong general one."""
        monkeypatch.delenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
        wrong = f"http://127.0.0.1:{free_port()}"
        options: dict[str, Any] = {}
        if source == "argument":
            monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", wrong)
            options["endpoint_url"] = moto_logs.url
        elif source == "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS":
            monkeypatch.setenv("AWS_ENDPOINT_URL", wrong)
            monkeypatch.setenv(source, moto_logs.url)
        else:
            monkeypatch.setenv(source, moto_logs.url)
        sink = CloudWatchSink(GROUP, STREAM, **options)
        assert sink.endpoint_url == moto_logs.url
        ship(sink, copy, 5)
        assert len(moto_logs.events(GROUP, STREAM)) == 5

    def test_stdlib_dictconfig_by_url(self, moto_logs: MotoLogs) -> None:
        """dictConfig names the sink cloudwatch://group/stream?region=...; logging records
        (extra= fields, %-formatting) arrive in order."""
        logger = logging.getLogger("cw.dictconfig")
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "handlers": {
                    "cloudwatch": {
                        "class": "fastlog_stdlib.FastlogHandler",
                        "sink": {
                            "sink": f"cloudwatch://{GROUP}/{STREAM}?region={REGION}",
                            "retention_days": 7,
                        },
                    }
                },
                "loggers": {"cw.dictconfig": {"level": "INFO", "handlers": ["cloudwatch"]}},
            }
        )
        try:
            for seq in range(30):
                logger.info("order %d", seq, extra={"seq": seq})
            assert fastlog_core.shutdown(timeout=10)
        finally:
            for handler in logger.handlers[:]:
                logger.removeHandler(handler)
                handler.close()
        messages = moto_logs.messages(GROUP, STREAM)
        assert [(m["message"], m["seq"]) for m in messages] == [
            (f"order {n}", n) for n in range(30)
        ]
        groups = moto_logs.client.describe_log_groups()["logGroups"]
        assert groups[0]["retentionInDays"] == 7

    def test_structlog_through_the_sink(self, moto_logs: MotoLogs) -> None:
        """structlog's records through fastlog_structlog reach the stream, fields intact."""
        import structlog

        from fastlog_structlog import configure as configure_structlog
        from tests.helpers import reset_structlog

        try:
            configure_structlog(sink=CloudWatchSink(GROUP, STREAM))
            log = structlog.get_logger("svc")
            for seq in range(25):
                log.info("event", seq=seq)
            assert fastlog_core.shutdown(timeout=10)
        finally:
            reset_structlog()
        messages = moto_logs.messages(GROUP, STREAM)
        assert [(m["message"], m["seq"]) for m in messages] == [("event", n) for n in range(25)]

    def test_url_form_and_its_errors(self, moto_logs: MotoLogs) -> None:
        """%2F in the group; options in the query string or the sink dict, not both."""
        sink = CloudWatchSink.from_url("cloudwatch://%2Faws%2Fapp/s%201", region=REGION)
        assert (sink.group, sink.stream) == ("/aws/app", "s 1")
        with pytest.raises(ConfigError, match="unknown query parameter 'colour'"):
            CloudWatchSink.from_url("cloudwatch://g?colour=red")
        with pytest.raises(ConfigError, match="region given twice"):
            CloudWatchSink.from_url("cloudwatch://g?region=x", region="y")
        with pytest.raises(ConfigError, match="unknown option 'colour'"):
            fastlog_core.configure(sink={"sink": "cloudwatch://g", "colour": 1})


# -- the limits -------------------------------------------------------------------------------


class TestLimits:
    def test_out_of_order_lines_are_sorted_stably(self, moto_logs: MotoLogs) -> None:
        """Lines given out of time order go in time order (equal times in arrival order)."""
        sink = CloudWatchSink(GROUP, STREAM)
        base = now_ms() - 60_000
        offsets = [5, 1, 3, 1, 0, 5, 2]
        sink.write(b"".join(line_at(base + o, k) + b"\n" for k, o in enumerate(offsets)))
        sink.close()
        sink.close()
        events = moto_logs.events(GROUP, STREAM)
        assert [orjson.loads(e["message"])["seq"] for e in events] == [4, 1, 3, 6, 2, 0, 5]
        assert [e["timestamp"] - base for e in events] == sorted(offsets)
        assert len(moto_logs.puts) == 1

    def test_threads_interleaved_go_sorted_in_every_request(self, moto_logs: MotoLogs) -> None:
        """8 threads logging at once: each request in time order (the fixture checks), every
        record read back, each thread's in its order."""
        sink = CloudWatchSink(GROUP, STREAM, batch_records=500)
        fastlog_core.configure(sink=sink)

        def work(n: int) -> None:
            log = fastlog_core.get_logger(f"t{n}")
            for seq in range(2000):
                log.info("x", seq=seq)

        run_threads(work, 8)
        assert fastlog_core.shutdown(timeout=30)
        messages = moto_logs.messages(GROUP, STREAM)
        assert len(messages) == 16_000
        for n in range(8):
            assert [m["seq"] for m in messages if m["logger"] == f"t{n}"] == list(range(2000))
        stamps = [e["timestamp"] for e in moto_logs.events(GROUP, STREAM)]
        assert stamps == sorted(stamps)

    def test_a_25_hour_span_goes_in_two_requests(self, moto_logs: MotoLogs) -> None:
        sink = CloudWatchSink(GROUP, STREAM)
        now = now_ms()
        stamps = [now - 25 * HOUR_MS, now - 24 * HOUR_MS, now - 2 * HOUR_MS, now]
        sink.write(b"".join(line_at(ms, k) + b"\n" for k, ms in enumerate(stamps)))
        sink.close()
        sink.close()
        # The first request spans 23 h (the next event would make it 25 h): two requests.
        assert [(p.count, p.first, p.last) for p in moto_logs.puts] == [
            (3, stamps[0], stamps[2]),
            (1, stamps[3], stamps[3]),
        ]
        assert [e["timestamp"] for e in moto_logs.events(GROUP, STREAM)] == stamps

    def test_count_and_bytes_limits_cut_requests(self, moto_logs: MotoLogs) -> None:
        """25,000 small lines in one batch → requests of 10,000; 1,200 lines of 2 KiB → requests
        under 1 MiB counting 26 bytes each."""
        sink = CloudWatchSink(GROUP, STREAM, batch_records=10_000, batch_bytes="8 MiB",
                              queue_bytes="16 MiB")  # fmt: skip
        now = now_ms()
        tiny = line_at(now, 0)[:42] + b"}"  # {"timestamp":"...Z"}: 43 + 26 bytes a piece
        sink.write(b"".join(tiny + b"\n" for k in range(25_000)))
        assert sink.drain(30)
        big = "é" * 1000  # 2000 bytes of UTF-8
        sink.write(b"".join(line_at(now, k, pad=big) + b"\n" for k in range(1200)))
        assert sink.drain(30)
        sink.close()
        counts = [p.count for p in moto_logs.puts]
        assert counts[:3] == [10_000, 10_000, 5000]
        assert sum(counts[3:]) == 1200 and len(counts) > 4
        assert all(p.size <= 1_048_576 for p in moto_logs.puts)
        assert len(moto_logs.events(GROUP, STREAM)) == 26_200
        assert orjson.loads(tiny)["timestamp"].endswith("Z")

    def test_too_old_and_too_new_are_lost_with_the_reason(
        self, moto_logs: MotoLogs, capfd: pytest.CaptureFixture[str]
    ) -> None:
        sink = CloudWatchSink(GROUP, STREAM)
        now = now_ms()
        stamps = [now - 15 * 24 * HOUR_MS, now - 1000, now + 3 * HOUR_MS, now]
        sink.write(b"".join(line_at(ms, k) + b"\n" for k, ms in enumerate(stamps)))
        sink.close()
        stats = sink.delivery_stats()
        sink.close()
        assert (stats["delivered"], stats["lost"]) == (2, 2) and identity(stats)
        err = capfd.readouterr().err
        assert "older than 14 days" in err and "more than 2 hours ahead" in err
        assert [e["timestamp"] for e in moto_logs.events(GROUP, STREAM)] == [now - 1000, now]

    def test_an_event_over_256_kib_is_truncated_and_marked(
        self, moto_logs: MotoLogs, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        sink = CloudWatchSink(GROUP, STREAM)
        fastlog_core.configure(sink=[sink, str(copy)])
        log = fastlog_core.get_logger("big")
        log.info("small", seq=0)
        log.info("huge", seq=1, blob="x" * 300_000)
        log.info("small", seq=2)
        assert fastlog_core.shutdown(timeout=10)
        written = copy.read_bytes().splitlines()
        messages = moto_logs.messages(GROUP, STREAM)
        assert [m["seq"] for m in messages] == [0, 1, 2]
        huge = messages[1]
        assert huge["fastlog_truncated"] == len(written[1])
        assert huge["message"] == "huge" and huge["blob"].startswith("xxx")
        size = len(moto_logs.events(GROUP, STREAM)[1]["message"].encode())
        assert 200_000 < size <= 256 * 1024 - 26
        assert sink.delivery_stats()["truncated"] == 1
        assert "were truncated (marked fastlog_truncated)" in capfd.readouterr().err

    def test_rejected_log_events_info_is_counted_lost(
        self, moto_logs: MotoLogs, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A 200 whose rejectedLogEventsInfo names events: those are lost and counted."""
        moto_logs.client.create_log_group(logGroupName=GROUP)
        moto_logs.client.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
        moto_logs.rejected = {"tooOldLogEventEndIndex": 2, "tooNewLogEventStartIndex": 9}
        sink = CloudWatchSink(GROUP, STREAM)
        now = now_ms()
        sink.write(b"".join(line_at(now, k) + b"\n" for k in range(10)))
        sink.close()
        stats = sink.delivery_stats()
        sink.close()
        assert (stats["delivered"], stats["lost"]) == (7, 3) and identity(stats)
        assert "refused by the service" in capfd.readouterr().err


# -- faults -----------------------------------------------------------------------------------


class TestFaults:
    @pytest.mark.parametrize(
        "faults",
        [["throttle", "throttle", "throttle"], ["500"], ["unavailable", "throttle"], ["drop"]],
    )
    def test_transient_failures_are_retried_none_lost(
        self, moto_logs: MotoLogs, copy: Path, faults: list[str]
    ) -> None:
        """Throttling (k times), 5xx, ServiceUnavailable, a dropped connection: the request is
        sent again after a backoff; each record arrives once."""
        moto_logs.script("put_log_events", *faults)
        sink = CloudWatchSink(GROUP, STREAM, retry_max_wait=0.2)
        ship(sink, copy, 100)
        assert [m["seq"] for m in moto_logs.messages(GROUP, STREAM)] == list(range(100))
        assert moto_logs.calls["put_log_events"] == len(faults) + 1
        stats = sink.delivery_stats()
        assert stats["retried"] == 100 * len(faults) and stats["failures"] == len(faults)
        assert (stats["delivered"], stats["lost"]) == (100, 0) and identity(stats)

    def test_a_throttled_creation_is_retried(self, moto_logs: MotoLogs, copy: Path) -> None:
        moto_logs.script("create_log_group", "throttle")
        sink = CloudWatchSink(GROUP, STREAM, retry_max_wait=0.2)
        ship(sink, copy, 10)
        assert len(moto_logs.events(GROUP, STREAM)) == 10
        assert moto_logs.calls["create_log_group"] == 2

    def test_413_splits_the_request(self, moto_logs: MotoLogs, copy: Path) -> None:
        """413 for 100 events: two requests of 50 are sent instead, each record once."""
        moto_logs.script("put_log_events", "413")
        sink = CloudWatchSink(GROUP, STREAM)
        ship(sink, copy, 100)
        assert [p.count for p in moto_logs.puts] == [100, 50, 50]
        assert [m["seq"] for m in moto_logs.messages(GROUP, STREAM)] == list(range(100))
        assert sink.delivery_stats()["lost"] == 0

    def test_a_retry_after_a_partial_batch_sends_only_the_rest(self, moto_logs: MotoLogs) -> None:
        """A batch in two requests (25 h span) whose second is throttled: the retry sends only
        the second; each record arrives once."""
        sink = CloudWatchSink(GROUP, STREAM, retry_max_wait=0.2)
        now = now_ms()
        stamps = [now - 25 * HOUR_MS, now - 25 * HOUR_MS + 1, now]
        moto_logs.client.create_log_group(logGroupName=GROUP)
        moto_logs.client.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
        original = moto_logs.fault_for

        def second_throttled(operation: str) -> str | None:
            fault = original(operation)
            if operation == "put_log_events" and moto_logs.calls[operation] == 2:
                return "throttle"
            return fault

        moto_logs.fault_for = second_throttled  # type: ignore[method-assign]
        sink.write(b"".join(line_at(ms, k) + b"\n" for k, ms in enumerate(stamps)))
        sink.close()
        stats = sink.delivery_stats()
        sink.close()
        assert [p.count for p in moto_logs.puts] == [2, 1, 1]
        assert [orjson.loads(e["message"])["seq"] for e in moto_logs.events(GROUP, STREAM)] == [
            0,
            1,
            2,
        ]
        assert (stats["delivered"], stats["lost"], stats["failures"]) == (3, 0, 1)

    def test_unreachable_with_drop_counts_every_record(self) -> None:
        """The endpoint down, no spill, policy drop: records dropped or lost, all counted."""
        sink = CloudWatchSink(
            GROUP,
            STREAM,
            region=REGION,
            endpoint_url=f"http://127.0.0.1:{free_port()}",
            queue_bytes="64 KiB",
            batch_bytes="16 KiB",
            close_timeout=0.2,
        )
        fastlog_core.configure(
            sink=sink, policy="drop", capacity="256 KiB", max_record_bytes="16 KiB"
        )
        log_records(20_000)
        fastlog_core.shutdown(timeout=2)
        stats = fastlog_core.stats()
        delivery = sink.delivery_stats()
        assert stats["dropped"] > 0 and delivery["delivered"] == 0
        assert stats["records_written"] + stats["dropped"] + stats["lost"] == 20_000
        assert identity(delivery) and delivery["queued"] == 0

    def test_unreachable_with_spill_replays_in_order(
        self, moto_logs: MotoLogs, tmp_path: Path
    ) -> None:
        """Down: everything goes to the spill; the next sink on the directory delivers it
        first, in order, then its own."""
        spill = tmp_path / "spill"
        down = CloudWatchSink(
            GROUP,
            STREAM,
            endpoint_url=f"http://127.0.0.1:{free_port()}",
            spill=spill,
            queue_bytes="64 KiB",
            batch_bytes="16 KiB",
            close_timeout=0.2,
        )
        fastlog_core.configure(sink=down, policy="block")
        log_records(5000)
        fastlog_core.shutdown(timeout=10)
        stats = down.delivery_stats()
        assert (stats["sent"], stats["delivered"], stats["lost"]) == (5000, 0, 0)
        assert stats["spill_pending"] == 5000 and identity(stats)
        up = CloudWatchSink(GROUP, STREAM, spill=spill)
        fastlog_core.configure(sink=up)
        log_records(10, start=5000)
        assert fastlog_core.shutdown(timeout=30)
        assert [m["seq"] for m in moto_logs.messages(GROUP, STREAM)] == list(range(5010))
        assert up.delivery_stats()["spill_pending"] == 0

    def test_refused_credentials_reported_once_counted_and_recovered(
        self, moto_logs: MotoLogs, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """400 UnrecognizedClientException (AWS's answer to unknown keys) for three batches:
        each tried once, lost and counted, one clear report naming the credentials' source and
        the region; accepted again, the next batch is delivered."""
        moto_logs.script("create_log_group", "unrecognized", "unrecognized")
        moto_logs.script("put_log_events", "unrecognized")
        sink = CloudWatchSink(GROUP, STREAM, retry_max_wait=0.2)
        fastlog_core.configure(sink=sink)
        for batch in range(4):
            log_records(10, start=10 * batch)
            assert fastlog_core.flush(timeout=10)
        assert fastlog_core.shutdown(timeout=10)
        stats = sink.delivery_stats()
        assert (stats["sent"], stats["delivered"], stats["lost"]) == (40, 10, 30)
        assert (stats["retried"], stats["failures"]) == (0, 0) and identity(stats)
        # Batches 1 and 2: CreateLogGroup refused; 3: created, PutLogEvents refused; 4: both
        # again (a refusal makes the sink prepare afresh), delivered.
        assert moto_logs.calls["create_log_group"] == 4
        assert moto_logs.calls["put_log_events"] == 2
        err = capfd.readouterr().err
        assert err.count("refused the credentials") == 1
        assert "source: env, region: us-east-1" in err
        messages = moto_logs.messages(GROUP, STREAM)
        assert [m["seq"] for m in messages if "seq" in m] == list(range(30, 40))
        # The rest: fastlog's note telling of lost records (in the batch after a loss).
        assert {m["logger"] for m in messages if "seq" not in m} == {"fastlog"}


@pytest.fixture
def moto_with_auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """moto's server in a process of its own, checking every request's keys."""
    aws_environment(monkeypatch, tmp_path, None)
    server = MotoProcess(child_env(INITIAL_NO_AUTH_ACTION_COUNT="0"))
    try:
        yield server.url
    finally:
        summary = server.stop()
    assert summary == {"puts": 0, "events": 0, "violations": []}


def test_bad_keys_through_motos_auth_are_reported_once_and_not_retried(
    moto_with_auth: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """moto checking keys answers 403 InvalidClientTokenId (XML): every batch tried once, lost,
    counted; one report; nothing retried."""
    sink = CloudWatchSink(GROUP, STREAM, endpoint_url=moto_with_auth)
    fastlog_core.configure(sink=sink)
    for batch in range(3):
        log_records(10, start=10 * batch)
        assert fastlog_core.flush(timeout=10)
    assert fastlog_core.shutdown(timeout=10)
    stats = sink.delivery_stats()
    assert (stats["sent"], stats["delivered"], stats["lost"]) == (30, 0, 30)
    assert (stats["retried"], stats["failures"]) == (0, 0) and identity(stats)
    err = capfd.readouterr().err
    assert err.count("refused the credentials") == 1
    assert "InvalidClientTokenId" in err and "source: env" in err


# -- volume -----------------------------------------------------------------------------------


def test_a_million_records_in_order_none_lost(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """1,000,000 records through moto's server (in a process of its own: in this one its
    request handling would compete for the GIL with the logging loop): read back in order,
    none lost, and no request beyond a limit (the server's own check of every request)."""
    aws_environment(monkeypatch, tmp_path, None)
    server = MotoProcess(child_env(), names=(GROUP, STREAM))
    try:
        # The default queue: the callers wait for moto under "block", however slow one
        # request is on a loaded machine (the writer is not taken for stuck meanwhile).
        sink = CloudWatchSink(GROUP, STREAM, endpoint_url=server.url)
        fastlog_core.configure(sink=sink, policy="block")
        log = fastlog_core.get_logger("volume")
        for seq in range(1_000_000):
            log.info("m", seq=seq)
        assert fastlog_core.shutdown(timeout=120)
        stats = sink.delivery_stats()
        assert (stats["sent"], stats["delivered"], stats["lost"]) == (1_000_000, 1_000_000, 0), (
            stats,
            fastlog_core.stats(),
        )
        reader = MotoLogs(server.url)
        events = reader.events(GROUP, STREAM)
        assert len(events) == 1_000_000
        loads = orjson.loads
        assert all(loads(e["message"])["seq"] == k for k, e in enumerate(events))
    finally:
        summary = server.stop()
    assert summary["violations"] == []
    assert summary["events"] == 1_000_000


def test_loki_and_cloudwatch_share_the_time_reading() -> None:
    """The ms read for each schema's line: default, ecs, gcp, otel, datadog, and arrival time."""
    from fastlog_core._network._stamps import epoch_ms

    ms = 1769860800123
    lines = {
        b'{"timestamp":"2026-01-31T12:00:00.123456Z","level":"info"}': ms,
        b'{"@timestamp":"2026-01-31T12:00:00.123456Z","log.level":"info"}': ms,
        b'{"severity":"INFO","message":"m","time":"2026-01-31T12:00:00.123456Z"}': ms,
        b'{"Timestamp":"1769860800123456789","SeverityText":"INFO"}': ms,
        b'{"timestamp":"2026-01-31T12:00:00.123456Z","status":"info"}': ms,
        b'{"time":"2026-01-31T14:00:00.123+02:00"}': ms,
        b'{"timestamp":1769860800.123}': ms,
        b'{"message":"no time"}': 42,
        b"not json": 42,
    }
    assert {line: epoch_ms(line, 42) for line in lines} == lines
    before = now_ms()
    assert before <= epoch_ms(b"{}") <= now_ms()


@given(
    message=st.one_of(
        st.text(),
        st.none(),
        st.integers(-(2**63), 2**63 - 1),
        st.dictionaries(st.text(), st.text()),
    ),
    micros=st.integers(978_307_200_000_000, 9_999_999_999_999_999),
)
def test_the_fast_time_paths_read_what_parsing_reads(message: object, micros: int) -> None:
    """The otel and gcp lines' times, read in place, equal the parsed line's (any message:
    quotes, backslashes, a dict with its own "time" key, none)."""
    from fastlog_core._network._stamps import Stamps

    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=micros)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    gcp = {"severity": "INFO", "message": message, "time": stamp, "x": {"time": "0"}}
    otel = {"Timestamp": str(micros * 1000), "SeverityText": "INFO", "Body": message}
    for record in (gcp, otel):
        line = orjson.dumps(record)
        parsed = Stamps().record_nanoseconds(orjson.loads(line))
        assert parsed is not None
        assert Stamps().epoch_ms(line, 0) == int(parsed) // 1_000_000 == micros // 1000


@pytest.mark.parametrize(
    ("status", "headers", "body", "code", "message"),
    [
        (
            400,
            {"x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/"},
            b'{"__type":"ThrottlingException","message":"Rate exceeded"}',
            "ThrottlingException",
            "Rate exceeded",
        ),
        (
            400,
            {},
            b'{"__type":"com.amazonaws.logs#ResourceNotFoundException","Message":"gone"}',
            "ResourceNotFoundException",
            "gone",
        ),
        (
            403,
            {},
            b"<ErrorResponse><Error><Code>InvalidClientTokenId</Code>"
            b"<Message>bad key</Message></Error></ErrorResponse>",
            "InvalidClientTokenId",
            "bad key",
        ),
        (502, {}, b"Bad Gateway", "", "Bad Gateway"),
    ],
)
def test_error_answers_are_read_from_header_json_or_xml(
    status: int, headers: dict[str, str], body: bytes, code: str, message: str
) -> None:
    """The error code from X-Amzn-ErrorType, else JSON __type (after '#'), else XML <Code>."""
    from fastlog_core._network.cloudwatch import _aws_error
    from fastlog_core._network.transport import Response

    error = _aws_error(Response(status, "", headers, body))
    assert (error.status, error.code, error.message) == (status, code, message)
    assert error.auth == (status == 403)
