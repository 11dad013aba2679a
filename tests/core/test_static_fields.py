"""``static_fields``: fields encoded once at configure time and spliced into every JSON line.

The C appender and its Python twin must splice the same bytes on every path (hot, slow,
bytearray or Block); every schema and adapter carries the fields, the console encoder hides
them, truncation sees the final line, and ``configure()`` reports a change like any other.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastlog_core
from fastlog_core import ConfigError
from fastlog_core._pipeline.appender import Appender as PyAppender
from fastlog_core._pipeline.appender import splice
from fastlog_core._pipeline.per_sink import without_static

from .test_appender import BLOCK, make, state

STATIC = {"k8s.pod.name": "web-7d4b9c-x2x9q", "k8s.namespace.name": "shop", "n": 3}
SUFFIX = b',"k8s.pod.name":"web-7d4b9c-x2x9q","k8s.namespace.name":"shop","n":3'


def read(path: Path) -> list[dict[str, Any]]:
    assert fastlog_core.flush(timeout=10)
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def suffix_of(fields: dict[str, Any]) -> bytes:
    return b"".join(b"," + orjson.dumps(k) + b":" + orjson.dumps(v) for k, v in fields.items())


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)
FIELDS = st.dictionaries(st.text(min_size=1, max_size=12), JSON_VALUES, max_size=4)
# JSON object lines (what the encoders write) and anything else (a host renderer's text).
OBJECTS = st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4).map(
    lambda record: orjson.dumps(record) + b"\n"
)
LINES = st.one_of(OBJECTS, st.binary(max_size=80).map(lambda b: b + b"\n"), st.just(b"{}\n"))
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), LINES, st.integers(0, 60)),
        st.tuples(st.just("suffix"), FIELDS.map(suffix_of)),
        st.tuples(st.just("suffix"), st.binary(max_size=6)),
        st.tuples(st.just("limit"), st.integers(-1, BLOCK)),
        st.tuples(st.just("max_record"), st.integers(0, 300)),
    ),
    max_size=50,
)


@pytest.mark.parametrize("block", ["Block", "bytearray"])
class TestSameBytes:
    @settings(max_examples=300, deadline=None)
    @given(ops=OPS)
    def test_c_and_python_splice_the_same_bytes(self, block: str, ops: list[Any]) -> None:
        """Any appends and suffix or limit changes: same buffer, counts and slow-path lines."""
        results = []
        for kind in ("C", "Python"):
            out, slow = make(kind, block)
            out.limit, out.max_record, out.slow_level = BLOCK, 300, 50
            for op in ops:
                if op[0] == "append":
                    out.append(op[1], op[2])
                else:
                    setattr(out, op[0], op[1])
            results.append(state(out, slow))
        assert results[0] == results[1]

    @settings(max_examples=200, deadline=None)
    @given(record=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4), fields=FIELDS)
    def test_a_spliced_object_is_the_merged_object(
        self, block: str, record: dict[str, Any], fields: dict[str, Any]
    ) -> None:
        """An encoded record with the suffix parses as the record with the fields last."""
        for kind in ("C", "Python"):
            out, slow = make(kind, block)
            out.limit, out.max_record, out.slow_level = BLOCK, BLOCK, 50
            out.suffix = suffix_of(fields)
            out.emit(record, 20)
            line = bytes(out.buf) or slow.calls[0][0]
            assert orjson.loads(line) == {**record, **fields}
            assert line == splice(orjson.dumps(record) + b"\n", out.suffix)

    def test_the_size_checks_see_the_final_line(self, block: str) -> None:
        """A line that fits without the fields but not with them takes the slow path, spliced."""
        for kind in ("C", "Python"):
            out, slow = make(kind, block)
            out.limit, out.max_record, out.slow_level = BLOCK, 20, 50
            out.suffix = b',"k":"v"'
            out.append(b'{"a":1}\n', 20)  # 16 bytes with the fields: hot path
            out.append(b'{"abcdef":1}\n', 20)  # 21 with them: over max_record
            out.append(b"text}\n", 20)  # no object: unchanged
            assert bytes(out.buf) == b'{"a":1,"k":"v"}\ntext}\n'
            assert slow.calls == [(b'{"abcdef":1,"k":"v"}\n', 20)]


def test_without_static_removes_exactly_the_spliced_bytes() -> None:
    """The console encoder's view: the suffix goes, a record's own field of that name stays."""
    lines = [
        b'{"a":1' + SUFFIX + b"}",
        b"{" + SUFFIX[1:] + b"}",
        b'{"k8s.pod.name":"mine"' + SUFFIX + b"}",
        b'{"a":1}',
    ]
    assert without_static(lines, SUFFIX) == [
        b'{"a":1}',
        b"{}",
        b'{"k8s.pod.name":"mine"}',
        b'{"a":1}',
    ]


class TestPipeline:
    def test_native_logger_lines_end_with_the_fields(self, log_path: Path) -> None:
        fastlog_core.configure(str(log_path), static_fields=STATIC)
        log = fastlog_core.get_logger("app")
        log.info("one", a=1)
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("two")
        assert fastlog_core.flush(timeout=10)
        lines = log_path.read_bytes().splitlines()
        assert len(lines) == 2
        for line in lines:
            assert line.endswith(SUFFIX + b"}")
        records = [orjson.loads(line) for line in lines]
        assert records[0]["a"] == 1
        assert records[1]["exception"]["type"] == "ValueError"
        assert all(list(r)[-3:] == list(STATIC) for r in records)

    @pytest.mark.parametrize(
        "schema", ["default", "ecs", "gcp", "datadog", "otel", {"level": "severity"}]
    )
    def test_every_schema_gets_them_at_the_top_level(self, log_path: Path, schema: Any) -> None:
        fastlog_core.configure(str(log_path), schema=schema, static_fields=STATIC)
        log = fastlog_core.get_logger("app")
        log.info("one", a=1)
        try:
            raise KeyError("k")
        except KeyError:
            log.exception("two")
        records = read(log_path)
        assert len(records) == 2
        for record in records:
            assert {k: record[k] for k in STATIC} == STATIC
            assert list(record)[-3:] == list(STATIC)

    def test_a_python_only_pipeline_writes_the_same(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without the speedups (FASTLOG_NO_SPEEDUPS=1) the lines are the same."""
        monkeypatch.setenv("FASTLOG_NO_SPEEDUPS", "1")
        path = tmp_path / "py.log"
        fastlog_core.configure(str(path), static_fields=STATIC)
        assert isinstance(fastlog_core.get_pipeline(str(path)).appender, PyAppender)
        fastlog_core.get_logger("app").info("x")
        assert fastlog_core.flush(timeout=10)
        assert path.read_bytes().endswith(SUFFIX + b"}\n")

    def test_console_shows_none_and_other_encoders_keep_them(self, tmp_path: Path) -> None:
        """One pipeline, four sinks: JSON, console, logfmt carry what each should."""
        paths = {name: tmp_path / f"{name}.log" for name in ("json", "console", "logfmt")}
        fastlog_core.configure(
            [
                str(paths["json"]),
                {"sink": str(paths["console"]), "encoder": "console"},
                {"sink": str(paths["logfmt"]), "encoder": "logfmt"},
            ],
            static_fields=STATIC,
        )
        fastlog_core.get_logger("app").info("hello", user="ann")
        assert fastlog_core.flush(timeout=10)
        assert paths["json"].read_bytes().endswith(SUFFIX + b"}\n")
        console = paths["console"].read_text()
        assert "hello" in console and "user=ann" in console
        assert "k8s" not in console and "shop" not in console
        logfmt = paths["logfmt"].read_text()
        assert "k8s.pod.name=web-7d4b9c-x2x9q" in logfmt and "k8s.namespace.name=shop" in logfmt

    def test_format_console_shows_none(self, log_path: Path) -> None:
        fastlog_core.configure(str(log_path), format="console", static_fields=STATIC)
        fastlog_core.get_logger("app").info("hello")
        assert fastlog_core.flush(timeout=10)
        text = log_path.read_text()
        assert "hello" in text and "k8s" not in text and "shop" not in text

    def test_truncation_counts_the_fields(self, log_path: Path) -> None:
        """A record that fits max_record_bytes only without the fields is truncated: the
        written line is within the limit, marked, and still has them."""
        big = {"k8s.pod.label.x": "v" * 100}  # short values survive truncation whole
        fastlog_core.configure(str(log_path), max_record_bytes=1024, static_fields=big)
        log = fastlog_core.get_logger("app")
        plain = orjson.dumps(
            {"timestamp": "2026-01-01T00:00:00.000000Z", "level": "info", "logger": "app"}
        )
        message = "m" * (1024 - len(plain) - len(b',"message":""}\n') - 50)
        log.info(message)  # ~50 bytes short of the limit without the fields
        assert fastlog_core.flush(timeout=10)
        line = log_path.read_bytes()
        assert len(line) <= 1024
        record = orjson.loads(line)
        assert record["fastlog_truncated"] > 1024
        assert record["k8s.pod.label.x"] == "v" * 100
        assert fastlog_core.get_pipeline(str(log_path)).stats()["truncated"] == 1

    def test_reconfigure_reports_the_change(self, log_path: Path) -> None:
        fastlog_core.configure(str(log_path), static_fields={"k8s.pod.name": "a"})
        fastlog_core.configure(str(log_path), static_fields={"k8s.pod.name": "b"})
        fastlog_core.get_logger("app").info("after")
        records = read(log_path)
        assert records[0]["changed"] == {
            "static_fields": [{"k8s.pod.name": "a"}, {"k8s.pod.name": "b"}]
        }
        assert [r["k8s.pod.name"] for r in records] == ["b", "b"]
        fastlog_core.configure(str(log_path), static_fields={"k8s.pod.name": "b"})
        assert len(read(log_path)) == 2  # the same settings: no note

    def test_none_and_empty_mean_no_fields(self, log_path: Path) -> None:
        fastlog_core.configure(str(log_path), static_fields={})
        pipeline = fastlog_core.get_pipeline(str(log_path))
        assert pipeline.settings.static_fields == ()
        assert pipeline.appender.suffix == b""
        fastlog_core.configure(str(log_path), static_fields=None)
        assert pipeline.settings.static_fields == ()

    def test_a_record_field_of_the_same_name_comes_first(self, log_path: Path) -> None:
        """Both are written; JSON readers keep the last one, the static field."""
        fastlog_core.configure(str(log_path), static_fields={"region": "eu"})
        fastlog_core.get_logger("app").info("x", region="us")
        assert fastlog_core.flush(timeout=10)
        line = log_path.read_bytes()
        assert line.endswith(b',"region":"us","region":"eu"}\n')
        assert orjson.loads(line)["region"] == "eu"


