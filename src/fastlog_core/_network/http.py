"""HTTPSink: batches of JSON lines POSTed to an HTTP intake, in the body its API expects.

The sender thread builds one request body per batch from the lines fastlog already wrote:
plain NDJSON is the lines joined; each preset adds only what its API needs around them (an
action line per record for Elasticsearch's ``_bulk``, a JSON envelope with a timestamp per
record for Loki, query parameters for VictoriaLogs and ClickHouse). A preset also reads the
service's answer where a 2xx can still carry failures (Elasticsearch) or an error code says
more than the status (ClickHouse).
"""

from __future__ import annotations

import base64
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import orjson

from ..exceptions import ConfigError
from ._stamps import DEFAULT_SCHEMA, Stamps
from .delivery import NetworkSink, Rejected, Retry, paced
from .transport import HttpClient, Response, tls_context

__all__ = ["FORMATS", "HTTPSink"]


# -- formats ----------------------------------------------------------------------------------


class _Format:
    """Plain NDJSON: the lines, each ending in a newline, POSTed to the URL as given."""

    content_type: ClassVar[str] = "application/x-ndjson"
    gzip: ClassVar[bool] = False

    def __init__(self, name: str) -> None:
        self.name = name

    def url(self, url: urllib.parse.SplitResult) -> urllib.parse.SplitResult:
        """The URL requests go to, given the user's (already checked)."""
        return url

    def headers(self, auth: tuple[str, str] | None) -> dict[str, str]:
        """The headers that carry *auth* (a user and password): HTTP basic authentication."""
        if auth is None:
            return {}
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    def body(self, lines: list[bytes], pause: Callable[[], None] | None = None) -> bytes:
        # One join, the empty last item giving the final newline.
        return b"\n".join([*lines, b""])

    def settle(self, response: Response, lines: list[bytes]) -> None:
        """Return if *response* says the batch was delivered; raise ``Retry``, ``TooLarge``
        or ``Rejected`` otherwise."""
        response.check()


class _FluentBit(_Format):
    """Fluent Bit's ``http`` input takes ``application/json`` only (several objects in one
    body since 1.9.7), and gzip only from 2.2.1: off by default."""

    content_type = "application/json"


class _Vector(_Format):
    """Vector's ``http_server`` source (``framing.method = "newline_delimited"``,
    ``decoding.codec = "json"``) decodes a gzip body by its ``Content-Encoding``."""

    gzip = True


class _VictoriaLogs(_Format):
    """VictoriaLogs' ``/insert/jsonline``: NDJSON, with the query parameters naming the
    message and time fields and the stream fields added when the URL does not give them."""

    content_type = "application/stream+json"
    gzip = True
    DEFAULTS: ClassVar[dict[str, str]] = {
        "_msg_field": "message",
        "_time_field": "timestamp",
        "_stream_fields": "logger",
    }

    def url(self, url: urllib.parse.SplitResult) -> urllib.parse.SplitResult:
        if url.path in ("", "/"):
            url = url._replace(path="/insert/jsonline")
        return _with_params(url, self.DEFAULTS)


