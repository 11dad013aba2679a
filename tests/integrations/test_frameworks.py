"""Framework records from real servers serving real requests: uvicorn, gunicorn (sync worker),
Django's test client and ``runserver``, and ``logging.captureWarnings`` in a real process.

Each server runs in its own process on loopback, configured through its own logging option with
``FastlogHandler`` (two of them: the default schema and a platform schema, to two files), is
stopped with SIGTERM, and its files are read after it has exited (fastlog flushes at exit and on
SIGTERM). Each request has a connection of its own, so the test knows the client port it used.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, free_port, read_lines, wait_for_port, wait_until

SRC = ROOT / "src"


def env_with(*paths: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process: *paths*, fastlog and the repository importable."""
    path = os.pathsep.join(str(p) for p in (*paths, SRC, ROOT))
    return {**os.environ, "PYTHONPATH": path, **extra}


def handlers(log: Path, schema: str, platform_log: Path) -> dict[str, Any]:
    """dictConfig handlers: ``json`` (the default schema) and ``platform`` (*schema*)."""
    return {
        "json": {"class": "fastlog_stdlib.FastlogHandler", "sink": str(log)},
        "platform": {
            "class": "fastlog_stdlib.FastlogHandler",
            "sink": str(platform_log),
            "schema": schema,
        },
    }


@contextmanager
def server(args: list[str], port: int, cwd: Path, env: dict[str, str]) -> Iterator[None]:
    """A server process accepting on *port*; SIGTERM and wait for its exit afterwards."""
    process = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_for_port(port, process)
        yield
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        # 0, or the re-raised SIGTERM after fastlog's flush (uvicorn, runserver).
        assert process.returncode in (0, -signal.SIGTERM), stderr.decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@dataclass
class Response:
    status: int
    body: bytes
    client_port: int


def http_request(
    port: int,
    method: str,
    target: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    hold_until: Any = None,
) -> Response:
    """One request on a connection of its own, which stays open until *hold_until* (a
    predicate) is true when given: runserver logs after sending the response, and reads the
    client's address from the connection then."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        data = response.read()
        response.close()  # its file object only: the socket stays open
        if hold_until is not None:
            wait_until(hold_until, 15, "the server's access line")
        return Response(response.status, data, sock.getsockname()[1])


def lines_of(path: Path, logger: str) -> list[dict[str, Any]]:
    return [r for r in read_lines(path) if r.get("logger") == logger] if path.exists() else []


def http_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The record's framework fields: its dotted keys (the core's own keys have no dot)."""
    return {k: v for k, v in record.items() if "." in k}


# ---------------------------------------------------------------------------------------------
# uvicorn

UVICORN_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    status = 404 if scope["path"] == "/missing" else 200
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})
"""


def test_uvicorn(tmp_path: Path) -> None:
    """uvicorn's access lines carry method, path, query, status, client and HTTP version;
    the datadog file has them under Datadog's names."""
    pytest.importorskip("uvicorn", reason="uvicorn is part of the test dependencies")
    (tmp_path / "app.py").write_text(UVICORN_APP)
    log, dd_log = tmp_path / "server.log", tmp_path / "server.dd.log"
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": handlers(log, "datadog", dd_log),
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "uvicorn.access": {
                "handlers": ["json", "platform"],
                "level": "INFO",
                "propagate": False,
            },
        },
    }
    (tmp_path / "log.json").write_text(json.dumps(config))
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
            "--port", str(port), "--log-config", "log.json"]  # fmt: skip
    with server(args, port, tmp_path, env_with(tmp_path)):
        responses = [
            http_request(port, "GET", "/items/1?x=1&y=2"),
            http_request(port, "GET", "/missing"),
            http_request(port, "POST", "/items", body=b"a=1"),
        ]
    assert [r.status for r in responses] == [200, 404, 200]

    access = lines_of(log, "uvicorn.access")
    assert [r["message"] for r in access] == [
        f'127.0.0.1:{responses[0].client_port} - "GET /items/1?x=1&y=2 HTTP/1.1" 200',
        f'127.0.0.1:{responses[1].client_port} - "GET /missing HTTP/1.1" 404',
        f'127.0.0.1:{responses[2].client_port} - "POST /items HTTP/1.1" 200',
    ]
    expected = [
        ("GET", "/items/1", {"url.query": "x=1&y=2"}, 200),
        ("GET", "/missing", {}, 404),
        ("POST", "/items", {}, 200),
    ]
    assert [http_fields(r) for r in access] == [
        {
            "http.request.method": method,
            "url.path": path,
            **query,
            "http.response.status_code": status,
            "client.address": "127.0.0.1",
            "client.port": response.client_port,
            "network.protocol.version": "1.1",
        }
        for (method, path, query, status), response in zip(expected, responses, strict=True)
    ]
    datadog = [r for r in read_lines(dd_log) if r["logger.name"] == "uvicorn.access"]
    assert [
        (r["http.method"], r["http.url"], r["http.url_details.path"], r["http.status_code"])
        for r in datadog
    ] == [
        ("GET", "/items/1?x=1&y=2", "/items/1", 200),
        ("GET", "/missing", "/missing", 404),
        ("POST", "/items", "/items", 200),
    ]
    assert [(r["network.client.ip"], r["network.client.port"]) for r in datadog] == [
        ("127.0.0.1", response.client_port) for response in responses
    ]


