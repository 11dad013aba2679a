"""The scenarios, as run inside one case's subprocess, and the stalling FIFO reader.

Each ``scenario_*`` function takes a configuration and the parameters the parent chose, and
returns ``{"metrics": {name: number}, "info": {...}, "check": None | "what is wrong"}``. A
``check`` that is not None makes the case count as failed ("wrong output"), as in _harness.

    python benchmarks/_suite_scenarios.py --reader FIFO PAUSE_S EVERY_S   # the stall reader
"""

from __future__ import annotations

import json
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from _harness import IP, MESSAGE, timed
from _suite_configs import Config, Target, make_exc, make_loop, make_one, paced

Result = dict[str, Any]
EXC_MARKER = b"ZeroDivisionError: division by zero"


def _result(metrics: dict[str, float], check: str | None = None, **info: Any) -> Result:
    return {"metrics": metrics, "info": info, "check": check}


def _read(path: str) -> bytes:
    if not os.path.exists(path):
        return b""
    with open(path, "rb") as f:
        return f.read()


def _has_fields(obj: Any, wanted: set[str]) -> set[str]:
    """The keys of *wanted* found anywhere in a parsed JSON value."""
    found: set[str] = set()
    if isinstance(obj, dict):
        found |= wanted & set(obj)
        for value in obj.values():
            found |= _has_fields(value, wanted)
    elif isinstance(obj, list):
        for value in obj:
            found |= _has_fields(value, wanted)
    return found


def check_lines(config: Config, data: bytes, expected: int) -> str | None:
    """None if *data* holds exactly *expected* records of the benchmark's shape."""
    lines = data.count(b"\n")
    if lines != expected:
        return f"wrong output: {lines} lines, expected {expected}"
    if expected == 0:
        return None
    first = data.split(b"\n", 1)[0]
    if config.json:
        try:
            record = json.loads(first)
        except ValueError:
            return f"wrong output: not JSON: {first[:60]!r}"
        missing = {"user_id", "ip", "ok"} - _has_fields(record, {"user_id", "ip", "ok"})
        if missing:
            return f"wrong output: fields {sorted(missing)} missing in {first[:80]!r}"
        if MESSAGE not in first.decode():
            return "wrong output: message missing"
    elif not (b"user_id" in first and IP.encode() in first and MESSAGE.encode() in first):
        return f"wrong output: fields missing in {first[:80]!r}"
    return None


def _warmup(count: int) -> int:
    return max(1, count // 10)


# -- 1. throughput -----------------------------------------------------------------------------


def scenario_throughput(config: Config, path: str, p: dict[str, Any]) -> Result:
    """Records per second with *threads* threads, the clock stopped when all are on disk."""
    count, threads = p["count"], p["threads"]
    target = config.setup(path, "info")
    elapsed = timed(threads, count, make_loop(target), target.done)
    target.close()
    per_thread, warm = count // threads, max(threads, count // 10) // threads
    expected = (per_thread + warm) * threads
    us = elapsed / (per_thread * threads) * 1e6
    return _result(
        {"us_per_record": us, "records_per_s": 1e6 / us},
        check_lines(config, _read(path), expected),
    )


# -- 2. and 3. latency per call ------------------------------------------------------------------


def _percentiles(lat_ns: list[int]) -> dict[str, float]:
    s = sorted(lat_ns)
    n = len(s)

    def at(q: float) -> float:
        return s[min(n - 1, int(q * n))] / 1000

    return {
        "p50_us": at(0.5),
        "p99_us": at(0.99),
        "p999_us": at(0.999),
        "max_us": s[-1] / 1000,
        "mean_us": sum(s) / n / 1000,
        "over_1ms": float(sum(1 for v in s if v > 1_000_000)),
    }


def _paced_run(target: Target, p: dict[str, Any]) -> tuple[list[int], float, int]:
    """Warm up, then log for ``duration_s`` paced at ``interval_ns``; returns the latencies,
    the achieved rate and the records logged in all."""
    warm = p["warmup"]
    make_loop(target)(warm)
    target.done()
    start = time.perf_counter()
    lat = paced(make_one(target), int(p["duration_s"] * 1e9), p["interval_ns"])
    rate = len(lat) / (time.perf_counter() - start)
    target.done()
    return lat, rate, warm + len(lat)


def scenario_latency(config: Config, path: str, p: dict[str, Any]) -> Result:
    """Per-call latency at a steady rate, to a healthy file."""
    target = config.setup(path, "info")
    lat, rate, total = _paced_run(target, p)
    stats = target.stats() if target.stats else None
    target.close()
    return _result(
        {**_percentiles(lat), "rate": rate},
        check_lines(config, _read(path), total),
        fastlog=stats,
    )


def scenario_stall(config: Config, path: str, p: dict[str, Any]) -> Result:
    """Per-call latency at a steady rate while the destination (a FIFO) stalls periodically.

    The reader process reads continuously but sleeps ``pause_s`` every ``every_s``. It is
    started first; this process then opens the FIFO once itself ("keeper", so the reader sees
    end of file only after every writer, including a library that reopens the file, is done),
    then configures the library on the FIFO's path.
    """
    fifo = path + ".fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(
        [sys.executable, __file__, "--reader", fifo, str(p["pause_s"]), str(p["every_s"])],
        stdout=subprocess.PIPE,
        text=True,
    )
    keeper = -1
    try:
        keeper = os.open(fifo, os.O_WRONLY)  # blocks until the reader has opened it
        target = config.setup(fifo, "info")
        lat, rate, total = _paced_run(target, p)
        stats = target.stats() if target.stats else None
        target.close()
    finally:
        if keeper >= 0:
            os.close(keeper)
        out, _ = reader.communicate(timeout=60)
    got = json.loads(out.strip().splitlines()[-1])
    dropped = stats["dropped"] if stats else 0
    check = None
    if dropped == 0 and got["lines"] != total:
        check = f"wrong output: reader got {got['lines']} lines, expected {total}"
    elif dropped and not 0 <= got["lines"] - (total - dropped) <= 10:  # + drop notices
        check = (
            f"wrong output: reader got {got['lines']} lines, expected {total} - {dropped} dropped"
        )
    return _result(
        {**_percentiles(lat), "rate": rate, "dropped": float(dropped)},
        check,
        fastlog=stats,
        reader=got,
        logged=total,
    )


