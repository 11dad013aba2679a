"""``fastlog stats``'s engine: message templates, the streaming summary and its renderings."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest

from fastlog_read import _templates
from fastlog_read._record import Record
from fastlog_read._stats import Stats
from fastlog_read._templates import template

SRC = Path(__file__).resolve().parents[2] / "src"
T0 = dt.datetime(2026, 12, 7, 10, 2, 0, tzinfo=dt.UTC)


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "TZ": "UTC"}


def rec(
    seconds: float,
    level: str | None,
    logger: str | None,
    message: str | None,
    *,
    exception: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    source: str = "app.log",
    layout: str = "fastlog",
) -> Record:
    return Record(
        T0 + dt.timedelta(seconds=seconds), level, None, logger, message, exception,
        fields or {}, layout=layout, source=source,
    )  # fmt: skip


def text(raw: bytes, source: str = "app.log") -> Record:
    return Record(None, None, None, None, None, layout="text", raw=raw, source=source)


def parse_default(line: bytes, source: str) -> Record:
    """fastlog's default layout only (the reading layer's detection is tested elsewhere)."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return text(line, source)
    return Record(
        dt.datetime.fromisoformat(data.pop("timestamp")), data.pop("level"), None,
        data.pop("logger"), data.pop("message"), data.pop("exception", None), data,
        raw=line, source=source,
    )  # fmt: skip


def read_default(path: Path) -> list[Record]:
    return [parse_default(line, str(path)) for line in path.read_bytes().splitlines()]


class TestTemplate:
    @pytest.mark.parametrize(
        ("message", "expected"),
        [
            ("user 42 logged in from 10.0.0.7", "user <num> logged in from <ip>"),
            ("connected to 10.0.0.7:5432", "connected to <ip>"),
            ("ipv6 fe80::1 and 2001:db8:0:0:0:0:0:1", "ipv6 <ip> and <ip>"),
            (
                'order 9f1c2d3e-1111-2222-3333-444455556666 paid "gold"',
                "order <uuid> paid <str>",
            ),
            ("id 0xdeadbeef, request 9f1c2d3e4a5b6c7d", "id <hex>, request <hex>"),
            ("deadbeef cafe", "deadbeef cafe"),
            ("took 12.5ms, then 3s, 2 retries", "took <duration>, then <duration>, <num> retries"),
            ("disk 93% full, 1.5GiB left", "disk <num> full, <num> left"),
            ("at 2026-12-07 10:02:11 and 2026-12-07T10:02:11.123456Z", "at <time> and <time>"),
            ("it's 'x' and 'y'", "it's <str> and <str>"),
            ("http2 user_42 v1.2.3", "http2 user_42 v1.2.3"),
            ("-5 and +3.2e10, 1,234,567", "<num> and <num>, <num>"),
            (
                "19351 records dropped: buffer full (policy=drop)",
                "<num> records dropped: buffer full (policy=drop)",
            ),
            ("", ""),
        ],
    )  # fmt: skip
    def test_placeholders(self, message: str, expected: str) -> None:
        """Each variable part becomes its placeholder; words with digits stay."""
        assert template(message) == expected

    def test_cache_is_bounded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The cache is cleared when full, and a cached message gives the same template."""
        monkeypatch.setattr(_templates, "CACHE_SIZE", 3)
        monkeypatch.setattr(_templates, "_cache", {})
        results = [template(f"job {i} done") for i in range(7)]
        assert results == ["job <num> done"] * 7
        assert len(_templates._cache) == 1  # cleared at 3, then 4 more: cleared again at 6
        assert template("job 6 done") == "job <num> done"


def sample() -> list[Record]:
    out = [rec(i, "info", "app.api", f"GET /api/users/{i} took {i + 3}ms") for i in range(40)]
    out += [
        rec(10 + i, "warning", "app.db", f"slow query on table 'orders' ({500 + i} rows)")
        for i in range(6)
    ]
    card = {"type": "stripe.CardError", "message": "card declined", "traceback": "..."}
    charge = "charge failed for 9f1c2d3e-1111-2222-3333-444455556666"
    out += [rec(20 + i * 10, "error", "billing", charge, exception=card) for i in range(3)]
    memory = {"type": "MemoryError", "message": "", "traceback": "..."}
    out.append(rec(45, "critical", "app.worker", "worker 3 crashed", exception=memory))
    out.append(
        rec(25, "warning", "fastlog", "19351 records dropped: buffer full (policy=drop)",
            fields={"dropped": 19351, "dropped_by_level": {"info": 19000, "debug": 351},
                    "preset": "fastest"})
    )  # fmt: skip
    out.append(
        rec(47, "warning", "fastlog", "3 records dropped: buffer full (policy=drop)",
            fields={"dropped": 3, "dropped_by_level": {"info": 3}, "preset": "fastest"})
    )  # fmt: skip
    lost = "12 records lost by HTTPSink('http://127.0.0.1:9/x'): HTTP 503"
    out.append(rec(48, "warning", "fastlog", lost, fields={"lost": 12}))
    out.append(text(b"Traceback (most recent call last):"))
    out.append(Record(None, None, None, None, "no time here", layout="json", source="other.log"))
    return out


SAMPLE_TEXT = """\
54 records and 1 non-record line in 2 files, 2026-12-07 10:02:00 – 10:02:48 UTC
  1 record without a time
  layouts: fastlog 53, json 1

