"""``fastlog stats``: a streaming summary of records, rendered as text or as one JSON object.

``Stats.add()`` is fed every record once and keeps bounded state whatever the input's size:
counters per level, logger, message template and exception type (each capped, the excess
counted in an "other" bucket), a time histogram that coarsens its buckets instead of growing,
and fastlog's own drop and loss notes summed. ``to_dict()`` and ``render_text()`` show the
same numbers, so ``fastlog stats --json`` and a web panel agree with the terminal.
"""

from __future__ import annotations

import datetime
import math
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from ._record import Record
from ._templates import template

__all__ = ["Stats"]

UTC = datetime.UTC

#: Histogram bucket widths, seconds; each divides the next, so coarsening merges whole buckets.
_WIDTHS = (1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400, 604800)
#: Distinct buckets kept before the accumulator coarsens to the next width.
_MAX_KEPT_BUCKETS = 4096

_POLICY = re.compile(r"\(policy=(\w+)\)")
_LEVEL_ORDER = {
    "trace": 5, "debug": 10, "info": 20, "success": 25, "notice": 25, "warning": 30,
    "error": 40, "critical": 50, "alert": 60, "emergency": 70,
}  # fmt: skip
_COLORS = {
    "trace": "\x1b[2m",
    "debug": "\x1b[2m",
    "info": "\x1b[32m",
    "success": "\x1b[32m",
    "notice": "\x1b[32m",
    "warning": "\x1b[33m",
    "error": "\x1b[31m",
    "critical": "\x1b[1;31m",
    "alert": "\x1b[1;31m",
    "emergency": "\x1b[1;31m",
}
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"
_EIGHTHS = " ▏▎▍▌▋▊▉"
NONE = "(none)"
OTHER = "(other)"


@dataclass
class _Message:
    count: int
    example: str
    levels: set[str]


@dataclass
class _Error:
    count: int
    example: str
    first: datetime.datetime | None
    last: datetime.datetime | None


@dataclass
class _Notes:
    records: int = 0
    notes: int = 0
    first: datetime.datetime | None = None
    last: datetime.datetime | None = None
    by_level: dict[str, int] = field(default_factory=dict)
    policies: dict[str, int] = field(default_factory=dict)
    presets: dict[str, int] = field(default_factory=dict)
    # Records per (preset named at configure time or None, policy): the report's wording.
    causes: dict[tuple[str | None, str], int] = field(default_factory=dict)

    def add(self, count: int, when: datetime.datetime | None) -> None:
        self.records += count
        self.notes += 1
        if when is not None:
            if self.first is None or when < self.first:
                self.first = when
            if self.last is None or when > self.last:
                self.last = when


class _Capped:
    """Counts per key, at most *cap* keys; later new keys are counted together as other."""

    __slots__ = ("cap", "counts", "other")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.counts: dict[str, int] = {}
        self.other = 0

    def add(self, key: str) -> None:
        counts = self.counts
        if key in counts:
            counts[key] += 1
        elif len(counts) < self.cap:
            counts[key] = 1
        else:
            self.other += 1

    def top(self, n: int) -> tuple[list[tuple[str, int]], int]:
        """The *n* largest (ties by key), and the sum of the rest (other included)."""
        ranked = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        rest = sum(count for _, count in ranked[n:]) + self.other
        return ranked[:n], rest


def _int(value: object) -> int | None:
    return value if type(value) is int else None


