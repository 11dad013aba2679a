"""Pipeline v2 features against the plain single-sink pipeline, in one run.

Same record as bench_core (native API, message + 3 fields). The question each case answers:

- "rotation checked": a ``FileSink`` with ``rotation="1 GB"`` (checked before every batch,
  never reached) against the plain one — the single-sink hot path must not move (<= 5%).
- "fan-out": a second sink with its own level or encoder. Callers encode once, the writer
  re-encodes; "caller" stops the clock when the last call returns, "end to end" when every
  record is written. The writer's work holds the GIL, so on a busy process it shows in the
  callers' time too: that is the price of the second sink, not a change of the single-sink
  path (compare "single sink" across versions for that: docs/sinks.md).
- "sampled away": ``sample={"info": 1_000_000}``, so nearly every call is dropped by the
  sampler: its cost per call against a written record's.
- "schema=ecs": the cost of a platform schema (the dict is reshaped in the caller).

    python benchmarks/bench_pipeline.py            # full: 200k records x 5 rounds
    python benchmarks/bench_pipeline.py --quick    # smoke
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import IP, MESSAGE, Case, main, timed, timed_callers


def _setup(sink: Any, **options: Any) -> Callable[[int], None]:
    import fastlog_core

    fastlog_core.configure(sink=sink, level="info", **options)
    log = fastlog_core.get_logger("bench")

    def body(n: int) -> None:
        for i in range(n):
            log.info(MESSAGE, user_id=i, ip=IP, ok=True)

    return body


def _end_to_end(sink: Any, count: int, threads: int, **options: Any) -> float:
    import fastlog_core

    return timed(threads, count, _setup(sink, **options), fastlog_core.flush)


def _caller(sink: Any, count: int, threads: int, **options: Any) -> float:
    import fastlog_core

    return timed_callers(threads, count, _setup(sink, **options), fastlog_core.flush)


def case_single(path: str, count: int, threads: int) -> float:
    return _end_to_end(path, count, threads)


def case_single_caller(path: str, count: int, threads: int) -> float:
    return _caller(path, count, threads)


def case_rotation(path: str, count: int, threads: int) -> float:
    return _end_to_end({"sink": path, "rotation": "1 GB", "retention": 5}, count, threads)


def _fan(path: str, level: str) -> list[Any]:
    return [path, {"sink": path + ".logfmt", "level": level, "encoder": "logfmt"}]


def case_fan_warning_caller(path: str, count: int, threads: int) -> float:
    return _caller(_fan(path, "warning"), count, threads)


def case_fan_warning(path: str, count: int, threads: int) -> float:
    return _end_to_end(_fan(path, "warning"), count, threads)


def case_fan_all_caller(path: str, count: int, threads: int) -> float:
    return _caller(_fan(path, "debug"), count, threads)


def case_fan_all(path: str, count: int, threads: int) -> float:
    return _end_to_end(_fan(path, "debug"), count, threads)


def case_sampled(path: str, count: int, threads: int) -> float:
    # Another file: the harness's line count check does not apply (records are dropped).
    return _end_to_end(path + ".sampled", count, threads, sample={"info": 1_000_000})


def case_schema_ecs(path: str, count: int, threads: int) -> float:
    return _end_to_end(path, count, threads, schema="ecs")


SINGLE = "single sink"
SINGLE_CALLER = "single sink (caller)"
ROTATION = "single sink, rotation checked"
FAN_WARN_CALLER = "fan-out + logfmt at WARNING (caller)"
FAN_WARN = "fan-out + logfmt at WARNING (end to end)"
FAN_ALL_CALLER = "fan-out + logfmt, all records (caller)"
FAN_ALL = "fan-out + logfmt, all records (end to end)"
SAMPLED = "sampled away (1 in 1M kept)"
ECS = "schema=ecs"

CASES: dict[str, Case] = {
    SINGLE: case_single,
    SINGLE_CALLER: case_single_caller,
    ROTATION: case_rotation,
    FAN_WARN_CALLER: case_fan_warning_caller,
    FAN_WARN: case_fan_warning,
    FAN_ALL_CALLER: case_fan_all_caller,
    FAN_ALL: case_fan_all,
    SAMPLED: case_sampled,
    ECS: case_schema_ecs,
}

if __name__ == "__main__":
    one = (SINGLE, 1)
    sys.exit(
        main(
            __file__,
            CASES,
            [(name, 1) for name in CASES],
            [
                ("rotation checked / single sink (<= 1.05)", (ROTATION, 1), one),
                (
                    "fan-out at WARNING, caller / single sink, caller",
                    (FAN_WARN_CALLER, 1),
                    (SINGLE_CALLER, 1),
                ),
                (
                    "fan-out all, caller / single sink, caller",
                    (FAN_ALL_CALLER, 1),
                    (SINGLE_CALLER, 1),
                ),
                ("fan-out at WARNING, end to end / single sink", (FAN_WARN, 1), one),
                ("fan-out all, end to end / single sink", (FAN_ALL, 1), one),
                ("sampled-away call / written record (< 1)", (SAMPLED, 1), one),
                ("schema=ecs / default schema", (ECS, 1), one),
            ],
            description=__doc__.split("\n")[0],
            packages=("fastlog-py", "orjson"),
            no_file=(SAMPLED,),
        )
    )
