"""A loopback stand-in for Datadog's HTTP logs intake (API v2) that checks every request
against the documented format before answering 202, as the real intake does.

What it checks (docs.datadoghq.com/api/latest/logs/#send-logs, the ``SubmitLog`` operation of
DataDog/datadog-api-client): ``POST /api/v2/logs``; a ``DD-API-KEY`` header; ``Content-Type:
application/json``; a body that, when ``Content-Encoding: gzip``, gunzips; a JSON array of 1 to
1,000 objects; at most 5,000,000 bytes uncompressed; at most 1,000,000 bytes per entry; the
reserved attributes ``ddsource``, ``ddtags``, ``hostname``, ``service`` strings when present.
A request breaking a rule is answered 400 (as the intake would) and recorded in
``violations``, which the fixture asserts empty at teardown: a test passes only if fastlog
never sent anything the intake documents as wrong.

Faults: ``script`` replies (``Reply``) are given in order, after the checks, to valid
requests; ``keys`` are the API keys accepted (403 for another, as Datadog answers an invalid
key); ``max_entries`` answers 413 to a larger request (a smaller limit than the real one, to
exercise the split). Built on ``tests/network/receiver.Receiver`` (a real HTTP/1.1 server).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from tests.network.receiver import Receiver, Reply, Request

PATH = "/api/v2/logs"
KEY = "0123456789abcdef0123456789abcdef"  # the test key: never real
MAX_ENTRIES = 1000
MAX_PAYLOAD = 5_000_000
MAX_ENTRY = 1_000_000
RESERVED = ("ddsource", "ddtags", "hostname", "service")


class DatadogIntake:
    """``url`` is the intake's whole URL (``http://127.0.0.1:<port>/api/v2/logs``)."""

    def __init__(self, port: int = 0) -> None:
        self.receiver = Receiver(port)
        self.receiver.answer = self._answer
        self.url = self.receiver.url + PATH
        self.keys = {KEY}
        self.script: list[Reply] = []
        self.max_entries: int | None = None
        self.violations: list[str] = []
        #: Every request as it came, checked or not: (request, answered status).
        self.seen: list[tuple[Request, int]] = []
        self._accepted: list[list[dict[str, Any]]] = []  # the entries of each 2xx request

    def _answer(self, request: Request) -> Reply:
        reply = self._decide(request)
        self.seen.append((request, reply.status))
        return reply

    def _decide(self, request: Request) -> Reply:
        problems = self.check(request)
        if problems:
            self.violations += problems
            return Reply(400, orjson.dumps({"errors": [{"detail": "; ".join(problems)}]}))
        if request.headers.get("dd-api-key") not in self.keys:
            return Reply(403, b'{"errors":["Forbidden"]}')
        entries = orjson.loads(request.body)
        if self.max_entries is not None and len(entries) > self.max_entries:
            return Reply(413, b'{"errors":["Payload too large"]}')
        reply = self.script.pop(0) if self.script else Reply(202, b"{}")
        if 200 <= reply.status < 300:
            self._accepted.append(entries)
        return reply

    @staticmethod
    def check(request: Request) -> list[str]:
        """What in *request* breaks the documented format (empty: nothing)."""
        problems = []
        if request.method != "POST" or request.path != PATH:
            problems.append(f"{request.method} {request.path}: expected POST {PATH}")
        if not request.headers.get("dd-api-key"):
            problems.append("no DD-API-KEY header")
        if request.headers.get("content-type") != "application/json":
            problems.append(f"Content-Type {request.headers.get('content-type')!r}")
        encoding = request.headers.get("content-encoding")
        body = request.raw
        if encoding == "gzip":
            try:
                body = gzip.decompress(request.raw)
            except (OSError, EOFError, zlib.error) as exc:
                return [*problems, f"the gzip body does not decode: {exc}"]
        elif encoding not in (None, "identity"):
            problems.append(f"Content-Encoding {encoding!r}")
        if len(body) > MAX_PAYLOAD:
            problems.append(f"{len(body)} bytes uncompressed, over {MAX_PAYLOAD}")
        try:
            entries = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return [*problems, f"the body is not JSON: {exc}"]
        if not isinstance(entries, list) or not entries:
            return [*problems, "the body is not a non-empty JSON array"]
        if len(entries) > MAX_ENTRIES:
            problems.append(f"{len(entries)} entries, over {MAX_ENTRIES}")
        for n, entry in enumerate(entries):
            if not isinstance(entry, dict):
                problems.append(f"entry {n} is not an object")
                continue
            size = len(orjson.dumps(entry))
            if size > MAX_ENTRY:
                problems.append(f"entry {n}: {size} bytes, over {MAX_ENTRY}")
            problems.extend(
                f"entry {n}: {key} is not a string"
                for key in RESERVED
                if key in entry and not isinstance(entry[key], str)
            )
        return problems

    def entries(self) -> list[dict[str, Any]]:
        """Every entry of every accepted request, in order."""
        with self.receiver._cond:
            return [entry for batch in self._accepted for entry in batch]

    def records(self) -> list[dict[str, Any]]:
        """The accepted entries without fastlog's own note lines."""
        return [e for e in self.entries() if e.get("logger") != "fastlog"]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The accepted records once there are *count* (a hang guard, not a timing one)."""
        self.receiver.wait_for(lambda _: len(self.records()) >= count, timeout)
        return self.records()

    def statuses(self) -> list[int]:
        with self.receiver._cond:
            return [status for _, status in self.seen]

    def when(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        """Until *predicate* holds, checked whenever a request was answered."""
        self.receiver.wait_for(lambda _: predicate(), timeout)

    def close(self) -> None:
        self.receiver.close()


@pytest.fixture
def datadog_intake() -> Iterator[DatadogIntake]:
    intake = DatadogIntake()
    try:
        yield intake
    finally:
        intake.close()
    assert intake.violations == [], intake.violations
