"""Framework records (fastlog_stdlib._frameworks): each mapper on records built by the
framework's own code, records of another shape left alone, and every schema's names.

The records come from the frameworks themselves: uvicorn's scope helpers with the format string
of its protocols, gunicorn's ``Logger.access()``, Django's ``log_response()`` and its
``WSGIRequestHandler.log_request()``, and ``warnings.warn`` with ``logging.captureWarnings``.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import re
import socket
import sys
import warnings
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from fastlog_core import _diagnostics
from fastlog_stdlib import FastlogFormatter, FastlogHandler
from tests.helpers import read_lines

DOCS = Path(__file__).resolve().parents[2] / "docs"


Records = Callable[[], list[dict[str, Any]]]
Capture = Callable[..., Records]


@pytest.fixture
def capture(tmp_path: Path) -> Iterator[Capture]:
    """``capture(name, schema="default", **options)``: a FastlogHandler on logger *name*
    writing to a file; the function it returns reads the records back (after a flush), without
    the timestamp, whose key depends on the schema. The loggers are put back afterwards."""
    saved: dict[str, tuple[list[logging.Handler], int, bool]] = {}

    def start(name: str, schema: str = "default", **options: Any) -> Records:
        path = tmp_path / f"{name}.{schema}.log"
        handler = FastlogHandler(str(path), schema=schema, **options)
        logger = logging.getLogger(name)
        saved.setdefault(name, (list(logger.handlers), logger.level, logger.propagate))
        logger.handlers = [handler]
        logger.setLevel(logging.DEBUG)
        logger.propagate = False

        def records() -> list[dict[str, Any]]:
            handler.flush()
            out = read_lines(path)
            for record in out:
                for key in ("timestamp", "@timestamp", "time", "Timestamp"):
                    record.pop(key, None)
            return out

        return records

    yield start
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            if handler not in handlers:
                handler.close()
        logger.handlers = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def without_time(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "timestamp"}


FRAMEWORK_LOGGERS = (
    "uvicorn.access",
    "gunicorn.access",
    "django.request",
    "django.security.DisallowedHost",
    "django.server",
    "py.warnings",
)


@pytest.fixture(autouse=True)
def _enabled_loggers() -> Iterator[None]:
    """The framework loggers enabled, whatever an earlier test's dictConfig did to them
    (``disable_existing_loggers``), and put back afterwards."""
    loggers = [logging.getLogger(name) for name in FRAMEWORK_LOGGERS]
    saved = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = False
    yield
    for logger, disabled in zip(loggers, saved, strict=True):
        logger.disabled = disabled


@pytest.fixture(autouse=True)
def _no_framework_errors() -> Iterator[None]:
    """No mapper reports a failure unless the test expects one (it then resets the count)."""
    _diagnostics.reset_after_fork()
    yield
    assert "framework" not in _diagnostics.counts()


# ---------------------------------------------------------------------------------------------
# uvicorn


def uvicorn_log(
    client: tuple[str, int] | None,
    *,
    method: str = "GET",
    path: bytes = b"/items/7",
    query: bytes = b"",
    version: str = "1.1",
    status: int = 200,
) -> None:
    """What uvicorn/protocols/http/h11_impl.py (and httptools_impl.py) do for a response."""
    uvicorn_utils = pytest.importorskip("uvicorn.protocols.utils")
    scope = {
        "type": "http",
        "client": client,
        "method": method,
        "path": path.decode(),
        "raw_path": path,
        "query_string": query,
        "http_version": version,
    }
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        uvicorn_utils.get_client_addr(scope),
        scope["method"],
        uvicorn_utils.get_path_with_query_string(scope),
        scope["http_version"],
        status,
    )


class TestUvicornAccess:
    def test_fields(self, capture: Capture) -> None:
        """Method, path, query, status, client address and port, HTTP version; the message
        stays uvicorn's access line."""
        records = capture("uvicorn.access")
        uvicorn_log(("127.0.0.1", 51234), query=b"q=a%20b&n=2", status=404)
        assert [without_time(r) for r in records()] == [
            {
                "level": "info",
                "logger": "uvicorn.access",
                "message": '127.0.0.1:51234 - "GET /items/7?q=a%20b&n=2 HTTP/1.1" 404',
                "http.request.method": "GET",
                "url.path": "/items/7",
                "url.query": "q=a%20b&n=2",
                "http.response.status_code": 404,
                "client.address": "127.0.0.1",
                "client.port": 51234,
                "network.protocol.version": "1.1",
            }
        ]

    def test_ipv6_client_and_no_query(self, capture: Capture) -> None:
        """An IPv6 client keeps its colons; the port is the part after the last one."""
        records = capture("uvicorn.access")
        uvicorn_log(("::1", 40000), method="POST", version="2", status=201)
        (record,) = records()
        assert (record["client.address"], record["client.port"]) == ("::1", 40000)
        assert (record["http.request.method"], record["url.path"]) == ("POST", "/items/7")
        assert "url.query" not in record
        assert record["network.protocol.version"] == "2"

    def test_no_client(self, capture: Capture) -> None:
        """A scope without a client (uvicorn logs "") gives no client fields."""
        records = capture("uvicorn.access")
        uvicorn_log(None)
        (record,) = records()
        assert record["message"] == ' - "GET /items/7 HTTP/1.1" 200'
        assert "client.address" not in record and "client.port" not in record
        assert record["http.response.status_code"] == 200

    def test_http_status_enum(self, capture: Capture) -> None:
        """An app that sends an HTTPStatus: the status is written as its number."""
        records = capture("uvicorn.access")
        uvicorn_log(("127.0.0.1", 1), status=HTTPStatus.NOT_FOUND)
        (record,) = records()
        assert record["http.response.status_code"] == 404

    @pytest.mark.parametrize(
        ("msg", "args"),
        [
            ("GET /health 200", ()),
            ("%s %s", ("GET", "/x")),
            ('%s - "%s %s HTTP/%s" %s', ("a:1", "GET", "/x", "1.1", "200")),  # str status
            ('%s - "%s %s HTTP/%s" %d', ("a:1", "GET", b"/x", "1.1", 200)),  # bytes path
        ],
    )
    def test_other_shapes_left_alone(self, capture: Capture, msg: str, args: tuple[Any]) -> None:
        """A record logged to uvicorn.access by hand keeps its message and gets no fields."""
        records = capture("uvicorn.access")
        logging.getLogger("uvicorn.access").info(msg, *args, extra={"ms": 3})
        (record,) = records()
        assert set(record) == {"level", "logger", "message", "ms"}
        assert record["message"] == msg % args


