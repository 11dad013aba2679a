"""The benchmark suite: fastlog's four entry points against the field, every scenario, one command.

    python benchmarks/suite.py                  # full run (~22 min): docs/benchmarks/, README table
    python benchmarks/suite.py --quick          # smoke run (< 1 min), printed; nothing written
    python benchmarks/suite.py --only loguru --scenario stall --rounds 5
    python benchmarks/render.py                 # tables, charts and README from results.json

Every case (configuration x scenario) runs in its own subprocess, in interleaved rounds; a case
that hangs is killed after ``--timeout`` seconds and reported as such. The exit status is 1 if a
fastlog case failed or wrote the wrong records (a peer failing is reported, not fatal).
See docs/performance.md for what each scenario measures and how to read the tables.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _suite_configs import BY_NAME, CONFIGS, DISTRIBUTIONS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

DEFAULT_OUT = os.path.join(ROOT, "docs", "benchmarks")
RESULT_TAG = "SUITE-RESULT "

#: name -> (child scenario, parameters for a full run, for --quick). Records are paced at one
#: per 20 µs in the latency scenarios (50k records/s, ~7 MB/s of JSON).
INTERVAL_NS = 20_000
STALL = {"pause_s": 0.1, "every_s": 0.5}
SCENARIOS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "throughput-1": ("throughput", {"count": 200_000, "threads": 1}, {"count": 5000, "threads": 1}),
    "throughput-4": ("throughput", {"count": 200_000, "threads": 4}, {"count": 5000, "threads": 4}),
    "latency": (
        "latency",
        {"duration_s": 2.0, "interval_ns": INTERVAL_NS, "warmup": 10_000},
        {"duration_s": 0.2, "interval_ns": INTERVAL_NS, "warmup": 1000},
    ),
    "stall": (
        "stall",
        {"duration_s": 2.0, "interval_ns": INTERVAL_NS, "warmup": 10_000, **STALL},
        {"duration_s": 1.2, "interval_ns": INTERVAL_NS, "warmup": 1000, **STALL},
    ),
    "filtered": ("filtered", {"count": 1_000_000}, {"count": 20_000}),
    "rss": ("rss", {"count": 1_000_000}, {"count": 5000}),
    "exception": ("exception", {"count": 5000}, {"count": 500}),
    "import": ("import", {"samples": 3}, {"samples": 1}),
}


#: A full run's default rounds are 3, except: the 1M-record burst costs ~5 min per round over
#: all configurations, and peak RSS hardly moves between rounds, so it runs once unless
#: --rounds is given.
DEFAULT_ROUNDS = 3
SCENARIO_ROUNDS = {"rss": 1}
#: Default timeout per case in a full run, seconds: the longest legitimate cases take ~45 s
#: (loguru enqueue=True, 4 threads) and ~130 s (the same over the 1M-record burst); --timeout
#: sets one value for all.
TIMEOUTS = {"rss": 300.0}
DEFAULT_TIMEOUT = 90.0
QUICK_TIMEOUT = 10.0


def runs_in(config_name: str, scenario: str) -> bool:
    only = BY_NAME[config_name].scenarios
    return only is None or SCENARIOS[scenario][0] in only


# -- child ---------------------------------------------------------------------------------------


def child(spec: str) -> None:
    from _suite_scenarios import run_child

    s = json.loads(spec)
    result = run_child(BY_NAME[s["config"]], s["kind"], s["params"])
    sys.stdout.flush()
    print(RESULT_TAG + json.dumps(result), flush=True)


def run_case(config: str, scenario: str, params: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The child's result, or ``{"failure": "why"}``: a timeout, a crash or wrong output."""
    spec = json.dumps({"config": config, "kind": SCENARIOS[scenario][0], "params": params})
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", spec],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so a timeout kills the stall reader too
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"failure": f"timeout after {timeout:.0f}s"}
    if proc.returncode != 0:
        last = (err.strip().splitlines() or ["?"])[-1]
        return {"failure": f"crashed (exit {proc.returncode}): {last[:100]}"}
    lines = [line for line in out.splitlines() if line.startswith(RESULT_TAG)]
    if not lines:
        return {"failure": "crashed: no result printed"}
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_TAG) :])
    if result["check"]:
        return {"failure": result["check"], **result}
    return result


# -- machine and versions ------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    cpu = "?"
    mem = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?"
            )
        with open("/proc/meminfo") as f:
            mem = f.readline().split(":", 1)[1].strip()
    except OSError:
        pass
    versions = {}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cpu_model": cpu,
        "cpus": os.cpu_count(),
        "memory": mem,
        "platform": platform.platform(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "python_full": sys.version,
        "implementation": platform.python_implementation(),
        "versions": versions,
    }


