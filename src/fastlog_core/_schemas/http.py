"""The default schema's HTTP fields, and how each platform schema writes them.

Access records (uvicorn, gunicorn, Django: ``fastlog_stdlib``'s framework mappers, or your own
fields) carry the request in the default schema under OpenTelemetry semantic-convention names,
flat and dotted. A schema treats them as one group, present when ``http.response.status_code``
is: one ``in`` test per record, so a record without them pays nothing more. The OpenTelemetry
schema keeps the names as they are (they are its attributes); the others consume the group and
write their platform's fields:

- ECS (nested, as the rest of the ECS layout): ``http.request.method``,
  ``http.request.referrer``, ``http.request.body.bytes``, ``http.response.status_code``,
  ``http.response.body.bytes``, ``http.version``, ``url.path``, ``url.query``,
  ``client.address``/``client.ip``/``client.port``, ``user_agent.original``,
  ``event.duration`` (nanoseconds).
- Google Cloud: the ``httpRequest`` special field (``LogEntry.HttpRequest``): ``requestMethod``,
  ``requestUrl`` (path and query: the record has no scheme or host), ``requestSize`` and
  ``responseSize`` (int64 as decimal strings, as the LogEntry JSON has it), ``userAgent``,
  ``remoteIp``, ``referer``, ``latency`` (a protobuf Duration: ``"0.0123s"``), ``protocol``
  (``"HTTP/1.1"``). The client port has no place there and stays ``client.port``.
- Datadog (flat, dotted): ``http.method``, ``http.url`` (path and query),
  ``http.url_details.path``, ``http.status_code``, ``http.version``, ``http.useragent``,
  ``http.referer``, ``network.client.ip``, ``network.client.port``, ``network.bytes_read``,
  ``network.bytes_written``, ``duration`` (nanoseconds).

A value of an unexpected type (a field you set by hand) is written as it is, unconverted.
"""

from __future__ import annotations

import math
from typing import Any, Final

#: The group's marker: the schemas consume the HTTP fields when the record has this key.
HTTP_MARK: Final = "http.response.status_code"

METHOD: Final = "http.request.method"
PATH: Final = "url.path"
QUERY: Final = "url.query"
STATUS: Final = HTTP_MARK
CLIENT_ADDRESS: Final = "client.address"
CLIENT_PORT: Final = "client.port"
PROTOCOL_VERSION: Final = "network.protocol.version"
USER_AGENT: Final = "user_agent.original"
REFERER: Final = "http.request.header.referer"  # a list of one string (semantic conventions)
RESPONSE_SIZE: Final = "http.response.body.size"
REQUEST_SIZE: Final = "http.request.body.size"
DURATION: Final = "http.server.request.duration"  # seconds

#: Every key of the group, in the order the adapters write them.
HTTP_KEYS: Final = (
    METHOD,
    PATH,
    QUERY,
    STATUS,
    CLIENT_ADDRESS,
    CLIENT_PORT,
    PROTOCOL_VERSION,
    USER_AGENT,
    REFERER,
    RESPONSE_SIZE,
    DURATION,
    REQUEST_SIZE,
)


class HttpKeys:
    """The HTTP group's keys in the default schema, for adapters that write access records
    (``fastlog_core.adapter.HttpKeys``): one definition, the one the schemas read."""

    METHOD: Final = METHOD
    PATH: Final = PATH
    QUERY: Final = QUERY
    STATUS: Final = STATUS
    CLIENT_ADDRESS: Final = CLIENT_ADDRESS
    CLIENT_PORT: Final = CLIENT_PORT
    PROTOCOL_VERSION: Final = PROTOCOL_VERSION
    USER_AGENT: Final = USER_AGENT
    REFERER: Final = REFERER
    RESPONSE_SIZE: Final = RESPONSE_SIZE
    REQUEST_SIZE: Final = REQUEST_SIZE
    DURATION: Final = DURATION
    ALL: Final = HTTP_KEYS


def nanos(seconds: Any) -> Any:
    """Seconds as integer nanoseconds (ECS ``event.duration``, Datadog ``duration``)."""
    if type(seconds) is int:
        return seconds * 1_000_000_000
    if type(seconds) is float:
        product = seconds * 1_000_000_000
        if math.isfinite(product):
            return round(product)
    return seconds


def gcp_duration(seconds: Any) -> Any:
    """Seconds as a protobuf Duration's JSON text: ``"0.0123s"`` (at most nine decimals)."""
    if type(seconds) is int:
        return f"{seconds}s"
    if type(seconds) is float and math.isfinite(seconds):
        return f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"
    return seconds


def single(value: Any) -> Any:
    """A header's value list of one (semantic conventions' form) as that one string."""
    return value[0] if type(value) is list and len(value) == 1 else value


def target(fields: dict[str, Any]) -> Any:
    """Path and query as one request target, for the platforms that take a URL."""
    path = fields.get(PATH)
    query = fields.get(QUERY)
    if query is None or query == "":
        return path
    return f"{'' if path is None else path}?{query}"


# ---------------------------------------------------------------------------------------------
# ECS

ECS_CONSUMED: Final = HTTP_KEYS
ECS_WRITTEN: Final = (
    "http",
    "http.request",
    "http.request.method",
    "http.request.referrer",
    "http.request.body",
    "http.request.body.bytes",
    "http.response",
    "http.response.status_code",
    "http.response.body",
    "http.response.body.bytes",
    "http.version",
    "url",
    "url.path",
    "url.query",
    "client",
    "client.address",
    "client.ip",
    "client.port",
    "user_agent",
    "user_agent.original",
    "event",
    "event.duration",
)