# ---------------------------------------------------------------------------------------------
# gunicorn


@pytest.fixture
def gunicorn_logger() -> Iterator[Any]:
    """gunicorn's own Logger (glogging.py), access logging on, its handlers removed after."""
    glogging = pytest.importorskip("gunicorn.glogging")
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s')
    log = glogging.Logger(cfg)
    yield log
    for name in ("gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True


def gunicorn_access(
    log: Any,
    *,
    environ: dict[str, str] | None = None,
    sent: int | None = 512,
    micros: int = 12345,
    request_size: str = "37",
) -> None:
    """A response through gunicorn's ``Logger.access()``, as its workers call it."""
    env = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/api/orders?page=2",
        "PATH_INFO": "/api/orders",
        "QUERY_STRING": "page=2",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "REMOTE_PORT": "50123",
        "HTTP_USER_AGENT": 'curl/8.5 "quoted"',
        "HTTP_REFERER": "https://example.com/start",
    }
    env.update(environ or {})
    resp = SimpleNamespace(status="201 Created", sent=sent, headers=[("Content-Length", "512")])
    req = SimpleNamespace(
        headers=[("USER-AGENT", env["HTTP_USER_AGENT"]), ("CONTENT-LENGTH", request_size)]
    )
    log.access(resp, req, env, datetime.timedelta(microseconds=micros))


