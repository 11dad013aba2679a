"""Destinations that fail or stall: a full disk, a file size limit, lost permissions, a deleted
file, a descriptor closed under the writer, a reader that stops reading.

Every failure is real and enforced by the kernel: ``/dev/full`` answers ``ENOSPC``,
``RLIMIT_FSIZE`` answers ``EFBIG``, a read-only directory answers ``EACCES`` to an unprivileged
user, a FIFO blocks its writer when the reader stops. Each scenario runs in its own child
process (``run_child``); the child logs numbered records, prints fastlog's counters, and the test
counts what reached the destination.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.helpers import read_lines, wait_until
from tests.reliability.conftest import (
    PEAK_RSS,
    Child,
    MiB,
    Result,
    check_rss,
    run_child,
)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX destinations")


def split(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The test's own records, and the lines fastlog wrote itself (drop notes)."""
    mine = [r for r in records if r["logger"] != "fastlog"]
    notes = [r for r in records if r["logger"] == "fastlog"]
    return mine, notes


def seqs(records: list[dict[str, Any]]) -> list[int]:
    return [r["seq"] for r in records if r["message"] == "r"]


def assert_exactly_once(found: list[int], sent: int) -> None:
    """Every sequence number 0..sent-1 present exactly once: nothing lost, nothing duplicated."""
    assert len(found) == sent, f"{len(found)} records for {sent} sent"
    assert sorted(found) == list(range(sent)), "records lost or duplicated"


# -- disk full -------------------------------------------------------------------------------------

CHILD_DEV_FULL = """
import sys, time
import fastlog_core

policy = sys.argv[1]
options = {"policy": policy}
if policy == "block":
    options["block_timeout"] = 0.2
fastlog_core.configure(sink="/dev/full", capacity="1 MiB", max_record_bytes=4096, **options)
log = fastlog_core.get_logger("full")
pipe = fastlog_core.get_pipeline("/dev/full")
sent = 20_000
peak = 0
start = time.monotonic()
for i in range(sent):
    log.info("r", seq=i, pad="x" * 64)
    if i % 128 == 0:
        peak = max(peak, pipe.stats()["queued_bytes"])
calls = time.monotonic() - start
peak = max(peak, pipe.stats()["queued_bytes"])
flushed = fastlog_core.flush(timeout=1)
clean = fastlog_core.shutdown(timeout=1)
report(sent=sent, calls_seconds=calls, peak_queued=peak, capacity=pipe.settings.capacity,
       flushed=flushed, clean=clean, notes=pipe._accounts.notes)
"""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("policy", ["drop", "block"])
def test_disk_full(policy: str, results: list[Result]) -> None:
    """ENOSPC on every write: calls return, the queue stays within capacity, all is counted."""
    child = run_child(CHILD_DEV_FULL, policy, timeout=60)
    r = child.report
    sent, written, dropped, lost = r["sent"], r["records_written"], r["dropped"], r["lost"]
    # Exact: fastlog's own drop notes (queued behind the records, unwritten too) are in
    # neither `lost` nor `records_written`.
    assert r["notes"] > 0
    assert written == 0
    assert sent == written + dropped + lost
    assert dropped > 0, "the buffer never filled"
    assert lost > 0, "nothing was held for retry"
    assert r["peak_queued"] <= r["capacity"]
    assert r["errors"] >= 1
    assert r["flushed"] is False  # flush never waits forever on a broken destination
    assert r["clean"] is False  # shutdown says something could not be written
    if policy == "block":
        # block_timeout bounds each wait; once the destination is known to fail, callers do
        # not wait at all (docs/architecture.md, "Capacity and backpressure").
        assert r["blocked_seconds"] <= r["blocked"] * (0.2 + 0.5)
    else:
        assert r["blocked"] == 0
    setup = "policy=drop" if policy == "drop" else "policy=block, block_timeout=0.2 s"
    results.append(
        Result(
            fault="Disk full (`/dev/full`: ENOSPC on every write)",
            setup=f"{setup}, capacity 1 MiB, 20,000 records from 1 thread",
            sent=sent,
            written=written,
            dropped=dropped,
            lost=lost,
            note=(
                f"calls kept returning ({r['calls_seconds']:.2f} s for all); queue peaked at "
                f"{r['peak_queued'] / MiB:.2f} MiB of 1 MiB; {r['blocked']} calls waited "
                f"{r['blocked_seconds']:.2f} s in total; {r['errors']} errors counted; the "
                f"records held for retry are counted as lost at shutdown, exactly (its "
                f"{r['notes']} drop notes, unwritten too, are not records)"
            ),
        )
    )


