"""What protects a ``fastlog web`` server: loopback, the Host check, the token, the headers,
no way to name a file, log values served as data."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

import fastlog_web
from fastlog_cli._web import access_token
from fastlog_read import Index
from fastlog_web import create_app
from tests.web.helpers import Server, wait_for
from tests.web.helpers import fastlog_web as run_web

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
LINE = (
    b'{"timestamp":"2026-12-07T10:00:00Z","level":"info","message":"<script>alert(1)</script>"}\n'
)


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "app.log"
    path.write_bytes(LINE)
    return path


@pytest.fixture(scope="module")
def server(log: Path) -> Iterator[Server]:
    with run_web(str(log)) as running:
        yield running


def _security_headers(headers: dict[str, str]) -> None:
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


class TestHeaders:
    @pytest.mark.parametrize(
        ("path", "status"),
        [
            ("/api/info", 200),
            ("/api/records?f=ms>", 400),
            ("/api/record/9", 404),
            ("/static/nothing.js", 404),
            ("/no/such/route", 404),
        ],
    )
    def test_on_every_response(self, server: Server, path: str, status: int) -> None:
        """CSP, nosniff, no referrer, no framing on answers and errors alike; API answers
        are never cached."""
        got, headers, _ = server.get(path)
        assert got == status
        _security_headers(headers)
        if path.startswith("/api/"):
            assert headers["cache-control"] == "no-store"

    def test_log_values_are_json_data(self, server: Server) -> None:
        """A record holding markup is served as a JSON string, never as a document."""
        status, headers, body = server.get("/api/record/0")
        assert status == 200
        assert headers["content-type"] == "application/json"
        assert json.loads(body)["message"] == "<script>alert(1)</script>"


class TestHost:
    @pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io"])
    def test_foreign_host_is_403(self, server: Server, host: str) -> None:
        """A name that is not the bound address (DNS rebinding) is refused, API or page."""
        for path in ("/api/info", "/", "/static/app.js"):
            status, headers, body = server.get(path, Host=host)
            assert status == 403
            _security_headers(headers)
        status, _, body = server.get("/api/info", Host=host)
        assert json.loads(body) == {"error": "forbidden: unexpected Host header"}

    @pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST"])
    def test_loopback_names_pass(self, server: Server, name: str) -> None:
        """The bound address and localhost, with the port, are accepted."""
        port = server.base.rsplit(":", 1)[1]
        assert server.get("/api/info", Host=f"{name}:{port}")[0] == 200


class TestToken:
    def test_token_then_cookie(self, log: Path) -> None:
        """Without the token: 401; with ?token=: a 303 to the same URL without it, setting an
        HttpOnly SameSite=Strict cookie; with the cookie: served; a wrong token: 401."""
        token = "s3cret-token_1"
        with run_web("--token", token, str(log)) as server:
            assert server.url == f"{server.base}/?token={token}"
            status, headers, body = server.get("/api/info")
            assert (status, json.loads(body)) == (
                401,
                {"error": "unauthorized: open the URL printed by fastlog web"},
            )
            _security_headers(headers)
            assert server.get("/")[0] == 401
            status, headers, _ = server.get(f"/api/records?level=info&token={token}")
            assert status == 303
            assert headers["location"] == "/api/records?level=info"
            assert headers["set-cookie"] == (
                f"fastlog_token={token}; Path=/; HttpOnly; SameSite=Strict"
            )
            cookie = f"fastlog_token={token}"
            assert server.get("/api/info", Cookie=cookie)[0] == 200
            assert server.get("/api/info", Cookie="fastlog_token=wrong-token")[0] == 401
            assert server.get("/api/info?token=wrong-token")[0] == 401

    def test_token_rules(self) -> None:
        """Loopback needs no token; any other address gets one generated unless given."""
        assert access_token("127.0.0.1", None, loopback=True) == (None, False)
        assert access_token("127.0.0.1", "given-token", loopback=True) == ("given-token", False)
        assert access_token("0.0.0.0", "given-token", loopback=False) == ("given-token", False)
        token, generated = access_token("0.0.0.0", None, loopback=False)
        assert generated and token is not None and re.fullmatch(r"[A-Za-z0-9_\-]{32}", token)


class TestFiles:
    @pytest.mark.parametrize(
        "path",
        [
            "/static/../_app.py",
            "/static/%2e%2e/_app.py",
            "/static/..%2f_app.py",
            "/static//etc/passwd",
            "/static/%2fetc%2fpasswd",
        ],
    )
    def test_no_way_out_of_the_static_directory(self, server: Server, path: str) -> None:
        """Paths that climb out of the package's static directory are not served."""
        status, _, body = _raw_get(server, path)
        assert status in (404, 400), (status, body[:200])
        assert b"import" not in body and b"root:" not in body

    def test_no_parameter_names_a_file(self, server: Server) -> None:
        """The records endpoints ignore anything like a path: only the named file is read."""
        got = server.json("/api/records?file=/etc/passwd&path=/etc/passwd&source=/etc/passwd")
        assert got["total"] == 1
        assert server.json("/api/info")["files"][0].endswith("app.log")


def _raw_get(server: Server, path: str) -> tuple[int, dict[str, str], bytes]:
    # urllib normalises nothing, but a raw request is the honest way to send "..".
    host, port = server.base.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, {}, body


class TestAssets:
    def test_page_and_assets_by_exact_name(self, tmp_path: Path, log: Path) -> None:
        """The page and each asset of the static directory, with their types and the
        headers; nothing below it, no dot file, nothing else."""
        static = tmp_path / "static"
        (static / "sub").mkdir(parents=True)
        (static / "index.html").write_text("<!doctype html><title>t</title>")
        (static / "app.js").write_text("'use strict';")
        (static / "app.css").write_text("body{}")
        (static / ".secret").write_text("no")
        (static / "sub" / "x.js").write_text("no")
        with _in_process(Index([str(log)]), static) as base:
            status, headers, body = _fetch(base + "/")
            assert (status, headers["content-type"], body) == (
                200,
                "text/html; charset=utf-8",
                b"<!doctype html><title>t</title>",
            )
            _security_headers(headers)
            assert "cache-control" not in headers
            status, headers, body = _fetch(base + "/static/app.js")
            assert (status, headers["content-type"], body) == (
                200,
                "text/javascript; charset=utf-8",
                b"'use strict';",
            )
            assert _fetch(base + "/static/app.css")[1]["content-type"] == "text/css; charset=utf-8"
            for path in ("/static/.secret", "/static/sub/x.js", "/static/", "/static/missing.js"):
                status, headers, _ = _fetch(base + path)
                assert status == 404, path
                _security_headers(headers)


@contextlib.contextmanager
def _in_process(index: Index, static: Path) -> Iterator[str]:
    """create_app(static=...) on uvicorn in a thread, on a free loopback port."""
    sock = fastlog_web.bind("127.0.0.1", 0)
    config = uvicorn.Config(create_app(index, static=static), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, what="uvicorn to start")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                (response.read()),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()
