"""``fastlog stats`` through the real console script, on a file fastlog wrote."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.cli.helpers import run_fastlog, write_fastlog

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
