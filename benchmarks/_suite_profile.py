"""Where fastlog's microseconds and megabytes go: the figures in docs/performance.md.

    python benchmarks/_suite_profile.py            # all parts, ~1 min, a Markdown report
    python benchmarks/_suite_profile.py native     # one part: native, stdlib, structlog,
                                                   # loguru, memory, import

Each step of a hot path is timed on its own in a fresh interpreter (best of 7 runs of 200k
iterations, loop overhead subtracted), next to the whole call and the host library's floor, so
the rows of one table add up to roughly the whole. Best-of, not median: the aim is the cost of
the code, not of the machine's other work.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import IP, MESSAGE

N = 200_000
REPEAT = 7


def best_ns(body: Callable[[int], None], n: int = N) -> float:
    """Best time per iteration of ``body(n)`` in ns, minus an empty loop's."""

    def empty(n: int) -> None:
        for _ in range(n):
            pass

    def best(fn: Callable[[int], None]) -> float:
        times = []
        for _ in range(REPEAT):
            t = time.perf_counter()
            fn(n)
            times.append(time.perf_counter() - t)
        return min(times) / n * 1e9

    return best(body) - best(empty)


def _rows(rows: list[tuple[str, float]], total: str) -> None:
    width = max(len(r[0]) for r in rows)
    for label, ns in rows:
        print(f"| {label:<{width}} | {ns:8.0f} |")
    print(f"({total})\n")


# -- native ------------------------------------------------------------------------------------


