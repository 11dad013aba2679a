"""docs/cli.md shows real output: each ``<!-- cli: NAME -->`` block is run and compared.

A block is a ```` ```console ```` fence whose first line is ``$ fastlog ARGS`` and whose other
lines are the exact output (standard output then standard error), run in a directory holding
the page's fixture files (``write_docs_fixtures``). The page's ```` ```python ```` blocks run
there too.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path

import pytest

from .helpers import FASTLOG, env, write_docs_fixtures

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
CLI = re.compile(
    r"<!-- cli: (?P<name>\S+) -->\n```console\n(?P<body>.*?)^```", re.DOTALL | re.MULTILINE
)
PYTHON = re.compile(r"^```python\n(?P<body>.*?)^```", re.DOTALL | re.MULTILINE)
BLOCKS = {m["name"]: m["body"] for m in CLI.finditer(PAGE.read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs-cli")
    write_docs_fixtures(root)
    return root


def test_the_page_has_its_examples() -> None:
    assert set(BLOCKS) == {
        "view",
        "merge",
        "text-lines",
        "time-fields",
        "fields",
        "nested",
        "since",
        "bad-filter",
        "convert",
        "tail",
        "tail-merge",
        "stats",
        "query",
        "query-csv",
    }


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_cli_block_output_is_real(fixtures: Path, name: str) -> None:
    import subprocess

    command, _, expected = BLOCKS[name].partition("\n")
    assert command.startswith("$ fastlog ")
    done = subprocess.run(
        [str(FASTLOG), *shlex.split(command[len("$ fastlog ") :])],
        cwd=fixtures,
        capture_output=True,
        text=True,
        env=env(),
        timeout=60,
        check=False,
    )
    assert done.stdout + done.stderr == expected


def test_python_blocks_run(fixtures: Path) -> None:
    blocks = [m["body"] for m in PYTHON.finditer(PAGE.read_text(encoding="utf-8"))]
    assert blocks
    here = Path.cwd()
    os.chdir(fixtures)
    try:
        for body in blocks:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(body, str(PAGE), "exec"), {"__name__": "__main__"})
            fields = "{'ms': 812, 'path': '/api/pay'}"
            assert out.getvalue() == (
                f"2026-12-07 09:00:00.125000+00:00 warning app.payments slow {fields}\n"
                f"2026-12-07 10:00:00.250000+00:00 warning app.payments slow {fields}\n"
            )
    finally:
        os.chdir(here)