CHILD_DEV_FULL_MEMORY = (
    PEAK_RSS
    + """
import sys
import fastlog_core

fastlog_core.configure(sink="/dev/full", capacity="32 MiB", policy="drop", flush_interval=0.02)
log = fastlog_core.get_logger("full")
pipe = fastlog_core.get_pipeline("/dev/full")
sent = int(sys.argv[1])
rss_before = peak_rss()
for i in range(sent):
    log.info("r", seq=i, pad="x" * 64)
queued = pipe.stats()["queued_bytes"]
rss_after = peak_rss()
clean = fastlog_core.shutdown(timeout=1)  # what is held for retry is now counted as lost
report(sent=sent, queued=queued, rss_growth=rss_after - rss_before,
       capacity=pipe.settings.capacity, clean=clean)
"""
)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_disk_full_memory_at_a_larger_capacity(results: list[Result]) -> None:
    """ENOSPC until 32 MiB are held for retry: the backlog is the buffer's blocks, not a copy."""
    child = run_child(CHILD_DEV_FULL_MEMORY, "400000", timeout=120)
    r = child.report
    assert r["records_written"] == 0
    assert r["dropped"] > 0, "the buffer never filled"
    assert r["queued"] > r["capacity"] // 2
    assert r["queued"] <= r["capacity"]
    assert r["clean"] is False
    assert r["dropped"] + r["lost"] == r["sent"]  # the held records, lost at shutdown
    results.append(
        Result(
            fault="Disk full: memory with 32 MiB held for retry",
            setup="policy=drop, capacity 32 MiB, 400,000 records from 1 thread",
            sent=r["sent"],
            written=0,
            dropped=r["dropped"],
            lost=r["lost"],
            note=(
                f"{r['queued'] / MiB:.1f} MiB held for retry, counted as lost at shutdown; "
                f"peak RSS grew {r['rss_growth'] / MiB:.1f} MiB (the records held; no copy "
                "of them)"
            ),
        )
    )
    check_rss(r)


# -- a full disk that recovers ---------------------------------------------------------------------

CHILD_FSIZE = """
import os, resource, signal, sys
import fastlog_core
from tests.helpers import wait_until

path, limit = sys.argv[1], int(sys.argv[2])
# Past RLIMIT_FSIZE the kernel sends SIGXFSZ (default: kill); ignored, the write fails EFBIG.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
fastlog_core.configure(sink=path, flush_interval=0.02)
log = fastlog_core.get_logger("fsize")
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
sent = 5_000
for i in range(sent):
    log.info("r", seq=i, pad="f" * 80)
wait_until(lambda: fastlog_core.stats()["errors_by_kind"].get("sink", 0) >= 3,
           message="the writer reaching the limit (failed, retried, failed)")
size_limited = os.path.getsize(path)
flushed_limited = fastlog_core.flush(timeout=0.5)
queued_limited = fastlog_core.stats()["queued_bytes"]
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
recovered = wait_until(lambda: fastlog_core.flush(timeout=1), message="recovery with space again")
report(sent=sent, size_limited=size_limited, flushed_limited=flushed_limited,
       queued_limited=queued_limited, recovered=recovered,
       sink_errors=fastlog_core.stats()["errors_by_kind"].get("sink", 0))
"""


def test_file_size_limit_then_recovery(tmp_path: Path, results: list[Result]) -> None:
    """EFBIG past RLIMIT_FSIZE: records are kept; raising the limit writes each exactly once."""
    path = tmp_path / "app.log"
    limit = 64 * 1024
    child = run_child(CHILD_FSIZE, str(path), str(limit), timeout=90)
    r = child.report
    assert 0 < r["size_limited"] <= limit  # the kernel held the file at the limit
    assert r["flushed_limited"] is False
    assert r["queued_limited"] > 0
    assert r["recovered"] is True
    records = read_lines(path)  # whole, valid lines only: the line cut at the limit was completed
    found = seqs(records)
    assert found == list(range(r["sent"])), "lost, duplicated or reordered records"
    assert r["dropped"] == 0
    assert r["lost"] == 0
    data = path.read_bytes()
    cut_mid_line = data[r["size_limited"] - 1 : r["size_limited"]] != b"\n"
    results.append(
        Result(
            fault="Full disk that recovers (RLIMIT_FSIZE: EFBIG past 64 KiB, then raised)",
            setup="default preset, 5,000 records of ~150 B (~750 KB) logged while limited",
            sent=r["sent"],
            written=len(found),
            note=(
                f"file held at {r['size_limited']:,} B while limited "
                f"({'mid-line: the partial write was kept and completed' if cut_mid_line else 'on a line boundary'}); "  # noqa: E501
                f"{r['sink_errors']} failed writes retried with backoff; after the limit was "
                "raised every record arrived once, in order, no torn line"
            ),
        )
    )


