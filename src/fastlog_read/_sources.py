"""Inputs: files (gzip by magic number), standard input, read in newline-aligned chunks."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import BinaryIO

__all__ = ["iter_lines", "open_source"]

CHUNK = 1 << 22


def open_source(path: str) -> BinaryIO:
    """The binary stream for *path* (``-`` is standard input); gzip files are read through.

    Raises:
        OSError: the file cannot be opened or read.
    """
    if path == "-":
        return sys.stdin.buffer
    stream: BinaryIO = open(path, "rb")  # noqa: SIM115 - the caller closes it
    try:
        magic = stream.read(2)
        stream.seek(0)
    except OSError:
        stream.close()
        raise
    if magic == b"\x1f\x8b":
        import gzip  # lazy: only gzip inputs pay for it

        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    return stream


def _is_file(stream: BinaryIO) -> bool:
    try:
        return os.path.isfile(f"/proc/self/fd/{stream.fileno()}") or stream.seekable()
    except (OSError, ValueError, AttributeError):
        return False


def iter_lines(stream: BinaryIO, size: int = CHUNK) -> Iterator[list[bytes]]:
    """Lists of whole lines (without their newline), a chunk's worth at a time.

    Splitting each read directly (the partial last line carried to the next) copies the data
    once instead of cutting chunks first.
    """
    read = (
        getattr(stream, "read1", None)
        if stream is sys.stdin.buffer or not _is_file(stream)
        else None
    )
    carry = b""
    while True:
        data = read(size) if read is not None else stream.read(size)
        if not data:
            break
        lines = data.split(b"\n")
        last = lines.pop()
        if not lines:
            carry += last
            continue
        if carry:
            lines[0] = carry + lines[0]
        carry = last
        yield lines
    if carry:
        yield [carry]
