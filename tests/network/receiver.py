"""A scripted HTTP receiver on loopback, for the network sinks' tests: it keeps every request
(body un-gzipped) and answers each with the next scripted response, or 200.

Real sockets, a real HTTP/1.1 server (``http.server``, keep-alive on): the sinks speak to it as
to a collector. Tests wait on it with ``wait_for`` (a condition, not a sleep).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes  # the body as received
    body: bytes  # un-gzipped when Content-Encoding is gzip
    at: float = 0.0  # time.monotonic() when it was received


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Before answering: called with the handler (a test may block it, or drop the connection).
    before: Callable[[BaseHTTPRequestHandler], None] | None = None


class Receiver:
    """``url`` is ``http://127.0.0.1:<port>``; ``script`` the replies to give, in order."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[Request] = []
        self.script: list[Reply] = []
        self.default = Reply()
        #: When set, answers each request instead of the script (given the request).
        self.answer: Callable[[Request], Reply] | None = None
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                gzipped = self.headers.get("Content-Encoding") == "gzip"
                body = gzip.decompress(raw) if gzipped else raw
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request("POST", self.path, headers, raw, body, time.monotonic())
                with receiver._cond:
                    if receiver.answer is not None:
                        reply = receiver.answer(request)
                    else:
                        reply = receiver.script.pop(0) if receiver.script else receiver.default
                if reply.before is not None:
                    reply.before(self)
                    if self.close_connection:
                        return
                # Kept before the answer goes out: a sender that got its answer finds it here.
                with receiver._cond:
                    if 200 <= reply.status < 300:
                        receiver.requests.append(request)
                    else:
                        receiver.refused.append(request)
                    receiver._cond.notify_all()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
                self.wfile.flush()

            do_PUT = do_POST

        self.refused: list[Request] = []  # requests answered with a non-2xx status
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, predicate: Callable[[list[Request]], bool], timeout: float = 30.0) -> None:
        """Until *predicate* (given the accepted requests) holds; AssertionError after *timeout*
        (a hang guard, not a timing assertion)."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self.requests), timeout):
                raise AssertionError(
                    f"timed out after {timeout} s: {len(self.requests)} requests accepted, "
                    f"{len(self.refused)} refused"
                )

    def lines(self) -> list[bytes]:
        """Every accepted request's body split into lines (NDJSON payloads)."""
        with self._cond:
            return [line for r in self.requests for line in r.body.splitlines() if line]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()
