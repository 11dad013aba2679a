"""HTTPSink: each format's requests as its service documents them (against the loopback
receiver, every request kept), and records read back with SQL from a real ClickHouse server.

The faults (400, 413, 429/503, refused, silent, slow-loris, reset, TLS) are in
``test_http_faults.py``.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import logging
import logging.config
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import fastlog_core
from fastlog_core import ConfigError
from fastlog_core._network.http import FORMATS, HTTPSink, _make_format
from fastlog_stdlib import FastlogHandler
from tests.helpers import read_lines, wait_until
from tests.network.clickhouse import WRITER_PASSWORD, ClickHouse
from tests.network.receiver import Receiver, Reply


def total_lines(requests: list[Any]) -> int:
    return sum(len(r.body.splitlines()) for r in requests)


def log_records(count: int, logger: str = "app", start: int = 1) -> None:
    """*count* records with ``seq`` start..start+count-1: info, and every third a warning."""
    log = fastlog_core.get_logger(logger)
    for seq in range(start, start + count):
        method = log.warning if seq % 3 == 0 else log.info
        method("charge", seq=seq, user=f"u{seq % 7}", amount=seq / 4)


def ns_of(timestamp: str) -> str:
    """RFC 3339 text (``...Z``) to unix nanoseconds, the slow and obvious way."""
    moment = datetime.datetime.fromisoformat(timestamp)
    delta = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    return str(delta // datetime.timedelta(microseconds=1) * 1000)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A file every test's pipeline also writes: the lines the sink was given, byte for byte."""
    return tmp_path / "copy.log"


def ship(sink: HTTPSink, copy: Path, count: int, **options: Any) -> None:
    """Log *count* records to *sink* and *copy*, then shut down (which delivers them)."""
    fastlog_core.configure(sink=[sink, str(copy)], level="debug", **options)
    log_records(count)
    fastlog_core.shutdown()


# -- configuration ----------------------------------------------------------------------------


class TestConfiguration:
    def test_an_unknown_format_names_the_accepted_ones(self) -> None:
        """format= other than a known name is refused at construction, listing the names."""
        with pytest.raises(ConfigError) as caught:
            HTTPSink("http://127.0.0.1:9/", format="splunk")
        message = str(caught.value)
        assert message.startswith("format='splunk': not a known format; accepted: ")
        for name in FORMATS:
            assert repr(name) in message

    @pytest.mark.parametrize(
        "url",
        ["ftp://127.0.0.1/x", "127.0.0.1:8123", "http://", "http://127.0.0.1:99999/", "", 8123],
    )
    def test_a_bad_url_is_refused_naming_the_option(self, url: Any) -> None:
        """Not an http(s) URL with a host (or a bad port): ConfigError naming url."""
        with pytest.raises(ConfigError, match=r"^url: .*http:// or https:// URL"):
            HTTPSink(url)

    @pytest.mark.parametrize(
        ("options", "match"),
        [
            ({"format": "clickhouse"}, r"needs table="),
            ({"format": "clickhouse", "table": "logs; DROP TABLE x"}, r"^table="),
            ({"format": "elasticsearch"}, r"needs index= or an index in the URL"),
            ({"format": "elasticsearch", "index": "logs", "op": "update"}, r"^op='update'"),
            ({"index": "logs"}, r"^index=: applies to format='elasticsearch'"),
            ({"format": "loki", "table": "logs"}, r"^table=: applies to format='clickhouse'"),
            ({"format": "loki", "labels": {"service-name": "x"}}, r"not a Loki label name"),
            ({"format": "loki", "labels": {"level": "x"}}, r"not a Loki label name"),
            (
                {"ca_file": "/etc/ssl/certs/ca-certificates.crt"},
                r"^ca_file: applies to an https:// URL",
            ),
            ({"auth": ("user",)}, r"^auth: expected a \(user, password\) pair"),
            ({"auth": ("a", "b"), "token": "t"}, r"give one way to authenticate"),
            ({"gzip": "yes"}, r"^gzip="),
            ({"headers": {"X-A": 1}}, r"^headers: "),
        ],
    )
    def test_bad_options_are_refused_at_construction(
        self, options: dict[str, Any], match: str
    ) -> None:
        """Each bad option is a ConfigError naming it, before any thread or connection."""
        with pytest.raises(ConfigError, match=match):
            HTTPSink("http://127.0.0.1:9/", **options)

    def test_credentials_are_never_shown(self) -> None:
        """repr and url mask the URL's password, secret-looking query values, auth, token."""
        secrets = ["pw-in-url", "pw-in-query", "pw-in-auth", "tok-secret", "key-in-query"]
        sinks = [
            HTTPSink(
                "http://alice:pw-in-url@127.0.0.1:9/ingest?password=pw-in-query&tag=web"
                "&api_key=key-in-query"
            ),
            HTTPSink(
                "http://127.0.0.1:9/",
                format="clickhouse",
                table="logs",
                auth=("alice", "pw-in-auth"),
            ),
            HTTPSink("https://127.0.0.1:9/", token="tok-secret"),
        ]
        shown = " ".join(repr(s) + s.url for s in sinks)
        for secret in secrets:
            assert secret not in shown
        assert repr(sinks[0]) == (
            "HTTPSink('http://127.0.0.1:9/ingest?password=***&tag=web&api_key=***', "
            "format='ndjson')"
        )
        assert "alice" not in shown


