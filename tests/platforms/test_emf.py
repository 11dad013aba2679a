"""fastlog_core.emf: records in CloudWatch's Embedded Metric Format, checked against the spec's
rules (the ``spec_problems`` oracle below, written from the specification's text), and one
through CloudWatchSink into moto, read back and parsed."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest

import fastlog_core
from fastlog_core import CloudWatchSink, emf
from tests.helpers import read_lines
from tests.platforms.moto_logs import MotoLogs


def spec_problems(document: dict[str, Any]) -> list[str]:
    """What breaks the EMF specification in *document* (a parsed log event)."""
    problems = []
    meta = document.get("_aws")
    if not isinstance(meta, dict):
        return ["no _aws object"]
    if not isinstance(meta.get("Timestamp"), int) or meta["Timestamp"] <= 0:
        problems.append("Timestamp: not a positive integer of ms")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        return [*problems, "CloudWatchMetrics: not an array"]
    for directive in directives:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 1024:
            problems.append(f"Namespace {namespace!r}")
        for dimension_set in directive.get("Dimensions", []):
            if len(dimension_set) > 30:
                problems.append("more than 30 dimensions in a set")
            problems.extend(
                f"dimension {key!r}: no string member at the root"
                for key in dimension_set
                if not isinstance(document.get(key), str)
            )
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or len(metrics) > 100:
            problems.append("Metrics: not an array of at most 100")
            continue
        for metric in metrics:
            name = metric.get("Name")
            value = document.get(name)
            values = value if isinstance(value, list) else [value]
            if not values or len(values) > 100:
                problems.append(f"{name}: 1 to 100 values")
            if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
                problems.append(f"{name}: value {value!r} is not numeric")
            if metric.get("StorageResolution", 60) not in (1, 60):
                problems.append(f"{name}: StorageResolution")
            if set(metric) - {"Name", "Unit", "StorageResolution"}:
                problems.append(f"{name}: unknown members")
            if "Unit" in metric and metric["Unit"] not in emf.UNITS:
                problems.append(f"{name}: unit {metric['Unit']!r}")
    return problems


class TestRecord:
    def test_count_writes_one_spec_record_through_the_logger(self, configured: Path) -> None:
        """One record: _aws with Timestamp (ms, now) and the directive; values at the root."""
        before = time.time_ns() // 1_000_000
        emf.count("orders", 3, dimensions={"Service": "checkout"}, order_id="o-1")
        fastlog_core.shutdown()
        after = time.time_ns() // 1_000_000
        [line] = read_lines(configured)
        assert spec_problems(line) == []
        assert before <= line["_aws"]["Timestamp"] <= after
        assert line["_aws"]["CloudWatchMetrics"] == [
            {
                "Namespace": "aws-embedded-metrics",
                "Dimensions": [["Service"]],
                "Metrics": [{"Name": "orders", "Unit": "Count"}],
            }
        ]
        assert (line["orders"], line["Service"], line["order_id"]) == (3, "checkout", "o-1")
        assert (line["logger"], line["message"], line["level"]) == ("emf", "orders", "info")

    def test_the_namespace_from_the_environment(
        self, configured: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AWS_EMF_NAMESPACE", "shop")
        emf.count("a")
        emf.count("b", namespace="given")
        fastlog_core.shutdown()
        namespaces = [
            r["_aws"]["CloudWatchMetrics"][0]["Namespace"] for r in read_lines(configured)
        ]
        assert namespaces == ["shop", "given"]

    def test_timer_measures_the_block_in_milliseconds(self, configured: Path) -> None:
        """The record carries the block's duration, also when the block raises."""
        with emf.timer("work", dimensions={"Op": "sleep"}):
            end = time.perf_counter() + 0.02
            while time.perf_counter() < end:
                pass
        with pytest.raises(KeyError), emf.timer("failing", unit="Microseconds"):
            raise KeyError("x")
        fastlog_core.shutdown()
        work, failing = read_lines(configured)
        assert spec_problems(work) == [] and spec_problems(failing) == []
        assert work["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
            {"Name": "work", "Unit": "Milliseconds"}
        ]
        assert work["work"] >= 20.0
        assert failing["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] == "Microseconds"

    def test_several_metrics_values_lists_and_high_resolution(self, configured: Path) -> None:
        emf.metrics(
            {"latency": [1.5, 2.5, 3], "bytes": 2048},
            units={"latency": "Milliseconds", "bytes": "Bytes"},
            dimensions={"Route": "/pay", "Method": "POST"},
            resolution=1,
            logger="web",
        )
        fastlog_core.shutdown()
        [line] = read_lines(configured)
        assert spec_problems(line) == []
        assert line["logger"] == "web"
        assert line["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
            {"Name": "latency", "Unit": "Milliseconds", "StorageResolution": 1},
            {"Name": "bytes", "Unit": "Bytes", "StorageResolution": 1},
        ]
        assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Route", "Method"]]
        assert (line["latency"], line["bytes"]) == ([1.5, 2.5, 3], 2048)

    def test_the_limits_hold_at_the_edge(self) -> None:
        """100 metrics and 30 dimensions are accepted, and the record passes the spec check."""
        values = {f"m{k}": k for k in range(100)}
        dimensions = {f"d{k}": "v" for k in range(30)}
        document = emf.record(values, dimensions=dimensions)
        assert spec_problems(document) == []

    @pytest.mark.parametrize(
        ("call", "message"),
        [
            (lambda: emf.record({f"m{k}": 1 for k in range(101)}), "101 metrics: at most 100"),
            (
                lambda: emf.record({"m": 1}, dimensions={f"d{k}": "v" for k in range(31)}),
                "31 dimensions: at most 30",
            ),
            (lambda: emf.record({"m": 1}, units="Parsecs"), "unit 'Parsecs'"),
            (lambda: emf.record({"m": math.nan}), "expected a finite number"),
            (lambda: emf.record({"m": True}), "expected a finite number"),
            (lambda: emf.record({"m": list(range(101))}), "1-100 of them"),
            (lambda: emf.record({"m": 1}, namespace=" "), "namespace=' '"),
            (lambda: emf.record({"m": 1}, dimensions={"d": "x" * 1025}), r"dimensions\['d'\]"),
            (lambda: emf.record({"m": 1}, dimensions={"d": 5}), r"dimensions\['d'\]=5"),
            (lambda: emf.record({"m": 1}, dimensions={"m": "x"}), "metric name 'm'"),
            (lambda: emf.record({"message": 1}), "metric name 'message'"),
            (lambda: emf.record({}), "at least one metric"),
            (lambda: emf.record({"m": 1}, resolution=30), "resolution=30"),
            (lambda: emf.record({"m": 1}, units={"n": "Count"}), "units for metrics not given"),
            (lambda: emf.count("m", logger=42), "logger=42"),  # type: ignore[arg-type]
        ],
    )
    def test_bad_input_is_refused_naming_it(self, call: Any, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            call()

    def test_a_bad_timer_fails_before_the_block_runs(self) -> None:
        ran = []
        with pytest.raises(ValueError, match="unit='Bytes'"), emf.timer("t", unit="Bytes"):
            ran.append(1)
        assert ran == []


def test_an_emf_record_through_cloudwatch_read_back(moto_logs: MotoLogs) -> None:
    """emf.count through CloudWatchSink into moto: the event's message parses to the record,
    spec-valid, its _aws Timestamp the event's own time within the same millisecond range."""
    fastlog_core.configure(sink=CloudWatchSink("metrics", "svc"))
    emf.count("signups", 2, dimensions={"Plan": "pro"})
    with emf.timer("render"):
        pass
    assert fastlog_core.shutdown(timeout=10)
    events = moto_logs.events("metrics", "svc")
    documents = moto_logs.messages("metrics", "svc")
    assert [d["message"] for d in documents] == ["signups", "render"]
    for event, document in zip(events, documents, strict=True):
        assert spec_problems(document) == []
        assert abs(event["timestamp"] - document["_aws"]["Timestamp"]) <= 1
    assert (documents[0]["signups"], documents[0]["Plan"]) == (2, "pro")
