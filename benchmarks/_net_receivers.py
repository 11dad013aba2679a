"""The receiving side of bench_network.py: cheap loopback receivers in processes of their own,
a real rsyslog, and the decoders that check what arrived, record by record, after the timing.

A receiver (``python benchmarks/_net_receivers.py tcp|http``) is one process with one thread
(a ``selectors`` loop) and two listening ports on 127.0.0.1: the data port, where the sinks
send, and a control port, where the benchmark (parent or case) sends one-line commands:

- ``reset``: counters to zero, recording off; ``record PATH``: also append every byte received
  (TCP: each chunk of each connection; HTTP: each request's body, un-gzipped) to *PATH*, for
  the checks after the run;
- ``count``: ``records bytes requests connections reached`` (``reached``: the receiver's
  ``time.monotonic()`` when the count first reached the ``expect N`` target, else 0);
- ``stall`` / ``resume``: while stalled it accepts connections but reads nothing and answers
  nothing (a collector that hangs); ``down`` / ``up``: the listening socket closed (connections
  refused) and every connection closed after reading what it had sent, then listening again
  on the same port (a collector restarted).

Counting is cheap on purpose, so the receiver keeps up with any sink: every record carries the
message ``MARKER`` once, whatever the protocol (a syslog MSG, an NDJSON line, an OTLP body,
protobuf or JSON), and the receiver counts its occurrences in the bytes (carrying a marker's
length across TCP chunks; in whole bodies for HTTP). Notes fastlog adds to the stream (records
dropped or lost) do not carry it. Which records arrived, in which order, is checked after the
timing from the recording (``tcp_records``, ``http_records``): every frame parsed, every OTLP
request decoded with the official ``opentelemetry-proto`` messages.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = b"user logged in"
_TAIL = len(MARKER) - 1
#: A recorded chunk: connection number, length, kind (0: TCP bytes, 1: HTTP body, 2: a TCP
#: connection's end).
_HEADER = struct.Struct("<IIB")
_RECV = 1 << 20


# -- the receiver process --------------------------------------------------------------------


@dataclass
class _Conn:
    sock: socket.socket
    number: int
    tail: bytes = b""  # TCP: the last bytes of the previous chunk (a marker cut in two)
    buf: bytearray = field(default_factory=bytearray)  # HTTP: a request not yet complete
    stalled: bool = False  # accepted while stalled: not registered for reading yet


class _Server:
    """The receiver's loop (see the module docstring)."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        self.sel = selectors.DefaultSelector()
        self.port = 0
        self.listener: socket.socket | None = None
        self._listen()
        self.control = socket.create_server(("127.0.0.1", 0))
        self.control.setblocking(False)
        self.sel.register(self.control, selectors.EVENT_READ, "control-listen")
        self.conns: dict[int, _Conn] = {}  # fd -> connection
        self.controls: dict[socket.socket, bytearray] = {}
        self.numbers = 0
        self.stalled = False
        self.record: Any = None  # a binary file while recording
        self.reset()

    def reset(self) -> None:
        self.records = 0
        self.bytes = 0
        self.requests = 0
        self.connections = 0
        self.expect = 0
        self.reached = 0.0
        if self.record is not None:
            self.record.close()
            self.record = None

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self.listener = sock
        self.sel.register(sock, selectors.EVENT_READ, "listen")

    def serve(self) -> None:
        print(f"{self.port} {self.control.getsockname()[1]}", flush=True)
        while True:
            for key, _ in self.sel.select():
                what = key.data
                if what == "listen":
                    if key.fileobj is self.listener:  # not closed by a command just before
                        self._accept()
                elif what == "control-listen":
                    sock, _ = self.control.accept()
                    sock.setblocking(False)
                    self.controls[sock] = bytearray()
                    self.sel.register(sock, selectors.EVENT_READ, "control")
                elif what == "control":
                    self._on_control(key.fileobj)  # type: ignore[arg-type]
                else:
                    conn = self.conns.get(key.fd)
                    if conn is not None and conn.sock is key.fileobj and not conn.stalled:
                        self._on_data(conn)

    def _accept(self) -> None:
        assert self.listener is not None
        try:
            sock, _ = self.listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        self.numbers += 1
        self.connections += 1
        conn = _Conn(sock, self.numbers)
        self.conns[sock.fileno()] = conn
        if self.stalled:
            conn.stalled = True
        else:
            self.sel.register(sock, selectors.EVENT_READ, "data")

    def _on_data(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(_RECV)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)
            return
        self._take(conn, data)

    def _take(self, conn: _Conn, data: bytes) -> None:
        self.bytes += len(data)
        if self.protocol == "tcp":
            joined = conn.tail + data
            self._count(joined.count(MARKER))
            conn.tail = joined[-_TAIL:]
            if self.record is not None:
                self.record.write(_HEADER.pack(conn.number, len(data), 0))
                self.record.write(data)
            return
        conn.buf += data
        while self._request(conn):
            pass

    def _request(self, conn: _Conn) -> bool:
        """Take one complete HTTP request off *conn*'s buffer and answer it; False when the
        buffer holds no complete request."""
        buf = conn.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(buf[:end]).decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", ""):
            raise SystemExit("chunked request bodies are not supported by this receiver")
        length = int(headers.get("content-length", "0"))
        if len(buf) < end + 4 + length:
            return False
        body = bytes(buf[end + 4 : end + 4 + length])
        del buf[: end + 4 + length]
        if headers.get("content-encoding") == "gzip":
            body = zlib.decompress(body, 31)
        self.requests += 1
        self._count(body.count(MARKER))
        if self.record is not None:
            self.record.write(_HEADER.pack(conn.number, len(body), 1))
            self.record.write(body)
        kind = headers.get("content-type", "")
        answer = b"{}" if "json" in kind and "ndjson" not in kind else b""
        reply = (
            b"HTTP/1.1 200 OK\r\nContent-Type: " + kind.encode() + b"\r\nContent-Length: "
            + str(len(answer)).encode() + b"\r\n\r\n" + answer
        )  # fmt: skip
        try:
            conn.sock.send(reply)  # a few bytes: the client reads its answers
        except OSError:
            pass
        return True

    def _count(self, n: int) -> None:
        self.records += n
        if self.expect and not self.reached and self.records >= self.expect:
            self.reached = time.monotonic()

    def _close(self, conn: _Conn) -> None:
        if not conn.stalled:
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(conn.sock)
        self.conns.pop(conn.sock.fileno(), None)
        if self.record is not None and self.protocol == "tcp":
            self.record.write(_HEADER.pack(conn.number, 0, 2))
        conn.sock.close()

    def _drain(self, conn: _Conn) -> None:
        """Read what *conn* has sent so far (going down: nothing already received is lost)."""
        while True:
            try:
                data = conn.sock.recv(_RECV)
            except OSError:
                return
            if not data:
                return
            self._take(conn, data)

    def _on_control(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            return
        if not data:
            self.sel.unregister(sock)
            del self.controls[sock]
            sock.close()
            return
        buf = self.controls[sock]
        buf += data
        while b"\n" in buf:
            line, _, rest = bytes(buf).partition(b"\n")
            buf[:] = rest
            answer = self._command(line.decode().split())
            sock.setblocking(True)
            sock.sendall(answer.encode() + b"\n")
            sock.setblocking(False)

    def _command(self, words: list[str]) -> str:
        name = words[0] if words else ""
        if name == "reset":
            self.reset()
        elif name == "record":
            if self.record is not None:
                self.record.close()
            self.record = open(words[1], "ab")  # noqa: SIM115 - open until the next command
        elif name == "expect":
            self.expect = int(words[1])
            self.reached = 0.0
            self._count(0)
        elif name == "count":
            if self.record is not None:
                self.record.flush()
            return f"{self.records} {self.bytes} {self.requests} {self.connections} {self.reached}"
        elif name == "stall":
            self.stalled = True
            for conn in self.conns.values():
                if not conn.stalled:
                    self.sel.unregister(conn.sock)
                    conn.stalled = True
        elif name == "resume":
            self.stalled = False
            for conn in list(self.conns.values()):
                if conn.stalled:
                    conn.stalled = False
                    self.sel.register(conn.sock, selectors.EVENT_READ, "data")
                    self._on_data(conn)
        elif name == "down":
            assert self.listener is not None
            self.sel.unregister(self.listener)
            self.listener.close()
            self.listener = None
            for conn in list(self.conns.values()):
                self._drain(conn)
                self._close(conn)
        elif name == "up":
            self._listen()
        elif name == "quit":
            raise SystemExit(0)
        else:
            return f"error: unknown command {words!r}"
        return "ok"


# -- the benchmark's side ---------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    records: int
    bytes: int
    requests: int
    connections: int
    reached: float  # time.monotonic() when the count reached the ``expect`` target, else 0


class Control:
    """A connection to a receiver's control port (the parent's, or a case's own)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.file = self.sock.makefile("rb")

    def __call__(self, *words: object) -> str:
        self.sock.sendall(" ".join(map(str, words)).encode() + b"\n")
        answer = self.file.readline().decode().strip()
        if answer.startswith("error") or not answer:
            raise RuntimeError(f"receiver: {words!r}: {answer or 'no answer (it died?)'}")
        return answer

    def count(self) -> Counts:
        records, nbytes, requests, connections, reached = self("count").split()
        return Counts(int(records), int(nbytes), int(requests), int(connections), float(reached))

    def wait_for(self, records: int, timeout: float) -> Counts:
        """The counts once *records* arrived, or after *timeout* seconds (the caller compares);
        returns as soon as more than *records* arrived too."""
        deadline = time.monotonic() + timeout
        while True:
            counts = self.count()
            if counts.records >= records or time.monotonic() >= deadline:
                return counts
            time.sleep(0.005)

    def settle(self, timeout: float, quiet: float = 0.3) -> Counts:
        """The counts once nothing arrived for *quiet* seconds (a peer that does not say when
        it is done), or after *timeout*."""
        deadline = time.monotonic() + timeout
        last = self.count()
        since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.count()
            if now.bytes != last.bytes:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
        return last

    def close(self) -> None:
        self.file.close()
        self.sock.close()


class Receiver:
    """A receiver process (``tcp`` or ``http``): ``port`` for the sinks, ``control`` for the
    commands. ``close()`` ends it."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), protocol],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if len(line) != 2:
            self.process.kill()
            raise RuntimeError(f"the {protocol} receiver did not start")
        self.port, self.control_port = int(line[0]), int(line[1])
        self.control = Control(self.control_port)

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            self.control("quit")
        self.control.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


# -- checking what arrived ---------------------------------------------------------------------


def _chunks(path: str) -> Iterator[tuple[int, int, bytes]]:
    with open(path, "rb") as f:
        data = f.read()
    at = 0
    while at < len(data):
        number, length, kind = _HEADER.unpack_from(data, at)
        at += _HEADER.size
        yield number, kind, data[at : at + length]
        at += length


def _frames(stream: bytes, framing: str) -> tuple[list[bytes], int]:
    """Split one TCP connection's bytes into messages: ``octet`` (RFC 6587 octet counting,
    ``LEN SP MSG``), ``nul`` (stdlib ``SysLogHandler``: each message ends with a NUL byte) or
    ``newline``; the second value is the bytes of a last message cut short."""
    if framing == "octet":
        frames: list[bytes] = []
        at = 0
        n = len(stream)
        while at < n:
            space = stream.find(b" ", at, at + 12)
            if space < 0:
                break
            end = space + 1 + int(stream[at:space])
            if end > n:
                break
            frames.append(stream[space + 1 : end])
            at = end
        return frames, n - at
    sep = b"\0" if framing == "nul" else b"\n"
    parts = stream.split(sep)
    return parts[:-1], len(parts[-1])


def _user_id(message: bytes) -> int | None:
    """The ``user_id`` of a record in a syslog message or an NDJSON line (JSON after the
    syslog header, if any); ``None`` for a line that is not one of the benchmark's records."""
    if MARKER not in message:
        return None
    start = message.find(b"{")
    record = json.loads(message[start:])
    value = record["user_id"] if "user_id" in record else record["fields"]["user_id"]
    return int(value)


@dataclass
class Arrived:
    """What a recording holds: the records' ``user_id`` in arrival order, and what was not a
    record (fastlog's notes) or was cut short."""

    ids: list[int]
    other: int = 0  # messages that are not the benchmark's records (notes)
    cut: int = 0  # connections that ended in the middle of a message

    def check(self, expected: range) -> str | None:
        """``None`` when exactly the ids of *expected* arrived, in order; else what differs."""
        if self.ids == list(expected):
            return None
        got = set(self.ids)
        missing = len(set(expected) - got)
        dupes = len(self.ids) - len(got)
        disorder = sum(1 for a, b in zip(self.ids, self.ids[1:], strict=False) if b < a)
        return (
            f"{len(self.ids)} records arrived, expected {len(expected)}: {missing} missing, "
            f"{dupes} duplicated, {disorder} out of order"
        )

    def in_order(self) -> bool:
        return all(b > a for a, b in zip(self.ids, self.ids[1:], strict=False))


def tcp_records(path: str, framing: str) -> Arrived:
    streams: dict[int, bytearray] = {}
    for number, kind, data in _chunks(path):
        if kind == 0:
            streams.setdefault(number, bytearray()).extend(data)
    arrived = Arrived([])
    for number in sorted(streams):
        frames, rest = _frames(bytes(streams[number]), framing)
        arrived.cut += rest > 0
        for frame in frames:
            value = _user_id(frame)
            if value is None:
                arrived.other += 1
            else:
                arrived.ids.append(value)
    return arrived


def http_records(path: str, encoding: str) -> Arrived:
    """*encoding*: ``ndjson``, ``otlp`` (protobuf ``ExportLogsServiceRequest`` bodies),
    ``cloudwatch`` (``PutLogEvents`` JSON: each event's message a line) or ``datadog`` (a
    JSON array of entries)."""
    arrived = Arrived([])
    if encoding == "otlp":
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
            ExportLogsServiceRequest,
        )

        for _, _, body in _chunks(path):
            request = ExportLogsServiceRequest()
            request.ParseFromString(body)
            for resource in request.resource_logs:
                for scope in resource.scope_logs:
                    for rec in scope.log_records:
                        ids = [a.value.int_value for a in rec.attributes if a.key == "user_id"]
                        if rec.body.string_value == MARKER.decode() and len(ids) == 1:
                            arrived.ids.append(ids[0])
                        else:
                            arrived.other += 1
        return arrived
    if encoding in ("cloudwatch", "datadog"):
        for _, _, body in _chunks(path):
            document = json.loads(body)
            if type(document) is dict and "logEvents" not in document:
                continue  # CreateLogGroup, CreateLogStream: no records
            entries = (
                [event["message"] for event in document["logEvents"]]
                if encoding == "cloudwatch"
                else [json.dumps(entry) for entry in document]
            )
            for entry in entries:
                value = _user_id(entry.encode())
                if value is None:
                    arrived.other += 1
                else:
                    arrived.ids.append(value)
        return arrived
    for _, _, body in _chunks(path):
        for line in body.splitlines():
            value = _user_id(line)
            if value is None:
                arrived.other += 1
            else:
                arrived.ids.append(value)
    return arrived


