"""Network and cloud sinks: caller cost, sustained delivery, an outage, a stalled collector.

Against stdlib ``SysLogHandler`` and the OpenTelemetry SDK, in one run (issues #19 and #20).

    python benchmarks/bench_network.py              # full: ~8 min (a 60 s outage at 20k/s)
    python benchmarks/bench_network.py --quick      # smoke, < 1 min (CI runs it)
    python benchmarks/bench_network.py --section outage --outage-seconds 10 --json out.json

Every case runs in its own process and logs the same record as the other benchmarks
(``log.info("user logged in", user_id=i, ip=..., ok=True)``; stdlib style with ``extra=``),
``user_id`` numbering the records from 0, so the receiving side can tell which arrived and in
which order. The receivers are processes of their own (``_net_receivers.py``): a raw-socket TCP
server, a minimal HTTP/1.1 server (NDJSON and OTLP/HTTP bodies alike), and a real rsyslog for
the syslog throughput. See benchmarks/README.md ("bench_network.py") for what each section
measures and the targets.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import IP, MESSAGE, timed_callers, versions
from _net_receivers import (
    Arrived,
    Control,
    OutputCounter,
    Receiver,
    Rsyslog,
    http_records,
    tcp_records,
)
from _suite_configs import paced

FILE = "fastlog FileSink (local file)"
SYSLOG = "fastlog SyslogSink tcp"
OTLP = "fastlog OTLPSink (protobuf)"
HTTP = "fastlog HTTPSink ndjson"
DATADOG = "fastlog DatadogSink (intake v2)"
CLOUDWATCH = "fastlog CloudWatchSink (PutLogEvents, SigV4)"
STDLIB = "stdlib SysLogHandler tcp + python-json-logger"
OTEL = "OTel SDK LoggingHandler + BatchLogRecordProcessor + OTLPLogExporter"

#: Where each case sends: (receiver protocol, how its recording is decoded); None: a file.
WIRE: dict[str, tuple[str, str] | None] = {
    FILE: None,
    SYSLOG: ("tcp", "octet"),
    OTLP: ("http", "otlp"),
    HTTP: ("http", "ndjson"),
    DATADOG: ("http", "datadog"),
    CLOUDWATCH: ("http", "cloudwatch"),
    STDLIB: ("tcp", "nul"),
    OTEL: ("http", "otlp"),
}
NETWORK = (SYSLOG, OTLP, HTTP, DATADOG, CLOUDWATCH)
PEERS = (STDLIB, OTEL)
MIB = 1024 * 1024

#: Targets (issue #19; #20 holds the cloud sinks to the same caller cost).
COST_MAX = 1.2  # a network sink's caller cost / the file sink's
THROUGHPUT_MIN = 200_000  # records/s delivered, one process
STALL_MAX = 1.5  # p99 while the collector stalls / p99 healthy ("unchanged", with noise margin)
RSS_SLACK = 2 * MIB  # peak RSS in an outage: at most capacity + this above the no-outage run


def is_fastlog(case: str) -> bool:
    return case.startswith("fastlog")


# -- the cases (in the child process) ----------------------------------------------------------


@dataclass
class App:
    """One configured logger: ``body(n)`` logs the next *n* records (``user_id`` continues
    from the last), ``one(i)`` logs record *i*; ``done()`` waits for what the library can wait
    for (fastlog: delivery; the SDK: its exporter; stdlib: nothing, it sent in the call)."""

    body: Callable[[int], None]
    one: Callable[[int], None]
    done: Callable[[], object]
    close: Callable[[], object]
    logged: list[int]  # [records logged so far]
    stats: Callable[[], dict[str, Any]] | None = None  # fastlog's stats()
    capacity: int = 0  # fastlog: the pipeline's capacity, bytes
    queue_bytes: int = 0  # fastlog: the network sink's queue


def _sink_class(name: str, module: str) -> Any:
    import importlib

    import fastlog_core

    found = getattr(fastlog_core, name, None)
    if found is not None:
        return found
    # Until fastlog_core exports it: the protocol's own module.
    return getattr(importlib.import_module(f"fastlog_core._network.{module}"), name)


def _fastlog_sink(case: str, p: dict[str, Any]) -> Any:
    options = dict(p.get("sink", {}))
    if p.get("spill"):
        options["spill"] = p["spill"]
    url = f"127.0.0.1:{p.get('port', 0)}"
    if case == FILE:
        return p["path"]
    if case == SYSLOG:
        return _sink_class("SyslogSink", "syslog")(f"tcp://{url}", **options)
    if case == OTLP:
        return _sink_class("OTLPSink", "otlp")(f"http://{url}", **options)
    if case == HTTP:
        return _sink_class("HTTPSink", "http")(f"http://{url}/ingest", **options)
    if case == DATADOG:
        # The intake takes at most 1,000 entries a request: the sink's own default batch.
        options.pop("batch_records", None)
        return _sink_class("DatadogSink", "datadog")(
            api_key="bench", url=f"http://{url}/api/v2/logs", service="bench", hostname="bench",
            **options,
        )  # fmt: skip
    if case == CLOUDWATCH:
        # Static test credentials, no AWS configuration read: the requests are signed as for
        # AWS (SigV4) and answered by the loopback receiver.
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
            AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        )  # fmt: skip
        options.pop("batch_records", None)
        return _sink_class("CloudWatchSink", "cloudwatch")(
            "bench", "bench", region="us-east-1", endpoint_url=f"http://{url}", **options
        )
    raise ValueError(case)


def _setup_fastlog(case: str, p: dict[str, Any]) -> App:
    import fastlog_core

    sink = _fastlog_sink(case, p)
    fastlog_core.configure(sink=sink, level="info", **p.get("options", {}))
    log = fastlog_core.get_logger("bench")
    logged = [0]

    def body(n: int) -> None:
        start = logged[0]
        for i in range(start, start + n):
            log.info(MESSAGE, user_id=i, ip=IP, ok=True)
        logged[0] = start + n

    def one(i: int) -> None:
        log.info(MESSAGE, user_id=i, ip=IP, ok=True)

    from fastlog_core._presets import parse_size

    return App(
        body,
        one,
        fastlog_core.flush,
        fastlog_core.shutdown,
        logged,
        stats=lambda: dict(fastlog_core.stats()),
        capacity=parse_size(p.get("options", {}).get("capacity", "32 MiB"), "capacity"),
        queue_bytes=int(getattr(sink, "queue_bytes", 0)),
    )


def _stdlib_logger(handler: Any) -> tuple[Any, list[int], Callable[[int], None], Any]:
    import logging

    logger = logging.getLogger("bench")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logged = [0]

    def body(n: int) -> None:
        start = logged[0]
        for i in range(start, start + n):
            logger.info(MESSAGE, extra={"user_id": i, "ip": IP, "ok": True})
        logged[0] = start + n

    def one(i: int) -> None:
        logger.info(MESSAGE, extra={"user_id": i, "ip": IP, "ok": True})

    return logger, logged, one, body


def _setup_stdlib_syslog(p: dict[str, Any]) -> App:
    import logging
    import logging.handlers
    import socket

    from pythonjsonlogger.json import JsonFormatter

    # A failed send prints a traceback per record by default; as in production, it is off.
    logging.raiseExceptions = False
    handler = logging.handlers.SysLogHandler(
        address=("127.0.0.1", p["port"]), socktype=socket.SOCK_STREAM
    )
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    _, logged, one, body = _stdlib_logger(handler)
    return App(body, one, lambda: None, handler.close, logged)


def _setup_otel(p: dict[str, Any]) -> App:
    import logging
    import warnings

    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    provider = LoggerProvider()
    exporter = OTLPLogExporter(endpoint=f"http://127.0.0.1:{p['port']}/v1/logs")
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))  # its defaults
    with warnings.catch_warnings():  # "deprecated: use opentelemetry-instrumentation-logging"
        warnings.simplefilter("ignore", DeprecationWarning)
        handler = LoggingHandler(level=logging.INFO, logger_provider=provider)
    _, logged, one, body = _stdlib_logger(handler)
    return App(body, one, provider.force_flush, provider.shutdown, logged)


def setup(case: str, p: dict[str, Any]) -> App:
    if is_fastlog(case):
        return _setup_fastlog(case, p)
    if case == STDLIB:
        return _setup_stdlib_syslog(p)
    if case == OTEL:
        return _setup_otel(p)
    raise ValueError(case)


def _network_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """fastlog's counters: the process-wide ones, and the network sink's delivery."""
    delivery: dict[str, int] = {}
    for pipeline in stats["pipelines"].values():
        for sink in pipeline["sinks"]:
            for key, value in sink.get("delivery", {}).items():
                delivery[key] = delivery.get(key, 0) + value
    return {
        "dropped": stats["dropped"],
        "lost": stats["lost"],
        "queued_bytes": stats["queued_bytes"],
        "high_water_bytes": stats["high_water_bytes"],
        "bytes_written": stats["bytes_written"],
        "blocked": stats["blocked"],
        "delivery": delivery,
    }


def _peak_rss() -> int:
    """This process's peak resident set (VmHWM), bytes. Not ``getrusage``'s ``ru_maxrss``:
    Linux carries that over ``fork`` and ``exec``, so a child would report its parent's peak
    when the parent's was higher."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child_cost(case: str, p: dict[str, Any]) -> dict[str, Any]:
    """Caller cost: a tenth of the records to warm up, then ``count`` timed until the last
    call returns; the rest is delivered (untimed) before the process ends."""
    app = setup(case, p)
    elapsed = timed_callers(1, p["count"], app.body, app.done)
    stats = _network_stats(app.stats()) if app.stats else None
    app.close()
    out: dict[str, Any] = {"elapsed": elapsed, "logged": app.logged[0], "stats": stats}
    if case == FILE:
        with open(p["path"], "rb") as f:
            out["file_records"] = f.read().count(b"\n")
    return out


