"""The per-sink encoder protocol and how the writer re-encodes a batch with one.

Callers always encode a record once, as JSON (the cheapest thing to do in the calling thread).
A sink configured with another encoder gets the writer thread's re-encoding of each batch:
parsed once per batch whatever the number of sinks, encoded once per distinct encoder. So a
second, human-readable sink costs the writer, never the caller (``benchmarks/bench_pipeline.py``).

A custom encoder is any object with ``encode(record: dict) -> bytes`` (see ``Encoder``): it
receives the record as the JSON sink would have written it, parsed, and returns the bytes for
the sink, terminator included.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

import orjson


@runtime_checkable
class Encoder(Protocol):
    """What a per-sink encoder must offer.

    ``encode`` receives one record (a dict, keys in the order the JSON line had them) and
    returns the bytes to write for it, including any line terminator. It runs in the writer
    thread; if it raises, the record's JSON line is written instead and the error is counted.
    """

    def encode(self, record: dict[str, Any], /) -> bytes: ...


def parse_lines(lines: Iterable[bytes]) -> list[tuple[bytes, dict[str, Any] | None]]:
    """Each line with its parsed record (``None`` for a line that is not a JSON object)."""
    out: list[tuple[bytes, dict[str, Any] | None]] = []
    for line in lines:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            record = None
        out.append((line, record if isinstance(record, dict) else None))
    return out


def encode_batch(
    encoder: Encoder, records: Iterable[tuple[bytes, dict[str, Any] | None]]
) -> tuple[bytes, int]:
    """The sink's bytes for *records*, and how many could not be encoded (written as JSON)."""
    out = bytearray()
    failed = 0
    for line, record in records:
        if record is not None:
            try:
                out += encoder.encode(record)
                continue
            except Exception:
                failed += 1
        out += line + b"\n"
    return bytes(out), failed
