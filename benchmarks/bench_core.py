"""fastlog's native API against stdlib + python-json-logger, an orjson floor, and pod fields.

Five process-wide fields (a Kubernetes pod's) cost as ``static_fields`` and as bound context.
Filtered calls: a call below the global level, the same with ``levels=`` configured, and a
call below its logger's own ``levels=`` level (these write nothing; a sub-microsecond cost
wants more records: ``--only filtered --count 5000000``).

    python benchmarks/bench_core.py            # full: 500k records x 5 rounds
    python benchmarks/bench_core.py --quick    # smoke: 20k records x 2 rounds

See benchmarks/README.md for the method.
"""

from __future__ import annotations

import functools
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import IP, MESSAGE, Case, main, timed

#: What ``enrich.kubernetes()`` gives a Deployment's pod (five of its fields).
K8S = {
    "k8s.pod.name": "checkout-7d9f8b6c5d-x2x7q",
    "k8s.namespace.name": "shop",
    "k8s.node.name": "gke-prod-pool-1-3f2a",
    "k8s.container.name": "app",
    "k8s.deployment.name": "checkout",
}


def case_fastlog(
    path: str, count: int, threads: int, static: bool = False, context: bool = False
) -> float:
    import fastlog_core

    if static:
        fastlog_core.configure(sink=path, level="info", static_fields=K8S)
    else:
        fastlog_core.configure(sink=path, level="info")
    if context:
        fastlog_core.bind_context(**K8S)  # the other way: a per-record merge
    log = fastlog_core.get_logger("bench")

    def body(n: int) -> None:
        for i in range(n):
            log.info(MESSAGE, user_id=i, ip=IP, ok=True)

    return timed(threads, count, body, fastlog_core.flush)


def case_stdlib_pjl(path: str, count: int, threads: int) -> float:
    import logging

    from pythonjsonlogger.json import JsonFormatter

    handler = logging.FileHandler(path)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("bench")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def body(n: int) -> None:
        for i in range(n):
            logger.info(MESSAGE, extra={"user_id": i, "ip": IP, "ok": True})

    return timed(threads, count, body, handler.flush)


def case_orjson_floor(path: str, count: int, threads: int) -> float:
    import datetime

    import orjson

    # The cheapest correct timestamp, as fastlog itself uses: a naive UTC datetime that orjson
    # writes with "Z" (utcnow() warns from Python 3.12 on, where now(UTC) is the cheapest).
    if sys.version_info < (3, 12):
        now = datetime.datetime.utcnow
    else:
        now = functools.partial(datetime.datetime.now, datetime.UTC)
    dumps = orjson.dumps
    opts = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_APPEND_NEWLINE
    out = open(path, "ab")  # noqa: SIM115 - flushed by the timer, closed at exit
    lock = threading.Lock()

    def body(n: int) -> None:
        write = out.write
        for i in range(n):
            line = dumps(
                {
                    "timestamp": now(),
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

    return timed(threads, count, body, out.flush)


#: Eight per-logger rules, none of them covering the logger "bench".
LEVELS = {
    "sqlalchemy.engine": "warning",
    "urllib3": "error",
    "botocore": "warning",
    "app.payments": "debug",
    "app.db": "info",
    "celery": "warning",
    "httpx": "warning",
    "asyncio": "error",
}


def case_filtered(
    path: str, count: int, threads: int, levels: bool = False, own: bool = False
) -> float:
    """*count* calls that write nothing: ``debug`` under ``level="info"`` (with *levels*, eight
    rules configured besides), or, *own*, ``info`` on a logger ``levels=`` puts at WARNING
    under a global DEBUG. The destination must stay empty."""
    import fastlog_core

    target = path + ".filtered"  # the harness expects no file at *path* (no_file)
    if own:
        fastlog_core.configure(sink=target, level="debug", levels={**LEVELS, "bench": "warning"})
    elif levels:
        fastlog_core.configure(sink=target, level="info", levels=LEVELS)
    else:
        fastlog_core.configure(sink=target, level="info")
    log = fastlog_core.get_logger("bench")

    if own:

        def body(n: int) -> None:
            for i in range(n):
                log.info(MESSAGE, user_id=i, ip=IP, ok=True)

    else:

        def body(n: int) -> None:
            for i in range(n):
                log.debug(MESSAGE, user_id=i, ip=IP, ok=True)

    elapsed = timed(threads, count, body, fastlog_core.flush)
    if os.path.getsize(target):
        raise AssertionError(f"a filtered call wrote to {target}")
    return elapsed


BELOW = "fastlog native filtered: below level"
BELOW_LEVELS = "fastlog native filtered: below level, levels= set"
OWN_LEVEL = "fastlog native filtered: below its levels= level"

CASES: dict[str, Case] = {
    "fastlog native": case_fastlog,
    "fastlog native + 5 static_fields": functools.partial(case_fastlog, static=True),
    "fastlog native + 5 bound context fields": functools.partial(case_fastlog, context=True),
    "stdlib + python-json-logger": case_stdlib_pjl,
    "orjson floor": case_orjson_floor,
    BELOW: case_filtered,
    BELOW_LEVELS: functools.partial(case_filtered, levels=True),
    OWN_LEVEL: functools.partial(case_filtered, own=True),
}

if __name__ == "__main__":
    native = ("fastlog native", 1)
    sys.exit(
        main(
            __file__,
            CASES,
            [(name, 1) for name in CASES] + [("fastlog native", 4)],
            [
                (
                    "stdlib + python-json-logger / fastlog native (x faster)",
                    ("stdlib + python-json-logger", 1),
                    native,
                ),
                ("fastlog native / orjson floor (x the floor's cost)", native, ("orjson floor", 1)),
                (
                    "fastlog 1-thread / 4-thread time per record (throughput kept)",
                    native,
                    ("fastlog native", 4),
                ),
                (
                    "5 static_fields / none (x the cost)",
                    ("fastlog native + 5 static_fields", 1),
                    native,
                ),
                (
                    "5 bound context fields / none (x the cost)",
                    ("fastlog native + 5 bound context fields", 1),
                    native,
                ),
                ("filtered with levels= set / without (x the cost)", (BELOW_LEVELS, 1), (BELOW, 1)),
                ("filtered by levels= / below level (x the cost)", (OWN_LEVEL, 1), (BELOW, 1)),
            ],
            description=__doc__.split("\n")[0],
            packages=("fastlog-py", "orjson", "python-json-logger"),
            no_file=(BELOW, BELOW_LEVELS, OWN_LEVEL),
            # Sub-microsecond cases: 500k records keep each measurement near half a second.
            default_count=500_000,
        )
    )
