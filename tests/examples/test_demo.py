"""examples/demo.py (``python3 dev.py demo``) run as a user runs it: its output line by line.

The demo runs in a subprocess with few records and rounds, writing into tmp_path (``--dir``);
standard error is merged into standard output, as on a terminal, so the place of fastlog's
report of the deliberately bad record is checked too. The speeds vary: their lines are matched
by pattern, every other line exactly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import orjson

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"
RECORDS, ROUNDS = 300, 2
# Run in the demo's process before the demo: python-json-logger cannot be imported.
WITHOUT_PJL = """\
import runpy, sys
sys.modules["pythonjsonlogger"] = None
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_demo(directory: Path, *, pjl: bool = True) -> list[str]:
    """The demo's output lines (stdout and stderr, as they interleave)."""
    args = [str(DEMO), "--records", str(RECORDS), "--rounds", str(ROUNDS), "--dir", str(directory)]
    prefix = [] if pjl else ["-c", WITHOUT_PJL]
    done = subprocess.run(
        [sys.executable, *prefix, *args],
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout.decode(errors="replace")
    return done.stdout.decode().splitlines()


def records_part(lines: list[str], directory: Path) -> list[str]:
    """Checks parts 1 and 2 of the output exactly; the lines after them."""
    path = directory / "examples.log"
    on_disk = path.read_text(encoding="utf-8").splitlines()
    assert lines[:10] == [
        "fastlog demo: records through fastlog's native API, the lines it wrote, what it",
        "counted, then fastlog and stdlib logging side by side on this machine.",
        "",
        f"== 1. Five records through the native API, to {path}",
        "Fields, a bound field, a context() field, an exception, then a bad record.",
        "The next record is deliberately bad: an object whose repr() raises, an int beyond 64",
        "bits and a field named 'level'. fastlog still writes one valid line (repaired, marked",
        "fastlog_error), counts the error, and reports it once on stderr:",
        "fastlog: encoding: a record could not be serialized as given (TypeError: Type is not "
        "JSON serializable: Unprintable (RuntimeError: this object cannot be printed))",
        "",
    ]
    assert lines[10] == "== The lines of examples.log, exactly as written:"
    # The file's own bytes, not a re-encoding of them.
    assert lines[11:16] == on_disk and len(on_disk) == 5
    records = [orjson.loads(line) for line in on_disk]
    assert [(r["level"], r["message"]) for r in records] == [
        ("info", "charge ok"),
        ("warning", "slow upstream"),
        ("info", "inside a context"),
        ("error", "charge failed"),
        ("error", "bad input still logs"),
    ]
    assert records[4]["value"] == "<unrepresentable Unprintable: RuntimeError>"
    assert records[4]["big"] == str(2**80) and records[4]["fields.level"] == "spoofed"
    assert records[4]["fastlog_error"].startswith("TypeError: Type is not JSON serializable")
    assert lines[16:23] == [
        "",
        "== 2. What fastlog counted (fastlog_core.stats()):",
        "records_written: 5",
        "errors: 1",
        'errors_by_kind: {"encoding": 1}',
        "dropped: 0",
        "lost: 0",
    ]
    assert lines[23] in ("speedups: true", "speedups: false")
    return lines[24:]


def check_side_by_side(lines: list[str], directory: Path, notice: list[str], base: str) -> None:
    """Part 3: the header, *notice*, one line per contender with its speed and ratio."""
    assert lines[: 3 + len(notice)] == [
        "",
        f"== 3. Side by side on this machine: {RECORDS} records each (message + 3 fields),",
        f"to a file, the clock stopped when all are written; the median of {ROUNDS} rounds",
        *notice,
    ]
    rows = lines[3 + len(notice) : 6 + len(notice)]
    labels = [base, "stdlib logging + fastlog's FastlogHandler", "fastlog native API"]
    width = max(map(len, labels))
    for row, label in zip(rows, labels, strict=True):
        match = re.fullmatch(rf"{re.escape(label):<{width}}  +[\d,]+ records/s +(\d+\.\d)x", row)
        assert match is not None, row
        assert label != base or match[1] == "1.0", row
    assert lines[6 + len(notice) :] == [
        f"every file has its {RECORDS} lines",
        "The whole comparison, with more libraries and processes: python3 dev.py bench",
    ]
    files = sorted(p.name for p in directory.glob("bench-*.log"))
    assert files == [f"bench-{i}-round-{n}.log" for i in (1, 2, 3) for n in (1, 2)]
    for name in files:
        lines_on_disk = (directory / name).read_bytes().splitlines()
        assert len(lines_on_disk) == RECORDS, name
        assert orjson.loads(lines_on_disk[-1])["user_id"] == RECORDS - 1


class TestDemo:
    def test_with_python_json_logger(self, tmp_path: Path) -> None:
        """The records and their lines as on disk, the counts, then python-json-logger,
        FastlogHandler and the native API side by side, each file complete."""
        rest = records_part(run_demo(tmp_path), tmp_path)
        check_side_by_side(rest, tmp_path, [], "stdlib logging + python-json-logger")

    def test_without_python_json_logger(self, tmp_path: Path) -> None:
        """Without python-json-logger the demo says so and how to get it, installs nothing,
        and compares with stdlib's own Formatter writing JSON with json.dumps."""
        rest = records_part(run_demo(tmp_path, pjl=False), tmp_path)
        notice = [
            "python-json-logger is not installed (the demo installs nothing): the baseline is",
            "stdlib's own logging.Formatter writing JSON with json.dumps. For python-json-logger",
            "itself: pip install python-json-logger (python3 dev.py bench installs it), rerun.",
        ]
        base = "stdlib logging + logging.Formatter (json.dumps)"
        check_side_by_side(rest, tmp_path, notice, base)
        first = orjson.loads((tmp_path / "bench-1-round-1.log").read_bytes().splitlines()[0])
        assert list(first) == ["timestamp", "level", "logger", "message", "user_id", "ip", "ok"]
