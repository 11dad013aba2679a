"""``fastlog query``'s engine: the ``logs`` view over files really written by fastlog (every
schema) and by structlog, loguru and python-json-logger, read by DuckDB."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from fastlog_read._query import (
    INSTALL_HINT,
    QueryError,
    QueryResult,
    format_result,
    logs_view_sql,
    run_query,
    write_result,
)

SRC = Path(__file__).resolve().parents[2] / "src"
LAYOUTS = ("default", "ecs", "gcp", "datadog", "otel", "structlog", "loguru", "pjl")

#: Writes the same three records (info with nested fields, warning, error with a traceback)
#: with fastlog in each schema and with each peer, at one fixed instant.
WRITER = textwrap.dedent(
    """
    import datetime, logging, sys, time_machine
    out = sys.argv[1]
    T = datetime.datetime(2026, 12, 7, 10, 2, 3, 456789, tzinfo=datetime.timezone.utc)
    with time_machine.travel(T, tick=False):
        import fastlog_core
        for schema in ("default", "ecs", "gcp", "datadog", "otel"):
            fastlog_core.configure(sink=f"{out}/{schema}.log", schema=schema, level="debug")
            log = fastlog_core.get_logger("app.payments")
            log.info("charge ok", order_id=1234, user={"id": 42})
            log.warning("slow query", ms=812)
            try:
                1 / 0
            except ZeroDivisionError:
                log.exception("charge failed", order_id=1235)
            fastlog_core.shutdown()
        import structlog
        with open(f"{out}/structlog.log", "w") as f:
            structlog.configure(
                processors=[
                    structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.dict_tracebacks,
                    structlog.processors.JSONRenderer(),
                ],
                logger_factory=structlog.PrintLoggerFactory(f),
            )
            slog = structlog.get_logger()
            slog.info("charge ok", order_id=1234, user={"id": 42})
            slog.warning("slow query", ms=812)
            try:
                1 / 0
            except ZeroDivisionError:
                slog.exception("charge failed", order_id=1235)
        from loguru import logger
        logger.remove()
        logger.add(f"{out}/loguru.log", serialize=True, level="DEBUG")
        logger.bind(order_id=1234, user={"id": 42}).info("charge ok")
        logger.bind(ms=812).warning("slow query")
        try:
            1 / 0
        except ZeroDivisionError:
            logger.bind(order_id=1235).exception("charge failed")
        logger.remove()
        from pythonjsonlogger.json import JsonFormatter
        handler = logging.FileHandler(f"{out}/pjl.log")
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        plog = logging.getLogger("app.payments")
        plog.addHandler(handler)
        plog.setLevel(logging.DEBUG)
        plog.propagate = False
        plog.info("charge ok", extra={"order_id": 1234, "user": {"id": 42}})
        plog.warning("slow query", extra={"ms": 812})
        try:
            1 / 0
        except ZeroDivisionError:
            plog.exception("charge failed", extra={"order_id": 1235})
        handler.close()
    """
)

#: Logs faster than the writer can write with the ``fastest`` preset (policy=drop) and a tiny
#: buffer, in the ECS schema: the drop notes are in fastlog's default layout among ECS records.
DROPPER = textwrap.dedent(
    """
    import sys, fastlog_core
    fastlog_core.configure(
        sink=sys.argv[1], preset="fastest", capacity=64 * 1024, max_record_bytes=4096,
        schema=sys.argv[2],
    )
    log = fastlog_core.get_logger("worker")
    for i in range(int(sys.argv[3])):
        log.info("job done", job=i)
    fastlog_core.shutdown()
    """
)


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "TZ": "UTC"}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layouts")
    subprocess.run([sys.executable, "-c", WRITER, str(out)], env=_env(), check=True, timeout=120)
    return out


def _files(root: Path, *names: str) -> list[Path]:
    return [root / f"{name}.log" for name in names]


def _table(sql: str, paths: list[Path], **options: object) -> str:
    return format_result(run_query(sql, paths), **options)  # type: ignore[arg-type]


COLUMNS = (
    "SELECT layout, time, level, levelno, logger, message, exception_type,"
    " fields->>'order_id' AS order_id, fields->'user'->>'id' AS user_id, fields->>'ms' AS ms"
    " FROM logs ORDER BY levelno"
)


class TestLogsView:
    @pytest.mark.parametrize("layout", ["default", "ecs", "gcp", "datadog", "otel"])
    def test_fastlog_schemas_normalised(self, written: Path, layout: str) -> None:
        """Every schema fastlog writes reads back as the same columns, nested fields included."""
        name = "fastlog" if layout == "default" else layout
        pad = max(len(name), len("layout"))
        assert _table(COLUMNS, _files(written, layout)) == (
            f"{'layout':{pad}}  time                         level    levelno  logger        "
            "message        exception_type     order_id  user_id  ms\n"
            f"{'-' * pad}  ---------------------------  -------  -------  ------------  "
            "-------------  -----------------  --------  -------  ----\n"
            f"{name:{pad}}  2026-12-07 10:02:03.456789Z  info          20  app.payments  "
            "charge ok      NULL               1234      42       NULL\n"
            f"{name:{pad}}  2026-12-07 10:02:03.456789Z  warning       30  app.payments  "
            "slow query     NULL               NULL      NULL     812\n"
            f"{name:{pad}}  2026-12-07 10:02:03.456789Z  error         40  app.payments  "
            "charge failed  ZeroDivisionError  1235      NULL     NULL\n"
        )

    def test_structlog_json_renderer(self, written: Path) -> None:
        """structlog's JSONRenderer (dict tracebacks, no logger name): event, level, type."""
        result = run_query(COLUMNS, _files(written, "structlog"))
        assert [row[:7] for row in result.rows] == [
            ("structlog", result.rows[0][1], "info", 20, None, "charge ok", None),
            ("structlog", result.rows[0][1], "warning", 30, None, "slow query", None),
            ("structlog", result.rows[0][1], "error", 40, None, "charge failed",
             "ZeroDivisionError"),
        ]  # fmt: skip
        assert [row[7:] for row in result.rows] == [
            ("1234", "42", None),
            (None, None, "812"),
            ("1235", None, None),
        ]
        assert str(result.rows[0][1]) == "2026-12-07 10:02:03.456789+00:00"

    def test_loguru_serialize(self, written: Path) -> None:
        """loguru's serialize=True: level name, record.name as logger, extra as the fields."""
        assert _table(COLUMNS, _files(written, "loguru")) == (
            "layout  time                         level    levelno  logger    message        "
            "exception_type     order_id  user_id  ms\n"
            "------  ---------------------------  -------  -------  --------  -------------  "
            "-----------------  --------  -------  ----\n"
            "loguru  2026-12-07 10:02:03.456789Z  info          20  __main__  charge ok      "
            "NULL               1234      42       NULL\n"
            "loguru  2026-12-07 10:02:03.456789Z  warning       30  __main__  slow query     "
            "NULL               NULL      NULL     812\n"
            "loguru  2026-12-07 10:02:03.456789Z  error         40  __main__  charge failed  "
            "ZeroDivisionError  1235      NULL     NULL\n"
        )

    def test_python_json_logger(self, written: Path) -> None:
        """python-json-logger's asctime (naive, comma, millisecond: read as UTC), levelname,
        name, and the exception type from the exc_info text's last line."""
        assert _table(COLUMNS, _files(written, "pjl")) == (
            "layout  time                         level    levelno  logger        message      "
            "  exception_type     order_id  user_id  ms\n"
            "------  ---------------------------  -------  -------  ------------  -------------"
            "  -----------------  --------  -------  ----\n"
            "pjl     2026-12-07 10:02:03.456000Z  info          20  app.payments  charge ok    "
            "  NULL               1234      42       NULL\n"
            "pjl     2026-12-07 10:02:03.456000Z  warning       30  app.payments  slow query   "
            "  NULL               NULL      NULL     812\n"
            "pjl     2026-12-07 10:02:03.456000Z  error         40  app.payments  charge failed"
            "  ZeroDivisionError  1235      NULL     NULL\n"
        )

    def test_group_by_level_over_every_layout(self, written: Path) -> None:
        """One group-by over the eight files together: each layout's levels read alike."""
        sql = "SELECT level, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1"
        assert _table(sql, _files(written, *LAYOUTS)) == (
            "level    n\n-------  -\nerror    8\ninfo     8\nwarning  8\n"
        )

    def test_nested_fields_and_whole_record(self, written: Path) -> None:
        """Nested fields by JSON path, and `record` is the line as written (ECS's dotted key)."""
        sql = (
            "SELECT fields->>'$.user.id' AS uid, record->>'log.level' AS raw_level,"
            " record->'log'->>'logger' AS raw_logger FROM logs WHERE message = 'charge ok'"
        )
        assert run_query(sql, _files(written, "ecs")).rows == [("42", "info", "app.payments")]

    def test_file_column_gz_and_several_files(self, written: Path, tmp_path: Path) -> None:
        """A .gz file is read transparently, several files at once, `file` names the source."""
        packed = tmp_path / "app.log.1.gz"
        packed.write_bytes(gzip.compress((written / "default.log").read_bytes()))
        sql = "SELECT file, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1"
        result = run_query(sql, [packed, written / "otel.log"])
        assert result.rows == sorted([(str(packed), 3), (str(written / "otel.log"), 3)])

    def test_text_lines_are_ignored_and_counted(self, written: Path, tmp_path: Path) -> None:
        """Text lines, a JSON array and a truncated line are not rows of `logs`; counted."""
        mixed = tmp_path / "mixed.log"
        lines = (written / "default.log").read_bytes().splitlines(keepends=True)
        mixed.write_bytes(
            b"starting up\n" + lines[0] + b"[1, 2]\n" + lines[1] + b'{"level": "inf\n' + lines[2]
        )
        result = run_query("SELECT message FROM logs ORDER BY levelno", [mixed], count_skipped=True)
        assert result.rows == [("charge ok",), ("slow query",), ("charge failed",)]
        assert result.skipped == 3
        assert run_query("SELECT 1 AS one", [mixed]).skipped is None

    def test_stdin(self, written: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """`-` reads standard input (through a temporary file, removed afterwards)."""
        data = (written / "gcp.log").read_bytes()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        before = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("fastlog-query-*"))
        result = run_query("SELECT level FROM logs ORDER BY levelno", ["-"])
        assert result.rows == [("info",), ("warning",), ("error",)]
        assert set(Path(os.environ.get("TMPDIR", "/tmp")).glob("fastlog-query-*")) == before

    def test_drop_notes_in_an_ecs_file(self, tmp_path: Path) -> None:
        """fastlog's drop notes are in its default layout among ECS records: both are rows, and
        the records written plus the records the notes say were dropped are all the records."""
        path = tmp_path / "ecs.log"
        subprocess.run(
            [sys.executable, "-c", DROPPER, str(path), "ecs", "100000"],
            env=_env(),
            check=True,
            timeout=120,
        )
        sql = """
            SELECT
                count(*) FILTER (WHERE layout = 'ecs' AND message = 'job done') AS written,
                coalesce(sum((fields->>'dropped')::BIGINT)
                         FILTER (WHERE layout = 'fastlog' AND logger = 'fastlog'), 0) AS dropped,
                count(*) FILTER (WHERE layout NOT IN ('ecs', 'fastlog')) AS other
            FROM logs"""
        [(written_count, dropped, other)] = run_query(sql, [path]).rows
        assert written_count + dropped == 100_000
        assert other == 0
        lines = path.read_bytes().splitlines()
        notes = [orjson.loads(line) for line in lines if line.startswith(b'{"timestamp"')]
        assert sum(note["dropped"] for note in notes) == dropped