def _ip(address: Any) -> str | None:
    """*address* when it is an IP literal (ECS copies ``client.address`` to ``client.ip``)."""
    if type(address) is not str:
        return None
    import ipaddress  # only access records get here

    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address


def ecs_http(fields: dict[str, Any], out: dict[str, Any]) -> None:
    """The group as ECS's nested ``http``, ``url``, ``client``, ``user_agent``, ``event``."""
    request: dict[str, Any] = {}
    if METHOD in fields:
        request["method"] = fields[METHOD]
    if REFERER in fields:
        request["referrer"] = single(fields[REFERER])
    if REQUEST_SIZE in fields:
        request["body"] = {"bytes": fields[REQUEST_SIZE]}
    http: dict[str, Any] = {"request": request} if request else {}
    response: dict[str, Any] = {"status_code": fields[STATUS]}
    if RESPONSE_SIZE in fields:
        response["body"] = {"bytes": fields[RESPONSE_SIZE]}
    http["response"] = response
    if PROTOCOL_VERSION in fields:
        http["version"] = fields[PROTOCOL_VERSION]
    out["http"] = http
    url: dict[str, Any] = {}
    if PATH in fields:
        url["path"] = fields[PATH]
    if QUERY in fields:
        url["query"] = fields[QUERY]
    if url:
        out["url"] = url
    client: dict[str, Any] = {}
    if CLIENT_ADDRESS in fields:
        address = client["address"] = fields[CLIENT_ADDRESS]
        ip = _ip(address)
        if ip is not None:
            client["ip"] = ip
    if CLIENT_PORT in fields:
        client["port"] = fields[CLIENT_PORT]
    if client:
        out["client"] = client
    if USER_AGENT in fields:
        out["user_agent"] = {"original": fields[USER_AGENT]}
    if DURATION in fields:
        out["event"] = {"duration": nanos(fields[DURATION])}


# ---------------------------------------------------------------------------------------------
# Google Cloud Logging

GCP_HTTP_REQUEST: Final = "httpRequest"
GCP_CONSUMED: Final = tuple(key for key in HTTP_KEYS if key != CLIENT_PORT)
GCP_WRITTEN: Final = (GCP_HTTP_REQUEST,)


def gcp_http(fields: dict[str, Any]) -> dict[str, Any]:
    """The group as Cloud Logging's ``httpRequest`` (in ``LogEntry.HttpRequest``'s order)."""
    request: dict[str, Any] = {}
    if METHOD in fields:
        request["requestMethod"] = fields[METHOD]
    if PATH in fields or QUERY in fields:
        request["requestUrl"] = target(fields)
    if REQUEST_SIZE in fields:
        size = fields[REQUEST_SIZE]
        request["requestSize"] = str(size) if type(size) is int else size
    request["status"] = fields[STATUS]
    if RESPONSE_SIZE in fields:
        size = fields[RESPONSE_SIZE]
        request["responseSize"] = str(size) if type(size) is int else size
    if USER_AGENT in fields:
        request["userAgent"] = fields[USER_AGENT]
    if CLIENT_ADDRESS in fields:
        request["remoteIp"] = fields[CLIENT_ADDRESS]
    if REFERER in fields:
        request["referer"] = single(fields[REFERER])
    if DURATION in fields:
        request["latency"] = gcp_duration(fields[DURATION])
    if PROTOCOL_VERSION in fields:
        version = fields[PROTOCOL_VERSION]
        request["protocol"] = f"HTTP/{version}" if type(version) is str else version
    return request


# ---------------------------------------------------------------------------------------------
# Datadog

DATADOG_CONSUMED: Final = HTTP_KEYS
DATADOG_WRITTEN: Final = (
    "http",
    "http.method",
    "http.url",
    "http.url_details",
    "http.url_details.path",
    "http.status_code",
    "http.version",
    "http.useragent",
    "http.referer",
    "network",
    "network.client",
    "network.client.ip",
    "network.client.port",
    "network.bytes_read",
    "network.bytes_written",
    "duration",
)


def datadog_http(fields: dict[str, Any], out: dict[str, Any]) -> None:
    """The group as Datadog's standard attributes, flat and dotted."""
    if METHOD in fields:
        out["http.method"] = fields[METHOD]
    if PATH in fields or QUERY in fields:
        out["http.url"] = target(fields)
    if PATH in fields:
        out["http.url_details.path"] = fields[PATH]
    out["http.status_code"] = fields[STATUS]
    if PROTOCOL_VERSION in fields:
        out["http.version"] = fields[PROTOCOL_VERSION]
    if USER_AGENT in fields:
        out["http.useragent"] = fields[USER_AGENT]
    if REFERER in fields:
        out["http.referer"] = single(fields[REFERER])
    if CLIENT_ADDRESS in fields:
        out["network.client.ip"] = fields[CLIENT_ADDRESS]
    if CLIENT_PORT in fields:
        out["network.client.port"] = fields[CLIENT_PORT]
    if REQUEST_SIZE in fields:
        out["network.bytes_read"] = fields[REQUEST_SIZE]
    if RESPONSE_SIZE in fields:
        out["network.bytes_written"] = fields[RESPONSE_SIZE]
    if DURATION in fields:
        out["duration"] = nanos(fields[DURATION])
