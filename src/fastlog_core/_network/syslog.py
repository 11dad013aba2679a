"""Syslog: each record as one RFC 5424 message, over TCP, TLS, UDP or a Unix socket.

The JSON line fastlog wrote is the message's MSG, unchanged; the header carries what syslog
routes on: the record's timestamp as TIMESTAMP and its level as the severity in PRI. With
``structured_data=True`` the record's top-level fields go into one SD element instead, and its
``message`` is the MSG.

Framing follows the transport: RFC 6587 octet counting (``LEN SP MSG``) on streams (TCP, TLS,
a Unix stream socket), which every modern receiver takes and which survives newlines inside a
record; one datagram per record on UDP and Unix datagram sockets. A record that does not fit
in ``max_message`` is truncated by the JSON encoder's own rule (values shortened, the original
size in ``fastlog_truncated``), so what arrives is still one valid JSON object, and counted: a
receiver that cuts an oversize message itself leaves invalid JSON, and rsyslog's TCP input
even takes the rest of the frame as a new message.

Formatting runs in the sink's sender thread, a batch at a time: the header after the PRI and
the timestamp is built once, and for a line in the default schema the timestamp and the level
are read at their fixed offsets; any other line is parsed once with orjson.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import sys
import urllib.parse
from collections.abc import Callable
from typing import Any, Final, Literal

import orjson

from .. import _diagnostics
from .._encoders.json import TRUNCATED_KEY, truncate
from .._levels import levelno_of
from ..exceptions import ConfigError
from .delivery import NetworkSink, TruncatedStats, paced
from .transport import StreamClient, tls_context

__all__ = ["FACILITIES", "SyslogFormat", "SyslogSink", "severity"]

#: Facility names and numbers (RFC 5424 section 6.2.1; the names of stdlib's ``SysLogHandler``).
FACILITIES: Final[dict[str, int]] = {
    "kern": 0,
    "user": 1,
    "mail": 2,
    "daemon": 3,
    "auth": 4,
    "syslog": 5,
    "lpr": 6,
    "news": 7,
    "uucp": 8,
    "cron": 9,
    "authpriv": 10,
    "ftp": 11,
    "ntp": 12,
    "security": 13,
    "console": 14,
    "solaris-cron": 15,
    **{f"local{n}": 16 + n for n in range(8)},
}

SCHEMES: Final = ("tcp", "tls", "udp", "unix")
_DEFAULT_PORTS: Final = {"tcp": 514, "udp": 514, "tls": 6514}

#: rsyslog's default ``maxMessageSize``, the whole message with its header: longer ones it cuts
#: (and over TCP takes the rest of the frame as a message of its own).
DEFAULT_MAX_MESSAGE: Final = 8096
#: RFC 5424 6.1: every receiver takes 480 octets.
MIN_MAX_MESSAGE: Final = 480
#: What a record keeps at least under ``max_message``: JSON truncation needs about 200 bytes.
MIN_ROOM: Final = 256
#: The largest UDP payload over IPv4.
MAX_DATAGRAM: Final = 65507

#: The default SD-ID: 32473 is the enterprise number RFC 5612 reserves for documentation.
DEFAULT_SD_ID: Final = "fastlog@32473"

NIL: Final = b"-"
_INFO: Final = 6  # the severity of a line whose level cannot be read

# Where a default-schema line has its timestamp and level (the writer's per-sink filter reads
# the level the same way): {"timestamp":"<27 characters>","level":"info",...
_TS_START: Final = len('{"timestamp":"')
_TS_END: Final = _TS_START + len("2026-01-01T00:00:00.000000Z")
_LEVEL_AT: Final = b'","level":"'
_LEVEL_START: Final = _TS_END + len(_LEVEL_AT)

# The keys other schemas (ECS, GCP, Datadog, OpenTelemetry) put the timestamp and level under.
_TIMESTAMP_KEYS: Final = ("timestamp", "@timestamp", "time")
_LEVEL_KEYS: Final = ("level", "log.level", "severity", "status", "SeverityText")
# RFC 5424 TIMESTAMP: RFC 3339 with at most 6 fraction digits.
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)\Z", re.ASCII)
# SD-PARAM values: ``"``, ``\`` and ``]`` are escaped with a backslash (RFC 5424 6.3.3).
_SD_ESCAPE = re.compile(r'(["\\\]])')
# SD-NAME: 1 to 32 printable US-ASCII characters but ``=``, space, ``]`` and ``"``.
_SD_NAME_BAD = re.compile(r"[^!#-<>-\\^-~]")

_loads = orjson.loads


def severity(levelno: int | None) -> int:
    """The syslog severity of a level number (stdlib's scale), by range: below INFO debug (7),
    INFO info (6), 25 (loguru's SUCCESS, Cloud Logging's NOTICE) notice (5), WARNING warning
    (4), ERROR err (3), CRITICAL crit (2), 60 alert (1), 70 and above emerg (0). ``None`` and
    0 (a level not given) are info."""
    if not levelno:
        return _INFO
    if levelno < 20:
        return 7
    if levelno < 25:
        return 6
    if levelno < 30:
        return 5
    if levelno < 40:
        return 4
    if levelno < 50:
        return 3
    if levelno < 60:
        return 2
    if levelno < 70:
        return 1
    return 0


def sd_escape(value: str) -> str:
    """*value* as an SD-PARAM value: ``"``, ``\\`` and ``]`` escaped with a backslash."""
    return _SD_ESCAPE.sub(r"\\\1", value)


def sd_name(key: str) -> str:
    """*key* as an SD-NAME: characters it cannot hold become ``_``, cut to 32."""
    return _SD_NAME_BAD.sub("_", key)[:32] or "_"


def _header_field(value: object, limit: int) -> bytes:
    """A default header value made valid: printable US-ASCII only, at most *limit*."""
    text = re.sub(r"[^!-~]", "_", str(value))[:limit]
    return text.encode() if text else NIL


def _checked_field(option: str, value: str | int, limit: int) -> bytes:
    text = str(value)
    if not text or len(text) > limit or re.search(r"[^!-~]", text):
        raise ConfigError(
            f"{option}={value!r}: expected 1 to {limit} printable ASCII characters without "
            "spaces (RFC 5424)"
        )
    return text.encode()


def program_name() -> str:
    """The program's name, as syslog's APP-NAME: ``sys.argv[0]``'s file name (its package's
    name for ``python -m package``), ``python`` when there is none (``-c``, the REPL)."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c", "-m") else ""
    if not argv0:
        return "python"
    path = os.path.abspath(argv0)
    name = os.path.basename(path)
    if name == "__main__.py":
        name = os.path.basename(os.path.dirname(path))
    return name or "python"


class SyslogFormat:
    """Lines in, syslog messages out: the header, the severity, the limit, the framing.

    Pure (no I/O), so it is tested on its own; the sink keeps one and calls ``frame`` with each
    batch for a stream, ``message`` with each line for datagrams.

    Args:
        facility: The facility number, 0 to 23.
        hostname, app_name, procid, msgid: The header fields, as bytes (``b"-"`` for none).
        structured_data: Put the record's fields into an SD element, its ``message`` as MSG.
        sd_id: The SD-ID of that element.
        header: ``"rfc5424"``, or ``"local"`` for the format a local syslog daemon parses on
            ``/dev/log``: ``<PRI>APP-NAME[PROCID]: MSG``, as glibc's ``syslog()`` writes it
            without the timestamp (the daemon stamps it).
        max_message: The longest message, header included (not the octet count's prefix);
            ``None``: no limit.
    """

    __slots__ = (
        "_pri",
        "_pri_by_name",
        "_tail",
        "app_name",
        "facility",
        "header",
        "hostname",
        "max_message",
        "msgid",
        "procid",
        "sd_id",
        "structured_data",
        "truncated",
    )

    def __init__(
        self,
        *,
        facility: int = 1,
        hostname: bytes = NIL,
        app_name: bytes = NIL,
        procid: bytes = NIL,
        msgid: bytes = NIL,
        structured_data: bool = False,
        sd_id: str = DEFAULT_SD_ID,
        header: Literal["rfc5424", "local"] = "rfc5424",
        max_message: int | None = DEFAULT_MAX_MESSAGE,
    ) -> None:
        self.facility = facility
        self.hostname = hostname
        self.app_name = app_name
        self.msgid = msgid
        self.structured_data = structured_data
        self.sd_id = sd_id
        self.header = header
        self.max_message = max_message
        #: Records cut to fit ``max_message``.
        self.truncated = 0
        self.procid = procid
        self._pri: list[bytes] = []
        self._pri_by_name: dict[bytes, bytes] = {}
        self._tail = b""
        self.set_procid(procid)

    def set_procid(self, procid: bytes) -> None:
        """Rebuild the precomputed parts of the header with *procid* (a forked child's pid)."""
        self.procid = procid
        pri = 8 * self.facility
        if self.header == "local":
            self._pri = [b"<%d>" % (pri + sev) for sev in range(8)]
            self._tail = self.app_name + b"[" + procid + b"]: "
        else:
            self._pri = [b"<%d>1 " % (pri + sev) for sev in range(8)]
            fields = (self.hostname, self.app_name, procid, self.msgid)
            # After the timestamp; the SD (NILVALUE without structured data) and MSG follow.
            self._tail = b" " + b" ".join(fields) + (b" " if self.structured_data else b" - ")
        self._pri_by_name = {
            name.encode(): self._pri[severity(levelno_of(name))]
            for name in ("trace", "debug", "info", "success", "warning", "error", "critical")
        }

    def header_size(self) -> int:
        """The longest header before MSG (or before SD, with structured data)."""
        return len(b"<191>1 ") + len("2026-01-01T00:00:00.000000+00:00") + len(self._tail)

    # -- one record ----------------------------------------------------------------------------

    def message(self, line: bytes) -> bytes:
        """The syslog message for one line (no framing)."""
        if self.structured_data:
            return self._sd_message(line)
        if line.startswith(_LEVEL_AT, _TS_END):
            pri = self._pri_by_name.get(line[_LEVEL_START : line.find(b'"', _LEVEL_START)])
            if pri is not None:
                return self._fit(pri + line[_TS_START:_TS_END], line, True)
        record = _parse(line)
        return self._fit(self._pri[_severity_of(record)] + _timestamp_of(record), line, record)

    def _fit(self, start: bytes, line: bytes, json: object) -> bytes:
        """The message: *start* (PRI and timestamp), the rest of the header, and *line* as
        MSG, cut to ``max_message`` (as JSON if *json*)."""
        if self.header == "local":
            start = start[: start.index(b">") + 1]  # PRI only
        head = start + self._tail
        limit = self.max_message
        if limit is None or len(head) + len(line) <= limit:
            return head + line
        return head + self._cut(line, limit - len(head), json)

    def _cut(self, line: bytes, room: int, json: object) -> bytes:
        """*line* cut to *room* bytes and marked: still one JSON object when it was one
        (``SyslogSink`` keeps 256 bytes of room at least, which that needs)."""
        self.truncated += 1
        if json:
            out = _truncate_json(line, room)
            if out is not None:
                return out
        # Text (a console line), or JSON too tight for the encoder's rule: the start of it.
        mark = f"… [{TRUNCATED_KEY}={len(line)}]".encode()
        return _utf8_prefix(line, max(0, room - len(mark))) + mark

    def _sd_message(self, line: bytes) -> bytes:
        record = _parse(line)
        pri = self._pri[_severity_of(record)]
        timestamp = _timestamp_of(record)
        head = pri + timestamp + self._tail
        limit = self.max_message
        if record is None:  # not JSON: no structured data, the line as MSG
            head += b"- "
            if limit is None or len(head) + len(line) <= limit:
                return head + line
            return head + self._cut(line, limit - len(head), False)
        out = head + self._sd(record, timestamp is not NIL)
        if limit is None or len(out) <= limit:
            return out
        self.truncated += 1
        room = limit - len(head)
        for _ in range(4):  # escaping makes the SD a little longer than the JSON it came from
            cut = _parse(_truncate_json(line, room) or b"")
            if cut is None:
                break
            out = head + self._sd(cut, timestamp is not NIL)
            if len(out) <= limit:
                return out
            room -= len(out) - limit + 16
        record = {TRUNCATED_KEY: len(line)}
        return head + self._sd(record, False)

    def _sd(self, record: dict[str, Any], skip_timestamp: bool) -> bytes:
        """``[SD-ID name="value" ...] message`` for a record."""
        params = []
        message = None
        for key, value in record.items():
            if key == "message":
                message = value
                continue
            if skip_timestamp and key in _TIMESTAMP_KEYS:
                skip_timestamp = False  # only the one in the header
                continue
            # Numbers, booleans, null, and objects or arrays as their JSON text.
            text = value if isinstance(value, str) else orjson.dumps(value).decode()
            params.append(f' {sd_name(key)}="{sd_escape(text)}"')
        sd = f"[{self.sd_id}{''.join(params)}]".encode()
        if message is None:
            return sd
        text = message if isinstance(message, str) else orjson.dumps(message).decode()
        return sd + b" " + text.encode("utf-8", "surrogatepass")

    # -- batches -------------------------------------------------------------------------------

    def frame(self, lines: list[bytes], pause: Callable[[], None] | None = None) -> bytes:
        """The lines as octet-counted messages (RFC 6587 3.4.1), one buffer for one write;
        *pause* is called between slices of them (``NetworkSink._pause``)."""
        if self.structured_data or self.header == "local":
            return b"".join(
                [b"%d %b" % (len(m), m) for m in map(self.message, paced(lines, pause))]
            )
        # The default schema inline: 1.3 M lines/s here, against 0.95 M through message().
        out: list[bytes] = []
        append = out.append
        pri_by_name = self._pri_by_name
        tail = self._tail
        fixed = 27 + len(tail)
        limit = self.max_message if self.max_message is not None else 1 << 62
        for line in paced(lines, pause):
            if line.startswith(_LEVEL_AT, _TS_END):
                pri = pri_by_name.get(line[_LEVEL_START : line.find(b'"', _LEVEL_START)])
                if pri is not None:
                    size = len(pri) + fixed + len(line)
                    if size <= limit:
                        append(b"%d %b%b%b%b" % (size, pri, line[_TS_START:_TS_END], tail, line))
                        continue
            message = self.message(line)
            append(b"%d %b" % (len(message), message))
        return b"".join(out)


def _parse(line: bytes) -> dict[str, Any] | None:
    """*line* as a JSON object, or ``None`` (another encoder's line, or not an object)."""
    try:
        record = _loads(line)
    except orjson.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def _severity_of(record: dict[str, Any] | None) -> int:
    if record is not None:
        for key in _LEVEL_KEYS:
            if key in record:
                return severity(levelno_of(record[key]))
    return _INFO


def _timestamp_of(record: dict[str, Any] | None) -> bytes:
    """The record's timestamp if RFC 5424 can carry it as it is, else NILVALUE (the receiver
    then stamps the message with its time of arrival)."""
    if record is not None:
        for key in _TIMESTAMP_KEYS:
            value = record.get(key)
            if isinstance(value, str) and _TIMESTAMP.match(value):
                return value.encode()
    return NIL


def _truncate_json(line: bytes, room: int) -> bytes | None:
    """The JSON line cut to at most *room* bytes by the encoder's ``truncate`` (values
    shortened, ``fastlog_truncated`` added), keeping as much as fits; ``None`` if nothing does.

    ``truncate`` gives each value an equal share of its limit (about ``limit / (2 * keys)``),
    so one long field would keep a tenth of the room: the limit given to it is raised, by
    bisection, while the result still fits.
    """
    low = room + 1  # truncate's limit counts the newline it writes
    best = truncate(line, low).rstrip(b"\n")
    if len(best) > room:
        return None
    high = max(low, 2 * room * (line.count(b'":') + 1) + 512)  # one value could take it all
    for _ in range(12):  # each step parses the line once
        if high - low < 64:
            break
        middle = (low + high) // 2
        out = truncate(line, middle).rstrip(b"\n")
        if len(out) <= room:
            best, low = out, middle
        else:
            high = middle
    return best


def _utf8_prefix(data: bytes, size: int) -> bytes:
    """The longest start of *data* of at most *size* bytes that does not end inside a UTF-8
    character."""
    if size >= len(data):
        return data
    end = size
    while end > 0 and data[end] & 0xC0 == 0x80:  # a continuation byte: inside a character
        end -= 1
    return data[:end]


# -- the sink ------------------------------------------------------------------------------------


def parse_url(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path)`` of a syslog URL; raises ``ConfigError`` naming the
    accepted forms."""
    forms = "tcp://host:514, udp://host:514, tls://host:6514 or unix:///dev/log"
    if not isinstance(url, str):
        raise ConfigError(f"url={url!r}: expected a string such as {forms}")
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        accepted = ", ".join(f"{s}://" for s in SCHEMES)
        raise ConfigError(f"url={url!r}: the scheme must be one of {accepted} ({forms})")
    if scheme == "unix":
        path = parts.netloc + parts.path if parts.netloc else parts.path
        if not path:
            raise ConfigError(f"url={url!r}: a Unix socket URL needs a path, e.g. unix:///dev/log")
        return scheme, "", 0, path
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ConfigError(f"url={url!r}: {exc}")
    if not host:
        raise ConfigError(f"url={url!r}: no host; expected {forms}")
    return scheme, host, port or _DEFAULT_PORTS[scheme], ""


def _facility(value: object) -> int:
    if isinstance(value, str) and value.lower() in FACILITIES:
        return FACILITIES[value.lower()]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 23:
        return value
    names = ", ".join(FACILITIES)
    raise ConfigError(f"facility={value!r}: expected one of {names}, or a number from 0 to 23")


class _Datagrams:
    """One connected datagram socket (UDP, or a Unix datagram socket such as ``/dev/log``):
    a message per ``send``.

    Connected, so the kernel reports a UDP receiver that is down (ICMP port unreachable, as
    ``ECONNREFUSED`` on a later send) and a full Unix socket blocks (for ``timeout`` at most)
    rather than dropping.
    """

    def __init__(self, family: int, address: Any, timeout: float) -> None:
        self.family = family
        self.address = address
        self.timeout = timeout
        self.sock: socket.socket | None = None

    def connect(self) -> socket.socket:
        if self.sock is None:
            sock = socket.socket(self.family, socket.SOCK_DGRAM)
            try:
                sock.settimeout(self.timeout)
                sock.connect(self.address)
            except BaseException:
                sock.close()
                raise
            self.sock = sock
        return self.sock

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


class SyslogSink(NetworkSink):
    """Send each record to a syslog receiver as an RFC 5424 message: rsyslog, syslog-ng, a
    local ``/dev/log``, or any collector with a syslog input.

    The record's JSON line is the message's MSG, byte for byte (no BOM: rsyslog's
    ``mmjsonparse`` does not parse a MSG that starts with one); its ``timestamp`` is the header's
    TIMESTAMP and its ``level`` the severity (trace and debug: debug, info: info, success:
    notice, warning: warning, error: err, critical: crit). A line that is not JSON (a sink with
    a console encoder) is sent as it is, with severity info and no timestamp (NILVALUE: the
    receiver stamps it).

    Transports, by URL:

    - ``tcp://host:514``, ``tls://host:6514``: octet-counted framing (RFC 6587), batches of
      messages per write on one kept connection. TLS verifies the server's certificate and
      host name by default.
    - ``udp://host:514``: one datagram per record.
    - ``unix:///dev/log``: a datagram socket, or a stream socket (octet-counted) if the path
      is one, as stdlib's ``SysLogHandler`` tries. On a Unix socket the default header is
      the local format (``header="local"``) that the system's daemon parses there.

    Delivery is the network sinks' own (``NetworkSink``): the records are queued, batched and
    sent by the sink's thread, retried with backoff while the receiver is down, spilled to disk
    with ``spill=``. TCP and TLS have no acknowledgement: records the kernel accepted just
    before the receiver died can be lost without a sign (RELP exists for that, and is not
    spoken here). UDP has no delivery guarantee at all.

    The delivery options, ``batch_records``, ``batch_bytes``, ``batch_wait``, ``queue_bytes``,
    ``spill``, ``spill_max``, ``close_timeout`` and ``retry_max_wait``, are those of every
    network sink: see ``NetworkSink``.

    Args:
        url: Where to send (above). A bad scheme raises ``ConfigError`` naming those accepted.
        facility: A name (``"user"``, ``"daemon"``, ``"local0"`` ... ``"local7"``, the names of
            stdlib's ``SysLogHandler``) or a number from 0 to 23. Default ``"user"``.
        app_name: APP-NAME (at most 48 printable ASCII characters). Default: the program's
            file name (``sys.argv[0]``).
        hostname: HOSTNAME (at most 255). Default: ``socket.gethostname()``.
        procid: PROCID (at most 128). Default: the process id, the child's own after a fork.
        msgid: MSGID (at most 32). Default: none (``-``).
        structured_data: ``True``: the record's top-level fields go into one SD element,
            ``[fastlog@32473 logger="billing" user_id="42" ...]`` (objects and arrays as their
            JSON text, ``"``, ``\\`` and ``]`` escaped, names cut to 32 characters of those an
            SD-NAME takes), and its ``message`` text is the MSG. The timestamp is in the header
            only.
        sd_id: The SD-ID of that element: your own ``name@<enterprise number>`` if you have
            one. Default ``"fastlog@32473"`` (32473 is reserved for documentation).
        header: ``"rfc5424"`` (default for the network transports) or ``"local"`` (default
            for ``unix://``): ``<PRI>APP-NAME[PROCID]: MSG``, the format glibc's ``syslog()``
            writes to ``/dev/log`` (without its timestamp), which a local daemon parses with
            its default settings (rsyslog's ``imuxsock`` takes an RFC 5424 header there as
            text).
        max_message: The longest message sent, header included, in bytes; at least 480. A
            longer record is truncated as fastlog truncates any record: values shortened,
            ``fastlog_truncated`` set to the original size, still one JSON object; counted
            (``delivery_stats()["truncated"]``). Default 8096, rsyslog's default
            ``maxMessageSize``: raise both together. At most 65507 on datagrams.
        timeout: Seconds to connect and for each write.
        verify: TLS: check the server's certificate and host name.
        ca_file: TLS: the CA certificates to check it against, instead of the system's.
        cert_file: TLS: a client certificate to show.
        key_file: TLS: its key, if not in ``cert_file``.

    Raises:
        ConfigError: for a bad URL, facility, header field, ``header``, ``max_message`` or a
            TLS option on a transport without TLS; the message names the option and what it
            accepts.
    """

    def __init__(
        self,
        url: str,
        *,
        facility: str | int = "user",
        app_name: str | None = None,
        hostname: str | None = None,
        procid: str | int | None = None,
        msgid: str | None = None,
        structured_data: bool = False,
        sd_id: str = DEFAULT_SD_ID,
        header: Literal["rfc5424", "local"] | None = None,
        max_message: int = DEFAULT_MAX_MESSAGE,
        timeout: float = 10.0,
        verify: bool = True,
        ca_file: str | os.PathLike[str] | None = None,
        cert_file: str | os.PathLike[str] | None = None,
        key_file: str | os.PathLike[str] | None = None,
        batch_records: int = 10_000,
        batch_bytes: int | str = "1 MiB",
        batch_wait: float = 0.05,
        queue_bytes: int | str = "2 MiB",
        spill: str | os.PathLike[str] | None = None,
        spill_max: int | str = "1 GiB",
        close_timeout: float = 5.0,
        retry_max_wait: float = 30.0,
    ) -> None:
        scheme, host, port, path = parse_url(url)
        if header is None:
            header = "local" if scheme == "unix" else "rfc5424"
        if header not in ("rfc5424", "local"):
            raise ConfigError(f"header={header!r}: expected 'rfc5424' or 'local'")
        if structured_data not in (True, False):
            raise ConfigError(f"structured_data={structured_data!r}: expected True or False")
        if structured_data and header == "local":
            raise ConfigError(
                "structured_data=True: the local header has no structured data; "
                "use header='rfc5424'"
            )
        if not isinstance(sd_id, str) or not sd_id or sd_name(sd_id) != sd_id:
            raise ConfigError(
                f"sd_id={sd_id!r}: expected 1 to 32 printable ASCII characters without "
                "'=', ']', '\"' or spaces, such as 'myapp@32473'"
            )
        datagram = scheme in ("udp", "unix")
        if (
            not isinstance(max_message, int)
            or isinstance(max_message, bool)
            or max_message < MIN_MAX_MESSAGE
            or (datagram and max_message > MAX_DATAGRAM)
        ):
            most = f" and at most {MAX_DATAGRAM} on {scheme}://" if datagram else ""
            raise ConfigError(
                f"max_message={max_message!r}: expected a number of bytes, at least "
                f"{MIN_MAX_MESSAGE}{most}"
            )
        if scheme != "tls" and (cert_file or key_file or ca_file):
            raise ConfigError(
                f"ca_file, cert_file, key_file: TLS options, for a tls:// URL, not {scheme}://"
            )
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ConfigError(f"timeout={timeout!r}: expected a number of seconds above 0")
        self._own_procid = procid is None
        self._format = SyslogFormat(
            facility=_facility(facility),
            hostname=(
                _header_field(socket.gethostname(), 255)
                if hostname is None
                else _checked_field("hostname", hostname, 255)
            ),
            app_name=(
                _header_field(program_name(), 48)
                if app_name is None
                else _checked_field("app_name", app_name, 48)
            ),
            procid=(
                str(os.getpid()).encode()
                if procid is None
                else _checked_field("procid", procid, 128)
            ),
            msgid=NIL if msgid is None else _checked_field("msgid", msgid, 32),
            structured_data=structured_data,
            sd_id=sd_id,
            header=header,
            max_message=max_message,
        )
        if max_message - self._format.header_size() < MIN_ROOM:
            raise ConfigError(
                f"max_message={max_message}: leaves less than {MIN_ROOM} bytes for a record "
                f"after a header of up to {self._format.header_size()} bytes (hostname, "
                "app_name, procid, msgid)"
            )
        self._url = url
        self._scheme = scheme
        self._timeout = float(timeout)
        self._tls = (
            tls_context(
                verify=verify,
                ca_file=None if ca_file is None else os.fspath(ca_file),
                cert_file=None if cert_file is None else os.fspath(cert_file),
                key_file=None if key_file is None else os.fspath(key_file),
            )
            if scheme == "tls"
            else None
        )
        self._stream: StreamClient | None = None
        self._dgram: _Datagrams | None = None
        if scheme in ("tcp", "tls"):
            where = f"[{host}]" if ":" in host else host
            self._stream = StreamClient(
                f"{scheme}://{where}:{port}", timeout=self._timeout, tls=self._tls
            )
        elif scheme == "udp":
            self._dgram = _Datagrams(socket.AF_INET, (host, port), self._timeout)
        self._path = path
        self._host_port = (host, port)
        # A batch a datagram transport failed part way through: (its size, its last line,
        # messages sent). Its retry (the same lines, a new loss note first) starts there.
        self._resume: tuple[int, bytes, int] | None = None
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

    def __repr__(self) -> str:
        return f"SyslogSink({self._url!r})"

    @property
    def formatter(self) -> SyslogFormat:
        """The formatter: the header fields as sent, the count of truncated records."""
        return self._format

    # -- called in the sender thread ----------------------------------------------------------

    def _send(self, lines: list[bytes]) -> None:
        # A truncation counts once its record went: a batch sent again is formatted again.
        fmt = self._format
        before = fmt.truncated
        try:
            if self._scheme == "unix" and self._stream is None and self._dgram is None:
                self._connect_unix()
            if self._stream is not None:
                data = fmt.frame(lines, self._pause)
                try:
                    self._stream.send(data)
                except OSError:
                    fmt.truncated = before
                    raise
            else:
                self._send_datagrams(lines)
        finally:
            if fmt.truncated != before:
                self._report_truncated(fmt.truncated - before)

    def _send_datagrams(self, lines: list[bytes]) -> None:
        dgram = self._dgram
        assert dgram is not None
        start = 0
        resume, self._resume = self._resume, None
        if resume is not None and len(lines) == resume[0] and lines[-1] is resume[1]:
            start = resume[2]  # the retry of a batch: its first messages went already
        if self._scheme == "udp" and dgram.sock is None:
            self._resolve(dgram)
        sock = dgram.connect()
        send = sock.send
        message = self._format.message
        fmt = self._format
        for k in range(start, len(lines)):
            truncated = fmt.truncated
            try:
                send(message(lines[k]))
            except OSError as exc:
                fmt.truncated = truncated
                if k:
                    self._resume = (len(lines), lines[-1], k)
                if exc.errno == errno.ECONNREFUSED:
                    _diagnostics.report(
                        "network",
                        f"{self!r}: the receiver refused a datagram (not listening); the "
                        "records sent to it just before were probably lost",
                    )
                raise

    def _resolve(self, dgram: _Datagrams) -> None:
        """The UDP address, resolved anew at each connect (a receiver that moved)."""
        host, port = self._host_port
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        dgram.family, dgram.address = family, address

    def _connect_unix(self) -> None:
        """A datagram socket on the path, or a stream if the path is a stream socket."""
        dgram = _Datagrams(socket.AF_UNIX, self._path, self._timeout)
        try:
            dgram.connect()
        except OSError as exc:
            if exc.errno != errno.EPROTOTYPE:
                raise
            self._stream = StreamClient(f"unix://{self._path}", timeout=self._timeout)
        else:
            self._dgram = dgram

    def _disconnect(self) -> None:
        if self._dgram is not None:
            self._dgram.close()
        if self._stream is not None:
            self._stream.close()
        if self._scheme == "unix":  # the path may be another kind of socket next time
            self._dgram = self._stream = None

    def _report_truncated(self, count: int) -> None:
        _diagnostics.report(
            "truncated",
            f"{self!r}: {count} record(s) longer than max_message={self._format.max_message} "
            f"were truncated (marked {TRUNCATED_KEY})",
        )

    # -- lifecycle ----------------------------------------------------------------------------

    def after_fork(self) -> None:
        """In a forked child: the child's own PROCID (unless one was given) and no sockets of
        the parent's."""
        super().after_fork()
        if self._own_procid:
            self._format.set_procid(str(os.getpid()).encode())
        self._resume = None

    def delivery_stats(self) -> TruncatedStats:
        """The delivery counts, plus ``truncated``: records cut to fit ``max_message``."""
        return {**super().delivery_stats(), "truncated": self._format.truncated}
