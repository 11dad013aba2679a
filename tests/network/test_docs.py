"""The network pages' Python examples (docs/network.md, docs/scaling.md, docs/network/syslog.md,
docs/network/http.md) run as printed but for the addresses: each host in the text is replaced by
a live fixture's (rsyslog, ClickHouse, the OTLP or the scripted HTTP receiver), each directory
by a temporary one, and what each example logs is read back from the receiving side.
docs/network/otlp.md's examples run in tests/network/test_otlp.py (``TestDocs``).

An example that only constructs a sink (the HTTP page's per-service lines) is constructed and
closed: its options are checked as a user's would be.
"""

from __future__ import annotations

import itertools
import logging
import logging.config
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import fastlog_core
from tests.helpers import read_lines
from tests.network.clickhouse import WRITER_PASSWORD, ClickHouse
from tests.network.otlp import OTLPReceiver
from tests.network.receiver import Receiver
from tests.network.rsyslog import Rsyslog, make_certificates

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
_apps = itertools.count(1)


def blocks(page: str) -> list[str]:
    """The ```python blocks of docs/*page*, in order."""
    return BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))


def rewrite(code: str, replacements: dict[str, str]) -> str:
    """*code* with each key replaced by its value; every key must occur (a page that changed
    its example fails here, not by silently testing something else)."""
    for old, new in replacements.items():
        assert old in code, f"{old!r} is no longer in the example:\n{code}"
        code = code.replace(old, new)
    return code


def run(code: str, name: str) -> dict[str, Any]:
    """Execute *code* as a script; its globals."""
    scope: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(code, name, "exec"), scope)
    return scope


@pytest.fixture
def here(tmp_path: Path) -> Iterator[Path]:
    """The example's working directory (its ``app.log``), and stdlib logging restored after."""
    before = os.getcwd()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
        os.chdir(before)


@pytest.fixture
def app() -> str:
    return f"docs-{next(_apps)}"


class TestNetworkPage:
    def test_dictconfig_with_a_syslog_url(self, rsyslog: Rsyslog, here: Path, app: str) -> None:
        """A FastlogHandler fanning out to a file and to rsyslog named by URL, with a spill."""
        [code] = blocks("network.md")
        code = rewrite(
            code,
            {
                "127.0.0.1:514": f"127.0.0.1:{rsyslog.tcp}",
                '"app_name": "web"': f'"app_name": "{app}"',
                "/var/spool/app": str(here / "spool"),
            },
        )
        logging.config.dictConfig(run(code, "network.md")["LOGGING"])
        logging.getLogger("docs.shop").info("order placed", extra={"order": 7})
        assert fastlog_core.flush(timeout=20)
        [got] = rsyslog.wait_for(app, 1)
        assert (got["fields"]["message"], got["fields"]["order"]) == ("order placed", 7)
        [line] = read_lines(here / "app.log")
        assert (line["logger"], line["message"], line["order"]) == ("docs.shop", "order placed", 7)


class TestScalingPage:
    def test_rotated_file(self, here: Path) -> None:
        code = blocks("scaling.md")[0]
        run(code, "scaling.md:1")
        fastlog_core.get_logger("app").info("rotated")
        assert fastlog_core.flush()
        assert [r["message"] for r in read_lines(here / "app.log")] == ["rotated"]

    def test_file_and_a_collector(self, otlp_receiver: OTLPReceiver, here: Path) -> None:
        code = rewrite(blocks("scaling.md")[1], {"http://localhost:4318": otlp_receiver.url})
        run(code, "scaling.md:2")
        fastlog_core.get_logger("billing").info("charged", amount=3)
        assert fastlog_core.flush(timeout=20)
        (record,) = otlp_receiver.wait_records(1)
        assert record.resource["service.name"] == "billing"
        assert (record.body, record.attributes) == ("charged", {"amount": 3})
        assert [r["message"] for r in read_lines(here / "app.log")] == ["charged"]

    def test_straight_to_the_store_with_a_spill(self, receiver: Receiver, here: Path) -> None:
        code = rewrite(
            blocks("scaling.md")[2],
            {
                "https://logs.example.com": receiver.url,
                "/var/spool/billing-logs": str(here / "spool"),
            },
        )
        run(code, "scaling.md:3")
        for i in range(3):
            fastlog_core.get_logger("billing").info("charged", n=i)
        assert fastlog_core.flush(timeout=20)
        [request] = receiver.requests
        assert request.path.startswith("/insert/jsonline?_msg_field=message")
        assert [line.count(b'"charged"') for line in receiver.lines()] == [1, 1, 1]
        assert (here / "spool").is_dir()


