"""From the suite's raw samples to medians, ratios, Markdown tables, PNG charts and the README.

Everything here is recomputed from ``results.json`` alone (``benchmarks/render.py``), so the
tables, the charts and the README's table can never disagree with the samples.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

from _suite_configs import BASELINE, BY_NAME

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"

#: scenario -> (metric the ratio and charts use, its label)
PRIMARY = {
    "throughput-1": ("us_per_record", "µs/record"),
    "throughput-4": ("us_per_record", "µs/record"),
    "latency": ("p99_us", "p99 µs"),
    "stall": ("p99_us", "p99 µs"),
    "filtered": ("ns_per_call", "ns/call"),
    "rss": ("rss_mb", "MB"),
    "exception": ("us_per_call", "µs/call"),
    "import": ("ms", "ms"),
}

RATIO_NOTE = (
    "*x vs fastlog*: this row's median divided by the median of the fastlog entry point for the "
    "same API, measured in the same run (stdlib-API peers and picologging vs `FastlogHandler`, "
    "structlog vs `fastlog_structlog.configure()`, loguru vs `FastlogSink`, logbook vs the native "
    "API); above 1 means fastlog costs less."
)


# -- numbers -------------------------------------------------------------------------------------


def summarize(results: dict[str, Any]) -> None:
    """Add ``stats`` (median, min, max per metric) and ``ratio`` to every case, in place."""
    for scenario, cases in results["scenarios"].items():
        for case in cases.values():
            stats = {}
            for key in case["samples"][0] if case["samples"] else ():
                values = [s[key] for s in case["samples"]]
                stats[key] = {
                    "median": statistics.median(values),
                    "min": min(values),
                    "max": max(values),
                }
            case["stats"] = stats
        metric = PRIMARY[scenario][0]
        for name, case in cases.items():
            case["ratio"] = None
            config = BY_NAME.get(name)
            if config is None or config.fastlog:
                continue
            base_name = BASELINE[config.family]
            base = cases.get(base_name)
            case["baseline"] = base_name
            if base and base["stats"] and case["stats"] and base["stats"][metric]["median"] > 0:
                case["ratio"] = case["stats"][metric]["median"] / base["stats"][metric]["median"]


def fmt(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def cell(case: dict[str, Any] | None, metric: str, spread: bool = True) -> str:
    """``median (min-max)``, the failure, or a dash when the case did not run."""
    if case is None:
        return "—"
    stats = case.get("stats", {}).get(metric)
    if not stats:
        return f"**{case['failure']}**" if case.get("failure") else "—"
    text = fmt(stats["median"])
    if spread and stats["min"] != stats["max"]:
        text += f" ({fmt(stats['min'])}–{fmt(stats['max'])})"
    if case.get("failure"):
        text += f" **{case['failure']}**"
    return text


def ratio(case: dict[str, Any] | None) -> str:
    if case is None or BY_NAME.get(case.get("baseline", "")) is None:
        return ""
    return f"{case['ratio']:.2f}x" if case.get("ratio") is not None else "n/a"


def _names(results: dict[str, Any]) -> list[str]:
    return [c["name"] for c in results["configs"]]


def _label(results: dict[str, Any], name: str) -> str:
    config = next(c for c in results["configs"] if c["name"] == name)
    return f"**{name}**" if config["fastlog"] else name


# -- Markdown ------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> str:
    align = ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


HIGH = "fastlog buffer high water MiB"


def _high_water(case: dict[str, Any]) -> str:
    highs = [i["fastlog"]["high_water_bytes"] for i in case["info"] if i.get("fastlog")]
    return f"{max(highs) / 2**20:.1f}" if highs else ""


def _simple(results: dict[str, Any], scenario: str, columns: list[tuple[str, str]]) -> str:
    cases = results["scenarios"][scenario]
    header = ["configuration", *[label for _, label in columns], "x vs fastlog"]
    rows = [
        [
            _label(results, n),
            *[
                _high_water(cases[n]) if m == "high_water_mb" else cell(cases[n], m)
                for m, _ in columns
            ],
            ratio(cases[n]),
        ]
        for n in _names(results)
        if n in cases
    ]
    return _table(header, rows)


def _throughput(results: dict[str, Any]) -> str:
    one = results["scenarios"].get("throughput-1", {})
    four = results["scenarios"].get("throughput-4", {})
    header = ["configuration", "1 thread µs/record", "x vs fastlog", "4 threads µs/record"]
    header += ["x vs fastlog", "records/s (1 thread)"]
    rows = []
    for n in _names(results):
        if n not in one and n not in four:
            continue
        rps = one.get(n, {}).get("stats", {}).get("records_per_s")
        rows.append(
            [
                _label(results, n),
                cell(one.get(n), "us_per_record"),
                ratio(one.get(n)),
                cell(four.get(n), "us_per_record"),
                ratio(four.get(n)),
                f"{rps['median']:,.0f}" if rps else "—",
            ]
        )
    return _table(header, rows)


def _latency(results: dict[str, Any], scenario: str) -> str:
    cases = results["scenarios"][scenario]
    header = ["configuration", "p50 µs", "p99 µs", "p99.9 µs", "max µs", "calls > 1 ms"]
    header += ["p99 x vs fastlog"]
    if scenario == "stall":
        header.append("fastlog buffer (high water, dropped)")
    rows = []
    for n in _names(results):
        case = cases.get(n)
        if case is None:
            continue
        row = [_label(results, n)]
        row += [cell(case, m) for m in ("p50_us", "p99_us", "p999_us", "max_us")]
        over = case.get("stats", {}).get("over_1ms")
        row += [f"{over['median']:g}" if over else "—", ratio(case)]
        if scenario == "stall":
            row.append(_buffer_note(case))
        rows.append(row)
    return _table(header, rows)


def _buffer_note(case: dict[str, Any]) -> str:
    highs = [i["fastlog"]["high_water_bytes"] for i in case["info"] if i.get("fastlog")]
    dropped = [i["fastlog"]["dropped"] for i in case["info"] if i.get("fastlog")]
    if not highs:
        return ""
    return f"{max(highs) / 2**20:.1f} MiB, {max(dropped)} dropped"


def _params(results: dict[str, Any], scenario: str) -> dict[str, Any]:
    params: dict[str, Any] = results["meta"]["params"].get(scenario, {})
    return params


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    m = meta["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    parts = [
        "# Benchmark results",
        "",
        f"Generated from `results.json` by `benchmarks/render.py`; produced by `{meta['command']}` "
        f"on {meta['started']} in {meta['duration_s']:.0f} s, {meta['rounds']} interleaved "
        f"round(s), every case in its own subprocess. Method and how to read these tables: "
        f"[docs/performance.md](../performance.md).",
        "",
        f"- Machine: {m['cpu_model']}, {m['cpus']} CPUs, {m['memory']} RAM, {m['platform']}; "
        f"load average {meta['loadavg_before'][0]:.2f} before, {meta['loadavg_after'][0]:.2f} "
        "after (the machine is shared: other work ran at the same time).",
        f"- Python {m['python']} ({m['implementation']}); {versions}.",
        "- Values: median over rounds (min–max across rounds). **Bold** rows are fastlog.",
        f"- {RATIO_NOTE}",
        "",
    ]
    sc = results["scenarios"]
    if "throughput-1" in sc or "throughput-4" in sc:
        n = (
            _params(results, "throughput-1").get("count")
            or _params(results, "throughput-4")["count"]
        )
        parts += [
            "## 1. Throughput",
            "",
            f"{n:,} records (plus a tenth as warm-up) as fast as the caller can, split over the "
            "threads; the clock stops when every record is on disk and the file then holds "
            "exactly the records written (checked). Lower is better.",
            "",
            _throughput(results),
            "",
        ]
    if "latency" in sc:
        p = _params(results, "latency")
        parts += [
            "## 2. Caller latency, healthy file",
            "",
            f"After {p['warmup']:,} warm-up records, one record every "
            f"{p['interval_ns'] / 1000:.0f} µs for {p['duration_s']:g} s (a logger slower than "
            "that logs back to back and fewer records), each call timed with `perf_counter_ns` "
            "(includes ~60 ns of the benchmark's own call and clock reads).",
            "",
            _latency(results, "latency"),
            "",
        ]
    if "stall" in sc:
        p = _params(results, "stall")
        parts += [
            "## 3. Caller latency while the destination stalls",
            "",
            f"The destination is a FIFO whose reader process sleeps {p['pause_s'] * 1000:.0f} ms "
            f"every {p['every_s'] * 1000:.0f} ms; one record every {p['interval_ns'] / 1000:.0f} µs "
            f"for {p['duration_s']:g} s, as in scenario 2. A "
            "synchronous logger blocks once the pipe (64 KiB) is full, for the rest of the "
            "pause. Target: fastlog p99 under 50 µs. The last column is the most the fastlog "
            "buffer held (capacity: 32 MiB `balanced`, 64 MiB `fastest`).",
            "",
            _latency(results, "stall"),
            "",
        ]
    for scenario, title, text, columns in (
        (
            "filtered",
            "4. A call below the level",
            "An INFO call on a logger set to WARNING (nothing written; checked).",
            [("ns_per_call", "ns/call")],
        ),
        (
            "rss",
            "5. Peak memory during a burst",
            f"Growth of peak RSS (`ru_maxrss`) while {_params(results, 'rss').get('count', 0):,} "
            "records are logged as fast as possible, until all are on disk; base is the peak "
            "RSS after setup.",
            [("rss_mb", "peak RSS growth MiB"), ("base_mb", "base MiB"), ("high_water_mb", HIGH)],
        ),
        (
            "exception",
            "6. Logging an exception",
            "`logger.exception()` inside `except ZeroDivisionError` (one frame), with the three "
            "fields, until on disk.",
            [("us_per_call", "µs/call")],
        ),
        (
            "import",
            "7. Import time",
            "`perf_counter()` around importing what the configuration needs, in a fresh "
            "interpreter per sample (bytecode cached).",
            [("ms", "ms")],
        ),
    ):
        if scenario in sc:
            parts += [f"## {title}", "", text, "", _simple(results, scenario, columns), ""]
    notes = [f"- {c['name']}: {c['note']}" for c in results["configs"] if c["note"] and c["name"]]
    if notes:
        parts += ["## Notes on configurations", "", *notes, ""]
    return "\n".join(parts)


def readme_section(results: dict[str, Any]) -> str:
    """The README's table: throughput and stalled-destination latency, per configuration."""
    meta, m = results["meta"], results["meta"]["machine"]
    sc = results["scenarios"]
    one, four, stall = sc.get("throughput-1", {}), sc.get("throughput-4", {}), sc.get("stall", {})
    header = ["configuration", "1 thread µs/record", "x vs fastlog", "4 threads µs/record"]
    header += ["x vs fastlog", "stalled sink p99 µs", "stalled sink max µs"]
    rows = []
    for n in _names(results):
        if n not in one and n not in stall:
            continue
        rows.append(
            [
                _label(results, n),
                cell(one.get(n), "us_per_record", spread=False),
                ratio(one.get(n)),
                cell(four.get(n), "us_per_record", spread=False),
                ratio(four.get(n)),
                cell(stall.get(n), "p99_us", spread=False),
                cell(stall.get(n), "max_us", spread=False),
            ]
        )
    return "\n".join(
        [
            f"Generated by `python benchmarks/render.py` from `{meta['command']}` "
            f"({meta['started'][:10]}, {meta['rounds']} interleaved rounds, medians): "
            f"{m['cpu_model']}, {m['cpus']} CPUs, Python {m['python']}. Same record everywhere "
            "(message + 3 fields, JSON where the library can); throughput clock stopped with "
            "every record on disk; the stalled sink is a FIFO whose reader pauses "
            "100 ms every 500 ms. All scenarios (latency, filtered calls, memory, exceptions, "
            "import time), min–max and versions: "
            "[docs/benchmarks/results.md](docs/benchmarks/results.md); method: "
            "[docs/performance.md](docs/performance.md).",
            "",
            _table(header, rows),
            "",
            RATIO_NOTE,
            "",
            "![throughput](docs/benchmarks/throughput.png)",
        ]
    )


