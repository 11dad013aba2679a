"""HTTPSink under faults: each one from the issue's list, against a real loopback server that
misbehaves on purpose. What each test pins: the logging call never waits on the network, and
every record ends delivered (exactly once, in order) or lost and counted, never silently gone.

The behaviour comes from the shared delivery layer (``NetworkSink``, ``HttpClient``); these
tests prove it through the HTTP sink, as a user meets it.
"""

from __future__ import annotations

import gzip
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import fastlog_core
from fastlog_core._network.http import HTTPSink
from tests.helpers import finishes, free_port, wait_until
from tests.network.receiver import Receiver, Reply


class RawIntake:
    """A minimal HTTP/1.1 server on raw sockets (keep-alive), each request's behaviour taken
    from ``modes`` in order (then ``"ok"``):

    - ``"ok"``: read the body, keep it (un-gzipped) in ``bodies``, answer 200;
    - ``"silent"``: read the request, never answer (until the server closes);
    - ``"drip"``: read it, then answer one byte every 0.1 s (a slow-loris server);
    - ``"reset"``: read half the body, then close the connection with a TCP reset.

    A body larger than ``max_body`` bytes (when set) is answered 413. With ``idle_close``
    (seconds), a connection left idle that long is closed, as servers do with keep-alive
    connections (``idle_closed`` counts them). With *tls* (a server context) every connection
    is TLS; a failed handshake is counted in ``handshakes_failed``.
    """

    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.modes: list[str] = []
        self.max_body: int | None = None
        self.idle_close: float | None = None
        self.idle_closed = 0
        self.bodies: list[bytes] = []
        self.attempts = 0
        self.too_large = 0
        self.handshakes_failed = 0
        self._tls = tls
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self._tls is not None:
                try:
                    conn = self._tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    with self._cond:
                        self.handshakes_failed += 1
                        self._cond.notify_all()
                    return
            reader = conn.makefile("rb")
            while self._request(conn, reader):
                pass
        except OSError:
            pass
        finally:
            conn.close()

    def _request(self, conn: socket.socket, reader: Any) -> bool:
        conn.settimeout(self.idle_close)
        try:
            if not reader.readline():
                return False
        except TimeoutError:
            with self._cond:
                self.idle_closed += 1
                self._cond.notify_all()
            return False
        conn.settimeout(None)
        headers = {}
        while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", 0))
        with self._cond:
            mode = self.modes.pop(0) if self.modes else "ok"
            self.attempts += 1
            self._cond.notify_all()
        if mode == "reset":
            reader.read(length // 2)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        raw = reader.read(length)
        if mode == "silent":
            self._stop.wait()
            return False
        if mode == "drip":
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: " + b"." * 10_000:
                if self._stop.wait(0.1):
                    break
                conn.sendall(bytes([byte]))
            return False
        if self.max_body is not None and len(raw) > self.max_body:
            with self._cond:
                self.too_large += 1
            conn.sendall(
                b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 14\r\n\r\nbody too large"
            )
            return True
        body = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
        with self._cond:
            self.bodies.append(body)
            self._cond.notify_all()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        return True

    def lines(self) -> list[bytes]:
        with self._cond:
            return [line for body in self.bodies for line in body.splitlines()]

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def intake() -> Iterator[RawIntake]:
    server = RawIntake()
    yield server
    server.close()


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return tmp_path / "copy.log"


def log_records(count: int, start: int = 1, size: int = 0) -> None:
    log = fastlog_core.get_logger("app")
    for seq in range(start, start + count):
        log.info("x" * size if size else "charge", seq=seq)


def settled(sink: HTTPSink) -> dict[str, int]:
    """The sink's counts once shut down: each line delivered or lost, none left over."""
    stats = dict(sink.delivery_stats())
    assert stats["queued"] == 0 and stats["spill_pending"] == 0, stats
    assert stats["sent"] == stats["delivered"] + stats["lost"], stats
    return stats


def records(lines: list[bytes]) -> list[bytes]:
    """The application's lines (fastlog's own note lines left out)."""
    return [line for line in lines if orjson.loads(line)["logger"] != "fastlog"]


class TestRefused:
    def test_400_is_not_retried_and_reported_with_the_servers_message(
        self, receiver: Receiver, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """HTTP 400: one attempt, the batch counted lost, the server's message reported and
        told in the stream by a note line in the next batch."""
        receiver.script.append(Reply(400, b'{"error":"field [seq] must be a keyword"}'))
        sink = HTTPSink(receiver.url, batch_wait=0.05)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        log_records(5)
        wait_until(lambda: sink.delivery_stats()["lost"] == 5)
        log_records(2, start=6)
        fastlog_core.shutdown()
        stats = settled(sink)
        assert (stats["lost"], stats["delivered"], stats["failures"], stats["retried"]) == (
            5,
            2,
            0,
            0,
        )
        assert len(receiver.refused) == 1
        assert receiver.refused[0].body.splitlines() == copy.read_bytes().splitlines()[:5]
        err = capfd.readouterr().err
        assert (
            f"{sink!r} lost 5 records: HTTP 400 Bad Request: "
            '{"error":"field [seq] must be a keyword"}' in err
        )
        note, *rest = receiver.lines()
        assert orjson.loads(note)["lost"] == 5
        assert rest == copy.read_bytes().splitlines()[5:]

    def test_a_note_refused_with_its_batch_is_told_by_the_next_one(
        self, receiver: Receiver, copy: Path
    ) -> None:
        """Two batches refused in a row: the second carried the note of the first and was
        refused with it, so the note of the batch accepted after tells both."""
        receiver.script.extend([Reply(400, b"bad"), Reply(400, b"bad")])
        sink = HTTPSink(receiver.url, batch_wait=0.05)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        log_records(5)
        wait_until(lambda: sink.delivery_stats()["lost"] == 5)
        log_records(3, start=6)
        wait_until(lambda: sink.delivery_stats()["lost"] == 8)
        log_records(2, start=9)
        fastlog_core.shutdown()
        stats = settled(sink)
        assert (stats["lost"], stats["delivered"]) == (8, 2)
        assert len(receiver.refused) == 2
        assert orjson.loads(receiver.refused[1].body.splitlines()[0])["lost"] == 5
        note, *rest = receiver.lines()
        assert (orjson.loads(note)["lost"], orjson.loads(note)["logger"]) == (8, "fastlog")
        assert rest == copy.read_bytes().splitlines()[8:]


class TestTooLarge:
    def test_413_splits_the_batch_until_it_fits(self, intake: RawIntake, copy: Path) -> None:
        """413: the batch is halved until each part is accepted; every record delivered
        once, in order."""
        intake.max_body = 1200
        sink = HTTPSink(f"http://127.0.0.1:{intake.port}/", batch_records=64, batch_wait=30)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        log_records(64)
        fastlog_core.shutdown()
        assert intake.lines() == copy.read_bytes().splitlines()
        assert all(len(body) <= 1200 for body in intake.bodies)
        assert intake.too_large >= 3
        stats = settled(sink)
        assert (stats["delivered"], stats["lost"]) == (64, 0)

    def test_a_single_record_too_large_is_lost_and_counted(
        self, intake: RawIntake, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A record the server refuses alone (413) is lost, counted and reported; the
        records around it are delivered, in order."""
        intake.max_body = 2000
        sink = HTTPSink(f"http://127.0.0.1:{intake.port}/", batch_records=11, batch_wait=30)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        log_records(5)
        log_records(1, start=6, size=5000)
        log_records(5, start=7)
        fastlog_core.shutdown()
        written = copy.read_bytes().splitlines()
        assert records(intake.lines()) == written[:5] + written[6:]
        stats = settled(sink)
        assert (stats["delivered"], stats["lost"]) == (10, 1)
        assert f"a record of {len(written[5])} bytes is too large" in capfd.readouterr().err


class TestRetryAfter:
    @pytest.mark.parametrize("status", [429, 503])
    def test_retry_after_is_honoured_then_delivered(
        self, receiver: Receiver, copy: Path, status: int
    ) -> None:
        """429/503 with Retry-After: 1: the sink waits that long before each new attempt
        (its own backoff would be far shorter), then delivers everything; nothing lost."""
        receiver.script += [Reply(status, b"slow down", {"Retry-After": "1"})] * 2
        sink = HTTPSink(receiver.url, batch_wait=0.01)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        started = time.monotonic()
        finishes(lambda: log_records(20), timeout=10)
        receiver.wait_for(lambda rs: sum(len(r.body.splitlines()) for r in rs) == 20)
        elapsed = time.monotonic() - started
        fastlog_core.shutdown()
        assert elapsed >= 1.9  # two Retry-After: 1 waits
        assert len(receiver.refused) == 2
        assert receiver.lines() == copy.read_bytes().splitlines()
        stats = settled(sink)
        assert (stats["delivered"], stats["lost"], stats["failures"]) == (20, 0, 2)


class TestUnreachable:
    def test_connection_refused_then_the_server_comes_up(self, copy: Path) -> None:
        """Nothing listening: attempts fail (counted), the logging calls do not wait; once a
        server listens on the port, everything is delivered, in order."""
        port = free_port()
        sink = HTTPSink(f"http://127.0.0.1:{port}/in", retry_max_wait=0.2, batch_wait=0.01)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        finishes(lambda: log_records(200), timeout=10)
        wait_until(lambda: sink.delivery_stats()["failures"] >= 2)
        server = RawIntake(port)
        try:
            wait_until(lambda: sink.delivery_stats()["delivered"] == 200)
            fastlog_core.shutdown()
            assert server.lines() == copy.read_bytes().splitlines()
        finally:
            server.close()
        assert settled(sink)["lost"] == 0

    def test_an_unresolvable_host_fails_attempts_and_loses_nothing_uncounted(
        self, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A host name that does not resolve: attempts fail and are reported; at shutdown
        the records still queued are counted lost."""
        sink = HTTPSink("http://no-such-host.invalid/in", close_timeout=0.3, batch_wait=0.01)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        finishes(lambda: log_records(10), timeout=10)
        wait_until(lambda: sink.delivery_stats()["failures"] >= 1)
        fastlog_core.shutdown()
        stats = settled(sink)
        assert (stats["sent"], stats["delivered"], stats["lost"]) == (10, 0, 10)
        assert "no-such-host.invalid" in capfd.readouterr().err


class TestKeepAlive:
    def test_a_connection_the_server_closed_while_idle_is_replaced_without_a_failure(
        self, intake: RawIntake, copy: Path
    ) -> None:
        """A server closes a keep-alive connection after a quiet moment (ClickHouse after 10
        s, nginx after 75 s): the next batch goes on a new connection at once, not after a
        failed attempt, a report and a backoff."""
        intake.idle_close = 0.2
        sink = HTTPSink(f"http://127.0.0.1:{intake.port}/", batch_wait=0.01)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        log_records(1)
        assert fastlog_core.flush()
        wait_until(lambda: intake.idle_closed == 1)
        log_records(1, start=2)
        assert fastlog_core.flush()
        fastlog_core.shutdown()
        assert intake.lines() == copy.read_bytes().splitlines()
        assert (settled(sink)["failures"], intake.attempts) == (0, 2)


class TestStalledServers:
    def test_a_server_that_never_answers_times_out_and_is_retried(
        self, intake: RawIntake, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A server that reads the request and never answers: each attempt ends at timeout,
        is retried, and the records are delivered once it answers; logging never waits."""
        intake.modes = ["silent", "silent"]
        sink = HTTPSink(f"http://127.0.0.1:{intake.port}/", timeout=0.5, batch_wait=0.01)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        finishes(lambda: log_records(1000), timeout=10)  # while the server hangs
        wait_until(lambda: sink.delivery_stats()["delivered"] == 1000)
        fastlog_core.shutdown()
        assert intake.lines() == copy.read_bytes().splitlines()
        stats = settled(sink)
        assert (stats["lost"], stats["failures"]) == (0, 2)
        assert "no complete answer within timeout=0.5s" in capfd.readouterr().err

    def test_a_slow_loris_answer_is_bounded_by_the_timeout(
        self, intake: RawIntake, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A server that answers one byte per 0.1 s (each read succeeds): the attempt still
        ends at timeout, not when the server finishes; then retried and delivered."""
        intake.modes = ["drip"]
        sink = HTTPSink(f"http://127.0.0.1:{intake.port}/", timeout=1.0, batch_wait=0.01)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        started = time.monotonic()
        finishes(lambda: log_records(50), timeout=10)
        wait_until(lambda: sink.delivery_stats()["delivered"] == 50, timeout=20)
        elapsed = time.monotonic() - started
        fastlog_core.shutdown()
        assert elapsed < 10  # the drip would last 1000 s
        assert intake.lines() == copy.read_bytes().splitlines()
        stats = settled(sink)
        assert (stats["lost"], stats["failures"]) == (0, 1)
        assert "no complete answer within timeout=1.0s" in capfd.readouterr().err

    def test_a_reset_mid_batch_is_retried_and_delivered_once(
        self, intake: RawIntake, copy: Path
    ) -> None:
        """The server reads half the body and resets the connection: the batch is sent
        again and delivered once, in order."""
        intake.modes = ["reset", "reset"]
        sink = HTTPSink(f"http://127.0.0.1:{intake.port}/", batch_wait=0.01)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        finishes(lambda: log_records(300), timeout=10)
        wait_until(lambda: sink.delivery_stats()["delivered"] == 300)
        fastlog_core.shutdown()
        assert intake.lines() == copy.read_bytes().splitlines()
        stats = settled(sink)
        assert (stats["lost"], stats["failures"]) == (0, 2)


# -- TLS ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        make_with_cryptography(cert, key)
    except ImportError:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
             "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )  # fmt: skip
    return cert, key


def make_with_cryptography(cert: Path, key: Path) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture
def tls_intake(certificate: tuple[Path, Path]) -> Iterator[RawIntake]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    server = RawIntake(tls=context)
    yield server
    server.close()


class TestTLS:
    def test_an_unverifiable_certificate_fails_and_is_reported(
        self, tls_intake: RawIntake, copy: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """verify on (the default), a self-signed certificate: no record goes out, the
        failure is reported as a verification error, and at shutdown the records are
        counted lost."""
        sink = HTTPSink(f"https://127.0.0.1:{tls_intake.port}/", close_timeout=0.3, batch_wait=0.01)
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        finishes(lambda: log_records(10), timeout=10)
        wait_until(lambda: tls_intake.handshakes_failed >= 1)
        wait_until(lambda: sink.delivery_stats()["failures"] >= 1)
        fastlog_core.shutdown()
        assert tls_intake.bodies == []
        stats = settled(sink)
        assert (stats["delivered"], stats["lost"]) == (0, 10)
        assert "CERTIFICATE_VERIFY_FAILED" in capfd.readouterr().err

    def test_ca_file_verifies_the_server(
        self, tls_intake: RawIntake, copy: Path, certificate: tuple[Path, Path]
    ) -> None:
        """ca_file= the server's certificate: verified, delivered, in order."""
        sink = HTTPSink(f"https://127.0.0.1:{tls_intake.port}/", ca_file=certificate[0])
        fastlog_core.configure(sink=[sink, str(copy)], level="debug")
        log_records(100)
        fastlog_core.shutdown()
        assert tls_intake.lines() == copy.read_bytes().splitlines()
        assert settled(sink)["delivered"] == 100
        assert tls_intake.handshakes_failed == 0
