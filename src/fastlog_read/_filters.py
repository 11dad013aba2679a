"""Record filters: level, logger globs, time range, field predicates, message regex, trace id."""

from __future__ import annotations

import datetime
import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ._errors import FilterError
from ._levels import CANONICAL, levelno_of
from ._record import Record
from ._times import parse_time

__all__ = [
    "Filter",
    "Predicate",
    "StreamMatch",
    "field_value",
    "parse_filter",
    "parse_predicate",
]

_KEY = re.compile(r"[A-Za-z_@][\w.\-/@]*")
_OPS = ("!=", ">=", "<=", "=", ">", "<", "~")
_MISSING = object()
# The first 7 bytes of each level value fastlog's default layout writes (then the logger
# key): the prefilter reads them at a fixed column.
_FASTLOG_TOKENS = (
    (b'trace",', 5),
    (b'debug",', 10),
    (b'info","', 20),
    (b"success", 25),
    (b"warning", 30),
    (b'error",', 40),
    (b"critica", 50),
)


@dataclass(frozen=True, slots=True)
class Predicate:
    """One ``-f`` expression: ``key``, an operator (``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``,
    ``~``, or ``?`` for a bare key meaning "present") and the value as written."""

    key: str
    op: str
    value: str
    number: float | None = None
    regex: re.Pattern[str] | None = None

    def match(self, record: Record) -> bool:
        """Whether *record* satisfies the predicate (a missing key satisfies only ``!=``)."""
        value = field_value(record, self.key)
        if value is _MISSING:
            return self.op == "!="
        if self.op == "?":
            return True
        if self.op in ("=", "!="):
            return _equals(value, self.value, self.number) == (self.op == "=")
        if self.op == "~":
            assert self.regex is not None
            return self.regex.search(value if isinstance(value, str) else _text(value)) is not None
        number: float
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if not isinstance(value, str):
                return False
            try:
                number = float(value)
            except ValueError:
                return False
        else:
            number = float(value)
        assert self.number is not None
        if self.op == ">":
            return number > self.number
        if self.op == ">=":
            return number >= self.number
        if self.op == "<":
            return number < self.number
        return number <= self.number


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _equals(value: Any, expected: str, number: float | None) -> bool:
    if isinstance(value, str):
        return value == expected
    if number is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == number
    return _text(value) == expected


def field_value(record: Record, key: str) -> Any:
    """The value at *key* in the record's fields (dotted keys reach nested objects), or the
    record's own ``message``, ``logger``, ``level`` or ``exception.*``; a private sentinel when
    absent."""
    fields = record.fields
    if key in fields:
        return fields[key]
    if "." in key:
        node: Any = fields
        parts = key.split(".")
        for i, part in enumerate(parts):
            if isinstance(node, dict):
                rest = ".".join(parts[i:])
                if rest in node:  # a literal dotted key below a nested object
                    return node[rest]
                if part not in node:
                    break
                node = node[part]
            else:
                break
        else:
            return node
    if key in ("message", "logger", "level", "trace_id"):
        value = getattr(record, key)
        return _MISSING if value is None else value
    if key.startswith("exception.") and record.exception is not None:
        return record.exception.get(key[10:], _MISSING)
    return _MISSING


def parse_predicate(text: str) -> Predicate:
    """Parse one ``-f`` expression.

    Raises:
        FilterError: the expression is malformed; ``column`` points at the bad character.
    """
    match = _KEY.match(text)
    if match is None:
        raise FilterError(f"-f {text!r}: expected a field name (column 1)", text, 0)
    key = match.group()
    rest = text[match.end() :]
    if not rest:
        return Predicate(key, "?", "")
    op = next((o for o in _OPS if rest.startswith(o)), None)
    column = match.end()
    if op is None:
        raise FilterError(
            f"-f {text!r}: expected an operator (=, !=, >, >=, <, <=, ~) after {key!r} "
            f"(column {column + 1})",
            text,
            column,
        )
    value = rest[len(op) :]
    start = column + len(op)
    number: float | None = None
    try:
        number = float(value)
    except ValueError:
        if op in (">", ">=", "<", "<="):
            raise FilterError(
                f"-f {text!r}: expected a number after {op!r} (column {start + 1})", text, start
            ) from None
    regex = None
    if op == "~":
        try:
            regex = re.compile(value)
        except re.error as exc:
            at = start + (exc.pos or 0)
            raise FilterError(
                f"-f {text!r}: bad regular expression: {exc.msg} (column {at + 1})", text, at
            ) from None
    return Predicate(key, op, value, number, regex)


