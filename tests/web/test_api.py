"""The HTTP API of the real ``fastlog web`` over loopback, checked against the reading layer
(``read()``, ``Filter``) and the ``fastlog stats --json`` command on the same files."""

from __future__ import annotations

import datetime
import json
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fastlog_read import parse_filter, read
from fastlog_web._app import record_json
from tests.cli.helpers import run_fastlog
from tests.web.helpers import Server, fastlog_web, wait_for, write_logs

NOW = "2026-12-07T10:01:00+00:00"
UTC = datetime.UTC


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return write_logs(tmp_path_factory.mktemp("logs"))


@pytest.fixture(scope="module")
def server(logs: list[str]) -> Iterator[Server]:
    with fastlog_web("--no-follow", *logs, FASTLOG_NOW=NOW) as running:
        yield running


def query(**params: Any) -> str:
    """A query string; list values repeat the parameter."""
    return urllib.parse.urlencode(
        [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    )


def expected_records(logs: list[str], **kwargs: Any) -> list[dict[str, Any]]:
    """R for every record read() keeps, its id being its position in read()'s order."""
    everything = list(read(logs))
    flt = parse_filter(**kwargs, now=datetime.datetime.fromisoformat(NOW))
    out = []
    for number, record in enumerate(everything):
        if flt.match(record):
            out.append(json.loads(json.dumps(record_json(number, record))))
    return out


#: (API parameters, parse_filter arguments): the same filter in both spellings.
CASES = [
    ({}, {}),
    ({"level": "error"}, {"level": "error"}),
    ({"logger": ["app.*", "!app.db"]}, {"loggers": ["app.*", "!app.db"]}),
    ({"since": "2026-12-07T09:30:10Z", "until": "-40s"}, {"since": "2026-12-07T09:30:10Z",
                                                          "until": "-40s"}),
    ({"f": ["ms>500", "table=orders"]}, {"fields": ["ms>500", "table=orders"]}),
    ({"f": "user.id=42"}, {"fields": ["user.id=42"]}),
    ({"grep": "^charge"}, {"grep": "^charge"}),
    ({"level": "warning", "logger": "billing", "grep": "slow"},
     {"level": "warning", "loggers": ["billing"], "grep": "slow"}),
]  # fmt: skip


class TestInfo:
    def test_info(self, server: Server, logs: list[str]) -> None:
        """Files as named, counts, extent, levels, top loggers and fields; not live."""
        assert server.json("/api/info") == {
            "files": logs,
            "records": 132,
            "first": "2026-12-07T09:00:00Z",
            "last": "2026-12-07T10:00:59.999999Z",
            "levels": ["debug", "info", "warning", "error", "critical"],
            "loggers": ["app.api", "app.db", "billing", "worker", None, "pjl.app", "__main__"],
            "fields": [
                *("ms", "path", "status", "user_id", "order_id", "hit", "key", "table"),
                *("worker", "html", "link", "trace_id", "user", "port"),
            ],
            "live": False,
        }


class TestRecords:
    @pytest.mark.parametrize(("params", "kwargs"), CASES, ids=[str(c[0]) for c in CASES])
    def test_filters(
        self, server: Server, logs: list[str], params: dict[str, Any], kwargs: dict[str, Any]
    ) -> None:
        """Each filter keeps exactly the records Filter.match keeps, ids in merged order."""
        expected = expected_records(logs, **kwargs)
        got = server.json(f"/api/records?{query(**params, limit=1000)}")
        assert got == {"total": len(expected), "offset": 0, "records": expected}

    def test_paging(self, server: Server, logs: list[str]) -> None:
        """offset and limit cut the matching records; the total stays exact."""
        expected = expected_records(logs, level="info")
        got = server.json(f"/api/records?{query(level='info', offset=10, limit=7)}")
        assert got == {"total": len(expected), "offset": 10, "records": expected[10:17]}
        end = server.json(f"/api/records?{query(level='info', offset=1000)}")
        assert end == {"total": len(expected), "offset": 1000, "records": []}

    def test_text(self, server: Server, logs: list[str]) -> None:
        """``text`` is a case-insensitive substring of the raw line."""
        everything = expected_records(logs)
        raws = [r.raw for r in read(logs)]
        expected = [r for r, raw in zip(everything, raws, strict=True) if b"declined 3" in raw]
        got = server.json(f"/api/records?{query(text='DECLINED 3')}")
        assert got["total"] == len(expected) == 6
        assert got["records"] == expected

    def test_markup_is_data(self, server: Server) -> None:
        """A record that looks like markup comes back as JSON strings, as written."""
        got = server.json(f"/api/records?{query(grep='<script>')}")
        assert got["total"] == 3
        record = got["records"][0]
        assert record["message"] == "<script>alert(1)</script>"
        assert record["fields"] == {
            "link": "javascript:alert(2)",
            "html": '<img src=x onerror="alert(3)">',
        }

    def test_record_and_raw(self, server: Server, logs: list[str]) -> None:
        """/api/record/{id}: R plus the line as written; unknown ids are 404."""
        records = list(read(logs))
        got = server.json("/api/record/70")
        expected = json.loads(json.dumps(record_json(70, records[70])))
        assert got == {**expected, "raw": records[70].raw.decode()}
        assert got["exception"] is None or got["exception"]["type"]
        status, _, body = server.get("/api/record/132")
        assert (status, json.loads(body)) == (
            404,
            {"error": "no record 132 (the index has 132)"},
        )
        status, _, body = server.get("/api/record/x")
        assert (status, json.loads(body)) == (
            400,
            {"error": "id 'x': expected a record id", "param": "id", "text": "x", "column": 0},
        )

    def test_traceback_in_detail(self, server: Server) -> None:
        """A record with an exception has its type, message and traceback text."""
        first = server.json(f"/api/records?{query(grep='charge failed', limit=1)}")["records"][0]
        detail = server.json(f"/api/record/{first['id']}")
        assert detail["exception"]["type"] == "ValueError"
        assert detail["exception"]["message"] == "card declined 6"
        assert detail["exception"]["traceback"].startswith("Traceback (most recent call last):")

    def test_around(self, server: Server, logs: list[str]) -> None:
        """Unfiltered neighbours, clipped at the ends, with the record's position."""
        everything = expected_records(logs)
        assert server.json("/api/around/50?before=2&after=3") == {
            "records": everything[48:54],
            "index": 2,
        }
        assert server.json("/api/around/1?before=5&after=0") == {
            "records": everything[0:2],
            "index": 1,
        }
        assert server.get("/api/around/999")[0] == 404

    def test_limits(self, server: Server) -> None:
        """limit above 1000 or a negative offset is a 400 naming the parameter."""
        status, _, body = server.get("/api/records?limit=1001")
        assert (status, json.loads(body)) == (
            400,
            {"error": "limit=1001: expected 0 to 1000", "param": "limit", "text": "1001",
             "column": 0},
        )  # fmt: skip
        status, _, body = server.get("/api/records?offset=-1")
        assert status == 400 and json.loads(body)["param"] == "offset"


class TestBadFilters:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            (
                {"f": "ms>x"},
                {"error": "-f 'ms>x': expected a number after '>' (column 4)", "param": "f",
                 "text": "ms>x", "column": 3},
            ),
            (
                {"level": "loud"},
                {"error": "-l 'loud': unknown level (expected a number or one of trace, debug, "
                 "info, success, notice, warning, error, critical, alert, emergency)",
                 "param": "level", "text": "loud", "column": 0},
            ),
            (
                {"since": "2026-13"},
                {"error": "--since '2026-13': expected -15m, today, yesterday, HH:MM, YYYY-MM-DD"
                 " or RFC 3339", "param": "since", "text": "2026-13", "column": 7},
            ),
            (
                {"grep": "(", "level": "info"},
                {"error": "--grep '(': bad regular expression: missing ), unterminated "
                 "subpattern", "param": "grep", "text": "(", "column": 0},
            ),
        ],
    )  # fmt: skip
    def test_bad_filter_is_400(
        self, server: Server, params: dict[str, str], expected: dict[str, Any]
    ) -> None:
        """The filter's own message, the parameter, the expression and the column."""
        for endpoint in ("records", "histogram", "stats", "tail"):
            status, headers, body = server.get(f"/api/{endpoint}?{query(**params)}")
            assert (status, json.loads(body)) == (400, expected)
            assert headers["content-type"] == "application/json"