# -- each format's requests, against the loopback receiver -------------------------------------


class TestNDJSON:
    def test_lines_are_posted_as_written_to_the_url_as_given(
        self, receiver: Receiver, copy: Path
    ) -> None:
        """The default format: the lines fastlog wrote, byte for byte, each ending in a
        newline, POSTed to the path and query string given, as application/x-ndjson."""
        sink = HTTPSink(f"{receiver.url}/ingest/v1?tag=web&env=prod%20eu", batch_records=40)
        ship(sink, copy, 100)
        assert receiver.lines() == copy.read_bytes().splitlines()
        assert len(receiver.lines()) == 100
        for request in receiver.requests:
            assert request.path == "/ingest/v1?tag=web&env=prod%20eu"
            assert request.headers["content-type"] == "application/x-ndjson"
            assert "content-encoding" not in request.headers
            assert request.body.endswith(b"\n") and request.raw == request.body
        assert len(receiver.requests) == 3  # 40 + 40 + 20
        stats = sink.delivery_stats()
        assert (stats["sent"], stats["delivered"], stats["lost"]) == (100, 100, 0)

    def test_headers_and_basic_auth_are_sent(self, receiver: Receiver, copy: Path) -> None:
        """headers= go with every request; auth= is HTTP basic authentication."""
        sink = HTTPSink(
            receiver.url, headers={"X-Scope-OrgID": "tenant-1"}, auth=("alice", "pä:ss")
        )
        ship(sink, copy, 3)
        expected = "Basic " + base64.b64encode("alice:pä:ss".encode()).decode()
        for request in receiver.requests:
            assert request.headers["x-scope-orgid"] == "tenant-1"
            assert request.headers["authorization"] == expected

    def test_the_urls_user_information_is_basic_auth(self, receiver: Receiver, copy: Path) -> None:
        """http://user:password@host means auth=(user, password), percent-decoded."""
        url = receiver.url.replace("http://", "http://bob:se%40cret@")
        ship(HTTPSink(url + "/in"), copy, 2)
        expected = "Basic " + base64.b64encode(b"bob:se@cret").decode()
        assert receiver.requests[0].headers["authorization"] == expected
        assert receiver.requests[0].path == "/in"

    def test_a_bearer_token_is_sent(self, receiver: Receiver, copy: Path) -> None:
        """token= is Authorization: Bearer <token>."""
        ship(HTTPSink(receiver.url, token="t0ken"), copy, 2)
        assert receiver.requests[0].headers["authorization"] == "Bearer t0ken"

    def test_gzip_bodies_decompress_to_the_lines(self, receiver: Receiver, copy: Path) -> None:
        """gzip=True: Content-Encoding gzip, a gzip stream whose content is the NDJSON."""
        ship(HTTPSink(receiver.url, gzip=True), copy, 50)
        request = receiver.requests[0]
        assert request.headers["content-encoding"] == "gzip"
        assert request.raw[:2] == b"\x1f\x8b"
        assert gzip.decompress(request.raw) == request.body
        assert receiver.lines() == copy.read_bytes().splitlines()

    @pytest.mark.parametrize(
        ("format", "content_type", "gzipped"),
        [
            ("ndjson", "application/x-ndjson", False),
            ("vector", "application/x-ndjson", True),
            ("fluentbit", "application/json", False),
            ("victorialogs", "application/stream+json", True),
            ("clickhouse", "application/x-ndjson", True),
        ],
    )
    def test_each_ndjson_preset_has_its_content_type_and_gzip_default(
        self, receiver: Receiver, copy: Path, format: str, content_type: str, gzipped: bool
    ) -> None:
        """The NDJSON presets differ only in URL, Content-Type and gzip default; body the same."""
        options = {"table": "logs"} if format == "clickhouse" else {}
        ship(HTTPSink(receiver.url, format=format, **options), copy, 5)
        request = receiver.requests[0]
        assert request.headers["content-type"] == content_type
        assert (request.headers.get("content-encoding") == "gzip") is gzipped
        assert receiver.lines() == copy.read_bytes().splitlines()