# ---------------------------------------------------------------------------------------------
# gunicorn

GUNICORN_APP = """
def application(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    missing = environ["PATH_INFO"] == "/missing"
    body = b"no such page" if missing else b"ok"
    start_response("404 Not Found" if missing else "200 OK",
                   [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def test_gunicorn(tmp_path: Path) -> None:
    """gunicorn's access lines (sync worker) carry every atom's field; the ECS file has them
    nested under ECS's names."""
    pytest.importorskip("gunicorn", reason="gunicorn is needed for this test")
    (tmp_path / "app.py").write_text(GUNICORN_APP)
    log, ecs_log = tmp_path / "server.log", tmp_path / "server.ecs.log"
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": handlers(log, "ecs", ecs_log),
        "root": {"handlers": ["json"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "gunicorn.access": {
                "handlers": ["json", "platform"],
                "level": "INFO",
                "propagate": False,
            },
        },
    }
    # logconfig_dict has no command-line flag: it is set in a configuration file.
    (tmp_path / "gunicorn.conf.py").write_text(f"logconfig_dict = {config!r}\n")
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", "app:application", "-c", "gunicorn.conf.py",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "sync",
            "--access-logfile", "-"]  # fmt: skip
    headers = {"User-Agent": 'fastlog-test/1 "x"', "Referer": "http://example.test/start"}
    with server(args, port, tmp_path, env_with(tmp_path)):
        responses = [
            http_request(port, "GET", "/items/1?x=1", headers=headers),
            http_request(port, "GET", "/missing"),
            http_request(port, "POST", "/form", body=b"a=1"),
        ]
    assert [(r.status, r.body) for r in responses] == [
        (200, b"ok"),
        (404, b"no such page"),
        (200, b"ok"),
    ]

    access = lines_of(log, "gunicorn.access")
    assert len(access) == 3
    durations = [r.pop("http.server.request.duration") for r in access]
    assert all(isinstance(d, float) and 0 <= d < 10 for d in durations)
    assert [http_fields(r) for r in access] == [
        {
            "http.request.method": "GET",
            "url.path": "/items/1",
            "url.query": "x=1",
            "http.response.status_code": 200,
            "client.address": "127.0.0.1",
            "client.port": responses[0].client_port,
            "network.protocol.version": "1.1",
            "user_agent.original": 'fastlog-test/1 "x"',
            "http.request.header.referer": ["http://example.test/start"],
            "http.response.body.size": 2,
        },
        {
            "http.request.method": "GET",
            "url.path": "/missing",
            "http.response.status_code": 404,
            "client.address": "127.0.0.1",
            "client.port": responses[1].client_port,
            "network.protocol.version": "1.1",
            "http.response.body.size": 12,
        },
        {
            "http.request.method": "POST",
            "url.path": "/form",
            "http.response.status_code": 200,
            "client.address": "127.0.0.1",
            "client.port": responses[2].client_port,
            "network.protocol.version": "1.1",
            "http.response.body.size": 2,
            "http.request.body.size": 3,  # its Content-Length
        },
    ]
    # http.client sends no User-Agent or Referer of its own: gunicorn's "-", so no field.
    # The message is gunicorn's own access line (its default format), unchanged.
    assert access[0]["message"].startswith("127.0.0.1 - - [")
    assert access[0]["message"].endswith(
        '"GET /items/1?x=1 HTTP/1.1" 200 2 "http://example.test/start" "fastlog-test/1 \\"x\\""'
    )

    ecs = [r for r in read_lines(ecs_log) if r.get("log", {}).get("logger") == "gunicorn.access"]
    assert [
        (r["http"]["request"]["method"], r["url"]["path"], r["http"]["response"]["status_code"])
        for r in ecs
    ] == [("GET", "/items/1", 200), ("GET", "/missing", 404), ("POST", "/form", 200)]
    assert ecs[0]["http"]["request"]["referrer"] == "http://example.test/start"
    assert ecs[0]["user_agent"] == {"original": 'fastlog-test/1 "x"'}
    assert [r["client"]["port"] for r in ecs] == [r.client_port for r in responses]
    assert [r["event"]["duration"] for r in ecs] == [round(d * 1e9) for d in durations]


