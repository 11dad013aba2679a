"""The marked examples of the README and of the getting-started, troubleshooting, migration,
architecture, structlog and rotation pages run as printed (those of docs/sinks.md and
docs/sampling.md, which write other formats than JSON, in tests/core/test_docs.py).

A page marks what the test uses with HTML comments, invisible on the site:

- ``<!-- test: NAME -->`` before a ```` ```python ```` block: an example. It is executed as a
  script (``__name__ == "__main__"``) in an empty temporary directory; fastlog, structlog and
  loguru are reset before and after it, stdlib ``logging`` and the signal handlers restored.
- ``<!-- output: NAME [FILE] -->`` before a ```` ```json ```` block: the lines example NAME
  writes to FILE (``app.log`` unless given; ``stdout`` for the standard output), one record per
  line. The records written must have the same keys (as sets: the order of contextvars
  fields is not stable across runs), and the same ``level``, ``logger`` and ``message`` where
  the page shows them.
- ``<!-- file: NAME -->`` before any fenced block: a file the page tells the reader to create
  (``logging.ini``, ``logging.yaml``). It is written into the directory before each example of
  that page runs.

Every example must write at least one record; every line it writes, to any file it creates or
to stdout, must be a JSON object; and it must not make fastlog report an internal error.
"""

from __future__ import annotations

import dataclasses
import gzip
import logging
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import fastlog_core
import fastlog_stdlib
from fastlog_core import _signals
from tests.helpers import reset_loguru, reset_structlog

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: Pages that must have examples; every other page of docs/migrate/ is run too if it has any.
REQUIRED = [
    ROOT / "README.md",
    DOCS / "index.md",
    DOCS / "troubleshooting.md",
    *(DOCS / "migrate" / f"{host}.md" for host in ("stdlib", "loguru", "structlog")),
    DOCS / "architecture.md",
    DOCS / "structlog.md",
    DOCS / "rotation.md",
]
PAGES = sorted({*REQUIRED, *(DOCS / "migrate").glob("*.md")})
MARKER = re.compile(
    r"<!-- (?P<kind>test|output|file): (?P<name>\S+)(?: (?P<arg>\S+))? -->\s*\n"
    r"```(?P<lang>[\w-]*)\n(?P<body>.*?)^```",
    re.DOTALL | re.MULTILINE,
)
SHOWN_VALUES = ("level", "logger", "message")


@dataclasses.dataclass
class Page:
    path: Path
    examples: dict[str, str] = dataclasses.field(default_factory=dict)
    outputs: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    files: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def label(self) -> str:
        """The page's path from the repository's root (``README.md``, ``docs/sinks.md``)."""
        return self.path.relative_to(ROOT).as_posix()


def parse(path: Path) -> Page:
    """The examples, expected outputs and input files marked on the page at *path*."""
    page = Page(path)
    for match in MARKER.finditer(path.read_text(encoding="utf-8")):
        kind, name, body = match["kind"], match["name"], match["body"]
        if kind == "test":
            assert match["lang"] == "python", f"{page.label}: example {name!r} is not python"
            assert name not in page.examples, f"{page.label}: two examples named {name!r}"
            page.examples[name] = body
        elif kind == "output":
            assert name not in page.outputs, f"{page.label}: two outputs for {name!r}"
            page.outputs[name] = (match["arg"] or "app.log", body)
        else:
            page.files[name] = body
    return page


def all_examples() -> list[Any]:
    return [
        pytest.param(page, name, id=f"{page.label}:{name}")
        for page in map(parse, PAGES)
        for name in page.examples
    ]