def reader_main(fifo: str, pause: float, every: float) -> None:
    """Read *fifo* to its end, sleeping *pause* seconds every *every* seconds."""
    fd = os.open(fifo, os.O_RDONLY)
    lines = nbytes = pauses = 0
    next_pause = time.monotonic() + every
    while True:
        now = time.monotonic()
        if now >= next_pause:
            time.sleep(pause)
            pauses += 1
            next_pause += every
            continue
        ready, _, _ = select.select([fd], [], [], next_pause - now)
        if not ready:
            continue
        data = os.read(fd, 1 << 20)
        if not data:
            break
        lines += data.count(b"\n")
        nbytes += len(data)
    os.close(fd)
    print(json.dumps({"lines": lines, "bytes": nbytes, "pauses": pauses}))


# -- 4. filtered out -----------------------------------------------------------------------------


def scenario_filtered(config: Config, path: str, p: dict[str, Any]) -> Result:
    """Cost of an INFO call on a logger configured for WARNING."""
    count = p["count"]
    target = config.setup(path, "warning")
    body = make_loop(target)
    body(_warmup(count))
    start = time.perf_counter()
    body(count)
    elapsed = time.perf_counter() - start
    target.done()
    target.close()
    return _result({"ns_per_call": elapsed / count * 1e9}, check_lines(config, _read(path), 0))


# -- 5. memory -----------------------------------------------------------------------------------


def scenario_rss(config: Config, path: str, p: dict[str, Any]) -> Result:
    """Peak RSS growth over a burst of ``count`` records logged as fast as possible."""
    count = p["count"]
    target = config.setup(path, "info")
    body = make_loop(target)
    body(1000)
    target.done()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    body(count)
    target.done()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stats = target.stats() if target.stats else None
    target.close()
    return _result(
        {"rss_mb": (after - before) / 1024, "base_mb": before / 1024},
        check_lines(config, _read(path), 1000 + count),
        fastlog=stats,
    )


# -- 6. exceptions -------------------------------------------------------------------------------


def scenario_exception(config: Config, path: str, p: dict[str, Any]) -> Result:
    """``logger.exception()`` with a one-frame ZeroDivisionError, until on disk."""
    count = p["count"]
    target = config.setup(path, "info")
    log_exc = make_exc(target)

    def body(n: int) -> None:
        for i in range(n):
            log_exc(i)

    elapsed = timed(1, count, body, target.done)
    target.close()
    expected = count + _warmup(count)
    found = _read(path).count(EXC_MARKER)
    check = None
    if found != expected:
        check = f"wrong output: {found} tracebacks, expected {expected}"
    return _result({"us_per_call": elapsed / count * 1e6}, check)


# -- 7. import time ------------------------------------------------------------------------------


def scenario_import(config: Config, path: str, p: dict[str, Any]) -> Result:
    """Milliseconds to import what the configuration needs, in a fresh interpreter each."""
    code = (
        "import time; t = time.perf_counter(); "
        f"import {', '.join(config.imports)}; "
        "print((time.perf_counter() - t) * 1e3)"
    )
    samples = []
    for _ in range(p["samples"]):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=False,
            cwd=os.path.dirname(path),
        )
        if out.returncode:
            raise RuntimeError((out.stderr.strip().splitlines() or ["import failed"])[-1])
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    samples.sort()
    return _result({"ms": samples[len(samples) // 2]}, None, samples=samples)


SCENARIOS: dict[str, Callable[[Config, str, dict[str, Any]], Result]] = {
    "throughput": scenario_throughput,
    "latency": scenario_latency,
    "stall": scenario_stall,
    "filtered": scenario_filtered,
    "rss": scenario_rss,
    "exception": scenario_exception,
    "import": scenario_import,
}


def run_child(config: Config, kind: str, params: dict[str, Any]) -> Result:
    with tempfile.TemporaryDirectory(prefix="fastlog-suite-") as tmp:
        return SCENARIOS[kind](config, os.path.join(tmp, "bench.log"), params)


if __name__ == "__main__" and sys.argv[1:2] == ["--reader"]:
    reader_main(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
