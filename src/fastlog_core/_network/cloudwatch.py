"""CloudWatchSink: records to an AWS CloudWatch Logs stream with ``PutLogEvents``.

botocore gives what is hard to redo and must match the SDKs exactly: the credentials chain
(environment, shared files, SSO, ``credential_process``, assume-role, web identity, container
and instance metadata, with refresh) and the region and endpoint settings
(``AWS_ENDPOINT_URL_CLOUDWATCH_LOGS``, ``AWS_ENDPOINT_URL``, the config file). The request
body, its SigV4 signature and the HTTP exchange are fastlog's own, on the delivery layer every
network sink shares: botocore's retries would be a second one, and its serializer and its
signer (which logs each signature at DEBUG, into the very pipeline being shipped) cost several
times more per event in the sender thread.

Each batch is cut into requests within the service's limits: at most 10,000 events and
1,048,576 bytes (each message's UTF-8 bytes plus 26), events in time order, spanning less
than 24 hours. Events more than 14 days old (or older than the group's retention) or more
than 2 hours ahead are refused by the service: they are counted lost, with that reason,
before sending.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import re
import socket
import time
import urllib.parse
from collections.abc import Iterator
from operator import itemgetter
from typing import Any, ClassVar

import orjson

from .. import _diagnostics
from .._encoders.json import TRUNCATED_KEY
from .._presets import parse_size
from ..exceptions import ConfigError
from ._stamps import LEADING_TIME, Stamps
from .delivery import NetworkSink, Rejected, Retry, TruncatedStats, paced
from .syslog import _truncate_json, _utf8_prefix
from .transport import HttpClient, Response, tls_context

__all__ = ["CloudWatchSink"]

#: PutLogEvents' limits (the API reference; Fluent Bit's cloudwatch_api.h uses the same).
MAX_EVENTS = 10_000
MAX_REQUEST_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_SPAN_MS = 24 * 3600 * 1000
MAX_AGE_MS = 14 * 24 * 3600 * 1000
MAX_AHEAD_MS = 2 * 3600 * 1000
#: The retention periods PutRetentionPolicy accepts, in days.
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip

_CONTENT_TYPE = "application/x-amz-json-1.1"
_TARGET = "Logs_20140328."
_GROUP = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
#: Error codes that say the credentials (or the signature) were refused.
_AUTH = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "IncompleteSignatureException",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "AccessDeniedException",
        "AccessDenied",
        "ExpiredTokenException",
        "ExpiredToken",
        "NoCredentials",
        "CredentialsError",
    }
)
_DENIED = frozenset({"AccessDeniedException", "AccessDenied"})
_TRANSIENT = frozenset(
    {"ThrottlingException", "ServiceUnavailableException", "RequestTimeout", "InternalFailure"}
)
_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]*)</Message>")


class _Refused(Exception):
    """An AWS error answer: its code (``ThrottlingException``), message and HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}".strip())
        self.status = status
        self.code = code
        self.message = message

    @property
    def auth(self) -> bool:
        return self.code in _AUTH or self.status in (401, 403)


def _aws_error(response: Response) -> _Refused:
    """The error code and message of a non-2xx answer: from ``X-Amzn-ErrorType`` (before any
    ``:``), else the JSON ``__type`` (after any ``#``), else an XML ``<Code>`` (moto's auth
    answers), else none."""
    code = (response.headers.get("x-amzn-errortype") or "").split(":", 1)[0]
    message = ""
    body = response.body
    if body[:1] == b"{":
        try:
            answer = orjson.loads(body)
        except orjson.JSONDecodeError:
            answer = None
        if isinstance(answer, dict):
            kind = answer.get("__type")
            if not code and isinstance(kind, str):
                code = kind.rsplit("#", 1)[-1]
            text = answer.get("message", answer.get("Message"))
            if isinstance(text, str):
                message = text
    elif body[:1] == b"<":
        found = _XML_CODE.search(body)
        if found and not code:
            code = found.group(1).decode("utf-8", "replace")
        found = _XML_MESSAGE.search(body)
        if found:
            message = found.group(1).decode("utf-8", "replace")
    if not message and not code:
        message = response.text()
    return _Refused(response.status, code, message)