class TestErrors:
    def test_sql_error_is_a_clean_message(self, written: Path) -> None:
        """Bad SQL: DuckDB's message and caret, exit code 2, no traceback."""
        with pytest.raises(QueryError) as caught:
            run_query("SELEC level FROM logs", _files(written, "default"))
        assert caught.value.exit_code == 2
        assert caught.value.message == (
            'Parser Error: syntax error at or near "SELEC"\n\nLINE 1: SELEC level FROM logs\n'
            "        ^^^^^"
        )

    def test_unknown_column(self, written: Path) -> None:
        """A column `logs` lacks: DuckDB's binder message, exit code 2."""
        with pytest.raises(QueryError) as caught:
            run_query("SELECT nope FROM logs", _files(written, "default"))
        assert caught.value.exit_code == 2
        assert caught.value.message.startswith(
            'Binder Error: Referenced column "nope" not found in FROM clause!'
        )

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing input: exit code 4 (as view's unreadable input), naming it."""
        with pytest.raises(QueryError) as caught:
            run_query("SELECT 1", [tmp_path / "nope.log"])
        assert (caught.value.exit_code, caught.value.message) == (
            4,
            f"{tmp_path / 'nope.log'}: no such file",
        )

    def test_duckdb_missing(self, written: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without DuckDB: exit code 3 and the pip command."""
        monkeypatch.setitem(sys.modules, "duckdb", None)
        with pytest.raises(QueryError) as caught:
            run_query("SELECT 1", _files(written, "default"))
        assert caught.value.exit_code == 3
        assert caught.value.message == INSTALL_HINT
        assert INSTALL_HINT == 'fastlog query needs DuckDB: pip install "fastlog-py[cli]"'

    def test_import_does_not_load_duckdb(self) -> None:
        """Importing the module (and building the view's SQL) loads no DuckDB."""
        code = (
            "import sys, fastlog_read._query as q; q.logs_view_sql(['a.log']);"
            " print('duckdb' in sys.modules)"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True
        )
        assert done.stdout == "False\n"

    def test_quotes_in_paths(self, written: Path, tmp_path: Path) -> None:
        """A file name with a quote is a literal in the view's SQL, not an injection."""
        odd = tmp_path / "it's.log"
        odd.write_bytes((written / "default.log").read_bytes())
        assert "'it''s.log'" in logs_view_sql([odd]).replace(str(tmp_path) + "/", "")
        assert run_query("SELECT count(*) AS n FROM logs", [odd]).rows == [(3,)]


RESULT = QueryResult(
    ["level", "n", "share", "note"],
    [("error", 41211, 0.04, None), ("info", 832000, 0.8, "a\nb"), ("warning", 7, None, "x")],
)


class TestFormats:
    def test_table(self) -> None:
        """Aligned, numbers right-aligned, NULL spelled out, newlines shown as ⏎."""
        assert format_result(RESULT) == (
            "level         n  share  note\n"
            "-------  ------  -----  ----\n"
            "error     41211   0.04  NULL\n"
            "info     832000    0.8  a⏎b\n"
            "warning       7   NULL  x\n"
        )

    def test_table_cut_to_width(self) -> None:
        """The widest column is cut (…) until the table fits the width."""
        long = QueryResult(["message", "n"], [("x" * 30, 1), ("short", 22)])
        assert format_result(long, width=16) == (
            "message        n\n------------  --\nxxxxxxxxxxx…   1\nshort         22\n"
        )

    def test_csv(self) -> None:
        """CSV with a header, NULL as an empty cell, quoting as the csv module does."""
        assert format_result(RESULT, "csv") == (
            'level,n,share,note\nerror,41211,0.04,\ninfo,832000,0.8,"a\nb"\nwarning,7,,x\n'
        )

    def test_json_lines(self) -> None:
        """One JSON object per row, NULL as null."""
        assert format_result(RESULT, "json") == (
            '{"level":"error","n":41211,"share":0.04,"note":null}\n'
            '{"level":"info","n":832000,"share":0.8,"note":"a\\nb"}\n'
            '{"level":"warning","n":7,"share":null,"note":"x"}\n'
        )

    def test_json_times_and_write(self, written: Path) -> None:
        """Timestamps as RFC 3339 UTC in JSON; write_result() writes to a stream."""
        out = io.StringIO()
        result = run_query("SELECT time, level FROM logs WHERE levelno = 40", [
            written / "otel.log"
        ])  # fmt: skip
        write_result(result, out, "json")
        assert out.getvalue() == '{"time":"2026-12-07T10:02:03.456789Z","level":"error"}\n'

    def test_unknown_format(self) -> None:
        """A format that does not exist is refused with the accepted ones."""
        with pytest.raises(ValueError, match="expected 'table', 'csv' or 'json'"):
            format_result(RESULT, "xml")  # type: ignore[arg-type]


class TestSpellings:
    def test_levels_times_and_exception_texts(self, tmp_path: Path) -> None:
        """OTel's INFO2 and WARN, FATAL, GCP's DEFAULT, level-N, epoch and naive times, and the
        exception type from a traceback text (structlog's format_exc_info, GCP's stack_trace)."""
        path = tmp_path / "mixed.log"
        trace = r"Traceback (most recent call last):\n  File \"x.py\"\nboto.Timeout: slow\n"  # JSON
        path.write_text(
            "\n".join(
                [
                    '{"Timestamp":"1796637723000000000","SeverityText":"INFO2","Body":"a"}',
                    '{"Timestamp":"1796637723000000000","SeverityText":"WARN","Body":"b"}',
                    '{"timestamp":1796637723.5,"level":"FATAL","event":"c"}',
                    '{"severity":"DEFAULT","time":"2026-12-07T10:02:03Z","message":"d"}',
                    '{"timestamp":"2026-12-07T10:02:03","level":"level-35","event":"e"}',
                    f'{{"event":"f","level":"error","exception":"{trace}"}}',
                    f'{{"severity":"ERROR","message":"g","stack_trace":"{trace}"}}',
                ]
            )
            + "\n"
        )
        sql = "SELECT message, level, levelno, time, exception_type, layout FROM logs"
        assert format_result(run_query(sql, [path])) == (
            "message  level     levelno  time                         exception_type  layout\n"
            "-------  --------  -------  ---------------------------  --------------  ---------\n"
            "a        info           20  2026-12-07 10:02:03.000000Z  NULL            otel\n"
            "b        warning        30  2026-12-07 10:02:03.000000Z  NULL            otel\n"
            "c        critical       50  2026-12-07 10:02:03.500000Z  NULL            structlog\n"
            "d        NULL         NULL  2026-12-07 10:02:03.000000Z  NULL            gcp\n"
            "e        level-35       35  2026-12-07 10:02:03.000000Z  NULL            structlog\n"
            "f        error          40  NULL                         boto.Timeout    structlog\n"
            "g        error          40  NULL                         boto.Timeout    gcp\n"
        )

    def test_nothing_printed(self, written: Path, capfd: pytest.CaptureFixture[str]) -> None:
        """DuckDB's progress bar is off: a query writes nothing to the terminal itself."""
        run_query("SELECT count(*) FROM logs", _files(written, *LAYOUTS))
        assert capfd.readouterr() == ("", "")


def test_naive_stamps_read_in_the_local_zone(tmp_path: Path) -> None:
    """``local_zone`` is the zone of naive stamps only; aware ones keep their offset."""
    import duckdb

    log = tmp_path / "mixed.log"
    log.write_text(
        '{"asctime": "2026-12-07 15:30:00,250", "levelname": "INFO", "message": "pjl"}\n'
        '{"event": "naive", "level": "info", "timestamp": "2026-12-07T15:30:00"}\n'
        '{"event": "z", "level": "info", "timestamp": "2026-12-07T10:00:00Z"}\n'
        '{"event": "offset", "level": "info", "timestamp": "2026-12-07T15:30:00+05:30"}\n'
        '{"event": "short", "level": "info", "timestamp": "2026-12-07T11:00:00+01"}\n'
        '{"event": "epoch", "level": "info", "timestamp": 1796637600.5}\n'
    )
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    for statement in logs_view_sql([log], local_zone="Asia/Kolkata").split(";\n"):
        connection.execute(statement)
    rows = connection.execute("SELECT message, strftime(time, '%H:%M:%S.%f') FROM logs").fetchall()
    assert rows == [
        ("pjl", "10:00:00.250000"),
        ("naive", "10:00:00.000000"),
        ("z", "10:00:00.000000"),
        ("offset", "10:00:00.000000"),
        ("short", "10:00:00.000000"),
        ("epoch", "10:00:00.500000"),
    ]
    connection.close()
