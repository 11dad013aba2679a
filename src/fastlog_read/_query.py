"""``fastlog query``: SQL over log files through DuckDB.

DuckDB reads the files itself (gzip included), each line as one JSON value, which is several
times faster than feeding it records parsed in Python. A view, ``logs``, normalises the layouts
fastlog reads (fastlog's default, ECS, GCP, Datadog, OTel, structlog, loguru,
python-json-logger) to the same columns, row by row: a file can mix layouts (fastlog's own
notes are always in its default layout, whatever the schema of the records around them).

DuckDB is an optional dependency (the ``cli`` extra), imported only when a query runs.
"""

from __future__ import annotations

import datetime
import decimal
import io
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TextIO

import orjson

__all__ = [
    "QueryError",
    "QueryResult",
    "format_result",
    "logs_view_sql",
    "run_query",
    "write_result",
]

INSTALL_HINT = 'fastlog query needs DuckDB: pip install "fastlog-py[cli]"'

Format = Literal["table", "csv", "json"]


class QueryError(Exception):
    """A query that could not run; ``exit_code`` is what the command line exits with.

    4: an input file cannot be read; 2: the SQL is wrong (DuckDB's message, as is) or no input;
    3: DuckDB is not installed.
    """

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class QueryResult:
    """What a query returned: the column names and the rows, in order.

    ``skipped`` counts the input lines that are not JSON objects (text, a traceback printed into
    the log, a truncated line): they are not in ``logs``. It is ``None`` unless asked for
    (counting them reads the files once more).
    """

    columns: list[str]
    rows: list[tuple[Any, ...]]
    skipped: int | None = None


def _paths(*paths: str) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


# Each column's candidate keys, in the order the layouts are tried: one json_extract_string()
# with a list of paths parses a line once for the column, where one `->>` per key parsed it per
# key (several times slower on a 1 GB file). A column the query does not use is not extracted.
_TIME_PATHS = _paths(
    "$.timestamp",  # fastlog, datadog, structlog (ISO, or epoch seconds with fmt=None)
    '$."@timestamp"',  # ecs
    "$.time",  # gcp
    "$.asctime",  # python-json-logger
    "$.Timestamp",  # otel: nanoseconds, a decimal string
    "$.record.time.timestamp",  # loguru: epoch seconds
)
_LEVEL_PATHS = _paths(
    "$.level", '$."log.level"', "$.log.level", "$.severity", "$.SeverityText",
    "$.record.level.name", "$.levelname", "$.status",
)  # fmt: skip
_LOGGER_PATHS = _paths(
    "$.logger", '$."log.logger"', "$.log.logger", '$."logger.name"', "$.logger.name",
    '$."logging.googleapis.com/labels".python_logger', "$.InstrumentationScope.Name",
    "$.record.name", "$.name",
)  # fmt: skip
_MESSAGE_PATHS = _paths("$.message", "$.event", "$.Body", "$.record.message", "$.msg")
_EXCEPTION_PATHS = _paths(
    "$.exception.type", "$.error.type", '$."error.type"', '$."error.kind"',
    '$.Attributes."exception.type"', "$.record.exception.type", "$.exception[#-1].exc_type",
    # tracebacks as text (gcp, python-json-logger, structlog's format_exc_info): the type is
    # the last line's `Name:`
    "$.stack_trace", "$.exc_info", "$.exception",
)  # fmt: skip
_TRACE_PATHS = _paths(
    "$.trace.id", '$."trace.id"', '$."logging.googleapis.com/trace"', '$."dd.trace_id"',
    "$.dd.trace_id", "$.TraceId", "$.trace_id",
)  # fmt: skip
# Keys only one layout writes, for `layout` (as the reading layer's detection, line by line).
_LAYOUT_PATHS = _paths(
    "$.record", "$.text", "$.SeverityText", "$.SeverityNumber", '$."log.level"', "$.severity",
    "$.levelname", "$.level", "$.event", "$.status", "$.message",
)  # fmt: skip
# Where each layout keeps the user's fields: loguru in record.extra, OTel in Attributes.
_FIELDS_PATHS = _paths("$.record.extra", "$.Attributes")

