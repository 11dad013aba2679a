"""Every subcommand, as the real console script, on files the real peers wrote.

structlog (stdlib logger, ``JSONRenderer``, ISO ``TimeStamper``), loguru (``serialize=True``) and
python-json-logger (``JsonFormatter``) write the same four records in a child process whose clock
time-machine froze at 2026-12-07 10:00:00 UTC: each peer's own clock call is frozen, so every
output below is compared whole, the times included.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from .helpers import run_fastlog, write_peers, write_with

PEERS = ("structlog", "loguru", "pjl")
LOGGER = {"structlog": "app.api", "loguru": "__main__", "pjl": "pjl.app"}
LAYOUT = {"structlog": "structlog", "loguru": "loguru", "pjl": "pjl"}

# Each peer's traceback as it wrote it; the <string> lines are write_peers()'s script lines.
FRAMES = (
    '  File "<string>", line 9, in crash\n'
    '  File "/srv/app/payments.py", line 3, in <module>\n'
    '  File "/srv/app/payments.py", line 2, in charge\n'
)
TRACEBACK = {
    "structlog": "Traceback (most recent call last):\n"
    '  File "<string>", line 31, in <module>\n' + FRAMES + "ZeroDivisionError: division by zero",
    # loguru's own layout: a blank line between frames, the raising frame marked with ">"
    "loguru": "Traceback (most recent call last):\n\n"
    '> File "<string>", line 43, in <module>\n'
    '  File "<string>", line 9, in crash\n\n'
    '  File "/srv/app/payments.py", line 3, in <module>\n\n'
    '  File "/srv/app/payments.py", line 2, in charge\n\n'
    "ZeroDivisionError: division by zero\n",
    "pjl": "Traceback (most recent call last):\n"
    '  File "<string>", line 56, in <module>\n' + FRAMES + "ZeroDivisionError: division by zero",
}


def lines(peer: str) -> list[str]:
    """``fastlog view``'s four records of *peer*, the traceback as the error's last line."""
    name = LOGGER[peer]
    return [
        f"10:00:00.000000 INFO     {name}  charge ok  order_id=1234 amount=12.5\n",
        f'10:00:00.000000 DEBUG    {name}  lookup  user={{"id":7,"name":"a b"}}\n',
        f"10:00:00.000000 WARNING  {name}  slow  ms=812 path=/api/pay\n",
        f"10:00:00.000000 ERROR    {name}  charge failed  order_id=1\n"
        + TRACEBACK[peer].rstrip("\n")
        + "\n",
    ]


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_peers(tmp_path_factory.mktemp("peers"))


def test_the_peers_wrote_what_the_tests_expect(peers: dict[str, Path]) -> None:
    """The writers' own output: frozen times, the peers' layouts (what the reader must parse)."""
    structlog = [orjson.loads(line) for line in peers["structlog"].read_bytes().splitlines()]
    assert structlog[0] == {
        "order_id": 1234,
        "amount": 12.5,
        "event": "charge ok",
        "level": "info",
        "logger": "app.api",
        "timestamp": "2026-12-07T10:00:00Z",
    }
    assert structlog[3]["exception"] == TRACEBACK["structlog"]
    loguru = [orjson.loads(line) for line in peers["loguru"].read_bytes().splitlines()]
    assert loguru[3]["record"]["time"]["repr"] == "2026-12-07 10:00:00+00:00"
    assert loguru[3]["record"]["exception"] == {
        "type": "ZeroDivisionError",
        "value": "division by zero",
        "traceback": True,
    }
    assert loguru[3]["text"].endswith(TRACEBACK["loguru"])
    pjl = [orjson.loads(line) for line in peers["pjl"].read_bytes().splitlines()]
    assert pjl[1] == {
        "asctime": "2026-12-07 10:00:00,000",
        "levelname": "DEBUG",
        "name": "pjl.app",
        "message": "lookup",
        "user": {"id": 7, "name": "a b"},
    }
    assert pjl[3]["exc_info"] == TRACEBACK["pjl"]


@pytest.mark.parametrize("peer", PEERS)
def test_view(peers: dict[str, Path], peer: str) -> None:
    done = run_fastlog("view", "--color", "never", str(peers[peer]))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "".join(lines(peer))


@pytest.mark.parametrize("peer", PEERS)
def test_view_level_warning(peers: dict[str, Path], peer: str) -> None:
    done = run_fastlog("view", "--color", "never", "-l", "warning", str(peers[peer]))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "".join(lines(peer)[2:])


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize(
    ("expression", "shown"),
    [
        ("order_id=1234", [0]),
        ("order_id>=1", [0, 3]),
        ("user.name=a b", [1]),  # a nested field: loguru's record.extra, the others' top level
        ("path~^/api", [2]),
        ("exception.type=ZeroDivisionError", [3]),
    ],
)
def test_view_field_filter(
    peers: dict[str, Path], peer: str, expression: str, shown: list[int]
) -> None:
    done = run_fastlog("view", "--color", "never", "-f", expression, str(peers[peer]))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "".join(lines(peer)[i] for i in shown)


@pytest.mark.parametrize("peer", PEERS)
def test_tail_n(peers: dict[str, Path], peer: str) -> None:
    done = run_fastlog("tail", "-n", "2", "--color", "never", str(peers[peer]))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "".join(lines(peer)[2:])
    done = run_fastlog("tail", "-n", "1", "--color", "never", "-l", "info", str(peers[peer]))
    assert done.stdout == lines(peer)[3]


@pytest.mark.parametrize("peer", PEERS)
def test_convert_to_logfmt(peers: dict[str, Path], peer: str) -> None:
    done = run_fastlog("convert", "--to", "logfmt", str(peers[peer]))
    assert (done.returncode, done.stderr) == (0, "")
    name = LOGGER[peer]
    traceback = orjson.dumps(TRACEBACK[peer]).decode()
    assert done.stdout == (
        f'timestamp=2026-12-07T10:00:00.000000Z level=info logger={name} message="charge ok" '
        "order_id=1234 amount=12.5\n"
        f"timestamp=2026-12-07T10:00:00.000000Z level=debug logger={name} message=lookup "
        'user="{\\"id\\":7,\\"name\\":\\"a b\\"}"\n'
        f"timestamp=2026-12-07T10:00:00.000000Z level=warning logger={name} message=slow "
        "ms=812 path=/api/pay\n"
        f"timestamp=2026-12-07T10:00:00.000000Z level=error logger={name} "
        'message="charge failed" order_id=1 exception.type=ZeroDivisionError '
        f'exception.message="division by zero" exception.traceback={traceback}\n'
    )


STATS = """\
4 records, 2026-12-07 10:00:00 – 10:00:00 UTC
  layouts: {layout} 4

