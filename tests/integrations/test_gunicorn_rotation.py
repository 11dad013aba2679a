"""gunicorn with 4 workers, every one configured with the same rotated files (the master's
``logconfig_dict``, inherited by each forked worker), under load from real HTTP requests.

The workers rotate the files between them (``<file>.lock``). Afterwards, for the file rotated
by size: no file over the limit, no line torn, every record and access line exactly once,
every rotated file compressed; for the file rotated every 100 ms: each boundary rotated it
once (not once per worker), every access line exactly once.
"""

from __future__ import annotations

import gzip
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest

from fastlog_core._rotation import rotated_files
from tests.helpers import free_port
from tests.integrations.test_frameworks import env_with, http_request, server

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gunicorn, flock")

APP = """
import logging

log = logging.getLogger("app")


def application(environ, start_response):
    request = int(environ["QUERY_STRING"])
    for k in range(100):
        log.info("work", extra={"request": request, "k": k, "pad": "w" * 200})
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""

LIMIT = 32_000
INTERVAL = 0.1


def read(data: bytes, name: str) -> list[dict[str, Any]]:
    assert data.endswith(b"\n"), f"{name} ends with a torn line"
    return [orjson.loads(line) for line in data.splitlines()]


def test_gunicorn_workers_rotate_one_file(tmp_path: Path) -> None:
    """4 sync workers, 400 requests from 8 clients (100 records each), rotation='32 KB' with
    gzip: every record and access line once, files within the limit, nothing torn, every
    rotated file compressed."""
    pytest.importorskip("gunicorn", reason="gunicorn is needed for this test")
    (tmp_path / "app.py").write_text(APP)
    log, access_log = tmp_path / "app.log", tmp_path / "access.log"
    handler = {
        "class": "fastlog_stdlib.FastlogHandler",
        "sink": str(log),
        "rotation": "32 KB",
        "compression": "gz",
        "include_process": True,
        "flush_interval": 0.01,
    }
    timed = {
        "class": "fastlog_stdlib.FastlogHandler",
        "sink": str(access_log),
        "rotation": f"{INTERVAL * 1000:.0f} ms",
        "flush_interval": 0.01,
        "include_process": True,
    }
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"json": handler, "timed": timed},
        "root": {"handlers": ["json"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["json", "timed"], "level": "INFO", "propagate": False},
        },
    }
    (tmp_path / "gunicorn.conf.py").write_text(f"logconfig_dict = {config!r}\n")
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", "app:application", "-c", "gunicorn.conf.py",
            "--bind", f"127.0.0.1:{port}", "--workers", "4", "--worker-class", "sync",
            "--access-logfile", "-"]  # fmt: skip
    requests = 400
    with server(args, port, tmp_path, env_with(tmp_path)):
        start = time.monotonic()  # access lines, hence time rotations, from here to the exit
        with ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(lambda n: http_request(port, "GET", f"/?{n}").status, range(requests))
            )
    elapsed = time.monotonic() - start
    assert statuses == [200] * requests

    contents: list[bytes] = []
    for entry in rotated_files(str(log)):
        (member,) = entry.members
        assert member.endswith(".log.gz"), member
        with gzip.open(member, "rb") as f:
            contents.append(f.read())
    contents.append(log.read_bytes())
    assert len(contents) > 20
    work: list[tuple[int, int]] = []
    access = 0
    pids: set[int] = set()
    for n, data in enumerate(contents):
        records = read(data, f"file {n}")
        assert len(data) <= LIMIT or len(records) == 1, f"file {n}: {len(data)} B"
        for r in records:
            if r["logger"] == "app":
                work.append((r["request"], r["k"]))
                pids.add(r["process"])
            elif r["logger"] == "gunicorn.access":
                access += 1
    assert sorted(work) == [(n, k) for n in range(requests) for k in range(100)]
    assert access == requests
    assert len(pids) >= 2, "one worker served every request: not several processes"

    timed_files = [Path(m) for e in rotated_files(str(access_log)) for m in e.members]
    assert 1 <= len(timed_files) <= elapsed / INTERVAL + 2, (len(timed_files), elapsed)
    lines = [r for f in [*timed_files, access_log] for r in read(f.read_bytes(), f.name)]
    assert sorted(int(r["url.query"]) for r in lines) == list(range(requests))
