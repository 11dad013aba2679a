"""fastlog demo: log through the native API, show the JSON written and the records/s achieved.

Run it with ``python3 dev.py demo`` (sets up .venv first) or, with fastlog installed,
``python examples/demo.py [--records N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time

import fastlog_core


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("this object cannot be printed")


def show_records(path: str) -> None:
    log = fastlog_core.get_logger("billing")
    log.info("charge ok", amount=12.5, user_id=42, currency="EUR")
    log.bind(request_id="r-1").warning("slow upstream", ms=870)
    with fastlog_core.context(tenant="acme"):
        log.info("inside a context", step=1)
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        log.exception("charge failed", user_id=42)
    log.error("bad input still logs", value=Unprintable(), big=2**80, level="spoofed")
    fastlog_core.flush()
    print(f"== JSON lines written to {path}:")
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if "exception" in record:  # keep the demo output short
                record["exception"]["traceback"] = record["exception"]["traceback"][:60] + "..."
            print(json.dumps(record))


def throughput(path: str, records: int, threads: int) -> float:
    log = fastlog_core.get_logger("bench")

    def body(n: int) -> None:
        info = log.info
        for i in range(n):
            info("user logged in", user_id=i, ip="203.0.113.7", ok=True)

    per_thread = records // threads
    workers = [threading.Thread(target=body, args=(per_thread,)) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    fastlog_core.flush()  # the clock stops when every record is written
    return per_thread * threads / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=500_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fastlog-demo-") as tmp:
        examples = os.path.join(tmp, "examples.log")
        fastlog_core.configure(sink=examples, level="info")
        show_records(examples)
        bench = os.path.join(tmp, "bench.log")
        fastlog_core.configure(sink=bench, level="info")
        print(f"\n== throughput: {args.records:,} records (message + 3 fields) to {bench}")
        for threads in (1, 4):
            rate = throughput(bench, args.records, threads)
            print(f"{threads} thread(s): {rate:,.0f} records/s ({1e6 / rate:.2f} us per record)")
        with open(bench, "rb") as f:
            lines = sum(1 for _ in f)
        print(f"lines on disk: {lines:,} (expected {2 * args.records:,})")
        stats = fastlog_core.stats()
        summary = {k: v for k, v in stats.items() if k != "pipelines"}
        print("\n== fastlog_core.stats():")
        print(json.dumps(summary, indent=2))
        print("\nFor side-by-side ratios against other libraries: python benchmarks/bench_core.py")
        fastlog_core.shutdown()


if __name__ == "__main__":
    main()
