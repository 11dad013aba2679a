"""Connections for the network sinks: an HTTP/1.1 client with keep-alive, a stream socket,
and TLS contexts (verification on unless turned off).

Every attempt is bounded by ``timeout`` in total, not per read: a server that answers one byte
at a time (slow loris), or accepts and never answers, costs one ``timeout`` and an
``OSError``, never a hung sender.
"""

from __future__ import annotations

import email.utils
import http.client
import select
import socket
import ssl
import threading
import time
import urllib.parse
import zlib
from collections.abc import Mapping

from ..exceptions import ConfigError
from .delivery import Rejected, Retry, TooLarge

__all__ = ["HttpClient", "Response", "StreamClient", "tls_context"]

#: Statuses worth another attempt (OTLP's list, RFC 9110's transient ones).
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})


def tls_context(
    *,
    verify: bool = True,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> ssl.SSLContext:
    """A client context: the system's CAs (or *ca_file*), hostname checked, unless *verify*
    is False; a client certificate from *cert_file* (and *key_file*)."""
    try:
        context = ssl.create_default_context(cafile=ca_file)
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if cert_file is not None:
            context.load_cert_chain(cert_file, key_file)
        elif key_file is not None:
            raise ConfigError("key_file= needs cert_file= too")
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"TLS: cannot load ca_file/cert_file/key_file: {exc}") from exc
    return context


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Response:
    """What the server answered."""

    __slots__ = ("body", "headers", "reason", "status")

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def text(self, limit: int = 300) -> str:
        """The start of the body, for a message."""
        text = self.body[:limit].decode("utf-8", "replace").strip()
        return text + ("..." if len(self.body) > limit else "")

    def check(self, message: str | None = None, retryable: frozenset[int] = RETRYABLE) -> None:
        """Return on 2xx; raise ``TooLarge`` (413), ``Retry`` (a status in *retryable*, with
        ``Retry-After``) or ``Rejected`` (any other). The server's *message* is kept in the
        reason (the body's start unless the protocol read one out of it)."""
        status = self.status
        if 200 <= status < 300:
            return
        what = f"HTTP {status} {self.reason}".rstrip()
        body = self.text() if message is None else message
        if body:
            what += f": {body}"
        if status == 413:
            raise TooLarge(what)
        if status in retryable:
            raise Retry(what, retry_after(self.headers.get("retry-after")))
        raise Rejected(what)


