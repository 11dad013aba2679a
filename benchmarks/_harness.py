"""Shared benchmark harness: subprocess per case, warm-up, interleaved rounds, medians, ratios.

A benchmark module defines ``CASES`` (name -> function(path, count, threads) -> seconds) and
calls ``main(__file__, CASES, configs, ratios)``. Each case runs in a fresh interpreter, warms up
with a tenth of the records, then times ``count`` records until they are all on disk; the child
then checks the file holds exactly the records written (a case may declare it writes no file).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence

MESSAGE = "user logged in"
IP = "203.0.113.7"

Case = Callable[[str, int, int], float]
Config = tuple[str, int]  # case name, threads
#: (label, numerator config, denominator config): printed as numerator / denominator
Ratio = tuple[str, Config, Config]


def timed(
    threads: int, count: int, body: Callable[[int], None], done: Callable[[], object]
) -> float:
    """Warm up with a tenth of the records, then time *count* records until *done* returns."""
    run_threads(threads, max(threads, count // 10), body)
    done()
    start = time.perf_counter()
    run_threads(threads, count, body)
    done()
    return time.perf_counter() - start


def timed_callers(
    threads: int, count: int, body: Callable[[int], None], done: Callable[[], object]
) -> float:
    """As ``timed``, but the clock stops when the last call returns (what the logging threads
    pay); *done* then drains untimed, so the line count check still sees every record."""
    run_threads(threads, max(threads, count // 10), body)
    done()
    start = time.perf_counter()
    run_threads(threads, count, body)
    elapsed = time.perf_counter() - start
    done()
    return elapsed


def run_threads(threads: int, count: int, body: Callable[[int], None]) -> None:
    if threads == 1:
        body(count)
        return
    workers = [threading.Thread(target=body, args=(count // threads,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def _child(cases: dict[str, Case], case: str, count: int, threads: int, no_file: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.log")
        elapsed = cases[case](path, count, threads)
        lines = -1
        if os.path.exists(path):
            with open(path, "rb") as f:
                lines = f.read().count(b"\n")
    warmup = max(threads, count // 10)
    expected = (count // threads) * threads + (warmup // threads) * threads
    if no_file:
        expected = -1
    print(json.dumps({"elapsed": elapsed, "lines": lines, "expected": expected}))


def run_case(script: str, case: str, count: int, threads: int, timeout: float) -> float | str:
    """Microseconds per record, or a string saying why the case produced no figure."""
    try:
        proc = subprocess.run(
            [
                sys.executable,
                script,
                "--child",
                case,
                "--count",
                str(count),
                "--threads",
                str(threads),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"timeout after {timeout:.0f}s"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return f"crashed (exit {proc.returncode}): {last[:80]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["lines"] != result["expected"]:
        return f"wrong output: {result['lines']} lines, expected {result['expected']}"
    timed_records = (count // threads) * threads
    return float(result["elapsed"]) / timed_records * 1e6


def versions(modules: Sequence[str]) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in modules:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def main(
    script: str,
    cases: dict[str, Case],
    configs: Sequence[Config],
    ratios: Sequence[Ratio],
    *,
    description: str,
    packages: Sequence[str] = (),
    no_file: Sequence[str] = (),
    default_count: int = 200_000,
) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small counts, 2 rounds")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0, help="per case, seconds")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", default=None, help="also write the raw samples to this file")
    parser.add_argument(
        "--only",
        action="append",
        default=None,
        metavar="TEXT",
        help="run only the cases whose name contains TEXT (repeatable)",
    )
    args = parser.parse_args()
    count = args.count or (20_000 if args.quick else default_count)
    if args.child:
        _child(cases, args.child, count, args.threads, args.child in no_file)
        return
    rounds = args.rounds or (2 if args.quick else 5)
    if args.only:
        configs = [c for c in configs if any(text in c[0] for text in args.only)]
    samples: dict[Config, list[float]] = {c: [] for c in configs}
    failures: dict[Config, str] = {}
    for _ in range(rounds):
        for config in configs:  # interleaved, so drift on a noisy machine hits every case
            if config in failures:
                continue
            result = run_case(script, config[0], count, config[1], args.timeout)
            if isinstance(result, str):
                failures[config] = result
            else:
                samples[config].append(result)
    print(
        f"{count} records x {rounds} rounds, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    if packages:
        print("versions: " + ", ".join(f"{k} {v}" for k, v in versions(packages).items()))
    print(f"{'case':<44} {'threads':>7} {'us/record median (min-max)':>28} {'records/s':>11}")
    med: dict[Config, float] = {}
    for config in configs:
        case, threads = config
        values = samples[config]
        if config in failures:
            print(f"{case:<44} {threads:>7} {failures[config]:>28}")
            continue
        m = med[config] = statistics.median(values)
        spread = f"{m:.3f} ({min(values):.3f}-{max(values):.3f})"
        print(f"{case:<44} {threads:>7} {spread:>28} {1e6 / m:>11,.0f}")
    print()
    for label, top, bottom in ratios:
        if top in med and bottom in med:
            print(f"{label:<60} {med[top] / med[bottom]:.2f}")
        else:
            print(f"{label:<60} n/a (a case failed)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "count": count,
                    "rounds": rounds,
                    "python": sys.version,
                    "machine": platform.machine(),
                    "cpus": os.cpu_count(),
                    "versions": versions(packages),
                    "samples_us": {f"{c} x{t}": v for (c, t), v in samples.items()},
                    "failures": {f"{c} x{t}": v for (c, t), v in failures.items()},
                },
                f,
                indent=2,
            )