GUNICORN_LINE = (
    '203.0.113.9 "POST /api/orders?page=2 HTTP/1.1" 201 512 "https://example.com/start" '
    '"curl/8.5 \\"quoted\\"" 12345'
)
GUNICORN_FIELDS = {
    "http.request.method": "POST",
    "url.path": "/api/orders",
    "url.query": "page=2",
    "http.response.status_code": 201,
    "client.address": "203.0.113.9",
    "client.port": 50123,
    "network.protocol.version": "1.1",
    "user_agent.original": 'curl/8.5 "quoted"',
    "http.request.header.referer": ["https://example.com/start"],
    "http.response.body.size": 512,
    "http.server.request.duration": 0.012345,
    "http.request.body.size": 37,
}


class TestGunicornAccess:
    def test_fields(self, capture: Capture, gunicorn_logger: Any) -> None:
        """Every atom the task names, from gunicorn's own atoms; quotes unescaped; the message
        stays the access line gunicorn formatted."""
        records = capture("gunicorn.access")
        gunicorn_access(gunicorn_logger)
        (record,) = records()
        assert record == {
            "level": "info",
            "logger": "gunicorn.access",
            "message": GUNICORN_LINE,
            **GUNICORN_FIELDS,
        }
        assert list(record)[3:] == list(GUNICORN_FIELDS)

    def test_absent_atoms(self, capture: Capture, gunicorn_logger: Any) -> None:
        """gunicorn's "-" (no referer, no user agent, nothing sent) and an empty query give no
        field; an unparsable port or request size gives none either."""
        records = capture("gunicorn.access")
        gunicorn_access(
            gunicorn_logger,
            environ={
                "QUERY_STRING": "",
                "RAW_URI": "/api/orders",
                "HTTP_USER_AGENT": "-",
                "HTTP_REFERER": "-",
                "REMOTE_PORT": "x",
            },
            sent=None,
            request_size="-",
        )
        (record,) = records()
        assert {k: v for k, v in record.items() if "." in k} == {
            "http.request.method": "POST",
            "url.path": "/api/orders",
            "http.response.status_code": 201,
            "client.address": "203.0.113.9",
            "network.protocol.version": "1.1",
            "http.server.request.duration": 0.012345,
        }

    @pytest.mark.parametrize(
        ("msg", "args"),
        [
            ("%(m)s", {"m": "GET"}),  # no path, no status
            ("%(m)s %(U)s %(s)s", {"m": "GET", "U": "/x", "s": "OK"}),  # status not a number
            ("%s %s", ("GET", "/x")),
        ],
    )
    def test_other_shapes_left_alone(self, capture: Capture, msg: str, args: Any) -> None:
        """A record logged to gunicorn.access by hand keeps its message and gets no fields."""
        records = capture("gunicorn.access")
        logger = logging.getLogger("gunicorn.access")
        if isinstance(args, dict):
            logger.info(msg, args)
        else:
            logger.info(msg, *args)
        (record,) = records()
        assert set(record) == {"level", "logger", "message"}
        assert record["message"] == msg % args


# ---------------------------------------------------------------------------------------------
# Django


@pytest.fixture(scope="module")
def django_settings() -> None:
    """Django configured in this process (nothing else here uses Django)."""
    pytest.importorskip("django")
    from django.conf import settings

    if not settings.configured:
        settings.configure(ALLOWED_HOSTS=["testserver"], DEBUG=False)


def django_request(path: str = "/missing", **extra: str) -> Any:
    from django.test import RequestFactory

    return RequestFactory().get(path, {"q": "1"}, **extra)