Levels
  info      40   74.1%
  warning    9   16.7%
  error      3    5.6%
  critical   1    1.9%
  (none)     1    1.9%

Loggers
  app.api     40   74.1%
  app.db       6   11.1%
  billing      3    5.6%
  fastlog      3    5.6%
  (none)       1    1.9%
  app.worker   1    1.9%

Records per second (5s buckets)
  10:02:00 ██████████████████████████                           1.00/s
  10:02:05 ██████████████████████████                           1.00/s
  10:02:10 ████████████████████████████████████████████████████ 2.00/s
  10:02:15 ███████████████████████████████▎                     1.20/s
  10:02:20 ███████████████████████████████▎                     1.20/s
  10:02:25 ███████████████████████████████▎                     1.20/s
  10:02:30 ███████████████████████████████▎                     1.20/s
  10:02:35 ██████████████████████████                           1.00/s
  10:02:40 █████▎                                               0.20/s
  10:02:45 ███████████████▋                                     0.60/s

Top messages
  40   74.1%  GET /api/users/<num> took <duration>
   6   11.1%  slow query on table <str> (<num> rows)
   3    5.6%  charge failed for <uuid>
   2    3.7%  <num> records dropped: buffer full (policy=drop)
   1    1.9%  <num> records lost by HTTPSink(<str>): HTTP <num>
   1    1.9%  no time here
   1    1.9%  worker <num> crashed

Errors
  3  stripe.CardError
     first 10:02:20, last 10:02:40
     'card declined'
  1  MemoryError
     first 10:02:45, last 10:02:45

fastlog notes
  19,354 records dropped by the fastest preset (policy=drop) between
    10:02:25 and 10:02:47 in 2 notes — by level: info 19,003, debug 351
  12 records lost at 10:02:48 in 1 note