class _ClickHouse(_Format):
    """ClickHouse's HTTP interface: ``INSERT INTO <table> FORMAT JSONEachRow`` in the query
    string, unknown fields skipped, RFC 3339 timestamps parsed; credentials in ClickHouse's
    own headers. An exception from the query is told by its code, not only the status:
    servers before 19.x answer 500 to a row that does not parse, which is not transient."""

    gzip = True
    #: Error codes a current server answers with 400, 401, 403 or 404 (exceptionCodeToHTTPStatus):
    #: the data or the query is wrong, sending it again cannot help.
    PERMANENT: ClassVar[frozenset[int]] = frozenset(
        {
            6, 8, 15, 16, 25, 26, 27, 36, 37, 38, 41, 44, 46, 47, 50, 53, 56, 60, 62, 63,
            72, 73, 78, 81, 115, 117, 123, 152, 164, 167, 168, 192, 193, 194, 195, 223,
            291, 321, 336, 349, 376, 427, 441, 497, 516,
        }
    )  # fmt: skip
    CODE = re.compile(rb"^Code: (\d+)")

    def __init__(self, name: str, table: str | None) -> None:
        super().__init__(name)
        self.table = table

    def url(self, url: urllib.parse.SplitResult) -> urllib.parse.SplitResult:
        given = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if self.table is None and "query" not in given:
            raise ConfigError(
                "format='clickhouse' needs table= (or a query= in the URL): the table to "
                "insert into"
            )
        if self.table is not None and "query" in given:
            raise ConfigError("format='clickhouse': give table= or a query= in the URL, not both")
        defaults = {
            "input_format_skip_unknown_fields": "1",
            "date_time_input_format": "best_effort",
        }
        if self.table is not None:
            defaults = {"query": f"INSERT INTO {self.table} FORMAT JSONEachRow", **defaults}
        return _with_params(url, defaults)

    def headers(self, auth: tuple[str, str] | None) -> dict[str, str]:
        if auth is None:
            return {}
        return {"X-ClickHouse-User": auth[0], "X-ClickHouse-Key": auth[1]}

    def settle(self, response: Response, lines: list[bytes]) -> None:
        if response.status >= 500:
            code = response.headers.get("x-clickhouse-exception-code")
            if code is None:
                match = self.CODE.match(response.body)
                code = match.group(1).decode() if match else None
            if code is not None and code.isdigit() and int(code) in self.PERMANENT:
                raise Rejected(f"HTTP {response.status}: {_text(response.body)}")
        response.check()


class _Elasticsearch(_Format):
    """Elasticsearch's and OpenSearch's ``_bulk``: an action line before each record, and a
    response whose 200 can carry failed items.

    Items refused with 429 (or 5xx: a shard unavailable) are sent again, alone: the batch's
    other records are not written twice. Items refused otherwise (a mapping conflict) are
    lost, counted, and reported with the first one's reason once the batch is settled.
    """

    gzip = True

    def __init__(self, name: str, index: str | None, op: str) -> None:
        super().__init__(name)
        self.index = index
        action = {op: {"_index": index}} if index is not None else {op: {}}
        self.action = orjson.dumps(action)
        self.separator = b"\n" + self.action + b"\n"
        # A batch settled across attempts (some items refused with 429): the lines already
        # settled, by identity (a retry sends the same line objects, after a new note line
        # perhaps), what this attempt sends, and the records refused for good so far.
        self._settled: dict[int, bytes] = {}
        self._todo: list[bytes] = []
        self._refused = 0
        self._reason = ""

    def url(self, url: urllib.parse.SplitResult) -> urllib.parse.SplitResult:
        path = url.path.rstrip("/")
        if not path.endswith("/_bulk"):
            path += "/_bulk"
        if self.index is None and path == "/_bulk":
            raise ConfigError(
                f"format={self.name!r} needs index= or an index in the URL's path "
                f"(http://host:9200/<index>/_bulk): _bulk actions name no index otherwise"
            )
        return url._replace(path=path)

    def body(self, lines: list[bytes], pause: Callable[[], None] | None = None) -> bytes:
        todo = lines
        if self._settled:
            todo = [line for line in lines if id(line) not in self._settled]
            if len(todo) == len(lines):  # not the batch left unfinished: start afresh
                self._reset()
        self._todo = todo
        return b"".join((self.action, b"\n", self.separator.join(todo), b"\n"))

    def _reset(self) -> None:
        self._settled = {}
        self._refused = 0
        self._reason = ""

    def settle(self, response: Response, lines: list[bytes]) -> None:
        response.check()
        try:
            answer = orjson.loads(response.body)
            items = answer["items"] if answer.get("errors") is True else ()
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
            items = ()  # a 2xx without the usual answer: taken as delivered
        retry = 0
        why = ""
        if items and len(items) == len(self._todo):
            settled = self._settled
            for line, item in zip(self._todo, items, strict=True):
                result = next(iter(item.values()), None) if isinstance(item, dict) else None
                status = result.get("status", 200) if isinstance(result, dict) else 200
                if isinstance(status, int) and not 200 <= status < 300:
                    assert isinstance(result, dict)
                    reason = _item_reason(status, result.get("error"))
                    if status == 429 or status >= 500:
                        retry += 1
                        why = why or reason
                        continue
                    self._refused += 1
                    self._reason = self._reason or reason
                settled[id(line)] = line
        if retry:
            raise Retry(f"{retry} of {len(items)} records refused for now ({why})")
        refused, reason = self._refused, self._reason
        self._reset()
        if refused:
            raise Rejected(f"{refused} records refused: {reason}", records=refused)


