"""Type-checked, not run: the pipeline v2 configurations docs/sinks.md, rotation.md,
sampling.md and schemas.md show, as users write them."""

from __future__ import annotations

import datetime
from typing import Any

import fastlog_core
from fastlog_core import ConsoleEncoder, Encoder, FileSink, LogfmtEncoder, MsgpackEncoder, Stats


class CsvEncoder:
    def encode(self, record: dict[str, Any], /) -> bytes:
        return f"{record['level']},{record['message']}\n".encode()


def sinks() -> None:
    fastlog_core.configure(
        sink=[
            "app.log",
            {"sink": "stderr", "level": "warning", "encoder": "console"},
            {"sink": "app.logfmt", "encoder": LogfmtEncoder()},
            {"sink": "app.csv", "encoder": CsvEncoder()},
        ],
        level="info",
    )
    encoder: Encoder = ConsoleEncoder(colors=False)
    packer: Encoder = MsgpackEncoder()
    del encoder, packer


def rotation() -> None:
    sink = FileSink("app.log", rotation="100 MB", retention=10, compression="gz")
    daily = FileSink("app.log", rotation="00:00", retention="7 days")
    hourly = FileSink("app.log", rotation=datetime.timedelta(hours=1))
    sink.reopen()
    fastlog_core.configure(sink=[sink, daily, hourly])
    fastlog_core.configure(sink="app.log", rotation="1 GB", retention=5)
    fastlog_core.handle_sighup()
    fastlog_core.reopen()


def sampling() -> int:
    fastlog_core.configure(
        sink="app.log",
        sample={"debug": 100},
        sample_loggers={"urllib3": 10},
        rate_limit="100/s",
        sample_errors=False,
    )
    stats: Stats = fastlog_core.stats()
    return stats["sampled"] + stats["rate_limited"] + sum(stats["sampled_by_level"].values())


def schemas() -> None:
    fastlog_core.configure(sink="app.log", schema="ecs")
    fastlog_core.configure(sink="app.log", schema={"timestamp": "ts", "level": "severity"})


def static_fields() -> None:
    """docs/platforms/kubernetes.md."""
    from fastlog_core import enrich

    fastlog_core.configure(static_fields="kubernetes")
    fields = enrich.kubernetes(labels=["app.kubernetes.io/name", "team"])
    fastlog_core.configure(static_fields={**fields, "deployment.environment.name": "prod"})
    fastlog_core.configure(sink="app.log", static_fields={"region": "eu", "replicas": 3})
