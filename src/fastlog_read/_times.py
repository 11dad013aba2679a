"""Timestamps as the layouts write them, and the ``--since``/``--until`` grammar."""

from __future__ import annotations

import datetime
import re

from ._errors import FilterError

__all__ = ["from_epoch", "from_text", "parse_time"]

UTC = datetime.UTC
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
_RELATIVE = re.compile(r"([+-]?)(\d+(?:\.\d+)?)([a-zA-Z]*)")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def from_text(text: str) -> datetime.datetime | None:
    """An ISO 8601 / RFC 3339 string as an aware UTC datetime; a naive one is local time."""
    return _iso(text, naive_is_local=True)


def _iso(text: str, *, naive_is_local: bool) -> datetime.datetime | None:
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        if not naive_is_local:
            return value.replace(tzinfo=UTC)
        # A naive stamp in a log (python-json-logger's asctime, structlog's utc=False) is the
        # writer's local time, as Python's logging writes asctime: read with the reading
        # machine's zone (lnav does the same). astimezone() of a naive value assumes local.
        try:
            return value.astimezone(UTC)
        except (OverflowError, OSError, ValueError):  # outside the platform's time_t range
            return None
    return value.astimezone(UTC)


def from_epoch(value: float) -> datetime.datetime | None:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude."""
    magnitude = abs(value)
    if magnitude >= 1e17:
        value /= 1e9
    elif magnitude >= 1e14:
        value /= 1e6
    elif magnitude >= 1e11:
        value /= 1e3
    try:
        return _EPOCH + datetime.timedelta(seconds=value)
    except OverflowError:
        return None


def parse_time(text: str, option: str, now: datetime.datetime) -> datetime.datetime:
    """``-15m``, ``2h``, ``now``, ``today``, ``yesterday``, ``HH:MM[:SS]``, a date or RFC 3339.

    Raises:
        FilterError: the text is none of those; its ``column`` points at the bad character.
    """
    stripped = text.strip()
    word = stripped.lower()
    if word == "now":
        return now
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if word == "today":
        return midnight
    if word == "yesterday":
        return midnight - datetime.timedelta(days=1)
    match = _RELATIVE.fullmatch(stripped)
    if match:
        unit = match.group(3)
        if unit not in _UNITS:
            column = match.start(3)
            raise FilterError(
                f"{option} {text!r}: unknown unit {unit!r} (expected s, m, h, d or w)"
                if unit
                else f"{option} {text!r}: a duration needs a unit (s, m, h, d or w)",
                text,
                column if unit else len(text),
            )
        return now - datetime.timedelta(seconds=float(match.group(2)) * _UNITS[unit])
    if re.fullmatch(r"\d\d:\d\d(:\d\d(\.\d+)?)?", stripped):
        clock = datetime.time.fromisoformat(stripped)
        return datetime.datetime.combine(midnight.date(), clock, tzinfo=UTC)
    # A naive bound given here is in the display zone, UTC (as the default --time).
    value = _iso(
        stripped.replace(" ", "T", 1) if len(stripped) > 10 else stripped, naive_is_local=False
    )
    if value is None:
        column = _first_bad(stripped)
        raise FilterError(
            f"{option} {text!r}: expected -15m, today, yesterday, HH:MM, YYYY-MM-DD or RFC 3339",
            text,
            column,
        )
    return value


def _first_bad(text: str) -> int:
    # Point at the first character where the text stops looking like an RFC 3339 prefix.
    pattern = "dddd-dd-ddTdd:dd:dd"
    for i, char in enumerate(text[: len(pattern)]):
        expected = pattern[i]
        if (expected == "d" and not char.isdigit()) or (expected != "d" and char not in "-T :"):
            return i
    return min(len(text), len(pattern))
