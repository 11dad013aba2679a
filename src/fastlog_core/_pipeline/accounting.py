"""What a pipeline counts: drops (without a lock), drop notes, blocked waits, losses, stats.

The promise is exact: records sent = records written + dropped + lost. Records are counted as
they enter the buffer (the appender), drops per level as they are refused, losses where a sink
gives up; fastlog's own drop-note lines are kept apart (``Note``) so no counter includes them.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, NotRequired, TypedDict

from .. import _encoders
from .._levels import level_name

if TYPE_CHECKING:
    from .._network.delivery import DeliveryStats
    from .buffer import Data

_next = next


class SinkStats(TypedDict):
    """One sink's counters: records sent = records_written + filtered + lost + the
    pipeline's dropped, for each sink."""

    sink: str
    records_written: int
    filtered: int
    lost: int
    bytes_written: int
    errors: int
    pending_bytes: int
    failing: bool
    #: Network sinks only: what became of the lines handed to it (sent = delivered + lost +
    #: queued + spill_pending); its ``lost`` is in ``lost`` above too.
    delivery: NotRequired[DeliveryStats]


class Counters(TypedDict):
    """What ``stats()`` counts, per pipeline and summed over the process. ``records_written``
    counts records delivered to sinks (not fastlog's own drop notes), so that records sent =
    written + dropped + lost."""

    records_written: int
    bytes_written: int
    dropped: int
    dropped_by_level: dict[str, int]
    errors: int
    queued_bytes: int
    high_water_bytes: int
    blocked: int
    blocked_seconds: float
    truncated: int
    lost: int
    sampled: int
    sampled_by_level: dict[str, int]
    rate_limited: int


class PipelineStats(Counters):
    """Counters of one pipeline, and of each of its sinks."""

    sinks: list[SinkStats]


class Note(bytes):
    """A note line (the writer's own record: drops, losses): sinks write it, counters leave it
    out, so that records sent = written + dropped + lost holds exactly."""

    __slots__ = ()


class DropNote(Note):
    """A note telling the records dropped (buffer full) since the previous one."""

    # Set by drop_note_line(), the one maker of drop notes.
    dropped_by_level: dict[str, int]
    policy: str
    preset: str | None


def drop_note_line(by_level: dict[str, int], policy: str, preset: str | None = None) -> DropNote:
    """The note line for *by_level* records dropped (per level name) under *policy*; *preset*,
    the preset named at configure time, is the note's ``preset`` field (none when ``None``)."""
    count = sum(by_level.values())
    fields: dict[str, object] = {"dropped": count, "dropped_by_level": by_level}
    if preset is not None:
        fields["preset"] = preset
    note = DropNote(
        _encoders.json.encode(
            _encoders.json.timestamp(),
            "warning",
            "fastlog",
            f"{count} records dropped: buffer full (policy={policy})",
            fields,
        )
    )
    note.dropped_by_level = by_level
    note.policy = policy
    note.preset = preset
    return note


def merge_drop_notes(first: DropNote, second: DropNote) -> DropNote:
    """One note for two consecutive ones: a failing sink's backlog keeps one note per gap,
    not one per writer cycle (those would grow without bound while it fails)."""
    by_level = dict(first.dropped_by_level)
    for name, count in second.dropped_by_level.items():
        by_level[name] = by_level.get(name, 0) + count
    return drop_note_line(by_level, second.policy, second.preset)


def records(part: Data) -> int:
    """The records (lines) in *part*; none for a note of fastlog's own."""
    return 0 if isinstance(part, Note) else part.count(b"\n")


def peek(counter: itertools.count[int]) -> int:
    """The next value *counter* would return, without consuming it."""
    return int(repr(counter)[6:-1])


class Accounting:
    """One pipeline's counters that are not per sink."""

    __slots__ = (
        "blocked",
        "blocked_seconds",
        "drop_counts",
        "drops_noted",
        "high_water",
        "lost",
        "notes",
        "truncated",
    )

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Every counter at zero: at creation and in a forked child."""
        # Dropped records per level number, counted without a lock (see count_drop), and how
        # many of them the stream's drop notes have told so far.
        self.drop_counts: dict[int, itertools.count[int]] = {}
        self.drops_noted: dict[int, int] = {}
        self.notes = 0  # lines the writer added itself (drop notes)
        self.blocked = 0
        self.blocked_seconds = 0.0
        self.high_water = 0
        self.truncated = 0
        self.lost = 0

    def count_drop(self, levelno: int) -> None:
        """Count one dropped record. No lock: ``next()`` on a C iterator is atomic, so callers
        of a full pipeline do not queue on a lock to be told no, and a signal handler can
        count too."""
        counter = self.drop_counts.get(levelno)
        if counter is None:
            counter = self.drop_counts.setdefault(levelno, itertools.count())
        _next(counter)

    def drops(self) -> dict[int, int]:
        """Records dropped so far, per level number."""
        return {levelno: peek(count) for levelno, count in list(self.drop_counts.items())}

    def unnoted(self) -> bool:
        """Whether records were dropped since the last drop note."""
        noted = self.drops_noted
        return any(peek(c) > noted.get(n, 0) for n, c in list(self.drop_counts.items()))

    def dropped_by_name(self) -> dict[str, int]:
        dropped: dict[str, int] = {}
        for levelno, total in self.drops().items():
            name = level_name(levelno)
            dropped[name] = dropped.get(name, 0) + total
        return dropped

    def drop_note(self, policy: str, preset: str | None = None) -> DropNote | None:
        """The writer's record telling the drops since the last note, if there were any."""
        if not self.drop_counts:
            return None
        totals = self.drops()
        noted = self.drops_noted
        by_level: dict[str, int] = {}
        for levelno, total in totals.items():
            if total > noted.get(levelno, 0):
                name = level_name(levelno)
                by_level[name] = by_level.get(name, 0) + total - noted.get(levelno, 0)
        if not by_level:
            return None
        self.drops_noted = totals
        return drop_note_line(by_level, policy, preset)
