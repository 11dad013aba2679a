"""docs/platforms/aws.md's Python examples, run as printed against moto's server (the fixture
sets ``AWS_ENDPOINT_URL_CLOUDWATCH_LOGS``; the LocalStack address in the text is replaced by
moto's), and what each logs read back with boto3 in the example's region."""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest

import fastlog_core
from tests.network.test_docs import blocks, rewrite, run
from tests.platforms.moto_logs import MotoLogs
from tests.platforms.test_emf import spec_problems

PAGE = "platforms/aws.md"


def read_back(moto: MotoLogs, region: str, group: str, stream: str) -> list[dict[str, Any]]:
    client = boto3.client(
        "logs",
        endpoint_url=moto.url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    events = client.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    return [orjson.loads(e["message"]) for e in events["events"]]


@pytest.fixture
def here(tmp_path: Path) -> Iterator[Path]:
    """The example's working directory, and stdlib logging restored after: the root's
    handlers and level, every logger's ``disabled`` flag (which dictConfig sets), and no
    logger the example created."""
    before = os.getcwd()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = logging.root.manager.loggerDict
    disabled = {n: lg.disabled for n, lg in loggers.items() if isinstance(lg, logging.Logger)}
    existing = set(loggers)
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        for name, flag in disabled.items():
            logger = loggers.get(name)
            if isinstance(logger, logging.Logger):
                logger.disabled = flag
        # Loggers the example created go too (not a library's, such as botocore's, which its
        # modules hold): a later dictConfig (disable_existing_loggers defaults to True) would
        # disable them for a test that logs with the same name.
        for name in set(loggers) - existing:
            if name.split(".")[0] not in sys.modules:
                del loggers[name]
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
        os.chdir(before)


def test_the_page_has_the_examples_tested_here() -> None:
    assert len(blocks(PAGE)) == 5


def test_constructor_example(moto_logs: MotoLogs, here: Path) -> None:
    run(blocks(PAGE)[0], "aws-1")
    [record] = read_back(moto_logs, "eu-west-1", "/shop/checkout", socket.gethostname())
    assert (record["message"], record["amount"], record["user"]) == ("charge ok", 12.5, "u42")
    assert orjson.loads((here / "app.log").read_bytes()) == record


def test_dictconfig_example(moto_logs: MotoLogs, here: Path) -> None:
    run(blocks(PAGE)[1], "aws-2")
    assert fastlog_core.shutdown(timeout=10)
    records = read_back(moto_logs, "eu-west-1", "/shop/checkout", "web")
    ours = [r for r in records if r["logger"] == "billing"]
    assert [(r["message"], r["amount"]) for r in ours] == [("charge ok", 12.5)]
    # The rest: botocore telling at INFO, from the sink's thread, where it found credentials
    # (the root handler takes every logger's records).
    assert {r["logger"] for r in records} - {"billing"} <= {"botocore.credentials"}
    client = boto3.client("logs", endpoint_url=moto_logs.url, region_name="eu-west-1")
    [group] = client.describe_log_groups()["logGroups"]
    assert group["retentionInDays"] == 30


def test_endpoint_example(
    moto_logs: MotoLogs, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = rewrite(blocks(PAGE)[2], {"http://localhost:4566": moto_logs.url})
    scope = run(code, "aws-3")
    assert scope["sink"].endpoint_url == moto_logs.url
    assert capsys.readouterr().out == f"{moto_logs.url} us-east-1\n"


def test_accounting_example(
    moto_logs: MotoLogs, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(blocks(PAGE)[3], "aws-4")
    assert capsys.readouterr().out == "1 0 0\n"
    assert [r["message"] for r in read_back(moto_logs, "us-east-1", "app", "stats")] == ["counted"]


def test_emf_example(moto_logs: MotoLogs, here: Path) -> None:
    run(blocks(PAGE)[4], "aws-5")
    records = read_back(moto_logs, "eu-west-1", "/shop/metrics", socket.gethostname())
    assert [r["message"] for r in records] == ["orders", "charge_time", "metrics"]
    assert [spec_problems(r) for r in records] == [[], [], []]
    assert records[0]["order_id"] == "o-17" and records[1]["charge_time"] >= 10
    assert records[2]["latency"] == [12.5, 9.75]