def child_throughput(case: str, p: dict[str, Any]) -> dict[str, Any]:
    """Sustained delivery: from the first call until the destination has all ``count``."""
    app = setup(case, p)
    app.body(max(1, p["count"] // 10))
    app.done()
    warm = app.logged[0]
    count = p["count"]
    stats0 = _network_stats(app.stats()) if app.stats else None
    control = Control(p["control"]) if "control" in p else None
    counter = OutputCounter(p["rsyslog_out"]) if "rsyslog_out" in p else None
    base = 0
    if control is not None:
        control.wait_for(warm, p["timeout"])
        base = control.count().records
        control("expect", base + count)
    elif counter is not None:  # rsyslog's output holds the earlier rounds' records too
        base = counter.wait_for(p["rsyslog_base"] + warm, p["timeout"])[0]
    start = time.monotonic()
    app.body(count)
    calls = time.monotonic() - start
    app.done()
    if control is not None:
        got = control.wait_for(base + count, p["timeout"])
        arrived, end = got.records - base, got.reached
    elif counter is not None:
        total, end = counter.wait_for(base + count, p["timeout"])
        arrived = total - base
    else:  # the file: done() returned when every record was written
        end, arrived = time.monotonic(), count
    stats1 = _network_stats(app.stats()) if app.stats else None
    app.close()
    out = {"elapsed": end - start, "calls": calls, "arrived": arrived, "expected": count}
    if stats0 and stats1:
        out["bytes"] = stats1["bytes_written"] - stats0["bytes_written"]
    if case == FILE:
        with open(p["path"], "rb") as f:
            out["arrived"] = f.read().count(b"\n") - warm
    return out


def child_stall(case: str, p: dict[str, Any]) -> dict[str, Any]:
    """Caller latency at a steady rate (one record per ``interval_ns``) for ``duration_s``,
    the collector stalled all along (``stall``: accepts, never reads nor answers) or not."""
    app = setup(case, p)
    app.body(p["warmup"])
    app.done()
    control = Control(p["control"])
    if p["stall"]:
        control("stall")
    start = app.logged[0]
    lat = paced(lambda i: app.one(start + i), int(p["duration_s"] * 1e9), p["interval_ns"])
    app.logged[0] = start + len(lat)
    if p["stall"]:
        control("resume")
    app.done()
    stats = _network_stats(app.stats()) if app.stats else None
    app.close()
    return {"latency": _percentiles(lat), "logged": app.logged[0], "stats": stats}


def _percentiles(lat_ns: list[int]) -> dict[str, float]:
    s = sorted(lat_ns)
    n = len(s)

    def at(q: float) -> float:
        return s[min(n - 1, int(q * n))] / 1000

    return {"p50_us": at(0.5), "p99_us": at(0.99), "p999_us": at(0.999), "max_us": s[-1] / 1000}


def _paced_rate(app: App, rate: float, seconds: float) -> None:
    """Log at *rate* records/s for *seconds*, in 10 ms ticks (a caller slower than the rate
    logs fewer)."""
    start = time.monotonic()
    first = app.logged[0]
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            return
        due = first + int((now - start) * rate) - app.logged[0]
        if due > 0:
            app.body(due)
        time.sleep(0.01)


def child_outage(case: str, p: dict[str, Any]) -> dict[str, Any]:
    """Log at ``rate`` for ``pre`` seconds, with the collector down for ``down`` seconds
    (unless ``outage`` is false: the no-outage baseline), then ``post`` seconds; then wait until
    everything is delivered (fastlog: its counters settle; a peer: nothing more arrives)."""
    control = Control(p["control"])
    app = setup(case, p)
    started = time.monotonic()
    _paced_rate(app, p["rate"], p["pre"])
    if p["outage"]:
        control("down")
    _paced_rate(app, p["rate"], p["down"])
    if p["outage"]:
        control("up")
    up = time.monotonic()
    _paced_rate(app, p["rate"], p["post"])
    logging_s = time.monotonic() - started
    logged = app.logged[0]
    deadline = time.monotonic() + p["recover_timeout"]
    stats: dict[str, Any] | None = None
    if app.stats is not None:
        while True:
            stats = _network_stats(app.stats())
            d = stats["delivery"]
            arrived = control.count().records
            settled = (
                d.get("queued", 0) == 0
                and d.get("spill_pending", 0) == 0
                and stats["queued_bytes"] == 0
                and arrived == logged - stats["dropped"] - stats["lost"]
            )
            if settled or time.monotonic() > deadline:
                break
            time.sleep(0.02)
    else:
        app.done()
        control.settle(max(0.0, deadline - time.monotonic()), quiet=1.0)
    delivered_at = time.monotonic()
    peak = _peak_rss()
    app.close()
    if stats is not None:
        stats = _network_stats(app.stats()) if app.stats else stats
    return {
        "logged": logged,
        "rate": logged / logging_s,
        "recovery_s": delivered_at - up,
        "peak_rss": peak,
        "stats": stats,
        "capacity": app.capacity,
        "queue_bytes": app.queue_bytes,
    }


CHILDREN: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    "cost": child_cost,
    "throughput": child_throughput,
    "stall": child_stall,
    "outage": child_outage,
}


# -- the parent ----------------------------------------------------------------------------


def _command(kind: str, case: str, params: dict[str, Any]) -> list[str]:
    return [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        kind,
        "--case",
        case,
        "--params",
        json.dumps(params),
    ]


def _result(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any] | str:
    """The child's JSON result, or why there is none."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return f"timeout after {timeout:.0f}s"
    if proc.returncode != 0:
        last = (err.strip().splitlines() or ["?"])[-1]
        return f"crashed (exit {proc.returncode}): {last[:100]}"
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def run_child(kind: str, case: str, params: dict[str, Any], timeout: float) -> dict[str, Any] | str:
    proc = subprocess.Popen(
        _command(kind, case, params), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return _result(proc, timeout)


@dataclass
class Row:
    """A case's figures over the rounds, or why it has none."""

    samples: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None

    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples and not self.failure else None

    def spread(self, fmt: str = "{:.0f}", scale: float = 1.0) -> str:
        if self.failure:
            return self.failure
        if not self.samples:
            return "n/a"
        m = statistics.median(self.samples) * scale
        lo, hi = min(self.samples) * scale, max(self.samples) * scale
        return f"{fmt.format(m)} ({fmt.format(lo)}–{fmt.format(hi)})"


class Receivers:
    """The loopback receivers shared by the cost, throughput and stall sections."""

    def __init__(self) -> None:
        self.tcp = Receiver("tcp")
        self.http = Receiver("http")

    def of(self, case: str) -> Receiver | None:
        wire = WIRE[case]
        if wire is None:
            return None
        return self.tcp if wire[0] == "tcp" else self.http

    def close(self) -> None:
        self.tcp.close()
        self.http.close()


def _check_arrival(
    case: str, receiver: Receiver, expected: int, timeout: float
) -> tuple[int, str | None]:
    """Records the receiver counted for *case*; a fastlog case must deliver exactly
    *expected* (else the second value says what went wrong); a peer's count is what it
    delivered (it may drop)."""
    control = receiver.control
    if is_fastlog(case):
        got = control.wait_for(expected, timeout).records
        if got == expected:
            time.sleep(0.05)  # one more look: nothing extra (a duplicate) arrives late
            got = control.count().records
        if got != expected:
            return got, f"wrong delivery: {got} records arrived, expected {expected}"
        return got, None
    return control.settle(timeout, quiet=0.5).records, None


def section_cost(
    args: argparse.Namespace, receivers: Receivers, tmp: str, cases: list[str]
) -> dict[str, Row]:
    rows = {case: Row() for case in cases}
    for _ in range(args.rounds):
        for case in cases:  # interleaved, so drift on a noisy machine hits every case
            row = rows[case]
            if row.failure:
                continue
            receiver = receivers.of(case)
            params: dict[str, Any] = {"count": args.count, "path": os.path.join(tmp, "cost.log")}
            if args.schema:
                params["options"] = {"schema": args.schema}
            if receiver is not None:
                receiver.control("reset")
                params["port"] = receiver.port
            result = run_child("cost", case, params, args.timeout)
            with contextlib.suppress(FileNotFoundError):
                os.remove(params["path"])
            if isinstance(result, str):
                row.failure = result
                continue
            logged = result["logged"]
            if receiver is None:
                arrived, problem = result["file_records"], None
                if arrived != logged:
                    problem = f"wrong output: {arrived} lines, expected {logged}"
            else:
                arrived, problem = _check_arrival(case, receiver, logged, args.timeout)
            if problem:
                row.failure = problem
                continue
            row.samples.append(result["elapsed"] / args.count * 1e9)
            row.extra.setdefault("logged", []).append(logged)
            row.extra.setdefault("arrived", []).append(arrived)
    return rows


def section_throughput(
    args: argparse.Namespace, receivers: Receivers, tmp: str, rsyslog: Rsyslog | None
) -> dict[str, Row]:
    plan: list[tuple[str, str]] = [(SYSLOG, "rsyslog"), (SYSLOG, "receiver")]
    plan += [(OTLP, "receiver"), (HTTP, "receiver"), (FILE, "file")]
    plan = [(c, d) for c, d in plan if _selected(args, c)]
    if rsyslog is None:
        plan = [(c, d) for c, d in plan if d != "rsyslog"]
    rows = {f"{c} → {_DEST[d]}": Row() for c, d in plan}
    for _ in range(args.rounds):
        for case, dest in plan:
            row = rows[f"{case} → {_DEST[dest]}"]
            if row.failure:
                continue
            count = args.throughput_count
            params: dict[str, Any] = {
                "count": count,
                "timeout": args.timeout,
                "path": os.path.join(tmp, "throughput.log"),
            }
            if dest == "rsyslog":
                assert rsyslog is not None
                params.update(
                    port=rsyslog.port,
                    rsyslog_out=str(rsyslog.out),
                    rsyslog_base=rsyslog.counter.count(),
                )
            elif dest == "receiver":
                receiver = receivers.of(case)
                assert receiver is not None
                receiver.control("reset")
                params.update(port=receiver.port, control=receiver.control_port)
            result = run_child("throughput", case, params, args.timeout + 30)
            with contextlib.suppress(FileNotFoundError):
                os.remove(params["path"])
            if isinstance(result, str):
                row.failure = result
            elif result["arrived"] != result["expected"]:
                row.failure = (
                    f"wrong delivery: {result['arrived']} records, expected {result['expected']}"
                )
            else:
                row.samples.append(count / result["elapsed"])
                if "bytes" in result:
                    row.extra.setdefault("mbps", []).append(
                        result["bytes"] / result["elapsed"] / 1e6
                    )
                row.extra.setdefault("calls", []).append(count / result["calls"])
    return rows


_DEST = {"rsyslog": "rsyslog (imtcp → omfile)", "receiver": "loopback receiver", "file": "file"}


def section_stall(
    args: argparse.Namespace, receivers: Receivers, cases: list[str]
) -> dict[str, dict[str, Row]]:
    """Per case: ``healthy`` and ``stalled`` rows of per-call latencies (p99 as the sample)."""
    rows = {case: {"healthy": Row(), "stalled": Row()} for case in cases}
    for _ in range(args.stall_rounds):
        for case in cases:
            for state in ("healthy", "stalled"):
                row = rows[case][state]
                if row.failure:
                    continue
                receiver = receivers.of(case)
                assert receiver is not None
                receiver.control("reset")
                params = {
                    "port": receiver.port,
                    "control": receiver.control_port,
                    "stall": state == "stalled",
                    "warmup": args.stall_warmup,
                    "duration_s": args.stall_seconds,
                    "interval_ns": args.stall_interval_ns,
                }
                result = run_child("stall", case, params, args.timeout + args.stall_seconds)
                if isinstance(result, str):
                    row.failure = result
                    # A child killed while the receiver stalled never resumed it: resume, and
                    # let its connection's bytes in before the next case's reset.
                    receiver.control("resume")
                    receiver.control.settle(args.timeout, quiet=1.0)
                    continue
                logged = result["logged"]
                arrived, problem = _check_arrival(case, receiver, logged, args.timeout)
                if problem:
                    row.failure = problem
                    continue
                lat = result["latency"]
                row.samples.append(lat["p99_us"])
                for key in ("p50_us", "p999_us", "max_us"):
                    row.extra.setdefault(key, []).append(lat[key])
                row.extra.setdefault("logged", []).append(logged)
                row.extra.setdefault("arrived", []).append(arrived)
    return rows


@dataclass(frozen=True)
class Outage:
    case: str
    outage: bool
    spill: bool = False
    policy: str | None = None

    @property
    def label(self) -> str:
        if not self.outage:
            return f"{self.case}, no outage"
        if not is_fastlog(self.case):
            return f"{self.case}, outage"
        return f"{self.case}, outage, " + (
            "spill" if self.spill else f"no spill, policy={self.policy}"
        )


#: Run at once in two waves (fastlog's cases, then the peers'), each case with its receiver.
OUTAGE_WAVES: list[list[Outage]] = [
    [
        Outage(OTLP, True, spill=True),
        Outage(OTLP, True, policy="drop"),
        Outage(OTLP, False),
        Outage(SYSLOG, True, spill=True),
        Outage(SYSLOG, False),
    ],
    [Outage(OTEL, True), Outage(OTEL, False), Outage(STDLIB, True), Outage(STDLIB, False)],
]


def section_outage(args: argparse.Namespace, tmp: str) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    schedule = args.outage_pre + args.outage_seconds + args.outage_post
    recover = args.outage_recover
    for all_cases in OUTAGE_WAVES:
        wave = [o for o in all_cases if _selected(args, o.case)]
        running: list[tuple[Outage, Receiver, str, subprocess.Popen[str]]] = []
        try:
            for o in wave:
                wire = WIRE[o.case]
                assert wire is not None
                receiver = Receiver(wire[0])
                recording = os.path.join(tmp, f"outage-{len(results)}-{len(running)}.rec")
                receiver.control("record", recording)
                params: dict[str, Any] = {
                    "port": receiver.port,
                    "control": receiver.control_port,
                    "rate": args.outage_rate,
                    "pre": args.outage_pre,
                    "down": args.outage_seconds,
                    "post": args.outage_post,
                    "outage": o.outage,
                    "recover_timeout": recover,
                }
                if o.spill:
                    params["spill"] = os.path.join(tmp, f"spill-{len(running)}")
                if is_fastlog(o.case):
                    params["options"] = dict(args.outage_options)
                    params["sink"] = dict(args.outage_sink)
                if o.policy:
                    params["options"]["policy"] = o.policy
                proc = subprocess.Popen(
                    _command("outage", o.case, params),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                running.append((o, receiver, recording, proc))
            for o, receiver, recording, proc in running:
                result = _result(proc, args.timeout + schedule + recover)
                if isinstance(result, str):
                    results[o.label] = {"failure": result, "case": o.case}
                    continue
                counts = receiver.control.count()
                wire = WIRE[o.case]
                assert wire is not None
                decode = tcp_records if wire[0] == "tcp" else http_records
                results[o.label] = _judge_outage(
                    o, result, counts.records, decode(recording, wire[1])
                )
        finally:
            for _, receiver, recording, proc in running:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
                receiver.close()
                with contextlib.suppress(FileNotFoundError):
                    os.remove(recording)
    # Peak RSS against the same case without the outage.
    for o in [o for wave in OUTAGE_WAVES for o in wave if o.outage]:
        got, base = results.get(o.label), results.get(Outage(o.case, False).label)
        if got and base and "peak_rss" in got and "peak_rss" in base:
            got["rss_delta"] = got["peak_rss"] - base["peak_rss"]
    return results


def _judge_outage(
    o: Outage, result: dict[str, Any], counted: int, decoded: Arrived
) -> dict[str, Any]:
    """The figures of one outage case, and for fastlog whether its promises held: every record
    accounted for (logged = arrived + dropped + lost), with spill none dropped nor lost, and
    what arrived in order, without duplicates."""
    logged = result["logged"]
    out: dict[str, Any] = {
        "case": o.case,
        "logged": logged,
        "rate": result["rate"],
        "arrived": len(decoded.ids),
        "counted": counted,
        "notes": decoded.other,
        "cut": decoded.cut,
        "in_order": decoded.in_order(),
        "duplicates": len(decoded.ids) - len(set(decoded.ids)),
        "recovery_s": result["recovery_s"],
        "peak_rss": result["peak_rss"],
        "capacity": result["capacity"],
        "queue_bytes": result["queue_bytes"],
    }
    stats = result["stats"]
    problems = []
    if counted != len(decoded.ids):
        problems.append(f"the receiver counted {counted}, the recording holds {len(decoded.ids)}")
    if stats is None:
        out["lost"] = logged - len(decoded.ids)
    else:
        out["dropped"], out["lost"] = stats["dropped"], stats["lost"]
        out["spilled"] = stats["delivery"].get("spilled", 0)
        out["unaccounted"] = logged - len(decoded.ids) - stats["dropped"] - stats["lost"]
        if out["unaccounted"]:
            problems.append(
                f"{logged} logged != {len(decoded.ids)} arrived + {stats['dropped']} dropped "
                f"+ {stats['lost']} lost"
            )
        if o.spill:
            wrong = decoded.check(range(logged))
            if wrong:
                problems.append(wrong)
        elif not out["in_order"] or out["duplicates"]:
            problems.append("records out of order or duplicated")
    if problems:
        out["failure"] = "; ".join(problems)
    return out


def _selected(args: argparse.Namespace, case: str) -> bool:
    return not args.only or any(text in case for text in args.only)


# -- the report ----------------------------------------------------------------------------


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "n/a"


def report_cost(rows: dict[str, Row]) -> list[str]:
    base = rows[FILE].median() if FILE in rows else None
    lines = [
        "### Caller cost (ns per call until the last call returns; then every record delivered)",
        "",
        "| case | ns/call median (min–max) | vs FileSink | delivered / logged | lost |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for case, row in rows.items():
        logged = sum(row.extra.get("logged", []))
        arrived = sum(row.extra.get("arrived", []))
        lost = f"{logged - arrived:,} ({(logged - arrived) / logged:.0%})" if logged else "n/a"
        lines.append(
            f"| {case} | {row.spread()} | {_ratio(row.median(), base)} | "
            f"{arrived:,} / {logged:,} | {lost} |"
        )
    targets = [c for c in NETWORK if c in rows]
    if base and targets:
        lines += ["", "| target | ratio | met |", "| --- | ---: | --- |"]
        for case in targets:
            m = rows[case].median()
            met = "n/a" if m is None else ("met" if m / base <= COST_MAX else "NOT MET")
            lines.append(f"| {case} ≤ {COST_MAX}x FileSink | {_ratio(m, base)} | {met} |")
    return lines


def report_throughput(rows: dict[str, Row]) -> list[str]:
    lines = [
        "### Sustained delivery (first call until the destination has every record)",
        "",
        "| case → destination | records/s median (min–max) | MB/s (JSON) | calls/s | target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, row in rows.items():
        m = row.median()
        mbps = row.extra.get("mbps")
        calls = row.extra.get("calls")
        target = "—"
        if not name.startswith(FILE):
            target = "n/a" if m is None else ("met" if m >= THROUGHPUT_MIN else "NOT MET")
            target = f"≥ {THROUGHPUT_MIN:,}/s: {target}"
        lines.append(
            f"| {name} | {row.spread('{:,.0f}')} | "
            f"{f'{statistics.median(mbps):.1f}' if mbps else '—'} | "
            f"{f'{statistics.median(calls):,.0f}' if calls else '—'} | {target} |"
        )
    return lines


def report_stall(rows: dict[str, dict[str, Row]], args: argparse.Namespace) -> list[str]:
    rate = 1e9 / args.stall_interval_ns
    lines = [
        f"### Caller latency, {rate:,.0f} records/s for {args.stall_seconds:g} s, the collector "
        "stalled all along (accepts, never reads nor answers) vs healthy",
        "",
        "| case | p99 µs healthy | p99 µs stalled | stalled / healthy | p50 µs stalled | "
        "p99.9 µs stalled | max µs stalled | delivered / logged (stalled) | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for case, both in rows.items():
        healthy, stalled = both["healthy"], both["stalled"]
        h, s = healthy.median(), stalled.median()

        def med(key: str, stalled: Row = stalled) -> str:
            values = stalled.extra.get(key)
            return f"{statistics.median(values):,.1f}" if values else "—"

        logged = sum(stalled.extra.get("logged", []))
        arrived = sum(stalled.extra.get("arrived", []))
        target = "—"
        if is_fastlog(case):
            target = "n/a" if not (h and s) else ("met" if s / h <= STALL_MAX else "NOT MET")
            target = f"≤ {STALL_MAX}x: {target}"
        lines.append(
            f"| {case} | {healthy.spread('{:.1f}')} | {stalled.spread('{:.1f}')} | "
            f"{_ratio(s, h)} | {med('p50_us')} | {med('p999_us')} | {med('max_us')} | "
            f"{arrived:,} / {logged:,} | {target} |"
        )
    return lines


def report_outage(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> list[str]:
    lines = [
        f"### Outage: {args.outage_rate:,.0f} records/s, collector down {args.outage_seconds:g} s "
        f"(after {args.outage_pre:g} s, then {args.outage_post:g} s healthy)",
        "",
        "| case | logged | arrived | dropped | lost | in order | peak RSS MiB | Δ vs no outage "
        "MiB | bound MiB | delivered after up, s | target |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, r in results.items():
        if "logged" not in r:
            lines.append(f"| {label} | {r.get('failure')} |" + " |" * 10)
            continue
        delta = r.get("rss_delta")
        spill = "spill" in label and "no spill" not in label
        # The targets: with spill, nothing lost, in order, peak RSS within capacity +
        # 2 MiB; without, exact accounting (the pipeline's buffer then holds up to capacity
        # of records waiting, as for a stalled file: its RSS is shown, not bounded).
        bound = (r["capacity"] + RSS_SLACK) if is_fastlog(r["case"]) and spill else None
        target = "—"
        if is_fastlog(r["case"]) and "outage," in label:
            ok = not r.get("failure")
            if spill:
                ok = ok and r["lost"] == 0 and r["dropped"] == 0 and r["in_order"]
                if delta is not None and bound is not None:
                    ok = ok and delta <= bound
            else:
                ok = ok and r["logged"] == r["arrived"] + (r["dropped"] or 0) + r["lost"]
            target = "met" if ok else "NOT MET"
        dropped = r.get("dropped")
        # How long after the collector came back everything was in (fastlog's counters say
        # when; a peer's end is only seen as a silence).
        outage = is_fastlog(r["case"]) and "outage," in label
        recovery = f"{r['recovery_s']:.1f}" if outage else "—"
        lines.append(
            f"| {label} | {r['logged']:,} | {r['arrived']:,} | "
            f"{'—' if dropped is None else f'{dropped:,}'} | {r['lost']:,} | "
            f"{'yes' if r['in_order'] and not r['duplicates'] else 'NO'} | "
            f"{r['peak_rss'] / MIB:.1f} | {'—' if delta is None else f'{delta / MIB:+.1f}'} | "
            f"{'—' if bound is None else f'{bound / MIB:.0f}'} | {recovery} | {target} |"
        )
    notes = [f"- {label}: {r['failure']}" for label, r in results.items() if r.get("failure")]
    if notes:
        lines += ["", *notes]
    return lines


# -- main ----------------------------------------------------------------------------------

SECTIONS = ("cost", "throughput", "stall", "outage")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts, short outage")
    parser.add_argument("--count", type=int, default=None, help="caller cost: records per case")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="per case, seconds, on top of what it is scheduled to log",
    )
    parser.add_argument("--json", default=None, help="also write the raw figures to this file")
    parser.add_argument(
        "--only",
        action="append",
        default=None,
        metavar="TEXT",
        help="only the cases whose name contains TEXT (repeatable)",
    )
    parser.add_argument(
        "--schema", help="caller cost: the pipeline's schema in every case (default: fastlog's)"
    )
    parser.add_argument(
        "--section",
        action="append",
        choices=SECTIONS,
        default=None,
        help="only this section (repeatable)",
    )
    parser.add_argument("--outage-seconds", type=float, default=None)
    parser.add_argument("--outage-rate", type=float, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--params", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    args.count = args.count or (20_000 if quick else 200_000)
    args.rounds = args.rounds or (2 if quick else 5)
    args.throughput_count = 20_000 if quick else 500_000
    args.stall_rounds = 1 if quick else 3
    args.stall_seconds = 0.5 if quick else 2.0
    args.stall_warmup = 1000 if quick else 10_000
    args.stall_interval_ns = 20_000  # 50k records/s, as the suite's stall scenario
    args.outage_seconds = args.outage_seconds or (2.0 if quick else 60.0)
    args.outage_rate = args.outage_rate or (5000.0 if quick else 20_000.0)
    args.outage_pre = 0.5 if quick else 5.0
    args.outage_post = 0.5 if quick else 5.0
    # A short outage fits in the default memory (2 MiB queue, 32 MiB capacity): --quick
    # shrinks both so that its 2 s go through the spill and, without it, the drops.
    args.outage_options = {"capacity": "1 MiB"} if quick else {}
    args.outage_sink = {"queue_bytes": "256 KiB", "batch_bytes": "64 KiB"} if quick else {}
    # fastlog's retry backoff reaches retry_max_wait (30 s) in a long outage.
    args.outage_recover = 30.0 if quick else 60.0
    return args


def main() -> int:
    args = parse()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.case, json.loads(args.params))))
        return 0
    sections = args.section or list(SECTIONS)
    cases = [c for c in (FILE, *NETWORK, *PEERS) if _selected(args, c)]
    out: dict[str, Any] = {
        "python": sys.version,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "versions": versions(
            (
                "fastlog-py",
                "orjson",
                "opentelemetry-sdk",
                "opentelemetry-exporter-otlp-proto-http",
                "python-json-logger",
            )
        ),
        "args": {k: v for k, v in vars(args).items() if k not in ("child", "case", "params")},
    }
    report: list[str] = []
    failed: list[str] = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        receivers = Receivers() if set(sections) - {"outage"} else None
        rsyslog = None
        try:
            if receivers is not None and "cost" in sections:
                rows = section_cost(args, receivers, tmp, cases)
                report += [*report_cost(rows), ""]
                out["cost"] = {c: vars(r) for c, r in rows.items()}
                failed += [
                    f"{c}: {r.failure}" for c, r in rows.items() if r.failure and is_fastlog(c)
                ]
            if receivers is not None and "throughput" in sections:
                if _selected(args, SYSLOG):
                    rsyslog = Rsyslog(os.path.join(tmp, "rsyslog"))
                rows = section_throughput(args, receivers, tmp, rsyslog)
                report += [*report_throughput(rows), ""]
                out["throughput"] = {c: vars(r) for c, r in rows.items()}
                failed += [f"{c}: {r.failure}" for c, r in rows.items() if r.failure]
            if receivers is not None and "stall" in sections:
                stall = section_stall(args, receivers, [c for c in cases if c != FILE])
                report += [*report_stall(stall, args), ""]
                out["stall"] = {c: {k: vars(r) for k, r in v.items()} for c, v in stall.items()}
                failed += [
                    f"{c} ({k}): {r.failure}"
                    for c, v in stall.items()
                    for k, r in v.items()
                    if r.failure and is_fastlog(c)
                ]
        finally:
            if rsyslog is not None:
                rsyslog.close()
            if receivers is not None:
                receivers.close()
        if "outage" in sections:
            outage = section_outage(args, tmp)
            report += [*report_outage(outage, args), ""]
            out["outage"] = outage
            failed += [
                f"{label}: {r['failure']}"
                for label, r in outage.items()
                if r.get("failure") and is_fastlog(r["case"])
            ]
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}; "
        f"caller cost {args.count:,} records x {args.rounds} rounds; "
        f"{time.monotonic() - began:.0f} s in all"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in out["versions"].items()))
    if args.quick:
        print("--quick: figures for smoke testing only; the targets are judged on a full run")
    print()
    print("\n".join(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    for text in failed:
        print(f"FASTLOG CASE FAILED: {text}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
