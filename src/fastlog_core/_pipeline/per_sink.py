"""Per-sink options: a sink's own level and encoder, applied by the writer, never the callers.

Callers always encode JSON, once. A sink with its own level or encoder (console, logfmt,
MessagePack, a custom one) gets the writer's transformation of each batch: only the kept lines
are parsed, each distinct (encoder, level) pair renders a batch once, and plain JSON sinks get
the batch untouched. That keeps one serialization on the hot path whatever the sinks.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from .. import _diagnostics, _encoders
from .._levels import LEVEL_NAMES, levelno_of
from .accounting import Note

if TYPE_CHECKING:
    from .._sinks import Sink
    from .buffer import Data
    from .delivery import Slot

# Where a default-schema line has its level: {"timestamp":"<27 characters>","level":"info",...
_LEVEL_AT = b'","level":"'
_LEVEL_AT_OFFSET = len('{"timestamp":"') + len("2026-01-01T00:00:00.000000Z")
_LEVEL_START = _LEVEL_AT_OFFSET + len(_LEVEL_AT)
_LEVELS_BYTES: dict[bytes, int] = {name.encode(): number for number, name in LEVEL_NAMES.items()}
_orjson_loads = orjson.loads


class SinkOptions:
    """What one sink of a pipeline takes beyond the pipeline's settings.

    Args:
        level: Lines below this level are not written to this sink (the writer reads each
            line's level; the callers' path is unchanged).
        encoder: ``None`` for the JSON lines as they are, else an encoder object
            (console, logfmt, MessagePack or a custom one).
    """

    __slots__ = ("encoder", "level")

    def __init__(self, level: int = 0, encoder: _encoders.Encoder | None = None) -> None:
        self.level = level
        self.encoder = encoder

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SinkOptions)
            and self.level == other.level
            and _same_encoder(self.encoder, other.encoder)
        )

    def __hash__(self) -> int:
        return hash((self.level, type(self.encoder)))

    def __repr__(self) -> str:
        return f"SinkOptions(level={self.level}, encoder={self.encoder!r})"


def _same_encoder(a: object, b: object) -> bool:
    # Built-in encoders compare by kind and options; custom ones by identity.
    if a is b:
        return True
    if type(a) is not type(b) or not type(a).__module__.startswith(_encoders.__name__ + "."):
        return False
    return repr(a) == repr(b)


def choose_encoder(
    options: SinkOptions, sink: Sink, format: str, colors: bool | None
) -> _encoders.Encoder | None:
    """A sink's encoder under the pipeline's ``format`` and ``colors`` settings (``None``: the
    JSON lines as they are)."""
    encoder = options.encoder
    if encoder is None and format == "console":
        encoder = _encoders.ConsoleEncoder(colors=colors)
    if isinstance(encoder, _encoders.ConsoleEncoder) and encoder.colors is None:
        # Decided per sink: colour where that sink is a terminal, unless NO_COLOR is set
        # (no-color.org: it turns off colour by default, never colour asked for in code).
        if colors is None:
            colors = _isatty(sink) and not os.environ.get("NO_COLOR")
        encoder = _encoders.ConsoleEncoder(colors=colors)
    return encoder


def kept(threshold: int, level_key: str | None, lines: list[bytes]) -> list[bytes]:
    """The lines at or above *threshold*; a line whose level cannot be read is kept."""
    if not threshold or level_key is None:
        return lines
    fast = level_key == "level"  # the default schema: "level" is the second key, fixed place
    out = []
    for line in lines:
        levelno = None
        if fast and line.startswith(_LEVEL_AT, _LEVEL_AT_OFFSET):
            levelno = _LEVELS_BYTES.get(line[_LEVEL_START : line.find(b'"', _LEVEL_START)])
        if levelno is None:
            try:
                record = _orjson_loads(line)
            except ValueError:
                record = None
            levelno = levelno_of(record.get(level_key)) if isinstance(record, dict) else None
        if levelno is None or levelno >= threshold:
            out.append(line)
    return out


def transform(slot: Slot, level_key: str | None, lines: list[bytes]) -> tuple[bytes, int]:
    """This sink's bytes for a batch (its level, then its encoder), and the lines filtered.

    Only the kept lines are parsed, and only for an encoder: a JSON sink at WARNING costs
    the writer a slice per line (``benchmarks/bench_pipeline.py``).
    """
    lines_kept = kept(slot.level, level_key, lines)
    filtered = len(lines) - len(lines_kept)
    encoder = slot.encoder
    if encoder is None:
        return b"".join([line + b"\n" for line in lines_kept]), filtered
    if slot.hidden:
        lines_kept = without_static(lines_kept, slot.hidden)
    out, failed = _encoders.encode_batch(encoder, _encoders.parse_lines(lines_kept))
    if failed:
        _diagnostics.report("encoder", f"{encoder!r} failed on {failed} records; written as JSON")
    return out, filtered


def without_static(lines: list[bytes], suffix: bytes) -> list[bytes]:
    """*lines* (no newline) without the static fields the appender spliced in: the exact bytes,
    so a record's own field of the same name stays."""
    end = suffix + b"}"
    alone = b"{" + suffix[1:] + b"}"  # what "{}" became
    cut = len(end)
    return [
        line[:-cut] + b"}" if line.endswith(end) else b"{}" if line == alone else line
        for line in lines
    ]


def transform_parts(
    slot: Slot, level_key: str | None, parts: Sequence[Data]
) -> tuple[list[bytes], list[int], int]:
    """This sink's bytes for each part of a batch, the records of each it is to write, and the
    lines filtered in all.

    Part by part, so the writer's working memory is one block's lines, not the batch's.
    """
    outs = []
    owed = []
    filtered = 0
    for part in parts:
        lines = bytes(part).splitlines()
        out, dropped = transform(slot, level_key, lines)
        outs.append(out)
        if isinstance(part, Note):  # a drop note is no record, below the sink's level or not
            owed.append(0)
        else:
            owed.append(len(lines) - dropped)
            filtered += dropped
    return outs, owed, filtered


def render_note(slot: Slot, note: bytes) -> bytes:
    """A note of fastlog's own in this sink's encoding, whatever the sink's level: a
    destination is always told what it missed."""
    encoder = slot.encoder
    if encoder is None:
        return bytes(note)
    out, _ = _encoders.encode_batch(encoder, _encoders.parse_lines(note.splitlines()))
    return out


def _isatty(sink: Any) -> bool:
    probe = getattr(sink, "isatty", None)
    try:
        return bool(probe()) if probe is not None else False
    except Exception:
        return False
