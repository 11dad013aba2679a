"""Shared benchmark harness: subprocess per case, warm-up, interleaved rounds, medians, ratios.

A benchmark module defines ``CASES`` (name -> function(path, count, threads) -> seconds) and
calls ``main(__file__, CASES, configs, ratios, targets=...)``. Each case runs in a fresh
interpreter, warms up with a tenth of the records, then times ``count`` records until they are
all on disk; the child then checks the file holds exactly the records written (a case may declare
it writes no file, and may check its own first record, raising if it is wrong).

Every case calls its logger as application code does: the logging method is looked up on the
object the library's ``get_logger()`` (or ``logging.getLogger()``, loguru's ``logger``) returned,
on every call (``log.info(...)``), never fetched once before the loop. A case that hoists the
bound method says so in its name ("method hoisted") and is an extra row, not a target's side.

``targets`` are the issue's goals, each "fastlog case at least N times faster than peer case" in
the same run; they are printed as a table (median µs/record of both, ratio, target, met). The
exit status is 1 when a fastlog case (a name containing "fastlog", any case) fails, hangs or
writes the wrong records, so CI catches a broken case; a target not met, or a peer failing, is
reported and not fatal (speed is judged by people reading the table, on a quiet machine).
``--group NAME`` runs only the cases of the targets in that group (one command per group).
"""

from __future__ import annotations

import argparse
import dataclasses
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
from typing import Any

MESSAGE = "user logged in"
IP = "203.0.113.7"

Case = Callable[[str, int, int], float]
Config = tuple[str, int]  # case name, threads
#: (label, numerator config, denominator config): printed as numerator / denominator
Ratio = tuple[str, Config, Config]


@dataclasses.dataclass(frozen=True)
class Target:
    """A goal: *fast* is at least *minimum* times faster than *peer* (peer / fast >= minimum)."""

    group: str  # what --group selects
    label: str
    fast: Config
    peer: Config
    minimum: float


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


#: What a case found wrong with its output that does not stop it being timed (a field with the
#: wrong value, say): printed under the tables by the parent, next to the case.
NOTES: list[str] = []


def note(text: str) -> None:
    """Report something wrong in this case's output without failing it (see NOTES)."""
    NOTES.append(text)


def first_record(path: str) -> dict[str, Any]:
    """The first line of *path* as JSON; raises (the case then crashes) if it is not."""
    with open(path, "rb") as f:
        line = f.readline()
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError(f"not a JSON object: {line[:80]!r}")
    return record


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
    print(json.dumps({"elapsed": elapsed, "lines": lines, "expected": expected, "notes": NOTES}))


def run_case(
    script: str, case: str, count: int, threads: int, timeout: float
) -> tuple[float, list[str]] | str:
    """Microseconds per record and the case's notes, or a string saying why the case produced
    no figure."""
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
    return float(result["elapsed"]) / timed_records * 1e6, list(result.get("notes", []))


def versions(modules: Sequence[str]) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in modules:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def is_fastlog(case: str) -> bool:
    """A fastlog case: its failure makes the run fail (a peer's is only reported)."""
    return "fastlog" in case.lower()


