"""moto's CloudWatch Logs server on loopback, every PutLogEvents request checked against the
service's documented limits, and a script of faults to answer with.

moto stores what it is sent but checks none of PutLogEvents' limits (count, bytes, event size,
empty messages, the 24-hour span): ``LogsResponse.put_log_events`` is wrapped (moto dispatches
to it by name) so that each request is checked before moto stores it, and each violation
recorded; the ``moto_logs`` fixture fails the test at teardown if there was any.

The fault script answers the next requests of an operation as the service does when it
throttles (400 JSON ``ThrottlingException``), is unavailable, fails (500), refuses a body
(413), refuses the credentials (400 ``UnrecognizedClientException``), or drops the connection.

Run as ``python -m tests.platforms.moto_logs [group stream]``: a server in a process of its own
(``MotoProcess``), its port printed on stdout, stopped when stdin closes, then what it received
printed. Used where moto must not share the test's GIL (a million events), and for moto's own
key check (it reads ``INITIAL_NO_AUTH_ACTION_COUNT`` at import: ``0`` checks every request).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: PutLogEvents' documented limits (botocore's service model, the API reference).
MAX_EVENTS = 10_000
MAX_BYTES = 1_048_576
OVERHEAD = 26
MAX_SPAN_MS = 24 * 3600 * 1000
DEFAULT_MAX_EVENT = 256 * 1024
NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
REGION = "us-east-1"

#: The operations the fault script can answer for (moto's method names).
OPERATIONS = ("put_log_events", "create_log_group", "create_log_stream", "put_retention_policy")


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], str]:
    """An error answer as CloudWatch Logs gives it (JSON 1.1)."""
    # moto takes the status from the headers' "status" (the tuple's own is not read).
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "x-amzn-ErrorType": code,
        "status": str(status),
    }
    body = json.dumps({"__type": code, "message": message})
    return status, headers, body


#: Fault name -> the answer, or None for a dropped connection.
FAULTS: dict[str, tuple[int, dict[str, str], str] | None] = {
    "throttle": _error(400, "ThrottlingException", "Rate exceeded"),
    "unavailable": _error(503, "ServiceUnavailableException", "The service is unavailable"),
    "500": _error(500, "InternalFailure", "internal failure"),
    "413": (413, {"Content-Type": "text/plain", "status": "413"}, "Request Entity Too Large"),
    "unrecognized": _error(
        400, "UnrecognizedClientException", "The security token included in the request is invalid."
    ),
    "denied": _error(400, "AccessDeniedException", "not authorized to perform this action"),
    "drop": None,
}


@dataclass(frozen=True)
class Put:
    """One PutLogEvents request as received (its events' count, bytes and time span)."""

    group: str
    stream: str
    count: int
    size: int  # Σ UTF-8 message bytes + 26 per event
    first: int
    last: int


class MotoLogs:
    """The live server's state for one test: its URL, the requests seen, the violations,
    the fault script, a boto3 client to read back with."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lock = threading.Lock()
        self.puts: list[Put] = []
        self.calls: Counter[str] = Counter()  # requests per operation, faulted ones included
        self.violations: list[str] = []
        self.faults: dict[str, deque[str]] = {op: deque() for op in OPERATIONS}
        self.max_event = DEFAULT_MAX_EVENT
        self.names: tuple[str, str] | None = None  # the (group, stream) every put must name
        self.rejected: dict[str, int] | None = None  # answer the next put with these indexes
        import boto3

        self.client = boto3.client(
            "logs",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def script(self, operation: str, *faults: str) -> None:
        """Answer the next requests of *operation* with *faults* in order (names of FAULTS)."""
        for fault in faults:
            assert fault in FAULTS, fault
        with self.lock:
            self.faults[operation].extend(faults)

    def fault_for(self, operation: str) -> str | None:
        with self.lock:
            self.calls[operation] += 1
            queue = self.faults[operation]
            return queue.popleft() if queue else None

    def check(self, group: Any, stream: Any, events: Any) -> None:
        """Record a violation of each documented limit *events* break."""
        problems = []
        if not isinstance(group, str) or not NAME.match(group):
            problems.append(f"bad group name {group!r}")
        if not isinstance(stream, str) or not 1 <= len(stream) <= 512 or ":" in stream:
            problems.append(f"bad stream name {stream!r}")
        if self.names is not None and (group, stream) != self.names:
            problems.append(f"names {(group, stream)} instead of {self.names}")
        if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
            count = len(events) if isinstance(events, list) else events
            problems.append(f"{count} events (1 to {MAX_EVENTS})")
            events = events if isinstance(events, list) else []
        size = 0
        stamps = []
        for k, event in enumerate(events):
            message = event.get("message")
            stamp = event.get("timestamp")
            if not isinstance(message, str) or not message:
                problems.append(f"event {k}: empty or missing message")
                continue
            if not isinstance(stamp, int):
                problems.append(f"event {k}: timestamp {stamp!r}")
                continue
            length = len(message.encode("utf-8"))
            if length + OVERHEAD > self.max_event:
                problems.append(f"event {k}: {length} + 26 bytes > {self.max_event}")
            size += length + OVERHEAD
            stamps.append(stamp)
        if size > MAX_BYTES:
            problems.append(f"{size} bytes > {MAX_BYTES}")
        if any(b < a for a, b in itertools.pairwise(stamps)):
            problems.append("events not in time order")
        if stamps and stamps[-1] - stamps[0] > MAX_SPAN_MS:
            problems.append(f"span of {stamps[-1] - stamps[0]} ms > 24 h")
        with self.lock:
            if stamps:
                self.puts.append(Put(group, stream, len(events), size, stamps[0], stamps[-1]))
            self.violations.extend(problems)

    # -- reading back -------------------------------------------------------------------------

    def events(self, group: str, stream: str) -> list[dict[str, Any]]:
        """Every event of the stream, in the service's order (get_log_events, paginated)."""
        out: list[dict[str, Any]] = []
        token = None
        while True:
            kwargs: dict[str, Any] = {"limit": 10_000, "startFromHead": True}
            if token is not None:
                kwargs["nextToken"] = token
            page = self.client.get_log_events(logGroupName=group, logStreamName=stream, **kwargs)
            out.extend(page["events"])
            if not page["events"] or page["nextForwardToken"] == token:
                return out
            token = page["nextForwardToken"]

    def messages(self, group: str, stream: str) -> list[dict[str, Any]]:
        """The stream's messages, parsed as JSON, in order."""
        return [json.loads(e["message"]) for e in self.events(group, stream)]

    def filtered(self, group: str, pattern: str = "") -> list[dict[str, Any]]:
        """filter_log_events over the group (all pages)."""
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"logGroupName": group}
        if pattern:
            kwargs["filterPattern"] = pattern
        while True:
            page = self.client.filter_log_events(**kwargs)
            out.extend(page["events"])
            token = page.get("nextToken")
            if not token:
                return out
            kwargs["nextToken"] = token


