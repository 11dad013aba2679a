"""A record's time, read from its line: for protocols that send a timestamp beside each line
(Loki's values, CloudWatch's events).

A line that starts as fastlog's default schema writes it (``{"timestamp":"...Z"``, also ECS's
``@timestamp`` and the datadog schema), as the ``otel`` schema does (``{"Timestamp":"<ns>"``)
or as the ``gcp`` one does (its ``time`` after the severity and a string message) is read in
place by a regex; any other line is parsed
once and its time key read (``timestamp``, ``@timestamp``, ``time``, ``Timestamp``), in any
form a schema writes it: RFC 3339 text, nanoseconds as digits (``otel``), a number of
seconds or milli-, micro-, nanoseconds. A line without one gets the time it is sent.
"""

from __future__ import annotations

import calendar
import datetime
import re
import time
from collections.abc import Callable

import orjson

__all__ = [
    "DEFAULT_SCHEMA",
    "GCP_TIME",
    "LEADING_NANOSECONDS",
    "LEADING_TIME",
    "TIME_KEYS",
    "Stamps",
    "any_nanoseconds",
    "epoch_ms",
]

#: The keys a schema writes its time under, in the order they are looked for.
TIME_KEYS = ("timestamp", "@timestamp", "time", "Timestamp")
#: How a line of fastlog's default schema starts: its time and level read in place.
DEFAULT_SCHEMA = re.compile(
    rb'\{"timestamp":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z","level":"([a-zA-Z]+)"'
)
#: A line whose first key is its time, as the default, ecs and datadog schemas write it.
LEADING_TIME = re.compile(rb'\{"@?timestamp":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})\d{3}Z"')
#: The ``otel`` schema's first key: nanoseconds as 19 digits (2001-2286), the first 13 the
#: milliseconds.
LEADING_NANOSECONDS = re.compile(rb'\{"Timestamp":"(\d{13})\d{6}"')
#: The ``gcp`` schema's time, after its severity and a string message (a quote inside a JSON
#: string is always escaped, so the message's end is found without parsing the line).
GCP_TIME = re.compile(
    rb'\{"severity":"[A-Z]+","message":"(?:[^"\\]|\\.)*",'
    rb'"time":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})\d{3}Z"',
    re.DOTALL,
)
#: Cached seconds kept at most (records of a batch share a few).
_CACHE = 1024


class Stamps:
    """Line to time conversions with a cache of the seconds seen: one per sink, used from
    its sender thread."""

    __slots__ = ("_ms", "_seconds")

    def __init__(self) -> None:
        self._seconds: dict[bytes, str] = {}  # "2026-01-31T12:00:00" -> "1769860800"
        self._ms: dict[bytes, int] = {}  # likewise, in milliseconds

    def second(self, text: bytes) -> str:
        """``2026-01-31T12:00:00`` (UTC) to ``"1769860800"``, kept; ``""`` if not that form."""
        try:
            parsed = datetime.datetime.strptime(text.decode("ascii"), "%Y-%m-%dT%H:%M:%S")
        except (ValueError, UnicodeDecodeError):
            return ""
        if len(self._seconds) >= _CACHE:
            self._seconds.clear()
        whole = self._seconds[text] = str(calendar.timegm(parsed.timetuple()))
        return whole

    def seconds(self) -> dict[bytes, str]:
        """The cache ``second`` fills, for a caller's fast path (``cache.get(text)``)."""
        return self._seconds

    def milliseconds(self) -> dict[bytes, int]:
        """The cache of seconds in unix milliseconds ``epoch_ms`` fills, for a caller's fast
        path over ``LEADING_TIME``'s first group."""
        return self._ms

    def nanoseconds(self, text: bytes) -> str | None:
        """``2026-01-31T12:00:00.123456Z`` to ``"1769860800123456000"``; ``None`` for any
        other form (an offset, no ``Z``)."""
        if len(text) < 20 or text[-1:] != b"Z" or text[10:11] != b"T":
            return None
        whole = self._seconds.get(text[:19]) or self.second(text[:19])
        if not whole:
            return None
        if len(text) == 20:
            return whole + "000000000"
        fraction = text[20:-1]
        if text[19:20] != b"." or not fraction.isdigit() or len(fraction) > 9:
            return None
        return whole + fraction.decode().ljust(9, "0")

    def record_nanoseconds(self, record: dict[str, object]) -> str | None:
        """The time of a parsed record, in unix nanoseconds as digits; ``None`` if it has
        none that reads as a time."""
        for key in TIME_KEYS:
            value = record.get(key)
            if value is not None:
                return any_nanoseconds(value, self.nanoseconds)
        return None

    def epoch_ms(self, line: bytes, now: int | None = None) -> int:
        """The line's time in unix milliseconds; *now* (the time of sending, in ms; the
        clock's when ``None``) for a line without one."""
        match = LEADING_TIME.match(line)
        if match is None:
            if line.startswith(b'{"Timestamp":"'):
                nanos = LEADING_NANOSECONDS.match(line)
                if nanos is not None:
                    return int(nanos.group(1))
            elif line.startswith(b'{"severity":"'):
                match = GCP_TIME.match(line)
        if match is not None:
            second, millis = match.groups()
            whole = self._ms.get(second)
            if whole is None:
                text = self._seconds.get(second) or self.second(second)
                if text:
                    if len(self._ms) >= _CACHE:
                        self._ms.clear()
                    whole = self._ms[second] = int(text) * 1000
            if whole is not None:
                return whole + int(millis)
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            record = None
        if isinstance(record, dict):
            ns = self.record_nanoseconds(record)
            if ns is not None:
                return int(ns) // 1_000_000
        return time.time_ns() // 1_000_000 if now is None else now


def any_nanoseconds(value: object, iso: Callable[[bytes], str | None]) -> str | None:
    """A timestamp in another schema's form: nanoseconds as digits (``otel``), a number (of
    seconds, or milli-, micro-, nanoseconds since the epoch), or ISO 8601 text with any
    offset; *iso* reads the common RFC 3339 form fast."""
    if isinstance(value, str):
        if value.isdigit():
            return value
        fast = iso(value.encode())
        if fast is not None:
            return fast
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        delta = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
        return str(delta // datetime.timedelta(microseconds=1) * 1000)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        # A number of seconds, or of milli-, micro- or nanoseconds, told by its size.
        for scale, nanoseconds in ((1e17, 1), (1e14, 1_000), (1e11, 1_000_000)):
            if value >= scale:
                return str(round(value) * nanoseconds)
        return str(round(value * 1_000_000) * 1000)
    return None


_shared = Stamps()


def epoch_ms(line: bytes, now: int | None = None) -> int:
    """The time of *line* in unix milliseconds (see ``Stamps.epoch_ms``)."""
    return _shared.epoch_ms(line, now)
