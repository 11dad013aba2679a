"""Every example under examples/ run for real, as its docstring says, logging into tmp_path.

Servers run as subprocesses on a free loopback port, get real HTTP requests through urllib and
are stopped with SIGTERM; then the JSON file they wrote is read back and compared record by
record. The scripts run as subprocesses too. Each example reads its log path from
``APP_LOG_FILE``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import free_port, read_lines, wait_for_port, wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HEX_ID = re.compile(r"[0-9a-f]{32}")
# A proxy configured in the environment must not see requests to the servers started here.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def example_env(log: Path, **extra: str) -> dict[str, str]:
    """The environment of an example's process: its log file, no bytecode in examples/."""
    return {**os.environ, "APP_LOG_FILE": str(log), "PYTHONDONTWRITEBYTECODE": "1", **extra}


@dataclass
class Server:
    port: int
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    pid: int = 0


@contextmanager
def serve(args: list[str], *, port: int, env: dict[str, str], cwd: Path) -> Iterator[Server]:
    """Run a server until the block ends, then stop it with SIGTERM (as a supervisor would)."""
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(port=port, pid=process.pid)
    try:
        wait_for_port(port, process)
        yield server
        process.send_signal(signal.SIGTERM)
        server.stdout, server.stderr = process.communicate(timeout=30)
        server.returncode = process.returncode
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def get(port: int, path: str, request_id: str | None = None) -> tuple[int, str]:
    """GET *path*; the status and the ``X-Request-ID`` response header, errors included."""
    headers = {"X-Request-ID": request_id} if request_id is not None else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, response.headers["X-Request-ID"]
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["X-Request-ID"]


def wait_for(log: Path, needle: bytes, count: int, timeout: float = 10) -> None:
    """Wait until *needle* occurs *count* times in *log* (written by the server's pipeline)."""
    wait_until(
        lambda: log.exists() and log.read_bytes().count(needle) >= count,
        timeout,
        f"{needle!r} {count} times in {log}",
    )


def run_script(script: Path, log: Path, cwd: Path) -> None:
    """Run *script* to its end; it must exit 0 and print nothing."""
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        env=example_env(log),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")