# -- permission lost -------------------------------------------------------------------------------

NOBODY = 65534

CHILD_PERMISSION = """
import os, sys
import fastlog_core
from tests.helpers import wait_until  # before the switch of user, who may not read the tests

directory = sys.argv[1]
if os.geteuid() == 0:
    # Root ignores directory permissions: drop to nobody. (The interpreter's files are already
    # loaded: its installation may not be readable by that user.)
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
probe = os.path.join(directory, "probe")
os.mkdir(probe)
os.chmod(probe, 0o555)
try:
    with open(os.path.join(probe, "x"), "w"):
        pass
    restricted = False
except PermissionError:
    restricted = True
os.chmod(probe, 0o755)
if not restricted:
    os.remove(os.path.join(probe, "x"))
os.rmdir(probe)
if not restricted:
    report(skip="a read-only directory does not stop this user from creating files")
    sys.exit(0)

path = os.path.join(directory, "app.log")
fastlog_core.configure(sink=path, flush_interval=0.02)
log = fastlog_core.get_logger("perm")
before, after = 1_000, 1_000
for i in range(before):
    log.info("r", seq=i)
assert fastlog_core.flush(timeout=10)
os.rename(path, path + ".1")  # logrotate moves the file away...
os.chmod(directory, 0o555)  # ...and the directory is read-only: reopening fails with EACCES
for i in range(before, before + after):
    log.info("r", seq=i)
wait_until(lambda: fastlog_core.stats()["errors_by_kind"].get("sink", 0) >= 3,
           message="the writer trying to reopen")
flushed_denied = fastlog_core.flush(timeout=0.2)
created_denied = os.path.exists(path)
os.chmod(directory, 0o755)  # permission restored
recovered = wait_until(lambda: fastlog_core.flush(timeout=1), message="recovery with permission")
report(sent=before + after, before=before, uid=os.getuid(), flushed_denied=flushed_denied,
       created_denied=created_denied, recovered=recovered,
       sink_errors=fastlog_core.stats()["errors_by_kind"].get("sink", 0))
"""


@pytest.fixture
def shared_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory the child may own: as root, one in /tmp given to nobody (pytest's own
    temporary directories are private to root)."""
    if os.geteuid() != 0:
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="fastlog-perm-"))
    try:
        os.chown(path, NOBODY, NOBODY)
        yield path
    finally:
        path.chmod(stat.S_IRWXU)
        shutil.rmtree(path, ignore_errors=True)


def test_permission_lost_then_restored(shared_dir: Path, results: list[Result]) -> None:
    """EACCES on reopen after a logrotate-style move: kept, retried, then written exactly once."""
    child = run_child(CHILD_PERMISSION, str(shared_dir), timeout=90, check=False)
    if child.report.get("skip"):
        pytest.skip(child.report["skip"])
    if child.returncode != 0 and "Operation not permitted" in child.stderr:
        pytest.skip("cannot switch to an unprivileged user here")
    assert child.returncode == 0, child.stderr[-2000:]
    r = child.report
    assert r["uid"] != 0
    assert r["flushed_denied"] is False
    assert r["created_denied"] is False
    assert r["recovered"] is True
    old = seqs(read_lines(shared_dir / "app.log.1"))
    new = seqs(read_lines(shared_dir / "app.log"))
    assert old == list(range(r["before"]))
    assert new == list(range(r["before"], r["sent"]))
    assert r["dropped"] == 0
    assert r["lost"] == 0
    results.append(
        Result(
            fault="Permission lost (file moved away, directory made read-only: EACCES on reopen)",
            setup=(
                f"uid {r['uid']}, default preset, 1,000 records before the move and 1,000 "
                "while the directory is read-only, then its mode restored"
            ),
            sent=r["sent"],
            written=len(old) + len(new),
            note=(
                f"{r['sink_errors']} failed reopen attempts retried with backoff; the records "
                "logged meanwhile went to the recreated file once the mode was restored, in order"
            ),
        )
    )


# -- file deleted while logging --------------------------------------------------------------------

CHILD_DELETED = """
import os, sys, threading
import fastlog_core
from tests.helpers import wait_until

