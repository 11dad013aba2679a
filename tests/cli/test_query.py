"""``fastlog query`` through the real console script: SQL over files fastlog wrote."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.cli.helpers import run_fastlog, write_fastlog


def test_group_by_as_a_table(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_fastlog(log)
    done = run_fastlog(
        "query", "SELECT level, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1", str(log)
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "level    n\n-------  -\ndebug    1\nerror    1\ninfo     1\nwarning  1\n"
    )


def test_fields_across_schemas_as_csv_and_json(tmp_path: Path) -> None:
    """One view over a default-schema file and an ECS one; nested fields by JSON path."""
    default, ecs = tmp_path / "app.log", tmp_path / "worker.log"
    write_fastlog(default)
    write_fastlog(ecs, "ecs", when="2026-12-07T09:00:00+00:00")
    sql = (
        "SELECT level, message, fields->>'order_id' AS order_id FROM logs "
        "WHERE fields->>'order_id' IS NOT NULL ORDER BY time, message"
    )
    done = run_fastlog("query", "--format", "csv", sql, str(default), str(ecs))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "level,message,order_id",
        "error,charge failed,1",
        "info,charge ok,1234",
        "error,charge failed,1",
        "info,charge ok,1234",
    ]
    done = run_fastlog(
        "query", "--format", "json", "SELECT count(*) AS n FROM logs", str(default), str(ecs)
    )
    assert [orjson.loads(line) for line in done.stdout.splitlines()] == [{"n": 8}]


def test_bad_sql_and_missing_file(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_fastlog(log)
    done = run_fastlog("query", "SELEC x", str(log))
    assert done.returncode == 2
    assert done.stderr.startswith('fastlog: Parser Error: syntax error at or near "SELEC"')
    assert "Traceback" not in done.stderr
    done = run_fastlog("query", "SELECT 1", str(tmp_path / "missing.log"))
    assert done.returncode == 4  # as view: an input could not be read
    assert "missing.log" in done.stderr
