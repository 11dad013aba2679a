"""fastlog's native API against stdlib + python-json-logger and a plain orjson floor.

Every case logs the same record (message + 3 fields, INFO) to a file in its own subprocess;
the clock stops only when all records are on disk (flushed to the kernel), and each case checks
the file has exactly the expected number of lines. Cases are interleaved over several rounds and
reported as median (min-max) per-record cost, with ratios computed within this run.

    python benchmarks/bench_core.py            # full: 200k records x 5 rounds
    python benchmarks/bench_core.py --quick    # smoke: 20k records x 2 rounds
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable

MESSAGE = "user logged in"
IP = "203.0.113.7"


def _timed(
    threads: int, count: int, body: Callable[[int], None], done: Callable[[], None]
) -> float:
    """Warm up with a tenth of the records, then time *count* records until *done* returns."""
    _run_threads(threads, max(threads, count // 10), body)
    done()
    start = time.perf_counter()
    _run_threads(threads, count, body)
    done()
    return time.perf_counter() - start


def _run_threads(threads: int, count: int, body: Callable[[int], None]) -> None:
    if threads == 1:
        body(count)
        return
    workers = [threading.Thread(target=body, args=(count // threads,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def case_fastlog(path: str, count: int, threads: int) -> float:
    import fastlog_core

    fastlog_core.configure(sink=path, level="info")
    log = fastlog_core.get_logger("bench")

    def body(n: int) -> None:
        info = log.info
        for i in range(n):
            info(MESSAGE, user_id=i, ip=IP, ok=True)

    return _timed(threads, count, body, fastlog_core.flush)


def case_stdlib_pjl(path: str, count: int, threads: int) -> float:
    import logging

    try:
        from pythonjsonlogger.json import JsonFormatter
    except ImportError:  # python-json-logger < 3.1
        from pythonjsonlogger.jsonlogger import JsonFormatter  # type: ignore[no-redef]

    handler = logging.FileHandler(path)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("bench")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def body(n: int) -> None:
        info = logger.info
        for i in range(n):
            info(MESSAGE, extra={"user_id": i, "ip": IP, "ok": True})

    return _timed(threads, count, body, handler.flush)


def case_orjson_floor(path: str, count: int, threads: int) -> float:
    import datetime

    import orjson

    utc = datetime.UTC
    now = datetime.datetime.now
    dumps = orjson.dumps
    opts = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE
    out = open(path, "ab")  # noqa: SIM115 - flushed by the timer, closed at exit
    lock = threading.Lock()

    def body(n: int) -> None:
        write = out.write
        for i in range(n):
            line = dumps(
                {
                    "timestamp": now(utc),
                    "level": "info",
                    "logger": "bench",
                    "message": MESSAGE,
                    "user_id": i,
                    "ip": IP,
                    "ok": True,
                },
                option=opts,
            )
            if threads == 1:
                write(line)
            else:
                with lock:
                    write(line)

    return _timed(threads, count, body, out.flush)


CASES: dict[str, Callable[[str, int, int], float]] = {
    "fastlog native": case_fastlog,
    "stdlib + python-json-logger": case_stdlib_pjl,
    "orjson floor": case_orjson_floor,
}


def _child(case: str, count: int, threads: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.log")
        elapsed = CASES[case](path, count, threads)
        with open(path, "rb") as f:
            lines = f.read().count(b"\n")
    warmup = max(threads, count // 10)
    expected = (count // threads) * threads + (warmup // threads) * threads
    print(json.dumps({"elapsed": elapsed, "lines": lines, "expected": expected}))


def run_case(case: str, count: int, threads: int) -> float:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            case,
            "--count",
            str(count),
            "--threads",
            str(threads),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["lines"] != result["expected"]:
        raise RuntimeError(
            f"{case}: {result['lines']} lines on disk, expected {result['expected']}"
        )
    timed = (count // threads) * threads
    return float(result["elapsed"]) / timed * 1e6  # microseconds per record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts, 2 rounds")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()
    count = args.count or (20_000 if args.quick else 200_000)
    if args.child:
        _child(args.child, count, args.threads)
        return
    rounds = args.rounds or (2 if args.quick else 5)
    configs = [(case, 1) for case in CASES] + [("fastlog native", 4)]
    samples: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
    for _ in range(rounds):
        for config in configs:  # interleaved, so drift on a noisy machine hits every case
            samples[config].append(run_case(config[0], count, config[1]))
    med = {c: statistics.median(v) for c, v in samples.items()}
    print(
        f"{count} records x {rounds} rounds, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    print(f"{'case':<34} {'threads':>7} {'us/record median (min-max)':>30} {'records/s':>12}")
    for (case, threads), values in samples.items():
        m = statistics.median(values)
        spread = f"{m:.3f} ({min(values):.3f}-{max(values):.3f})"
        print(f"{case:<34} {threads:>7} {spread:>30} {1e6 / m:>12,.0f}")
    native = med[("fastlog native", 1)]
    print()
    stdlib = med[("stdlib + python-json-logger", 1)]
    print(f"stdlib + python-json-logger / fastlog native: {stdlib / native:.2f}x")
    print(
        f"fastlog native / orjson floor:                 {native / med[('orjson floor', 1)]:.2f}x"
    )
    four = med[("fastlog native", 4)]
    print(f"fastlog 4-thread throughput / 1-thread:        {native / four:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "count": count,
                    "rounds": rounds,
                    "python": sys.version,
                    "samples_us": {f"{c} x{t}": v for (c, t), v in samples.items()},
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