# ---------------------------------------------------------------------------------------------
# Django

DJANGO_SETTINGS = """
import os

SECRET_KEY = "test-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
INSTALLED_APPS = []
MIDDLEWARE = []
ROOT_URLCONF = "urls"
DATABASES = {}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "json": {"class": "fastlog_stdlib.FastlogHandler", "sink": os.environ["TEST_LOG"]},
        "gcp": {"class": "fastlog_stdlib.FastlogHandler", "sink": os.environ["TEST_GCP_LOG"],
                "schema": "gcp"},
    },
    "loggers": {
        "django.request": {"handlers": ["json", "gcp"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["json", "gcp"], "level": "INFO", "propagate": False},
    },
}
"""

DJANGO_URLS = """
from django.http import HttpResponse
from django.urls import path


def ok(request):
    return HttpResponse("ok")


def boom(request):
    raise RuntimeError("order 0 is corrupt")


urlpatterns = [path("ok", ok), path("boom", boom)]
"""


@pytest.fixture
def django_site(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A minimal Django project in *tmp_path*: its environment (two log files)."""
    pytest.importorskip("django", reason="django is part of the test dependencies")
    (tmp_path / "settings.py").write_text(DJANGO_SETTINGS)
    (tmp_path / "urls.py").write_text(DJANGO_URLS)
    env = env_with(
        tmp_path,
        DJANGO_SETTINGS_MODULE="settings",
        TEST_LOG=str(tmp_path / "app.log"),
        TEST_GCP_LOG=str(tmp_path / "app.gcp.log"),
    )
    return tmp_path, env


def test_django_test_client(django_site: tuple[Path, dict[str, str]]) -> None:
    """django.request's 404 and 500 records: the request's fields, no HttpRequest repr."""
    site, env = django_site
    code = textwrap.dedent(
        """
        import django
        django.setup()
        from django.test import Client
        client = Client(raise_request_exception=False)
        assert client.get("/missing", {"q": "1"}, HTTP_USER_AGENT="ua/1").status_code == 404
        assert client.post("/boom", {"a": "1"}).status_code == 500
        assert client.get("/ok").status_code == 200
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=site,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()

    records = read_lines(site / "app.log")
    assert [(r["logger"], r["level"], r["message"]) for r in records] == [
        ("django.request", "warning", "Not Found: /missing"),
        ("django.request", "error", "Internal Server Error: /boom"),
    ]
    assert [http_fields(r) for r in records] == [
        {
            "http.request.method": "GET",
            "url.path": "/missing",
            "url.query": "q=1",
            "http.response.status_code": 404,
            "client.address": "127.0.0.1",
            "network.protocol.version": "1.1",
            "user_agent.original": "ua/1",
        },
        {
            "http.request.method": "POST",
            "url.path": "/boom",
            "http.response.status_code": 500,
            "client.address": "127.0.0.1",
            "network.protocol.version": "1.1",
        },
    ]
    assert records[1]["exception"]["type"] == "RuntimeError"
    assert all(not {"request", "status_code"} & set(r) for r in records)

    gcp = read_lines(site / "app.gcp.log")
    assert [r["httpRequest"] for r in gcp] == [
        {
            "requestMethod": "GET",
            "requestUrl": "/missing?q=1",
            "status": 404,
            "userAgent": "ua/1",
            "remoteIp": "127.0.0.1",
            "protocol": "HTTP/1.1",
        },
        {"requestMethod": "POST", "requestUrl": "/boom", "status": 500, "remoteIp": "127.0.0.1",
         "protocol": "HTTP/1.1"},
    ]  # fmt: skip
    assert gcp[1]["severity"] == "ERROR"
    assert "RuntimeError: order 0 is corrupt" in gcp[1]["stack_trace"]


def test_django_runserver(django_site: tuple[Path, dict[str, str]]) -> None:
    """runserver's access records: request line, status, size and the client from the
    connection, never the socket's repr; django.request's records beside them."""
    site, env = django_site
    log = site / "app.log"
    port = free_port()
    args = [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"]

    def logged(count: int) -> Any:
        """Whether *count* whole django.server lines are in the file (read as it is written)."""

        def check() -> bool:
            data = log.read_bytes() if log.exists() else b""
            whole = data[: data.rfind(b"\n") + 1]
            return whole.count(b'"logger":"django.server"') >= count

        return check

    with server(args, port, site, env):
        responses = [
            http_request(port, "GET", "/ok?x=1", hold_until=logged(1)),
            http_request(port, "GET", "/missing", hold_until=logged(2)),
            http_request(port, "POST", "/boom", body=b"a=1", hold_until=logged(3)),
        ]
    assert [r.status for r in responses] == [200, 404, 500]

    access = lines_of(log, "django.server")
    assert [(r["level"], r["message"]) for r in access] == [
        ("info", f'"GET /ok?x=1 HTTP/1.1" 200 {len(responses[0].body)}'),
        ("warning", f'"GET /missing HTTP/1.1" 404 {len(responses[1].body)}'),
        ("error", f'"POST /boom HTTP/1.1" 500 {len(responses[2].body)}'),
    ]
    expected = [("GET", "/ok", {"url.query": "x=1"}, 200), ("GET", "/missing", {}, 404),
                ("POST", "/boom", {}, 500)]  # fmt: skip
    assert [http_fields(r) for r in access] == [
        {
            "http.request.method": method,
            "url.path": path,
            **query,
            "http.response.status_code": status,
            "network.protocol.version": "1.1",
            "http.response.body.size": len(response.body),
            "client.address": "127.0.0.1",
            "client.port": response.client_port,
        }
        for (method, path, query, status), response in zip(expected, responses, strict=True)
    ]
    assert all(not {"request", "status_code"} & set(r) for r in access)
    assert "socket" not in log.read_text()

    errors = lines_of(log, "django.request")
    assert [(r["message"], r["http.response.status_code"]) for r in errors] == [
        ("Not Found: /missing", 404),
        ("Internal Server Error: /boom", 500),
    ]
    assert [r["client.address"] for r in errors] == ["127.0.0.1", "127.0.0.1"]

    gcp = [
        r["httpRequest"]
        for r in read_lines(site / "app.gcp.log")
        if r["logging.googleapis.com/labels"]["python_logger"] == "django.server"
    ]
    assert [(g["requestMethod"], g["requestUrl"], g["status"]) for g in gcp] == [
        ("GET", "/ok?x=1", 200),
        ("GET", "/missing", 404),
        ("POST", "/boom", 500),
    ]


# ---------------------------------------------------------------------------------------------
# logging.captureWarnings

WARNINGS_APP = """
import logging.config, sys, warnings

logging.config.dictConfig({
    "version": 1,
    "handlers": {
        "json": {"class": "fastlog_stdlib.FastlogHandler", "sink": sys.argv[1]},
        "otel": {"class": "fastlog_stdlib.FastlogHandler", "sink": sys.argv[2],
                 "schema": "otel"},
    },
    "root": {"handlers": ["json", "otel"], "level": "INFO"},
})
logging.captureWarnings(True)
warnings.simplefilter("always")
warnings.warn("disk almost full")


def old():
    warnings.warn("old() is deprecated;\\nuse new()", DeprecationWarning, stacklevel=2)


old()
"""


def test_capture_warnings(tmp_path: Path) -> None:
    """Captured warnings: their own message, category, file and line, in a real process."""
    app = tmp_path / "app.py"
    app.write_text(WARNINGS_APP)
    lines = WARNINGS_APP.splitlines()
    warn_line = lines.index('warnings.warn("disk almost full")') + 1
    call_line = lines.index("old()") + 1
    log, otel_log = tmp_path / "app.log", tmp_path / "app.otel.log"
    done = subprocess.run(
        [sys.executable, str(app), str(log), str(otel_log)],
        cwd=tmp_path,
        env=env_with(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""  # captured: nothing printed by warnings itself

    records = read_lines(log)
    assert [{k: v for k, v in r.items() if k != "timestamp"} for r in records] == [
        {
            "level": "warning",
            "logger": "py.warnings",
            "message": "disk almost full",
            "warning.category": "UserWarning",
            "code.file.path": str(app),
            "code.line.number": warn_line,
        },
        {
            "level": "warning",
            "logger": "py.warnings",
            "message": "old() is deprecated;\nuse new()",
            "warning.category": "DeprecationWarning",
            "code.file.path": str(app),
            "code.line.number": call_line,
        },
    ]
    otel = read_lines(otel_log)
    assert [r["Body"] for r in otel] == ["disk almost full", "old() is deprecated;\nuse new()"]
    assert [r["Attributes"] for r in otel] == [
        {k: v for k, v in r.items() if "." in k} for r in records
    ]