class TestHistogram:
    def test_counts(self, server: Server, logs: list[str]) -> None:
        """Per bucket and level, the records of the filter in [start, end]."""
        params = query(
            level="info", start="2026-12-07T09:00:00Z", end="2026-12-07T10:00:00Z", buckets=4
        )
        got = server.json(f"/api/histogram?{params}")
        start = datetime.datetime(2026, 12, 7, 9, tzinfo=UTC).timestamp()
        counts = [[0, 0, 0, 0] for _ in range(4)]
        names = ["info", "warning", "error", "critical"]
        for record in read(logs, parse_filter(level="info")):
            assert record.time is not None and record.level is not None
            at = record.time.timestamp() - start
            if 0 <= at <= 3600:
                counts[min(int(at // 900), 3)][names.index(record.level)] += 1
        assert got == {
            "start": "2026-12-07T09:00:00Z",
            "end": "2026-12-07T10:00:00Z",
            "bucket_seconds": 900.0,
            "levels": names,
            "counts": counts,
            "total": sum(map(sum, counts)),
        }
        assert got["total"] == 36 + 36  # the 09:00 and 09:30 files (10:00:00 is a debug)

    def test_default_extent_and_empty(self, server: Server) -> None:
        """Without start/end the filtered records' extent; no match gives empty lists."""
        got = server.json(f"/api/histogram?{query(level='critical', buckets=3)}")
        assert (got["start"], got["end"], got["total"]) == (
            "2026-12-07T09:00:07.007000Z",
            "2026-12-07T10:00:39.039000Z",
            15,
        )
        assert got["levels"] == ["critical"] and len(got["counts"]) == 3
        assert server.json(f"/api/histogram?{query(grep='nothing like this')}") == {
            "start": None,
            "end": None,
            "bucket_seconds": 0.0,
            "levels": [],
            "counts": [],
            "total": 0,
        }
        status, _, body = server.get("/api/histogram?buckets=0")
        assert status == 400 and json.loads(body)["param"] == "buckets"
        status, _, body = server.get("/api/histogram?start=noon")
        assert status == 400 and json.loads(body)["param"] == "start"


class TestStats:
    @pytest.mark.parametrize(
        "args",
        [[], ["-l", "warning"], ["--logger", "app.*", "--since", "-45m"], ["-f", "ms>100"]],
    )
    def test_same_numbers_as_fastlog_stats(
        self, server: Server, logs: list[str], args: list[str]
    ) -> None:
        """/api/stats is ``fastlog stats --json`` with the same filters, number for number."""
        cli = run_fastlog("stats", "--json", *args, *logs, FASTLOG_NOW=NOW)
        assert cli.returncode == 0, cli.stderr
        names = {"-l": "level", "--logger": "logger", "--since": "since", "-f": "f"}
        params = query(**{names[args[i]]: args[i + 1] for i in range(0, len(args), 2)})
        assert server.json(f"/api/stats?{params}") == json.loads(cli.stdout)

    def test_top(self, server: Server, logs: list[str]) -> None:
        """``top`` as ``fastlog stats --top``."""
        cli = run_fastlog("stats", "--json", "--top", "2", *logs)
        assert server.json("/api/stats?top=2") == json.loads(cli.stdout)

    def test_grows_with_the_live_records(self, tmp_path: Path) -> None:
        """Asked again after records arrived (followed), the stats are those of the whole
        file then, filtered or not: the summary kept is extended, never counted twice."""
        log = tmp_path / "app.log"
        first = [_line(i, "error" if i % 3 else "info", f"first {i % 2}") for i in range(30)]
        log.write_bytes(b"\n".join(first) + b"\n")
        with fastlog_web(str(log)) as server:
            for params in ("", "?level=error"):
                assert server.json(f"/api/stats{params}")["records"] == (30 if not params else 20)
            with log.open("ab") as f:
                f.write(b"".join(_line(40 + i, "error", f"later {i}") + b"\n" for i in range(7)))
            wait_for(lambda: server.json("/api/info")["records"] == 37, what="the new records")
            for params, args in (("", []), ("?level=error", ["-l", "error"])):
                cli = run_fastlog("stats", "--json", *args, str(log))
                assert cli.returncode == 0, cli.stderr
                assert server.json(f"/api/stats{params}") == json.loads(cli.stdout)


def _line(seconds: int, level: str, message: str) -> bytes:
    return (
        b'{"timestamp":"2026-12-07T11:00:%02d.000000Z","level":"%s","logger":"live","message":"%s"}'
        % (seconds, level.encode(), message.encode())
    )


class TestTail:
    def test_new_records_and_rotation(self, tmp_path: Path) -> None:
        """Records appended after the start come as events (the filter applied), and a rename
        rotation is a notice followed by the new file's records."""
        log = tmp_path / "app.log"
        log.write_bytes(_line(0, "info", "before") + b"\n")
        with fastlog_web(str(log)) as server:
            assert server.json("/api/info")["live"] is True
            stream = _Stream(server, "/api/tail?level=warning&after=0")
            stream.start(lambda events: len(events) >= 3)
            with log.open("ab") as f:
                f.write(_line(1, "info", "skipped") + b"\n" + _line(2, "error", "boom") + b"\n")
            wait_for(lambda: len(stream.events) == 1, what="the first event")
            log.rename(tmp_path / "app.log.1")
            log.write_bytes(_line(3, "warning", "rotated in") + b"\n")
            events = stream.join()
        assert [name for name, _ in events] == ["records", "notice", "records"]
        first, notice, second = (data for _, data in events)
        assert [(r["id"], r["message"]) for r in first["records"]] == [(2, "boom")]
        assert (first["total"], first["counts"], first["sampled"]) == (1, {"error": 1}, False)
        assert notice == {
            "kind": "rotated",
            "text": f"{log}: has been replaced; following the new file",
        }
        assert [(r["id"], r["message"], r["source"]) for r in second["records"]] == [
            (3, "rotated in", str(log))
        ]
        assert (second["total"], second["counts"]) == (2, {"warning": 1})

    def test_burst_is_sampled_counts_exact(self, tmp_path: Path) -> None:
        """More than 500 new records: the newest 500 are sent, the counts are all of them."""
        log = tmp_path / "app.log"
        log.write_bytes(b"")
        burst = b"".join(
            _line(i % 60, "error" if i % 4 == 0 else "info", f"m{i}") + b"\n" for i in range(2000)
        )
        with fastlog_web(str(log)) as server:
            stream = _Stream(server, "/api/tail?after=-1")
            stream.start(lambda events: _total(events) >= 2000)
            with log.open("ab") as f:
                f.write(burst)
            events = stream.join()
        records = [data for name, data in events if name == "records"]
        assert sum(sum(d["counts"].values()) for d in records) == 2000
        assert sum(d["counts"].get("error", 0) for d in records) == 500
        assert records[-1]["total"] == 2000
        assert any(d["sampled"] for d in records)
        for data in records:
            sent = [r["id"] for r in data["records"]]
            new = sum(data["counts"].values())
            assert len(sent) == min(new, 500)
            assert data["sampled"] == (new > 500)
            assert sent == list(range(sent[-1] - len(sent) + 1, sent[-1] + 1))  # the newest
        assert records[-1]["records"][-1]["message"] == "m1999"

    def test_bad_after(self, server: Server) -> None:
        """``after`` must be a record id."""
        status, _, body = server.get("/api/tail?after=x")
        assert (status, json.loads(body)) == (
            400,
            {"error": "after='x': expected a record id", "param": "after", "text": "x",
             "column": 0},
        )  # fmt: skip

    def test_piped_stdin_is_live(self) -> None:
        """``fastlog web -`` on a pipe serves at once and indexes lines as they come."""
        with fastlog_web("-", stdin=subprocess.PIPE) as server:
            assert server.json("/api/info")["records"] == 0
            stdin = server.process.stdin
            assert stdin is not None
            stdin.write(_line(1, "info", "one") + b"\n" + _line(2, "error", "two") + b"\n")
            stdin.flush()
            wait_for(lambda: server.json("/api/info")["records"] == 2, what="2 records")
            got = server.json("/api/records?level=error")
            assert [(r["message"], r["source"]) for r in got["records"]] == [("two", "-")]
            stdin.close()


def _total(events: list[tuple[str, Any]]) -> int:
    return sum(sum(d["counts"].values()) for name, d in events if name == "records")


class _Stream:
    """An event stream read in a thread until a condition on the events so far holds."""

    def __init__(self, server: Server, path: str) -> None:
        # Opened here: the server has answered the request's headers when this returns.
        self.response = urllib.request.urlopen(server.base + path, timeout=30)
        self.events: list[tuple[str, Any]] = []
        self.thread: threading.Thread | None = None

    def start(self, done: Callable[[list[tuple[str, Any]]], bool]) -> None:
        self.thread = threading.Thread(target=self._read, args=(done,), daemon=True)
        self.thread.start()

    def _read(self, done: Callable[[list[tuple[str, Any]]], bool]) -> None:
        name = "message"
        with self.response:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    self.events.append((name, json.loads(line[6:])))
                    if done(self.events):
                        return

    def join(self) -> list[tuple[str, Any]]:
        assert self.thread is not None
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), f"events so far: {self.events}"
        return self.events
