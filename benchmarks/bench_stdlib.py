"""stdlib ``logging`` through FastlogHandler against the usual JSON setups and stdlib's floor.

Same record for all: ``logger.info("user logged in", extra={user_id, ip, ok})`` to a file.
python-json-logger and FastlogFormatter get the same ``fmt``
(``"%(asctime)s %(levelname)s %(name)s %(message)s"``) on the same ``logging.FileHandler``.

    python benchmarks/bench_stdlib.py            # full: 200k records x 5 rounds
    python benchmarks/bench_stdlib.py --quick    # smoke

Cases marked "(optimize)" run after ``fastlog_stdlib.optimize()`` (stdlib's documented speed
switches: no caller lookup, no thread/process names); all others use stdlib's defaults.
"""

from __future__ import annotations

import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import IP, MESSAGE, Case, main, timed


def _logger(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger("bench")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def _body(logger: logging.Logger):  # type: ignore[no-untyped-def]
    def body(n: int) -> None:
        for i in range(n):
            logger.info(MESSAGE, extra={"user_id": i, "ip": IP, "ok": True})

    return body


def _pjl():  # type: ignore[no-untyped-def]
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")


def case_fastlog(path: str, count: int, threads: int, optimize: bool = False) -> float:
    import fastlog_stdlib

    handler = fastlog_stdlib.FastlogHandler(path, optimize=optimize)
    return timed(threads, count, _body(_logger(handler)), handler.flush)


def case_fastlog_optimized(path: str, count: int, threads: int) -> float:
    return case_fastlog(path, count, threads, optimize=True)


def case_pjl_file(path: str, count: int, threads: int) -> float:
    handler = logging.FileHandler(path)
    handler.setFormatter(_pjl())
    return timed(threads, count, _body(_logger(handler)), handler.flush)


def case_formatter(path: str, count: int, threads: int, pjl_compatible: bool = False) -> float:
    from fastlog_stdlib import FastlogFormatter

    handler = logging.FileHandler(path)
    handler.setFormatter(
        FastlogFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s", pjl_compatible=pjl_compatible
        )
    )
    return timed(threads, count, _body(_logger(handler)), handler.flush)


def case_formatter_pjl_compatible(path: str, count: int, threads: int) -> float:
    return case_formatter(path, count, threads, pjl_compatible=True)


def case_pjl_queue(path: str, count: int, threads: int) -> float:
    import logging.handlers
    import queue

    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    target = logging.FileHandler(path)
    target.setFormatter(_pjl())
    listener = logging.handlers.QueueListener(q, target)
    listener.start()
    logger = _logger(logging.handlers.QueueHandler(q))

    def done() -> None:  # all records on disk: stop drains the queue, then restart
        listener.stop()
        target.flush()
        listener.start()

    try:
        return timed(threads, count, _body(logger), done)
    finally:
        listener.stop()


def case_picologging(path: str, count: int, threads: int) -> float:
    import picologging

    handler = picologging.FileHandler(path)
    logger = picologging.getLogger("bench")
    logger.addHandler(handler)
    logger.setLevel(picologging.INFO)

    def body(n: int) -> None:
        for i in range(n):
            logger.info(MESSAGE, extra={"user_id": i, "ip": IP, "ok": True})

    return timed(threads, count, body, handler.flush)


class _NoOp(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        pass


def case_noop(path: str, count: int, threads: int, optimize: bool = False) -> float:
    if optimize:
        import fastlog_stdlib

        fastlog_stdlib.optimize()
    return timed(threads, count, _body(_logger(_NoOp())), lambda: None)


def case_noop_optimized(path: str, count: int, threads: int) -> float:
    return case_noop(path, count, threads, optimize=True)


CASES: dict[str, Case] = {
    "FastlogHandler": case_fastlog,
    "FastlogHandler (optimize)": case_fastlog_optimized,
    "python-json-logger + FileHandler": case_pjl_file,
    "FastlogFormatter + FileHandler": case_formatter,
    "FastlogFormatter(pjl_compatible) + FileHandler": case_formatter_pjl_compatible,
    "python-json-logger + QueueHandler/Listener": case_pjl_queue,
    "picologging FileHandler (text)": case_picologging,
    "no-op handler (stdlib floor)": case_noop,
    "no-op handler (optimize)": case_noop_optimized,
}

if __name__ == "__main__":
    fast, fast_opt = ("FastlogHandler", 1), ("FastlogHandler (optimize)", 1)
    pjl = ("python-json-logger + FileHandler", 1)
    sys.exit(
        main(
            __file__,
            CASES,
            [(name, 1) for name in CASES] + [(name, 4) for name in CASES],
            [
                ("python-json-logger + FileHandler / FastlogHandler", pjl, fast),
                ("python-json-logger + FileHandler / FastlogHandler (optimize)", pjl, fast_opt),
                (
                    "python-json-logger + FileHandler / FastlogFormatter + FileHandler",
                    pjl,
                    ("FastlogFormatter + FileHandler", 1),
                ),
                (
                    "python-json-logger + FileHandler / FastlogFormatter(pjl_compatible)",
                    pjl,
                    ("FastlogFormatter(pjl_compatible) + FileHandler", 1),
                ),
                (
                    "python-json-logger + QueueHandler / FastlogHandler",
                    ("python-json-logger + QueueHandler/Listener", 1),
                    fast,
                ),
                (
                    "picologging FileHandler / FastlogHandler",
                    ("picologging FileHandler (text)", 1),
                    fast,
                ),
                (
                    "4 threads: python-json-logger + FileHandler / FastlogHandler",
                    (pjl[0], 4),
                    ("FastlogHandler", 4),
                ),
                (
                    "4 threads: QueueHandler / FastlogHandler",
                    ("python-json-logger + QueueHandler/Listener", 4),
                    ("FastlogHandler", 4),
                ),
            ],
            description=__doc__.split("\n")[0],
            packages=("fastlog-py", "orjson", "python-json-logger", "picologging"),
            no_file=("no-op handler (stdlib floor)", "no-op handler (optimize)"),
        )
    )