class TestAdapters:
    def test_stdlib_handler(self, log_path: Path) -> None:
        from fastlog_stdlib import FastlogHandler

        handler = FastlogHandler(str(log_path), static_fields=STATIC)
        std = logging.getLogger("lib")
        std.addHandler(handler)
        std.setLevel(logging.INFO)
        std.propagate = False
        try:
            std.info("std %s", "arg", extra={"i": 1})
        finally:
            std.removeHandler(handler)
            std.propagate = True
        (record,) = read(log_path)
        assert record["message"] == "std arg" and record["i"] == 1
        assert list(record)[-3:] == list(STATIC) and record["n"] == 3

    def test_structlog(self, log_path: Path) -> None:
        import structlog

        import fastlog_structlog

        fastlog_structlog.configure(sink=str(log_path), static_fields=STATIC)
        try:
            structlog.get_logger("s").info("slog", k=2)
        finally:
            structlog.reset_defaults()
        (record,) = read(log_path)
        assert record["message"] == "slog" and record["k"] == 2
        assert {k: record[k] for k in STATIC} == STATIC

    @pytest.mark.parametrize("schema", [None, "loguru"])
    def test_loguru(self, log_path: Path, schema: str | None) -> None:
        from loguru import logger

        from fastlog_loguru import FastlogSink

        options: dict[str, Any] = {} if schema is None else {"schema": schema}
        handler = logger.add(FastlogSink(str(log_path), static_fields=STATIC, **options))
        try:
            logger.bind(b=3).info("lg")
        finally:
            logger.remove(handler)
        (record,) = read(log_path)
        assert {k: record[k] for k in STATIC} == STATIC
        assert list(record)[-3:] == list(STATIC)

    def test_loguru_layout_is_never_cut_for_them(self, log_path: Path) -> None:
        """schema="loguru" lines are written whole up to the capacity: a line that is within
        max_record_bytes only without the fields is not truncated either."""
        from loguru import logger

        from fastlog_loguru import FastlogSink

        sink = FastlogSink(
            str(log_path), schema="loguru", max_record_bytes=2048, static_fields=STATIC
        )
        handler = logger.add(sink)
        try:
            logger.info("m" * 640)  # in loguru's layout: ~2 KB before the fields
        finally:
            logger.remove(handler)
        assert fastlog_core.flush(timeout=10)
        line = log_path.read_bytes()
        assert len(line) - len(SUFFIX) <= 2048 < len(line)
        assert line.endswith(SUFFIX + b"}\n")
        assert orjson.loads(line)["record"]["message"] == "m" * 640
        assert sink.pipeline.stats()["truncated"] == 0


