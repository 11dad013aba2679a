"""What a sink is owed: its retry backlog, and the note that tells what it gave up.

A sink that fails keeps the parts of the batches it has not taken as they came (the buffer's
blocks: no copy), each with its own bytes for it and the records in it, so that it can be
retried from exactly where a short write stopped, bounded by giving up its oldest records, and
counted exactly. ``delivery.Delivery`` decides when; this module is the bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .. import _encoders
from .accounting import DropNote, Note, records

if TYPE_CHECKING:
    from .buffer import Data


class LossNote(Note):
    """The note a sink's stream gets where records were given up from its backlog.

    ``lost`` is how many it tells; counters leave it out, as every ``Note``. It also tells
    the drops whose notes were among what was given up (``dropped_by_level``), so every drop
    stays noted in that stream.
    """

    lost: int  # both set by loss_note(), the one maker of loss notes
    dropped_by_level: dict[str, int]


def loss_note(count: int, dropped_by_level: dict[str, int]) -> LossNote:
    fields: dict[str, object] = {"lost": count}
    message = (
        f"{count} records lost: this destination kept failing while another one worked, "
        "and its backlog reached capacity"
    )
    dropped = sum(dropped_by_level.values())
    if dropped:
        message += f"; {dropped} records dropped meanwhile: buffer full"
        fields.update(dropped=dropped, dropped_by_level=dropped_by_level)
    note = LossNote(
        _encoders.json.encode(_encoders.json.timestamp(), "error", "fastlog", message, fields)
    )
    note.lost = count
    note.dropped_by_level = dropped_by_level
    return note


def drops_told(notes: Sequence[Note]) -> dict[str, int]:
    """The drops, per level name, that *notes* (given up unwritten) told."""
    total: dict[str, int] = {}
    for note in notes:
        if isinstance(note, (LossNote, DropNote)):
            for level, count in note.dropped_by_level.items():
                total[level] = total.get(level, 0) + count
    return total


class Backlog:
    """What one sink is owed: the parts of the batches it has not taken, as they came (the
    buffer's blocks, no copy), each with this sink's bytes for it (the part itself for a plain
    JSON sink, its rendering for one with its own level or encoder) and the records in it that
    this sink is to write (-1 for a plain part: counted when asked, since the writer's healthy
    path must not scan every batch for newlines, see docs/architecture.md).

    The first ``done`` bytes of the first part's bytes are written already (a partial write):
    that part is finished first and never given up, so the destination gets no torn line.
    """

    __slots__ = ("done", "notes", "outs", "owed", "parts", "size")

    def __init__(self) -> None:
        self.parts: list[Data] = []
        self.outs: list[Data] = []
        self.owed: list[int] = []
        self.size = 0  # bytes of the parts: what this backlog keeps in memory
        self.notes = 0  # bytes of them that are fastlog's own notes
        self.done = 0

    def __len__(self) -> int:
        """The bytes of the records held (fastlog's own notes left out, as in every count)."""
        return self.size - self.notes

    def __bool__(self) -> bool:
        return bool(self.parts)

    def add(self, part: Data, out: Data, owed: int = -1) -> None:
        if not out and owed <= 0:  # nothing for this sink (lines below its level, empty part)
            return
        self.parts.append(part)
        self.outs.append(out)
        self.owed.append(owed)
        self.size += len(part)
        if isinstance(part, Note):
            self.notes += len(part)

    def last_drop_note(self) -> DropNote | None:
        """The last part, when it is a drop note nothing has been written of."""
        parts = self.parts
        if parts and isinstance(parts[-1], DropNote) and not (self.done and len(parts) == 1):
            return parts[-1]
        return None

    def replace_last(self, note: Note, out: Data) -> None:
        self.size += len(note) - len(self.parts[-1])
        self.notes += len(note) - len(self.parts[-1])
        self.parts[-1] = note
        self.outs[-1] = out

    def insert_note(self, note: LossNote, out: bytes) -> None:
        """*note* before everything not yet started (after a partly written first part)."""
        at = 1 if self.done else 0
        self.parts.insert(at, note)
        self.outs.insert(at, out)
        self.owed.insert(at, 0)
        self.size += len(note)
        self.notes += len(note)

    def owed_by(self, at: int) -> int:
        """The records the part at *at* holds for this sink."""
        owed = self.owed[at]
        if owed < 0:
            owed = self.owed[at] = records(self.parts[at])
        return owed

    def records(self) -> int:
        """The records still owed (a partly written plain part: its unwritten lines only)."""
        total = sum(self.owed_by(at) for at in range(len(self.parts)))
        if self.done and self.owed[0] and self.outs[0] is self.parts[0]:
            total -= self.parts[0].count(b"\n", 0, self.done)
        return total

    def loss_told(self) -> int:
        """The losses the loss notes in this backlog tell."""
        return sum(part.lost for part in self.parts if isinstance(part, LossNote))

    def to_write(self) -> list[Data | memoryview]:
        """This sink's bytes, from where the last write stopped."""
        if not self.done:
            return [*self.outs]
        return [memoryview(self.outs[0])[self.done :], *self.outs[1:]]

    def _pop(self, at: int) -> tuple[Data, int]:
        owed = self.owed_by(at)
        part = self.parts.pop(at)
        del self.outs[at]
        del self.owed[at]
        self.size -= len(part)
        if isinstance(part, Note):
            self.notes -= len(part)
        return part, owed

    def advance(self, count: int) -> int:
        """*count* more bytes were written: forget what is finished. Returns the losses told
        by the loss notes that went out whole."""
        told = 0
        count += self.done
        self.done = 0
        while self.outs and count >= len(self.outs[0]):
            count -= len(self.outs[0])
            part, _ = self._pop(0)
            if isinstance(part, LossNote):
                told += part.lost
        if count and self.outs:
            self.done = count
        return told

    def trim(
        self, target: int, render: Callable[[bytes], tuple[Data, int]]
    ) -> tuple[int, list[Note]]:
        """Give up the oldest records until the parts, notes left out, take at most *target*
        bytes; return the records given up, and the notes given up with them (what they told
        is to be told again). A part is cut at a line end (*render* gives this sink's bytes
        and records for what is left of it); a partly written first part is kept.
        """
        keep = 1 if self.done else 0
        lost = 0
        notes: list[Note] = []
        while len(self.parts) > keep and self.size - self.notes > target:
            part = self.parts[keep]
            excess = self.size - self.notes - target
            if isinstance(part, Note):
                notes.append(part)
                self._pop(keep)
                continue
            if len(part) <= excess:
                lost += self._pop(keep)[1]
                continue
            cut = part.find(b"\n", excess - 1) + 1 or len(part)
            rest = bytes(memoryview(part)[cut:])
            if not rest:
                lost += self._pop(keep)[1]
                continue
            out, owed = render(rest)
            lost += self.owed_by(keep) - owed
            self.parts[keep], self.outs[keep], self.owed[keep] = rest, out, owed
            self.size -= cut
            break
        return lost, notes

    def clear(self) -> None:
        self.parts = []
        self.outs = []
        self.owed = []
        self.size = self.notes = self.done = 0
