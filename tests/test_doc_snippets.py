"""Every ```` ```python ```` block of README.md and docs/**/*.md runs as pasted.

A reader pastes a page's blocks one after another into one interpreter, so a block may use the
names an earlier block of the same page defined. Each page runs that way here: its blocks in
order, in one fresh Python process (``__name__ == "__main__"``), in an empty temporary directory
as the working directory, with only ``PYTHONPATH`` pointing at this checkout's ``src``. A page
fails with the number of the block that raised (1 for the page's first ```` ```python ````
block) and the error.

A block that must not run here is marked right before its fence with an HTML comment, invisible
on the site::

    <!-- no-run: REASON -->

``REASON`` says why: a server that runs until stopped, a cloud account, or a loopback receiver
that a fixture-based test provides. When that test runs the block, the reason names the test
file (``tests/network/test_docs.py``), which must exist. The other markers of the pages
(``<!-- test: NAME -->``, ``<!-- output: NAME -->``, ...) are for the stronger tests that check
what an example writes; they do not stop a block from running here.

``SKIPPED`` holds the number of no-run blocks of every page that has any, so a new marker (or a
page losing one) is a deliberate change of this file, never a block that quietly stopped
running.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(
    r"^(?:<!-- no-run: (?P<reason>[^\n]*?) -->\n)?(?:<!-- [a-z-]+: [^\n]*-->\n)*"
    r"```python\n(?P<body>.*?)^```",
    re.DOTALL | re.MULTILINE,
)
# A file the page tells the reader to create (tests/test_doc_examples.py's marker).
FILE = re.compile(
    r"^<!-- file: (?P<name>\S+) -->\n```[\w-]*\n(?P<body>.*?)^```", re.DOTALL | re.MULTILINE
)
TEST_FILE = re.compile(r"\btests/[\w/]+\.py\b")

#: The number of ```python blocks marked no-run, by page.
SKIPPED = {
    "docs/cli.md": 1,
    "docs/network/http.md": 7,
    "docs/network/otlp.md": 3,
    "docs/network/syslog.md": 1,
    "docs/platforms/aws.md": 4,
    "docs/platforms/datadog.md": 2,
    "docs/scaling.md": 2,
}

# Run in the page's process: the blocks (from a JSON file) in order in one namespace; on the
# first error, the block's number and the traceback on stderr, exit status 1.
HARNESS = """\
import json, sys, traceback
steps = json.load(open(sys.argv[1], encoding="utf-8"))
namespace = {"__name__": "__main__", "__builtins__": __builtins__}
for number, label, code, file_name in steps:
    if file_name:
        with open(file_name, "w", encoding="utf-8") as file:
            file.write(code)
        continue
    try:
        exec(compile(code, label, "exec"), namespace)
    except BaseException:
        sys.stdout.flush()
        print(f"\\n@@ {label} failed:", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
print(f"@@ {sum(1 for step in steps if not step[3])} blocks ran", file=sys.stderr)
"""


@dataclass
class Block:
    number: int
    line: int
    code: str
    reason: str | None


def blocks(page: Path) -> list[Block]:
    """The ```python blocks of *page*, numbered from 1, with their no-run reason if marked."""
    text = page.read_text(encoding="utf-8")
    return [
        Block(number, text.count("\n", 0, match.start("body")) + 1, match["body"], match["reason"])
        for number, match in enumerate(FENCE.finditer(text), 1)
    ]


def steps(page: Path) -> list[tuple[int, str, str, str]]:
    """What a reader does on *page*, in the page's order: run each block that is not marked
    no-run, and create each file the page gives (``<!-- file: NAME -->``) where it gives it.

    Each step is (block number, label, code or file text, file name or "").
    """
    text = page.read_text(encoding="utf-8")
    where = {match.start(): match for match in FILE.finditer(text)}
    for block, match in zip(blocks(page), FENCE.finditer(text), strict=True):
        if block.reason is None:
            where[match.start()] = block
    found: list[tuple[int, str, str, str]] = []
    for _, item in sorted(where.items(), key=lambda pair: pair[0]):
        if isinstance(item, Block):
            name = f"{label(page)} block {item.number} (line {item.line})"
            found.append((item.number, name, item.code, ""))
        else:
            found.append((0, "", item["body"], item["name"]))
    return found


def label(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


PAGES_WITH_BLOCKS = [page for page in PAGES if blocks(page)]


def test_every_fence_is_found() -> None:
    """Each ```python fence is a block; each no-run marker stands right before one."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert len(re.findall(r"^```python$", text, re.MULTILINE)) == len(blocks(page)), label(page)
        markers = len(re.findall(r"<!-- no-run:", text))
        marked = sum(block.reason is not None for block in blocks(page))
        assert markers == marked, f"{label(page)}: a no-run marker is not right before a block"


def test_skipped_counts() -> None:
    """The no-run blocks per page are exactly those SKIPPED lists; a reason naming a test
    file names one that exists and reads the page."""
    counts = {}
    for page in PAGES_WITH_BLOCKS:
        marked = [block for block in blocks(page) if block.reason is not None]
        if marked or label(page) in SKIPPED:
            counts[label(page)] = len(marked)
        for block in marked:
            assert block.reason, f"{label(page)} block {block.number}: no reason given"
            for name in TEST_FILE.findall(block.reason or ""):
                test = ROOT / name
                assert test.is_file(), f"{label(page)} block {block.number}: no {name}"
                stem = Path(label(page)).stem
                assert stem in test.read_text(encoding="utf-8"), f"{name} never reads {stem}"
    assert counts == SKIPPED


@pytest.mark.parametrize("page", PAGES_WITH_BLOCKS, ids=label)
def test_page_runs_as_pasted(page: Path, tmp_path: Path) -> None:
    """The page's blocks, but the no-run ones, run in order in one fresh process."""
    runnable = steps(page)
    work = tmp_path / "cwd"
    work.mkdir()
    script = tmp_path / "blocks.json"
    script.write_text(json.dumps(runnable), encoding="utf-8")
    # The reader's environment: none of the suite's settings but the one that keeps the gcp
    # schema from asking a metadata server (tests/conftest.py).
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FASTLOG_", "PYTHON")) or key == "FASTLOG_GCP_METADATA"
    }
    env["PYTHONPATH"] = str(ROOT / "src")
    done = subprocess.run(
        [sys.executable, "-c", HARNESS, str(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        # From the harness's line naming the block: its traceback, without the output before.
        report = done.stderr[done.stderr.rfind("\n@@ ") + 1 :]
        pytest.fail(report[-4000:], pytrace=False)
    # A block that ended the process early (os._exit) would skip the others silently.
    ran = sum(1 for step in runnable if not step[3])
    assert done.stderr.splitlines()[-1:] == [f"@@ {ran} blocks ran"], done.stderr[-4000:]
    reports = [line for line in done.stderr.splitlines() if line.startswith("fastlog: ")]
    assert reports == [], "fastlog reported errors:\n" + "\n".join(reports)
