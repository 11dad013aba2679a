"""The real ``fastlog web`` on loopback, for the API, security and browser tests."""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import subprocess
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


__all__ = ["Server", "fastlog_web", "sse_events", "wait_for"]