class TestSyslogPage:
    def test_native_api(self, rsyslog: Rsyslog, here: Path, app: str) -> None:
        code = rewrite(
            blocks("network/syslog.md")[0],
            {
                "tcp://logs.internal:514": rsyslog.url("tcp"),
                'app_name="billing"': f'app_name="{app}"',
            },
        )
        run(code, "syslog.md:1")
        assert fastlog_core.flush(timeout=20)
        [got] = rsyslog.wait_for(app, 1)
        assert (got["facility"], got["severity"]) == ("16", "4")  # local0, warning
        assert (got["fields"]["message"], got["fields"]["code"]) == ("card declined", 51)

    def test_sink_dict(self, rsyslog: Rsyslog, here: Path, app: str) -> None:
        code = rewrite(
            blocks("network/syslog.md")[1],
            {
                "logs.internal:514": f"127.0.0.1:{rsyslog.tcp}",
                '"app_name": "billing"': f'"app_name": "{app}"',
            },
        )
        fastlog_core.configure(sink=eval(code))  # the block is a bare dict
        fastlog_core.get_logger("billing").error("by url")
        assert fastlog_core.flush(timeout=20)
        [got] = rsyslog.wait_for(app, 1)
        assert (got["facility"], got["severity"], got["fields"]["message"]) == (
            "16", "3", "by url",
        )  # fmt: skip


class TestHTTPPage:
    def clickhouse_code(self, code: str, clickhouse: ClickHouse, table: str, here: Path) -> str:
        replacements = {"http://clickhouse:8123/": clickhouse.url + "/", '"logs"': f'"{table}"'}
        if "auth=" in code:
            replacements['("writer", "secret")'] = f'("writer", "{WRITER_PASSWORD}")'
        if "/var/spool" in code:
            replacements["/var/spool/app/clickhouse"] = str(here / "spool")
        return rewrite(code, replacements)

    def test_native_api_to_clickhouse(self, clickhouse: ClickHouse, here: Path) -> None:
        table = clickhouse.table()
        code = self.clickhouse_code(blocks("network/http.md")[0], clickhouse, table, here)
        run(code, "http.md:1")
        assert fastlog_core.flush(timeout=30)
        rows = clickhouse.rows(f"SELECT logger, message, amount, user FROM {table}")
        assert rows == [
            {"logger": "billing", "message": "charge ok", "amount": 12.5, "user": "u42"}
        ]
        assert [r["message"] for r in read_lines(here / "app.log")] == ["charge ok"]

    def test_dictconfig_to_clickhouse(self, clickhouse: ClickHouse, here: Path) -> None:
        table = clickhouse.table()
        code = self.clickhouse_code(blocks("network/http.md")[1], clickhouse, table, here)
        logging.config.dictConfig(run(code, "http.md:2")["LOGGING"])
        # A logger no earlier test made: the page's dictConfig disables existing ones.
        logging.getLogger("docs.clickhouse").info("sold", extra={"seq": 5, "amount": 2.5})
        assert fastlog_core.flush(timeout=30)
        rows = clickhouse.rows(f"SELECT logger, message, seq, amount FROM {table}")
        assert rows == [{"logger": "docs.clickhouse", "message": "sold", "seq": "5", "amount": 2.5}]

    def test_each_service_line_constructs(self, here: Path) -> None:
        """The per-service lines: each a valid sink (its options checked), closed unused."""
        ca = make_certificates(here)["ca"]
        lines = blocks("network/http.md")[2:]
        assert len(lines) == 6
        for i, text in enumerate(lines, start=3):
            shown = text.replace("/etc/es/ca.crt", str(ca)).splitlines()
            code = "\n".join(line for line in shown if not line.startswith("#")).strip()
            scope = run(f"from fastlog_core import HTTPSink\nsink = {code}", f"http.md:{i}")
            scope["sink"].close()