@pytest.mark.usefixtures("django_settings")
class TestDjangoRequest:
    def test_not_found(self, capture: Capture) -> None:
        """log_response's request becomes method, path, query, client, protocol, user agent
        and referer; status_code becomes the status; the message stays."""
        from django.http import HttpResponseNotFound
        from django.utils.log import log_response

        records = capture("django.request")
        request = django_request(HTTP_USER_AGENT="Mozilla/5.0", HTTP_REFERER="http://a/b")
        log_response(
            "Not Found: %s", request.path, response=HttpResponseNotFound(), request=request
        )
        assert [without_time(r) for r in records()] == [
            {
                "level": "warning",
                "logger": "django.request",
                "message": "Not Found: /missing",
                "http.request.method": "GET",
                "url.path": "/missing",
                "url.query": "q=1",
                "http.response.status_code": 404,
                "client.address": "127.0.0.1",
                "network.protocol.version": "1.1",
                "user_agent.original": "Mozilla/5.0",
                "http.request.header.referer": ["http://a/b"],
            }
        ]

    def test_server_error_keeps_the_exception(self, capture: Capture) -> None:
        """A 500 with its exception: the structured exception, the status, no request repr."""
        from django.http import HttpResponseServerError
        from django.utils.log import log_response

        records = capture("django.request")
        request = django_request("/boom")
        try:
            raise RuntimeError("order 0 is corrupt")
        except RuntimeError as exc:
            log_response(
                "Internal Server Error: %s",
                request.path,
                response=HttpResponseServerError(),
                request=request,
                exception=exc,
            )
        (record,) = records()
        assert (record["level"], record["message"]) == ("error", "Internal Server Error: /boom")
        assert record["http.response.status_code"] == 500
        assert record["exception"]["type"] == "RuntimeError"
        assert "request" not in record and "status_code" not in record
        assert "WSGIRequest" not in json.dumps(record)

    def test_security_logger(self, capture: Capture) -> None:
        """django.security.<class> records from log_response get the same fields."""
        from django.http import HttpResponseBadRequest
        from django.utils.log import log_response

        name = "django.security.DisallowedHost"
        records = capture(name)
        request = django_request("/x")
        log_response(
            "Invalid HTTP_HOST header",
            response=HttpResponseBadRequest(),
            request=request,
            logger=logging.getLogger(name),
        )
        (record,) = records()
        assert (record["http.request.method"], record["url.path"]) == ("GET", "/x")
        assert record["http.response.status_code"] == 400
        assert "request" not in record

    def test_other_shapes_left_alone(self, capture: Capture) -> None:
        """A request that is not an HttpRequest stays; a status alone still maps."""
        records = capture("django.request")
        logger = logging.getLogger("django.request")
        logger.warning("by hand", extra={"request": "req-1"})
        logger.warning("status only", extra={"request": "req-2", "status_code": 418})
        logger.warning("nothing")
        assert [without_time(r) for r in records()] == [
            {"level": "warning", "logger": "django.request", "message": "by hand",
             "request": "req-1"},
            {"level": "warning", "logger": "django.request", "message": "status only",
             "request": "req-2", "http.response.status_code": 418},
            {"level": "warning", "logger": "django.request", "message": "nothing"},
        ]  # fmt: skip

    def test_a_failing_request_is_counted_and_written_as_it_came(self, capture: Capture) -> None:
        """An object whose META raises: the record is written unchanged, the failure counted."""

        class Broken:
            @property
            def META(self) -> dict[str, str]:  # Django's name
                raise RuntimeError("no META")

            def __repr__(self) -> str:
                return "<Broken>"

        records = capture("django.request")
        logging.getLogger("django.request").warning(
            "x", extra={"request": Broken(), "status_code": 404}
        )
        (record,) = records()
        assert (record["request"], record["status_code"]) == ("<Broken>", 404)
        assert "http.response.status_code" not in record
        assert _diagnostics.counts()["framework"] == 1
        _diagnostics.reset_after_fork()


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, int]]:
    """A real TCP connection on loopback: the server's side and the client's port."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        conn, _ = server.accept()
        try:
            yield conn, client.getsockname()[1]
        finally:
            conn.close()
            client.close()


def runserver_handler(sock: socket.socket, requestline: str) -> Any:
    """Django's runserver request handler, past the request parsing it does itself."""
    pytest.importorskip("django")
    from django.core.servers.basehttp import WSGIRequestHandler

    handler = object.__new__(WSGIRequestHandler)
    handler.request = sock
    handler.requestline = requestline
    return handler