def update_readme(results: dict[str, Any], readme: str) -> bool:
    """Rewrite the README between the bench markers; a notice and False if they are missing."""
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        print(
            f"notice: {readme} has no {README_START} ... {README_END} markers; README not updated"
        )
        return False
    new = text[: start + len(README_START)] + "\n" + readme_section(results) + "\n" + text[end:]
    if new != text:
        with open(readme, "w", encoding="utf-8") as f:
            f.write(new)
    return True


# -- charts --------------------------------------------------------------------------------------

FASTLOG_COLOURS = ("#1f6fb4", "#7fb3e0")
PEER_COLOURS = ("#b4541f", "#e0a27f")


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _bars(
    results: dict[str, Any], scenarios: list[tuple[str, str]], metric: str, xlabel: str, path: str
) -> None:
    """Horizontal bars (median, min-max whiskers), one group per configuration, log scale."""
    plt = _plt()
    names = [n for n in _names(results) if any(n in results["scenarios"][s] for s, _ in scenarios)]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(names) * len(scenarios) + 1.5))
    height = 0.8 / len(scenarios)
    for j, (scenario, label) in enumerate(scenarios):
        cases = results["scenarios"][scenario]
        for i, n in enumerate(names):
            y = i + j * height
            case = cases.get(n)
            fastlog = BY_NAME[n].fastlog if n in BY_NAME else False
            colour = (FASTLOG_COLOURS if fastlog else PEER_COLOURS)[j % 2]
            stats = case["stats"].get(metric) if case else None
            who = "fastlog" if fastlog else "peers"
            if not stats:
                if case and case.get("failure"):
                    ax.text(0.01, y, f"{label}: {case['failure'][:40]}", va="center",
                            transform=ax.get_yaxis_transform(), fontsize=8, color="red")  # fmt: skip
                continue
            med = stats["median"]
            if med <= 0:  # nothing to draw on a log axis
                ax.text(0.01, y, "0", va="center", fontsize=8, transform=ax.get_yaxis_transform())
                continue
            err = [[med - stats["min"]], [stats["max"] - med]]
            ax.barh(y, med, height=height, color=colour, xerr=err, capsize=2,
                    label=f"{label} ({who})" if label else who)  # fmt: skip
            ax.text(med * 1.05, y, f"{fmt(med)}", va="center", fontsize=8)
    ax.set_yticks([i + height * (len(scenarios) - 1) / 2 for i in range(len(names))])
    ax.set_yticklabels(names, fontsize=9)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel(xlabel + " (log scale, lower is better)")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="lower right")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.set_title(_title(results, xlabel), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _title(results: dict[str, Any], what: str) -> str:
    m = results["meta"]["machine"]
    return f"{what} — {m['cpus']} CPUs, Python {m['python']}, {results['meta']['started'][:10]}"


def _dots(results: dict[str, Any], scenario: str, path: str, target_us: float | None) -> None:
    """p50 / p99 / p99.9 / max per configuration as markers on a log axis."""
    plt = _plt()
    cases = results["scenarios"][scenario]
    names = [n for n in _names(results) if n in cases]
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(names) + 1.8))
    for metric, marker, label in (
        ("p50_us", "o", "p50"),
        ("p99_us", "s", "p99"),
        ("p999_us", "^", "p99.9"),
        ("max_us", "x", "max"),
    ):
        xs, ys = [], []
        for i, n in enumerate(names):
            stats = cases[n]["stats"].get(metric)
            if stats:
                xs.append(stats["median"])
                ys.append(i)
        ax.scatter(xs, ys, marker=marker, label=label, s=36)
    for i, n in enumerate(names):
        if not cases[n]["stats"] and cases[n].get("failure"):
            ax.text(0.01, i, cases[n]["failure"][:50], va="center", fontsize=8, color="red",
                    transform=ax.get_yaxis_transform())  # fmt: skip
    if target_us:
        ax.axvline(target_us, color="green", linestyle="--", linewidth=1)
        ax.text(target_us * 1.05, len(names) - 0.4, f"{target_us:.0f} µs target (fastlog p99)",
                fontsize=8, color="green", va="top")  # fmt: skip
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=9, fontweight="normal")
    for tick, n in zip(ax.get_yticklabels(), names, strict=True):
        if BY_NAME.get(n) and BY_NAME[n].fastlog:
            tick.set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("caller latency per call, µs (log scale; median over rounds)")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    what = "Stalled destination (FIFO reader pauses)" if scenario == "stall" else "Healthy file"
    ax.set_title(_title(results, what), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def charts(results: dict[str, Any], out: str) -> list[str]:
    written = []
    sc = results["scenarios"]
    tp = [(s, label) for s, label in (("throughput-1", "1 thread"), ("throughput-4", "4 threads"))]
    tp = [(s, label) for s, label in tp if s in sc]
    if tp:
        _bars(results, tp, "us_per_record", "µs per record", os.path.join(out, "throughput.png"))
        written.append("throughput.png")
    for scenario, target in (("latency", None), ("stall", 50.0)):
        if scenario in sc:
            _dots(results, scenario, os.path.join(out, f"{scenario}.png"), target)
            written.append(f"{scenario}.png")
    for scenario, metric, label in (
        ("filtered", "ns_per_call", "ns per filtered-out call"),
        ("rss", "rss_mb", "peak RSS growth, MiB"),
        ("exception", "us_per_call", "µs per exception logged"),
        ("import", "ms", "import time, ms"),
    ):
        if scenario in sc:
            _bars(
                results, [(scenario, scenario)], metric, label, os.path.join(out, f"{scenario}.png")
            )
            written.append(f"{scenario}.png")
    return written


def write_outputs(results: dict[str, Any], out: str, *, readme: bool) -> str:
    """results.md and the charts in *out*; the README's section if *readme*. Returns the md."""
    md = markdown(results)
    pngs = charts(results, out)
    if pngs:
        md += "\n## Charts\n\n" + "\n\n".join(f"![{p[:-4]}]({p})" for p in pngs) + "\n"
    with open(os.path.join(out, "results.md"), "w", encoding="utf-8") as f:
        f.write(md)
    if readme:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        update_readme(results, os.path.join(root, "README.md"))
    return md
