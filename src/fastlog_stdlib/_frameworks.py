"""Records of frameworks that log through stdlib ``logging``, given structured fields.

uvicorn, gunicorn, Django and ``logging.captureWarnings`` put what matters (method, path,
status, warning category) into a formatted message or an object's repr; each entry here reads
it back from the record, keyed by the framework's logger name.

The fields are written in the default schema under OpenTelemetry semantic-convention names
(flat, dotted); each platform schema maps them to its own (``fastlog_core._schemas.http``).
Nothing here imports a framework: the records are read by their shape, as each framework builds
them (the function docstrings name the source). A record whose shape is not the expected one (a
user logging to ``uvicorn.access`` by hand) is left as it is; a mapper never raises.
"""

from __future__ import annotations

import linecache
import logging
import re
from collections.abc import Callable
from typing import Any, Final

from fastlog_core import adapter

Mapper = Callable[[logging.LogRecord, dict[str, Any]], None]

# The default schema's names (OpenTelemetry semantic conventions; docs/stdlib.md), as the
# core's schemas read them.
_KEYS = adapter.HttpKeys
METHOD: Final = _KEYS.METHOD
PATH: Final = _KEYS.PATH
QUERY: Final = _KEYS.QUERY
STATUS: Final = _KEYS.STATUS
CLIENT_ADDRESS: Final = _KEYS.CLIENT_ADDRESS
CLIENT_PORT: Final = _KEYS.CLIENT_PORT
PROTOCOL_VERSION: Final = _KEYS.PROTOCOL_VERSION
USER_AGENT: Final = _KEYS.USER_AGENT
#: A list of one string, as semantic conventions give every ``http.request.header.<key>``.
REFERER: Final = _KEYS.REFERER
RESPONSE_SIZE: Final = _KEYS.RESPONSE_SIZE
#: Seconds (float): the name and unit of the semantic conventions' server duration metric.
DURATION: Final = _KEYS.DURATION
#: The request body's size, from its Content-Length header.
REQUEST_SIZE: Final = _KEYS.REQUEST_SIZE
WARNING_CATEGORY: Final = "warning.category"
CODE_FILE: Final = "code.file.path"
CODE_LINE: Final = "code.line.number"

#: The keys these mappers write, in the order they are written.
HTTP_FIELDS: Final = _KEYS.ALL


def _failed(record: logging.LogRecord, exc: Exception) -> None:
    """A shape check let through something that then failed: count it, keep the record."""
    adapter.report_error(
        "framework",
        f"{record.name}: {type(exc).__name__} reading the record; it is written as it came",
    )


def _number(text: Any) -> int | None:
    """A decimal string (ASCII digits only) as an int, else ``None``."""
    if type(text) is str and text.isascii() and text.isdecimal():
        return int(text)
    return None


def _version(protocol: str) -> str:
    """``"HTTP/1.1"`` -> ``"1.1"`` (``network.protocol.version`` holds the version alone)."""
    return protocol[5:] if protocol.startswith("HTTP/") else protocol


def _target(add: dict[str, Any], target: str) -> None:
    """A request target's path and, when there is one, its query (without the ``?``)."""
    path, mark, query = target.partition("?")
    add[PATH] = path
    if mark and query:
        add[QUERY] = query


# ---------------------------------------------------------------------------------------------
# uvicorn


def uvicorn_access(record: logging.LogRecord, fields: dict[str, Any]) -> None:
    """``uvicorn.access``: ``'%s - "%s %s HTTP/%s" %d'`` with (client "host:port" or "",
    method, path with query, HTTP version, status), as uvicorn/protocols/http/h11_impl.py and
    httptools_impl.py log it. The message stays the access line."""
    try:
        args = record.args
        if type(args) is not tuple or len(args) != 5:
            return
        client, method, target, version, status = args
        if not (
            type(method) is str
            and type(target) is str
            and type(version) is str
            and isinstance(status, int)  # an app may send an HTTPStatus
            and type(status) is not bool
        ):
            return
        add: dict[str, Any] = {METHOD: method}
        _target(add, target)
        add[STATUS] = int(status)
        if type(client) is str and client:
            # "%s:%d" % scope["client"]: the port is after the last colon (IPv6 has others).
            host, colon, port = client.rpartition(":")
            number = _number(port)
            if colon and host and number is not None:
                add[CLIENT_ADDRESS] = host
                add[CLIENT_PORT] = number
            else:
                add[CLIENT_ADDRESS] = client
        add[PROTOCOL_VERSION] = version
        fields.update(add)
    except Exception as exc:
        _failed(record, exc)


# ---------------------------------------------------------------------------------------------
# gunicorn