def _iso(when: datetime.datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Stats:
    """A streaming summary of records: feed each with ``add()``, then render or export.

    Args:
        top: rows shown for messages, loggers and error types.
        max_templates: distinct message templates kept; later new ones count as other.
        max_loggers: distinct loggers kept; later new ones count as other.
        max_errors: distinct exception types kept; later new ones count as other.
        max_buckets: histogram rows at most; the bucket width is the smallest of 1 s, 5 s, 10 s,
            30 s, 1 m, 5 m, 15 m, 1 h, 6 h, 1 d, 1 w that covers the records' span in as many.
    """

    def __init__(
        self,
        *,
        top: int = 10,
        max_templates: int = 10_000,
        max_loggers: int = 1_000,
        max_errors: int = 1_000,
        max_buckets: int = 30,
    ) -> None:
        self.top = top
        self.max_buckets = max_buckets
        self._max_templates = max_templates
        self._max_errors = max_errors
        self.records = 0
        self.text_lines = 0
        self.without_time = 0
        self.first: datetime.datetime | None = None
        self.last: datetime.datetime | None = None
        self._layouts = _Capped(100)
        self._levels = _Capped(100)
        self._loggers = _Capped(max_loggers)
        self._sources = _Capped(1_000)
        self._messages: dict[str, _Message] = {}
        self._messages_other = 0
        self._errors: dict[str, _Error] = {}
        self._errors_other = 0
        self._width_index = 0
        self._buckets: dict[int, int] = {}
        self.dropped = _Notes()
        self.lost = _Notes()

    # -- accumulating ----------------------------------------------------------------------

    def add(self, record: Record) -> None:
        """Count *record* (a ``text`` layout record counts as a non-record line only)."""
        self._sources.add(record.source)
        if record.layout == "text":
            self.text_lines += 1
            return
        self.records += 1
        self._layouts.add(record.layout)
        level = record.level or NONE
        self._levels.add(level)
        self._loggers.add(record.logger or NONE)
        when = record.time
        if when is None:
            self.without_time += 1
        else:
            if self.first is None or when < self.first:
                self.first = when
            if self.last is None or when > self.last:
                self.last = when
            self._bucket(when.timestamp())
        message = record.message
        if message is not None:
            self._message(message, level)
        if record.exception is not None:
            self._error(record.exception, when)
        if record.logger == "fastlog":
            self._note(record, when)

    def update(self, records: Iterable[Record]) -> Stats:
        """``add()`` every record of the iterable *records*; returns this object."""
        for record in records:
            self.add(record)
        return self

    def _bucket(self, seconds: float) -> None:
        key = math.floor(seconds / _WIDTHS[self._width_index])
        buckets = self._buckets
        if key in buckets:
            buckets[key] += 1
            return
        buckets[key] = 1
        while len(buckets) > _MAX_KEPT_BUCKETS and self._width_index + 1 < len(_WIDTHS):
            factor = _WIDTHS[self._width_index + 1] // _WIDTHS[self._width_index]
            self._width_index += 1
            merged: dict[int, int] = {}
            for old, count in buckets.items():
                new = old // factor
                merged[new] = merged.get(new, 0) + count
            self._buckets = buckets = merged

    def _message(self, message: str, level: str) -> None:
        key = template(message)
        found = self._messages.get(key)
        if found is not None:
            found.count += 1
            found.levels.add(level)
        elif len(self._messages) < self._max_templates:
            self._messages[key] = _Message(1, message, {level})
        else:
            self._messages_other += 1

    def _error(self, exception: dict[str, Any], when: datetime.datetime | None) -> None:
        kind = exception.get("type")
        key = kind if isinstance(kind, str) and kind else NONE
        found = self._errors.get(key)
        if found is None:
            if len(self._errors) >= self._max_errors:
                self._errors_other += 1
                return
            text = exception.get("message")
            found = self._errors[key] = _Error(0, text if isinstance(text, str) else "", when, when)
        found.count += 1
        if when is not None:
            if found.first is None or when < found.first:
                found.first = when
            if found.last is None or when > found.last:
                found.last = when

    def _note(self, record: Record, when: datetime.datetime | None) -> None:
        # fastlog's notes: a drop note carries ``dropped`` (and ``dropped_by_level``), a loss
        # note ``lost`` (a pipeline backlog's also ``dropped`` when records were dropped meanwhile).
        fields = record.fields
        dropped = _int(fields.get("dropped"))
        if dropped is not None:
            self.dropped.add(dropped, when)
            by_level = fields.get("dropped_by_level")
            if isinstance(by_level, dict):
                for name, count in by_level.items():
                    if type(count) is int:
                        self.dropped.by_level[name] = self.dropped.by_level.get(name, 0) + count
            found = _POLICY.search(record.message or "")
            policy = found.group(1) if found else NONE
            self.dropped.policies[policy] = self.dropped.policies.get(policy, 0) + dropped
            preset = fields.get("preset")  # since the core names it; older notes have none
            if not isinstance(preset, str):
                preset = None
            else:
                self.dropped.presets[preset] = self.dropped.presets.get(preset, 0) + dropped
            cause = (preset, policy)
            self.dropped.causes[cause] = self.dropped.causes.get(cause, 0) + dropped
        lost = _int(fields.get("lost"))
        if lost is not None:
            self.lost.add(lost, when)

    # -- the report ------------------------------------------------------------------------

    def histogram(self) -> tuple[int, list[tuple[datetime.datetime, int]]]:
        """The bucket width in seconds and every bucket from the first record's to the last's
        (empty ones included), as (start, count)."""
        if not self._buckets:
            return _WIDTHS[self._width_index], []
        index = self._width_index
        low, high = min(self._buckets), max(self._buckets)
        while index + 1 < len(_WIDTHS):
            span = (high - low + 1) * _WIDTHS[self._width_index]
            if span <= _WIDTHS[index] * self.max_buckets:
                break
            index += 1
        width = _WIDTHS[index]
        span = (high - low + 1) * _WIDTHS[self._width_index]
        if span > width * self.max_buckets:
            # Past the ladder (a stray time years off): whole weeks, as many as it takes.
            width *= -(-span // (width * self.max_buckets))
        factor = width // _WIDTHS[self._width_index]
        counts: dict[int, int] = {}
        for key, count in self._buckets.items():
            counts[key // factor] = counts.get(key // factor, 0) + count
        first, final = low // factor, high // factor
        epoch = datetime.datetime(1970, 1, 1, tzinfo=UTC)
        return width, [
            (epoch + datetime.timedelta(seconds=key * width), counts.get(key, 0))
            for key in range(first, final + 1)
        ]

    def levels(self) -> list[tuple[str, int]]:
        """Counts per level, by severity (levels without a known number last, by name)."""
        return sorted(
            self._levels.counts.items(), key=lambda kv: (_LEVEL_ORDER.get(kv[0], 1000), kv[0])
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as one JSON-able object (what ``fastlog stats --json`` prints)."""
        loggers, loggers_other = self._loggers.top(self.top)
        width, buckets = self.histogram()
        messages = sorted(self._messages.items(), key=lambda kv: (-kv[1].count, kv[0]))
        errors = sorted(self._errors.items(), key=lambda kv: (-kv[1].count, kv[0]))
        sources, _ = self._sources.top(len(self._sources.counts))
        return {
            "records": self.records,
            "text_lines": self.text_lines,
            "without_time": self.without_time,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "sources": dict(sorted(dict(sources).items())),
            "layouts": dict(self._layouts.top(100)[0]),
            "levels": dict(self.levels()),
            "loggers": dict(loggers),
            "loggers_other": loggers_other,
            "histogram": {
                "bucket_seconds": width,
                "buckets": [{"start": _iso(start), "count": count} for start, count in buckets],
            },
            "messages": [
                {
                    "template": key,
                    "count": value.count,
                    "example": value.example,
                    "levels": sorted(value.levels, key=lambda n: (_LEVEL_ORDER.get(n, 1000), n)),
                }
                for key, value in messages[: self.top]
            ],
            "messages_other": sum(value.count for _, value in messages[self.top :])
            + self._messages_other,
            "errors": [
                {
                    "type": key,
                    "count": value.count,
                    "example": value.example,
                    "first": _iso(value.first),
                    "last": _iso(value.last),
                }
                for key, value in errors[: self.top]
            ],
            "errors_other": sum(value.count for _, value in errors[self.top :])
            + self._errors_other,
            "dropped": _notes_dict(self.dropped),
            "lost": _notes_dict(self.lost),
        }

    def render(
        self,
        stream: TextIO,
        *,
        width: int = 80,
        colors: bool = False,
        tz: datetime.tzinfo = UTC,
    ) -> None:
        """Write the report to *stream* as text; blocks are used when its encoding is UTF-8.

        Args:
            stream: where to write (``sys.stdout``).
            width: the terminal's width in columns.
            colors: ANSI colours (levels as the console encoder colours them).
            tz: the zone times are shown in.
        """
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "")
        stream.write(
            self.render_text(width=width, colors=colors, unicode=encoding == "utf8", tz=tz)
        )

    def render_text(
        self,
        *,
        width: int = 80,
        colors: bool = False,
        unicode: bool = True,
        tz: datetime.tzinfo = UTC,
    ) -> str:
        """The report as text, every line at most *width* columns.

        Args:
            width: the terminal's width in columns (at least 40 is used).
            colors: ANSI colours (levels as the console encoder colours them).
            unicode: histogram bars in Unicode blocks; ``#`` otherwise.
            tz: the zone times are shown in.
        """
        return _Renderer(self, max(width, 40), colors, unicode, tz).text()


def _notes_dict(notes: _Notes) -> dict[str, Any]:
    return {
        "records": notes.records,
        "notes": notes.notes,
        "first": _iso(notes.first),
        "last": _iso(notes.last),
        "by_level": dict(sorted(notes.by_level.items(), key=lambda kv: (-kv[1], kv[0]))),
        "policies": dict(sorted(notes.policies.items())),
        "presets": dict(sorted(notes.presets.items())),
    }


def _n(count: int) -> str:
    return f"{count:,}"


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:5.1f}%" if total else "     -"


def _cut(text: str, width: int) -> str:
    text = text.replace("\n", "⏎")
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class _Renderer:
    def __init__(
        self, stats: Stats, width: int, colors: bool, unicode: bool, tz: datetime.tzinfo
    ) -> None:
        self.stats = stats
        self.width = width
        self.colors = colors
        self.unicode = unicode
        self.tz = tz
        self.lines: list[str] = []
        first, last = stats.first, stats.last
        # Times within the report's one day are shown as clocks, the date said once.
        self.one_day = (
            first is not None
            and last is not None
            and first.astimezone(tz).date() == last.astimezone(tz).date()
        )

    def paint(self, text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if self.colors and style else text

    def when(self, moment: datetime.datetime | None, *, seconds: bool = True) -> str:
        if moment is None:
            return "-"
        local = moment.astimezone(self.tz)
        clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
        return clock if self.one_day else f"{local.date().isoformat()} {clock}"

    def heading(self, text: str) -> None:
        if self.lines:
            self.lines.append("")
        self.lines.append(self.paint(text, _BOLD))

    def table(self, rows: list[tuple[str, int]], total: int, style: dict[str, str]) -> None:
        if not rows:
            return
        counts = [_n(count) for _, count in rows]
        number = max(len(c) for c in counts)
        name_width = min(max(len(name) for name, _ in rows), self.width - number - 12)
        for (name, count), text in zip(rows, counts, strict=True):
            shown = _cut(name, name_width).ljust(name_width)
            self.lines.append(
                f"  {self.paint(shown, style.get(name, ''))}  {text.rjust(number)}"
                f"  {_share(count, total)}"
            )

    def text(self) -> str:
        stats = self.stats
        data = stats.to_dict()
        total = stats.records
        summary = f"{_n(total)} record" + ("" if total == 1 else "s")
        if stats.text_lines:
            plural = "" if stats.text_lines == 1 else "s"
            summary += f" and {_n(stats.text_lines)} non-record line{plural}"
        files = len(data["sources"])
        if files > 1:
            summary += f" in {files} files"
        if stats.first is not None and stats.last is not None:
            first = stats.first.astimezone(self.tz)
            # The zone's name at the first record (zoneinfo zones have no name without a date).
            zone = "UTC" if self.tz is UTC else (first.tzname() or first.strftime("%z"))
            span = f"{self.when(stats.first)} – {self.when(stats.last)} {zone}"
            if self.one_day:
                span = f"{first.date().isoformat()} {span}"
            summary += f", {span}"
        self.lines.append(self.paint(summary, _BOLD))
        if stats.without_time:
            plural = "" if stats.without_time == 1 else "s"
            self.lines.append(f"  {_n(stats.without_time)} record{plural} without a time")
        layouts = data["layouts"]
        if layouts:
            self.lines.append(
                "  layouts: " + ", ".join(f"{name} {_n(c)}" for name, c in layouts.items())
            )
        if stats.levels():
            self.heading("Levels")
            self.table(stats.levels(), total, _COLORS)
        loggers = list(data["loggers"].items())
        if data["loggers_other"]:
            loggers.append((OTHER, data["loggers_other"]))
        if loggers:
            self.heading("Loggers")
            self.table(loggers, total, {})
        self.histogram()
        self.messages(data)
        self.errors(data)
        self.notes()
        return "\n".join(self.lines) + "\n"

    def histogram(self) -> None:
        width, buckets = self.stats.histogram()
        if not buckets:
            return
        self.heading(f"Records per second ({_span(width)} buckets)")
        labels = [self.when(start) for start, _ in buckets]
        rates = [_rate(count / width) for _, count in buckets]
        label_width = max(len(label) for label in labels)
        rate_width = max(len(rate) for rate in rates)
        bar_width = max(self.width - label_width - rate_width - 6, 4)
        peak = max(count for _, count in buckets)
        for label, rate, (_, count) in zip(labels, rates, buckets, strict=True):
            bar = self.bar(count / peak * bar_width if peak else 0.0)
            pad = " " * (bar_width - len(bar))
            self.lines.append(f"  {label.rjust(label_width)} {self.paint(bar, '')}{pad} {rate}")

    def bar(self, cells: float) -> str:
        if not self.unicode:
            return "#" * round(cells)
        eighths = round(cells * 8)
        whole, part = divmod(eighths, 8)
        return "█" * whole + (_EIGHTHS[part] if part else "")

    def messages(self, data: dict[str, Any]) -> None:
        rows = data["messages"]
        if not rows:
            return
        self.heading("Top messages")
        number = max(len(_n(row["count"])) for row in rows)
        room = max(self.width - number - 12, 10)
        for row in rows:
            self.lines.append(
                f"  {_n(row['count']).rjust(number)}  {_share(row['count'], self.stats.records)}"
                f"  {_cut(row['template'], room)}"
            )
        if data["messages_other"]:
            other = data["messages_other"]
            self.lines.append(
                f"  {_n(other).rjust(number)}  {_share(other, self.stats.records)}  {OTHER}"
            )

    def errors(self, data: dict[str, Any]) -> None:
        rows = data["errors"]
        if not rows:
            return
        self.heading("Errors")
        first = [self.when(error.first) for error in self._errors_ranked()]
        last = [self.when(error.last) for error in self._errors_ranked()]
        number = max(len(_n(row["count"])) for row in rows)
        for row, start, end in zip(rows, first, last, strict=False):
            self.lines.append(
                f"  {self.paint(_n(row['count']).rjust(number), _COLORS['error'])}"
                f"  {_cut(row['type'], self.width - number - 4)}"
            )
            span = f"first {start}, last {end}"
            self.lines.append(f"  {' ' * number}  {self.paint(span, _DIM)}")
            if row["example"]:
                room = self.width - number - 6
                self.lines.append(f"  {' ' * number}  {_cut(repr(row['example']), room)}")
        if data["errors_other"]:
            self.lines.append(f"  {_n(data['errors_other']).rjust(number)}  {OTHER}")

    def _errors_ranked(self) -> list[_Error]:
        ranked = sorted(self.stats._errors.items(), key=lambda kv: (-kv[1].count, kv[0]))
        return [value for _, value in ranked[: self.stats.top]]

    def notes(self) -> None:
        dropped, lost = self.stats.dropped, self.stats.lost
        if not dropped.notes and not lost.notes:
            return
        self.heading("fastlog notes")
        if dropped.notes:
            line = f"{_n(dropped.records)} records dropped {_causes(dropped)}{self.span(dropped)}"
            if dropped.by_level:
                by_level = sorted(dropped.by_level.items(), key=lambda kv: (-kv[1], kv[0]))
                line += " — by level: " + ", ".join(f"{k} {_n(v)}" for k, v in by_level)
            self.wrapped(line, _COLORS["warning"])
        if lost.notes:
            line = f"{_n(lost.records)} records lost{self.span(lost)}"
            self.wrapped(line, _COLORS["error"])

    def wrapped(self, text: str, style: str) -> None:
        for part in textwrap.wrap(text, self.width - 2, subsequent_indent="  "):
            self.lines.append("  " + self.paint(part, style))

    def span(self, notes: _Notes) -> str:
        count = f"{_n(notes.notes)} note" + ("" if notes.notes == 1 else "s")
        if notes.first is None or notes.last is None:
            return f" in {count}"
        if notes.first == notes.last:
            return f" at {self.when(notes.first)} in {count}"
        return f" between {self.when(notes.first)} and {self.when(notes.last)} in {count}"


def _causes(dropped: _Notes) -> str:
    """What dropped the records, as the notes say: ``by the fastest preset (policy=drop)``,
    ``by policy=drop`` (no preset named), or ``(buffer full)`` when they name neither."""
    named = []
    for preset, policy in sorted(dropped.causes, key=lambda c: (c[0] is None, c[0] or "", c[1])):
        if preset is not None:
            named.append(f"the {preset} preset" + ("" if policy == NONE else f" (policy={policy})"))
        elif policy != NONE:
            named.append(f"policy={policy}")
    return "by " + " and ".join(named) if named else "(buffer full)"


def _span(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _rate(per_second: float) -> str:
    if per_second >= 10 or per_second == 0:
        return f"{per_second:,.0f}/s"
    return f"{per_second:.2f}/s"
