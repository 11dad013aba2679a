"""A real ClickHouse server for the HTTP sink's end-to-end tests: Debian's ``clickhouse-server``
(installed with apt-get when missing), started with its own configuration on free loopback
ports, its data, logs and temporary files in a pytest temporary directory.

Once per session: the server starts in well under a second here, but each test gets its own
table (``ClickHouse.table``), so nothing is shared between tests but the process. It runs as
whoever runs the tests (root on CI: ClickHouse 18.16 accepts that, with every path in the
temporary directory, which that user owns). Readiness is ``GET /ping`` answering ``Ok.``.

Two users: ``default`` (no password) and ``writer`` (password ``WRITER_PASSWORD``), both
allowed from 127.0.0.1 only, for the tests of credentials.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.helpers import free_port, wait_until

WRITER_PASSWORD = "wr1ter-s3cret"

CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>{root}/log/server.log</log>
        <errorlog>{root}/log/server.err.log</errorlog>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>
    <path>{root}/data/</path>
    <tmp_path>{root}/tmp/</tmp_path>
    <user_files_path>{root}/user_files/</user_files_path>
    <format_schema_path>{root}/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>268435456</mark_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
"""

USERS = """<?xml version="1.0"?>
<yandex>
    <profiles><default></default></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <writer>
            <password>{password}</password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </writer>
    </users>
    <quotas><default></default></quotas>
</yandex>
"""

#: fastlog's default schema as a table: the four core keys, then the fields the tests log.
#: ``timestamp`` is kept as the RFC 3339 text fastlog wrote (18.16 has no DateTime64; a
#: ``DateTime`` column would drop the microseconds), ``time`` is that text parsed to seconds.
DEFAULT_COLUMNS = (
    "timestamp String, "
    "time DateTime MATERIALIZED parseDateTimeBestEffort(timestamp), "
    "level String, logger String, message String, "
    "seq UInt64, user String, amount Float64"
)


class ClickHouse:
    """A running server: ``url`` (its HTTP interface), SQL helpers, fresh table names."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.http_port = free_port()
        self.tcp_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self._names = itertools.count(1)
        for sub in ("data", "tmp", "user_files", "format_schemas", "log"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "config.xml").write_text(
            CONFIG.format(root=root, http_port=self.http_port, tcp_port=self.tcp_port)
        )
        (root / "users.xml").write_text(USERS.format(password=WRITER_PASSWORD))
        self._out = open(root / "log" / "console.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [server_binary(), f"--config-file={root / 'config.xml'}"],
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            cwd=root,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until ``GET /ping`` answers ``Ok.``; fails with the server's own logs if it exits."""

        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"clickhouse-server exited with {self.process.returncode}:\n{self.logs()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as response:
                    return bool(response.read() == b"Ok.\n")
            except OSError:
                return False

        wait_until(ready, timeout, f"clickhouse-server answering /ping on {self.url}")

    def logs(self) -> str:
        parts = []
        for name in ("console.log", "server.err.log"):
            path = self.root / "log" / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def query(self, sql: str, body: bytes | None = None) -> bytes:
        """Run *sql* over the HTTP interface as ``default``; the response body. An error
        response fails the test with ClickHouse's message."""
        if body is None:
            url, data = self.url + "/", sql.encode()
        else:
            url, data = f"{self.url}/?{urllib.parse.urlencode({'query': sql})}", body
        request = urllib.request.Request(url, data=data, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"ClickHouse refused {sql!r}: {exc.read().decode()}") from None

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """The rows *sql* selects, each a dict (``FORMAT JSONEachRow``: 64-bit integers come
        as strings, as ClickHouse writes them)."""
        data = self.query(f"{sql} FORMAT JSONEachRow")
        return [orjson.loads(line) for line in data.splitlines() if line]

    def count(self, table: str) -> int:
        return int(self.query(f"SELECT count() FROM {table}"))

    def table(self, columns: str = DEFAULT_COLUMNS, order_by: str = "seq") -> str:
        """A new, empty MergeTree table with *columns*, named ``logs_<n>``."""
        name = f"logs_{next(self._names)}"
        self.query(f"CREATE TABLE {name} ({columns}) ENGINE = MergeTree ORDER BY {order_by}")
        return name

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self._out.close()


def server_binary() -> str:
    """``clickhouse-server``'s path, installing Debian's package first when it is missing."""
    found = shutil.which("clickhouse-server") or (
        "/usr/sbin/clickhouse-server" if os.access("/usr/sbin/clickhouse-server", os.X_OK) else ""
    )
    if found:
        return found
    install = ["apt-get", "install", "-y", "-q", "clickhouse-server", "clickhouse-client"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"apt-get install clickhouse-server failed:\n{done.stderr}"
    return "/usr/sbin/clickhouse-server"


@pytest.fixture(scope="session")
def clickhouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouse]:
    server = ClickHouse(tmp_path_factory.mktemp("clickhouse"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