Levels
  debug    1   25.0%
  info     1   25.0%
  warning  1   25.0%
  error    1   25.0%

Loggers
  {logger}  4  100.0%

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


@pytest.mark.parametrize("peer", PEERS)
def test_stats(peers: dict[str, Path], peer: str) -> None:
    done = run_fastlog("stats", "--color", "never", str(peers[peer]))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == STATS.format(layout=LAYOUT[peer], logger=LOGGER[peer], bar="█" * 80)


@pytest.mark.parametrize("peer", PEERS)
def test_stats_json(peers: dict[str, Path], peer: str) -> None:
    done = run_fastlog("stats", "--json", str(peers[peer]))
    assert (done.returncode, done.stderr) == (0, "")
    when = "2026-12-07T10:00:00Z"
    nothing = {"records": 0, "notes": 0, "first": None, "last": None, "by_level": {}}
    assert orjson.loads(done.stdout) == {
        "records": 4,
        "text_lines": 0,
        "without_time": 0,
        "first": when,
        "last": when,
        "sources": {str(peers[peer]): 4},
        "layouts": {LAYOUT[peer]: 4},
        "levels": {"debug": 1, "info": 1, "warning": 1, "error": 1},
        "loggers": {LOGGER[peer]: 4},
        "loggers_other": 0,
        "histogram": {"bucket_seconds": 1, "buckets": [{"start": when, "count": 4}]},
        "messages": [
            {"template": m, "count": 1, "example": m, "levels": [level]}
            for m, level in (
                ("charge failed", "error"),
                ("charge ok", "info"),
                ("lookup", "debug"),
                ("slow", "warning"),
            )
        ],
        "messages_other": 0,
        "errors": [
            {
                "type": "ZeroDivisionError",
                "count": 1,
                "example": "division by zero",
                "first": when,
                "last": when,
            }
        ],
        "errors_other": 0,
        "dropped": {**nothing, "policies": {}, "presets": {}},
        "lost": {**nothing, "policies": {}, "presets": {}},
    }


def test_query_levels_across_the_peers(peers: dict[str, Path]) -> None:
    done = run_fastlog(
        "query",
        "SELECT level, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1",
        *(str(peers[p]) for p in PEERS),
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "level    n\n-------  -\ndebug    3\nerror    3\ninfo     3\nwarning  3\n"
    )


def test_query_nested_and_extra_fields(peers: dict[str, Path]) -> None:
    """``fields`` is loguru's ``record.extra`` and the others' whole line: one path for all."""
    sql = (
        "SELECT layout, logger, message, fields->>'order_id' AS order_id, "
        "fields->'user'->>'name' AS who, exception_type, time FROM logs "
        "WHERE fields->>'order_id' IS NOT NULL OR fields->'user'->>'id' = '7' "
        "ORDER BY layout, levelno"
    )
    done = run_fastlog("query", sql, *(str(peers[p]) for p in PEERS))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "layout     logger    message        order_id  who   exception_type     time\n"
        "---------  --------  -------------  --------  ----  -----------------  "
        "---------------------------\n"
        "loguru     __main__  lookup         NULL      a b   NULL               "
        "2026-12-07 10:00:00.000000Z\n"
        "loguru     __main__  charge ok      1234      NULL  NULL               "
        "2026-12-07 10:00:00.000000Z\n"
        "loguru     __main__  charge failed  1         NULL  ZeroDivisionError  "
        "2026-12-07 10:00:00.000000Z\n"
        "pjl        pjl.app   lookup         NULL      a b   NULL               "
        "2026-12-07 10:00:00.000000Z\n"
        "pjl        pjl.app   charge ok      1234      NULL  NULL               "
        "2026-12-07 10:00:00.000000Z\n"
        "pjl        pjl.app   charge failed  1         NULL  ZeroDivisionError  "
        "2026-12-07 10:00:00.000000Z\n"
        "structlog  app.api   lookup         NULL      a b   NULL               "
        "2026-12-07 10:00:00.000000Z\n"
        "structlog  app.api   charge ok      1234      NULL  NULL               "
        "2026-12-07 10:00:00.000000Z\n"
        "structlog  app.api   charge failed  1         NULL  ZeroDivisionError  "
        "2026-12-07 10:00:00.000000Z\n"
    )