"""


class TestStats:
    def test_text(self) -> None:
        """The whole plain report: counts, shares, histogram, templates, errors, notes summed."""
        assert Stats().update(sample()).render_text(width=72) == SAMPLE_TEXT

    def test_colours_and_ascii(self) -> None:
        """Colours as the console encoder's levels; `#` bars without Unicode; width honoured."""
        got = Stats().update(sample()).render_text(width=60, colors=True, unicode=False)
        lines = got.splitlines()
        assert lines[0] == (
            "\x1b[1m54 records and 1 non-record line in 2 files, 2026-12-07 10:02:00 – 10:02:48"
            " UTC\x1b[0m"
        )
        assert lines[5:10] == [
            "  \x1b[32minfo    \x1b[0m  40   74.1%",
            "  \x1b[33mwarning \x1b[0m   9   16.7%",
            "  \x1b[31merror   \x1b[0m   3    5.6%",
            "  \x1b[1;31mcritical\x1b[0m   1    1.9%",
            "  (none)     1    1.9%",
        ]
        assert lines[19:22] == [
            "\x1b[1mRecords per second (5s buckets)\x1b[0m",
            "  10:02:00 ####################                     1.00/s",
            "  10:02:05 ####################                     1.00/s",
        ]
        assert lines[-4:] == [
            "  \x1b[33m19,354 records dropped by the fastest preset (policy=drop)\x1b[0m",
            "  \x1b[33m  between 10:02:25 and 10:02:47 in 2 notes — by level:\x1b[0m",
            "  \x1b[33m  info 19,003, debug 351\x1b[0m",
            "  \x1b[31m12 records lost at 10:02:48 in 1 note\x1b[0m",
        ]
        assert "   2    3.7%  <num> records dropped: buffer full (policy=dr…" in lines
        plain = Stats().update(sample()).render_text(width=60)
        assert max(len(line) for line in plain.splitlines()[1:]) <= 60

    def test_render_to_a_stream_picks_blocks_by_encoding(self) -> None:
        """render() writes blocks to a UTF-8 stream, `#` to an ASCII one."""
        utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        ascii_ = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="replace")
        stats = Stats().update(sample())
        for stream in (utf8, ascii_):
            stats.render(stream, width=72)
            stream.flush()
        assert utf8.buffer.getvalue().decode() == SAMPLE_TEXT  # type: ignore[attr-defined]
        assert b"  10:02:10 " + b"#" * 52 + b" 2.00/s\n" in ascii_.buffer.getvalue()  # type: ignore[attr-defined]

    def test_to_dict(self) -> None:
        """The JSON report holds the same numbers as the text."""
        got = Stats(top=3).update(sample()).to_dict()
        assert orjson.loads(orjson.dumps(got)) == got
        assert got == {
            "records": 54,
            "text_lines": 1,
            "without_time": 1,
            "first": "2026-12-07T10:02:00Z",
            "last": "2026-12-07T10:02:48Z",
            "sources": {"app.log": 54, "other.log": 1},
            "layouts": {"fastlog": 53, "json": 1},
            "levels": {"info": 40, "warning": 9, "error": 3, "critical": 1, "(none)": 1},
            "loggers": {"app.api": 40, "app.db": 6, "billing": 3},
            "loggers_other": 5,
            "histogram": {
                "bucket_seconds": 5,
                "buckets": [
                    {"start": f"2026-12-07T10:02:{s:02}Z", "count": c}
                    for s, c in zip(range(0, 50, 5), [5, 5, 10, 6, 6, 6, 6, 5, 1, 3], strict=True)
                ],
            },
            "messages": [
                {
                    "template": "GET /api/users/<num> took <duration>",
                    "count": 40,
                    "example": "GET /api/users/0 took 3ms",
                    "levels": ["info"],
                },
                {
                    "template": "slow query on table <str> (<num> rows)",
                    "count": 6,
                    "example": "slow query on table 'orders' (500 rows)",
                    "levels": ["warning"],
                },
                {
                    "template": "charge failed for <uuid>",
                    "count": 3,
                    "example": "charge failed for 9f1c2d3e-1111-2222-3333-444455556666",
                    "levels": ["error"],
                },
            ],
            "messages_other": 5,
            "errors": [
                {
                    "type": "stripe.CardError",
                    "count": 3,
                    "example": "card declined",
                    "first": "2026-12-07T10:02:20Z",
                    "last": "2026-12-07T10:02:40Z",
                },
                {
                    "type": "MemoryError",
                    "count": 1,
                    "example": "",
                    "first": "2026-12-07T10:02:45Z",
                    "last": "2026-12-07T10:02:45Z",
                },
            ],
            "errors_other": 0,
            "dropped": {
                "records": 19354,
                "notes": 2,
                "first": "2026-12-07T10:02:25Z",
                "last": "2026-12-07T10:02:47Z",
                "by_level": {"info": 19003, "debug": 351},
                "policies": {"drop": 19354},
                "presets": {"fastest": 19354},
            },
            "lost": {
                "records": 12,
                "notes": 1,
                "first": "2026-12-07T10:02:48Z",
                "last": "2026-12-07T10:02:48Z",
                "by_level": {},
                "policies": {},
                "presets": {},
            },
        }

    @pytest.mark.parametrize(
        ("notes", "said"),
        [
            ([("fastest", "drop")], "by the fastest preset (policy=drop)"),
            ([(None, "drop")], "by policy=drop"),  # policy="drop" given without a preset
            ([(None, None)], "(buffer full)"),  # a note naming neither
            (
                [("fastest", "drop"), (None, "block"), ("balanced", "block")],
                "by the balanced preset (policy=block) and the fastest preset (policy=drop) "
                "and policy=block",
            ),
        ],
    )
    def test_drop_notes_name_the_preset_and_policy(
        self, notes: list[tuple[str | None, str | None]], said: str
    ) -> None:
        """The core's drop note names its policy (message) and the preset named at configure
        time (``preset`` field); the report says which dropped the records."""
        records = []
        for i, (preset, policy) in enumerate(notes):
            message = "2 records dropped: buffer full" + (f" (policy={policy})" if policy else "")
            fields: dict[str, Any] = {"dropped": 2, "dropped_by_level": {"info": 2}}
            if preset:
                fields["preset"] = preset
            records.append(rec(i, "warning", "fastlog", message, fields=fields))
        report = Stats().update(records).render_text(width=1000).splitlines()
        n = 2 * len(notes)
        span = "at 10:02:00 in 1 note" if n == 2 else f"between 10:02:00 and 10:02:0{n // 2 - 1}"
        assert report[-1].startswith(f"  {n} records dropped {said} {span}")

    def test_empty(self) -> None:
        """No input: a one-line report and an empty JSON one."""
        assert Stats().render_text() == "0 records\n"
        empty = Stats().to_dict()
        assert (empty["records"], empty["histogram"], empty["messages"]) == (
            0,
            {"bucket_seconds": 1, "buckets": []},
            [],
        )


