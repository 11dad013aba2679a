"""``fastlog web`` on a 1M-record file (issue #22): index, first screen, filters, RSS, live tail.

    python benchmarks/bench_web.py                 # full: 1,000,000 records (~200 MB, kept)
    python benchmarks/bench_web.py --quick         # smoke, < 1 min: 50,000 records
    python benchmarks/bench_web.py --file big.log  # an existing file instead of the generated one
    python benchmarks/bench_web.py --browser       # also the page in Chromium (Playwright)

The data is bench_cli.py's: written by fastlog itself (seeded: 80 % info requests with 7 fields,
5 % debug, 10 % warning, 4 % error with a traceback, 1 % critical, five loggers), cut to exactly
``--records`` lines, kept in ``--data`` for the next run. The server is the real ``fastlog web``
console script in a process of its own, asked over loopback as the page asks it:

- index: from the start of the process to its URL line (the index is built before the URL is
  printed), and the server's RSS then;
- first screen: ``/api/info``, then ``/api/records?limit=200`` and ``/api/histogram`` at once
  (what the page fetches when it opens), on a server that has answered nothing yet; with
  ``--browser``, also from ``page.goto`` to the first table row drawn by the page in Debian's
  Chromium;
- stats panel: ``/api/stats`` with no filter, asked for right after the first screen (the
  server counts it in the background once the index is built);
- filters: each filter applied for the first time (no cached result): its records page and its
  histogram at once, as the page fetches them;
- RSS: the server's VmRSS and VmHWM (peak) from /proc after everything;
- live tail: a writer process appends 10,000 records/s for ``--live-seconds`` to a followed file
  while an event stream is open; each record carries the time it was written, so the latency of
  the newest record of each event is measured; "kept up" means the stream counted every record
  by 2 s after the writer stopped, and the server's CPU share is shown.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_cli import child_env, first_lines, generate

FASTLOG = Path(sys.executable).with_name("fastlog")
BYTES_PER_RECORD = 205  # the generator's average line, to size the file it writes

#: Targets (issue #22).
FIRST_SCREEN_MAX = 2.0
FILTER_MAX = 1.0
RSS_MAX_MB = 300.0
LIVE_RATE = 10_000

#: (name, API parameters): each filter the page offers, applied once on a fresh cache.
FILTERS: list[tuple[str, dict[str, Any]]] = [
    ("level ≥ error", {"level": "error"}),
    ("logger app.db", {"logger": "app.db"}),
    ("time range (middle third)", {}),  # since/until filled in from /api/info
    ("free text 'declined'", {"text": "declined"}),
    ("field status=200", {"f": "status=200"}),
    ("field ms>500", {"f": "ms>500"}),
    ("field path~^/api", {"f": "path~^/api"}),
    ("field request_id=<one id>", {"f": "request_id=392456de3eb13b90"}),
    ("field request_id~^39245 (regex, a value per record)", {"f": "request_id~^39245"}),
    ("field request_id!=392456de3eb13b90", {"f": "request_id!=392456de3eb13b90"}),
    ("field path!=/login", {"f": "path!=/login"}),
    ("field user_id>500", {"f": "user_id>500"}),
    ("field order_id<=100000", {"f": "order_id<=100000"}),
    ("field amount<10", {"f": "amount<10"}),
    ("field exception.type=ValueError", {"f": "exception.type=ValueError"}),
    ("field method (present)", {"f": "method"}),
    ("trace id", {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}),
    ("grep ^charge", {"grep": "^charge"}),
    ("grep (?i)DECLINED|slow", {"grep": "(?i)DECLINED|slow"}),
    ("free text '392456de'", {"text": "392456de"}),
    ("level ≥ warning + logger billing + ms>1000", {"level": "warning", "logger": "billing",
                                                    "f": "ms>1000"}),
    ("level ≥ error + request_id~^3 + free text 'card'", {"level": "error",
                                                          "f": "request_id~^3", "text": "card"}),
]  # fmt: skip

WRITER = textwrap.dedent(
    """
    import os, sys, time
    path, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    step = 0.01
    per_step = max(1, int(rate * step))
    start = time.time()
    written = 0
    while written < rate * seconds:
        now = time.time()
        lines = []
        for i in range(per_step):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%06dZ" % (
                int(now * 1e6) % 1_000_000)
            level = "error" if (written + i) % 25 == 0 else "info"
            lines.append(
                '{"timestamp":"%s","level":"%s","logger":"live","message":"request done",'
                '"n":%d,"sent":%.6f}\\n' % (stamp, level, written + i, now))
        os.write(fd, "".join(lines).encode())
        written += per_step
        delay = start + written / rate - time.time()
        if delay > 0:
            time.sleep(delay)
    print(written)
    """
)


class Server:
    """A ``fastlog web`` process: started, its URL read, stopped with SIGINT."""

    #: Seconds one API request may take (``--timeout``): a hung server fails the run.
    timeout = 120.0

    def __init__(self, *args: str) -> None:
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [str(FASTLOG), "web", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=child_env(),
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        if not line.startswith("fastlog web: http://"):
            self.stop()
            raise RuntimeError(f"fastlog web did not start: {line!r}")
        self.started = time.perf_counter() - began
        self.url = line.split(": ", 1)[1].strip()
        self.base = self.url.rstrip("/")

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.base}{path}{query}", timeout=self.timeout) as response:
            return json.loads(response.read())

    def memory(self) -> tuple[float, float]:
        """VmRSS and VmHWM in MB."""
        fields = {}
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.process.pid}/stat") as stat:
            parts = stat.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def together(server: Server, requests: list[tuple[str, dict[str, Any]]]) -> tuple[float, list[Any]]:
    """Send *requests* at once (as the page does); the wall time until all are answered."""
    with concurrent.futures.ThreadPoolExecutor(len(requests)) as pool:
        began = time.perf_counter()
        futures = [pool.submit(server.get, path, params) for path, params in requests]
        results = [f.result() for f in futures]
        return time.perf_counter() - began, results


def first_screen(server: Server) -> tuple[float, int]:
    began = time.perf_counter()
    server.get("/api/info")
    _, (records, _) = together(
        server,
        [("/api/records", {"offset": 0, "limit": 200}), ("/api/histogram", {"buckets": 120})],
    )
    return time.perf_counter() - began, records["total"]


def browser_first_rows(url: str) -> float | None:
    """From page.goto to the first table row in Chromium; None without Playwright/Chromium."""
    chromium = "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not os.path.exists(chromium):
        return None
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"],
        )  # fmt: skip
        try:
            page = context.new_page()
            began = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("[data-id]", timeout=60_000)
            return time.perf_counter() - began
        finally:
            context.close()


def filters(server: Server) -> list[tuple[str, float, int, float]]:
    info = server.get("/api/info")
    out = []
    for name, given in FILTERS:
        params = given
        if not params:  # the middle third of the time range
            first = _epoch(info["first"])
            third = (_epoch(info["last"]) - first) / 3
            params = {"since": _iso(first + third), "until": _iso(first + 2 * third)}
        cpu = server.cpu_seconds()
        seconds, (records, _) = together(
            server,
            [
                ("/api/records", {**params, "offset": 0, "limit": 200}),
                ("/api/histogram", {**params, "buckets": 120}),
            ],
        )
        cpu = server.cpu_seconds() - cpu
        out.append((name, seconds, records["total"], cpu))
        print(f"  {name}: {seconds:.3f} s ({cpu:.2f} s CPU), {records['total']:,} records")
    return out


def live(
    seconds: float, rate: int, base: Path | None = None, params: dict[str, str] | None = None
) -> dict[str, Any]:
    """Append *rate* records/s for *seconds* to a followed file (empty, or a copy of *base*)
    while an event stream with the filter *params* is open."""
    params = params or {}
    with tempfile.TemporaryDirectory(prefix="bench-web-live-") as tmp:
        path = Path(tmp) / "live.log"
        if base is None:
            path.write_bytes(b"")
        else:
            shutil.copyfile(base, path)
        server = Server(str(path))
        try:
            before = server.get("/api/info")["records"]
            matching_before = server.get("/api/records", {**params, "limit": 0})["total"]
            stream = (
                f"{server.base}/api/tail?{urllib.parse.urlencode({**params, 'after': before - 1})}"
            )

            latencies: list[float] = []
            counted = [0]
            stop = threading.Event()
            opened = threading.Event()

            def listen() -> None:
                with urllib.request.urlopen(stream, timeout=60) as r:
                    opened.set()
                    for raw in r:
                        if stop.is_set():
                            return
                        line = raw.decode()
                        if line.startswith("data: "):
                            data = json.loads(line[6:])
                            if data.get("records"):
                                now = time.time()
                                latencies.append(now - data["records"][-1]["fields"]["sent"])
                                counted[0] += sum(data["counts"].values())

            listener = threading.Thread(target=listen, daemon=True)
            listener.start()
            opened.wait(30)
            cpu_before = server.cpu_seconds()
            began = time.perf_counter()
            writer = subprocess.run(
                [sys.executable, "-c", WRITER, str(path), str(rate), str(seconds)],
                capture_output=True,
                text=True,
                check=True,
            )
            written = int(writer.stdout)
            wrote_for = time.perf_counter() - began
            deadline = time.perf_counter() + 2.0
            expected = -1
            while time.perf_counter() < deadline:
                if server.get("/api/info")["records"] == before + written:
                    total = server.get("/api/records", {**params, "limit": 0})["total"]
                    expected = total - matching_before
                    if counted[0] >= expected:
                        break
                time.sleep(0.05)
            cpu = server.cpu_seconds() - cpu_before
            elapsed = time.perf_counter() - began
            stop.set()
            indexed = server.get("/api/info")["records"] - before
            return {
                "base": before,
                "filter": urllib.parse.urlencode(params) or "none",
                "written": written,
                "rate": written / wrote_for,
                "matching": expected,
                "counted": counted[0],
                "indexed": indexed,
                "kept_up": counted[0] == expected and indexed == written,
                "latency_p50": statistics.median(latencies) if latencies else None,
                "latency_p95": (
                    statistics.quantiles(latencies, n=20)[18] if len(latencies) >= 20 else None
                ),
                "latency_max": max(latencies) if latencies else None,
                "events": len(latencies),
                "cpu_share": cpu / elapsed,
                "rss_mb": server.memory()[0],
            }
        finally:
            server.stop()


def data_file(args: argparse.Namespace) -> Path:
    if args.file:
        return Path(args.file)
    data_dir = Path(args.data) if args.data else Path(tempfile.gettempdir()) / "fastlog-bench-web"
    data_dir.mkdir(parents=True, exist_ok=True)
    size_mb = -(-args.records * BYTES_PER_RECORD // 1_000_000) + 1
    source = data_dir / f"fastlog-{size_mb}MB-seed{args.seed}.log"
    generate(source, size_mb, args.seed)
    target = data_dir / f"fastlog-web-{args.records}-seed{args.seed}.log"
    count = first_lines(source, target, args.records)
    if count != args.records:
        raise SystemExit(f"{source} has {count:,} records, fewer than {args.records:,}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="50,000 records, 3 s of live tail")
    parser.add_argument("--records", type=int, default=None, help="full: 1,000,000")
    parser.add_argument("--file", default=None, help="use this log file instead")
    parser.add_argument("--data", default=None, help="where the generated files are kept")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--browser", action="store_true", help="time the page in Chromium too")
    parser.add_argument("--live-seconds", type=float, default=None, help="full: 10")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds one API request may take"
    )
    args = parser.parse_args(argv)
    Server.timeout = args.timeout
    args.records = args.records or (50_000 if args.quick else 1_000_000)
    args.live_seconds = args.live_seconds or (3.0 if args.quick else 10.0)
    path = data_file(args)
    size = path.stat().st_size
    with path.open("rb") as f:  # page cache warm, as for the other benchmarks
        while f.read(1 << 24):
            pass
    print(f"fastlog web on {path} ({size / 1e6:,.0f} MB)", flush=True)
    server = Server(str(path))
    try:
        rss_started = server.memory()[0]
        cpu_started = server.cpu_seconds()
        screen, records = first_screen(server)
        print(f"  index {server.started:.1f} s, {records:,} records; first screen {screen:.3f} s")
        began = time.perf_counter()
        server.get("/api/stats")
        stats_seconds = time.perf_counter() - began
        print(f"  stats panel (no filter, first request) {stats_seconds:.3f} s")
        browser = browser_first_rows(server.url) if args.browser else None
        applied = filters(server)
        rss, hwm = server.memory()
    finally:
        server.stop()
    print(f"  live tail: {LIVE_RATE:,} records/s for {args.live_seconds:g} s ...", flush=True)
    tails = [
        live(args.live_seconds, LIVE_RATE),
        live(args.live_seconds, LIVE_RATE, path, {"level": "error"}),
    ]

    ok = True
    lines = [
        f"### `fastlog web`: {records:,} records, {size / 1e6:,.0f} MB, page cache warm",
        "",
        "| measure | value | target | met |",
        "| --- | ---: | ---: | --- |",
        f"| index built (start to URL printed) | {server.started:.1f} s "
        f"({cpu_started:.1f} s of CPU) | — | — |",
        f"| RSS after indexing | {rss_started:,.0f} MB | — | — |",
    ]

    def row(
        label: str, value: float | None, limit: float, unit: str, cpu: float | None = None
    ) -> None:
        nonlocal ok
        if value is None:
            lines.append(f"| {label} | n/a | ≤ {limit:g} {unit} | n/a |")
            return
        met = value <= limit
        ok = ok and met
        shown = f"{value:,.0f} {unit}" if unit == "MB" else f"{value:.3f} {unit}"
        if cpu is not None:
            shown += f" ({cpu:.2f} s of CPU)"
        lines.append(f"| {label} | {shown} | ≤ {limit:g} {unit} | "
                     f"{'met' if met else 'NOT MET'} |")  # fmt: skip

    row("first screen (info, then records + histogram)", screen, FIRST_SCREEN_MAX, "s")
    row("stats panel, no filter (right after the first screen)", stats_seconds, FILTER_MAX, "s")
    if args.browser:
        row("first screen in Chromium (goto to first row)", browser, FIRST_SCREEN_MAX, "s")
    for name, seconds, total, cpu in applied:
        row(f"filter: {name} ({total:,} records)", seconds, FILTER_MAX, "s", cpu)
    row("server RSS after all of it (VmRSS)", rss, RSS_MAX_MB, "MB")
    row("server peak RSS (VmHWM)", hwm, RSS_MAX_MB, "MB")
    lines += [
        "",
        "| live tail | written | rate/s | matching | sent (counted) | latency median / p95 / max | server CPU | kept up |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for tail in tails:
        lines.append(
            f"| {tail['base']:,} records already, filter {tail['filter']} | "
            f"{tail['written']:,} | {tail['rate']:,.0f} | {tail['matching']:,} | "
            f"{tail['counted']:,} | {_ms(tail['latency_p50'])} / {_ms(tail['latency_p95'])} / "
            f"{_ms(tail['latency_max'])} | {tail['cpu_share']:.0%} | "
            f"{'yes' if tail['kept_up'] else 'NO'} |"
        )
        ok = ok and tail["kept_up"]
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "records": records,
                    "bytes": size,
                    "index_seconds": server.started,
                    "index_cpu_seconds": cpu_started,
                    "rss_after_index_mb": rss_started,
                    "first_screen_seconds": screen,
                    "stats_seconds": stats_seconds,
                    "browser_first_rows_seconds": browser,
                    "filters": [
                        {"name": n, "seconds": s, "total": t, "cpu_seconds": c}
                        for n, s, t, c in applied
                    ],
                    "rss_mb": rss,
                    "hwm_mb": hwm,
                    "live": tails,
                },
                indent=2,
            )
        )
    return 0 if ok else 1


def _epoch(text: str) -> float:
    return datetime.datetime.fromisoformat(text).timestamp()


def _iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat()


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:,.0f} ms"


if __name__ == "__main__":
    raise SystemExit(main())