def test_view_merges_the_peers_in_time_order(tmp_path: Path, peers: dict[str, Path]) -> None:
    """Three peers' files given together: one stream, by time, then by file order."""
    done = run_fastlog("view", "--color", "never", "-l", "error", *(str(peers[p]) for p in PEERS))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "".join(lines(p)[3] for p in PEERS)


def test_naive_stamps_are_the_writers_local_time(tmp_path: Path) -> None:
    """python-json-logger's asctime and structlog's ``utc=False`` are naive local times: read in
    the reading machine's zone by view, stats and query alike (as loguru's aware time)."""
    paths = write_peers(tmp_path, tz="Asia/Kolkata")
    stamps = orjson.loads(paths["pjl"].read_bytes().splitlines()[0])["asctime"]
    assert stamps == "2026-12-07 15:30:00,000"  # 10:00 UTC on a machine in India
    naive = tmp_path / "naive-structlog.log"
    write_with(
        f"""
        import structlog
        structlog.configure(processors=[structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=False),
            structlog.processors.JSONRenderer()],
            logger_factory=structlog.WriteLoggerFactory(open({str(naive)!r}, "w")))
        structlog.get_logger().warning("slow", ms=812)
        """,
        tz="Asia/Kolkata",
    )
    assert orjson.loads(naive.read_bytes())["timestamp"] == "2026-12-07T15:30:00"
    files = [str(paths["loguru"]), str(paths["pjl"]), str(naive)]
    india = {"TZ": "Asia/Kolkata"}

    done = run_fastlog("view", "--color", "never", "-l", "warning", *files, **india)
    assert (done.returncode, done.stderr) == (0, "")
    # all at the same instant: merged file by file
    assert [line for line in done.stdout.splitlines() if "WARNING" in line] == [
        "10:00:00.000000 WARNING  __main__  slow  ms=812 path=/api/pay",
        "10:00:00.000000 WARNING  pjl.app  slow  ms=812 path=/api/pay",
        "10:00:00.000000 WARNING    slow  ms=812",
    ]
    local = run_fastlog("view", "--color", "never", "--time", "local", "-l", "warning", *files[1:])
    assert [line for line in local.stdout.splitlines() if "WARNING" in line] == [
        "15:30:00.000000 WARNING  pjl.app  slow  ms=812 path=/api/pay",
        "15:30:00.000000 WARNING    slow  ms=812",
    ]  # read on a UTC machine, the same stamps are 15:30 UTC
    done = run_fastlog(
        "view", "--color", "never", "--time", "local", "-l", "error", *files[:2], **india
    )
    assert [line for line in done.stdout.splitlines() if "ERROR" in line] == [
        "15:30:00.000000 ERROR    __main__  charge failed  order_id=1",
        "15:30:00.000000 ERROR    pjl.app  charge failed  order_id=1",
    ]

    stats = orjson.loads(run_fastlog("stats", "--json", *files, **india).stdout)
    assert (stats["first"], stats["last"], stats["records"]) == (
        "2026-12-07T10:00:00Z",
        "2026-12-07T10:00:00Z",
        9,
    )
    sql = "SELECT layout, min(time) AS first, max(time) AS last FROM logs GROUP BY 1 ORDER BY 1"
    done = run_fastlog("query", sql, *files, **india)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "layout     first                        last\n"
        "---------  ---------------------------  ---------------------------\n"
        "loguru     2026-12-07 10:00:00.000000Z  2026-12-07 10:00:00.000000Z\n"
        "pjl        2026-12-07 10:00:00.000000Z  2026-12-07 10:00:00.000000Z\n"
        "structlog  2026-12-07 10:00:00.000000Z  2026-12-07 10:00:00.000000Z\n"
    )
    # The same files read on a UTC machine: the naive stamps are 15:30 there, loguru's 10:00.
    done = run_fastlog("query", sql, *files)
    assert done.stdout.splitlines()[3:] == [
        "pjl        2026-12-07 15:30:00.000000Z  2026-12-07 15:30:00.000000Z",
        "structlog  2026-12-07 15:30:00.000000Z  2026-12-07 15:30:00.000000Z",
    ]
