"""A real rsyslog (Debian's ``rsyslog`` and ``rsyslog-openssl`` packages, installed with apt-get
when missing) for the syslog sink's tests, started once per session with a config of its own in
a temporary directory.

It listens on free loopback ports and on two Unix sockets, each input the way a deployment
would set it up:

- ``tcp``: imtcp, RFC 6587 octet-counted framing (imtcp's default);
- ``tls``: imtcp with the OpenSSL stream driver, a certificate signed by a CA made here;
- ``udp``: imudp, one message per datagram;
- ``unix_dgram``: imuxsock on a socket path, set up as for ``/dev/log`` (its own parser for
  the local format) but for rate limiting, which is off;
- ``unix_stream``: imptcp on a socket path, octet-counted framing.

Every message goes through ``mmpstrucdata`` (RFC 5424 structured data into ``$!rfc5424-sd``)
and ``mmjsonparse`` in cookie-less mode (the MSG parsed as JSON into ``$!``), then omfile writes
one JSON object per message to ``<dir>/out/<app-name>.jsonl``: the header fields as rsyslog
parsed them, the MSG as received, and the parsed fields. A test gives its records an app-name
of its own and reads back only its file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import free_port, parse_lines, wait_until

RSYSLOGD = "/usr/sbin/rsyslogd"
OSSL_DRIVER = "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so"

#: The largest message rsyslog takes (its default is 8096 bytes; a record with a traceback
#: easily passes that). The sink's UDP limit is tested against this.
MAX_MESSAGE = 65536

# The receiving side as the docs show it (docs/sinks.md, "Syslog"): one ruleset for fastlog's
# inputs that parses the JSON in MSG. Per property, jsonf writes `"outname":"value"` with JSON
# escaping; `$!` is the tree mmjsonparse (and mmpstrucdata, under `rfc5424-sd`) filled.
_CONFIG = """\
global(maxMessageSize="{max_message}" workDirectory="{work}"
       parser.escapeControlCharactersOnReceive="off")
module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="0")
module(load="imudp")
module(load="imuxsock" sysSock.use="off")
module(load="imptcp")
module(load="mmjsonparse")
module(load="mmpstrucdata")

input(type="imtcp" address="127.0.0.1" port="{tcp}" name="tcp" ruleset="fastlog")
input(type="imtcp" address="127.0.0.1" port="{tls}" name="tls" ruleset="fastlog"
      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon"
      streamDriver.caFile="{ca}" streamDriver.certFile="{cert}" streamDriver.keyFile="{key}")
input(type="imudp" address="127.0.0.1" port="{udp}" name="udp" ruleset="fastlog")
input(type="imuxsock" socket="{unix_dgram}" rateLimit.interval="0" ruleset="fastlog")
input(type="imptcp" path="{unix_stream}" unlink="on" name="unix-stream" ruleset="fastlog")

template(name="by_app" type="string" string="{out}/%app-name%.jsonl")
template(name="record" type="list") {{
    constant(value="{{")
    property(outname="hostname" name="hostname" format="jsonf")
    constant(value=",")
    property(outname="app_name" name="app-name" format="jsonf")
    constant(value=",")
    property(outname="procid" name="procid" format="jsonf")
    constant(value=",")
    property(outname="msgid" name="msgid" format="jsonf")
    constant(value=",")
    property(outname="facility" name="syslogfacility" format="jsonf")
    constant(value=",")
    property(outname="severity" name="syslogseverity" format="jsonf")
    constant(value=",")
    property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
    constant(value=",")
    property(outname="structured_data" name="structured-data" format="jsonf")
    constant(value=",")
    property(outname="input" name="inputname" format="jsonf")
    constant(value=",")
    property(outname="msg" name="msg" format="jsonf")
    constant(value=",\\"fields\\":")
    property(name="$!")
    constant(value="}}\\n")
}}