class TestElasticsearch:
    def test_bulk_body_has_a_create_action_before_each_record(
        self, receiver: Receiver, copy: Path
    ) -> None:
        """_bulk NDJSON: {"create":{}} then the record, per record, ending in a newline;
        the URL's index kept, /_bulk appended."""
        sink = HTTPSink(f"{receiver.url}/logs-app-default", format="elasticsearch")
        ship(sink, copy, 20)
        [request] = receiver.requests
        assert request.path == "/logs-app-default/_bulk"
        assert request.headers["content-type"] == "application/x-ndjson"
        assert request.headers["content-encoding"] == "gzip"
        expected = b"".join(
            b'{"create":{}}\n' + line + b"\n" for line in copy.read_bytes().splitlines()
        )
        assert request.body == expected

    def test_index_and_op_name_the_target_in_each_action(
        self, receiver: Receiver, copy: Path
    ) -> None:
        """index= and op="index": {"index":{"_index":...}} per record, POSTed to /_bulk."""
        sink = HTTPSink(receiver.url, format="opensearch", index="app-logs", op="index")
        ship(sink, copy, 3)
        [request] = receiver.requests
        assert request.path == "/_bulk"
        lines = request.body.splitlines()
        assert lines[0::2] == [b'{"index":{"_index":"app-logs"}}'] * 3
        assert lines[1::2] == copy.read_bytes().splitlines()

    def test_partial_errors_retry_429_items_alone_and_count_the_others_lost(
        self, receiver: Receiver, copy: Path
    ) -> None:
        """A 200 with "errors": true: the 429 item is sent again alone (the others are not
        written twice); the 400 item is lost, counted, reported with its reason, and told in
        the stream by a note line."""
        items = [
            {"create": {"status": 201}},
            {
                "create": {
                    "status": 429,
                    "error": {"type": "es_rejected_execution_exception", "reason": "queue full"},
                }
            },
            {
                "create": {
                    "status": 400,
                    "error": {
                        "type": "mapper_parsing_exception",
                        "reason": "failed to parse field [seq]",
                    },
                }
            },
            {"create": {"status": 201}},
        ]
        receiver.script.append(Reply(200, orjson.dumps({"errors": True, "items": items})))
        sink = HTTPSink(
            receiver.url, format="elasticsearch", index="logs", batch_records=4, batch_wait=30
        )
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        log_records(4)
        receiver.wait_for(lambda rs: len(rs) == 2)
        wait_until(lambda: sink.delivery_stats()["lost"] == 1)
        written = copy.read_bytes().splitlines()
        action = b'{"create":{"_index":"logs"}}'
        first, second = receiver.requests
        assert first.body.splitlines()[1::2] == written
        assert second.body == action + b"\n" + written[1] + b"\n"
        # The next batch starts with the note telling the loss, then the record.
        log_records(1, start=5)
        fastlog_core.shutdown()
        third = receiver.requests[2].body.splitlines()
        assert third[0::2] == [action, action]
        note = orjson.loads(third[1])
        assert note["logger"] == "fastlog" and note["lost"] == 1
        assert "mapper_parsing_exception: failed to parse field [seq]" in note["message"]
        assert third[3] == copy.read_bytes().splitlines()[4]
        stats = sink.delivery_stats()
        assert (stats["sent"], stats["delivered"], stats["lost"]) == (5, 4, 1)

    def test_a_200_without_errors_is_delivered_whatever_else_it_says(
        self, receiver: Receiver, copy: Path
    ) -> None:
        """ "errors": false (or an answer that is not JSON): the batch is delivered."""
        receiver.script.append(Reply(200, b'{"took":3,"errors":false,"items":[]}'))
        receiver.script.append(Reply(200, b"not json"))
        sink = HTTPSink(receiver.url + "/x", format="elasticsearch", batch_records=2)
        ship(sink, copy, 4)
        assert sink.delivery_stats()["delivered"] == 4
        assert len(receiver.requests) == 2


