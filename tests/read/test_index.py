"""fastlog_read.Index: the offset index ``fastlog web`` pages and filters, against the reading
layer's own ``read()`` and ``Filter.match`` on files written by fastlog and by the peers."""

from __future__ import annotations

import datetime
import gzip
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastlog_read import Follower, Index, Notice, Stats, _index, parse_filter, parse_line, read
from tests.web.helpers import write_logs

NOW = datetime.datetime(2026, 12, 7, 10, 1, tzinfo=datetime.UTC)

#: Every kind of filter the API passes on, each compared with read(paths, filter).
FILTERS = [
    {},
    {"level": "warning"},
    {"level": "error"},
    {"loggers": ["app.*"]},
    {"loggers": ["app", "!app.db"]},
    {"loggers": ["billing", "worker"], "level": "info"},
    {"since": "2026-12-07T09:30:10Z"},
    {"until": "2026-12-07T10:00:05Z"},
    {"since": "-30m", "until": "-30s"},
    {"fields": ["status=200"]},
    {"fields": ["ms>500"]},
    {"fields": ["ms>=20", "ms<100"]},
    {"fields": ["path~^/api"]},
    {"fields": ["user_id=3"]},
    {"fields": ["user.id=42"]},
    {"fields": ["order_id"]},
    {"fields": ["table!=orders"]},
    {"fields": ["hit=true"]},
    {"fields": ["key=user:8"]},
    {"fields": ["message=slow query"]},
    {"fields": ["exception.type=ValueError"]},
    {"fields": ["exception.type=ZeroDivisionError", "level=error"]},
    {"fields": ["exception.message=card declined 3"]},
    {"fields": ["exception.type!=ValueError"]},
    {"fields": ["request_id~^3"]},
    {"grep": "charge"},
    {"grep": "^request d.ne$"},
    {"grep": "(?i)CHARGE"},
    {"grep": "slow", "level": "warning", "loggers": ["app.*"]},
    {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"},
    {"trace_id": "a3ce929d0e0e4736"},
    {"trace_id": "11803532876627986230"},
    {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "level": "info", "grep": "traced"},
]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return write_logs(tmp_path_factory.mktemp("logs"))


@pytest.fixture(scope="module", params=["columns", "wide", "lines", "lines-read-whole"])
def index(logs: list[str], request: pytest.FixtureRequest) -> Iterator[Index]:
    """The index four ways: predicates and grep answered from the distinct values seen while
    indexing; from every value kept as text (the columns of many values); from the lines
    read record by record; from the stores read whole."""
    with pytest.MonkeyPatch.context() as patch:
        if request.param not in ("columns", "wide"):
            patch.setattr(_index, "_MAX_COLUMNS", 0)
        if request.param == "wide":
            patch.setattr(_index, "_MAX_VALUES", 0)
        if request.param == "lines-read-whole":
            patch.setattr(_index, "_DENSE", 0)
        built = Index(logs)
        if request.param == "columns":
            assert built._columns and built._messages.ids is not None
        elif request.param == "wide":
            assert built._columns and built._messages.wide is not None
            assert built._columns["status"].wide is not None
        else:
            assert not built._columns and built._messages.ids is None
        yield built


class TestIndex:
    def test_order_and_records_are_reads(self, logs: list[str], index: Index) -> None:
        """Every record, in the merged order ``read()`` gives, each equal to its parsed line."""
        expected = list(read(logs))
        assert len(index) == len(expected) == 3 * 41 + 4 + 2 + 3
        assert [index.raw(n) for n in range(len(index))] == [r.raw for r in expected]
        assert index.records(list(range(len(index)))) == expected
        assert [index.source(n) for n in range(len(index))] == [r.source for r in expected]
        assert index.record(5) == expected[5]

    @pytest.mark.parametrize("kwargs", FILTERS, ids=[str(f) for f in FILTERS])
    def test_match_is_the_filter(self, logs: list[str], index: Index, kwargs: dict) -> None:
        """The ids kept are those of the records Filter.match keeps in read()'s order."""
        flt = parse_filter(**kwargs, now=NOW)
        expected = [r.raw for r in read(logs, flt, prefilter=False)]
        ids = index.match(flt)
        assert [index.raw(n) for n in ids] == expected
        assert list(ids) == sorted(ids)
        assert index.match(flt) is ids  # cached

    @pytest.mark.parametrize("text", ["DECLINED", "user:1", "<SCRIPT>", "loguru", "éa", "zzz"])
    def test_text_is_a_case_insensitive_substring(
        self, logs: list[str], index: Index, text: str
    ) -> None:
        """``text`` keeps the records whose raw line contains it, ignoring case."""
        expected = [r.raw for r in read(logs) if text.lower() in r.raw.decode().lower()]
        assert [index.raw(n) for n in index.match(None, text=text)] == expected

    def test_text_and_filter_together(self, logs: list[str], index: Index) -> None:
        """``text`` narrows the filter's records."""
        flt = parse_filter(level="error")
        expected = [r.raw for r in read(logs, flt) if b"1030" in r.raw]
        assert len(expected) == 3  # order_id 1030 in each fastlog file
        assert [index.raw(n) for n in index.match(flt, text="1030")] == expected

    def test_facts(self, logs: list[str], index: Index) -> None:
        """Levels present (lowest first), loggers by count, field keys, the time extent."""
        assert index.levels() == ["debug", "info", "warning", "error", "critical"]
        assert index.loggers(3) == [("app.api", 33), ("app.db", 30), ("billing", 30)]
        assert index.fields() == [
            *("ms", "path", "status", "user_id", "order_id", "hit", "key", "table", "worker"),
            *("html", "link", "trace_id", "user", "port"),
        ]
        assert index.fields(2) == ["ms", "path"]
        records = list(read(logs))
        times = [r.time.timestamp() for r in records if r.time is not None]
        assert index.extent() == (min(times), max(times))
        assert index.extent([]) is None

    def test_histogram(self, logs: list[str], index: Index) -> None:
        """Counts per level and bucket equal counting the records' times by hand."""
        flt = parse_filter(since="2026-12-07T10:00:00Z", until="2026-12-07T10:01:00Z")
        ids = index.match(flt)
        start = datetime.datetime(2026, 12, 7, 10, tzinfo=datetime.UTC).timestamp()
        levels, counts = index.histogram(ids, start, start + 60, 6)
        assert levels == ["debug", "info", "warning", "error", "critical"]
        expected = [[0] * 5 for _ in range(6)]
        for record in read(logs, flt):
            assert record.time is not None and record.level is not None
            slot = min(int((record.time.timestamp() - start) // 10), 5)
            expected[slot][levels.index(record.level)] += 1
        assert counts == expected
        assert sum(map(sum, counts)) == len(ids) == 41 + 4 + 2 + 3

    @pytest.mark.parametrize("kwargs", FILTERS[:10] + FILTERS[20:])
    @pytest.mark.parametrize("top", [10, 2])
    def test_stats_of_matches_is_stats_of_reads(
        self, logs: list[str], index: Index, kwargs: dict, top: int
    ) -> None:
        """Stats fed the index's records, and the index's own count from its arrays, equal
        Stats fed read() (what fastlog stats prints)."""
        flt = parse_filter(**kwargs, now=NOW)
        expected = Stats(top=top).update(read(logs, flt, prefilter=False)).to_dict()
        ids = index.match(flt)
        assert Stats(top=top).update(index.records(ids)).to_dict() == expected
        assert index.stats(ids, top).to_dict() == expected
        # Counted from the arrays when the messages' distinct values are kept.
        assert index._counted(Stats(top=top), ids) == (index._messages.ids is not None or not ids)


class TestStats:
    LINES = (
        b"a banner before any record",
        b'{"timestamp":"2026-12-07T10:00:00.000001Z","level":"info","logger":"app","message":"user-1-in"}',
        b'{"timestamp":"2026-12-07T10:00:00.000002Z","level":"error","logger":"","message":"boom","exception":{"type":"KeyError","message":"k","traceback":"Traceback\\nKeyError:-k\\n"}}',
        b"Traceback (most recent call last):",
        b'{"timestamp":"2026-12-07T10:00:03Z","level":"warning","logger":"fastlog","message":"fastlog:-dropped-12-records-(policy=drop_newest)","dropped":12,"dropped_by_level":{"info":10,"debug":2},"preset":"web"}',
        b'{"timestamp":"2026-12-07T10:00:04Z","level":"warning","logger":"fastlog","message":"fastlog:-lost-3-records","lost":3}',
        b'{"level":"info","message":"user 22 in","logger":"app"}',
        b'{"timestamp":"2026-12-07T10:00:05Z","level":"critical","logger":"app","message":null}',
        b'{"timestamp":"2026-12-07T09:59:59Z","message":"no level","logger":"app"}',
        b'{"timestamp":"2026-12-07T10:00:06Z","level":"error","logger":"app","message":"user-3-in","exception":{"type":"ValueError","message":"v"}}',
        b'{"timestamp":"2026-12-07T10:00:07Z","level":"error","logger":"app","message":"boom","exc_info":"Traceback\\nOSError:-disk\\n"}',
        b"level=info msg=\"user 4 in\" logger=app time=2026-12-07T10:00:08Z",
    )  # fmt: skip

    @pytest.mark.parametrize(
        "kwargs", [{}, {"level": "warning"}, {"grep": "user"}, {"loggers": ["fastlog"]}]
    )
    def test_counted_from_the_arrays(self, tmp_path: Path, kwargs: dict) -> None:
        """Notes, exceptions, text lines, records without a level, time, logger or message:
        Index.stats() counts them as Stats fed read() does."""
        log = tmp_path / "stats.log"
        log.write_bytes(b"\n".join(self.LINES) + b"\n")
        flt = parse_filter(**kwargs)
        expected = Stats().update(read([str(log)], flt)).to_dict()
        with pytest.MonkeyPatch.context() as patch:  # the defaults, whatever a fixture set
            patch.setattr(_index, "_MAX_COLUMNS", 64)
            patch.setattr(_index, "_MAX_VALUES", 65_000)
            index = Index([str(log)])
        assert index._counted(Stats(), index.match(flt))
        assert index.stats(index.match(flt)).to_dict() == expected


class TestInputs:
    def test_gzip_and_stdin_are_spooled_and_deleted(self, tmp_path: Path) -> None:
        """A .gz input is indexed through a private spool that leaves no file behind."""
        lines = b"".join(
            b'{"timestamp":"2026-12-07T10:00:0%dZ","level":"info","message":"m%d"}\n' % (i, i)
            for i in range(5)
        )
        (tmp_path / "a.log.gz").write_bytes(gzip.compress(lines))
        spools = tmp_path / "spools"
        spools.mkdir()
        saved = tempfile.tempdir
        tempfile.tempdir = str(spools)
        try:
            index = Index([str(tmp_path / "a.log.gz")])
            assert [index.raw(n) for n in range(len(index))] == lines.splitlines()
            assert os.listdir(spools) == []  # unnamed, or removed as soon as created
            index.close()
        finally:
            tempfile.tempdir = saved

    def test_unreadable_input_is_reported_and_skipped(self, tmp_path: Path) -> None:
        """on_error gets the path and the error; the other inputs are indexed."""
        good = tmp_path / "good.log"
        good.write_bytes(b'{"level":"info","message":"kept"}\n')
        seen: list[tuple[str, str]] = []
        index = Index(
            [str(tmp_path / "missing.log"), str(good)],
            on_error=lambda path, exc: seen.append((path, type(exc).__name__)),
        )
        assert seen == [(str(tmp_path / "missing.log"), "FileNotFoundError")]
        assert len(index) == 1 and index.record(0).message == "kept"
        with pytest.raises(FileNotFoundError):
            Index([str(tmp_path / "missing.log")])

    def test_text_lines_and_times(self, tmp_path: Path) -> None:
        """Lines that are not records are indexed too (no time: NaN, no level)."""
        log = tmp_path / "mixed.log"
        log.write_bytes(b'{"level":"info","message":"one"}\nplain text\n\n')
        index = Index([str(log)])
        assert len(index) == 3
        assert [index.record(n).layout for n in range(3)] == ["json", "text", "text"]
        assert math.isnan(index.time_of(0)) and index.level_of(1) is None
        assert index.levels() == ["info", None]
        with pytest.raises(IndexError):
            index.raw(3)
        with pytest.raises(IndexError):
            index.records([0, -1])


class TestGrowth:
    def test_add_lines_appends_with_stable_ids(self, tmp_path: Path) -> None:
        """New lines get the next ids, merged by time per batch, readable after the source
        file is gone; cached matches are extended."""
        log = tmp_path / "app.log"
        log.write_bytes(b'{"timestamp":"2026-12-07T10:00:00Z","level":"error","message":"a"}\n')
        index = Index([str(log)])
        errors = index.match(parse_filter(level="error"))
        assert list(errors) == [0]
        size = index.add_lines(
            [
                ("b.log", b'{"timestamp":"2026-12-07T10:00:05Z","level":"error","message":"b5"}'),
                ("c.log", b'{"timestamp":"2026-12-07T10:00:02Z","level":"info","message":"c2"}'),
                ("b.log", b'{"timestamp":"2026-12-07T10:00:06Z","level":"info","message":"b6"}'),
            ]
        )
        log.unlink()
        assert size == len(index) == 4
        assert [index.record(n).message for n in range(4)] == ["a", "c2", "b5", "b6"]
        assert [index.source(n) for n in range(4)] == [str(log), "c.log", "b.log", "b.log"]
        assert list(index.match(parse_filter(level="error"))) == [0, 2]

    def test_positions_continue_with_the_follower(self, tmp_path: Path) -> None:
        """With follow=True a last line without its newline is left to the Follower, which
        starts where the index stopped: no gap, no line twice."""
        log = tmp_path / "app.log"
        log.write_bytes(b'{"level":"info","message":"one"}\n{"level":"info","message":"tw')
        index = Index([str(log)], follow=True)
        assert len(index) == 1
        st = os.stat(log)
        assert index.positions() == {str(log): (st.st_dev, st.st_ino, 33)}
        with log.open("ab") as f:
            f.write(b'o"}\n{"level":"info","message":"three"}\n')
        with Follower([str(log)], start_at=index.positions()) as follower:
            items = follower.poll()
        assert [(i.source, i.data) for i in items if not isinstance(i, Notice)] == [
            (str(log), b'{"level":"info","message":"two"}'),
            (str(log), b'{"level":"info","message":"three"}'),
        ]

    def test_follower_reads_another_file_from_its_start(self, tmp_path: Path) -> None:
        """When the name holds another file than the one indexed, it is read whole."""
        log = tmp_path / "app.log"
        log.write_bytes(b"old\n")
        index = Index([str(log)], follow=True)
        positions = index.positions()
        log.unlink()
        log.write_bytes(b"new one\nnew two\n")
        with Follower([str(log)], start_at=positions) as follower:
            items = follower.poll()
        assert [i.data for i in items if not isinstance(i, Notice)] == [b"new one", b"new two"]
        assert parse_line(index.raw(0)).raw == b"old"  # still read from the first file


class TestColumns:
    VALUES = (
        b'{"level":"info","message":"a","v":true}',
        b'{"level":"info","message":"b","v":1}',
        b'{"level":"info","message":"c","v":1.0}',
        b'{"level":"info","message":"d","v":"1"}',
        b'{"level":"info","message":"e","v":-0.0}',
        b'{"level":"info","message":"f","v":0.0}',
        b'{"level":"info","message":"g","v":null}',
        b'{"level":"info","message":"h"}',
        b'{"level":"info","message":"i","v":"true","w":2}',
        b'{"level":"info","message":"j","v":10,"x":"late key"}',
        b'{"level":"info","message":"k","v":{"a":1},"w":[2]}',
        b'{"level":"info","message":"l","v":NaN,"w":Infinity}',
        b'{"level":"info","message":"m","v":"\\udcff\\ud800","w":-1e300}',
        b'{"level":"info","message":"n","v":123456789012345678901234567890,"w":9007199254740993}',
        b'{"level":"info","message":"o","v":"caf\xc3\xa9 \\u00ff","w":false}',
        b'{"level":"info","message":"p","v":"","w":"2.5"}',
        b'{"level":"info","message":null,"v":"1e3","w":1e3}',
    )
    PREDICATES = (
        "v=1", "v=true", "v=1.0", "v~^1$", "v~\\.", "v~^-", "v=0", "v!=1", "v", "v<1",
        "v>=1", "v=null", "v~e$", "w=2", "x~late", "missing", "missing!=3",
        "w>2", "w<=2", "w=9007199254740992", "w=9007199254740993", "w~e", "w!=2.5", "w=1000",
        "v~é", "v~^$", "v!=", "v~\\\\u", "w~^-", "w", "v>100", "w>=-1e300", "w=false",
    )  # fmt: skip

    @pytest.mark.parametrize(
        ("max_columns", "max_values", "wide_bytes"),
        [
            (64, 65_000, 1 << 20),
            (2, 65_000, 1 << 20),
            (64, 3, 1 << 20),
            (64, 0, 1 << 20),
            (64, 3, 0),
            (64, 0, 200),
            (0, 0, 1 << 20),
        ],
    )
    def test_values_as_the_predicates_see_them(
        self, tmp_path: Path, max_columns: int, max_values: int, wide_bytes: int
    ) -> None:
        """true, 1, 1.0 and "1", -0.0 and 0.0, null and absent stay apart, whether kept as
        distinct values or, when they are too many, as text; a key found when the columns
        are taken, or past the memory for the text, is read from the lines."""
        log = tmp_path / "values.log"
        log.write_bytes(b"\n".join(self.VALUES) + b"\n")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_index, "_MAX_COLUMNS", max_columns)
            patch.setattr(_index, "_MAX_VALUES", max_values)
            patch.setattr(_index, "_WIDE_BYTES", wide_bytes)
            index = Index([str(log)])
            for expression in self.PREDICATES:
                flt = parse_filter(fields=[expression])
                expected = [r.message for r in read([str(log)], flt)]
                got = [index.record(n).message for n in index.match(flt)]
                assert got == expected, expression
            for pattern in ("^[a-c]$", "e|j", "^$", "[^a-z]", "."):
                flt = parse_filter(grep=pattern)
                expected = [r.message for r in read([str(log)], flt)]
                assert [index.record(n).message for n in index.match(flt)] == expected


class TestTextLines:
    """Lines that are not records go with the record before them in their input."""

    APP = (
        b"starting up (printed before any record)\n"
        b'{"timestamp":"2026-12-07T10:00:00.000000Z","level":"info","logger":"app","message":"ok","ms":5}\n'
        b'{"timestamp":"2026-12-07T10:00:02.000000Z","level":"error","logger":"app.db","message":"boom","ms":900}\n'
        b"Traceback (most recent call last):\n"
        b"ZeroDivisionError: division by zero\n"
        b"\n"
        b'{"timestamp":"2026-12-07T10:00:04.000000Z","level":"debug","logger":"app","message":"tick"}\n'
        b"a print after a debug record\n"
    )  # fmt: skip
    WORKER = (
        b'{"timestamp":"2026-12-07T10:00:01.000000Z","level":"warning","logger":"worker","message":"slow","ms":700}\n'
        b"worker detail line\n"
        b'{"timestamp":"2026-12-07T10:00:03.000000Z","level":"info","logger":"worker","message":"done"}\n'
        b"done detail\n"
    )  # fmt: skip

    @pytest.mark.parametrize("dense", [False, True])
    @pytest.mark.parametrize(
        "kwargs",
        [
            {},
            {"level": "warning"},
            {"level": "error"},
            {"loggers": ["app.*"]},
            {"fields": ["ms>600"]},
            {"grep": "^(boom|done)$"},
            {"since": "2026-12-07T10:00:02Z"},
        ],
    )
    def test_as_view_filters_them(self, tmp_path: Path, kwargs: dict, dense: bool) -> None:
        """The same lines as read() (fastlog view), across two merged inputs."""
        app, worker = tmp_path / "app.log", tmp_path / "worker.log"
        app.write_bytes(self.APP)
        worker.write_bytes(self.WORKER)
        paths = [str(app), str(worker)]
        flt = parse_filter(**kwargs)
        with pytest.MonkeyPatch.context() as patch:
            if dense:
                patch.setattr(_index, "_DENSE", 0)
            index = Index(paths)
            expected = [r.raw for r in read(paths, flt)]
            assert [index.raw(n) for n in index.match(flt)] == expected
            with_text = [r for r in expected if b"division" in r.lower()]
            assert [index.raw(n) for n in index.match(flt, text="DIVISION")] == with_text

    def test_growing(self, tmp_path: Path) -> None:
        """A text line added later goes with its source's last record, in an earlier batch or
        the same one; the cached result is extended by the same rule."""
        log = tmp_path / "app.log"
        log.write_bytes(b'{"level":"error","message":"first"}\n')
        index = Index([str(log)])
        errors = parse_filter(level="error")
        assert list(index.match(errors)) == [0]
        index.add_lines([(str(log), b"detail of first"), ("other.log", b"orphan")])
        index.add_lines(
            [
                ("other.log", b'{"level":"info","message":"info"}'),
                ("other.log", b"detail of info"),
                (str(log), b'{"level":"error","message":"second"}'),
                (str(log), b"detail of second"),
            ]
        )
        got = [index.raw(n) for n in index.match(errors)]
        assert got == [
            b'{"level":"error","message":"first"}',
            b"detail of first",
            b'{"level":"error","message":"second"}',
            b"detail of second",
        ]
        assert len(index.match(None)) == 7


_STAMPS = st.sampled_from(
    [
        "2026-12-07T10:00:00.000001Z",
        "2026-12-07T10:00:00.999999Z",
        "1969-12-31T23:59:59.500000Z",
        "0001-01-01T00:00:00.000000Z",
        "9999-12-31T23:59:59.999999Z",
        "2026-12-07T10:00:00Z",
        "2026-12-07T10:00:00.000001+02:00",
        "2026-12-07 10:00:00.000001Z",
        "2026-12-07T10:00:00.00000١Z",
        "2026-12-07T10:00:00.0000 1Z",
        "2026-13-07T10:00:00.000001Z",
        "1765101600",
        "not a time",
    ]
)
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
)


@st.composite
def _fastlog_lines(draw: st.DrawFn) -> bytes:
    """A line in fastlog's default layout, or close to it (what the fast reader must read
    as parse_line does, or leave to it)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([b"a print", b"", b"{not json", b'{"timestamp":"x"}']))
    odd = st.integers(0, 3).map(lambda n: n == 0)  # mostly what fastlog writes
    stamp = (
        draw(_STAMPS)
        if draw(odd)
        else f"2026-12-07T10:{draw(st.integers(0, 59)):02}:00.{draw(st.integers(0, 999_999)):06}Z"
    )
    parts = [f'"timestamp":{json.dumps(stamp)}']
    level = draw(_VALUES) if draw(odd) else draw(st.sampled_from(["info", "ERROR", "warn", "x"]))
    parts.append(f'"level":{json.dumps(level)}')
    for key in ("logger", "message", "exception", "user", "ms"):
        if draw(st.booleans()):
            value = (
                draw(_VALUES)
                if draw(odd)
                else draw(st.sampled_from(["app", "Traceback\nKeyError: k\n", "", "a b"]))
            )
            parts.append(f"{json.dumps(key)}:{json.dumps(value)}")
    if draw(st.integers(0, 5)) == 0:
        parts.append('"level":"debug"')  # a duplicate key: the last value wins
    line = ("{" + ",".join(parts) + "}").encode()
    return line + (b"\r" if draw(st.integers(0, 9)) == 0 else b"")


def _arrays(index: Index) -> dict[str, object]:
    """Everything the index keeps, in comparable form (NaN compared by its bytes)."""
    columns = {
        key: (
            None if c.ids is None else (c.ids.tobytes().rstrip(b"\0"), repr(c.values)),
            None if c.wide is None else (c.wide.text, c.wide.kinds, c.wide.idx),
        )
        for key, c in index._columns.items()
    }
    names = (
        "_time", "_levelno", "_level", "_logger", "_store", "_source", "_offset", "_length",
        "_layout", "_exceptions", "_text", "_owner", "_level_names", "_logger_names",
        "_layout_names", "_source_names", "_field_counts", "_first", "_last",
    )  # fmt: skip
    kept: dict[str, object] = {name: repr(getattr(index, name)) for name in names}
    kept["_time"] = index._time.tobytes()
    kept["columns"] = columns
    kept["messages"] = repr(index._messages.values)
    return kept


class TestFastPath:
    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(_fastlog_lines(), min_size=1, max_size=40))
    def test_same_arrays_as_the_parsed_lines(self, lines: list[bytes]) -> None:
        """The lines of fastlog's default layout read without parse_line() give the index
        the same arrays, to the bit, as when every line is parsed."""
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "fast.log"
            log.write_bytes(b"\n".join(lines) + b"\n")
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(_index, "_MAX_COLUMNS", 64)
                patch.setattr(_index, "_MAX_VALUES", 3)  # wide columns too
                with Index([str(log)]) as fast:
                    got = _arrays(fast)
                patch.setattr(_index._FastlogLines, "read", lambda self, line: None)
                with Index([str(log)]) as parsed:
                    expected = _arrays(parsed)
        assert got == expected

    def test_the_default_layout_is_read_fast(self, tmp_path: Path) -> None:
        """fastlog's own lines take the fast path (none is parsed while indexing)."""
        log = tmp_path / "app.log"
        log.write_bytes(
            b'{"timestamp":"2026-12-07T10:00:00.000001Z","level":"info","logger":"app",'
            b'"message":"ok","ms":5}\n' * 3
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_index, "parse_line", None)  # any call would fail
            with Index([str(log)]) as index:
                assert len(index) == 3 and index.time_of(0) == 1796637600.000001