class TestValidation:
    @pytest.mark.parametrize(
        ("value", "match"),
        [
            ("pods", r"static_fields='pods': expected a mapping"),
            ([("a", 1)], r"static_fields=\[\('a', 1\)\]: expected a mapping"),
            ((("a", "1"),), r"static_fields=\(\('a', '1'\),\): expected a mapping"),
            ({1: "x"}, r"static_fields: the key 1 is not a non-empty str"),
            ({"": "x"}, r"static_fields: the key '' is not a non-empty str"),
            ({"a": object()}, r"static_fields\['a'\]=<object object .*>: not JSON-serialisable"),
            ({"a": 2**70}, r"static_fields\['a'\]=.*: not JSON-serialisable"),
            ({"message": "x"}, r"static_fields\['message'\]: the schema 'default' writes"),
        ],
    )
    def test_bad_values(self, log_path: Path, value: Any, match: str) -> None:
        with pytest.raises(ConfigError, match=match):
            fastlog_core.configure(str(log_path), static_fields=value)

    @pytest.mark.parametrize(
        ("schema", "key"),
        [
            ("ecs", "@timestamp"),
            ("gcp", "severity"),
            ("gcp", "logging.googleapis.com/trace"),
            ("datadog", "status"),
            ("otel", "Body"),
            ({"level": "severity"}, "severity"),
        ],
    )
    def test_a_key_the_schema_writes_is_refused(
        self, log_path: Path, schema: Any, key: str
    ) -> None:
        with pytest.raises(ConfigError, match=rf"static_fields\[{key!r}\]: the schema"):
            fastlog_core.configure(str(log_path), schema=schema, static_fields={key: "x"})

    def test_a_key_another_schema_writes_is_fine(self, log_path: Path) -> None:
        fastlog_core.configure(str(log_path), schema="ecs", static_fields={"timestamp": "x"})
        assert dict(fastlog_core.get_pipeline(str(log_path)).settings.static_fields) == {
            "timestamp": '"x"'
        }

    def test_kubernetes_shorthand_reads_enrich_once(
        self, log_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """static_fields="kubernetes" is fastlog_core.enrich.kubernetes(), resolved when
        configure() runs."""
        from fastlog_core import enrich

        monkeypatch.setattr(enrich, "_cache", {"k8s.pod.name": "p-1"})
        fastlog_core.configure(str(log_path), static_fields="kubernetes")
        fastlog_core.get_logger("a").info("x")
        assert read(log_path)[0]["k8s.pod.name"] == "p-1"