# -- the run -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts, 1 round (< 1 min)")
    parser.add_argument(
        "--rounds", type=int, default=None, help="interleaved rounds (full: 3, rss 1; quick: 1)"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="only configurations whose name contains TEXT (repeatable)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help=f"only scenarios whose name starts with NAME (repeatable): {', '.join(SCENARIOS)}",
    )
    parser.add_argument("--out", default=None, help="results directory (default docs/benchmarks)")
    parser.add_argument(
        "--timeout", type=float, default=None, help="per case, s (full: 90, rss 300; quick: 10)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="cases run at once (quick: 2, full: 1); above 1 the figures are not comparable",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0

    rounds = args.rounds or (1 if args.quick else DEFAULT_ROUNDS)
    scenario_rounds = {
        s: rounds if args.rounds or args.quick else SCENARIO_ROUNDS.get(s, rounds)
        for s in SCENARIOS
    }

    def timeout_for(scenario: str) -> float:
        if args.timeout:
            return float(args.timeout)
        return QUICK_TIMEOUT if args.quick else TIMEOUTS.get(scenario, DEFAULT_TIMEOUT)

    jobs = args.jobs or (2 if args.quick else 1)
    configs = [c.name for c in CONFIGS if not args.only or any(t in c.name for t in args.only)]
    scenarios = [
        s for s in SCENARIOS if not args.scenario or any(s.startswith(n) for n in args.scenario)
    ]
    if not configs or not scenarios:
        parser.error("--only/--scenario selected nothing")
    out = args.out or (tempfile.mkdtemp(prefix="fastlog-suite-") if args.quick else DEFAULT_OUT)

    started = time.time()
    load_before = os.getloadavg()
    results: dict[str, Any] = {
        "meta": {
            "command": " ".join(["python", "benchmarks/suite.py", *sys.argv[1:]]),
            "quick": args.quick,
            "rounds": rounds,
            "scenario_rounds": {s: scenario_rounds[s] for s in scenarios},
            "timeouts_s": {s: timeout_for(s) for s in scenarios},
            "jobs": jobs,
            "started": datetime.datetime.fromtimestamp(started, datetime.UTC).isoformat(
                timespec="seconds"
            ),
            "params": {s: SCENARIOS[s][2 if args.quick else 1] for s in scenarios},
            "machine": machine(),
        },
        "configs": [
            {
                "name": c.name,
                "library": c.library,
                "family": c.family,
                "fastlog": c.fastlog,
                "json": c.json,
                "imports": list(c.imports),
                "note": c.note,
            }
            for c in CONFIGS
            if c.name in configs
        ],
        "scenarios": {
            s: {
                name: {"samples": [], "info": [], "failure": None}
                for name in configs
                if runs_in(name, s)
            }
            for s in scenarios
        },
    }
    total = sum(len(v) * scenario_rounds[s] for s, v in results["scenarios"].items())
    progress = [0]

    def one(r: int, scenario: str, name: str) -> None:
        case = results["scenarios"][scenario][name]
        t = time.perf_counter()
        params = SCENARIOS[scenario][2 if args.quick else 1]
        res = run_case(name, scenario, params, timeout_for(scenario))
        took = time.perf_counter() - t
        if "failure" in res:
            case["failure"] = f"{res['failure']} (round {r + 1})"
            shown = case["failure"]
        else:
            case["samples"].append(res["metrics"])
            case["info"].append(res["info"])
            shown = ", ".join(f"{k}={v:.4g}" for k, v in res["metrics"].items())
        progress[0] += 1
        print(
            f"[{progress[0]}/{total}] r{r + 1} {scenario:<12} {name:<50} {took:5.1f}s  {shown}",
            file=sys.stderr,
            flush=True,
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for r in range(rounds):
            # Interleaved: every case once per round, so drift on a noisy machine hits all.
            tasks = [
                (r, scenario, name)
                for scenario in scenarios
                if r < scenario_rounds[scenario]
                for name, case in results["scenarios"][scenario].items()
                if not case["failure"]  # a case that hung once is not given the next rounds
            ]
            list(pool.map(lambda task: one(*task), tasks))
    results["meta"]["duration_s"] = round(time.time() - started, 1)
    results["meta"]["loadavg_before"] = load_before
    results["meta"]["loadavg_after"] = os.getloadavg()

    from _suite_report import summarize, write_outputs

    summarize(results)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    update_readme = not args.quick and args.out is None and not args.only and not args.scenario
    markdown = write_outputs(results, out, readme=update_readme)
    print(markdown)
    print(f"results: {path} ({results['meta']['duration_s']:.0f} s)", file=sys.stderr)

    fastlog_failures = [
        f"{scenario}: {name}: {case['failure']}"
        for scenario, cases in results["scenarios"].items()
        for name, case in cases.items()
        if case["failure"] and BY_NAME[name].fastlog
    ]
    for line in fastlog_failures:
        print(f"FASTLOG CASE FAILED: {line}", file=sys.stderr)
    return 1 if fastlog_failures else 0


if __name__ == "__main__":
    sys.exit(main())