def _atom(atoms: dict[str, Any], name: str) -> Any:
    """An atom's value as the request had it: ``None`` for gunicorn's ``"-"`` (absent).

    ``SafeAtoms`` answers ``"-"`` for a missing atom through ``[]``; ``dict.get`` does not. It
    also escaped every ``"`` as ``\\"`` for the text line: undone here (every quote got exactly
    one backslash before it, so removing one before each quote restores the original).
    """
    value = dict.get(atoms, name)
    if type(value) is str:
        if value == "-":
            return None
        if '"' in value:
            return value.replace('\\"', '"')
    return value


def gunicorn_access(record: logging.LogRecord, fields: dict[str, Any]) -> None:
    """``gunicorn.access``: ``access_log_format % safe_atoms``, as gunicorn/glogging.py
    ``Logger.access()`` logs it; the atoms (``h``, ``m``, ``U``, ``q``, ``H``, ``s``, ``B``,
    ``D``, ``a``, ``f``, ``{remote_port}e``) are all there whatever the format shows. The
    message stays the access line."""
    try:
        atoms = record.args
        if not isinstance(atoms, dict):
            return
        method = _atom(atoms, "m")
        path = _atom(atoms, "U")
        status = _atom(atoms, "s")
        status = status if type(status) is int else _number(status)
        if type(method) is not str or type(path) is not str or status is None:
            return
        add: dict[str, Any] = {METHOD: method, PATH: path}
        query = _atom(atoms, "q")
        if type(query) is str and query:
            add[QUERY] = query
        add[STATUS] = status
        address = _atom(atoms, "h")
        if type(address) is str and address:  # "" on a unix socket
            add[CLIENT_ADDRESS] = address
            port = _number(_atom(atoms, "{remote_port}e"))
            if port is not None:
                add[CLIENT_PORT] = port
        protocol = _atom(atoms, "H")
        if type(protocol) is str:
            add[PROTOCOL_VERSION] = _version(protocol)
        agent = _atom(atoms, "a")
        if type(agent) is str:
            add[USER_AGENT] = agent
        referer = _atom(atoms, "f")
        if type(referer) is str:
            add[REFERER] = [referer]
        size = _atom(atoms, "B")  # resp.sent: body bytes, None before anything was sent
        if type(size) is int:
            add[RESPONSE_SIZE] = size
        micros = _atom(atoms, "D")  # the request time in microseconds
        if type(micros) is int:
            add[DURATION] = micros / 1_000_000
        request_size = _number(_atom(atoms, "{content-length}i"))  # a request header
        if request_size is not None:
            add[REQUEST_SIZE] = request_size
        fields.update(add)
    except Exception as exc:
        _failed(record, exc)


# ---------------------------------------------------------------------------------------------
# Django


def _meta_fields(add: dict[str, Any], meta: dict[str, Any]) -> None:
    """The client, protocol and headers a WSGI/ASGI environ (``request.META``) has."""
    address = meta.get("REMOTE_ADDR")
    if type(address) is str and address:
        add[CLIENT_ADDRESS] = address
        port = meta.get("REMOTE_PORT")  # gunicorn and Django's ASGI handler set it
        port = port if type(port) is int else _number(port)
        if port is not None:
            add[CLIENT_PORT] = port
    protocol = meta.get("SERVER_PROTOCOL")
    if type(protocol) is str and protocol:
        add[PROTOCOL_VERSION] = _version(protocol)
    agent = meta.get("HTTP_USER_AGENT")
    if type(agent) is str:
        add[USER_AGENT] = agent
    referer = meta.get("HTTP_REFERER")
    if type(referer) is str:
        add[REFERER] = [referer]


def django_request(record: logging.LogRecord, fields: dict[str, Any]) -> None:
    """``django.request`` (and the ``django.security.*`` loggers that use the same call):
    ``log_response()`` in django/utils/log.py adds ``extra={"status_code": ..., "request":
    HttpRequest}``. The request is replaced by its method, path, query, client, protocol,
    user agent and referer; ``status_code`` becomes the status field. The message (``"Not
    Found: /x"``) stays."""
    try:
        attrs = record.__dict__
        request = attrs.get("request")
        status = attrs.get("status_code")
        meta = getattr(request, "META", None) if request is not None else None
        if not isinstance(meta, dict):  # not an HttpRequest (WSGIRequest, ASGIRequest)
            meta = None
            if type(status) is not int:
                return
        add: dict[str, Any] = {}
        if meta is not None:
            method = getattr(request, "method", None)
            if type(method) is str:
                add[METHOD] = method
            path = getattr(request, "path", None)
            if type(path) is str:
                add[PATH] = path
            query = meta.get("QUERY_STRING")
            if type(query) is str and query:
                add[QUERY] = query
        if type(status) is int:
            add[STATUS] = status
        if meta is not None:
            _meta_fields(add, meta)
            fields.pop("request", None)
        if type(status) is int:
            fields.pop("status_code", None)
        fields.update(add)
    except Exception as exc:
        _failed(record, exc)