def by_request(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The records carrying a ``request_id``, grouped by it, in file order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if "request_id" in record:
            groups.setdefault(record["request_id"], []).append(record)
    return groups


def brief(records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(r["logger"], r["level"], r["message"]) for r in records]


def stopped_cleanly(server: Server) -> None:
    # Servers that re-raise SIGTERM after a graceful shutdown (uvicorn), and those that never
    # catch it (werkzeug, runserver), end by the signal once fastlog has flushed; others exit 0.
    assert server.returncode in (0, -signal.SIGTERM), server.stderr
    assert "fastlog:" not in server.stderr  # no internal error reported


def read_records(log: Path) -> list[dict[str, Any]]:
    """Every line of *log* as JSON (any invalid line fails), none of them repaired by fastlog."""
    records = read_lines(log)
    assert [r for r in records if "fastlog_error" in r] == []
    return records


class TestFastapiApp:
    """examples/fastapi_app: FastAPI on uvicorn, request ids in fastlog's context."""

    APP_DIR = EXAMPLES / "fastapi_app"

    def start(self, how: str, tmp_path: Path) -> tuple[list[str], Path, int]:
        port = free_port()
        if how == "log_config":  # python main.py: uvicorn.run(..., log_config=LOG_CONFIG)
            log = tmp_path / "logs" / "server.log"
            return [str(self.APP_DIR / "main.py")], log, port
        # uvicorn's own command line with the YAML file, whose sink is relative to the cwd.
        args = [
            "-m", "uvicorn", "main:app", "--app-dir", str(self.APP_DIR),
            "--log-config", str(self.APP_DIR / "logging.yaml"),
            "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip
        return args, tmp_path / "app.log", port

    @pytest.mark.parametrize("how", ["log_config", "yaml"])
    def test_every_record_of_a_request_carries_its_id(self, tmp_path: Path, how: str) -> None:
        """App records, uvicorn's access and error lines carry the id returned in X-Request-ID."""
        pytest.importorskip("fastapi", reason="fastapi is part of the test dependencies")
        pytest.importorskip("uvicorn", reason="uvicorn is part of the test dependencies")
        if how == "yaml":
            pytest.importorskip("yaml", reason="PyYAML is part of the test dependencies")
        args, log, port = self.start(how, tmp_path)
        env = example_env(log, PORT=str(port))
        expected: dict[str, tuple[int, int]] = {}  # request id -> (order id, status)
        with serve(args, port=port, env=env, cwd=tmp_path) as server:
            status, rid = get(port, "/orders/1")
            assert (status, bool(HEX_ID.fullmatch(rid))) == (200, True)  # a new id
            expected[rid] = (1, 200)
            assert get(port, "/orders/99", "abc-123") == (404, "abc-123")  # the client's id
            expected["abc-123"] = (99, 404)
            status, rid = get(port, "/orders/2", "not a sane id!")
            assert (status, bool(HEX_ID.fullmatch(rid))) == (200, True)  # replaced
            expected[rid] = (2, 200)
            status, error_id = get(port, "/orders/0")  # an exception nothing handles
            assert (status, bool(HEX_ID.fullmatch(error_id))) == (500, True)
            # Concurrent requests overlap in the event loop (each awaits a sleep between its
            # two records): each must still see only its own id.
            concurrent = [(f"c-{i}", 1 + i % 2) for i in range(8)]
            with ThreadPoolExecutor(max_workers=8) as pool:
                answers = list(pool.map(lambda c: get(port, f"/orders/{c[1]}", c[0]), concurrent))
            assert answers == [(200, rid) for rid, _ in concurrent]
            expected.update({rid: (order, 200) for rid, order in concurrent})
        stopped_cleanly(server)

        records = read_records(log)  # every line is one JSON object
        groups = by_request(records)
        assert set(groups) == {*expected, error_id}
        for rid, (order, status) in expected.items():
            found = ("shop.orders", "info", "order found")
            missing = ("shop.orders", "warning", "order not found")
            client, _, request_line = groups[rid][-1]["message"].partition(" - ")
            assert re.fullmatch(r"127\.0\.0\.1:\d+", client), client
            assert brief(groups[rid]) == [
                ("shop.orders", "info", "looking up order"),
                found if status == 200 else missing,
                ("uvicorn.access", "info", f"{client} - {request_line}"),
            ], rid
            assert request_line == f'"GET /orders/{order} HTTP/1.1" {status}'
            assert [r.get("order_id") for r in groups[rid]] == [order, order, None]
        # The unhandled exception: Starlette answers 500, then uvicorn logs the exception; both
        # happen outside the middleware, in the request's task, where the id is still bound.
        error = groups[error_id]
        assert [(r["logger"], r["level"]) for r in error] == [
            ("shop.orders", "info"),
            ("uvicorn.access", "info"),
            ("uvicorn.error", "error"),
        ]
        assert error[1]["message"].endswith(' - "GET /orders/0 HTTP/1.1" 500')
        assert error[2]["message"] == "Exception in ASGI application\n"
        exception = error[2]["exception"]
        assert (exception["type"], exception["message"]) == ("RuntimeError", "order 0 is corrupt")
        assert len([r for r in records if r["logger"] == "uvicorn.access"]) == len(expected) + 1
        # Outside any request: uvicorn's own lifecycle lines, and nothing else.
        lifecycle = [r["message"] for r in records if "request_id" not in r]
        assert {r["logger"] for r in records if "request_id" not in r} == {"uvicorn.error"}
        assert f"Uvicorn running on http://127.0.0.1:{port} (Press CTRL+C to quit)" in lifecycle
        assert lifecycle[-2:] == [
            "Application shutdown complete.",
            f"Finished server process [{server.pid}]",
        ]
        assert "Shutting down" in lifecycle
        assert all(r["level"] == "info" for r in records if "request_id" not in r)


class TestFlaskApp:
    """examples/flask_app.py: Flask with dictConfig, bind/unbind_context per request."""

    def test_records_and_errors_carry_the_request_id(self, tmp_path: Path) -> None:
        """View, error and access records carry the id; the 500's record has the exception."""
        pytest.importorskip("flask", reason="flask is part of the test dependencies")
        log = tmp_path / "app.log"
        port = free_port()
        args = [
            "-m", "flask", "--app", str(EXAMPLES / "flask_app.py"),
            "run", "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip
        with serve(args, port=port, env=example_env(log), cwd=tmp_path) as server:
            status, ok_id = get(port, "/orders/1")
            assert (status, bool(HEX_ID.fullmatch(ok_id))) == (200, True)
            assert get(port, "/orders/99", "abc-123") == (404, "abc-123")
            status, error_id = get(port, "/orders/0")
            assert (status, bool(HEX_ID.fullmatch(error_id))) == (500, True)
        stopped_cleanly(server)

        raw = log.read_bytes()
        assert b"\\u001b" not in raw  # no ANSI colour codes from werkzeug's dev server
        records = read_records(log)
        assert all("request_id" in r for r in records)  # nothing logged outside a request
        groups = by_request(records)
        assert list(groups) == [ok_id, "abc-123", error_id]
        assert brief(groups[ok_id]) == [
            ("shop.orders", "info", "looking up order"),
            ("shop.orders", "info", "order found"),
            ("shop.access", "info", "GET /orders/1 200"),
        ]
        assert groups[ok_id][1]["amount"] == 12.5
        assert groups[ok_id][2] | {"timestamp": None} == {
            "timestamp": None, "level": "info", "logger": "shop.access",
            "message": "GET /orders/1 200", "request_id": ok_id,
            "method": "GET", "path": "/orders/1", "status": 200,
        }  # fmt: skip
        assert brief(groups["abc-123"]) == [
            ("shop.orders", "info", "looking up order"),
            ("shop.orders", "warning", "order not found"),
            ("shop.access", "info", "GET /orders/99 404"),
        ]
        assert brief(groups[error_id]) == [
            ("shop.orders", "info", "looking up order"),
            ("flask_app", "error", "Exception on /orders/0 [GET]"),
            ("shop.access", "info", "GET /orders/0 500"),
        ]
        exception = groups[error_id][1]["exception"]
        assert (exception["type"], exception["message"]) == ("RuntimeError", "order 0 is corrupt")
        assert exception["traceback"].startswith("Traceback (most recent call last):")


class TestDjangoProject:
    """examples/django_project: LOGGING with FastlogHandler, a request-id middleware."""

    PROJECT = EXAMPLES / "django_project"

    def test_runserver_records_carry_the_request_id(self, tmp_path: Path) -> None:
        """View, django.request and runserver access records all carry the request's id."""
        pytest.importorskip("django", reason="django is part of the test dependencies")
        log = tmp_path / "app.log"
        port = free_port()
        args = [str(self.PROJECT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"]
        with serve(args, port=port, env=example_env(log), cwd=tmp_path) as server:
            status, ok_id = get(port, "/orders/1/")
            assert (status, bool(HEX_ID.fullmatch(ok_id))) == (200, True)
            assert get(port, "/orders/99/", "abc-123") == (404, "abc-123")
            status, error_id = get(port, "/orders/0/")
            assert (status, bool(HEX_ID.fullmatch(error_id))) == (500, True)
            # runserver logs its access line after the client has the whole response: let the
            # last one be logged before stopping the server.
            wait_for(log, b'"logger":"django.server"', 3)
        stopped_cleanly(server)

        records = read_records(log)
        assert all("request_id" in r for r in records)  # runserver logs nothing else
        groups = by_request(records)
        assert list(groups) == [ok_id, "abc-123", error_id]
        # Messages without their last word (the response size, which depends on Django's
        # version). Requests are compared one by one: runserver logs its access line after the
        # client has its response, so it can come after the next request's first records.
        access = '"GET /orders/{}/ HTTP/1.1" {}'

        def shape(group: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
            return [(r["logger"], r["level"], r["message"].rsplit(" ", 1)[0]) for r in group]

        assert shape(groups[ok_id]) == [
            ("shop.orders", "info", "looking up"),
            ("shop.orders", "info", "order"),
            ("django.server", "info", access.format(1, 200)),
        ]
        assert shape(groups["abc-123"]) == [
            ("shop.orders", "info", "looking up"),
            ("shop.orders", "warning", "order not"),
            ("django.request", "warning", "Not Found:"),
            ("django.server", "warning", access.format(99, 404)),
        ]
        assert shape(groups[error_id]) == [
            ("shop.orders", "info", "looking up"),
            ("django.request", "error", "Internal Server Error:"),
            ("django.server", "error", access.format(0, 500)),
        ]
        assert groups["abc-123"][2]["message"] == "Not Found: /orders/99/"
        error = groups[error_id][1]
        assert error["message"] == "Internal Server Error: /orders/0/"
        # The framework fields (docs/stdlib.md, "Framework records"), not Django's extras.
        assert (error["http.request.method"], error["url.path"]) == ("GET", "/orders/0/")
        assert error["http.response.status_code"] == 500
        assert not {"request", "status_code"} & set(error)
        assert (error["exception"]["type"], error["exception"]["message"]) == (
            "RuntimeError",
            "order 0 is corrupt",
        )
        assert [groups[rid][-1]["http.response.status_code"] for rid in groups] == [200, 404, 500]
        assert [groups[rid][-1]["url.path"] for rid in groups] == [
            "/orders/1/",
            "/orders/99/",
            "/orders/0/",
        ]
        # The connection's socket is replaced by the client's address (when runserver logs
        # before the client has closed the connection), never written as a repr.
        assert all("request" not in groups[rid][-1] for rid in groups)

    def test_test_client_and_unbinding(self, tmp_path: Path) -> None:
        """Django's test client works with the project; the id is unbound after the request."""
        pytest.importorskip("django", reason="django is part of the test dependencies")
        log = tmp_path / "app.log"
        code = (
            "import json, logging\n"
            "from django.test import Client\n"
            "from django.test.utils import setup_test_environment\n"
            "setup_test_environment()\n"
            "response = Client().get('/orders/2/', headers={'X-Request-ID': 'test-1'})\n"
            "print(json.dumps([response.status_code, response['X-Request-ID'], response.json()]))\n"
            "logging.getLogger('after').info('outside any request')\n"
        )
        result = subprocess.run(
            [sys.executable, str(self.PROJECT / "manage.py"), "shell", "-c", code],
            cwd=tmp_path,
            env=example_env(log),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout.splitlines()[-1]) == [
            200,
            "test-1",
            {"order_id": 2, "item": "pen", "amount": 1.2},
        ]
        records = read_records(log)
        assert [
            (*b, r.get("request_id")) for b, r in zip(brief(records), records, strict=True)
        ] == [
            ("shop.orders", "info", "looking up order", "test-1"),
            ("shop.orders", "info", "order found", "test-1"),
            ("after", "info", "outside any request", None),
        ]


class TestStructlogService:
    """examples/structlog_service.py: structlog and stdlib records in one file."""

    def test_one_file_one_schema(self, tmp_path: Path) -> None:
        """structlog's and the library's records interleave in order, tagged by the context."""
        pytest.importorskip("structlog", reason="structlog is installed with fastlog[structlog]")
        log = tmp_path / "service.log"
        run_script(EXAMPLES / "structlog_service.py", log, tmp_path)
        records = read_records(log)
        assert [
            (*b, r.get("invoice_id")) for b, r in zip(brief(records), records, strict=True)
        ] == [
            ("billing", "info", "service started", None),
            ("billing", "info", "invoice received", "INV-1"),
            ("ratesclient.http", "info", "GET https://rates.example/USD -> 200", "INV-1"),
            ("billing", "info", "invoice converted", "INV-1"),
            ("billing", "info", "invoice received", "INV-2"),
            ("ratesclient.http", "warning", "GET https://rates.example/JPY -> 404", "INV-2"),
            ("billing", "error", "invoice failed", "INV-2"),
            ("billing", "info", "invoice received", "INV-3"),
            ("ratesclient.http", "info", "GET https://rates.example/GBP -> 200", "INV-3"),
            ("billing", "info", "invoice converted", "INV-3"),
            ("billing", "info", "service stopped", None),
        ]
        # One schema: the same leading keys on every line, whichever API wrote it.
        assert {tuple(r)[:4] for r in records} == {("timestamp", "level", "logger", "message")}
        assert records[0]["invoices"] == 3
        assert (records[1]["amount"], records[1]["currency"]) == (100.0, "USD")
        assert [records[3]["amount_eur"], records[9]["amount_eur"]] == [92.0, 23.4]
        exception = records[6]["exception"]
        assert (exception["type"], exception["message"]) == ("LookupError", "no rate for JPY")
        assert (records[10]["converted"], records[10]["failed"]) == (2, 1)


class TestLoguruScript:
    """examples/loguru_script.py: loguru's FastlogSink and stdlib records in one file."""

    def test_one_file_one_schema(self, tmp_path: Path) -> None:
        """loguru's and the library's records interleave in order, tagged by the context."""
        pytest.importorskip("loguru", reason="loguru is installed with fastlog[loguru]")
        log = tmp_path / "import.log"
        run_script(EXAMPLES / "loguru_script.py", log, tmp_path)
        records = read_records(log)
        assert [(*b, r.get("batch")) for b, r in zip(brief(records), records, strict=True)] == [
            ("__main__", "info", "import started", None),
            ("warehouse.client", "info", "stored 5 x A-1", "2025-01-15"),
            ("__main__", "info", "row imported", "2025-01-15"),
            ("__main__", "error", "row rejected", "2025-01-15"),
            ("warehouse.client", "info", "stored 7 x C-3", "2025-01-15"),
            ("__main__", "info", "row imported", "2025-01-15"),
            ("__main__", "info", "import finished", None),
        ]
        assert {tuple(r)[:4] for r in records} == {("timestamp", "level", "logger", "message")}
        assert records[0]["rows"] == 3
        assert [(r["row"], r["sku"]) for r in records if r["message"] == "row imported"] == [
            (1, "A-1"),
            (3, "C-3"),
        ]
        exception = records[3]["exception"]
        assert (exception["type"], exception["message"]) == (
            "ValueError",
            "negative quantity for B-2: -3",
        )
        assert records[6]["skus"] == 2