class _Deadline:
    """Shuts a socket down if an attempt passes its deadline: http.client's timeouts are per
    read, and a slow-loris server would reset them with every byte."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._sock: socket.socket | None = None
        self._at = 0.0
        self._thread: threading.Thread | None = None
        self._expired = False

    def arm(self, sock: socket.socket | None, seconds: float) -> None:
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._watch, name="fastlog-deadline", daemon=True
                )
                self._thread.start()
            self._sock = sock
            self._at = time.monotonic() + seconds
            self._expired = False
            self._cond.notify()

    def disarm(self) -> bool:
        """Stop watching; True if the deadline passed meanwhile."""
        with self._cond:
            self._sock = None
            return self._expired

    def _watch(self) -> None:
        with self._cond:
            while True:
                if self._sock is None:
                    self._cond.wait()
                    continue
                left = self._at - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                try:
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self._expired = True
                self._sock = None


class HttpClient:
    """One keep-alive HTTP/1.1 connection to *url*, reconnected after an error.

    *headers* go with every request; with *gzip* the body is compressed
    (``Content-Encoding: gzip``).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        tls: ssl.SSLContext | None = None,
        headers: Mapping[str, str] | None = None,
        gzip: bool = False,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"url={redact(url)!r}: expected http://host[:port]/path or https://..."
            )
        self.url = url
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        try:
            self.port = parts.port or (443 if self.https else 80)
        except ValueError as exc:
            raise ConfigError(f"url={redact(url)!r}: {exc}") from exc
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout = timeout
        self.tls = tls if tls is not None or not self.https else tls_context()
        self.headers = dict(headers or {})
        if parts.username is not None:
            import base64

            user = urllib.parse.unquote(parts.username)
            pair = f"{user}:{urllib.parse.unquote(parts.password or '')}"
            self.headers.setdefault(
                "Authorization", "Basic " + base64.b64encode(pair.encode()).decode()
            )
        self.gzip = gzip
        self._conn: http.client.HTTPConnection | None = None
        self._deadline = _Deadline()

    def _connect(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self.https:
            conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=self.tls
            )
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return conn

    def post(
        self, body: bytes, *, content_type: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        """POST *body*; the answer, whatever its status. ``OSError`` when no answer came
        (refused, reset, timed out, TLS failure): the connection is then closed."""
        sent = {**self.headers, **(headers or {}), "Content-Type": content_type}
        if self.gzip:
            compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
            body = compressor.compress(body) + compressor.flush()
            sent["Content-Encoding"] = "gzip"
        conn = self._conn
        if conn is None:
            conn = self._conn = self._connect()
        elif conn.sock is not None and _readable(conn.sock):
            # An idle keep-alive connection has nothing to read unless the server closed it
            # (its idle timeout): a request written into it would fail, so take a new one.
            conn.close()
        try:
            if conn.sock is None:
                conn.connect()
            self._deadline.arm(conn.sock, self.timeout)
            conn.request("POST", self.target, body, sent)
            answer = conn.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            expired = self._deadline.disarm()
            self.close()
            # The socket's own timeout (the same seconds, per operation) may fire just before
            # the deadline does: the same event, told the same way.
            if expired or isinstance(exc, TimeoutError):
                raise TimeoutError(f"no complete answer within timeout={self.timeout}s") from exc
            if isinstance(exc, OSError):
                raise
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
        if self._deadline.disarm():
            self.close()
            raise TimeoutError(f"no complete answer within timeout={self.timeout}s")
        if answer.will_close:
            self.close()
        return Response(
            answer.status,
            answer.reason or "",
            {k.lower(): v for k, v in answer.getheaders()},
            data,
        )

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass


def _readable(sock: socket.socket) -> bool:
    """Whether *sock* has something to read now (or is closed), without waiting."""
    try:
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _peer_closed(sock: socket.socket) -> bool:
    """Whether the other end closed the connection (a stream a syslog server only reads from
    is readable only then)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        if isinstance(sock, ssl.SSLSocket):
            return True  # a TLS server that speaks first closes (close_notify) or errs
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def redact(url: str) -> str:
    """*url* without a password (for messages and reprs)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class StreamClient:
    """A stream socket to ``tcp://host:port``, ``tls://host:port`` or ``unix:///path``:
    connected on first use, and again after an error; each ``send`` bounded by *timeout*."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, tls: ssl.SSLContext | None = None
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = url
        self.scheme = parts.scheme
        if self.scheme == "unix":
            self.path = parts.path
            if not self.path:
                raise ConfigError(f"url={url!r}: expected unix:///path/to/socket")
        elif self.scheme in ("tcp", "tls"):
            if not parts.hostname or parts.port is None:
                raise ConfigError(f"url={url!r}: expected {self.scheme}://host:port")
            self.host = parts.hostname
            self.port = parts.port
        else:
            raise ConfigError(f"url={url!r}: expected tcp://, tls:// or unix://")
        self.timeout = timeout
        self.tls = tls if tls is not None or self.scheme != "tls" else tls_context()
        self._sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        if self.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.connect(self.path)
            except OSError:
                sock.close()
                raise
            return sock
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.scheme == "tls":
            assert self.tls is not None
            try:
                sock = self.tls.wrap_socket(sock, server_hostname=self.host)
            except OSError:
                sock.close()
                raise
        return sock

    def send(self, data: bytes) -> None:
        """Send all of *data* (the socket's timeout bounds the whole call); ``OSError`` when
        it could not, the connection then closed."""
        sock = self._sock
        if sock is not None and _peer_closed(sock):
            # The server closed its end (restarted): found now, not after sending into it.
            self.close()
            sock = None
        try:
            if sock is None:
                sock = self._sock = self._connect()
            sock.sendall(data)
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