ruleset(name="fastlog") {{
    action(type="mmpstrucdata" sd_name.lowercase="off")
    action(type="mmjsonparse" cookie="")
    action(type="omfile" dynaFile="by_app" template="record" dynaFileCacheSize="100")
}}
"""


@dataclass
class Rsyslog:
    """A running rsyslogd and where it listens; ``records(app)`` reads back what it wrote."""

    dir: Path
    tcp: int
    tls: int
    udp: int
    unix_dgram: Path
    unix_stream: Path
    ca: Path  # the CA that signed the TLS input's certificate (for ca_file=)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = field(default=0)

    @property
    def out(self) -> Path:
        return self.dir / "out"

    @property
    def config(self) -> Path:
        return self.dir / "rsyslog.conf"

    def url(self, scheme: str) -> str:
        """The sink URL of the input for *scheme* (``tcp``, ``tls``, ``udp``, ``unix``,
        ``unix-stream``: the stream socket, under a ``unix://`` URL)."""
        if scheme in ("tcp", "tls", "udp"):
            return f"{scheme}://127.0.0.1:{getattr(self, scheme)}"
        if scheme == "unix":
            return f"unix://{self.unix_dgram}"
        if scheme == "unix-stream":
            return f"unix://{self.unix_stream}"
        raise ValueError(scheme)

    def records(self, app: str) -> list[dict[str, Any]]:
        """Every message rsyslog wrote for app-name *app*, in the order it wrote them."""
        path = self.out / f"{app}.jsonl"
        if not path.exists():
            return []
        data = path.read_bytes()
        return parse_lines(data[: data.rfind(b"\n") + 1], str(path))

    def wait_for(self, app: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The messages for *app* once there are *count* of them (fails if more arrive)."""
        found: list[dict[str, Any]] = []

        def enough() -> bool:
            found[:] = self.records(app)
            return len(found) >= count

        wait_until(enough, timeout, f"{count} messages from app-name {app!r} in rsyslog's output")
        assert len(found) == count, f"{len(found)} messages for {app!r}, expected {count}"
        return found

    def start(self) -> None:
        """Start rsyslogd (in the foreground, its own pid file) and wait until every input
        takes connections or exists."""
        assert self.process is None
        self.process = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", str(self.config), "-i", str(self.dir / "rsyslogd.pid")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for port in (self.tcp, self.tls):
            _wait_for_port(port, self.process)
        for path in (self.unix_dgram, self.unix_stream):
            wait_until(partial(self._exists, path), 30, f"rsyslog's socket {path}")
        # UDP has no handshake: a message on the UDP input arriving is the readiness probe.
        probe = f"ready-{self.restarts}"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:

            def arrived() -> bool:
                udp.sendto(f"<14>1 - - {probe} - - - up".encode(), ("127.0.0.1", self.udp))
                self._died()
                return bool(self.records(probe))

            wait_until(arrived, 30, "rsyslog's UDP input")

    def stop(self) -> None:
        """Stop rsyslogd with SIGTERM (it writes what it has queued first) and wait for it."""
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def _exists(self, path: Path) -> bool:
        return path.exists() or self._died()

    def _died(self) -> bool:
        process = self.process
        if process is not None and process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise AssertionError(f"rsyslogd exited with {process.returncode}:\n{output}")
        return False


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    def accepting() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise AssertionError(f"rsyslogd exited with {process.returncode}:\n{output}")
            return False

    wait_until(accepting, 30, f"rsyslog accepting connections on port {port}")


def ensure_rsyslog() -> None:
    """Install rsyslog and its OpenSSL stream driver with apt-get if they are missing (the CI
    machine is a fresh Debian, and root)."""
    if os.path.exists(RSYSLOGD) and os.path.exists(OSSL_DRIVER):
        return
    command = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q"]
    packages = ["rsyslog", "rsyslog-openssl"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if (
        subprocess.run([*command, *packages], check=False, env=env, capture_output=True).returncode
        != 0
    ):
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, capture_output=True)
        subprocess.run([*command, *packages], env=env, check=True, capture_output=True)
    assert os.path.exists(RSYSLOGD) and os.path.exists(OSSL_DRIVER)


def make_certificates(directory: Path, name: str = "ca") -> dict[str, Path]:
    """A CA and a server certificate for ``localhost``/``127.0.0.1`` it signed, made with the
    ``openssl`` command line: ``{"ca", "cert", "key"}`` paths (PEM)."""
    assert shutil.which("openssl"), "the openssl command is needed to make test certificates"
    ca, ca_key = directory / f"{name}.pem", directory / f"{name}.key"
    cert, key, csr = directory / "server.pem", directory / "server.key", directory / "server.csr"
    ext = directory / "server.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")

    def openssl(*args: str | Path) -> None:
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            f"/CN=fastlog test {name}", "-keyout", ca_key, "-out", ca)  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", key, "-out", csr)  # fmt: skip
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-days", "2", "-extfile", ext, "-out", cert)  # fmt: skip
    return {"ca": ca, "cert": cert, "key": key}


@contextlib.contextmanager
def running_rsyslog(directory: Path) -> Iterator[Rsyslog]:
    """An rsyslogd configured in *directory*, stopped at the end."""
    ensure_rsyslog()
    certs = make_certificates(directory)
    (directory / "out").mkdir()
    (directory / "work").mkdir()
    server = Rsyslog(
        dir=directory,
        tcp=free_port(),
        tls=free_port(),
        udp=free_udp_port(),
        unix_dgram=directory / "dgram.sock",
        unix_stream=directory / "stream.sock",
        ca=certs["ca"],
    )
    server.config.write_text(
        _CONFIG.format(
            max_message=MAX_MESSAGE,
            work=directory / "work",
            out=server.out,
            tcp=server.tcp,
            tls=server.tls,
            udp=server.udp,
            unix_dgram=server.unix_dgram,
            unix_stream=server.unix_stream,
            ca=certs["ca"],
            cert=certs["cert"],
            key=certs["key"],
        )
    )
    check = subprocess.run(
        [RSYSLOGD, "-N1", "-f", str(server.config)], check=False, capture_output=True
    )
    assert check.returncode == 0, f"rsyslog rejects its config:\n{check.stderr.decode()}"
    try:
        server.start()
        yield server
    finally:
        server.stop()


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def rsyslog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rsyslog]:
    """A real rsyslogd for the session (see the module's docstring)."""
    with running_rsyslog(tmp_path_factory.mktemp("rsyslog")) as server:
        yield server


__all__ = ["MAX_MESSAGE", "Rsyslog", "make_certificates", "rsyslog"]