def _item_reason(status: int, error: Any) -> str:
    if isinstance(error, dict):
        return f"{status} {error.get('type', 'error')}: {error.get('reason', '')}"
    return f"{status} {error}" if error else str(status)


class _Loki(_Format):
    """Loki's push API (``/loki/api/v1/push``, JSON): one stream per level, labelled with
    the static labels and ``level``; each value ``["<unix ns>", "<the JSON line>"]``, in the
    batch's order. The timestamp is the record's own, read without parsing the line when it
    starts as fastlog's default schema does; other lines are parsed once to find it."""

    content_type = "application/json"
    gzip = True
    LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
    LEVEL_KEYS = ("level", "log.level", "severity", "status", "SeverityText")

    def __init__(self, name: str, labels: Mapping[str, str] | None) -> None:
        super().__init__(name)
        if labels is None:
            labels = {"service_name": os.environ.get("OTEL_SERVICE_NAME") or "unknown_service"}
        if not isinstance(labels, Mapping):
            raise ConfigError(f"labels={labels!r}: expected a mapping of label names to strings")
        for key, value in labels.items():
            if not isinstance(key, str) or not self.LABEL.match(key) or key == "level":
                raise ConfigError(
                    f"labels: {key!r} is not a Loki label name ([A-Za-z_][A-Za-z0-9_]*; "
                    f"'level' is set from each record)"
                )
            if not isinstance(value, str):
                raise ConfigError(f"labels[{key!r}]={value!r}: expected a string")
        self.labels = dict(labels)
        # Caches: a second's text to its unix time (in the stamps), a level's bytes to its
        # label value.
        self._stamps = Stamps()
        self._levels: dict[bytes, str] = {}

    def url(self, url: urllib.parse.SplitResult) -> urllib.parse.SplitResult:
        if url.path in ("", "/"):
            url = url._replace(path="/loki/api/v1/push")
        return url

    def body(self, lines: list[bytes], pause: Callable[[], None] | None = None) -> bytes:
        streams: dict[str, list[list[str]]] = {}
        stamps = self._stamps
        seconds = stamps.seconds()
        levels = self._levels
        default = DEFAULT_SCHEMA.match
        for line in paced(lines, pause):
            match = default(line)
            if match is not None:
                second, fraction, name = match.groups()
                whole = seconds.get(second) or stamps.second(second)
                level = levels.get(name) or levels.setdefault(name, name.decode().lower())
                ns = whole + fraction.decode() + "000" if whole else None
            else:
                ns = None
            if ns is None:
                ns, level = self._stamp(line)
            values = streams.get(level)
            if values is None:
                values = streams[level] = []
            values.append([ns, line.decode("utf-8", "replace")])
        payload: list[dict[str, object]] = [
            {"stream": {**self.labels, "level": level} if level else self.labels, "values": v}
            for level, v in streams.items()
        ]
        return orjson.dumps({"streams": payload})

    def _stamp(self, line: bytes) -> tuple[str, str]:
        """The line's time in unix nanoseconds (a decimal string) and its level, found by
        parsing it (a line not in the default schema's form); the time of sending if none."""
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            return str(time.time_ns()), ""
        if not isinstance(record, dict):
            return str(time.time_ns()), ""
        ns = self._stamps.record_nanoseconds(record)
        level = ""
        for key in self.LEVEL_KEYS:
            value = record.get(key)
            if isinstance(value, str):
                level = value.lower()
                break
        return ns or str(time.time_ns()), level


