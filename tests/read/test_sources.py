"""Inputs: gzip by magic number, newline-aligned chunks."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from fastlog_read import open_source, read
from fastlog_read._sources import iter_lines


def test_chunks_are_whole_lines_whatever_the_size() -> None:
    data = (
        b"".join(b"line %d %s\n" % (i, b"x" * (i % 7)) for i in range(200))
        + b"tail without newline"
    )
    for size in (1, 5, 64, 1 << 20):
        lists = list(iter_lines(io.BytesIO(data), size))
        assert [line for lines in lists for line in lines] == data.split(b"\n")
    assert list(iter_lines(io.BytesIO(b"a\n\nb\n"), 3)) == [[b"a", b""], [b"b"]]


def test_gzip_by_magic_not_by_name(tmp_path: Path) -> None:
    line = (
        b'{"timestamp":"2026-12-07T10:00:00.000000Z","level":"info","logger":"a","message":"m"}\n'
    )
    packed = tmp_path / "app.log.1"  # gzip content without the .gz name
    packed.write_bytes(gzip.compress(line * 3))
    plain = tmp_path / "named.gz"  # a .gz name on plain text
    plain.write_bytes(line)
    with open_source(str(packed)) as stream:
        assert stream.read() == line * 3
    assert [r.message for r in read([str(packed), str(plain)])] == ["m"] * 4


def test_truncated_gzip_reports_an_error_after_the_readable_records(tmp_path: Path) -> None:
    line = b'{"level":"info","msg":"m"}\n'
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(line * 200_000)[:-20])
    errors: list[str] = []
    got = list(read([str(broken)], on_error=lambda path, exc: errors.append(type(exc).__name__)))
    assert errors == ["OSError"]
    assert 0 < len(got) < 200_000  # the chunks read before the damage are shown