class TestBounds:
    def test_distinct_templates_and_loggers_capped(self) -> None:
        """Past the caps, new templates, loggers and error types count as other."""
        stats = Stats(top=2, max_templates=3, max_loggers=2, max_errors=1)
        for i in range(10):
            stats.add(
                rec(i, "error", f"logger{i % 4}", f"message kind {'abcdefghij'[i]}",
                    exception={"type": f"E{i % 3}", "message": "m"})
            )  # fmt: skip
        got = stats.to_dict()
        assert (len(stats._messages), stats._messages_other) == (3, 7)
        assert (got["loggers"], got["loggers_other"]) == ({"logger0": 3, "logger1": 3}, 4)
        assert [m["count"] for m in got["messages"]] == [1, 1]
        assert got["messages_other"] == 8
        assert (got["errors"], got["errors_other"]) == (
            [{"type": "E0", "count": 4, "example": "m", "first": "2026-12-07T10:02:00Z",
              "last": "2026-12-07T10:02:09Z"}],
            6,
        )  # fmt: skip

    def test_histogram_coarsens_instead_of_growing(self) -> None:
        """Many distinct seconds: the kept buckets are merged to a wider width, counts exact."""
        stats = Stats()
        for i in range(10_000):
            stats.add(rec(i, "info", "a", "x"))
        assert len(stats._buckets) <= 4096
        width, buckets = stats.histogram()
        assert width == 900  # 10,000 s in at most 30 rows
        assert sum(count for _, count in buckets) == 10_000
        assert len(buckets) == 12  # 10:02:00 is inside the 15-minute bucket of 10:00
        assert buckets[0] == (dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC), 780)

    @pytest.mark.parametrize(
        ("span", "width", "rows"),
        [(0, 1, 1), (29, 1, 30), (30, 5, 7), (300, 30, 11), (7200, 300, 25), (86400, 3600, 25)],
    )
    def test_bucket_width_picked_from_the_span(self, span: int, width: int, rows: int) -> None:
        """The smallest width of the ladder that shows the span in at most max_buckets rows."""
        stats = Stats()
        stats.add(rec(0, "info", "a", "x"))
        stats.add(rec(span, "info", "a", "x"))
        got_width, buckets = stats.histogram()
        assert (got_width, len(buckets)) == (width, rows)
        assert sum(count for _, count in buckets) == 2

    def test_multi_day_times_carry_the_date(self) -> None:
        """Reports spanning days show dates with the clocks."""
        stats = Stats().update([rec(0, "error", "a", "x", exception={"type": "E"}),
                                rec(2 * 86400, "info", "a", "y")])  # fmt: skip
        lines = stats.render_text(width=80).splitlines()
        assert lines[0] == "2 records, 2026-12-07 10:02:00 – 2026-12-09 10:02:00 UTC"
        assert "     first 2026-12-07 10:02:00, last 2026-12-07 10:02:00" in lines
        assert "Records per second (6h buckets)" in lines