_LEVEL_RAW = "coalesce(lv[1], lv[2], lv[3], lv[4], lv[5], lv[6], lv[7], lv[8])"
# Spellings read back as fastlog's names: OTel's INFO2..4, WARN and FATAL (Python's too),
# GCP's DEFAULT (no severity).
_OTEL_SUFFIX = "'^(trace|debug|info|warn|error|fatal)[234]$', '\\1'"
_LEVEL = f"""CASE regexp_replace(lower({_LEVEL_RAW}), {_OTEL_SUFFIX})
            WHEN 'warn' THEN 'warning'
            WHEN 'fatal' THEN 'critical'
            WHEN 'default' THEN NULL
            ELSE regexp_replace(lower({_LEVEL_RAW}), {_OTEL_SUFFIX})
        END"""

_LEVELNO = """CASE level
        WHEN 'trace' THEN 5 WHEN 'debug' THEN 10 WHEN 'info' THEN 20 WHEN 'success' THEN 25
        WHEN 'notice' THEN 25 WHEN 'warning' THEN 30 WHEN 'error' THEN 40
        WHEN 'critical' THEN 50 WHEN 'alert' THEN 60 WHEN 'emergency' THEN 70
        ELSE try_cast(regexp_extract(level, '^level-(\\d+)$', 1) AS INTEGER)
    END"""


def _iso(text: str, zone: str) -> str:
    """SQL: *text* (an ISO string) as TIMESTAMPTZ; a naive one is local time in *zone*."""
    # As fastlog_read.parse_line(): a naive stamp (python-json-logger's asctime, structlog's
    # utc=False) is the writer's local time, read with the reading machine's zone.
    # ends_with first: the common `...Z` stamp skips the regular expression.
    return f"""CASE WHEN ends_with({text}, 'Z')
                  OR regexp_matches({text}, ':\\d\\d([.,]\\d+)?(z|[+-]\\d\\d(:?\\d\\d)?)$')
                THEN try_cast({text} AS TIMESTAMPTZ)
                ELSE timezone({zone}, try_cast({text} AS TIMESTAMP)) END"""


def _time(zone: str) -> str:
    """SQL: the record's time, as TIMESTAMPTZ, from the candidates ``tv``."""
    return f"""coalesce(
            {_iso("tv[1]", zone)},
            {_iso("tv[2]", zone)},
            {_iso("tv[3]", zone)},
            {_iso("replace(tv[4], ',', '.')", zone)},
            make_timestamp(try_cast(tv[5] AS BIGINT) // 1000)::TIMESTAMPTZ,
            to_timestamp(try_cast(tv[6] AS DOUBLE)),
            to_timestamp(try_cast(tv[1] AS DOUBLE))
        )"""


_EXCEPTION_TYPE = r"""coalesce(
            ev[1], ev[2], ev[3], ev[4], ev[5], ev[6], ev[7],
            nullif(regexp_extract(coalesce(ev[8], ev[9], ev[10]),
                   '(?:^|\n)([A-Za-z_][A-Za-z0-9_.]*)(?::[^\n]*)?\s*$', 1), '')
        )"""

