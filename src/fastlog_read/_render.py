"""Human-readable rendering of records (the ``view`` command), and normalisation to fastlog's
default schema (``convert``)."""

from __future__ import annotations

import datetime
import math
import operator
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from ._layouts import parse_line
from ._levels import canonical_level
from ._record import Record

__all__ = ["RenderOptions", "Renderer", "to_fastlog_schema"]

_COLORS = {
    "trace": "\x1b[2m",
    "debug": "\x1b[2m",
    "info": "\x1b[32m",
    "success": "\x1b[32m",
    "notice": "\x1b[36m",
    "warning": "\x1b[33m",
    "error": "\x1b[31m",
    "critical": "\x1b[1;31m",
    "alert": "\x1b[1;31m",
    "emergency": "\x1b[1;31m",
}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_HEAD = b'{"timestamp":"'
_DAY_BYTES = operator.itemgetter(slice(14, 24))  # the date of a line in fastlog's layout
# The padded upper-case level column for the names fastlog writes (one lookup per line).
_PAD = {name: f"{name.upper():<8}" for name in _COLORS}
# The level column as bytes, as the C chunk path writes it (plain, and coloured).
_PLAIN_LEVELS = {name: pad.encode() for name, pad in _PAD.items()}
_COLOR_LEVELS = {
    name: f"{_COLORS.get(canonical_level(name), '')}{pad}{_RESET}".encode()
    for name, pad in _PAD.items()
}


def _pick_chunk() -> Callable[..., bytes] | None:
    # FASTLOG_NO_SPEEDUPS and a free-threaded interpreter take the Python path, as in the core.
    if os.environ.get("FASTLOG_NO_SPEEDUPS") or not getattr(sys, "_is_gil_enabled", lambda: True)():
        return None
    try:
        from ._speedups import render_chunk
    except ImportError:  # no C compiler at install time: the Python path gives the same bytes
        return None
    return render_chunk


