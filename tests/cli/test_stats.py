"""``fastlog stats`` through the real console script, on a file fastlog wrote."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.cli.helpers import run_fastlog, write_fastlog, write_with

EXPECTED = """\
4 records, 2026-12-07 10:00:00 – 10:00:00 UTC
  layouts: fastlog 4

Levels
  debug    1   25.0%
  info     1   25.0%
  warning  1   25.0%
  error    1   25.0%

Loggers
  app.payments  4  100.0%

Records per second (1s buckets)
  10:00:00 {bar} 4.00/s

Top messages
  1   25.0%  charge failed
  1   25.0%  charge ok
  1   25.0%  lookup
  1   25.0%  slow

Errors
  1  ZeroDivisionError
     first 10:00:00, last 10:00:00
     'division by zero'
"""


def test_text_report(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_fastlog(log)
    done = run_fastlog("stats", "--color", "never", str(log))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == EXPECTED.format(bar="█" * 80)


def test_json_report_and_filters(tmp_path: Path) -> None:
    """``--json`` has the same figures; the filters apply before counting."""
    log = tmp_path / "app.log"
    write_fastlog(log)
    with log.open("ab") as f:
        f.write(b"a line that is not a record\n")
    done = run_fastlog("stats", "--json", str(log))
    assert done.returncode == 0, done.stderr
    report = orjson.loads(done.stdout)
    assert (report["records"], report["text_lines"]) == (4, 1)
    assert report["levels"] == {"debug": 1, "info": 1, "warning": 1, "error": 1}
    assert report["errors"][0]["type"] == "ZeroDivisionError"
    assert report["dropped"]["records"] == 0
    done = run_fastlog("stats", "--json", "-l", "warning", str(log))
    report = orjson.loads(done.stdout)
    assert report["levels"] == {"warning": 1, "error": 1}


def test_unreadable_input_exits_4(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_fastlog(log)
    done = run_fastlog("stats", "--json", str(log), str(tmp_path / "missing.log"))
    assert done.returncode == 4
    assert f"fastlog: {tmp_path / 'missing.log'}: No such file or directory" in done.stderr
    assert orjson.loads(done.stdout)["records"] == 4


HELD_WRITER = """
import threading, fastlog_core

class Held:
    # A file whose first write hangs until the gate opens: the buffer fills, records drop.
    def __init__(self):
        self.file = open({path!r}, "ab")
        self.started, self.gate = threading.Event(), threading.Event()
    def write(self, data):
        self.started.set()
        self.gate.wait()
        self.file.write(data)
    def flush(self):
        self.file.flush()
    def close(self):
        self.file.close()

sink = Held()
fastlog_core.configure(sink=sink, capacity=64 * 1024, max_record_bytes=4096, {options})
log = fastlog_core.get_logger("worker")
log.info("first")
assert sink.started.wait(60)
while fastlog_core.stats()["dropped"] < 1000:  # the writer is held: each call drops at most one
    log.info("job done", job=1)
sink.gate.set()
fastlog_core.shutdown()
"""


@pytest.mark.parametrize(
    ("options", "said", "presets"),
    [
        (
            'preset="fastest"',
            "  1,000 records dropped by the fastest preset (policy=drop) at 10:00:00 in 1 note — "
            "by level: info\n    1,000\n",  # wrapped at the 100 columns of helpers.env()
            {"fastest": 1000},
        ),
        (
            'policy="drop"',  # no preset named
            "  1,000 records dropped by policy=drop at 10:00:00 in 1 note — by level: info 1,000\n",
            {},
        ),
    ],
)
def test_drop_notes_of_the_real_core(
    tmp_path: Path, options: str, said: str, presets: dict[str, int]
) -> None:
    """A pipeline whose destination hangs drops exactly 1,000 records; the core's note says
    so, and stats names the preset that dropped them."""
    log = tmp_path / "app.log"
    write_with(HELD_WRITER.format(path=str(log), options=options))
    notes = [
        n for n in map(orjson.loads, log.read_bytes().splitlines()) if n["logger"] == "fastlog"
    ]
    assert [(n["dropped"], n.get("preset")) for n in notes] == [(1000, next(iter(presets), None))]
    done = run_fastlog("stats", "--color", "never", str(log))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split("\nfastlog notes\n")[1] == said
    done = run_fastlog("stats", "--json", str(log))
    assert orjson.loads(done.stdout)["dropped"] == {
        "records": 1000,
        "notes": 1,
        "first": "2026-12-07T10:00:00Z",
        "last": "2026-12-07T10:00:00Z",
        "by_level": {"info": 1000},
        "policies": {"drop": 1000},
        "presets": presets,
    }
