"""The examples of docs/sinks.md and docs/sampling.md run and do what the pages say."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from pathlib import Path

import pytest

import fastlog_core
from tests.helpers import read_lines

DOCS = Path(__file__).resolve().parents[2] / "docs"


def example(page: str, name: str) -> str:
    """The python block that follows ``<!-- test: name -->`` in docs/<page>."""
    pattern = rf"<!-- test: {re.escape(name)} -->\s*```python\n(.*?)```"
    match = re.search(pattern, (DOCS / page).read_text(encoding="utf-8"), re.DOTALL)
    assert match is not None, f"no example {name!r} in docs/{page}"
    return match.group(1)


def run(page: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example(page, name), f"docs/{page}:{name}", "exec"), {"__name__": "doc"})
    assert fastlog_core.flush(timeout=10)
    return out.getvalue()


class TestSinksPage:
    def test_pair(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """JSON file with both records; stderr with the warning only, as console text."""
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            run("sinks.md", "pair", tmp_path, monkeypatch)
        assert [r["message"] for r in read_lines(tmp_path / "app.log")] == [
            "charge ok",
            "card expires soon",
        ]
        (line,) = err.getvalue().splitlines()
        assert line.endswith("WARNING  billing  card expires soon  days=9")

    def test_dictconfig(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The dictConfig form: the file has the record, stderr the console line."""
        err = io.StringIO()
        root = logging.getLogger()
        saved = list(root.handlers)
        try:
            with contextlib.redirect_stderr(err):
                run("sinks.md", "dictconfig", tmp_path, monkeypatch)
        finally:
            for handler in list(root.handlers):
                if handler not in saved:
                    root.removeHandler(handler)
        (record,) = read_lines(tmp_path / "app.log")
        assert record["message"] == "slow request" and record["ms"] == 1250
        assert "WARNING  api  slow request  ms=1250" in err.getvalue()
        sink = fastlog_core.get_pipeline([str(tmp_path / "app.log"), "stderr"]).sinks[0]
        assert "rotation" in repr(sink)

    def test_custom(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        run("sinks.md", "custom", tmp_path, monkeypatch)
        (line,) = (tmp_path / "app.csv").read_text().splitlines()
        assert line.endswith("Z,info,hello")


class TestSamplingPage:
    def test_counts(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The printed counts are the ones the page shows; the file has the kept records."""
        printed = run("sampling.md", "counts", tmp_path, monkeypatch)
        shown = re.search(r"# (\d+ \{.*\} \d+)\n", example("sampling.md", "counts"))
        assert shown is not None
        assert printed.strip() == shown.group(1)
        records = read_lines(tmp_path / "app.log")
        assert [r["key"] for r in records if r["level"] == "debug"] == list(range(0, 1000, 10))
        assert sum(r["level"] == "warning" for r in records) == 100
        assert json.loads(json.dumps(fastlog_core.stats()["sampled_by_level"])) == {
            "debug": 900,
            "warning": 400,
        }
