"""A write the kernel cuts short in the middle of a line, then the file is replaced.

A full file system (a real tmpfs mounted at its size) or ``RLIMIT_FSIZE`` stops a write
part-way through a line; the test then renames or removes the file, as logrotate or a person
would, gives the space back, and lets the child go on. The rest of the cut line must never
start the new file: every line of every file parses, and every record is written once, in
order, and counted (records written = sent, nothing lost).

The child and the test take turns through the child's stdin and stdout (no sleeps): the child
says where its file was cut, the test changes the file system and answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.helpers import child_env, parse_lines
from tests.reliability.conftest import CHILD_PRELUDE, Result, mounted_tmpfs

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmpfs and RLIMIT_FSIZE")

KiB = 1024

CHILD = """
import os, resource, signal, sys
import orjson
import fastlog_core
from tests.helpers import wait_until

path, fault, after, rotation = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
first, more = int(sys.argv[5]), int(sys.argv[6])
# Past RLIMIT_FSIZE the kernel sends SIGXFSZ (default: kill); ignored, the write fails EFBIG.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
options = {"rotation": rotation} if rotation != "none" else {}
fastlog_core.configure(sink=path, flush_interval=0.02, **options)
log = fastlog_core.get_logger("cut")
# Lines of one odd length: a cut at a page boundary (tmpfs) or at the limit never falls
# between two lines.
sample = {"timestamp": "2026-01-01T00:00:00.000001Z", "level": "info", "logger": "cut",
          "message": "r", "seq": "00000000", "pad": "p" * 200}
pad = "p" * (200 + 1 - (len(orjson.dumps(sample)) + 1) % 2)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
if fault == "fsize":
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
sent = 0


def burst(n):
    global sent
    for _ in range(n):
        log.info("r", seq=f"{sent:08d}", pad=pad)
        sent += 1


burst(first)
wait_until(lambda: fastlog_core.stats()["errors_by_kind"].get("sink", 0) >= 2,
           message="the writer failing (a cut write, then a retry)")
size = os.path.getsize(path)
with open(path, "rb") as f:
    whole = f.read().endswith(b"\\n")
print(f"CUT {size} {int(whole)}", flush=True)
sys.stdin.readline()  # the test replaced the file (and gave space back)
if after == "restored":
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
burst(more)
recovered = wait_until(lambda: fastlog_core.flush(timeout=1), message="recovery")
report(sent=sent, recovered=recovered)
"""


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs: a file system that really fills up (root only, as in CI)."""
    with mounted_tmpfs(tmp_path / "fs", "1m") as mount:
        yield mount


def records_of(data: bytes, name: str) -> list[dict[str, Any]]:
    """Every line of *data* parsed; fails naming *name* on a torn or invalid line."""
    assert data.endswith(b"\n"), f"{name} does not end with a whole line: {data[-80:]!r}"
    return parse_lines(data, name)


def run(
    directory: Path, fault: str, change: str, after: str, rotation: str, *, first: int, more: int
) -> tuple[dict[str, Any], bytes, bytes, int, bool]:
    """The child logs *first* records into a cut write; the file is *change*d ("renamed" to
    app.log.1, or "removed"), space is given back, the child logs *more* and recovers.

    Returns the child's report, the old file's and the new file's bytes, and where and how
    the old file ended while the writes were failing."""
    path = directory / "app.log"
    filler = directory / "filler"
    if fault == "enospc":
        # The log file gets the last 64 KiB of the 1 MiB file system.
        filler.write_bytes(b"\0" * (1024 - 64) * KiB)
    code = CHILD_PRELUDE + textwrap.dedent(CHILD)
    args = [str(path), fault, after, rotation, str(first), str(more)]
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        line = child.stdout.readline()
        if not line.startswith("CUT "):
            child.kill()
            raise AssertionError(f"child failed: {child.communicate()[1][-3000:]}")
        _, size, whole = line.split()
        keep = os.open(path, os.O_RDONLY)  # the old file, readable after a removal too
        try:
            if change == "renamed":
                os.rename(path, directory / "app.log.1")
            else:
                os.unlink(path)
            if filler.exists():
                filler.unlink()  # space again
            child.stdin.write("go\n")
            child.stdin.flush()
            out, err = child.communicate(timeout=60)
            assert child.returncode == 0, err[-3000:]
            old = b""
            while chunk := os.read(keep, 1 << 20):
                old += chunk
        finally:
            os.close(keep)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    report = next(
        orjson.loads(text[len("FASTLOG-REPORT ") :])
        for text in out.splitlines()
        if text.startswith("FASTLOG-REPORT ")
    )
    new = path.read_bytes() if path.exists() else b""
    return report, old, new, int(size), whole == "1"