@dataclass(slots=True)
class Filter:
    """What a record must satisfy to be kept; build it with :func:`parse_filter`.

    Attributes:
        min_levelno: Keep records at this level or above (records without a level are dropped).
        loggers: Logger globs as ``(pattern, negated)``; a pattern also matches its children.
        since: Keep records at or after this time (records without a time are dropped).
        until: Keep records before this time.
        predicates: Field predicates, all of which must hold.
        grep: A regular expression searched in the message.
        trace_id: Keep records of this trace (hex, or Datadog's decimal low 64 bits).
    """

    min_levelno: int | None = None
    loggers: tuple[tuple[str, bool], ...] = ()
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    predicates: tuple[Predicate, ...] = ()
    grep: re.Pattern[str] | None = None
    trace_id: str | None = None
    _positive: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self._positive = any(not neg for _, neg in self.loggers)

    def match(self, record: Record) -> bool:
        """Whether *record* is kept."""
        if self.min_levelno is not None and (
            record.levelno is None or record.levelno < self.min_levelno
        ):
            return False
        if self.since is not None or self.until is not None:
            time = record.time
            if time is None:
                return False
            if self.since is not None and time < self.since:
                return False
            if self.until is not None and time >= self.until:
                return False
        if self.loggers and not self._match_logger(record.logger or ""):
            return False
        if self.grep is not None and (
            record.message is None or self.grep.search(record.message) is None
        ):
            return False
        if self.trace_id is not None and not _same_trace(record.trace_id, self.trace_id):
            return False
        return all(predicate.match(record) for predicate in self.predicates)

    def _match_logger(self, name: str) -> bool:
        kept = not self._positive
        for pattern, negated in self.loggers:
            hit = fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(name, pattern + ".*")
            if hit and negated:
                return False
            if hit:
                kept = True
        return kept

    @property
    def active(self) -> bool:
        """Whether the filter can drop anything."""
        return bool(
            self.min_levelno is not None
            or self.loggers
            or self.since
            or self.until
            or self.predicates
            or self.grep
            or self.trace_id
        )

    def matcher(self) -> StreamMatch:
        """A :meth:`match` for the records of one input taken in order, where a ``text`` line
        (a traceback or a print after a record) belongs to the record before it.

        A text line is kept when the record before it in the same input was kept; text lines
        before the input's first record are kept only when the filter is not :attr:`active`.
        Use one matcher per input.
        """
        return StreamMatch(self)

    def skip_levels(self) -> frozenset[bytes] | None:
        """The level tokens (7 bytes at column 52 of a default-layout line) this filter drops.

        fastlog's default layout writes ``{"timestamp":"<27 chars>","level":"<name>"`` with a
        lower-case name, so a line in that shape whose token is in this set cannot match.
        ``None`` when there is no level filter or it drops none of fastlog's names.
        """
        if self.min_levelno is None:
            return None
        tokens = frozenset(token for token, no in _FASTLOG_TOKENS if no < self.min_levelno)
        return tokens or None


class StreamMatch:
    """The filter of one input in order: text lines follow the record before them.

    Call it with each record of the input, in order; see :meth:`Filter.matcher`.
    """

    __slots__ = ("_match", "kept")

    def __init__(self, filter: Filter) -> None:
        self._match = filter.match if filter.active else None
        #: Whether the last record was kept (what a text line now gets).
        self.kept = self._match is None

    def __call__(self, record: Record) -> bool:
        """Whether *record* is kept."""
        match = self._match
        if match is None:
            return True
        if record.layout == "text":
            return self.kept
        self.kept = kept = match(record)
        return kept

    def drop(self) -> None:
        """A record was dropped without being parsed (the level prefilter): its text lines too."""
        self.kept = False


def _same_trace(value: str | None, wanted: str) -> bool:
    if value is None:
        return False
    if value.lower() == wanted.lower():
        return True
    try:  # Datadog writes the low 64 bits in decimal
        return value.isdigit() and int(value) == int(wanted[-16:], 16)
    except ValueError:
        return False


def _level_threshold(text: str) -> int:
    stripped = text.strip()
    if stripped.isdigit():
        return int(stripped)
    lowered = stripped.lower()
    number = levelno_of(lowered)
    if number is None:
        matches = [name for name in CANONICAL if name.startswith(lowered)] if lowered else []
        if len(matches) == 1:
            number = levelno_of(matches[0])
    if number is None:
        raise FilterError(
            f"-l {text!r}: unknown level (expected a number or one of {', '.join(CANONICAL)})",
            text,
            0,
        )
    return number


def parse_filter(
    *,
    level: str | None = None,
    loggers: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    fields: Sequence[str] = (),
    grep: str | None = None,
    trace_id: str | None = None,
    now: datetime.datetime | None = None,
) -> Filter:
    """Build a :class:`Filter` from the command line's strings.

    Args:
        level: ``-l``: a level name, a unique prefix of one, or a number.
        loggers: ``--logger`` globs; ``!glob`` excludes.
        since: ``--since``: ``-15m``, ``today``, ``yesterday``, ``HH:MM``, a date or RFC 3339.
        until: ``--until``, same grammar.
        fields: ``-f`` predicates such as ``user_id=42``, ``ms>500``, ``path~^/api``.
        grep: ``--grep``: a regular expression searched in the message.
        trace_id: ``--trace-id``.
        now: The time relative times count from (default: the current time).

    Raises:
        FilterError: an expression is malformed; ``column`` points at the bad character.
    """
    clock = now or datetime.datetime.now(datetime.UTC)
    regex = None
    if grep is not None:
        try:
            regex = re.compile(grep)
        except re.error as exc:
            raise FilterError(
                f"--grep {grep!r}: bad regular expression: {exc.msg}", grep, exc.pos or 0
            ) from None
    return Filter(
        min_levelno=None if level is None else _level_threshold(level),
        loggers=tuple((p[1:], True) if p.startswith("!") else (p, False) for p in loggers),
        since=None if since is None else parse_time(since, "--since", clock),
        until=None if until is None else parse_time(until, "--until", clock),
        predicates=tuple(parse_predicate(text) for text in fields),
        grep=regex,
        trace_id=trace_id,
    )
