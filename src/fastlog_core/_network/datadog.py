"""DatadogSink: fastlog's lines to Datadog's HTTP logs intake (API v2), in batches.

Each request is ``POST https://http-intake.logs.<site>/api/v2/logs`` with the ``DD-API-KEY``
header and, as its body, a JSON array of log objects, gzipped: each fastlog line is one object,
with Datadog's reserved attributes ``ddsource``, ``ddtags``, ``hostname`` and ``service`` put
in front of its own keys (a key the line already has is not added: the record's wins).

The intake's documented limits (docs.datadoghq.com/api/latest/logs/#send-logs): at most 1,000
entries and 5,000,000 bytes (uncompressed) per request, 1,000,000 bytes per entry. The first two
are checked against the batch options at construction; an entry longer than the third is
truncated here, marked ``fastlog_truncated`` (Datadog would cut it silently). Its statuses
(datadog-api-client ``SubmitLog``): 202 accepted; 400 a bad payload (lost, counted, the intake's
message reported); 401/403 a missing or refused key (lost and counted, each batch tried once,
reported once until the key is accepted again); 408, 429, 500, 503 retried (``Retry-After``
honoured); 413 the batch split.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import orjson

from .. import _diagnostics
from .._encoders import json as _json
from .._presets import parse_size
from ..exceptions import ConfigError
from .delivery import NetworkSink, Rejected, TooLarge, TruncatedStats, paced
from .transport import HttpClient, Response, redact, tls_context

__all__ = [
    "MAX_ENTRIES",
    "MAX_ENTRY_BYTES",
    "MAX_PAYLOAD_BYTES",
    "SITES",
    "DatadogSink",
]

#: Datadog's sites (docs.datadoghq.com/getting_started/site/): ``site=`` takes one of these;
#: any other endpoint (a proxy, a site added later) is given whole with ``url=``.
SITES: Final = (
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "ddog-gov.com",
)
#: The intake's limits: entries per request, bytes per request (uncompressed), bytes per entry.
MAX_ENTRIES: Final = 1000
MAX_PAYLOAD_BYTES: Final = 5_000_000
MAX_ENTRY_BYTES: Final = 1_000_000
#: Room kept in each request for the note line the delivery layer may put in front of a batch
#: (it tells lines lost earlier; its reason quotes at most 300 characters of an answer).
_NOTE_ROOM: Final = 2048
_REFUSED_KEY: Final = frozenset({401, 403})


class DatadogSink(NetworkSink):
    """A network sink to Datadog's HTTP logs intake (API v2).

    Every option may come from Datadog's standard environment variables instead (the
    argument wins): ``DD_API_KEY``, ``DD_SITE``, ``DD_SERVICE``, ``DD_ENV``, ``DD_VERSION``,
    ``DD_TAGS``, ``DD_HOSTNAME``. Each entry gets ``ddsource``, ``service``, ``hostname`` and
    ``ddtags`` (``env:<env>``, ``version:<version>`` and the tags) unless the record has the
    key itself. The key is sent in the ``DD-API-KEY`` header only: it is in no ``repr``, no
    message and no report.

    Records refused for good are counted in ``delivery_stats()["lost"]`` and reported on
    stderr; a refused API key (401/403) is reported once ("Datadog refused the API key ..."),
    each batch tried once meanwhile, and delivery resumes as soon as the key is accepted.

    Args:
        api_key: The Datadog API key; default ``DD_API_KEY``.
        site: One of ``SITES``; default ``DD_SITE``, else ``"datadoghq.com"``. The intake is
            ``https://http-intake.logs.<site>/api/v2/logs``.
        url: The intake's whole URL instead of *site* (a proxy, a test intake, a new site).
        service: The ``service`` attribute; default ``DD_SERVICE``, else none.
        env: Added to ``ddtags`` as ``env:<env>``; default ``DD_ENV``.
        version: Added to ``ddtags`` as ``version:<version>``; default ``DD_VERSION``.
        source: The ``ddsource`` attribute (which integration pipeline Datadog applies).
        hostname: The ``hostname`` attribute; default ``DD_HOSTNAME``, else the machine's name.
        tags: ``ddtags``: a mapping, a list of ``"key:value"`` strings, or one string of them
            separated by commas or spaces; default ``DD_TAGS``.
        gzip: Compress request bodies (``Content-Encoding: gzip``), as Datadog recommends.
        timeout: Seconds for one attempt.
        verify: Verify the intake's TLS certificate.
        ca_file: CA certificates to verify it with, instead of the system's.
        batch_records: Entries per request, fastlog's note line included: 1 to 1000.
        batch_bytes: Bytes of lines per request; with the attributes added to each entry, a
            request must stay within the intake's 5,000,000 bytes.
        batch_wait: Seconds a line may wait for a fuller batch.
        queue_bytes: Memory for lines not yet delivered.
        spill: A directory for an on-disk queue while the intake is unreachable.
        spill_max: Bytes the spill directory may hold.
        close_timeout: Seconds ``close()`` keeps trying to deliver what is queued.
        retry_max_wait: The longest backoff between two attempts, in seconds.

    Raises:
        ConfigError: for a missing API key, an unknown site, a bad option or batch limits the
            intake would refuse, naming the option and what it accepts.

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        site: str | None = None,
        url: str | None = None,
        service: str | None = None,
        env: str | None = None,
        version: str | None = None,
        source: str = "python",
        hostname: str | None = None,
        tags: Mapping[str, object] | Iterable[str] | str | None = None,
        gzip: bool = True,
        timeout: float = 10.0,
        verify: bool = True,
        ca_file: str | os.PathLike[str] | None = None,
        batch_records: int = MAX_ENTRIES,
        batch_bytes: int | str = "4 MiB",
        batch_wait: float = 1.0,
        queue_bytes: int | str = "8 MiB",
        spill: str | os.PathLike[str] | None = None,
        spill_max: int | str = "1 GiB",
        close_timeout: float = 5.0,
        retry_max_wait: float = 30.0,
    ) -> None:
        environ = os.environ
        key = api_key if api_key is not None else environ.get("DD_API_KEY")
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(
                "api_key: no Datadog API key; give api_key= or set DD_API_KEY"
                if key is None
                else "api_key: expected a non-empty string"
            )
        if url is not None:
            if site is not None:
                raise ConfigError("site= and url=: give one (url= is the whole intake URL)")
            if not isinstance(url, str):
                raise ConfigError(f"url={url!r}: expected an http:// or https:// URL")
            target = url
        else:
            chosen = site if site is not None else environ.get("DD_SITE") or SITES[0]
            if chosen not in SITES:
                origin = "site" if site is not None else "DD_SITE"
                raise ConfigError(
                    f"{origin}={chosen!r}: not a Datadog site; accepted: "
                    f"{', '.join(SITES)} (or url= with the intake's whole URL)"
                )
            target = f"https://http-intake.logs.{chosen}/api/v2/logs"
        for option, value in (("gzip", gzip), ("verify", verify)):
            if not isinstance(value, bool):
                raise ConfigError(f"{option}={value!r}: expected True or False")
        if (
            not isinstance(batch_records, int)
            or isinstance(batch_records, bool)
            or not 1 <= batch_records <= MAX_ENTRIES
        ):
            raise ConfigError(
                f"batch_records={batch_records!r}: expected 1 to {MAX_ENTRIES} "
                "(the intake's limit of entries per request)"
            )
        attributes = {
            "ddsource": _text("source", source),
            "ddtags": ",".join(
                _tags(
                    _text("env", env if env is not None else environ.get("DD_ENV")),
                    _text("version", version if version is not None else environ.get("DD_VERSION")),
                    tags if tags is not None else environ.get("DD_TAGS"),
                )
            ),
            "hostname": _text("hostname", hostname)
            or environ.get("DD_HOSTNAME")
            or socket.gethostname(),
            "service": _text(
                "service", service if service is not None else environ.get("DD_SERVICE")
            ),
        }
        self.attributes: dict[str, str] = {k: v for k, v in attributes.items() if v}
        self._merge = _Merge(self.attributes)
        # The delivery layer adds its note line in front of a batch: one entry kept for it.
        records = max(1, batch_records - 1)
        size = parse_size(batch_bytes, "batch_bytes")
        most = size + (records + 1) * self._merge.overhead + _NOTE_ROOM + 2
        if most > MAX_PAYLOAD_BYTES:
            raise ConfigError(
                f"batch_bytes={batch_bytes!r}: a request could reach {most} bytes with the "
                f"attributes added to each of batch_records={batch_records} entries; the intake "
                f"takes at most {MAX_PAYLOAD_BYTES} (lower batch_bytes or batch_records)"
            )
        tls = None
        if target.startswith("https:"):
            tls = tls_context(
                verify=verify, ca_file=None if ca_file is None else os.fspath(ca_file)
            )
        elif ca_file is not None:
            raise ConfigError("ca_file: applies to an https:// URL only")
        self._client = HttpClient(
            target, timeout=timeout, tls=tls, headers={"DD-API-KEY": key.strip()}, gzip=gzip
        )
        self.url = redact(target)
        self._key_refused = False
        super().__init__(
            batch_records=records,
            batch_bytes=size,
            batch_wait=batch_wait,
            queue_bytes=queue_bytes,
            spill=spill,
            spill_max=spill_max,
            timeout=timeout,
            close_timeout=close_timeout,
            retry_max_wait=retry_max_wait,
        )

    @classmethod
    def from_url(cls, url: str, /, *, api_key: str | None = None, **options: Any) -> DatadogSink:
        """The sink a ``datadog://[<site>]`` URL names (``sink="datadog://datadoghq.eu"``);
        its other options are the sink dict's keys."""
        rest = url.partition("://")[2].rstrip("/")
        if "/" in rest or "?" in rest or "@" in rest:
            raise ConfigError(
                f"sink={url!r}: expected datadog:// or datadog://<site> "
                f"(a site: {', '.join(SITES)}); give the API key as api_key= or DD_API_KEY"
            )
        if rest:
            if "site" in options or "url" in options:
                raise ConfigError(f"sink={url!r}: the URL names the site; no site= or url= too")
            options["site"] = rest
        return cls(api_key, **options)

    def body(self, lines: list[bytes], pause: Callable[[], None] | None = None) -> bytes:
        """The request body for *lines*: a JSON array of one object per line."""
        entry = self._merge.entry
        return b"[" + b",".join([entry(line) for line in paced(lines, pause)]) + b"]"

    def _send(self, lines: list[bytes]) -> None:
        merge = self._merge
        before = merge.truncated
        body = self.body(lines, self._pause)
        cut, merge.truncated = merge.truncated - before, before  # counted once delivered
        if len(body) > MAX_PAYLOAD_BYTES:  # lines not JSON, escaped when wrapped: split
            raise TooLarge(f"{len(body)} bytes, over the intake's {MAX_PAYLOAD_BYTES}")
        response = self._client.post(body, content_type="application/json")
        status = response.status
        if status in _REFUSED_KEY:
            if not self._key_refused:
                self._key_refused = True
                _diagnostics.report(
                    "datadog",
                    f"Datadog refused the API key (HTTP {status} {response.reason}) at "
                    f"{self.url}: check api_key= or DD_API_KEY, and that the key belongs to "
                    "this site; meanwhile each batch is tried once and its records are counted "
                    "in delivery_stats()['lost']",
                )
            raise Rejected(f"HTTP {status} {response.reason}: API key not accepted")
        if 200 <= status < 300:
            self._key_refused = False  # a refusal after this one is reported again
        response.check(_message(response))
        if cut:
            self._count_truncated(cut, f"the intake's {MAX_ENTRY_BYTES} bytes per entry")

    def delivery_stats(self) -> TruncatedStats:
        """The delivery counts, plus ``truncated``: entries cut to the intake's limit."""
        return self._truncated_stats()

    def _disconnect(self) -> None:
        self._client.close()

    def after_fork(self) -> None:
        """In a forked child: the base's fresh state, and counts of its own."""
        super().after_fork()
        self._key_refused = False

    def __repr__(self) -> str:
        service = self.attributes.get("service")
        return f"DatadogSink({self.url!r}" + (f", service={service!r})" if service else ")")


