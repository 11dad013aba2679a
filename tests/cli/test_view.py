"""``fastlog view`` run as the real console script on files written by fastlog and its peers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from .helpers import CRASH, run_fastlog, write_fastlog, write_mixed, write_with

TRACE = (
    "Traceback (most recent call last):\n"
    '  File "<string>", line 11, in <module>\n'
    '  File "/srv/app/payments.py", line 3, in <module>\n'
    '  File "/srv/app/payments.py", line 2, in charge\n'
    "ZeroDivisionError: division by zero\n"
)
EXPECTED = (
    "10:00:00.000000 INFO     app.payments  charge ok  order_id=1234 amount=12.5\n"
    '10:00:00.000000 DEBUG    app.payments  lookup  user={"id":7,"name":"a b"}\n'
    "10:00:00.000000 WARNING  app.payments  slow  ms=812 path=/api/pay\n"
    "10:00:00.000000 ERROR    app.payments  charge failed  order_id=1\n" + TRACE
)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("logs")
    files = {}
    for schema in ("default", "ecs", "gcp", "datadog", "otel"):
        files[schema] = root / f"{schema}.log"
        write_fastlog(files[schema], schema)
    return files


@pytest.mark.parametrize("schema", ["default", "ecs", "gcp", "datadog", "otel"])
def test_every_fastlog_schema_reads_the_same(logs: dict[str, Path], schema: str) -> None:
    result = run_fastlog("--color", "never", str(logs[schema]))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == EXPECTED


def test_view_equals_the_dev_presets_console_encoder(logs: dict[str, Path]) -> None:
    import orjson

    from fastlog_core import ConsoleEncoder

    lines = logs["default"].read_bytes().splitlines()
    expected = b"".join(ConsoleEncoder(colors=False).encode(orjson.loads(line)) for line in lines)
    assert (
        run_fastlog("view", "--time", "utc", "--color", "never", str(logs["default"])).stdout
        == expected.decode()
    )


def test_colors_always_and_no_color(logs: dict[str, Path]) -> None:
    out = run_fastlog("-l", "warning", "--color", "always", str(logs["default"])).stdout
    assert out.splitlines()[0] == (
        "\x1b[2m10:00:00.000000\x1b[0m \x1b[33mWARNING \x1b[0m app.payments  slow  "
        "\x1b[2mms=812 path=/api/pay\x1b[0m"
    )
    # auto on a pipe is plain, whatever NO_COLOR says
    assert run_fastlog("-l", "warning", str(logs["default"]), NO_COLOR="1").stdout.startswith(
        "10:00:00.000000 WARNING"
    )


def test_fields_hide_and_time_modes(logs: dict[str, Path]) -> None:
    path = str(logs["ecs"])
    out = run_fastlog(
        "--color", "never", "--fields", "ms,order_id", "-l", "info", "--until", "2026-12-08", path
    )
    assert out.stdout.splitlines()[:3] == [
        "10:00:00.000000 INFO     app.payments  charge ok  order_id=1234",
        "10:00:00.000000 WARNING  app.payments  slow  ms=812",
        "10:00:00.000000 ERROR    app.payments  charge failed  order_id=1",
    ]
    out = run_fastlog("--color", "never", "--hide", "amount,path", "-l", "info", path).stdout
    assert out.splitlines()[:2] == [
        "10:00:00.000000 INFO     app.payments  charge ok  order_id=1234",
        "10:00:00.000000 WARNING  app.payments  slow  ms=812",
    ]
    local = run_fastlog(
        "--color", "never", "--time", "local", "-l", "warning", path, TZ="Asia/Kolkata"
    ).stdout
    assert (
        local.splitlines()[0] == "15:30:00.000000 WARNING  app.payments  slow  ms=812 path=/api/pay"
    )
    relative = run_fastlog("--color", "never", "--time", "relative", "-l", "warning", path).stdout
    assert relative.splitlines()[0] == "+0.000s WARNING  app.payments  slow  ms=812 path=/api/pay"


@pytest.mark.parametrize(
    ("args", "messages"),
    [
        (["-l", "warning"], ["slow", "charge failed"]),
        (["-l", "warn"], ["slow", "charge failed"]),
        (["-l", "40"], ["charge failed"]),
        (["--logger", "app"], ["charge ok", "lookup", "slow", "charge failed"]),
        (["--logger", "!app.*"], []),
        (["--logger", "other.*"], []),
        (["-f", "order_id=1234"], ["charge ok"]),
        (["-f", "order_id!=1234"], ["lookup", "slow", "charge failed"]),
        (["-f", "ms>500"], ["slow"]),
        (["-f", "ms>=812"], ["slow"]),
        (["-f", "ms<812"], []),
        (["-f", "amount<=12.5"], ["charge ok"]),
        (["-f", "path~^/api"], ["slow"]),
        (["-f", "user.id=7"], ["lookup"]),
        (["-f", "user.name=a b"], ["lookup"]),
        (["-f", "exception.type=ZeroDivisionError"], ["charge failed"]),
        (["--grep", "^charge"], ["charge ok", "charge failed"]),
        (
            ["--since", "2026-12-07T10:00:00Z", "--until", "2026-12-07T10:00:01Z"],
            ["charge ok", "lookup", "slow", "charge failed"],
        ),
        (["--since", "2026-12-07T10:00:01Z"], []),
        (["--since", "-15m"], ["charge ok", "lookup", "slow", "charge failed"]),
        (["--since", "today"], ["charge ok", "lookup", "slow", "charge failed"]),
        (["--since", "yesterday", "--until", "today"], []),
    ],
)
@pytest.mark.parametrize("schema", ["default", "ecs", "otel"])
def test_filters(logs: dict[str, Path], schema: str, args: list[str], messages: list[str]) -> None:
    for extra in ([], ["--no-prefilter"]):
        result = run_fastlog(
            "--raw", *args, *extra, str(logs[schema]), FASTLOG_NOW="2026-12-07T10:05:00+00:00"
        )

        from fastlog_read import parse_line

        got = [parse_line(line.encode()).message for line in result.stdout.splitlines()]
        assert got == messages
        assert result.returncode == (0 if messages else 1)


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (
            ["-f", "ms>>500"],
            "fastlog: -f 'ms>>500': expected a number after '>' (column 4)\n  ms>>500\n     ^\n",
        ),
        (["-f", "ms"], None),
        (["-f", "=3"], "fastlog: -f '=3': expected a field name (column 1)\n  =3\n  ^\n"),
        (
            ["-f", "path~(x"],
            "fastlog: -f 'path~(x': bad regular expression: missing ), unterminated subpattern "
            "(column 6)\n  path~(x\n       ^\n",
        ),
        (
            ["--since", "-15x"],
            "fastlog: --since '-15x': unknown unit 'x' (expected s, m, h, d or w)\n"
            "  -15x\n     ^\n",
        ),
        (
            ["--since", "2026-1x-07"],
            "fastlog: --since '2026-1x-07': expected -15m, today, yesterday, HH:MM, YYYY-MM-DD "
            "or RFC 3339\n  2026-1x-07\n        ^\n",
        ),
        (
            ["-l", "loud"],
            "fastlog: -l 'loud': unknown level (expected a number or one of trace, debug, info, "
            "success, notice, warning, error, critical, alert, emergency)\n  loud\n  ^\n",
        ),
    ],
)
def test_bad_filters_point_at_the_character(
    logs: dict[str, Path], args: list[str], stderr: str | None
) -> None:
    result = run_fastlog(*args, str(logs["default"]))
    if stderr is None:  # a bare key means "present": not an error
        assert result.returncode == 0
        return
    assert (result.returncode, result.stdout, result.stderr) == (2, "", stderr)


def test_gz_merge_stdin_text_and_missing(tmp_path: Path) -> None:
    old = tmp_path / "app.log.1"
    new = tmp_path / "app.log"
    write_fastlog(old, when="2026-12-07T09:00:00+00:00")
    write_fastlog(new, when="2026-12-07T09:30:00+00:00")
    other = tmp_path / "worker.log"
    write_fastlog(other, "ecs", when="2026-12-07T09:15:00+00:00")
    gz = tmp_path / "app.log.1.gz"
    gz.write_bytes(gzip.compress(old.read_bytes()))
    old.unlink()
    result = run_fastlog(
        "--color",
        "never",
        "-l",
        "warning",
        "--hide",
        "path,order_id",
        str(new),
        str(other),
        str(gz),
    )
    assert result.stdout.splitlines()[::7] == [
        "09:00:00.000000 WARNING  app.payments  slow  ms=812",
        "09:15:00.000000 WARNING  app.payments  slow  ms=812",
        "09:30:00.000000 WARNING  app.payments  slow  ms=812",
    ]
    assert len(result.stdout.splitlines()) == 21
    text = (
        b'not json\n{"level": "warning", "event": "from structlog", "k": NaN}\n'
        b"level=error msg=boom ms=3\n"
    )
    result = run_fastlog("--color", "never", "-", input=text)
    assert result.stdout == "not json\n WARNING    from structlog  k=nan\n ERROR      boom  ms=3\n"
    missing = run_fastlog("--color", "never", "-l", "error", str(tmp_path / "nope.log"), str(new))
    assert missing.returncode == 4
    assert missing.stderr == f"fastlog: {tmp_path / 'nope.log'}: No such file or directory\n"
    assert missing.stdout.startswith(
        "09:30:00.000000 ERROR    app.payments  charge failed  order_id=1\n"
    )


def test_peers_structlog_loguru_pjl(tmp_path: Path) -> None:
    write_with(
        f"""
        import logging, structlog
        from loguru import logger
        from pythonjsonlogger.json import JsonFormatter
        f = open({str(tmp_path / "structlog.log")!r}, "w")
        structlog.configure(processors=[structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"), structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer()], logger_factory=structlog.PrintLoggerFactory(f))
        structlog.get_logger().warning("slow", ms=812)
        logger.remove()
        logger.add({str(tmp_path / "loguru.log")!r}, serialize=True)
        logger.bind(order_id=1234).success("charge ok")
        h = logging.FileHandler({str(tmp_path / "pjl.log")!r})
        h.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        log = logging.getLogger("pjl.app"); log.addHandler(h); log.propagate = False
        log.error("refused", extra={{"port": 5432}})
        """
    )
    out = run_fastlog(
        "--color", "never", *(str(tmp_path / n) for n in ("structlog.log", "loguru.log", "pjl.log"))
    )
    assert out.stdout == (
        "10:00:00.000000 WARNING    slow  ms=812\n"
        "10:00:00.000000 SUCCESS  __main__  charge ok  order_id=1234\n"
        "10:00:00.000000 ERROR    pjl.app  refused  port=5432\n"
    )


def test_help_and_version() -> None:
    result = run_fastlog("--help")
    assert result.returncode == 0
    assert "examples:\n  fastlog app.log\n" in result.stdout
    assert run_fastlog("--version").stdout.startswith("fastlog ")
    assert run_fastlog("view", "--color", "blue").returncode == 2


def test_peers_tracebacks(tmp_path: Path) -> None:
    # structlog's dict_tracebacks, loguru's traceback inside "text", python-json-logger's exc_info
    write_with(
        f"""
        import logging, structlog
        from loguru import logger
        from pythonjsonlogger.json import JsonFormatter
        f = open({str(tmp_path / "structlog.log")!r}, "w")
        structlog.configure(processors=[structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"), structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer()], logger_factory=structlog.PrintLoggerFactory(f))
        try:
            {CRASH}
        except ZeroDivisionError:
            structlog.get_logger().exception("charge failed", order_id=1)
        logger.remove()
        logger.add({str(tmp_path / "loguru.log")!r}, serialize=True)
        try:
            {CRASH}
        except ZeroDivisionError:
            logger.exception("charge failed")
        h = logging.FileHandler({str(tmp_path / "pjl.log")!r})
        h.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        log = logging.getLogger("pjl.app"); log.addHandler(h); log.propagate = False
        try:
            {CRASH}
        except ZeroDivisionError:
            log.exception("charge failed")
        """
    )
    frames = (
        '  File "/srv/app/payments.py", line 3, in <module>\n'
        '  File "/srv/app/payments.py", line 2, in charge\n'
    )
    out = run_fastlog(
        "--color", "never", *(str(tmp_path / n) for n in ("structlog.log", "loguru.log", "pjl.log"))
    )
    assert out.stdout == (
        "10:00:00.000000 ERROR      charge failed  order_id=1\n"
        "Traceback (most recent call last):\n"
        '  File "<string>", line 12, in <module>\n'
        f"{frames}"
        "ZeroDivisionError: division by zero\n"
        "10:00:00.000000 ERROR    __main__  charge failed\n"
        "Traceback (most recent call last):\n\n"  # loguru's own layout: a blank line per frame
        '> File "<string>", line 18, in <module>\n\n'
        '  File "/srv/app/payments.py", line 3, in <module>\n\n'
        '  File "/srv/app/payments.py", line 2, in charge\n\n'
        "ZeroDivisionError: division by zero\n"
        "10:00:00.000000 ERROR    pjl.app  charge failed\n"
        "Traceback (most recent call last):\n"
        '  File "<string>", line 25, in <module>\n'
        f"{frames}"
        "ZeroDivisionError: division by zero\n"
    )
    # convert --to json gives each the core's exception object
    converted = run_fastlog("convert", "--to", "json", str(tmp_path / "loguru.log")).stdout
    assert (
        '"exception":{"type":"ZeroDivisionError","message":"division by zero","traceback":'
        in converted
    )


# -- text lines written between records, and files spanning several days ---------------------


def test_text_lines_go_with_the_record_before_them(tmp_path: Path) -> None:
    """Under a filter, text lines are shown with the record they follow and hidden with it;
    text lines before the first record are hidden. Without a filter every line is shown as
    it was."""
    path = tmp_path / "mixed.log"
    write_mixed(path, "2026-12-07T10:00:00+00:00")
    unfiltered = run_fastlog("--color", "never", str(path))
    assert (unfiltered.returncode, unfiltered.stderr) == (0, "")
    assert unfiltered.stdout == (
        "worker starting\n"
        "10:00:00.000000 INFO     app.payments  charge ok  order_id=1\n"
        "lib: retrying\n"
        "lib:   attempt 2\n"
        "10:00:00.000000 WARNING  app.payments  slow  ms=812\n"
        "10:00:00.000000 DEBUG    app.payments  lookup  user=7\n"
        "lib: cache miss\n"
        "10:00:00.000000 ERROR    app.payments  charge failed  order_id=2\n"
        "Traceback (most recent call last):\n"
        '  File "lib.py", line 1\n'
        "OSError: gone\n"
    )
    warning = run_fastlog("--color", "never", "-l", "warning", str(path))
    assert (warning.returncode, warning.stderr) == (0, "")
    assert warning.stdout == (
        "10:00:00.000000 WARNING  app.payments  slow  ms=812\n"
        "10:00:00.000000 ERROR    app.payments  charge failed  order_id=2\n"
        "Traceback (most recent call last):\n"
        '  File "lib.py", line 1\n'
        "OSError: gone\n"
    )
    for args in (["--grep", "charge ok"], ["-f", "order_id=1"], ["--logger", "app"]):
        out = run_fastlog("--color", "never", *args, str(path)).stdout
        kept = "10:00:00.000000 INFO     app.payments  charge ok  order_id=1\n"
        assert out.startswith(kept + "lib: retrying\nlib:   attempt 2\n"), args
    # -l debug keeps every record: only the banner before the first record goes.
    debug = run_fastlog("--color", "never", "-l", "debug", str(path)).stdout
    assert debug == unfiltered.stdout.removeprefix("worker starting\n")
    # The same through stats (the filter is the reading layer's).
    stats = json.loads(run_fastlog("stats", "--json", "-l", "warning", str(path)).stdout)
    assert (stats["records"], stats["text_lines"]) == (2, 3)


DAY2 = (
    "-- 2026-12-08 --\n"
    "00:00:05.000000 INFO     app.payments  charge ok  order_id=1\n"
    "lib: retrying\n"
    "lib:   attempt 2\n"
    "00:00:05.000000 WARNING  app.payments  slow  ms=812\n"
)


def test_a_date_line_marks_each_new_day(tmp_path: Path) -> None:
    """``-- YYYY-MM-DD --`` before the first record of a new day, in every path: unfiltered,
    filtered, several files merged, tail; dim in colour; the day in the --time zone."""
    path = tmp_path / "days.log"
    write_mixed(path, "2026-12-07T23:59:59+00:00")
    write_mixed(path, "2026-12-08T00:00:05+00:00", banner="worker restarting")
    unfiltered = run_fastlog("--color", "never", str(path))
    assert unfiltered.returncode == 0
    lines = unfiltered.stdout.splitlines(keepends=True)
    assert lines[11:17] == ["worker restarting\n", *DAY2.splitlines(keepends=True)]
    assert unfiltered.stdout.count("-- ") == 1
    filtered = run_fastlog("--color", "never", "-l", "info", str(path)).stdout
    assert (
        filtered
        == (
            "23:59:59.000000 INFO     app.payments  charge ok  order_id=1\n"
            "lib: retrying\n"
            "lib:   attempt 2\n"
            "23:59:59.000000 WARNING  app.payments  slow  ms=812\n"
            "23:59:59.000000 ERROR    app.payments  charge failed  order_id=2\n"
            "Traceback (most recent call last):\n"
            '  File "lib.py", line 1\n'
            "OSError: gone\n"
            "worker restarting\n"  # a text line after a shown record: shown with it
            + DAY2
            + "00:00:05.000000 ERROR    app.payments  charge failed  order_id=2\n"
            "Traceback (most recent call last):\n"
            '  File "lib.py", line 1\n'
            "OSError: gone\n"
        )
    )
    # The same file as two: merged by time, the date line where the day changes.
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    write_mixed(first, "2026-12-07T23:59:59+00:00")
    write_mixed(second, "2026-12-08T00:00:05+00:00", banner="worker restarting")
    merged = run_fastlog("--color", "never", str(second), str(first)).stdout
    assert merged == unfiltered.stdout
    colored = run_fastlog("--color", "always", "-l", "warning", str(path)).stdout
    assert "\n\x1b[2m-- 2026-12-08 --\x1b[0m\n\x1b[2m00:00:05.000000" in colored
    # In Kolkata (UTC+05:30) both days are 2026-12-08 from 05:29:59: no date line.
    local = run_fastlog("--color", "never", "--time", "local", str(path), TZ="Asia/Kolkata")
    assert "-- " not in local.stdout
    assert local.stdout.startswith("worker starting\n05:29:59.000000 INFO ")
    # tail: the start lines, with their date line.
    tail = run_fastlog("tail", "-n", "15", "--color", "never", str(path))
    assert (tail.returncode, tail.stdout) == (
        0,
        "23:59:59.000000 ERROR    app.payments  charge failed  order_id=2\n"
        "Traceback (most recent call last):\n"
        '  File "lib.py", line 1\n'
        "OSError: gone\n"
        "worker restarting\n" + DAY2 + "00:00:05.000000 DEBUG    app.payments  lookup  user=7\n"
        "lib: cache miss\n"
        "00:00:05.000000 ERROR    app.payments  charge failed  order_id=2\n"
        "Traceback (most recent call last):\n"
        '  File "lib.py", line 1\n'
        "OSError: gone\n",
    )