#: Format names and the intake each is for (``HTTPSink(url, format=...)``).
FORMATS: dict[str, str] = {
    "ndjson": "newline-delimited JSON, the URL as given (Vector, Fluent Bit, ClickHouse, ...)",
    "vector": "Vector's http_server source (NDJSON, gzip)",
    "fluentbit": "Fluent Bit's http input (NDJSON as application/json)",
    "elasticsearch": "Elasticsearch's _bulk API",
    "opensearch": "OpenSearch's _bulk API",
    "loki": "Loki's push API (/loki/api/v1/push)",
    "victorialogs": "VictoriaLogs' /insert/jsonline",
    "clickhouse": "ClickHouse's HTTP interface (INSERT ... FORMAT JSONEachRow)",
}

_SECRET = re.compile(r"pass|secret|token|key|auth|sig|credential", re.IGNORECASE)


def _with_params(
    url: urllib.parse.SplitResult, defaults: Mapping[str, str]
) -> urllib.parse.SplitResult:
    """*url* with each of *defaults* appended to its query string unless already given; what
    the user wrote is kept byte for byte."""
    given = {name for name, _ in urllib.parse.parse_qsl(url.query, keep_blank_values=True)}
    extra = {name: value for name, value in defaults.items() if name not in given}
    if not extra:
        return url
    added = urllib.parse.urlencode(extra, quote_via=urllib.parse.quote)
    return url._replace(query=f"{url.query}&{added}" if url.query else added)


def _public(url: urllib.parse.SplitResult) -> str:
    """*url* for messages: no user information, secret-looking query values masked."""
    host = url.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{url.port}" if url.port is not None else host
    query = "&".join(
        f"{name}=***" if _SECRET.search(name) else f"{name}={value}"
        for name, value in urllib.parse.parse_qsl(url.query, keep_blank_values=True)
    )
    return urllib.parse.urlunsplit((url.scheme, netloc, url.path, query, ""))


def _text(body: bytes, limit: int = 300) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"


# -- the sink ---------------------------------------------------------------------------------