#: Logs with fastlog at fixed times: 30 requests 2 s apart, a warning and an exception every 10.
WRITER = textwrap.dedent(
    """
    import datetime, sys, time_machine
    T = datetime.datetime(2026, 12, 7, 10, 2, 0, tzinfo=datetime.timezone.utc)
    with time_machine.travel(T, tick=False) as clock:
        import fastlog_core
        fastlog_core.configure(sink=sys.argv[1], level="debug")
        api = fastlog_core.get_logger("app.api")
        db = fastlog_core.get_logger("app.db")
        for i in range(30):
            api.info(f"GET /api/users/{i} took {i + 3}ms", user_id=i)
            if i % 10 == 9:
                db.warning("pool exhausted at 10.0.0.7:5432")
                try:
                    raise TimeoutError(f"query {i} timed out")
                except TimeoutError:
                    db.exception("query failed")
            clock.shift(2)
        fastlog_core.shutdown()
    """
)

DROPPER = textwrap.dedent(
    """
    import sys, fastlog_core
    fastlog_core.configure(
        sink=sys.argv[1], preset="fastest", capacity=64 * 1024, max_record_bytes=4096, level="debug"
    )
    log = fastlog_core.get_logger("worker")
    for i in range(int(sys.argv[2])):
        (log.debug if i % 4 == 0 else log.info)("job done", job=i)
    fastlog_core.shutdown()
    """
)