path, old_copy = sys.argv[1], sys.argv[2]
fastlog_core.configure(sink=path, flush_interval=0.01)
log = fastlog_core.get_logger("deleted")
sent = 60_000
third, deleted = threading.Event(), threading.Event()

def produce():
    for i in range(sent):
        log.info("r", seq=i, pad="d" * 40)
        if i == sent // 3:
            third.set()
        if i == sent // 2:  # the deletion comes while this thread is still logging
            assert deleted.wait(timeout=60), "the file was never deleted"

producer = threading.Thread(target=produce)
producer.start()
third.wait()
assert fastlog_core.flush(timeout=10)  # the first third is in the file
keep = os.open(path, os.O_RDONLY)  # the deleted file stays readable through this descriptor
os.unlink(path)
still_logging = producer.is_alive()
deleted.set()
producer.join()
wait_until(lambda: fastlog_core.flush(timeout=1), message="the records after the deletion")
with open(old_copy, "wb") as out:
    while chunk := os.read(keep, 1 << 20):
        out.write(chunk)
report(sent=sent, still_logging=still_logging)
"""


def test_file_deleted_while_logging(tmp_path: Path, results: list[Result]) -> None:
    """A file removed under the writer: the sink recreates it; old + new hold every record once."""
    path, old_copy = tmp_path / "app.log", tmp_path / "deleted-file-contents.log"
    child = run_child(CHILD_DELETED, str(path), str(old_copy), timeout=90)
    r = child.report
    old, new = seqs(read_lines(old_copy)), seqs(read_lines(path))
    assert r["still_logging"] is True, "the deletion happened after the last record"
    assert old, "nothing was written before the deletion"
    assert new, "the sink did not recreate the file"
    assert max(old) < min(new), "a record before the deletion landed in the new file"
    assert_exactly_once(old + new, r["sent"])
    assert r["errors"] == 0  # a removed file is noticed by the path check, not by a failure
    assert r["dropped"] == 0
    assert r["lost"] == 0
    results.append(
        Result(
            fault="Log file deleted while logging",
            setup="default preset, 60,000 records from a thread; `unlink` after the first third",
            sent=r["sent"],
            written=len(old) + len(new),
            note=(
                f"{len(old):,} records in the deleted file (read through a descriptor kept "
                f"open), {len(new):,} in the file the sink recreated; none lost, none twice, "
                "no error"
            ),
        )
    )


# -- descriptor closed under the writer ------------------------------------------------------------

CHILD_CLOSED_FD = """
import os, sys, threading
import fastlog_core
from tests.helpers import wait_until

path = sys.argv[1]
fastlog_core.configure(sink=path, flush_interval=0.01)
log = fastlog_core.get_logger("closed")
sink = fastlog_core.get_pipeline(path).sinks[0]
sent, closes = 40_000, 5

def sink_errors():
    return fastlog_core.stats()["errors_by_kind"].get("sink", 0)

closed = [0]
step = (sent - 1) // (closes + 1)