def main(
    script: str,
    cases: dict[str, Case],
    configs: Sequence[Config],
    ratios: Sequence[Ratio],
    *,
    description: str,
    targets: Sequence[Target] = (),
    packages: Sequence[str] = (),
    no_file: Sequence[str] = (),
    default_count: int = 200_000,
) -> int:
    """Run the cases (or, with ``--child``, one case) and print the tables; returns the exit
    status: 1 if a fastlog case failed, else 0."""
    groups = sorted({t.group for t in targets})
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
    if groups:
        parser.add_argument(
            "--group",
            action="append",
            default=None,
            choices=groups,
            help="run only the cases of this group's targets (repeatable)",
        )
    args = parser.parse_args()
    count = args.count or (20_000 if args.quick else default_count)
    if args.child:
        _child(cases, args.child, count, args.threads, args.child in no_file)
        return 0
    rounds = args.rounds or (2 if args.quick else 5)
    if groups and args.group:
        targets = [t for t in targets if t.group in args.group]
        wanted = {c for t in targets for c in (t.fast, t.peer)}
        configs = [c for c in configs if c in wanted]
    if args.only:
        configs = [c for c in configs if any(text in c[0] for text in args.only)]
    samples: dict[Config, list[float]] = {c: [] for c in configs}
    failures: dict[Config, str] = {}
    notes: dict[Config, set[str]] = {}
    for _ in range(rounds):
        for config in configs:  # interleaved, so drift on a noisy machine hits every case
            if config in failures:
                continue
            result = run_case(script, config[0], count, config[1], args.timeout)
            if isinstance(result, str):
                failures[config] = result
            else:
                samples[config].append(result[0])
                if result[1]:
                    notes.setdefault(config, set()).update(result[1])
    print(
        f"{count} records x {rounds} rounds, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    if packages:
        print("versions: " + ", ".join(f"{k} {v}" for k, v in versions(packages).items()))
    print(f"{'case':<52} {'threads':>7} {'us/record median (min-max)':>28} {'records/s':>11}")
    med: dict[Config, float] = {}
    for config in configs:
        case, threads = config
        values = samples[config]
        if config in failures:
            print(f"{case:<52} {threads:>7} {failures[config]:>28}")
            continue
        m = med[config] = statistics.median(values)
        spread = f"{m:.3f} ({min(values):.3f}-{max(values):.3f})"
        print(f"{case:<52} {threads:>7} {spread:>28} {1e6 / m:>11,.0f}")
    shown = [
        (label, top, bottom)
        for label, top, bottom in ratios
        if top in samples and bottom in samples
    ]
    if shown:  # the ratios whose both cases were selected in this run
        print()
    for label, top, bottom in shown:
        if top in med and bottom in med:
            print(f"{label:<60} {med[top] / med[bottom]:.2f}")
        else:
            print(f"{label:<60} n/a (a case failed)")
    selected = [t for t in targets if t.fast in samples and t.peer in samples]
    if selected:
        print()
        print(target_table(selected, med, notes))
    if notes:
        print()
        for (case, threads), texts in notes.items():
            for text in sorted(texts):
                print(f"NOTE {case} x{threads}: {text}")
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
                    "notes": {f"{c} x{t}": sorted(v) for (c, t), v in notes.items()},
                    "targets": [
                        {
                            "group": t.group,
                            "label": t.label,
                            "fast": f"{t.fast[0]} x{t.fast[1]}",
                            "peer": f"{t.peer[0]} x{t.peer[1]}",
                            "minimum": t.minimum,
                            "ratio": med[t.peer] / med[t.fast]
                            if t.fast in med and t.peer in med
                            else None,
                        }
                        for t in selected
                    ],
                },
                f,
                indent=2,
            )
    broken = [(c, why) for c, why in failures.items() if is_fastlog(c[0])]
    for (case, threads), why in broken:
        print(f"FASTLOG CASE FAILED: {case} x{threads}: {why}", file=sys.stderr)
    return 1 if broken else 0


def target_table(
    targets: Sequence[Target], med: dict[Config, float], notes: dict[Config, set[str]]
) -> str:
    """The targets as a Markdown table: both medians, the ratio, the target, met or not (and a
    pointer to the notes when either side's output was not entirely right)."""
    rows = [
        "| target | threads | fastlog case | µs/record | peer case | µs/record | ratio | "
        "target | met |",
        "| --- | ---: | --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for t in targets:
        fast, peer = med.get(t.fast), med.get(t.peer)
        ratio = f"{peer / fast:.2f}x" if fast and peer else "n/a"
        if fast and peer:
            met = "met" if peer / fast >= t.minimum else "NOT MET"
        else:
            met = "n/a (a case failed)"
        if t.fast in notes or t.peer in notes:
            met += " (output wrong: see NOTE)"
        rows.append(
            f"| {t.label} | {t.fast[1]} | {t.fast[0]} | "
            f"{f'{fast:.3f}' if fast else 'failed'} | {t.peer[0]} | "
            f"{f'{peer:.3f}' if peer else 'failed'} | {ratio} | >= {t.minimum:g}x | {met} |"
        )
    return "\n".join(rows)