def native(path: str) -> None:
    """The native hot path rebuilt step by step (cumulative), each step timed as a method call
    with the benchmark's arguments; the difference between two steps is what the step adds."""
    import fastlog_core
    from fastlog_core import _context
    from fastlog_core._encoders import json as _encoder

    fastlog_core.configure(sink=path)
    log = fastlog_core.get_logger("bench")
    utcnow, dumps, default, options = (
        _encoder.utcnow,
        _encoder.dumps,
        _encoder.default,
        _encoder.OPTIONS,
    )
    ctx_get = _context.get
    private = bytearray()
    counter = iter(range(1 << 62))

    # Mirrors _logger._method's body (src/fastlog_core/_logger.py); keep in step with it.
    class Steps:
        __slots__ = ("_bound", "_name", "_route")

        def __init__(self) -> None:
            self._bound, self._name, self._route = {}, "bench", log._route

        def call(self, msg: Any, /, *args: Any, **fields: Any) -> None:
            return None

        def check(self, msg: Any, /, *args: Any, **fields: Any) -> None:
            route = self._route
            if route.level > 20:
                return
            if args or self._bound or ctx_get() or "exc_info" in fields:
                return

        def stamp(self, msg: Any, /, *args: Any, **fields: Any) -> None:
            route = self._route
            if route.level > 20:
                return
            if args or self._bound or ctx_get() or "exc_info" in fields:
                return
            ts = utcnow()
            if not ts.microsecond:
                ts = _encoder.timestamp()

        def record(self, msg: Any, /, *args: Any, **fields: Any) -> None:
            route = self._route
            if route.level > 20:
                return
            if args or self._bound or ctx_get() or "exc_info" in fields:
                return
            ts = utcnow()
            if not ts.microsecond:
                ts = _encoder.timestamp()
            record = {
                "timestamp": ts,
                "level": "info",
                "logger": self._name,
                "message": msg,
                **fields,
            }
            if len(record) != 4 + len(fields):
                return

        def encode(self, msg: Any, /, *args: Any, **fields: Any) -> bytes:
            route = self._route
            if route.level > 20:
                return b""
            if args or self._bound or ctx_get() or "exc_info" in fields:
                return b""
            ts = utcnow()
            if not ts.microsecond:
                ts = _encoder.timestamp()
            record = {
                "timestamp": ts,
                "level": "info",
                "logger": self._name,
                "message": msg,
                **fields,
            }
            if len(record) != 4 + len(fields):
                return b""
            return dumps(record, default=default, option=options)

        def private_append(self, msg: Any, /, *args: Any, **fields: Any) -> None:
            route = self._route
            if route.level > 20:
                return
            if args or self._bound or ctx_get() or "exc_info" in fields:
                return
            ts = utcnow()
            if not ts.microsecond:
                ts = _encoder.timestamp()
            record = {
                "timestamp": ts,
                "level": "info",
                "logger": self._name,
                "message": msg,
                **fields,
            }
            if len(record) != 4 + len(fields):
                return
            line = dumps(record, default=default, option=options)
            buf = private
            buf += line
            next(counter)
            if len(buf) > 1 << 20:
                del buf[:]

    steps = Steps()

    def loop(method: Callable[..., Any]) -> Callable[[int], None]:
        def body(n: int) -> None:
            for i in range(n):
                method(MESSAGE, user_id=i, ip=IP, ok=True)

        return body

    def whole(n: int) -> None:
        loop(log.info)(n)
        fastlog_core.flush()

    def unflushed(n: int) -> None:
        loop(log.info)(n)

    cumulative = [
        (
            "call: a method taking `(msg, /, *args, **fields)`, returning at once",
            best_ns(loop(steps.call)),
        ),
        (
            "+ level check and the fast-path guards (args, bound, context, exc_info)",
            best_ns(loop(steps.check)),
        ),
        ("+ timestamp (`datetime.utcnow()`)", best_ns(loop(steps.stamp))),
        (
            "+ record dict (4 schema keys + `**fields`) and the schema-key check",
            best_ns(loop(steps.record)),
        ),
        ("+ `orjson.dumps`", best_ns(loop(steps.encode))),
        (
            "+ append to a private bytearray emptied at 1 MiB (no writer, no capacity checks)",
            best_ns(loop(steps.private_append)),
        ),
    ]
    real = best_ns(whole)
    fastlog_core.flush()
    real_unflushed = best_ns(unflushed)
    fastlog_core.flush()
    filtered = best_ns(loop(log.debug))
    # The same calls with the writer kept asleep for the whole loop: the difference is the
    # writer thread's share of the GIL (and of the memory bandwidth) per record.
    fastlog_core.configure(sink=path, capacity="512 MiB", wake_bytes="256 MiB", flush_interval=60)
    idle = best_ns(unflushed)
    fastlog_core.flush()
    print("### native: `log.info(msg, user_id=i, ip=..., ok=True)`, ns per call\n")
    print("The hot path rebuilt cumulatively; *adds* is each step's share.\n")
    print("| step | cumulative ns | adds ns |\n| --- | ---: | ---: |")
    prev = 0.0
    for label, ns in cumulative:
        print(f"| {label} | {ns:.0f} | {ns - prev:+.0f} |")
        prev = ns
    print(
        f"| real `log.info` (pipeline append, writer running), not waiting for the writer "
        f"| {real_unflushed:.0f} | {real_unflushed - prev:+.0f} |"
    )
    print(
        f"| **real `log.info`, until on disk** (`flush()` at the end) "
        f"| {real:.0f} | {real - real_unflushed:+.0f} |"
    )
    print(
        f"| real `log.info` with the writer asleep during the loop (wake_bytes 256 MiB) "
        f"| {idle:.0f} | {idle - real_unflushed:+.0f} vs writer running |"
    )
    print(f"| a call below the level (`log.debug`) | {filtered:.0f} | |\n")


# -- stdlib --------------------------------------------------------------------------------------