_render_chunk = _pick_chunk()
#: True when the C chunk renderer (``fastlog_read._speedups``) is in use.
SPEEDUPS = _render_chunk is not None


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How :class:`Renderer` writes a record.

    Attributes:
        colors: ANSI colours (level, dim time and fields).
        time: ``utc`` (the dev preset's clock), ``local`` or ``relative`` (to the first record).
        fields: Show only these fields (in this order); ``None`` shows all.
        hide: Fields never shown.
    """

    colors: bool = False
    time: str = "utc"
    fields: tuple[str, ...] | None = None
    hide: tuple[str, ...] = ()


def _value(value: Any) -> str:
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        return value if value and " " not in value and "=" not in value else repr(value)
    if isinstance(value, str):
        return value if value and " " not in value and "=" not in value else repr(value)
    if type(value) is float and not math.isfinite(value):
        return repr(value)  # json.dumps writers' NaN/Infinity, which orjson would show as null
    return orjson.dumps(value).decode("utf-8")


def _fields(d: dict[str, Any]) -> str:
    # _value inlined for the common types: this runs for every field of every line.
    parts = []
    for key, value in d.items():
        kind = type(value)
        if kind is str:
            if value and " " not in value and "=" not in value:
                parts.append(f"{key}={value}")
            else:
                parts.append(f"{key}={value!r}")
        elif kind is int:
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={_value(value)}")
    return " ".join(parts)


def _one_day(lines: list[bytes], day: bytes) -> bool:
    """Whether every line in fastlog's layout among *lines* is dated *day*."""
    # Bytes 14-24 of every line in one C-level pass; only when other lines are there too,
    # the lines in fastlog's layout alone.
    days = set(map(_DAY_BYTES, lines))
    if days == {day}:
        return True
    head = _HEAD
    days = {x[14:24] for x in lines if x[:14] == head and x[40:42] == b'Z"'}
    return not days or days == {day}


class _DayChange(Exception):
    """A line of a one-day chunk is on another day (see Renderer.render_chunk)."""


class Renderer:
    """Renders records as ``HH:MM:SS.ffffff LEVEL    logger  message  key=value`` lines.

    The layout equals the dev preset's ``ConsoleEncoder`` for fastlog's default layout in UTC;
    tracebacks follow on their own lines; a ``text`` record is its raw line.
    """

    def __init__(self, options: RenderOptions | None = None) -> None:
        self.options = options or RenderOptions()
        self._first: datetime.datetime | None = None
        self._day: str | None = None  # the date of the last dated record (utc and local clocks)

    def _written(self, record: Record) -> bytes | None:
        # The stamp as written (`YYYY-MM-DDTHH:MM:SS.ffffff`) of a line in fastlog's default
        # layout, shown as it is with the UTC clock: no datetime built for it.
        raw = record.raw
        if (
            self.options.time == "utc"
            and record.layout == "fastlog"
            and raw[:14] == _HEAD
            and raw[40:42] == b'Z"'
        ):
            return raw[14:40]
        return None

    def _date(self, record: Record) -> str | None:
        mode = self.options.time
        written = self._written(record)
        if written is not None:
            return written[:10].decode()
        time = record.time
        if time is None or mode == "relative":
            return None
        time = time.astimezone() if mode == "local" else time.astimezone(datetime.UTC)
        return time.date().isoformat()

    def separator(self, record: Record) -> str:
        """The date line to print before *record*: ``-- YYYY-MM-DD --`` (dim in colour) when
        its date, in the clock's zone, differs from the last dated record's; else ``""``.

        The clock shows no date, so a date line marks each day change (none before the first
        record, none for ``relative`` time or lines without a time). Call it for each record
        shown, in order, before :meth:`render`.
        """
        day = self._date(record)
        if day is None or day == self._day:
            return ""
        first = self._day is None
        self._day = day
        if first:
            return ""
        return self._date_line(day)

    def _date_line(self, day: str) -> str:
        return f"{_DIM}-- {day} --{_RESET}\n" if self.options.colors else f"-- {day} --\n"

    def _clock(self, record: Record) -> str:
        mode = self.options.time
        written = self._written(record)
        if written is not None:
            return written[11:].decode()
        time = record.time
        if time is None:
            return ""
        if mode == "relative":
            if self._first is None:
                self._first = time
            return f"+{(time - self._first).total_seconds():.3f}s"
        if mode == "local":
            time = time.astimezone()
        return f"{time.hour:02d}:{time.minute:02d}:{time.second:02d}.{time.microsecond:06d}"

    def _fast(self) -> bool:
        # The chunk paths apply when no option needs a Record (UTC clock, no field selection).
        options = self.options
        return options.time == "utc" and options.fields is None and not options.hide

    def render_lines(self, lines: Iterable[bytes], source: str = "") -> str:
        """The text of several raw lines (a chunk), as :meth:`render` of each line's record.

        Lines in fastlog's default layout take a path that builds no :class:`Record`, when the
        options allow it (UTC clock, no field selection).
        """
        if not self._fast():
            return "".join([self.render(parse_line(line, source)) for line in lines])
        colors = self.options.colors
        return "".join([self._render_one(line, source, colors) for line in lines])

    def render_chunk(self, lines: list[bytes], source: str = "") -> bytes:
        """:meth:`render_lines` encoded as UTF-8 (characters UTF-8 cannot carry, such as lone
        surrogates, backslash-escaped), with the date lines of :meth:`separator` where the day
        changes: what ``fastlog view`` writes. Call it with the chunks of one input in order.

        With the C speedups, common lines are rendered straight to bytes; the result is the
        same.
        """
        if self.options.time == "relative" or not lines:
            return self._chunk(lines, source, None)
        if not self._fast():
            return "".join(
                [self.separator(r) + self.render(r) for r in (parse_line(x, source) for x in lines)]
            ).encode("utf-8", "backslashreplace")
        saved = self._day
        if saved is not None and _one_day(lines, saved.encode()):
            # No day change among the lines in fastlog's layout: render the chunk at once;
            # another line with a time on another day (rare) sends it to the loop below, as
            # does the first chunk (which sets the day).
            try:
                return self._chunk(lines, source, self._same_day)
            except _DayChange:
                self._day = saved
        return self._by_day(lines, source)

    def _same_day(self, line: bytes, source: str) -> str:
        # The fallback of a one-day chunk: a line outside fastlog's layout on another day
        # ends the chunk's single-call path.
        if line[:14] == _HEAD and line[40:42] == b'Z"':
            return self._render_one(line, source, self.options.colors)
        record = parse_line(line, source)
        if self.separator(record):
            raise _DayChange
        return self.render(record)

    def _by_day(self, lines: list[bytes], source: str) -> bytes:
        # Runs of one day rendered at once, a date line between them.
        head = _HEAD
        parts: list[bytes] = []
        start = 0
        day = self._day.encode() if self._day is not None else None
        for i, line in enumerate(lines):
            if line[:14] == head and line[40:42] == b'Z"':
                if line[14:24] == day:
                    continue
                before = self._day
                date_line = self.separator(parse_line(line, source))
                if self._day == before:
                    continue  # not a record (a broken line that starts like one): no day
                if start < i:
                    parts.append(self._chunk(lines[start:i], source, None))
                parts.append(date_line.encode())
                start = i
                day = line[14:24]
                continue
            if start < i:
                parts.append(self._chunk(lines[start:i], source, None))
            start = i + 1
            record = parse_line(line, source)
            text = self.separator(record) + self.render(record)
            parts.append(text.encode("utf-8", "backslashreplace"))
            day = self._day.encode() if self._day is not None else None
        if start < len(lines):
            parts.append(self._chunk(lines[start:], source, None))
        return b"".join(parts)

    def _chunk(
        self, lines: list[bytes], source: str, fallback: Callable[[bytes, str], str] | None
    ) -> bytes:
        # render_lines as UTF-8 bytes: the C speedups render common lines straight to bytes;
        # the others go to fallback (the per-line Python path by default).
        if _render_chunk is None or not self._fast():
            if fallback is None:
                return self.render_lines(lines, source).encode("utf-8", "backslashreplace")
            return "".join([fallback(line, source) for line in lines]).encode(
                "utf-8", "backslashreplace"
            )
        colors = self.options.colors
        levels = _COLOR_LEVELS if colors else _PLAIN_LEVELS
        if fallback is None:
            one = self._render_one
            return _render_chunk(
                lines, levels, colors, _value, orjson.loads, lambda line: one(line, source, colors)
            )
        return _render_chunk(
            lines, levels, colors, _value, orjson.loads, lambda line: fallback(line, source)
        )

    def _render_one(self, line: bytes, source: str, colors: bool) -> str:
        # The per-line path of render_lines (and the C path's twin: _speedups.render_chunk).
        if line[:14] == _HEAD and line[40:42] == b'Z"':
            try:
                d = orjson.loads(line)
            except orjson.JSONDecodeError:
                d = None
            if type(d) is dict and "level" in d and "message" in d:
                ts = d.pop("timestamp")
                level = d.pop("level")
                logger = d.pop("logger", "")
                message = d.pop("message")
                exc = d.pop("exception", None)
                if (
                    type(ts) is str
                    and type(level) is str
                    and type(logger) is str
                    and type(message) is str
                    and (exc is None or type(exc) is dict)
                ):
                    pad = _PAD.get(level)
                    if pad is None:
                        pad = f"{canonical_level(level).upper():<8}"
                    if colors:
                        color = _COLORS.get(canonical_level(level), "")
                        text = f"{_DIM}{ts[11:26]}{_RESET} {color}{pad}{_RESET} {logger}  {message}"
                        if d:
                            text = f"{text}  {_DIM}{_fields(d)}{_RESET}"
                    else:
                        text = f"{ts[11:26]} {pad} {logger}  {message}"
                        if d:
                            text = f"{text}  {_fields(d)}"
                    if exc is not None:
                        trace = exc.get("traceback")
                        if trace:
                            text = f"{text}\n{str(trace).rstrip(chr(10))}"
                        elif exc.get("type"):
                            text += f"\n{exc.get('type')}: {exc.get('message') or ''}".rstrip()
                    return text + "\n"
        return self.render(parse_line(line, source))

    def render(self, record: Record) -> str:
        """The record's text, ending with a newline."""
        if record.layout == "text":
            return record.raw.decode("utf-8", "replace").rstrip("\r") + "\n"
        options = self.options
        fields = record.fields
        if options.fields is not None:
            shown = " ".join(f"{k}={_value(fields[k])}" for k in options.fields if k in fields)
        elif options.hide:
            hide = options.hide
            shown = " ".join(f"{k}={_value(v)}" for k, v in fields.items() if k not in hide)
        else:
            shown = " ".join(f"{k}={_value(v)}" for k, v in fields.items())
        clock = self._clock(record)
        level = record.level or ""
        logger = record.logger or ""
        message = record.message or ""
        if options.colors:
            color = _COLORS.get(level, "")
            text = f"{_DIM}{clock}{_RESET} {color}{level.upper():<8}{_RESET} {logger}  {message}"
            if shown:
                text = f"{text}  {_DIM}{shown}{_RESET}"
        else:
            text = f"{clock} {level.upper():<8} {logger}  {message}"
            if shown:
                text = f"{text}  {shown}"
        exc = record.exception
        if exc is not None:
            trace = exc.get("traceback")
            if trace:
                text += "\n" + str(trace).rstrip("\n")
            elif exc.get("type"):
                text += f"\n{exc.get('type')}: {exc.get('message') or ''}".rstrip()
        return text + "\n"


def to_fastlog_schema(record: Record) -> dict[str, Any]:
    """The record as fastlog's default schema writes it: ``timestamp``, ``level``, ``logger``,
    ``message``, the fields, then ``exception``.

    A ``text`` record becomes ``{"message": line}``.
    """
    if record.layout == "text":
        return {"message": record.raw.decode("utf-8", "replace")}
    out: dict[str, Any] = {}
    if record.time is not None:
        out["timestamp"] = record.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if record.level is not None:
        out["level"] = record.level
    elif record.levelno is not None:
        out["level"] = f"level-{record.levelno}"
    if record.logger is not None:
        out["logger"] = record.logger
    out["message"] = record.message or ""
    for key, value in record.fields.items():
        if key not in out:
            out[key] = value
    if record.exception is not None:
        out["exception"] = record.exception
    return out
