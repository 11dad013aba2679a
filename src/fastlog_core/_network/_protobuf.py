"""The protobuf wire format, the few pieces OTLP needs, without the protobuf runtime.

Writing: varints (lengths, tags, ``int64`` values), length-delimited fields and the byte
strings of the tags fastlog uses. Reading: the fields of a small message (a response's
``ExportLogsPartialSuccess``, a ``google.rpc.Status``), unknown fields skipped, as any
protobuf reader does. The format is at https://protobuf.dev/programming-guides/encoding/.

The OTLP encoder builds each message bottom-up as ``bytes``: a submessage's length must be
known before it, and its parts are short, so concatenation is cheaper than reserving room
and patching lengths afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

__all__ = ["INT64_MAX", "INT64_MIN", "LENGTHS", "fields", "varint"]

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
_MASK64: Final = 2**64 - 1

#: Wire types.
VARINT: Final = 0
I64: Final = 1
LEN: Final = 2
I32: Final = 5


def varint(value: int) -> bytes:
    """*value* as a base-128 varint; a negative one as its 64-bit two's complement (ten bytes),
    as protobuf writes a negative ``int64``."""
    if value < 0:
        value &= _MASK64
    if value < 0x80:
        return bytes((value,))
    if value < 0x4000:  # the common sizes without a loop
        return bytes(((value & 0x7F) | 0x80, value >> 7))
    if value < 0x200000:
        return bytes(((value & 0x7F) | 0x80, ((value >> 7) & 0x7F) | 0x80, value >> 14))
    if value < 0x10000000:
        return bytes(
            (
                (value & 0x7F) | 0x80,
                ((value >> 7) & 0x7F) | 0x80,
                ((value >> 14) & 0x7F) | 0x80,
                value >> 21,
            )
        )
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


#: The varints of 0 to 2047 (one or two bytes, ~100 KiB): ``LENGTHS[n]`` is the common
#: length prefix, an index instead of a call.
LENGTHS: Final = tuple(varint(n) for n in range(1 << 11))


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated or overlong varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """The ``(field number, value)`` pairs of a message: an ``int`` for varint and fixed-width
    fields, ``bytes`` for length-delimited ones. Raises ``ValueError`` on malformed input."""
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == VARINT:
            value, pos = _read_varint(data, pos)
        elif wire == LEN:
            size, pos = _read_varint(data, pos)
            if pos + size > end:
                raise ValueError("truncated length-delimited field")
            value = data[pos : pos + size]
            pos += size
        elif wire == I64:
            if pos + 8 > end:
                raise ValueError("truncated fixed64 field")
            value = int.from_bytes(data[pos : pos + 8], "little")
            pos += 8
        elif wire == I32:
            if pos + 4 > end:
                raise ValueError("truncated fixed32 field")
            value = int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, value
