"""The ``fastlog`` command line against jq and lnav on the same generated file (issue #21).

    python benchmarks/bench_cli.py                 # full: a 1 GB file (generated once, cached)
    python benchmarks/bench_cli.py --quick         # smoke, < 1 min: 20 MB, 1 round (CI runs it)
    python benchmarks/bench_cli.py --size-mb 200 --rounds 5 --json out.json

The file is written by fastlog itself (seeded: 80 % info requests with 7 fields, 5 % debug,
10 % warning, 4 % error with a traceback, 1 % critical, five loggers) into ``--data`` and kept
there for the next run. Every case is a real process: the installed ``fastlog`` console script
(next to this interpreter), ``jq``, ``lnav``; its output goes to a file (filters: so their sizes
can be compared) or to ``/dev/null`` (pretty printing). The file is read once before the first
round so the page cache is warm for every case; cases are interleaved over the rounds and the
table shows the median (min-max), MB/s of input, and the child's peak RSS (its ``ru_maxrss``
from ``wait4``, the kernel's VmHWM). A case that fails or times out is reported in its row and
left out of the ratios; a fastlog case failing makes the exit status 1. A tool that is not
installed is a row saying so (``apt-get install jq lnav``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import is_fastlog, versions

ROOT = Path(__file__).resolve().parent.parent
MB = 1_000_000
MIB = 1024 * 1024
QUERY = "SELECT level, count(*) FROM logs GROUP BY 1"

#: Targets (issue #21): peer / fastlog at least this (time ratio); the query in seconds.
FILTER_VS_JQ = 5.0
FILTER_VS_LNAV = 1.0
PRETTY_VS_JQ = 3.0
QUERY_MAX_SECONDS = 5.0

VIEW_ERROR = "fastlog view -l error --color never"
# The peers select the same records as `-l error`: error and critical.
JQ_SELECT = 'select(.level=="error" or .level=="critical")'
JQ_ERROR = f"jq -c '{JQ_SELECT}'"
LNAV_REGEX = '"level":"(error|critical)"'
LNAV_TEXT = f"lnav -n -c ':filter-in {LNAV_REGEX}'"
LNAV_FORMAT = "lnav -n (fastlog format) -c ':set-min-log-level error'"
VIEW_PRETTY = "fastlog view --color never (pretty)"
JQ_PRETTY = "jq . (pretty)"
FASTLOG_QUERY = f'fastlog query "{QUERY}"'
DUCKDB_VIEW = "fastlog_read run_query (in process, DuckDB threads=2)"

#: An lnav format for fastlog's default layout, so that lnav filters by its level field.
LNAV_FORMAT_JSON = {
    "$schema": "https://lnav.org/schemas/format-v1.schema.json",
    "fastlog_log": {
        "title": "fastlog JSON",
        "json": True,
        "file-pattern": r".*\.log",
        "level-field": "level",
        "timestamp-field": "timestamp",
        "body-field": "message",
        "level": {
            "critical": "critical",
            "error": "error",
            "warning": "warning",
            "info": "info",
            "debug": "debug",
        },
        "value": {"logger": {"kind": "string", "identifier": True}, "level": {"kind": "string"}},
        "line-format": [
            {"field": "__timestamp__"},
            " ",
            {"field": "level"},
            " ",
            {"field": "logger"},
            " ",
            {"field": "message"},
        ],
    },
}

GENERATOR = textwrap.dedent(
    """
    import os, random, sys
    import fastlog_core
    path, target, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    fastlog_core.configure(sink=path, level="debug")
    rng = random.Random(seed)
    names = ("app.api", "app.db", "app.worker", "billing", "uvicorn.access")
    loggers = [fastlog_core.get_logger(n) for n in names]
    paths = ["/api/users", "/api/orders", "/health", "/api/items/7", "/login"]
    try:
        raise ValueError("card declined")
    except ValueError as e:
        exc = e
    i = 0
    while True:
        for _ in range(10000):
            r = rng.random()
            log = loggers[i % 5]
            if r < 0.05:
                log.debug("cache lookup", key=f"user:{rng.randrange(10**6)}", hit=r < 0.02)
            elif r < 0.85:
                log.info("request done", method="GET", path=rng.choice(paths), status=200,
                         ms=rng.randrange(1, 900), user_id=rng.randrange(1000),
                         request_id=f"{rng.getrandbits(64):016x}")
            elif r < 0.95:
                log.warning("slow query", ms=rng.randrange(500, 5000), table="orders",
                            rows=rng.randrange(10**5))
            elif r < 0.99:
                log.error("charge failed", order_id=rng.randrange(10**6),
                          amount=round(rng.random() * 100, 2), exc_info=exc)
            else:
                log.critical("worker crashed", worker=rng.randrange(16))
            i += 1
        fastlog_core.flush()
        if os.path.getsize(path) >= target:
            break
    fastlog_core.shutdown()
    print(i)
    """
)

DUCKDB_CHILD = textwrap.dedent(
    """
    import sys
    try:
        from fastlog_read import format_result, run_query
    except ImportError:  # until the package exports them
        from fastlog_read._query import format_result, run_query
    result = run_query(sys.argv[1], [sys.argv[2]], threads=2)
    sys.stdout.write(format_result(result))
    """
)


@dataclass
class Row:
    """One case's samples over the rounds (seconds), its failure if any, its facts."""

    seconds: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    input_bytes: int = 0
    output_lines: int | None = None
    failure: str | None = None
    note: str | None = None

    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds and not self.failure else None

    def spread(self) -> str:
        if self.failure:
            return f"FAILED: {self.failure}"
        if not self.seconds:
            return self.note or "not run"
        m = statistics.median(self.seconds)
        if len(self.seconds) == 1:
            return f"{m:.2f}"
        return f"{m:.2f} ({min(self.seconds):.2f}–{max(self.seconds):.2f})"