class HTTPSink(NetworkSink):
    """Send records to an HTTP intake: batches of JSON lines, one POST per batch, by the sink's
    own thread (never the logging call), retried with backoff while the service is down.

    The default ``format="ndjson"`` POSTs the lines as they are (``application/x-ndjson``) to
    the URL as given, query string kept: what Vector's ``http_server`` source, Fluent Bit's
    ``http`` input and ClickHouse's HTTP interface take. The other formats are presets for
    intake APIs:

    - ``"elasticsearch"``, ``"opensearch"``: ``_bulk`` (``/_bulk`` appended to the URL's
      path), an action line ``{"create":{...}}`` before each record (``op="index"`` for
      ``index``; ``create`` is what data streams need). Items refused with 429 are sent
      again, alone; items refused otherwise are counted lost, with the first one's reason.
    - ``"loki"``: the push API (``/loki/api/v1/push`` when the URL has no path), one stream
      per level labelled with ``labels`` and ``level``; timestamps from each record.
    - ``"victorialogs"``: ``/insert/jsonline`` (when the URL has no path), with
      ``_msg_field=message``, ``_time_field=timestamp`` and ``_stream_fields=logger`` added
      to the query string unless it gives them.
    - ``"clickhouse"``: ``INSERT INTO <table> FORMAT JSONEachRow`` with
      ``input_format_skip_unknown_fields=1`` and ``date_time_input_format=best_effort``
      added to the query string; ``auth`` sent as ``X-ClickHouse-User``/``X-ClickHouse-Key``.
    - ``"vector"``: NDJSON with gzip; ``"fluentbit"``: NDJSON as ``application/json``.

    Delivery (batches, retries, ``Retry-After``, 413 splitting, spill, accounting) is the
    shared ``NetworkSink``'s: see its options below. Credentials (``auth``, ``token``, the
    URL's user information, query values such as ``password=``) never appear in ``repr`` or
    in any message.

    The delivery options, ``batch_records``, ``batch_bytes``, ``batch_wait``, ``queue_bytes``,
    ``spill``, ``spill_max``, ``close_timeout`` and ``retry_max_wait``, are those of every
    network sink: see ``NetworkSink``.

    Args:
        url: ``http://`` or ``https://`` and a host; path and query string are kept.
        format: One of ``FORMATS``.
        headers: Extra request headers (``X-Scope-OrgID`` for a multi-tenant Loki, an
            ``Authorization: ApiKey ...`` for Elasticsearch).
        auth: ``(user, password)``: HTTP basic authentication (ClickHouse's headers for
            ``"clickhouse"``). A URL's ``user:password@`` means the same.
        token: A bearer token (``Authorization: Bearer <token>``).
        gzip: Compress request bodies. ``None``: the format's default (on for every preset
            whose service documents gzip requests; off for ``"ndjson"`` and ``"fluentbit"``).
        timeout: Seconds for one request (connect, send, answer).
        verify: Check the server's TLS certificate (``https://``). Leave it on.
        ca_file: A CA bundle (PEM) to verify the server with, instead of the system's.
        cert_file: A client certificate (PEM), for mutual TLS.
        key_file: The client certificate's key (PEM), if not in ``cert_file``.
        index: ``"elasticsearch"``: the index or data stream, when the URL's path names none.
        op: ``"elasticsearch"``: ``"create"`` (default) or ``"index"``.
        labels: ``"loki"``: the stream labels besides ``level``; default
            ``{"service_name": $OTEL_SERVICE_NAME or "unknown_service"}``.
        table: ``"clickhouse"``: the table (``db.table`` allowed).

    Raises:
        ConfigError: for a bad URL, format or option, naming it and what it accepts.

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        url: str,
        *,
        format: str = "ndjson",
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        token: str | None = None,
        gzip: bool | None = None,
        timeout: float = 10.0,
        verify: bool = True,
        ca_file: str | os.PathLike[str] | None = None,
        cert_file: str | os.PathLike[str] | None = None,
        key_file: str | os.PathLike[str] | None = None,
        index: str | None = None,
        op: str = "create",
        labels: Mapping[str, str] | None = None,
        table: str | None = None,
        batch_records: int = 10_000,
        batch_bytes: int | str = "1 MiB",
        batch_wait: float = 1.0,
        queue_bytes: int | str = "2 MiB",
        spill: str | os.PathLike[str] | None = None,
        spill_max: int | str = "1 GiB",
        close_timeout: float = 5.0,
        retry_max_wait: float = 30.0,
    ) -> None:
        parsed, url_auth = _check_url(url)
        self._format = _make_format(format, index=index, op=op, labels=labels, table=table)
        if auth is not None:
            if (
                not isinstance(auth, tuple | list)
                or len(auth) != 2
                or not all(isinstance(part, str) for part in auth)
            ):
                raise ConfigError("auth: expected a (user, password) pair of strings")
            url_auth = (auth[0], auth[1])
        if token is not None and not isinstance(token, str):
            raise ConfigError("token: expected a string")
        if token is not None and url_auth is not None:
            raise ConfigError("auth and token: give one way to authenticate, not both")
        if not isinstance(verify, bool):
            raise ConfigError(f"verify={verify!r}: expected True or False")
        if gzip is not None and not isinstance(gzip, bool):
            raise ConfigError(f"gzip={gzip!r}: expected True, False or None")
        if headers is not None and (
            not isinstance(headers, Mapping)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
        ):
            raise ConfigError("headers: expected a mapping of header names to strings")
        tls = None
        if parsed.scheme == "https":
            tls = tls_context(
                verify=verify,
                ca_file=_path(ca_file),
                cert_file=_path(cert_file),
                key_file=_path(key_file),
            )
        else:
            for option, value in (
                ("ca_file", ca_file),
                ("cert_file", cert_file),
                ("key_file", key_file),
            ):
                if value is not None:
                    raise ConfigError(f"{option}: applies to an https:// URL only")
        target = self._format.url(parsed)
        sent_headers = dict(headers or {})
        sent_headers.update(self._format.headers(url_auth))
        if token is not None:
            sent_headers["Authorization"] = f"Bearer {token}"
        self._gzip = self._format.gzip if gzip is None else gzip
        self._public = _public(target)
        self._client = HttpClient(
            urllib.parse.urlunsplit(target),
            timeout=timeout,
            tls=tls,
            headers=sent_headers,
            gzip=self._gzip,
        )
        self._content_type = self._format.content_type
        super().__init__(
            batch_records=batch_records,
            batch_bytes=batch_bytes,
            batch_wait=batch_wait,
            queue_bytes=queue_bytes,
            spill=spill,
            spill_max=spill_max,
            timeout=timeout,
            close_timeout=close_timeout,
            retry_max_wait=retry_max_wait,
        )

    @property
    def url(self) -> str:
        """Where the requests go, credentials masked (the format's path and parameters in)."""
        return self._public

    @property
    def format(self) -> str:
        return self._format.name

    def _send(self, lines: list[bytes]) -> None:
        response = self._client.post(
            self._format.body(lines, self._pause), content_type=self._content_type
        )
        self._format.settle(response, lines)

    def _disconnect(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"HTTPSink({self._public!r}, format={self._format.name!r})"


def _check_url(url: object) -> tuple[urllib.parse.SplitResult, tuple[str, str] | None]:
    """The URL, split, without its user information; that as ``(user, password)``."""
    parsed = None
    if isinstance(url, str):
        try:
            parsed = urllib.parse.urlsplit(url)
            port = parsed.port
        except ValueError:
            parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        shown = (
            _public(parsed)
            if parsed is not None and parsed.hostname
            else "the URL given"
            if isinstance(url, str)
            else repr(url)
        )
        raise ConfigError(
            f"url: {shown} is not an http:// or https:// URL with a host and a valid port "
            "(e.g. 'http://127.0.0.1:8123/')"
        )
    auth = None
    if parsed.username is not None:
        auth = (
            urllib.parse.unquote(parsed.username),
            urllib.parse.unquote(parsed.password or ""),
        )
    host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
    netloc = f"{host}:{port}" if port is not None else host
    return parsed._replace(netloc=netloc, path=parsed.path or "/", fragment=""), auth


_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def _make_format(
    name: object,
    *,
    index: str | None,
    op: str,
    labels: Mapping[str, str] | None,
    table: str | None,
) -> _Format:
    if not isinstance(name, str) or name not in FORMATS:
        accepted = ", ".join(repr(n) for n in FORMATS)
        raise ConfigError(f"format={name!r}: not a known format; accepted: {accepted}")
    given = {"index": index, "labels": labels, "table": table}
    wanted = {"elasticsearch": "index", "opensearch": "index", "loki": "labels"}
    wanted["clickhouse"] = "table"
    for option, value in given.items():
        if value is not None and wanted.get(name) != option:
            owners = [n for n, o in wanted.items() if o == option]
            raise ConfigError(
                f"{option}=: applies to format={' or '.join(map(repr, owners))}, not {name!r}"
            )
    if op != "create" and name not in ("elasticsearch", "opensearch"):
        raise ConfigError(f"op=: applies to format='elasticsearch' or 'opensearch', not {name!r}")
    if name in ("elasticsearch", "opensearch"):
        if op not in ("create", "index"):
            raise ConfigError(f"op={op!r}: accepted: 'create', 'index'")
        if index is not None and (not isinstance(index, str) or not index):
            raise ConfigError(f"index={index!r}: expected an index or data stream name")
        return _Elasticsearch(name, index, op)
    if name == "loki":
        return _Loki(name, labels)
    if name == "clickhouse":
        if table is not None and (not isinstance(table, str) or not _TABLE.match(table)):
            raise ConfigError(
                f"table={table!r}: expected a table name such as 'logs' or 'db.logs' "
                "(letters, digits, underscores)"
            )
        return _ClickHouse(name, table)
    if name == "victorialogs":
        return _VictoriaLogs(name)
    if name == "vector":
        return _Vector(name)
    if name == "fluentbit":
        return _FluentBit(name)
    return _Format(name)


def _path(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else os.fspath(value)