@pytest.mark.usefixtures("django_settings")
class TestDjangoServer:
    def test_access_line(self, capture: Capture, connection: tuple[socket.socket, int]) -> None:
        """The socket becomes the client's address and port; the request line gives method,
        path, query and protocol; size and status from the line; server_time stays."""
        sock, port = connection
        records = capture("django.server")
        runserver_handler(sock, "GET /missing?q=1 HTTP/1.1").log_request(404, 179)
        (record,) = records()
        assert record.pop("server_time")
        assert record == {
            "level": "warning",
            "logger": "django.server",
            "message": '"GET /missing?q=1 HTTP/1.1" 404 179',
            "http.request.method": "GET",
            "url.path": "/missing",
            "url.query": "q=1",
            "http.response.status_code": 404,
            "network.protocol.version": "1.1",
            "http.response.body.size": 179,
            "client.address": "127.0.0.1",
            "client.port": port,
        }

    def test_error_line_loses_only_the_socket(
        self, capture: Capture, connection: tuple[socket.socket, int]
    ) -> None:
        """log_error's "code %d, message %s": no request line, but the socket still goes."""
        sock, port = connection
        records = capture("django.server")
        handler = runserver_handler(sock, "")
        handler.log_error("code %d, message %s", 400, "Bad request syntax ('x')")
        (record,) = records()
        assert record["message"] == "code 400, message Bad request syntax ('x')"
        assert (record["client.address"], record["client.port"]) == ("127.0.0.1", port)
        assert "request" not in record
        assert "http.response.status_code" not in record

    def test_closed_socket(self, capture: Capture, connection: tuple[socket.socket, int]) -> None:
        """A socket that can no longer name its peer: no client fields, no socket repr."""
        sock, _ = connection
        records = capture("django.server")
        handler = runserver_handler(sock, "GET / HTTP/1.1")
        sock.close()
        handler.log_request(200, 2)
        (record,) = records()
        assert "request" not in record and "client.address" not in record
        assert record["http.response.status_code"] == 200
        assert "socket" not in json.dumps(record)


# ---------------------------------------------------------------------------------------------
# logging.captureWarnings


@pytest.fixture
def captured_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)
        try:
            yield
        finally:
            logging.captureWarnings(False)