class _Merge:
    """Puts the sink's attributes in front of a line's own keys, as bytes.

    A line is one JSON object as fastlog wrote it (compact, no spaces); the entry is the
    attributes' ``"key":value,`` text spliced after its ``{``, which is what merging the two
    objects gives (``{**attributes, **record}``), provided the line lacks those keys. A line
    has one only if the text ``"key":`` occurs in it (a JSON string cannot hold an unescaped
    quote), so one regular-expression search clears almost every line; a line where it
    matches (the key may be nested) is parsed to see which of its top-level keys are there.
    """

    __slots__ = ("_fragments", "_limit", "_needles", "_prefix", "overhead", "truncated")

    def __init__(self, attributes: Mapping[str, str]) -> None:
        self._fragments = [
            (key, orjson.dumps(key) + b":" + orjson.dumps(value) + b",")
            for key, value in attributes.items()
        ]
        self._prefix = b"{" + b"".join(fragment for _, fragment in self._fragments)
        #: What the attributes add to an entry.
        self.overhead = len(self._prefix) - 1
        keys = b"|".join(re.escape(key.encode()) for key in attributes) or b"(?!)"
        self._needles = re.compile(b'"(?:' + keys + b')":')
        self._limit = MAX_ENTRY_BYTES - self.overhead
        self.truncated = 0  # entries cut so far (the sender thread's own count)

    def entry(self, line: bytes) -> bytes:
        """*line* with the attributes it lacks, as one JSON object of at most
        ``MAX_ENTRY_BYTES`` (longer: truncated and marked ``fastlog_truncated``)."""
        if line[:1] != b"{" or line[-1:] != b"}":  # another encoder's line: its text
            line = orjson.dumps({"message": line.decode("utf-8", "replace")})
        if len(line) > self._limit:
            line = bytes(_json.truncate(line, self._limit))
            self.truncated += 1
        prefix = self._prefix
        if self._needles.search(line) is not None:
            try:
                present = orjson.loads(line)
            except orjson.JSONDecodeError:
                present = {}
            prefix = b"{" + b"".join(
                fragment for key, fragment in self._fragments if key not in present
            )
        if line == b"{}":
            return prefix[:-1] + b"}" if len(prefix) > 1 else line
        return prefix + line[1:]


