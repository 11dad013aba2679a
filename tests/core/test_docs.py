"""The examples of docs/sinks.md and docs/sampling.md run and do what the pages say (they write
other formats than JSON: tests/test_doc_examples.py runs the JSON-only pages)."""

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

    def test_one_destination(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The rule's example runs as printed: the identical and bare handlers share, the
        conflicting one fails naming rotation and both values, configure() replaces it and
        app.log holds the note then the record, as the page shows."""
        namespace: dict[str, object] = {"__name__": "doc"}
        monkeypatch.chdir(tmp_path)
        exec(compile(example("sinks.md", "one-destination"), "docs/sinks.md", "exec"), namespace)
        assert fastlog_core.flush(timeout=10)
        path = tmp_path / "app.log"
        assert namespace["error"] == (
            f"FastlogHandler: sink={str(path)!r} already has other settings, given by "
            "configure(): rotation='100 MB' vs '1 GB' (its value vs the one asked here). Give "
            "the same options, or none to share them; fastlog_core.configure() replaces them"
        )
        note, record = read_lines(path)
        assert note["changed"] == {"rotation": ["100 MB", "1 GB"]}
        assert note["message"] == (
            f"configure() changed the settings of {path} (given by configure()): "
            "rotation='100 MB' -> '1 GB'"
        )
        assert (record["logger"], record["message"]) == ("app", "started")
        assert "rotation='1 GB'" in repr(fastlog_core.get_pipeline(str(path)).sinks[0])

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