class TestLoki:
    def test_push_body_groups_by_level_with_each_records_own_timestamp(
        self, receiver: Receiver, copy: Path
    ) -> None:
        """Loki's push JSON: one stream per level, labelled with labels= and level; values
        ["<unix ns>", "<line>"] in the order logged, the time the record's own."""
        sink = HTTPSink(receiver.url, format="loki", labels={"service_name": "billing"})
        ship(sink, copy, 10)
        [request] = receiver.requests
        assert request.path == "/loki/api/v1/push"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["content-encoding"] == "gzip"
        expected: dict[str, list[list[str]]] = {}
        for line in copy.read_bytes().splitlines():
            record = orjson.loads(line)
            expected.setdefault(record["level"], []).append(
                [ns_of(record["timestamp"]), line.decode()]
            )
        assert orjson.loads(request.body) == {
            "streams": [
                {"stream": {"service_name": "billing", "level": level}, "values": values}
                for level, values in expected.items()
            ]
        }
        assert list(expected) == ["info", "warning"]
        assert [len(v) for v in expected.values()] == [7, 3]

    def test_default_labels_name_the_service_from_the_environment(
        self, receiver: Receiver, copy: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without labels=: service_name from OTEL_SERVICE_NAME, else "unknown_service"."""
        monkeypatch.setenv("OTEL_SERVICE_NAME", "checkout")
        ship(HTTPSink(receiver.url + "/", format="loki"), copy, 1)
        monkeypatch.delenv("OTEL_SERVICE_NAME")
        ship(HTTPSink(receiver.url + "/", format="loki"), copy, 1)
        first, second = (orjson.loads(r.body)["streams"][0]["stream"] for r in receiver.requests)
        assert first == {"service_name": "checkout", "level": "info"}
        assert second == {"service_name": "unknown_service", "level": "info"}

    @pytest.mark.parametrize(
        ("schema", "time_key", "level_key"),
        [("ecs", "@timestamp", "log.level"), ("otel", "Timestamp", "SeverityText")],
    )
    def test_other_schemas_timestamps_and_levels_are_found(
        self, receiver: Receiver, copy: Path, schema: str, time_key: str, level_key: str
    ) -> None:
        """A line not in the default schema is parsed to find its time and level."""
        ship(HTTPSink(receiver.url, format="loki"), copy, 3, schema=schema)
        [request] = receiver.requests
        values = []
        for stream in orjson.loads(request.body)["streams"]:
            for ns, line in stream["values"]:
                record = orjson.loads(line)
                assert stream["stream"]["level"] == record[level_key].lower()
                stamp = record[time_key]
                assert ns == (stamp if stamp.isdigit() else ns_of(stamp))
                values.append(line.encode())
        assert sorted(values) == sorted(copy.read_bytes().splitlines())

    def test_timestamps_in_other_forms_are_converted(self) -> None:
        """The push body from lines directly: other precisions and offsets, seconds as a
        number, and a line without a time (or not JSON) stamped with the time of sending."""
        loki = _make_format("loki", index=None, op="create", labels={"app": "a"}, table=None)
        lines = [
            b'{"timestamp":"2026-01-31T12:00:00Z","level":"INFO","message":"a"}',
            b'{"timestamp":"2026-01-31T12:00:00.5Z","level":"info","message":"b"}',
            b'{"level":"error","time":"2026-01-31T14:00:00.000001+02:00","message":"c"}',
            b'{"timestamp":1769860800.25,"severity":"WARNING","message":"d"}',
            b'{"time":1769860800250,"level":"warning","message":"d2"}',
            b'{"message":"e"}',
            b"not json",
        ]
        before = time.time_ns()
        streams = orjson.loads(loki.body(lines))["streams"]
        after = time.time_ns()
        assert [s["stream"] for s in streams] == [
            {"app": "a", "level": "info"},
            {"app": "a", "level": "error"},
            {"app": "a", "level": "warning"},
            {"app": "a"},
        ]
        values = [v for s in streams for v in s["values"]]
        assert [line for _, line in values] == [line.decode() for line in lines]
        assert [ns for ns, _ in values[:5]] == [
            "1769860800000000000",
            "1769860800500000000",
            "1769860800000001000",
            "1769860800250000000",
            "1769860800250000000",
        ]
        assert all(before <= int(ns) <= after for ns, _ in values[5:])


class TestVictoriaLogs:
    def test_jsonline_endpoint_with_field_parameters_added(
        self, receiver: Receiver, copy: Path
    ) -> None:
        """/insert/jsonline, with _msg_field, _time_field, _stream_fields added; the
        body is the lines."""
        ship(HTTPSink(receiver.url, format="victorialogs"), copy, 4)
        [request] = receiver.requests
        assert request.path == (
            "/insert/jsonline?_msg_field=message&_time_field=timestamp&_stream_fields=logger"
        )
        assert receiver.lines() == copy.read_bytes().splitlines()

    def test_parameters_given_in_the_url_are_kept_and_not_repeated(
        self, receiver: Receiver, copy: Path
    ) -> None:
        """A parameter the URL gives wins; the path given is kept."""
        url = f"{receiver.url}/vl/insert/jsonline?_time_field=%40timestamp&AccountID=12"
        ship(HTTPSink(url, format="victorialogs"), copy, 1, schema="ecs")
        assert receiver.requests[0].path == (
            "/vl/insert/jsonline?_time_field=%40timestamp&AccountID=12"
            "&_msg_field=message&_stream_fields=logger"
        )


class TestClickHouseRequests:
    def test_insert_query_and_clickhouse_credential_headers(
        self, receiver: Receiver, copy: Path
    ) -> None:
        """table= builds the INSERT ... FORMAT JSONEachRow query with the parsing settings;
        the URL's own parameters kept; auth= in X-ClickHouse-User/Key."""
        sink = HTTPSink(
            f"{receiver.url}/?database=app&async_insert=1",
            format="clickhouse",
            table="app.logs",
            auth=("writer", "pw"),
        )
        ship(sink, copy, 2)
        [request] = receiver.requests
        assert request.path == (
            "/?database=app&async_insert=1&query=INSERT%20INTO%20app.logs%20FORMAT%20JSONEachRow"
            "&input_format_skip_unknown_fields=1&date_time_input_format=best_effort"
        )
        assert request.headers["x-clickhouse-user"] == "writer"
        assert request.headers["x-clickhouse-key"] == "pw"
        assert "authorization" not in request.headers
        assert receiver.lines() == copy.read_bytes().splitlines()

    def test_a_query_in_the_url_replaces_table(self, receiver: Receiver, copy: Path) -> None:
        """query= in the URL is the insert itself (a column list, another format's name)."""
        url = f"{receiver.url}/?query=INSERT%20INTO%20t%20(message)%20FORMAT%20JSONEachRow"
        ship(HTTPSink(url, format="clickhouse"), copy, 1)
        assert receiver.requests[0].path.startswith(
            "/?query=INSERT%20INTO%20t%20(message)%20FORMAT%20JSONEachRow&input_format_skip"
        )

    def test_a_500_for_bad_data_is_not_retried(self, receiver: Receiver, copy: Path) -> None:
        """ClickHouse before 19.x answers 500 to a row that does not parse: told by the error
        code in the body, refused for good, not retried."""
        receiver.script.append(
            Reply(500, b"Code: 27, e.displayText() = DB::Exception: Cannot parse input")
        )
        sink = HTTPSink(receiver.url, format="clickhouse", table="logs")
        ship(sink, copy, 2)
        stats = sink.delivery_stats()
        assert (stats["lost"], stats["failures"], stats["retried"]) == (2, 0, 0)
        assert len(receiver.refused) == 1

    def test_a_500_without_a_known_code_is_retried(self, receiver: Receiver, copy: Path) -> None:
        """Any other 500 (TOO_MANY_PARTS, 252: transient) is retried, then delivered."""
        receiver.script.append(Reply(500, b"Code: 252, e.displayText() = Too many parts"))
        sink = HTTPSink(receiver.url, format="clickhouse", table="logs")
        ship(sink, copy, 2)
        stats = sink.delivery_stats()
        assert (stats["delivered"], stats["lost"], stats["failures"]) == (2, 0, 1)


# -- a real ClickHouse server -----------------------------------------------------------------


@pytest.fixture
def stdlib_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("tests.network.http")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


class TestClickHouseServer:
    SELECT = (
        "SELECT timestamp, toString(time) AS time, level, logger, message, seq, user, amount "
        "FROM {table} WHERE logger != 'fastlog' ORDER BY seq"
    )

    def check_rows(self, clickhouse: ClickHouse, table: str, written: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
        rows = clickhouse.rows(self.SELECT.format(table=table))
        assert len(rows) == len(written)
        for row, record in zip(rows, written, strict=True):
            assert row == {
                "timestamp": record["timestamp"],
                "time": record["timestamp"][:19].replace("T", " "),
                "level": record["level"],
                "logger": record["logger"],
                "message": record["message"],
                "seq": str(record["seq"]),
                "user": record.get("user", ""),
                "amount": record.get("amount", 0),
            }

    def test_records_are_read_back_with_sql(self, clickhouse: ClickHouse, copy: Path) -> None:
        """Records logged through fastlog_core.configure are rows of the table: exact count,
        every field's value, in order of seq."""
        table = clickhouse.table()
        sink = HTTPSink(clickhouse.url, format="clickhouse", table=table, batch_records=300)
        ship(sink, copy, 1000)
        written = read_lines(copy)
        assert [r["seq"] for r in written] == list(range(1, 1001))
        self.check_rows(clickhouse, table, written)
        assert clickhouse.count(table) == 1000
        stats = sink.delivery_stats()
        assert (stats["sent"], stats["delivered"], stats["lost"]) == (1000, 1000, 0)

    def test_stdlib_records_through_fastlog_handler(
        self, clickhouse: ClickHouse, stdlib_logger: logging.Logger, copy: Path
    ) -> None:
        """logging records through FastlogHandler(sink=HTTPSink(...)): extra= fields are
        columns, %-formatting done, read back in order."""
        table = clickhouse.table()
        sink = HTTPSink(clickhouse.url, format="clickhouse", table=table)
        handler = FastlogHandler(sink=[sink, str(copy)])
        stdlib_logger.addHandler(handler)
        for seq in range(1, 201):
            stdlib_logger.warning("order %d shipped", seq, extra={"seq": seq, "user": "bob"})
        fastlog_core.shutdown()
        written = read_lines(copy)
        assert [r["message"] for r in written[:2]] == ["order 1 shipped", "order 2 shipped"]
        self.check_rows(clickhouse, table, written)

    def test_dictconfig_names_the_sink_by_url_with_its_options(
        self, clickhouse: ClickHouse, stdlib_logger: logging.Logger
    ) -> None:
        """dictConfig: {"sink": "http://...", "format": "clickhouse", "table": ...} builds
        the HTTPSink by name; the rows land."""
        table = clickhouse.table()
        logging.config.dictConfig(
            {
                "version": 1,
                "incremental": False,
                "disable_existing_loggers": False,
                "handlers": {
                    "clickhouse": {
                        "class": "fastlog_stdlib.FastlogHandler",
                        "sink": {"sink": clickhouse.url, "format": "clickhouse", "table": table},
                    }
                },
                "loggers": {stdlib_logger.name: {"level": "INFO", "handlers": ["clickhouse"]}},
            }
        )
        for seq in range(1, 51):
            stdlib_logger.info("configured by name", extra={"seq": seq})
        fastlog_core.shutdown()
        rows = clickhouse.rows(f"SELECT seq, message FROM {table} ORDER BY seq")
        assert rows == [{"seq": str(n), "message": "configured by name"} for n in range(1, 51)]

    def test_the_writer_user_authenticates_with_clickhouse_headers(
        self, clickhouse: ClickHouse, copy: Path
    ) -> None:
        """auth=(user, password) reaches ClickHouse as its own headers: the rows land."""
        table = clickhouse.table()
        sink = HTTPSink(
            clickhouse.url, format="clickhouse", table=table, auth=("writer", WRITER_PASSWORD)
        )
        ship(sink, copy, 10)
        self.check_rows(clickhouse, table, read_lines(copy))

    def test_a_wrong_password_loses_the_batch_and_never_shows(
        self, clickhouse: ClickHouse, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """ClickHouse refuses a wrong password (401): the records are counted lost, the
        report gives ClickHouse's message, never the password."""
        table = clickhouse.table()
        sink = HTTPSink(
            clickhouse.url, format="clickhouse", table=table, auth=("writer", "not-the-pw-0451")
        )
        ship(sink, copy, 5)
        stats = sink.delivery_stats()
        assert (stats["lost"], stats["delivered"], stats["failures"]) == (5, 0, 0)
        err = capfd.readouterr().err
        assert "lost 5 records: HTTP 401" in err
        assert "writer" in err  # ClickHouse's own message names the user...
        assert "not-the-pw-0451" not in err  # ...never the password
        assert clickhouse.count(table) == 0

    def test_a_row_that_does_not_parse_is_lost_and_told_in_the_table(
        self, clickhouse: ClickHouse, copy: Path
    ) -> None:
        """A record ClickHouse cannot parse (a string for a UInt64) is refused for good
        (18.16 says 500, code 27): counted lost, not retried; the next batch carries a note
        line that lands in the table with the reason."""
        table = clickhouse.table()
        sink = HTTPSink(clickhouse.url, format="clickhouse", table=table, batch_wait=0.05)
        fastlog_core.configure(sink=sink, level="debug")
        fastlog_core.get_logger("app").info("bad", seq="not a number")
        wait_until(lambda: sink.delivery_stats()["lost"] == 1)
        log_records(3)
        fastlog_core.shutdown()
        stats = sink.delivery_stats()
        assert (stats["lost"], stats["failures"], stats["retried"]) == (1, 0, 0)
        assert [
            r["seq"]
            for r in clickhouse.rows(f"SELECT seq FROM {table} WHERE logger = 'app' ORDER BY seq")
        ] == [
            "1",
            "2",
            "3",
        ]
        [note] = clickhouse.rows(f"SELECT level, message FROM {table} WHERE logger = 'fastlog'")
        assert note["level"] == "warning"
        assert note["message"].startswith(f"1 records lost by {sink!r}: HTTP 500")
        assert "Code: 27" in note["message"]