@pytest.mark.usefixtures("captured_warnings")
class TestPyWarnings:
    def test_fields(self, capture: Capture) -> None:
        """The message is the warning's own; category, file and line are fields."""
        records = capture("py.warnings")
        line = sys._getframe().f_lineno + 1
        warnings.warn("disk almost full", UserWarning, stacklevel=1)
        assert [without_time(r) for r in records()] == [
            {
                "level": "warning",
                "logger": "py.warnings",
                "message": "disk almost full",
                "warning.category": "UserWarning",
                "code.file.path": __file__,
                "code.line.number": line,
            }
        ]

    def test_multiline_message_and_location_option(self, capture: Capture) -> None:
        """A message on several lines keeps them; with include_location, the record's location
        (warnings.py's frame) gives way to the warning's."""
        records = capture("py.warnings", include_location=True)
        warnings.warn("first line\nsecond line", DeprecationWarning, stacklevel=1)
        (record,) = records()
        assert record["message"] == "first line\nsecond line"
        assert record["warning.category"] == "DeprecationWarning"
        assert not {"file", "line", "function"} & set(record)

    def test_no_source_line(self, capture: Capture) -> None:
        """A warning from code without a source file (exec'd text) has no source line."""
        records = capture("py.warnings")
        exec(compile("import warnings\nwarnings.warn('from exec')", "<generated>", "exec"))
        (record,) = records()
        assert (record["message"], record["code.file.path"]) == ("from exec", "<generated>")
        assert record["code.line.number"] == 2

    def test_older_pythons_form(self, capture: Capture) -> None:
        """Older Pythons logged the text as args[0] of "%s": read the same way."""
        records = capture("py.warnings")
        text = warnings.formatwarning("old api", FutureWarning, "/app/x.py", 7)
        logging.getLogger("py.warnings").warning("%s", text)
        (record,) = records()
        assert (record["message"], record["warning.category"]) == ("old api", "FutureWarning")
        assert (record["code.file.path"], record["code.line.number"]) == ("/app/x.py", 7)

    def test_custom_formatwarning_left_alone(
        self, capture: Capture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A formatwarning of the user's own: its text stays the message, no fields."""
        monkeypatch.setattr(warnings, "formatwarning", lambda m, c, f, n, line=None: f"W {m}")
        records = capture("py.warnings")
        warnings.warn("custom", stacklevel=1)
        (record,) = records()
        assert set(record) == {"level", "logger", "message"}
        assert record["message"] == "W custom"


# ---------------------------------------------------------------------------------------------
# Every schema, and the formatter


class TestSchemas:
    """A full gunicorn access record (every field) in each pipeline schema."""

    def apply(self, capture: Capture, gunicorn_logger: Any, schema: str) -> dict[str, Any]:
        records = capture("gunicorn.access", schema=schema)
        gunicorn_access(gunicorn_logger)
        (record,) = records()
        return record

    def test_ecs(self, capture: Capture, gunicorn_logger: Any) -> None:
        """ECS: http, url, client (ip copied from address), user_agent, event.duration in ns."""
        assert self.apply(capture, gunicorn_logger, "ecs") == {
            "log.level": "info",
            "message": GUNICORN_LINE,
            "ecs": {"version": "1.6.0"},
            "log": {"logger": "gunicorn.access"},
            "http": {
                "request": {
                    "method": "POST",
                    "referrer": "https://example.com/start",
                    "body": {"bytes": 37},
                },
                "response": {"status_code": 201, "body": {"bytes": 512}},
                "version": "1.1",
            },
            "url": {"path": "/api/orders", "query": "page=2"},
            "client": {"address": "203.0.113.9", "ip": "203.0.113.9", "port": 50123},
            "user_agent": {"original": 'curl/8.5 "quoted"'},
            "event": {"duration": 12_345_000},
        }

    def test_gcp(self, capture: Capture, gunicorn_logger: Any) -> None:
        """Google Cloud: the httpRequest special field; the port stays a field of its own."""
        assert self.apply(capture, gunicorn_logger, "gcp") == {
            "severity": "INFO",
            "message": GUNICORN_LINE,
            "logging.googleapis.com/labels": {"python_logger": "gunicorn.access"},
            "httpRequest": {
                "requestMethod": "POST",
                "requestUrl": "/api/orders?page=2",
                "requestSize": "37",
                "status": 201,
                "responseSize": "512",
                "userAgent": 'curl/8.5 "quoted"',
                "remoteIp": "203.0.113.9",
                "referer": "https://example.com/start",
                "latency": "0.012345s",
                "protocol": "HTTP/1.1",
            },
            "client.port": 50123,
        }

    def test_datadog(self, capture: Capture, gunicorn_logger: Any) -> None:
        """Datadog: http.*, network.client.*, network.bytes_read and _written, duration in ns."""
        assert self.apply(capture, gunicorn_logger, "datadog") == {
            "status": "info",
            "message": GUNICORN_LINE,
            "logger.name": "gunicorn.access",
            "http.method": "POST",
            "http.url": "/api/orders?page=2",
            "http.url_details.path": "/api/orders",
            "http.status_code": 201,
            "http.version": "1.1",
            "http.useragent": 'curl/8.5 "quoted"',
            "http.referer": "https://example.com/start",
            "network.client.ip": "203.0.113.9",
            "network.client.port": 50123,
            "network.bytes_read": 37,
            "network.bytes_written": 512,
            "duration": 12_345_000,
        }

    def test_otel(self, capture: Capture, gunicorn_logger: Any) -> None:
        """OpenTelemetry: the semantic-convention names, as they are, in Attributes."""
        assert self.apply(capture, gunicorn_logger, "otel") == {
            "SeverityText": "INFO",
            "SeverityNumber": 9,
            "Body": GUNICORN_LINE,
            "InstrumentationScope": {"Name": "gunicorn.access"},
            "Attributes": GUNICORN_FIELDS,
        }

    def test_mapping_keeps_the_default_names(self, tmp_path: Path, gunicorn_logger: Any) -> None:
        """A user mapping renames the four core keys only."""
        path = tmp_path / "m.log"
        handler = FastlogHandler(str(path), schema={"level": "severity"})
        logger = logging.getLogger("gunicorn.access")
        logger.handlers = [handler]
        gunicorn_access(gunicorn_logger)
        handler.flush()
        (record,) = read_lines(path)
        assert record["severity"] == "info"
        assert {k: record[k] for k in GUNICORN_FIELDS} == GUNICORN_FIELDS

    @pytest.mark.usefixtures("captured_warnings")
    @pytest.mark.parametrize(
        ("schema", "where"), [("ecs", ()), ("gcp", ()), ("datadog", ()), ("otel", ("Attributes",))]
    )
    def test_warning_fields_keep_their_names(
        self, capture: Capture, schema: str, where: tuple[str, ...]
    ) -> None:
        """No platform has a field for a warning's category: the three keep their names."""
        records = capture("py.warnings", schema=schema)
        warnings.warn("w", stacklevel=1)
        (record,) = records()
        for key in where:
            record = record[key]
        assert (record["warning.category"], record["code.file.path"]) == ("UserWarning", __file__)

    def test_formatter(self, gunicorn_logger: Any) -> None:
        """FastlogFormatter on a handler of the user's own writes the same fields."""
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(FastlogFormatter(rename_fields={"level": "severity"}))
        logging.getLogger("gunicorn.access").handlers = [handler]
        gunicorn_access(gunicorn_logger)
        record = json.loads(stream.getvalue())
        assert record["severity"] == "info"
        assert {k: record[k] for k in GUNICORN_FIELDS} == GUNICORN_FIELDS


# ---------------------------------------------------------------------------------------------
# docs/stdlib.md


class TestDocsPage:
    PAGE = DOCS / "stdlib.md"

    def block(self, kind: str, name: str, lang: str) -> str:
        text = self.PAGE.read_text(encoding="utf-8")
        match = re.search(rf"<!-- {kind}: {name} -->\s*```{lang}\n(.*?)```", text, re.DOTALL)
        assert match is not None, f"no {kind} {name!r} in docs/stdlib.md"
        return match.group(1)

    def test_uvicorn_sample(self, capture: Capture) -> None:
        """The uvicorn line shown is what the handler writes for that request."""
        shown = json.loads(self.block("sample", "uvicorn", "json"))
        records = capture("uvicorn.access")
        uvicorn_log(("10.1.2.3", 52000), path=b"/orders/42", query=b"expand=items", status=200)
        (record,) = records()
        assert record == without_time(shown)

    def test_warnings_example(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The captureWarnings example runs and writes the record shown (but for the path)."""
        monkeypatch.chdir(tmp_path)
        code = self.block("test", "warnings", "python")
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            try:
                exec(compile(code, "app.py", "exec"), {"__name__": "__main__"})
            finally:
                logging.captureWarnings(False)
                for handler in logging.getLogger().handlers:
                    handler.flush()
        shown = json.loads(self.block("output", "warnings", "json"))
        (record,) = read_lines(tmp_path / "app.log")
        assert without_time(record) == without_time(shown)
