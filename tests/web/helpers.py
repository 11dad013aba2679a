"""The real ``fastlog web`` on loopback, for the API, security and browser tests."""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.cli.helpers import FASTLOG, env

#: How long the server may take to index and print its URL.
START_TIMEOUT = 60.0


@dataclass
class Server:
    """A running ``fastlog web``: its process, the URL it printed, and its stderr so far."""

    process: subprocess.Popen[bytes]
    url: str
    stderr_lines: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash, no token)."""
        return self.url.split("/?", 1)[0].rstrip("/")

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        """GET *path*: status, headers (lower-case names), body; errors are returned too."""
        request = urllib.request.Request(self.base + path, headers=headers)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, _lower(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, _lower(exc.headers.items()), exc.read()

    def json(self, path: str, **headers: str) -> Any:
        """GET *path* and parse the JSON body (asserting a 200)."""
        status, _, body = self.get(path, **headers)
        assert status == 200, (status, body)
        return json.loads(body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _lower(items: Sequence[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


@contextlib.contextmanager
def fastlog_web(
    *args: str, stdin: int | None = subprocess.DEVNULL, cwd: Path | None = None, **extra: str
) -> Iterator[Server]:
    """Run ``fastlog web ARGS`` (free port unless ``--port``), wait for the URL line, yield the
    :class:`Server`, then stop it with SIGINT and wait for it to exit."""
    process = subprocess.Popen(
        [str(FASTLOG), "web", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(**extra),
        cwd=cwd,
    )
    assert process.stdout is not None and process.stderr is not None
    errors: list[str] = []
    reader = threading.Thread(
        target=lambda: errors.extend(
            line.decode("utf-8", "replace") for line in iter(process.stderr.readline, b"")
        ),
        daemon=True,
    )
    reader.start()
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        try:
            first = lines.get(timeout=START_TIMEOUT).decode()
        except queue.Empty:
            raise AssertionError(f"fastlog web printed no URL: {''.join(errors)}") from None
        assert first.startswith("fastlog web: http://"), (first, "".join(errors))
        yield Server(process, first.split(": ", 1)[1].strip(), errors)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=5)


def wait_for(condition: Any, timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll *condition* until it returns a true value (returned) or *timeout* seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def sse_events(
    server: Server, path: str, count: int, timeout: float = 10.0
) -> list[tuple[str, Any]]:
    """The first *count* events (name, parsed data) of the event stream at *path*."""
    request = urllib.request.Request(server.base + path)
    events: list[tuple[str, Any]] = []
    deadline = time.monotonic() + timeout
    with urllib.request.urlopen(request, timeout=timeout) as response:
        name = "message"
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                name = "message"
                if len(events) >= count:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out: {len(events)} of {count} events")
    return events


__all__ = ["FILES", "WRITER", "Server", "fastlog_web", "sse_events", "wait_for", "write_logs"]


#: Writes, at fixed instants, with fastlog (default and ECS schemas) and with each peer
#: (structlog's JSONRenderer, loguru's serialize=True, python-json-logger), into argv[1]:
#: app.log (fastlog, 10:00, 40 records of every level and five loggers, fields, a traceback,
#: values that look like markup), app.log.1.gz (fastlog, 09:00, rotated), worker.log (ECS,
#: 09:30), structlog.log, loguru.log and pjl.log (10:00:30).
WRITER = """
import datetime, gzip, logging, os, sys, time_machine
out = sys.argv[1]
UTC = datetime.timezone.utc

def at(h, m, s, us=0):
    return time_machine.travel(datetime.datetime(2026, 12, 7, h, m, s, us, tzinfo=UTC), tick=False)

import fastlog_core

def fastlog_file(path, schema, hour, minute):
    fastlog_core.configure(sink=path, schema=schema, level="debug")
    loggers = [fastlog_core.get_logger(n) for n in ("app.api", "app.db", "billing", "worker")]
    for i in range(40):
        log = loggers[i % 4]
        with at(hour, minute, i % 60, 1000 * i):
            kind = i % 8
            if kind == 0:
                log.debug("cache lookup", key=f"user:{i}", hit=i % 3 == 0)
            elif kind in (1, 2, 3, 4):
                log.info("request done", path=["/api/users", "/login"][i % 2], status=200,
                         ms=10 * i, user_id=i % 5)
            elif kind == 5:
                log.warning("slow query", ms=500 + i, table="orders")
            elif kind == 6:
                try:
                    raise ValueError(f"card declined {i}")
                except ValueError:
                    log.exception("charge failed", order_id=1000 + i)
            else:
                log.critical("worker crashed", worker=i)
    with at(hour, minute, 59, 999999):
        fastlog_core.get_logger("app.api").info(
            "<script>alert(1)</script>", link="javascript:alert(2)",
            html='<img src=x onerror="alert(3)">')
    fastlog_core.shutdown()

fastlog_file(f"{out}/app.log", "default", 10, 0)
fastlog_file(f"{out}/app.log.1", "default", 9, 0)
with open(f"{out}/app.log.1", "rb") as f:
    data = f.read()
with open(f"{out}/app.log.1.gz", "wb") as f:
    f.write(gzip.compress(data, mtime=0))
os.remove(f"{out}/app.log.1")
fastlog_file(f"{out}/worker.log", "ecs", 9, 30)

with at(10, 0, 30):
    import structlog
    with open(f"{out}/structlog.log", "w") as f:
        structlog.configure(
            processors=[structlog.processors.add_log_level,
                        structlog.processors.TimeStamper(fmt="iso", utc=True),
                        structlog.processors.format_exc_info,
                        structlog.processors.JSONRenderer()],
            logger_factory=structlog.PrintLoggerFactory(f))
        slog = structlog.get_logger()
        slog.info("charge ok", order_id=1234, user={"id": 42})
        slog.warning("slow query", ms=812)
        slog.info("traced", trace_id="4BF92F3577B34DA6A3CE929D0E0E4736")
        try:
            1 / 0
        except ZeroDivisionError:
            slog.exception("charge failed", order_id=1235)
    from loguru import logger
    logger.remove()
    logger.add(f"{out}/loguru.log", serialize=True, level="DEBUG")
    logger.bind(order_id=1234, user={"id": 42}).info("charge ok")
    logger.bind(ms=812).warning("slow query")
    logger.remove()
    from pythonjsonlogger.json import JsonFormatter
    handler = logging.FileHandler(f"{out}/pjl.log")
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    plog = logging.getLogger("pjl.app")
    plog.addHandler(handler)
    plog.setLevel(logging.DEBUG)
    plog.propagate = False
    plog.info("charge ok", extra={"order_id": 1234})
    plog.error("refused", extra={"port": 5432})
    plog.info("traced", extra={"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})
    handler.close()
"""

#: The files WRITER writes, in the order the tests name them.
FILES = ("app.log.1.gz", "worker.log", "app.log", "structlog.log", "loguru.log", "pjl.log")


def write_logs(root: Path) -> list[str]:
    """Run :data:`WRITER` into *root*; the paths of :data:`FILES`."""
    subprocess.run([sys.executable, "-c", WRITER, str(root)], env=env(), check=True, timeout=120)
    return [str(root / name) for name in FILES]