# -- a real rsyslog ----------------------------------------------------------------------------

RSYSLOGD = "/usr/sbin/rsyslogd"

#: The least an rsyslog relay does with a TCP input: each message's MSG to a file, one a line.
_RSYSLOG_CONFIG = """\
global(maxMessageSize="65536" workDirectory="{work}")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{port}")
template(name="msg" type="string" string="%msg%\\n")
action(type="omfile" file="{out}" template="msg")
"""


class Rsyslog:
    """rsyslogd (Debian's package; installed with apt-get when missing, as the tests' fixture
    does) on a free loopback port, writing each message's MSG to ``out``, one a line."""

    def __init__(self, directory: str) -> None:
        _ensure_rsyslog()
        self.dir = Path(directory)
        (self.dir / "work").mkdir(parents=True)
        self.out = self.dir / "out.log"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        config = self.dir / "rsyslog.conf"
        config.write_text(
            _RSYSLOG_CONFIG.format(work=self.dir / "work", port=self.port, out=self.out)
        )
        self.process = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", str(config), "-i", str(self.dir / "rsyslogd.pid")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError("rsyslogd did not start") from None
                time.sleep(0.02)
        self.counter = OutputCounter(str(self.out))

    def close(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class OutputCounter:
    """Counts the records in a file another process appends to (rsyslog's output), reading
    only what was added since the last call."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._read = 0
        self._records = 0
        self._tail = b""

    def count(self) -> int:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._read)
                data = f.read()
        except FileNotFoundError:
            return 0
        self._read += len(data)
        joined = self._tail + data
        self._records += joined.count(MARKER)
        self._tail = joined[-_TAIL:]
        return self._records

    def wait_for(self, records: int, timeout: float) -> tuple[int, float]:
        """(count, ``time.monotonic()`` it was seen) once the file holds *records*, polled
        every 2 ms, or after *timeout*."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.count()
            now = time.monotonic()
            if got >= records or now >= deadline:
                return got, now
            time.sleep(0.002)


def _ensure_rsyslog() -> None:
    if os.path.exists(RSYSLOGD):
        return
    if shutil.which("apt-get") is None:
        raise RuntimeError("rsyslogd is missing and there is no apt-get to install it")
    command = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", "rsyslog"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(command, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, capture_output=True)
        subprocess.run(command, env=env, check=True, capture_output=True)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the benchmark ends it (quit), not Ctrl-C
    try:
        _Server(sys.argv[1]).serve()
    except OSError as exc:  # pragma: no cover - report, the benchmark sees it died
        if exc.errno != errno.EPIPE:
            raise