def _text(option: str, value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{option}={value!r}: expected a string")
    return value.strip()


def _tags(env: str, version: str, tags: object) -> list[str]:
    """``ddtags``' items: ``env:``, ``version:`` then the tags given (without repeats)."""
    out = [f"env:{env}"] if env else []
    if version:
        out.append(f"version:{version}")
    if tags is None:
        return out
    if isinstance(tags, str):
        items = [item for item in re.split(r"[,\s]+", tags) if item]
    elif isinstance(tags, Mapping):
        items = []
        for key, value in tags.items():
            if not isinstance(key, str) or not key:
                raise ConfigError(f"tags: key {key!r}: expected a non-empty string")
            items.append(f"{key}:{value}")
    else:
        given = list(tags) if isinstance(tags, Iterable) else None
        if given is None or not all(isinstance(item, str) for item in given):
            raise ConfigError(
                f"tags={tags!r}: expected a mapping, a list of 'key:value' strings, or "
                "'key:value,key2:value2'"
            )
        items = [item.strip() for item in given if item.strip()]
    for item in items:
        if "," in item:
            raise ConfigError(f"tags: {item!r}: a tag cannot contain a comma")
        if item not in out:
            out.append(item)
    return out


def _message(response: Response) -> str | None:
    """The intake's own error text (``{"errors": [{"detail": ...}]}`` or a list of strings),
    else ``None`` (the body's start is used)."""
    try:
        errors = orjson.loads(response.body)["errors"]
        parts = [
            str(e.get("detail") or e.get("title") or e) if isinstance(e, dict) else str(e)
            for e in errors
        ]
        return "; ".join(parts)[:300] or None
    except Exception:
        return None