@dataclass
class Case:
    name: str
    argv: list[str]
    input: Path
    output: Path | None  # None: /dev/null
    env: dict[str, str] | None = None
    missing: str | None = None  # a tool not installed: the row says so


def fastlog_script() -> Path:
    """The console script installed beside this interpreter (``fastlog.exe`` on Windows)."""
    name = "fastlog.exe" if os.name == "nt" else "fastlog"
    return Path(sys.executable).with_name(name)


def child_env(**extra: str) -> dict[str, str]:
    # The checkout's code, whether or not the install is editable.
    path = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "TZ": "UTC", **extra}
    for name in ("NO_COLOR", "FORCE_COLOR", "LESS", "PAGER", "FASTLOG_PAGER"):
        env.pop(name, None)
    return env


def run_timed(argv: list[str], stdout: Path | None, env: dict[str, str], timeout: float) -> Any:
    """Run *argv*; returns (seconds, peak RSS KiB, exit code, stderr's tail)."""
    with (
        open(stdout, "wb") if stdout is not None else open(os.devnull, "wb") as out,
        tempfile.TemporaryFile() as err,
    ):
        began = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            # wait4: the child's own rusage, so ru_maxrss is its peak RSS (VmHWM), not the
            # largest of every child this process ever waited for.
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-3:]
    if elapsed >= timeout and proc.returncode < 0:
        return elapsed, usage.ru_maxrss, proc.returncode, [f"timeout after {timeout:.0f} s"]
    return elapsed, usage.ru_maxrss, proc.returncode, tail


def generate(path: Path, size_mb: int, seed: int) -> int:
    """Write the data file with fastlog (once: an existing complete file is reused)."""
    done = path.with_suffix(".done")
    if path.exists() and done.exists():
        return int(done.read_text())
    path.unlink(missing_ok=True)
    print(f"generating {path} ({size_mb} MB) with fastlog ...", flush=True)
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", GENERATOR, str(path), str(size_mb * MB), str(seed)],
        env=child_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    records = int(out.stdout.strip())
    done.write_text(str(records))
    print(
        f"  {records:,} records, {path.stat().st_size:,} B in {time.perf_counter() - began:.1f} s"
    )
    return records


def first_lines(source: Path, target: Path, count: int) -> int:
    """The first *count* lines of *source* into *target* (cached); returns the lines written."""
    done = target.with_suffix(".done")
    if target.exists() and done.exists():
        return int(done.read_text())
    written = 0
    with source.open("rb") as src, target.open("wb") as dst:
        for line in src:
            dst.write(line)
            written += 1
            if written == count:
                break
    done.write_text(str(written))
    return written


def warm(path: Path) -> None:
    """Read *path* once, untimed, so that every case starts with it in the page cache."""
    with path.open("rb") as f:
        while f.read(8 * MIB):
            pass


def count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as f:
        while chunk := f.read(8 * MIB):
            lines += chunk.count(b"\n")
    return lines