_LAYOUT = """CASE
            WHEN ky[1] IS NOT NULL AND ky[2] IS NOT NULL THEN 'loguru'
            WHEN ky[3] IS NOT NULL OR ky[4] IS NOT NULL THEN 'otel'
            WHEN ky[5] IS NOT NULL THEN 'ecs'
            WHEN ky[6] IS NOT NULL THEN 'gcp'
            WHEN ky[7] IS NOT NULL THEN 'pjl'
            WHEN ky[8] IS NOT NULL AND ky[9] IS NOT NULL THEN 'structlog'
            WHEN ky[8] IS NOT NULL AND json_keys(j)[1] = 'timestamp' THEN 'fastlog'
            WHEN ky[10] IS NOT NULL AND ky[11] IS NOT NULL THEN 'datadog'
            ELSE 'json'
        END"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def logs_view_sql(paths: Sequence[str | os.PathLike[str]], *, local_zone: str = "UTC") -> str:
    """The SQL that creates the views ``lines`` (every line) and ``logs`` over *paths*.

    ``logs`` has one row per JSON object line, with the columns ``time`` (TIMESTAMPTZ, UTC),
    ``level`` (fastlog's lower-case names), ``levelno``, ``logger``, ``message``,
    ``exception_type``, ``trace_id``, ``layout``, ``fields`` (JSON: where the layout keeps the
    user's fields: the whole line but for loguru's ``record.extra`` and OTel's ``Attributes``),
    ``record`` (JSON: the whole line) and ``file``. ``lines`` has ``j`` (JSON, NULL for a line
    that is not JSON) and ``file``.

    Args:
        paths: the files (``.gz`` ones are decompressed).
        local_zone: the time zone (an IANA name) of naive timestamps, such as
            python-json-logger's ``asctime``: the reading machine's, as ``run_query()`` passes.

    Returns:
        Two ``CREATE VIEW`` statements separated by ``;``.
    """
    files = ", ".join(_literal(os.fspath(path)) for path in paths)
    return f"""CREATE OR REPLACE VIEW lines AS
SELECT j, filename AS file
FROM read_ndjson([{files}], columns={{'j': 'JSON'}}, records=false, ignore_errors=true,
                 filename=true, compression='auto_detect');
CREATE OR REPLACE VIEW logs AS
WITH extracted AS (
    SELECT
        j,
        file,
        json_extract_string(j, {_TIME_PATHS}) AS tv,
        json_extract_string(j, {_LEVEL_PATHS}) AS lv,
        json_extract_string(j, {_LOGGER_PATHS}) AS gv,
        json_extract_string(j, {_MESSAGE_PATHS}) AS mv,
        json_extract_string(j, {_EXCEPTION_PATHS}) AS ev,
        json_extract_string(j, {_TRACE_PATHS}) AS rv,
        json_extract(j, {_LAYOUT_PATHS}) AS ky,
        json_extract(j, {_FIELDS_PATHS}) AS fv
    FROM lines
    WHERE json_type(j) = 'OBJECT'
),
normalised AS (
    SELECT
        {_time(_literal(local_zone))} AS time,
        {_LEVEL} AS level,
        coalesce(gv[1], gv[2], gv[3], gv[4], gv[5], gv[6], gv[7], gv[8], gv[9]) AS logger,
        coalesce(mv[1], mv[2], mv[3], mv[4], mv[5]) AS message,
        {_EXCEPTION_TYPE} AS exception_type,
        coalesce(rv[1], rv[2], rv[3], rv[4], rv[5], rv[6], rv[7]) AS trace_id,
        {_LAYOUT} AS layout,
        coalesce(fv[1], fv[2], j) AS fields,
        j AS record,
        file
    FROM extracted
)
SELECT time, level, {_LEVELNO} AS levelno, logger, message, exception_type, trace_id, layout,
       fields, record, file
FROM normalised"""


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise QueryError(INSTALL_HINT, 3) from None
    return duckdb


def run_query(
    sql: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    threads: int | None = None,
    count_skipped: bool = False,
) -> QueryResult:
    """Run *sql* with ``logs`` (and ``lines``) defined over *paths*.

    Args:
        sql: one SQL statement (DuckDB's dialect), e.g.
            ``SELECT level, count(*) FROM logs GROUP BY 1``.
        paths: the files to read; ``-`` reads standard input (copied to a temporary file
            first, as DuckDB reads files).
        threads: DuckDB's threads (its default: one per core).
        count_skipped: also count the lines that are not JSON objects (``QueryResult.skipped``).

    Returns:
        The columns and rows.

    Raises:
        QueryError: DuckDB missing (exit code 3), a file missing (1), bad SQL (2).
    """
    duckdb = _duckdb()
    files: list[str] = []
    temporary: str | None = None
    try:
        for path in paths:
            name = os.fspath(path)
            if name == "-":
                if temporary is None:
                    temporary = _stdin_copy()
                name = temporary
            elif not os.path.isfile(name):
                raise QueryError(f"{name}: no such file", 4)
            files.append(name)
        if not files:
            raise QueryError("no input file", 2)
        connection = duckdb.connect(":memory:")
        try:
            # DuckDB's default zone is the machine's: the zone of naive stamps. Results are UTC.
            found = connection.execute("SELECT current_setting('TimeZone')").fetchone()
            local_zone = str(found[0]) if found and found[0] else "UTC"
            connection.execute("SET TimeZone = 'UTC'")
            # DuckDB draws a progress bar on the terminal for long queries: not in our output.
            connection.execute("SET enable_progress_bar = false")
            if threads is not None:
                connection.execute(f"SET threads = {int(threads)}")
            for statement in logs_view_sql(files, local_zone=local_zone).split(";\n"):
                connection.execute(statement)
            try:
                cursor = connection.execute(sql)
                columns = [d[0] for d in cursor.description] if cursor.description else []
                rows = [tuple(row) for row in cursor.fetchall()] if columns else []
            except duckdb.Error as exc:
                raise QueryError(str(exc).strip(), 2) from None
            skipped = None
            if count_skipped:
                found = connection.execute(
                    "SELECT count(*) FROM lines WHERE j IS NULL OR json_type(j) <> 'OBJECT'"
                ).fetchone()
                skipped = int(found[0]) if found else 0
        finally:
            connection.close()
        return QueryResult(columns, rows, skipped)
    finally:
        if temporary is not None:
            os.unlink(temporary)


def _stdin_copy() -> str:
    import shutil
    import tempfile

    with tempfile.NamedTemporaryFile(prefix="fastlog-query-", suffix=".log", delete=False) as out:
        shutil.copyfileobj(sys.stdin.buffer, out)
        return out.name


# -- output -------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        return _timestamp(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict | tuple):
        return orjson.dumps(value, default=str).decode()
    return str(value)


def _timestamp(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return _timestamp(value).replace(" ", "T")
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def format_result(result: QueryResult, fmt: Format = "table", *, width: int | None = None) -> str:
    """*result* as text: an aligned ``table``, ``csv`` (with a header) or ``json`` (one object
    per row).

    Args:
        result: what ``run_query()`` returned.
        fmt: ``table``, ``csv`` or ``json``.
        width: for ``table``, the terminal's width: the widest columns are cut (``…``) to fit.

    Returns:
        The text, ending with a newline (empty for no columns).
    """
    if fmt == "csv":
        import csv

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow(["" if v is None else _text(v) for v in row])
        return out.getvalue()
    if fmt == "json":
        return "".join(
            orjson.dumps(
                {k: _json_value(v) for k, v in zip(result.columns, row, strict=True)},
                default=str,
            ).decode()
            + "\n"
            for row in result.rows
        )
    if fmt != "table":
        raise ValueError(f"format {fmt!r}: expected 'table', 'csv' or 'json'")
    return _table(result, width)


def _table(result: QueryResult, width: int | None) -> str:
    if not result.columns:
        return ""
    cells = [[_text(v).replace("\n", "⏎") for v in row] for row in result.rows]
    widths = [len(name) for name in result.columns]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    if width is not None:
        # Cut the widest column, one character at a time, down to 8 at the least.
        while sum(widths) + 2 * (len(widths) - 1) > width:
            widest = max(range(len(widths)), key=lambda i: widths[i])
            if widths[widest] <= 8:
                break
            widths[widest] -= 1
    right = [
        any(_numeric(row[i]) for row in result.rows)
        and all(_numeric(row[i]) or row[i] is None for row in result.rows)
        for i in range(len(result.columns))
    ]

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, value in enumerate(values):
            cut = value if len(value) <= widths[i] else value[: widths[i] - 1] + "…"
            parts.append(cut.rjust(widths[i]) if right[i] else cut.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    lines = [line(result.columns), "  ".join("-" * w for w in widths)]
    lines.extend(line(row) for row in cells)
    return "\n".join(lines) + "\n"


def write_result(
    result: QueryResult, stream: TextIO, fmt: Format = "table", *, width: int | None = None
) -> None:
    """Write *result* to *stream* (see ``format_result()``)."""
    stream.write(format_result(result, fmt, width=width))
