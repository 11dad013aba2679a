"""loguru and stdlib records in one stream, the examples of docs/loguru.md, exit flush."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

import fastlog_core
from fastlog_loguru import FastlogSink
from fastlog_stdlib import FastlogHandler
from tests.helpers import read_lines

DOCS = Path(__file__).resolve().parents[2] / "docs" / "loguru.md"


def doc_example(name: str) -> str:
    """The python block that follows ``<!-- test: name -->`` in docs/loguru.md."""
    pattern = rf"<!-- test: {re.escape(name)} -->\s*```python\n(.*?)```"
    match = re.search(pattern, DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"no example {name!r} in {DOCS}"
    return match.group(1)


def run_example(
    name: str, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    monkeypatch.chdir(directory)
    exec(compile(doc_example(name), f"docs/loguru.md:{name}", "exec"), {"__name__": "example"})
    assert fastlog_core.flush(timeout=10)
    return read_lines(directory / "app.log")


class TestMixedWithStdlib:
    def test_fastlog_handler_on_the_same_path(self, log_path: Path) -> None:
        """FastlogHandler and FastlogSink on one path: one pipeline, one order, one schema."""
        handler = FastlogHandler(str(log_path))
        std = logging.getLogger("lib.client")
        std.addHandler(handler)
        std.setLevel(logging.INFO)
        std.propagate = False
        sink = FastlogSink(str(log_path))
        logger.add(sink)
        try:
            for i in range(200):
                std.info("std", extra={"i": i})
                logger.bind(i=i).info("loguru")
        finally:
            std.removeHandler(handler)
            std.propagate = True
        assert handler.pipeline is sink.pipeline
        records = read_lines(log_path) if fastlog_core.flush(timeout=10) else []
        assert [(r["logger"], r["i"]) for r in records] == [
            (name, i) for i in range(200) for name in ("lib.client", __name__)
        ]
        assert {tuple(r)[:4] for r in records} == {("timestamp", "level", "logger", "message")}

    def test_doc_example_stdlib_handler(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """docs/loguru.md's "same destination" example runs and writes both records."""
        records = run_example("stdlib-handler", tmp_path, monkeypatch)
        assert [(r["logger"], r["level"], r["message"]) for r in records] == [
            ("urllib3.connectionpool", "warning", "Retrying (1 attempts left)"),
            ("example", "info", "order placed"),
        ]

    def test_doc_example_intercept_handler(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """docs/loguru.md's InterceptHandler recipe routes stdlib records through loguru."""
        records = run_example("intercept", tmp_path, monkeypatch)
        assert [(r["level"], r["message"]) for r in records] == [
            ("warning", "Retrying (1 attempts left)"),
            ("info", "order placed"),
        ]
        retry = records[0]
        assert retry["logger"] == "example"  # loguru names the module that called logging
        assert retry["function"] == "<module>"
        try:
            raise ConnectionError("reset")
        except ConnectionError:
            logging.getLogger("urllib3").exception("request failed")
        (failed,) = read_lines(tmp_path / "app.log")[2:] if fastlog_core.flush(10) else []
        assert failed["level"] == "error"
        assert failed["exception"]["type"] == "ConnectionError"
        assert failed["logger"] == __name__
        assert failed["function"] == "test_doc_example_intercept_handler"

    def test_doc_example_basic(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """docs/loguru.md's first example writes the line the page shows (time aside)."""
        (record,) = run_example("basic", tmp_path, monkeypatch)
        shown = re.search(r"```json\n(\{.*?\})\n```", DOCS.read_text(encoding="utf-8"))
        assert shown
        expected = __import__("json").loads(shown.group(1))
        assert list(record) == list(expected)
        record["timestamp"] = expected["timestamp"]
        record["logger"] = expected["logger"]
        assert record == expected


EXIT_SCRIPT = """
import sys
{imports}
from loguru import logger
logger.remove()
logger.add(FastlogSink({path!r}, flush_interval=60))
for i in range(5000):
    logger.bind(i=i).info("record")
{ending}
"""


@pytest.mark.parametrize(
    "imports",
    [
        "from loguru import logger\nfrom fastlog_loguru import FastlogSink",
        "from fastlog_loguru import FastlogSink\nfrom loguru import logger",
    ],
    ids=["loguru-first", "fastlog-first"],
)
@pytest.mark.parametrize(
    "ending",
    ["pass", "sys.exit(3)", "raise SystemExit('bye')", "raise RuntimeError('crash')"],
    ids=["end", "sys.exit", "SystemExit", "unhandled"],
)
def test_exit_flushes_without_any_call(log_path: Path, imports: str, ending: str) -> None:
    """A program that logs and ends, however it ends, has every record in the file."""
    code = textwrap.dedent(EXIT_SCRIPT).format(imports=imports, path=str(log_path), ending=ending)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert "fastlog:" not in proc.stderr
    assert "Logging error" not in proc.stderr
    records = read_lines(log_path)
    assert [r["i"] for r in records] == list(range(5000))


def test_core_and_adapter_do_not_import_loguru() -> None:
    """The core never imports loguru; the adapter needs it only for type checking."""
    code = "import sys, fastlog_core, fastlog_loguru; print('loguru' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