def lnav_home(tmp: Path) -> Path:
    home = tmp / "lnavhome"
    formats = home / ".lnav" / "formats" / "installed"
    formats.mkdir(parents=True, exist_ok=True)
    (formats / "fastlog_log.json").write_text(json.dumps(LNAV_FORMAT_JSON, indent=2))
    return home


def cases(args: argparse.Namespace, data: Path, pretty: Path, tmp: Path) -> list[Case]:
    fastlog = str(fastlog_script())
    jq, lnav = shutil.which("jq"), shutil.which("lnav")
    no_jq = None if jq else "jq not installed (apt-get install jq)"
    no_lnav = None if lnav else "lnav not installed (apt-get install lnav)"
    no_fastlog = None if Path(fastlog).exists() else f"{fastlog} missing (reinstall fastlog-py)"
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    clean = child_env()
    found = [
        Case(VIEW_ERROR, [fastlog, "view", "-l", "error", "--color", "never", "--no-pager",
                          str(data)], data, out / "view-error.txt", clean, no_fastlog),
        Case(JQ_ERROR, [jq or "jq", "-c", JQ_SELECT, str(data)], data,
             out / "jq-error.txt", clean, no_jq),
        Case(LNAV_TEXT, [lnav or "lnav", "-n", "-c", f":filter-in {LNAV_REGEX}", str(data)],
             data, out / "lnav-text.txt", child_env(HOME=str(tmp / "lnav-empty-home")), no_lnav),
        Case(LNAV_FORMAT, [lnav or "lnav", "-n", "-c", ":set-min-log-level error", str(data)],
             data, out / "lnav-format.txt", child_env(HOME=str(lnav_home(tmp))), no_lnav),
        Case(VIEW_PRETTY, [fastlog, "view", "--color", "never", "--no-pager", str(pretty)],
             pretty, None, clean, no_fastlog),
        Case(JQ_PRETTY, [jq or "jq", ".", str(pretty)], pretty, None, clean, no_jq),
        Case(FASTLOG_QUERY, [fastlog, "query", QUERY, str(data)], data, out / "query.txt",
             clean, no_fastlog),
        Case(DUCKDB_VIEW, [sys.executable, "-c", DUCKDB_CHILD, QUERY, str(data)], data,
             out / "duckdb.txt", clean),
    ]  # fmt: skip
    (tmp / "lnav-empty-home").mkdir(exist_ok=True)
    if args.only:
        found = [c for c in found if any(word.lower() in c.name.lower() for word in args.only)]
    return found


def measure(args: argparse.Namespace, selected: list[Case]) -> dict[str, Row]:
    rows = {case.name: Row(input_bytes=case.input.stat().st_size) for case in selected}
    for case in selected:
        if case.missing:
            rows[case.name].note = case.missing
    for round_ in range(args.rounds):
        for case in selected:
            row = rows[case.name]
            if case.missing or row.failure:
                continue
            seconds, rss, code, tail = run_timed(
                case.argv, case.output, case.env or child_env(), args.timeout
            )
            if code != 0:
                last = tail[-1][:160] if tail else "no message"
                row.failure = f"exit {code} (round {round_ + 1}): {last}"
                continue
            row.seconds.append(seconds)
            row.rss_kib.append(rss)
            if case.output is not None and round_ == 0:
                row.output_lines = count_lines(case.output)
            print(f"  round {round_ + 1}: {case.name}: {seconds:.2f} s", flush=True)
    return rows


def _ratio(peer: Row | None, fast: Row | None) -> float | None:
    p = peer.median() if peer else None
    f = fast.median() if fast else None
    return p / f if p and f else None