CASES = [
    # (fault, change, after the change, rotation)
    ("enospc", "renamed", "restored", "none"),
    ("enospc", "removed", "restored", "none"),
    ("fsize", "renamed", "restored", "none"),
    ("fsize", "removed", "restored", "none"),
    ("enospc", "renamed", "restored", "10 MB"),
    ("fsize", "renamed", "restored", "10 MB"),
]


@pytest.mark.parametrize(
    "case", CASES, ids=["-".join(c if c != "10 MB" else "rotation" for c in case) for case in CASES]
)
def test_cut_line_never_starts_the_new_file(
    tiny_fs: Path, tmp_path: Path, case: tuple[str, str, str, str], results: list[Result]
) -> None:
    """A line cut by a full disk or RLIMIT_FSIZE, then the file renamed or removed: the line
    is finished in the old file (its descriptor is still open), the new file starts with a
    whole line, and every record is written exactly once, in order."""
    fault, change, after, rotation = case
    directory = tiny_fs if fault == "enospc" else tmp_path
    r, old, new, size, whole = run(directory, fault, change, after, rotation, first=2000, more=300)
    if rotation == "none":
        # The failing write stopped inside a line (what this test is about)...
        assert not whole, f"the write stopped on a line boundary ({size} B): nothing cut"
    else:
        # ...except with rotation, where other processes may append to the file between two
        # writes: the cut line's start is removed at once (under the lock), to be written again.
        assert whole
    old_records = records_of(old, "the old file")
    new_records = records_of(new, "the new file")
    seqs = [int(rec["seq"]) for rec in old_records + new_records]
    assert seqs == list(range(r["sent"])), "records lost, duplicated or reordered"
    assert r["recovered"] is True
    assert r["records_written"] == r["sent"]
    assert (r["dropped"], r["lost"]) == (0, 0)
    what = {"enospc": "a full tmpfs (ENOSPC)", "fsize": "RLIMIT_FSIZE (EFBIG)"}[fault]
    results.append(
        Result(
            fault=f"Line cut by {what}, then the file {change}",
            setup=(
                f"default preset{', rotation=' + repr(rotation) if rotation != 'none' else ''}; "
                f"{r['sent'] - 300:,} records into the fault, the file {change} and space "
                "given back, 300 more"
            ),
            sent=r["sent"],
            written=len(seqs),
            dropped=r["dropped"],
            lost=r["lost"],
            note=(
                (
                    f"the write stopped inside a line ({size:,} B); the retry finished that "
                    "line in the old file (through its open descriptor), then wrote to the new "
                    "file"
                    if rotation == "none"
                    else f"the cut line's start was removed at once ({size:,} B, whole lines), "
                    "and the line written again whole"
                )
                + f": {len(old_records):,} + {len(new_records):,} records, every line of "
                "both files whole, none twice"
            ),
        )
    )


def test_cut_line_written_whole_when_the_old_file_cannot_take_it(
    tmp_path: Path, results: list[Result]
) -> None:
    """The old file cannot take the rest (RLIMIT_FSIZE stays) and was renamed: the whole
    line goes to the new file; the old one ends with the cut start, reported, and no record
    is lost or counted twice."""
    r, old, new, size, whole = run(tmp_path, "fsize", "renamed", "kept", "none", first=320, more=40)
    assert not whole
    assert not old.endswith(b"\n")
    complete, _, fragment = old.rpartition(b"\n")
    old_records = records_of(complete + b"\n", "the old file")
    new_records = records_of(new, "the new file")
    assert new.startswith(fragment), "the new file does not start with the cut line, whole"
    seqs = [int(rec["seq"]) for rec in old_records + new_records]
    assert seqs == list(range(r["sent"]))
    assert r["records_written"] == r["sent"]
    assert (r["dropped"], r["lost"]) == (0, 0)
    results.append(
        Result(
            fault="Line cut by RLIMIT_FSIZE (EFBIG), the file renamed, the limit kept",
            setup="default preset; 320 records into the fault, the file renamed, 40 more",
            sent=r["sent"],
            written=len(seqs),
            note=(
                f"the renamed file cannot take the rest of the cut line ({size:,} B, at the "
                "limit): the line is written whole to the new file, the old one keeps the "
                f"cut start ({len(fragment)} B, reported on stderr); new file whole, none twice"
            ),
        )
    )