def django_server(record: logging.LogRecord, fields: dict[str, Any]) -> None:
    """``django.server`` (``runserver``): ``WSGIRequestHandler.log_message`` in
    django/core/servers/basehttp.py logs ``'"%s" %s %s'`` with (request line, status, size)
    and ``extra={"request": <the connection's socket>, "server_time": ..., "status_code":
    ...}``. The socket is replaced by the client's address and port; the request line gives
    method, path, query and protocol. The message stays the access line."""
    try:
        attrs = record.__dict__
        sock = attrs.get("request")
        status = attrs.get("status_code")
        add: dict[str, Any] = {}
        args = record.args
        if type(args) is tuple and len(args) == 3:
            line, code, size = args
            parts = line.split(" ") if isinstance(line, str) else ()
            if len(parts) == 3 and parts[2].startswith("HTTP/"):
                add[METHOD] = parts[0]
                _target(add, parts[1])
                if type(status) is not int:
                    status = _number(code)
                if status is not None:
                    add[STATUS] = status
                add[PROTOCOL_VERSION] = _version(parts[2])
                number = _number(size)
                if number is not None:
                    add[RESPONSE_SIZE] = number
        if STATUS not in add and type(status) is int:
            add[STATUS] = status  # the HTTPS-handshake error: Django's own status, no line
        peername = getattr(sock, "getpeername", None) if sock is not None else None
        if peername is not None:
            try:
                peer = peername()
            except OSError:  # the client has gone: no address, the socket still goes
                peer = None
            if type(peer) is tuple and len(peer) >= 2 and type(peer[0]) is str:
                add[CLIENT_ADDRESS] = peer[0]
                if type(peer[1]) is int:
                    add[CLIENT_PORT] = peer[1]
            fields.pop("request", None)
        if not add and peername is None:
            return
        if STATUS in add:
            fields.pop("status_code", None)
        fields.update(add)
    except Exception as exc:
        _failed(record, exc)


# ---------------------------------------------------------------------------------------------
# logging.captureWarnings

#: ``warnings.formatwarning``'s first line: "<filename>:<lineno>: <Category>: <message>".
_WARNING_HEAD: Final = re.compile(r"(.*?):(\d+): (\w+): ")


def py_warnings(record: logging.LogRecord, fields: dict[str, Any]) -> None:
    """``py.warnings``: ``logging._showwarning`` logs ``warnings.formatwarning(...)``'s text
    (``"file:line: Category: message\\n  source line\\n"``) as the message (older Pythons
    passed it as ``args[0]`` of ``"%s"``: read the same). The message becomes the warning's
    own; category, file and line become fields. The record's ``file``, ``line`` and
    ``function`` (``include_location``) are dropped: for a captured warning they always name
    ``warnings.py``'s frame, and the warning's own location replaces them."""
    try:
        args = record.args
        text: Any = record.msg
        if args:
            if text != "%s" or type(args) is not tuple or len(args) != 1:
                return
            text = args[0]
        if type(text) is not str or not text.endswith("\n"):
            return
        head = _WARNING_HEAD.match(text)
        if head is None:
            return
        filename, lineno, category = head.groups()
        message = text[head.end() : -1]
        # formatwarning appends the source line it read with linecache (cached by then); a
        # message that itself ends in that line is not told apart, and keeps it.
        source = linecache.getline(filename, int(lineno)).strip()
        if source and message.endswith("\n  " + source):
            message = message[: -len(source) - 3]
        for key in ("file", "line", "function"):
            fields.pop(key, None)
        fields["message"] = message
        fields[WARNING_CATEGORY] = category
        fields[CODE_FILE] = filename
        fields[CODE_LINE] = int(lineno)
    except Exception as exc:
        _failed(record, exc)


_DJANGO_REQUEST_LOGGERS: Final = (
    "django.request",
    # log_response(logger=...) in django/middleware/csrf.py and, per SuspiciousOperation
    # subclass, django/core/handlers/exception.py ("django.security.<class name>").
    "django.security.csrf",
    "django.security.SuspiciousOperation",
    "django.security.DisallowedHost",
    "django.security.DisallowedRedirect",
    "django.security.SuspiciousFileOperation",
    "django.security.SuspiciousMultipartForm",
    "django.security.TooManyFieldsSent",
    "django.security.TooManyFilesSent",
    "django.security.RequestDataTooBig",
    "django.security.SuspiciousSession",
    "django.security.InvalidSessionKey",
    "django.security.DisallowedModelAdminLookup",
    "django.security.DisallowedModelAdminToField",
)

#: Logger name -> a function that adds the framework's fields to the finished record dict
#: (before the pipeline's schema or the formatter's renames). It must not raise.
FRAMEWORKS: dict[str, Mapper] = {
    "uvicorn.access": uvicorn_access,
    "gunicorn.access": gunicorn_access,
    "django.server": django_server,
    "py.warnings": py_warnings,
    **dict.fromkeys(_DJANGO_REQUEST_LOGGERS, django_request),
}