# -- the wrapper on moto's handlers -----------------------------------------------------------

_active: MotoLogs | None = None


def _wrap(operation: str, original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def handler(self: Any) -> Any:
        state = _active
        if state is None:
            return original(self)
        if operation == "put_log_events":
            state.check(
                self._get_param("logGroupName"),
                self._get_param("logStreamName"),
                self._get_param("logEvents"),
            )
        fault = state.fault_for(operation)
        if fault is not None:
            answer = FAULTS[fault]
            if answer is None:  # drop the connection, no answer at all
                sock = self.request.environ["werkzeug.socket"]
                sock.shutdown(socket.SHUT_RDWR)
                raise ConnectionAbortedError("dropped by the fault script")
            return answer
        if operation == "put_log_events" and state.rejected is not None:
            rejected, state.rejected = state.rejected, None
            return json.dumps({"nextSequenceToken": "0", "rejectedLogEventsInfo": rejected})
        return original(self)

    handler.__name__ = operation
    return handler


_installed = False


def install() -> None:
    """Wrap moto's CloudWatch Logs handlers (once per process)."""
    global _installed
    if _installed:
        return
    from moto.logs.responses import LogsResponse

    for operation in OPERATIONS:
        setattr(LogsResponse, operation, _wrap(operation, getattr(LogsResponse, operation)))
    _installed = True


class _Server:
    def __init__(self) -> None:
        install()
        from moto.server import ThreadedMotoServer

        # werkzeug logs each request at INFO: thousands of lines in a test's output.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()


_server: _Server | None = None


class MotoProcess:
    """``python -m tests.platforms.moto_logs`` in a child process: its URL, and at ``stop``
    what it received (``puts``, ``events``, ``violations``)."""

    def __init__(self, env: dict[str, str], names: tuple[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.platforms.moto_logs", *(names or ())],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        assert port.isdigit(), f"moto's server did not start: {port!r}"
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> dict[str, Any]:
        """Stop the server; what it received."""
        out, _ = self.process.communicate("", timeout=60)
        assert self.process.returncode == 0, out
        summary: dict[str, Any] = json.loads(out)
        return summary


def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str | None) -> None:
    """Test credentials, no instance metadata, empty config files, the endpoint variable."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    if url is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", url)


@pytest.fixture
def moto_logs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MotoLogs]:
    """moto's server (one per session, reset for each test), its URL in
    ``AWS_ENDPOINT_URL_CLOUDWATCH_LOGS``; fails the test if any PutLogEvents broke a limit."""
    global _server, _active
    if _server is None:
        _server = _Server()
    _server.reset()
    aws_environment(monkeypatch, tmp_path, _server.url)
    state = MotoLogs(_server.url)
    _active = state
    try:
        yield state
    finally:
        _active = None
    assert state.violations == [], state.violations[:20]


def main() -> None:
    """A server in this process (auth as the environment says), its port on stdout; when
    stdin closes, what it received on stdout as JSON: the number of PutLogEvents requests,
    of events, and the violations. ``argv[1:3]``: the group and stream every put must name."""
    server = _Server()
    global _active
    state = _active = MotoLogs(server.url)
    if len(sys.argv) == 3:
        state.names = (sys.argv[1], sys.argv[2])
    print(server.url.rsplit(":", 1)[1], flush=True)
    sys.stdin.read()
    summary = {
        "puts": len(state.puts),
        "events": sum(p.count for p in state.puts),
        "violations": state.violations,
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