class _Signer:
    """AWS Signature Version 4 for one service, region and host: the request headers for a
    JSON POST to ``/`` (the algorithm of the SigV4 documentation; botocore's ``SigV4Auth``
    gives the same signature, pinned by a test)."""

    def __init__(self, region: str, host: str, service: str = "logs") -> None:
        self.region = region
        self.host = host
        self.service = service
        self._keys: dict[tuple[str, str], bytes] = {}  # (secret, date) -> signing key

    def headers(
        self,
        target: str,
        payload: bytes,
        keys: tuple[str, str, str | None],
        now: datetime.datetime | None = None,
    ) -> dict[str, str]:
        """The headers of a signed request: *keys* (access key, secret key, session token
        or ``None``) sign *payload* for *target* (``Logs_20140328.PutLogEvents``)."""
        access_key, secret_key, token = keys
        moment = now or datetime.datetime.now(datetime.UTC)
        stamp = moment.strftime("%Y%m%dT%H%M%SZ")
        date = stamp[:8]
        headers = {
            "content-type": _CONTENT_TYPE,
            "host": self.host,
            "x-amz-date": stamp,
            "x-amz-target": target,
        }
        if token:
            headers["x-amz-security-token"] = token
        names = sorted(headers)
        signed = ";".join(names)
        canonical = "\n".join(
            (
                "POST",
                "/",
                "",
                "".join(f"{name}:{headers[name]}\n" for name in names),
                signed,
                hashlib.sha256(payload).hexdigest(),
            )
        )
        scope = f"{date}/{self.region}/{self.service}/aws4_request"
        to_sign = "\n".join(
            ("AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest())
        )
        key = self._keys.get((secret_key, date))
        if key is None:
            key = ("AWS4" + secret_key).encode()
            for part in (date, self.region, self.service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys = {(secret_key, date): key}
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        return headers


_SIZE = itemgetter(2)

# An event being sent: (timestamp in ms, message, its UTF-8 size, the line, truncated).
_Event = tuple[int, str, int, bytes, bool]


class CloudWatchSink(NetworkSink):
    """Send records to an AWS CloudWatch Logs stream: one ``PutLogEvents`` request per batch
    (or a few, to keep within the service's limits), by the sink's own thread.

    Credentials come from botocore's standard chain, resolved in the sender thread on first use
    (never while configuring) and refreshed as they expire; the region from ``region=`` or the
    chain (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile); the endpoint from
    ``endpoint_url=``, else ``AWS_ENDPOINT_URL_CLOUDWATCH_LOGS``, ``AWS_ENDPOINT_URL`` or the
    config file, else AWS's own. Needs botocore: ``pip install "fastlog-py[aws]"``.

    Each record is one event, its message the JSON line as written, its timestamp the record's
    own (read from the line, whichever schema wrote it). Within a batch, events are sorted by
    time (stably) and sent in requests of at most 10,000 events and 1,048,576 bytes, spanning
    less than 24 hours. A record larger than ``max_event_bytes`` is truncated as fastlog
    truncates any record (values shortened, ``fastlog_truncated`` set to the original size),
    still one JSON object, and counted (``delivery_stats()["truncated"]``).

    Faults: ``ThrottlingException``, ``ServiceUnavailableException``, 5xx and network errors are
    retried with backoff; a missing group or stream is created (when allowed) and the request
    sent again; refused credentials are reported once, with where they came from, and each
    batch is then tried once and counted lost until they are accepted again; events the
    service refuses (``rejectedLogEventsInfo``) are counted lost. Delivery (queue, retries,
    spill, accounting) is the shared ``NetworkSink``'s.

    The delivery options, ``batch_records``, ``batch_bytes``, ``batch_wait``, ``queue_bytes``,
    ``spill``, ``spill_max``, ``close_timeout`` and ``retry_max_wait``, are those of every
    network sink: see ``NetworkSink``.

    Args:
        group: The log group's name (1-512 of ``A-Za-z0-9._-/#``).
        stream: The log stream's name; ``{hostname}`` and ``{pid}`` in it are expanded.
            Default ``"{hostname}"``.
        region: The AWS region; default from the environment or the profile.
        endpoint_url: The service's URL (a VPC endpoint, LocalStack, moto); default from
            the environment or the config file, else AWS's own.
        profile: The profile of the shared config files; default ``AWS_PROFILE``, else the
            default profile.
        create_group: Create the group when it does not exist (a denied creation is
            reported and ``PutLogEvents`` tried anyway).
        create_stream: Create the stream when it does not exist (or no longer does).
        retention_days: Set the group's retention (``PutRetentionPolicy``) to one of
            ``RETENTION_DAYS``; ``None``: leave it.
        max_event_bytes: The largest event, its 26 bytes of overhead included; a longer
            record is truncated and marked. Default 256 KiB; at most 1 MiB.
        timeout: Seconds for one request (connect, send, answer).
        verify: Check the endpoint's TLS certificate. Leave it on.
        ca_file: A CA bundle (PEM) to verify the endpoint with; default ``AWS_CA_BUNDLE``,
            else the system's.
        batch_records: At most this many records per batch (at most 10,000).
        batch_bytes: About this many bytes of records per batch.
        batch_wait: Seconds a record may wait for a fuller batch.
        queue_bytes: Memory for records not yet delivered.
        spill: A directory for an on-disk queue while the service is unreachable.
        spill_max: Bytes the spill directory may hold.
        close_timeout: Seconds ``close()`` keeps trying to deliver what is queued.
        retry_max_wait: The longest backoff between two attempts, in seconds.

    Raises:
        ConfigError: for a bad option, no region, or botocore missing.

    .. versionadded:: 0.3
    """

    #: The URL form of a sink: ``cloudwatch://<group>[/<stream>]?region=...``.
    SCHEME: ClassVar[str] = "cloudwatch"

    def __init__(
        self,
        group: str,
        stream: str | None = None,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        create_group: bool = True,
        create_stream: bool = True,
        retention_days: int | None = None,
        max_event_bytes: int | str = "256 KiB",
        timeout: float = 10.0,
        verify: bool = True,
        ca_file: str | os.PathLike[str] | None = None,
        batch_records: int = 10_000,
        batch_bytes: int | str = "768 KiB",
        batch_wait: float = 1.0,
        queue_bytes: int | str = "2 MiB",
        spill: str | os.PathLike[str] | None = None,
        spill_max: int | str = "1 GiB",
        close_timeout: float = 5.0,
        retry_max_wait: float = 30.0,
    ) -> None:
        if not isinstance(group, str) or not _GROUP.match(group):
            raise ConfigError(
                f"group={group!r}: expected a log group name of 1-512 characters among "
                "A-Z a-z 0-9 . - _ / #"
            )
        if stream is None:
            stream = "{hostname}"
        if not isinstance(stream, str):
            raise ConfigError(f"stream={stream!r}: expected a string (or None)")
        stream = stream.replace("{hostname}", socket.gethostname()).replace(
            "{pid}", str(os.getpid())
        )
        if not 1 <= len(stream) <= 512 or ":" in stream or "*" in stream:
            raise ConfigError(
                f"stream={stream!r}: expected a log stream name of 1-512 characters, "
                "without ':' or '*'"
            )
        for option, flag in (
            ("create_group", create_group),
            ("create_stream", create_stream),
            ("verify", verify),
        ):
            if not isinstance(flag, bool):
                raise ConfigError(f"{option}={flag!r}: expected True or False")
        if retention_days is not None and (
            isinstance(retention_days, bool) or retention_days not in RETENTION_DAYS
        ):
            raise ConfigError(
                f"retention_days={retention_days!r}: accepted: "
                f"{', '.join(map(str, RETENTION_DAYS))} (or None)"
            )
        event = parse_size(max_event_bytes, "max_event_bytes")
        if not 256 + EVENT_OVERHEAD <= event <= MAX_REQUEST_BYTES:
            raise ConfigError(
                f"max_event_bytes={max_event_bytes!r}: expected {256 + EVENT_OVERHEAD} "
                f"bytes to 1 MiB, the {EVENT_OVERHEAD} bytes of overhead included"
            )
        if isinstance(batch_records, int) and batch_records > MAX_EVENTS:
            raise ConfigError(
                f"batch_records={batch_records!r}: at most {MAX_EVENTS} (PutLogEvents' limit)"
            )
        for option, text in (("region", region), ("endpoint_url", endpoint_url)):
            if text is not None and (not isinstance(text, str) or not text):
                raise ConfigError(f"{option}={text!r}: expected a non-empty string")
        if profile is not None and not isinstance(profile, str):
            raise ConfigError(f"profile={profile!r}: expected a profile name")
        self.group = group
        self.stream = stream
        self.create_group = create_group
        self.create_stream = create_stream
        self.retention_days = retention_days
        self.max_event_bytes = event
        self._max_message = event - EVENT_OVERHEAD
        self._profile = profile
        self._session = _session(profile)
        self.region, self.endpoint_url = _resolve(self._session, region, endpoint_url)
        parts = urllib.parse.urlsplit(self.endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"endpoint_url={self.endpoint_url!r}: expected an http:// or https:// URL"
            )
        tls = None
        if parts.scheme == "https":
            bundle = ca_file if ca_file is not None else os.environ.get("AWS_CA_BUNDLE") or None
            tls = tls_context(verify=verify, ca_file=None if bundle is None else os.fspath(bundle))
        elif ca_file is not None:
            raise ConfigError("ca_file: applies to an https:// endpoint only")
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        default_port = 443 if parts.scheme == "https" else 80
        if parts.port is not None and parts.port != default_port:
            host = f"{host}:{parts.port}"
        self._signer = _Signer(self.region, host)
        self._host = host
        self._client = HttpClient(
            urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/", "", "")), timeout=timeout,
            tls=tls,
        )  # fmt: skip
        self._head = orjson.dumps({"logGroupName": group, "logStreamName": stream})[:-1]
        self._stamps = Stamps()
        self._credentials: Any = None  # botocore's, resolved in the sender thread
        self._credentials_seen: Any = None  # the last resolved, for its source in a report
        self._ready = False  # group, retention and stream done (or tolerated)
        self._auth_failed = False  # a refusal of the credentials reported, none accepted since
        # A batch settled across attempts (a request failed after others of it went): each
        # line's outcome by identity (the retry sends the same objects), the line kept so its
        # id is not reused: True delivered, False delivered truncated, a str the loss reason.
        self._settled: dict[int, tuple[bytes, bool | str]] = {}
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

    @classmethod
    def from_url(cls, url: str, **options: Any) -> CloudWatchSink:
        """The sink a URL names: ``cloudwatch://<group>[/<stream>]``, the group and stream
        percent-encoded (``%2F`` for a ``/`` in the group), options in the query string
        (``region``, ``endpoint_url``, ``profile``) or as keyword arguments."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() != cls.SCHEME or not parts.netloc:
            raise ConfigError(
                f"sink={url!r}: expected cloudwatch://<group>[/<stream>]?region=<region>"
            )
        group = urllib.parse.unquote(parts.netloc)
        stream = urllib.parse.unquote(parts.path[1:]) if len(parts.path) > 1 else None
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        for name, value in query.items():
            if name not in ("region", "endpoint_url", "profile"):
                raise ConfigError(
                    f"sink={url!r}: unknown query parameter {name!r} (accepted: region, "
                    "endpoint_url, profile; other options as keys of the sink dict)"
                )
            if name in options:
                raise ConfigError(f"sink={url!r}: {name} given twice (URL and option)")
            options[name] = value
        return cls(group, stream, **options)

    def __repr__(self) -> str:
        return f"CloudWatchSink({self.group!r}, {self.stream!r}, region={self.region!r})"

    def delivery_stats(self) -> TruncatedStats:
        """The delivery counts, plus ``truncated``: records cut to fit ``max_event_bytes``."""
        return self._truncated_stats()

    # -- the sender thread --------------------------------------------------------------------

    def _send(self, lines: list[bytes]) -> None:
        settled = self._settled
        if settled and not any(id(line) in settled for line in lines):
            settled.clear()  # a batch given up on (spilled at shutdown): stale
        if not self._ready:
            self._prepare(lines)
        events = self._events(lines)
        for window in self._windows(events):
            self._put(window)
        self._settle(lines)

    def _events(self, lines: list[bytes]) -> list[_Event]:
        """The lines not yet settled as events, sorted by time (stably); those the service
        would refuse (empty, too old, too far ahead) settled as lost."""
        settled = self._settled
        stamps = self._stamps
        now = time.time_ns() // 1_000_000
        oldest = now - MAX_AGE_MS
        newest = now + MAX_AHEAD_MS
        limit = self._max_message
        events: list[_Event] = []
        # The default, ecs and datadog schemas' lines: the time read in place, its second
        # looked up in the stamps' cache (filled by epoch_ms on its first line).
        leading = LEADING_TIME.match
        seconds = stamps.milliseconds()
        for line in paced(lines, self._pause):
            if settled and id(line) in settled:
                continue
            size = len(line)
            if not size:
                settled[id(line)] = (line, "an empty line (CloudWatch takes no empty event)")
                continue
            match = leading(line)
            whole = seconds.get(match.group(1)) if match is not None else None
            stamp = (
                whole + int(match.group(2))  # type: ignore[union-attr]
                if whole is not None
                else stamps.epoch_ms(line, now)
            )
            if stamp < oldest:
                settled[id(line)] = (line, "older than 14 days (CloudWatch refuses those)")
                continue
            if stamp > newest:
                settled[id(line)] = (line, "more than 2 hours ahead (CloudWatch refuses those)")
                continue
            cut = size > limit
            text = line
            if cut:
                text = _truncate_json(line, limit) or _cut_text(line, limit)
            try:
                message = text.decode()
            except UnicodeDecodeError:
                message = text.decode("utf-8", "replace")
                encoded = message.encode()
                if len(encoded) > limit:
                    message = _utf8_prefix(encoded, limit).decode()
                    cut = True
                size = len(message.encode())
            else:
                size = len(text)
            events.append((stamp, message, size, line, cut))
        events.sort(key=itemgetter(0))
        return events

    def _windows(self, events: list[_Event]) -> Iterator[list[_Event]]:
        """*events* (sorted) in requests within the count, size and 24-hour span limits."""
        total = len(events)
        if (
            total <= MAX_EVENTS
            and sum(map(_SIZE, events)) + EVENT_OVERHEAD * total <= MAX_REQUEST_BYTES
            and (not events or events[-1][0] - events[0][0] < MAX_SPAN_MS)
        ):
            yield events  # the usual batch: one request
            return
        start = 0
        while start < total:
            first = events[start][0]
            size = 0
            end = start
            stop = min(total, start + MAX_EVENTS)
            while end < stop:
                event = events[end]
                grown = size + event[2] + EVENT_OVERHEAD
                if grown > MAX_REQUEST_BYTES or event[0] - first >= MAX_SPAN_MS:
                    break
                size = grown
                end += 1
            end = max(end, start + 1)  # one event always fits (max_event_bytes <= 1 MiB)
            yield events[start:end]
            start = end

    def _put(self, window: list[_Event]) -> None:
        """One PutLogEvents for *window*, settling its lines; a window refused as too large
        in halves; a missing stream created and the request sent again, once."""
        pending = [window]
        created = False
        while pending:
            part = pending.pop(0)
            payload = self._payload(part)
            try:
                answer = self._call("PutLogEvents", payload)
            except _Refused as exc:
                if exc.code == "ResourceNotFoundException":
                    if not created and self.create_stream:
                        created = True
                        try:
                            self._create(first=False)
                        except _Refused as again:
                            self._refuse(again, part)
                            continue
                        pending.insert(0, part)
                        continue
                    self._lose(part, f"{exc.code}: {exc.message}")
                    _diagnostics.report(
                        "cloudwatch",
                        f"{self!r}: the log group or stream does not exist and may not be "
                        f"created (create_group={self.create_group}, "
                        f"create_stream={self.create_stream}): {exc.message}",
                    )
                    continue
                if exc.status == 413 or (
                    exc.code == "InvalidParameterException" and "too large" in exc.message
                ):
                    if len(part) > 1:
                        half = len(part) // 2
                        pending[:0] = [part[:half], part[half:]]
                    else:
                        self._lose(part, f"an event the service refuses as too large: {exc}")
                    continue
                self._refuse(exc, part)
                continue
            self._accepted(part, answer)

    def _payload(self, part: list[_Event]) -> bytes:
        events = [{"timestamp": e[0], "message": e[1]} for e in part]
        return self._head + b',"logEvents":' + orjson.dumps(events) + b"}"

    def _accepted(self, part: list[_Event], answer: Response) -> None:
        settled = self._settled
        for _, _, _, line, cut in part:
            settled[id(line)] = (line, not cut)
        self._auth_failed = False
        if b"rejectedLogEventsInfo" not in answer.body:
            return
        try:
            info = orjson.loads(answer.body)["rejectedLogEventsInfo"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        if not isinstance(info, dict):
            return
        # AWS's indexes: tooOld and expired end exclusive, tooNew starts inclusive.
        spans = (
            ("tooOldLogEventEndIndex", "older than the service accepts"),
            ("expiredLogEventEndIndex", "older than the log group's retention"),
            ("tooNewLogEventStartIndex", "too far ahead for the service"),
        )
        for key, reason in spans:
            index = info.get(key)
            if not isinstance(index, int) or isinstance(index, bool):
                continue
            chosen = part[:index] if key != "tooNewLogEventStartIndex" else part[index:]
            for event in chosen:
                settled[id(event[3])] = (event[3], f"refused by the service: {reason}")

    def _refuse(self, exc: _Refused, part: list[_Event]) -> None:
        """Settle a failed request: retried (raise) or its events lost, reported."""
        if exc.auth:
            self._credentials = None  # resolved again: rotated keys are picked up
            self._ready = False
            self._lose(part, f"the credentials were refused ({exc.code or exc.status})")
            self._report_auth(exc)
            return
        if exc.code in _TRANSIENT or exc.status >= 500 or exc.status in (408, 429):
            raise Retry(str(exc))
        self._lose(part, str(exc))

    def _report_auth(self, exc: _Refused) -> None:
        """Tell, once until credentials are accepted again, that they were refused."""
        if self._auth_failed:
            return
        self._auth_failed = True
        source = getattr(self._credentials_seen, "method", None) or "none found"
        what = f"{exc.code or 'HTTP ' + str(exc.status)}: {exc.message}"
        _diagnostics.report(
            "cloudwatch-auth",
            f"{self!r}: CloudWatch Logs at {self.endpoint_url} refused the credentials "
            f"(source: {source}, region: {self.region}; profile: {self._profile or 'default'}): "
            f"{what}. Records are counted lost, each batch tried once, until credentials "
            "are accepted; this is reported once.",
        )

    def _lose(self, part: list[_Event], reason: str) -> None:
        settled = self._settled
        for event in part:
            settled[id(event[3])] = (event[3], reason)

    def _settle(self, lines: list[bytes]) -> None:
        """The batch is done: count its truncated records, raise ``Rejected`` for its lost
        ones (the base counts them and tells them in the stream)."""
        settled = self._settled
        lost = 0
        cut = 0
        reasons: dict[str, int] = {}
        for line in lines:
            entry = settled.get(id(line))
            outcome = True if entry is None else entry[1]
            if outcome is True:
                continue
            if outcome is False:
                cut += 1
                continue
            lost += 1
            reasons[outcome] = reasons.get(outcome, 0) + 1
        settled.clear()
        if cut:
            self._count_truncated(cut, f"max_event_bytes={self.max_event_bytes}")
        if lost:
            why = "; ".join(f"{n} {reason}" for reason, n in reasons.items())
            raise Rejected(why, records=lost)

    def _prepare(self, lines: list[bytes]) -> None:
        """Before the first request: the group, its retention and the stream, as allowed.
        Refused credentials lose the batch; another refusal is reported and the requests
        tried anyway (they tell whether the group and stream are there)."""
        try:
            self._create(first=True)
        except _Refused as exc:
            if exc.auth:
                self._credentials = None
                self._report_auth(exc)
                reason = f"the credentials were refused ({exc.code or exc.status})"
                for line in lines:
                    self._settled[id(line)] = (line, reason)
                self._settle(lines)
                return
            _diagnostics.report("cloudwatch", f"{self!r}: preparing the log stream: {exc}")
        self._ready = True

    def _create(self, *, first: bool) -> None:
        """Create the group (with its retention) and the stream, as allowed; one that exists
        is fine, a denied creation reported and tolerated. Not *first* (the stream went
        missing): the stream, and the group if that is missing too."""
        group = orjson.dumps({"logGroupName": self.group})
        retention = orjson.dumps(
            {"logGroupName": self.group, "retentionInDays": self.retention_days}
        )
        if first:
            if self.create_group:
                self._ensure("CreateLogGroup", group)
            if self.retention_days is not None:
                self._ensure("PutRetentionPolicy", retention)
        if not self.create_stream:
            return
        stream = self._head + b"}"
        try:
            self._ensure("CreateLogStream", stream)
        except _Refused as exc:
            if exc.code != "ResourceNotFoundException" or not self.create_group:
                raise
            self._ensure("CreateLogGroup", group)
            if self.retention_days is not None:
                self._ensure("PutRetentionPolicy", retention)
            self._ensure("CreateLogStream", stream)

    def _ensure(self, op: str, payload: bytes) -> None:
        """*op*, done or already done; denied: reported, tolerated; transient: ``Retry``."""
        try:
            self._call(op, payload)
        except _Refused as exc:
            if exc.code == "ResourceAlreadyExistsException":
                return
            if exc.code in _DENIED:
                _diagnostics.report(
                    "cloudwatch",
                    f"{self!r}: {op} was denied ({exc.message or exc.code}); records are sent "
                    "to the group and stream as they are",
                )
                return
            if exc.code in _TRANSIENT or exc.status >= 500 or exc.status in (408, 429):
                raise Retry(f"{op}: {exc}") from None
            raise

    def _call(self, op: str, payload: bytes) -> Response:
        """One signed request; the answer if 2xx, else ``_Refused``; ``OSError`` if none."""
        headers = self._signer.headers(_TARGET + op, payload, self._keys())
        response = self._client.post(payload, content_type=_CONTENT_TYPE, headers=headers)
        if 200 <= response.status < 300:
            return response
        raise _aws_error(response)

    def _keys(self) -> tuple[str, str, str | None]:
        """The current credentials, resolved by botocore's chain on first use and after a
        refusal, refreshed by it as they expire."""
        try:
            credentials = self._credentials
            if credentials is None:
                if self._session is None:
                    self._session = _session(self._profile)
                credentials = self._session.get_credentials()
                self._credentials_seen = credentials
                if credentials is None:
                    raise _Refused(0, "NoCredentials", "no credentials found by the chain")
                self._credentials = credentials
                self._session = None  # the next resolution reads the chain afresh
            frozen = credentials.get_frozen_credentials()
        except _Refused:
            raise
        except Exception as exc:  # botocore's: a profile, a process or a role that failed
            self._credentials = None
            raise _Refused(0, "CredentialsError", f"{type(exc).__name__}: {exc}") from exc
        return frozen.access_key, frozen.secret_key, frozen.token

    def _disconnect(self) -> None:
        self._client.close()

    def after_fork(self) -> None:
        """In a forked child: credentials resolved afresh (botocore's refresh lock may be
        held by a parent's thread that the child does not have)."""
        super().after_fork()
        self._credentials = None
        self._session = None
        self._settled = {}
        self._ready = False


def _cut_text(line: bytes, limit: int) -> bytes:
    mark = f"… [{TRUNCATED_KEY}={len(line)}]".encode()
    return _utf8_prefix(line, max(0, limit - len(mark))) + mark


def _session(profile: str | None) -> Any:
    """A botocore session (imported here: it is optional, and slow to import)."""
    try:
        import botocore.exceptions
        import botocore.session
    except ImportError as exc:
        raise ConfigError('CloudWatchSink needs botocore: pip install "fastlog-py[aws]"') from exc
    try:
        return botocore.session.Session(profile=profile)
    except botocore.exceptions.ProfileNotFound as exc:
        raise ConfigError(f"profile={profile!r}: {exc}") from exc


def _resolve(session: Any, region: str | None, endpoint_url: str | None) -> tuple[str, str]:
    """The region and endpoint botocore would use for CloudWatch Logs, without credentials
    (dummy keys: the chain may probe instance metadata, not done while configuring)."""
    import botocore.exceptions

    try:
        client = session.create_client(
            "logs",
            region_name=region,
            endpoint_url=endpoint_url,
            aws_access_key_id="resolving",
            aws_secret_access_key="resolving",
        )
    except botocore.exceptions.NoRegionError as exc:
        raise ConfigError(
            "region: none given and none configured; pass region=... or set AWS_REGION "
            "(or AWS_DEFAULT_REGION, or a region in the profile)"
        ) from exc
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        raise ConfigError(f"CloudWatchSink: region={region!r}, endpoint_url: {exc}") from exc
    resolved: str = client.meta.region_name
    url: str = client.meta.endpoint_url
    return resolved, url