@pytest.fixture(autouse=True)
def _isolated_hosts() -> Iterator[None]:
    """structlog, loguru, stdlib logging and the signal handlers as they were, after each example.

    fastlog itself is reset by tests/conftest.py.
    """
    manager = logging.root.manager
    saved = {
        name: (lg.level, list(lg.handlers), lg.propagate, lg.disabled)
        for name, lg in [("", logging.root), *manager.loggerDict.items()]
        if isinstance(lg, logging.Logger)
    }
    signals = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    sigterm_state = (_signals._signals_wanted, _signals._installed_sigterm)
    reset_structlog()
    reset_loguru()
    yield
    reset_structlog()
    reset_loguru()
    fastlog_stdlib.restore()
    for name, lg in [("", logging.root), *list(manager.loggerDict.items())]:
        if not isinstance(lg, logging.Logger):
            continue
        # A logger the example created goes back to a blank one; dictConfig may also have
        # disabled or reconfigured loggers that existed before.
        level, handlers, propagate, disabled = saved.get(name, (logging.NOTSET, [], True, False))
        for handler in list(lg.handlers):
            if handler not in handlers:
                lg.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in lg.handlers:
                lg.addHandler(handler)
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled
    for sig, handler in signals.items():
        signal.signal(sig, handler)
    _signals._signals_wanted, _signals._installed_sigterm = sigterm_state


def json_lines(data: bytes, where: str) -> list[dict[str, Any]]:
    """Every line of *data* parsed as a JSON object; fails naming *where* otherwise."""
    records = []
    for number, line in enumerate(data.splitlines(), 1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            pytest.fail(f"{where}, line {number} is not JSON: {line[:200]!r}")
        assert isinstance(record, dict), f"{where}, line {number} is not an object"
        records.append(record)
    return records


def run(
    page: Page, name: str, directory: Path, capfd: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """Run example *name* of *page* in *directory*: the records of each output, by file name."""
    for file_name, text in page.files.items():
        (directory / file_name).write_text(text, encoding="utf-8")
    code = compile(page.examples[name], f"{page.label}:{name}", "exec")
    capfd.readouterr()
    exec(code, {"__name__": "__main__"})
    assert fastlog_core.flush(timeout=10), "fastlog could not write everything"
    out, err = capfd.readouterr()
    assert "fastlog: " not in err, f"fastlog reported an internal error:\n{err}"
    written: dict[str, Any] = {"stdout": json_lines(out.encode(), "stdout")}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if relative in page.files:
            continue
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        assert data == b"" or data.endswith(b"\n"), f"{relative}: last line is not whole"
        written[relative] = json_lines(data, relative)
    return written


def test_every_page_has_examples() -> None:
    """The getting-started, troubleshooting and migration pages have examples; every output
    refers to one of them."""
    for page in map(parse, PAGES):
        assert page.examples or page.path not in REQUIRED, f"{page.label}: no example"
        for name in page.outputs:
            assert name in page.examples, f"{page.label}: output for unknown {name!r}"


def test_every_block_after_a_marker_is_found() -> None:
    """A marker the pattern does not understand (typo, no fence after it) fails loudly."""
    for page in map(parse, PAGES):
        text = page.path.read_text(encoding="utf-8")
        markers = re.findall(r"<!-- (?:test|output|file):", text)
        found = len(page.examples) + len(page.outputs) + len(page.files)
        assert found == len(markers), f"{page.label}: a marker is not followed by a block"


@pytest.mark.parametrize(("page", "name"), all_examples())
# troubleshooting.md's fork example forks this (threaded) process, as the page shows; 3.12+
# warns about that in general, and the example is written for it (the child flushes, _exits).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_example(
    page: Page,
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The example runs, writes valid JSON lines, and the lines the page shows."""
    monkeypatch.chdir(tmp_path)
    written = run(page, name, tmp_path, capfd)
    assert sum(map(len, written.values())) >= 1, "the example wrote no record"
    if name not in page.outputs:
        return
    file_name, shown = page.outputs[name]
    expected = json_lines(shown.encode(), f"{page.label} output {name!r}")
    assert file_name in written, f"the example wrote no {file_name}"
    records = written[file_name]
    assert [sorted(r) for r in records] == [sorted(e) for e in expected]
    for record, shown_record in zip(records, expected, strict=True):
        for key in SHOWN_VALUES:
            if key in shown_record:
                assert record[key] == shown_record[key], key