def stdlib(path: str) -> None:
    import logging

    import fastlog_core
    import fastlog_stdlib

    class NoOp(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            pass

    logger = logging.getLogger("bench")
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def body(n: int) -> None:
        info = logger.info
        for i in range(n):
            info(MESSAGE, extra={"user_id": i, "ip": IP, "ok": True})

    def with_handler(handler: logging.Handler) -> float:
        logger.handlers[:] = [handler]
        return best_ns(body, N // 2)

    floor = with_handler(NoOp())
    handler = fastlog_stdlib.FastlogHandler(path)
    record = logger.makeRecord(
        "bench",
        logging.INFO,
        __file__,
        1,
        MESSAGE,
        (),
        None,
        extra={"user_id": 1, "ip": IP, "ok": True},
    )

    def encode(n: int) -> None:
        enc = handler._encode
        for _ in range(n):
            enc(record)

    def make_record(n: int) -> None:
        make = logger.makeRecord
        extra = {"user_id": 1, "ip": IP, "ok": True}
        for _ in range(n):
            make("bench", logging.INFO, __file__, 1, MESSAGE, (), None, extra=extra)

    def find_caller(n: int) -> None:
        fc = logger.findCaller
        for _ in range(n):
            fc()

    whole = with_handler(handler)
    fastlog_core.flush()
    encode_ns = best_ns(encode)
    make_ns = best_ns(make_record)
    caller_ns = best_ns(find_caller)
    fastlog_stdlib.optimize()
    floor_opt = with_handler(NoOp())
    whole_opt = with_handler(handler)
    fastlog_core.flush()
    print(
        "### stdlib: `logger.info(msg, extra={3 fields})` through `FastlogHandler`, ns per call\n"
    )
    print("| step | ns |\n| --- | ---: |")
    _rows(
        [("stdlib's own cost: same call, no-op handler (floor)", floor),
         ("  of which `makeRecord` (LogRecord with extra)", make_ns),
         ("  of which `findCaller` (stack walk for file/line)", caller_ns),
         ("`FastlogHandler` encode of a LogRecord (`_encode`)", encode_ns),
         ("append, `handle()` and GIL share (whole - floor - encode)", whole - floor - encode_ns),
         ("**whole call with `FastlogHandler`**", whole),
         ("floor after `optimize()`", floor_opt),
         ("**whole call after `optimize()`**", whole_opt)],
        "'of which' rows are part of the floor",
    )  # fmt: skip


# -- structlog -----------------------------------------------------------------------------------


def structlog_part(path: str) -> None:
    import logging

    import structlog

    import fastlog_core
    import fastlog_structlog

    def body(n: int) -> None:
        # As applications call it: get_logger()'s lazy proxy, `log.info` looked up per call.
        log = structlog.get_logger("bench")
        for i in range(n):
            log.info(MESSAGE, user_id=i, ip=IP, ok=True)

    def hoisted(n: int) -> None:
        info = structlog.get_logger("bench").info
        for i in range(n):
            info(MESSAGE, user_id=i, ip=IP, ok=True)

    structlog.configure(
        cache_logger_on_first_use=True,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[lambda logger, name, event_dict: ""],
        logger_factory=structlog.ReturnLoggerFactory(),
    )
    floor = best_ns(body)
    structlog.reset_defaults()
    fastlog_structlog.configure(sink=path)
    whole = best_ns(body)
    fastlog_core.flush()
    whole_hoisted = best_ns(hoisted)
    fastlog_core.flush()
    native_log = fastlog_core.get_logger("bench")

    def native_body(n: int) -> None:
        info = native_log.info
        for i in range(n):
            info(MESSAGE, user_id=i, ip=IP, ok=True)

    fastlog_core.configure(sink=path)
    native_ns = best_ns(native_body)
    fastlog_core.flush()
    print("### structlog: `log.info(event, user_id=i, ...)` through `configure()`, ns per call\n")
    print("| step | ns |\n| --- | ---: |")
    _rows(
        [("structlog's floor: filtering bound logger, one no-op processor (`log.info` per call)", floor),
         ("fastlog native call, same record (for comparison)", native_ns),
         ("`get_logger()`'s lazy proxy: `log.info` looked up per call (whole - hoisted)", whole - whole_hoisted),
         ("wrapper's own work (hoisted - native): `_context`, chain check, logger name", whole_hoisted - native_ns),
         ("**whole call with `fastlog_structlog.configure()`**, `log.info(...)` as applications call it", whole)],
        "the native wrapper replaces structlog's processor loop, so the floor is not a part of the whole",
    )  # fmt: skip


# -- loguru --------------------------------------------------------------------------------------


def loguru_part(path: str) -> None:
    from loguru import logger

    import fastlog_core
    from fastlog_loguru import FastlogSink

    def body(n: int) -> None:
        bind = logger.bind
        for i in range(n):
            bind(user_id=i, ip=IP, ok=True).info(MESSAGE)

    def measure(sink: Any, **options: Any) -> float:
        logger.remove()
        logger.add(sink, **options)
        ns = best_ns(body, N // 4)
        logger.remove()
        return ns

    noop = measure(lambda message: None)
    noop_msg = measure(lambda message: None, format="{message}")
    whole = measure(FastlogSink(path))
    whole_msg = measure(FastlogSink(path), format="{message}")
    fastlog_core.flush()

    def bind_only(n: int) -> None:
        bind = logger.bind
        for i in range(n):
            bind(user_id=i, ip=IP, ok=True)

    bind_ns = best_ns(bind_only)
    print(
        "### loguru: `logger.bind(user_id=i, ...).info(msg)` through `FastlogSink`, ns per call\n"
    )
    print("| step | ns |\n| --- | ---: |")
    _rows(
        [("`logger.bind(...)` alone (a new Logger per call)", bind_ns),
         ("loguru's floor: no-op callable sink, default format", noop),
         ("loguru's floor: no-op callable sink, `format='{message}'`", noop_msg),
         ("`FastlogSink.write` (whole - floor, default format)", whole - noop),
         ("**whole call with `FastlogSink`** (default format)", whole),
         ("**whole call with `FastlogSink`, `format='{message}'`**", whole_msg)],
        "loguru formats the text for every handler before calling the sink; FastlogSink does not use it",
    )  # fmt: skip


# -- memory --------------------------------------------------------------------------------------


def memory(path: str) -> None:
    """Peak RSS growth over a 1M-record burst, per capacity, with the buffer's high water."""
    import resource

    import fastlog_core

    kind = os.environ["SUITE_PROFILE_MEMORY"]
    preset, capacity = kind.split(":")
    options: dict[str, Any] = {"capacity": capacity} if capacity != "-" else {}
    fastlog_core.configure(sink=path, preset=preset, **options)
    log = fastlog_core.get_logger("bench")
    info = log.info
    for i in range(1000):
        info(MESSAGE, user_id=i, ip=IP, ok=True)
    fastlog_core.flush()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    for i in range(1_000_000):
        info(MESSAGE, user_id=i, ip=IP, ok=True)
    fastlog_core.flush()
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    s = fastlog_core.stats()
    print(
        f"| `{preset}` | {capacity if capacity != '-' else 'preset default'} | "
        f"{s['high_water_bytes'] / 2**20:.1f} | {(after - before) / 1024:.1f} | "
        f"{s['blocked']} ({s['blocked_seconds']:.2f} s) | {s['dropped']} | {took / 1e6 * 1e9:.0f} |"
    )


def memory_table() -> None:
    print("### memory: 1M records as fast as possible, native API, to a file\n")
    print(
        "| preset | capacity | buffer high water MiB | peak RSS growth MiB | callers blocked | dropped | ns/record |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    sys.stdout.flush()
    for kind in ("balanced:-", "balanced:4 MiB", "balanced:1 MiB", "fastest:-"):
        env = {**os.environ, "SUITE_PROFILE_MEMORY": kind}
        subprocess.run([sys.executable, __file__, "memory-child"], env=env, check=True)
    print()


# -- import time ---------------------------------------------------------------------------------


def import_table() -> None:
    """The slowest modules under ``import fastlog_core`` (``-X importtime``, cumulative)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import fastlog_core"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    ).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cum_us, name = line.split(":", 1)[1].split("|")
        rows.append((int(cum_us), int(self_us), name.rstrip()))
    rows.sort(reverse=True)
    print("### import fastlog_core: slowest modules (`-X importtime`, µs, one run)\n")
    print("| module | cumulative µs | self µs |\n| --- | ---: | ---: |")
    for cum, own, name in rows[:12]:
        print(f"| `{name}` | {cum:,} | {own:,} |")
    print()


PARTS = {
    "native": native,
    "stdlib": stdlib,
    "structlog": structlog_part,
    "loguru": loguru_part,
}


def main(argv: list[str]) -> None:
    if argv[:1] == ["memory-child"]:
        with tempfile.TemporaryDirectory() as tmp:
            memory(os.path.join(tmp, "bench.log"))
        return
    if argv[:1] == ["child"]:
        with tempfile.TemporaryDirectory() as tmp:
            PARTS[argv[1]](os.path.join(tmp, "bench.log"))
        return
    wanted = argv or [*PARTS, "memory", "import"]
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; `python benchmarks/_suite_profile.py`\n"
    )
    sys.stdout.flush()
    for part in wanted:
        if part == "memory":
            memory_table()
        elif part == "import":
            import_table()
        else:  # each part in a fresh interpreter: nothing configured by another part
            subprocess.run([sys.executable, __file__, "child", part], check=True)
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