class TestFilesWrittenByFastlog:
    def test_report_of_a_real_file(self, tmp_path: Path) -> None:
        """A file fastlog wrote (fixed clock), with a crash printed into it: the exact report."""
        path = tmp_path / "app.log"
        subprocess.run(
            [sys.executable, "-c", WRITER, str(path)], env=_env(), check=True, timeout=120
        )
        with path.open("ab") as f:
            f.write(b"Traceback (most recent call last):\n  oops\n")
        stats = Stats().update(read_default(path))
        assert stats.render_text(width=64) == textwrap.dedent(
            """\
            36 records and 2 non-record lines, 2026-12-07 10:02:00 – 10:02:58 UTC
              layouts: fastlog 36

            Levels
              info     30   83.3%
              warning   3    8.3%
              error     3    8.3%

            Loggers
              app.api  30   83.3%
              app.db    6   16.7%

            Records per second (5s buckets)
              10:02:00 █████████████████████████████████            0.60/s
              10:02:05 ██████████████████████                       0.40/s
              10:02:10 █████████████████████████████████            0.60/s
              10:02:15 ████████████████████████████████████████████ 0.80/s
              10:02:20 █████████████████████████████████            0.60/s
              10:02:25 ██████████████████████                       0.40/s
              10:02:30 █████████████████████████████████            0.60/s
              10:02:35 ████████████████████████████████████████████ 0.80/s
              10:02:40 █████████████████████████████████            0.60/s
              10:02:45 ██████████████████████                       0.40/s
              10:02:50 █████████████████████████████████            0.60/s
              10:02:55 ████████████████████████████████████████████ 0.80/s

            Top messages
              30   83.3%  GET /api/users/<num> took <duration>
               3    8.3%  pool exhausted at <ip>
               3    8.3%  query failed

            Errors
              3  TimeoutError
                 first 10:02:18, last 10:02:58
                 'query 9 timed out'
            """
        )

    def test_drop_notes_summed(self, tmp_path: Path) -> None:
        """The fastest preset under pressure: the notes' sum plus the records written is every
        record logged, per level too, and the report's line says so."""
        path = tmp_path / "drops.log"
        subprocess.run(
            [sys.executable, "-c", DROPPER, str(path), "100000"],
            env=_env(),
            check=True,
            timeout=120,
        )
        records = read_default(path)
        stats = Stats().update(records)
        dropped = stats.to_dict()["dropped"]
        written = [r for r in records if r.message == "job done"]
        assert len(written) + dropped["records"] == 100_000
        by_level = dropped["by_level"]
        assert sum(1 for r in written if r.level == "debug") + by_level.get("debug", 0) == 25_000
        assert sum(1 for r in written if r.level == "info") + by_level.get("info", 0) == 75_000
        notes = [r for r in records if r.logger == "fastlog"]
        assert dropped["notes"] == len(notes)
        report = stats.render_text(width=1000)
        if notes:
            first, last = notes[0].time, notes[-1].time
            assert first is not None and last is not None
            span = (
                f"at {first:%H:%M:%S}"
                if first == last
                else f"between {first:%H:%M:%S} and {last:%H:%M:%S}"
            )
            plural = "" if len(notes) == 1 else "s"
            levels = ", ".join(f"{k} {v:,}" for k, v in by_level.items())
            assert (
                f"  {dropped['records']:,} records dropped by the fastest preset (policy=drop)"
                f" {span}"
                f" in {len(notes):,} note{plural} — by level: {levels}"
            ) in report.splitlines()
        else:
            assert "fastlog notes" not in report


class TestZones:
    def test_times_in_another_zone(self) -> None:
        """tz shows every time, the span's zone name and the histogram's labels in that zone."""
        from zoneinfo import ZoneInfo

        stats = Stats().update(
            [rec(0, "error", "a", "x", exception={"type": "E"}), rec(60, "info", "a", "y")]
        )
        lines = stats.render_text(width=60, tz=ZoneInfo("Asia/Kolkata")).splitlines()
        assert lines[0] == "2 records, 2026-12-07 15:32:00 – 15:33:00 IST"
        assert lines[lines.index("Records per second (5s buckets)") + 1].startswith("  15:32:00 ")
        assert "     first 15:32:00, last 15:32:00" in lines
        assert stats.to_dict()["first"] == "2026-12-07T10:02:00Z"  # JSON: always UTC


class TestStrayTimes:
    def test_a_time_years_off_keeps_the_histogram_short(self) -> None:
        """One record at 1970 among today's: whole weeks per bucket, at most max_buckets rows."""
        stray = Record(dt.datetime(1970, 1, 1, tzinfo=dt.UTC), "info", None, "a", "x")
        stats = Stats().update([stray, rec(0, "info", "a", "x")])
        width, buckets = stats.histogram()
        assert width % 604800 == 0
        assert len(buckets) <= 30
        assert sum(count for _, count in buckets) == 2