def report(rows: dict[str, Row], args: argparse.Namespace, records: int, pretty: int) -> list[str]:
    lines = [
        f"### `fastlog` against jq and lnav: {args.size_mb:,} MB file, {records:,} records "
        f"(pretty cases: first {pretty:,} records), {args.rounds} round(s), page cache warm",
        "",
        "| case | s median (min–max) | MB/s | peak RSS MiB | output lines |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, row in rows.items():
        m = row.median()
        mbps = f"{row.input_bytes / MB / m:,.0f}" if m else "—"
        rss = f"{max(row.rss_kib) / 1024:,.0f}" if row.rss_kib else "—"
        out = f"{row.output_lines:,}" if row.output_lines is not None else "—"
        lines.append(f"| {name} | {row.spread()} | {mbps} | {rss} | {out} |")
    lines += ["", "| target | measured | met |", "| --- | ---: | --- |"]

    def target(label: str, value: float | None, ok: bool | None, unit: str = "x") -> None:
        shown = "n/a" if value is None else f"{value:.2f}{unit}"
        met = "n/a" if ok is None else ("met" if ok else "NOT MET")
        lines.append(f"| {label} | {shown} | {met} |")

    for peer, minimum in ((JQ_ERROR, FILTER_VS_JQ), (LNAV_TEXT, FILTER_VS_LNAV),
                          (LNAV_FORMAT, FILTER_VS_LNAV)):  # fmt: skip
        if peer in rows and VIEW_ERROR in rows:
            r = _ratio(rows[peer], rows[VIEW_ERROR])
            relation = f"≥ {minimum:g}x" if minimum > 1 else "faster than"
            target(f"`{VIEW_ERROR}` {relation} `{peer}`", r, None if r is None else r >= minimum)
    if JQ_PRETTY in rows and VIEW_PRETTY in rows:
        r = _ratio(rows[JQ_PRETTY], rows[VIEW_PRETTY])
        target(f"`{VIEW_PRETTY}` ≥ {PRETTY_VS_JQ:g}x `{JQ_PRETTY}`", r,
               None if r is None else r >= PRETTY_VS_JQ)  # fmt: skip
    for name in (FASTLOG_QUERY, DUCKDB_VIEW):
        if name in rows:
            m = rows[name].median()
            target(f"`{name}` < {QUERY_MAX_SECONDS:g} s", m,
                   None if m is None else m < QUERY_MAX_SECONDS, " s")  # fmt: skip
    if VIEW_ERROR in rows and JQ_ERROR in rows:
        lines += [
            "",
            "Every case selects the same records (error and critical); fastlog's output has "
            "more lines: the records' traceback lines.",
        ]
    return lines


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 MB, 1 round, 50k pretty records")
    parser.add_argument("--size-mb", type=int, default=None, help="data file size (full: 1000)")
    parser.add_argument("--pretty-records", type=int, default=None, help="full: 1,000,000")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (full: 3)")
    parser.add_argument("--data", default=None, help="where the generated files are kept")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--timeout", type=float, default=None, help="per case run, seconds")
    parser.add_argument("--only", action="append", help="cases whose name contains TEXT")
    parser.add_argument("--json", default=None, help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    quick = args.quick
    args.size_mb = args.size_mb or (20 if quick else 1000)
    args.pretty_records = args.pretty_records or (50_000 if quick else 1_000_000)
    args.rounds = args.rounds or (1 if quick else 3)
    args.timeout = args.timeout or (60.0 if quick else 600.0)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as scratch:
        tmp = Path(scratch)
        # --quick without --data writes into the temporary directory: CI must not keep 20 MB.
        default = tmp if args.quick else Path(tempfile.gettempdir()) / "fastlog-bench-cli"
        data_dir = Path(args.data) if args.data else default
        data_dir.mkdir(parents=True, exist_ok=True)
        data = data_dir / f"fastlog-{args.size_mb}MB-seed{args.seed}.log"
        records = generate(data, args.size_mb, args.seed)
        pretty = (
            data_dir / f"fastlog-{args.size_mb}MB-seed{args.seed}-first{args.pretty_records}.log"
        )
        pretty_count = first_lines(data, pretty, args.pretty_records)
        for path in (data, pretty):
            warm(path)
        selected = cases(args, data, pretty, tmp)
        rows = measure(args, selected)
    lines = report(rows, args, records, pretty_count)
    print()
    print("\n".join(lines))
    if args.json:
        out = {
            "python": sys.version,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "versions": versions(("fastlog-py", "orjson", "duckdb")),
            "tools": {tool: shutil.which(tool) for tool in ("jq", "lnav")},
            "args": vars(args),
            "records": records,
            "pretty_records": pretty_count,
            "rows": {name: vars(row) for name, row in rows.items()},
        }
        Path(args.json).write_text(json.dumps(out, indent=2))
    failed = [f"{name}: {row.failure}" for name, row in rows.items() if row.failure]
    fatal = [f"{n}: {r.failure}" for n, r in rows.items() if r.failure and is_fastlog(n)]
    if failed:
        print("\nfailed: " + "; ".join(failed), file=sys.stderr)
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