def produce():
    for i in range(sent - 1):
        log.info("r", seq=i, pad="c" * 40)
        if i % step == step - 1 and i // step < closes:
            # The closes are spread over the run: the next part is logged after the next close.
            wait_until(lambda: closed[0] > i // step, message="the next close")

def close_under_writer():
    for k in range(closes):
        # Wait until the previous close was noticed (EBADF) and the file reopened; nothing
        # else in this process opens files, so the descriptor number is the sink's.
        wait_until(lambda: sink_errors() >= k and sink._fd is not None,
                   message=f"close {k} noticed and the file reopened")
        os.close(sink._fd)
        closed[0] += 1

threads = [threading.Thread(target=produce), threading.Thread(target=close_under_writer)]
for t in threads:
    t.start()
for t in threads:
    t.join()
log.info("r", seq=sent - 1, pad="last")  # a write after the last close
wait_until(lambda: fastlog_core.flush(timeout=1), message="recovery from EBADF")
report(sent=sent, closes=closes, sink_errors=sink_errors())
"""


def test_descriptor_closed_under_the_writer(tmp_path: Path, results: list[Result]) -> None:
    """``os.close`` of the sink's descriptor from another thread: EBADF, reopen, exact totals."""
    path = tmp_path / "app.log"
    child = run_child(CHILD_CLOSED_FD, str(path), timeout=90)
    r = child.report
    found = seqs(read_lines(path))
    assert found == list(range(r["sent"])), "lost, duplicated or reordered records"
    assert r["sink_errors"] == r["closes"]  # one EBADF per close, each healed by one reopen
    assert r["dropped"] == 0
    assert r["lost"] == 0
    results.append(
        Result(
            fault="Descriptor closed under the writer (`os.close` from another thread)",
            setup="default preset, 40,000 records from a thread, the sink's fd closed 5 times",
            sent=r["sent"],
            written=len(found),
            note=(
                f"{r['sink_errors']} EBADF errors, each healed by a reopen on the retry; every "
                "record written once, in order"
            ),
        )
    )


# -- stalled destination ---------------------------------------------------------------------------

PAUSE = 3.0  # seconds the FIFO's reader stops reading

CHILD_STALL = (
    PEAK_RSS
    + """
import sys, threading, time
import fastlog_core

fifo, policy, capacity, per_thread = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
calls_done = sys.argv[5]
fastlog_core.configure(sink=fifo, capacity=capacity, wake_bytes="256 KiB", max_record_bytes=4096,
                       policy=policy)
log = fastlog_core.get_logger("stall")
pipe = fastlog_core.get_pipeline(fifo)
log.info("start")
assert fastlog_core.flush(timeout=30)  # the reader has this line; now it stops reading

def produce(t):
    for i in range(per_thread):
        log.info("r", seq=t * per_thread + i, pad="s" * 64)

rss_before = peak_rss()
threads = [threading.Thread(target=produce, args=(t,)) for t in range(2)]
start = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
calls = time.monotonic() - start
open(calls_done, "w").close()  # the test's reader can tell whether it was still stalled
flushed = fastlog_core.flush(timeout=60)
rss_after = peak_rss()
report(sent=2 * per_thread, calls_seconds=calls, flushed=flushed, notes=pipe._accounts.notes,
       rss_growth=rss_after - rss_before, capacity=pipe.settings.capacity)
"""
)


class FifoReader(threading.Thread):
    """Reads the FIFO: up to the first line, then nothing for PAUSE seconds, then to EOF.

    With *until* (drop: the callers must not wait for it), the stall also lasts until that file
    exists, 60 s at most; ``until_seen`` says whether it did before the reader went on.
    """

    def __init__(self, fd: int, until: Path | None = None) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.until = until
        self.until_seen = False
        self.data = bytearray()

    def run(self) -> None:
        while b"\n" not in self.data:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return
            self.data += chunk
        time.sleep(PAUSE)  # the stall under test
        if self.until is not None:
            until = self.until
            with contextlib.suppress(AssertionError):
                wait_until(until.exists, timeout=60, message=str(until))
            self.until_seen = until.exists()
        while chunk := os.read(self.fd, 1 << 20):
            self.data += chunk


def run_stalled(
    tmp_path: Path, policy: str, capacity: str = "4 MiB", per_thread: int = 50_000
) -> tuple[Child, list[dict[str, Any]]]:
    fifo = tmp_path / "stalled.fifo"
    os.mkfifo(fifo)
    # The test's reader opens first (non-blocking, or open() would wait for a writer), and
    # holds a write end of its own so that reads block instead of seeing EOF until the child
    # is done.
    read_fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    hold_fd = os.open(fifo, os.O_WRONLY)
    os.set_blocking(read_fd, True)
    calls_done = tmp_path / "calls-done"
    reader = FifoReader(read_fd, until=calls_done if policy == "drop" else None)
    reader.start()
    try:
        child = run_child(
            CHILD_STALL, str(fifo), policy, capacity, str(per_thread), str(calls_done), timeout=120
        )
    finally:
        os.close(hold_fd)
        reader.join(30)
        os.close(read_fd)
    assert not reader.is_alive()
    assert reader.data.endswith(b"\n")
    lines = [orjson.loads(line) for line in bytes(reader.data).splitlines()]
    assert lines[0]["message"] == "start"
    if policy == "drop":  # the callers did not wait for the reader: done while it was stalled
        assert reader.until_seen, "the callers waited for the stalled reader"
    return child, lines[1:]


def test_stalled_reader_block(tmp_path: Path, results: list[Result]) -> None:
    """A reader that stops for 3 s, policy=block: callers wait (counted), nothing is lost."""
    child, lines = run_stalled(tmp_path, "block")
    r = child.report
    records, notes = split(lines)
    found = seqs(records)
    assert r["flushed"] is True
    assert r["blocked"] > 0
    assert r["blocked_seconds"] > 0
    assert r["dropped"] == 0
    assert r["lost"] == 0
    assert not notes
    assert_exactly_once(found, r["sent"])
    per_thread = r["sent"] // 2
    for t in range(2):  # each thread's records in the order it logged them
        mine = [s for s in found if s // per_thread == t]
        assert mine == sorted(mine)
    assert r["high_water_bytes"] <= r["capacity"]
    check_rss(r)
    results.append(
        Result(
            fault="Destination stalls (FIFO reader stops reading for 3 s)",
            setup="policy=block, capacity 4 MiB, 100,000 records from 2 threads",
            sent=r["sent"],
            written=len(found),
            note=(
                f"{r['blocked']:,} calls waited, {r['blocked_seconds']:.1f} s in total; buffer "
                f"high water {r['high_water_bytes'] / MiB:.2f} MiB; peak RSS grew "
                f"{r['rss_growth'] / MiB:.1f} MiB; nothing dropped or lost"
            ),
        )
    )


def test_stalled_reader_drop(tmp_path: Path, results: list[Result]) -> None:
    """The same stall, policy=drop: callers never wait, drops are counted and noted in-stream."""
    child, lines = run_stalled(tmp_path, "drop")
    r = child.report
    records, notes = split(lines)
    found = seqs(records)
    assert r["flushed"] is True
    assert r["blocked"] == 0
    # The callers did not wait for the reader: run_stalled checks they were done during the stall.
    assert r["dropped"] > 0
    assert r["lost"] == 0
    assert len(found) + r["dropped"] == r["sent"]
    assert len(set(found)) == len(found)
    assert notes, "no note of the drops in the stream"
    assert all("records dropped" in n["message"] for n in notes)
    assert sum(n["dropped"] for n in notes) == r["dropped"]
    assert len(notes) == r["notes"]
    assert r["high_water_bytes"] <= r["capacity"]
    check_rss(r)
    results.append(
        Result(
            fault="Destination stalls (FIFO reader stops reading for 3 s)",
            setup="policy=drop, capacity 4 MiB, 100,000 records from 2 threads",
            sent=r["sent"],
            written=len(found),
            dropped=r["dropped"],
            note=(
                f"no call waited (all {r['sent']:,} in {r['calls_seconds']:.2f} s); "
                f"{len(notes)} in-stream note(s) account for every drop; buffer high water "
                f"{r['high_water_bytes'] / MiB:.2f} MiB; peak RSS grew "
                f"{r['rss_growth'] / MiB:.1f} MiB"
            ),
        )
    )


@pytest.mark.parametrize("policy", ["block", "drop"])
def test_stalled_reader_memory_at_a_larger_capacity(
    policy: str, tmp_path: Path, results: list[Result]
) -> None:
    """The stall with a 32 MiB buffer filled: peak RSS stays within capacity + RSS_SLACK."""
    child, lines = run_stalled(tmp_path, policy, capacity="32 MiB", per_thread=150_000)
    r = child.report
    records, _ = split(lines)
    found = seqs(records)
    assert r["flushed"] is True
    assert len(found) + r["dropped"] == r["sent"]
    assert r["high_water_bytes"] > r["capacity"] // 2, "the buffer never filled"
    results.append(
        Result(
            fault="Destination stalls: memory with a full 32 MiB buffer",
            setup=f"policy={policy}, capacity 32 MiB, 300,000 records from 2 threads",
            sent=r["sent"],
            written=len(found),
            dropped=r["dropped"],
            note=(
                f"buffer high water {r['high_water_bytes'] / MiB:.1f} MiB, peak RSS grew "
                f"{r['rss_growth'] / MiB:.1f} MiB (the buffer, taken by the writer without a copy)"
            ),
        )
    )
    check_rss(r)
