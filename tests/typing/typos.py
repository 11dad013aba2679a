"""Type-checked, not run: a typo in an option's name or value is a type error at every entry point.

Each call below is wrong on purpose and carries ``# type: ignore[<code>]``. ``mypy --strict``
(``warn_unused_ignores``) reports an ignore that silences nothing, so if an entry point stopped
typing its options (``**options: Any``), the ignore would be unused and the type check fails.
"""

from __future__ import annotations

import structlog

import fastlog_core
import fastlog_stdlib
import fastlog_structlog
from fastlog_core import Options
from fastlog_loguru import FastlogSink


def option_name_typos() -> None:
    fastlog_core.configure(sink="app.log", capacty="64 MiB")  # type: ignore[call-arg]
    fastlog_core.get_pipeline("app.log", flush_intervall=0.1)  # type: ignore[call-arg]
    fastlog_core.route("app.log", polcy="drop")  # type: ignore[call-arg]
    fastlog_stdlib.FastlogHandler("app.log", presett="fastest")  # type: ignore[call-arg]
    fastlog_structlog.configure(sink="app.log", sampel={"debug": 10})  # type: ignore[call-arg]
    fastlog_structlog.FastlogLoggerFactory("app.log", rotaion="1 GB")  # type: ignore[call-arg]
    FastlogSink("app.log", retension=5)  # type: ignore[call-arg]


def option_value_typos() -> None:
    fastlog_core.configure(sink="app.log", policy="dorp")  # type: ignore[arg-type]
    fastlog_stdlib.FastlogHandler("app.log", format="jsn")  # type: ignore[arg-type]
    FastlogSink("app.log", compression="zip")  # type: ignore[arg-type]
    fastlog_core.configure(sink=42)  # type: ignore[arg-type]
    fastlog_core.configure(levels=["app"])  # type: ignore[arg-type]


def preset_is_keyword_only() -> None:
    fastlog_core.configure("app.log", "info", "fastest")  # type: ignore[call-arg, arg-type]
    fastlog_core.get_pipeline("app.log", "fastest")  # type: ignore[call-arg]


def options_as_a_dict() -> None:
    options: Options = {"policy": "drop", "capacity": "64 MiB", "schema": "ecs"}
    fastlog_core.configure(sink="app.log", **options)
    structlog.get_logger().info("typed")
    wrong: Options = {"capacity": "1 MiB", "polciy": "drop"}  # type: ignore[typeddict-unknown-key]
    del wrong
