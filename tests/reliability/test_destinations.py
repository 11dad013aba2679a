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
    mounted_tmpfs,
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


# -- a destination that takes nothing: a FIFO nobody reads -------------------------------------


class LateReader(threading.Thread):
    """Reads nothing from the FIFO until *go* exists, then everything, to EOF."""

    def __init__(self, fd: int, go: Path) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.go = go
        self.data = bytearray()

    def run(self) -> None:
        with contextlib.suppress(AssertionError):
            wait_until(self.go.exists, timeout=120, message=str(self.go))
        os.set_blocking(self.fd, True)
        while chunk := os.read(self.fd, 1 << 20):
            self.data += chunk

    def lines(self) -> list[dict[str, Any]]:
        assert self.data == b"" or self.data.endswith(b"\n"), "a torn last line"
        return [orjson.loads(line) for line in bytes(self.data).splitlines()]


@contextlib.contextmanager
def unread_fifo(tmp_path: Path, go: Path | None = None) -> Iterator[LateReader | None]:
    """A FIFO at tmp_path/unread.fifo whose reader reads nothing (until *go* exists, with a
    ``LateReader``); the read end stays open, so the writer blocks instead of seeing EPIPE."""
    fifo = tmp_path / "unread.fifo"
    os.mkfifo(fifo)
    read_fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open() of the write end won't wait
    reader = LateReader(read_fd, go) if go is not None else None
    if reader is not None:
        reader.start()
    try:
        yield reader
    finally:
        if reader is not None:
            go.touch()  # type: ignore[union-attr]
            reader.join(30)
        os.close(read_fd)


CHILD_UNREAD_SHUTDOWN = """
import sys, threading, time
import fastlog_core

fifo, go = sys.argv[1], sys.argv[2]
fastlog_core.configure(sink=fifo, capacity="1 MiB", max_record_bytes=4096, flush_interval=0.01)
log = fastlog_core.get_logger("unread")
sent = 4_000  # ~680 KB: ten times what the pipe holds
for i in range(sent):
    log.info("r", seq=i, pad="u" * 64)
start = time.monotonic()
clean = fastlog_core.shutdown(timeout=0.5)
took = time.monotonic() - start
s = fastlog_core.stats()
at_shutdown = {k: s[k] for k in ("records_written", "dropped", "lost")}
# The reader starts now: the write the writer was stuck in completes, the writer ends.
open(go, "w").close()
for thread in threading.enumerate():
    if thread.name.startswith("fastlog-writer"):
        thread.join(60)
        assert not thread.is_alive(), "the writer never got out of its write"
report(sent=sent, clean=clean, took=took, at_shutdown=at_shutdown)
"""


def test_unread_fifo_shutdown_gives_up_and_counts(tmp_path: Path, results: list[Result]) -> None:
    """A FIFO nobody reads: shutdown(timeout=0.5) returns False in time and the stats add up
    exactly, the batch the stuck writer holds counted as lost; when the write completes
    after all, what it delivered moves from lost to written, exactly."""
    go = tmp_path / "go"
    with unread_fifo(tmp_path, go) as reader:
        assert reader is not None
        child = run_child(CHILD_UNREAD_SHUTDOWN, str(tmp_path / "unread.fifo"), str(go))
    r = child.report
    sent, at_shutdown = r["sent"], r["at_shutdown"]
    assert r["clean"] is False, "shutdown said everything was written"
    assert r["took"] < 3.0, "shutdown(timeout=0.5) took far longer than its timeout"
    assert at_shutdown["records_written"] + at_shutdown["dropped"] + at_shutdown["lost"] == sent
    assert at_shutdown["lost"] > 0
    assert "could not be written" in child.stderr
    # The stuck write completed once the reader came: exactly its records are now written.
    found = seqs(reader.lines())
    assert found == list(range(len(found)))
    assert len(found) == r["records_written"] > 0
    assert r["records_written"] + r["dropped"] + r["lost"] == sent
    results.append(
        Result(
            fault="Destination takes nothing (FIFO nobody reads): `shutdown(timeout=0.5)`",
            setup="default preset, capacity 1 MiB, 4,000 records (~680 KB; the pipe holds 64 KiB)",
            sent=sent,
            written=r["records_written"],
            dropped=r["dropped"],
            lost=r["lost"],
            note=(
                f"shutdown returned False after {r['took']:.2f} s; at that moment written "
                f"{at_shutdown['records_written']:,} + dropped {at_shutdown['dropped']:,} + lost "
                f"{at_shutdown['lost']:,} = sent (the stuck writer's batch counted as lost); a "
                f"reader then came, the stuck write completed, and its {len(found):,} records "
                "moved from lost to written"
            ),
        )
    )


CHILD_UNREAD_EXIT = """
import atexit, sys, time
import fastlog_core

def after_fastlog():  # registered before fastlog's exit hook, so it runs after it
    report(sent=sent, exit_seconds=time.monotonic() - ended)

atexit.register(after_fastlog)
fifo = sys.argv[1]
fastlog_core.configure(sink=fifo, capacity="1 MiB", max_record_bytes=4096, flush_interval=0.01)
log = fastlog_core.get_logger("unread")
sent = 4_000
for i in range(sent):
    log.info("r", seq=i, pad="u" * 64)
ended = time.monotonic()
"""


def test_unread_fifo_at_interpreter_exit(tmp_path: Path, results: list[Result]) -> None:
    """A FIFO nobody reads at interpreter exit: the exit hook gives up within its timeout,
    and the stats read after it add up exactly (the stuck batch counted as lost)."""
    with unread_fifo(tmp_path):
        child = run_child(CHILD_UNREAD_EXIT, str(tmp_path / "unread.fifo"), timeout=60)
    r = child.report
    assert r["records_written"] + r["dropped"] + r["lost"] == r["sent"]
    assert r["lost"] > 0
    assert r["exit_seconds"] < 5.0 + 5.0  # the exit hook's 5 s timeout, and some slack
    assert "could not be written" in child.stderr
    results.append(
        Result(
            fault="Destination takes nothing (FIFO nobody reads): interpreter exit",
            setup="default preset, capacity 1 MiB, 4,000 records, then the program ends",
            sent=r["sent"],
            written=r["records_written"],
            dropped=r["dropped"],
            lost=r["lost"],
            note=(
                f"the exit hook gave up after {r['exit_seconds']:.1f} s (its timeout: 5 s); "
                "everything unwritten counted as lost, the stuck writer's batch included, and "
                "reported on stderr"
            ),
        )
    )


CHILD_BLOCK_NO_TIMEOUT = """
import sys, time
import fastlog_core

fifo, go = sys.argv[1], sys.argv[2]
# balanced: policy="block", block_timeout=None
fastlog_core.configure(sink=fifo, capacity="64 KiB", max_record_bytes=4096, flush_interval=0.01)
log = fastlog_core.get_logger("stalled")
sent = 2_000  # ~340 KB: fills the pipe (64 KiB) and the buffer (64 KiB)
longest = 0.0
start = time.monotonic()
for i in range(sent):
    t = time.monotonic()
    log.info("r", seq=i, pad="b" * 64)
    longest = max(longest, time.monotonic() - t)
calls = time.monotonic() - start
s = fastlog_core.stats()
during = {k: s[k] for k in ("records_written", "dropped", "blocked")}
open(go, "w").close()  # the reader starts: the writer gets through and notes the drops
flushed = fastlog_core.flush(timeout=60)
report(sent=sent, longest=longest, calls=calls, during=during, flushed=flushed)
"""


def test_block_without_timeout_does_not_wait_on_a_stalled_writer(
    tmp_path: Path, results: list[Result]
) -> None:
    """policy=block, block_timeout=None, a FIFO nobody reads: the call that finds the buffer
    full returns once the writer has been stuck for writer.STALL (5 s), its record dropped;
    the drops are counted, and noted in the stream once the reader comes."""
    go = tmp_path / "go"
    with unread_fifo(tmp_path, go) as reader:
        assert reader is not None
        child = run_child(CHILD_BLOCK_NO_TIMEOUT, str(tmp_path / "unread.fifo"), str(go))
    r = child.report
    assert r["longest"] < 20.0, "a logging call waited far past the stall period"
    assert r["longest"] > 2.0, "a call should have waited until the writer was stuck for 5 s"
    during = r["during"]
    assert during["dropped"] > 0 and during["blocked"] > 0
    assert r["flushed"] is True
    records, notes = split(reader.lines())
    found = seqs(records)
    assert_exactly_once(found, len(found))  # no duplicates
    assert found == sorted(found)
    assert len(found) == r["records_written"]
    assert r["records_written"] + r["dropped"] == r["sent"]
    assert r["lost"] == 0
    assert sum(n["dropped"] for n in notes) == r["dropped"], "drops not noted in the stream"
    results.append(
        Result(
            fault="Destination takes nothing (FIFO reader absent, comes back later)",
            setup="policy=block, block_timeout=None, capacity 64 KiB, 2,000 records",
            sent=r["sent"],
            written=len(found),
            dropped=r["dropped"],
            note=(
                f"the longest call took {r['longest']:.1f} s: callers wait while the writer "
                "makes progress, and drop (counted) once one write has not returned for 5 s; "
                f"all {r['sent']:,} calls returned in {r['calls']:.1f} s; once the reader came, "
                f"{len(notes)} in-stream note(s) accounted for every drop"
            ),
        )
    )


CHILD_NON_DAEMON = """
import atexit, sys, threading, time
import fastlog_core

def after_fastlog():  # registered before fastlog's exit hook, so it runs after it
    report(sent=sent, exit_seconds=time.monotonic() - started)

atexit.register(after_fastlog)
fifo = sys.argv[1]
fastlog_core.configure(sink=fifo, capacity="64 KiB", max_record_bytes=4096, flush_interval=0.01)
log = fastlog_core.get_logger("worker")
sent = 2_000
started = time.monotonic()

def work():
    for i in range(sent):
        log.info("r", seq=i, pad="n" * 64)

threading.Thread(target=work, daemon=False).start()
# The main thread ends here; the interpreter waits for the worker before its exit hooks.
"""


def test_non_daemon_thread_logging_into_a_stalled_fifo_lets_the_process_exit(
    tmp_path: Path, results: list[Result]
) -> None:
    """A non-daemon thread that logs into a FIFO nobody reads (policy=block, no timeout) ends,
    and the process exits, within a bound; every record is counted."""
    with unread_fifo(tmp_path):
        child = run_child(CHILD_NON_DAEMON, str(tmp_path / "unread.fifo"), timeout=60)
    r = child.report
    assert r["exit_seconds"] < 30.0
    assert r["dropped"] > 0
    assert r["records_written"] + r["dropped"] + r["lost"] == r["sent"]
    results.append(
        Result(
            fault="Destination takes nothing: a non-daemon thread logs into it",
            setup="policy=block, block_timeout=None, capacity 64 KiB, 2,000 records",
            sent=r["sent"],
            written=r["records_written"],
            dropped=r["dropped"],
            lost=r["lost"],
            note=(
                f"the thread ended and the process exited {r['exit_seconds']:.1f} s after it "
                "started (5 s stall, then the exit hook's give-up); every record counted"
            ),
        )
    )


# -- fan-out: a full file system that recovers --------------------------------------------------


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for the test: a real file system that fills up (ENOSPC) and has
    space again once a file is removed. Mounting needs root (CI runs as root)."""
    with mounted_tmpfs(tmp_path / "small-fs", "256k") as mount:
        yield mount


CHILD_FAN_OUT_FULL = """
import os, sys
import fastlog_core
from tests.helpers import wait_until

full, elsewhere, mode = sys.argv[1], sys.argv[2], sys.argv[3]
a = os.path.join(full, "a.log")
b = os.path.join(full if mode == "both-full" else elsewhere, "b.log")
first = {"sink": a, "level": "info"} if mode == "one-full-filtered" else a
fastlog_core.configure(sink=[first, b], level="debug", capacity="64 KiB",
                       max_record_bytes=4096, flush_interval=0.01)
log = fastlog_core.get_logger("fan")
# Fill the file system: from now on every write to it fails with ENOSPC.
filler = os.path.join(full, "filler")
fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, b"x" * 512)
except OSError:
    pass
os.close(fd)
sent = 3_000  # ~510 KB: eight times the capacity
for i in range(sent):
    level = log.debug if mode == "one-full-filtered" and i % 4 == 0 else log.info
    level("r", seq=i, pad="p" * 64)
wait_until(lambda: fastlog_core.stats()["errors_by_kind"].get("sink", 0) >= 2,
           message="writes to the full file system failing")
flushed_full = fastlog_core.flush(timeout=0.5)
os.remove(filler)  # space again
recovered = wait_until(lambda: fastlog_core.flush(timeout=1), message="recovery")
(pipeline,) = fastlog_core.stats()["pipelines"].values()
report(sent=sent, flushed_full=flushed_full, recovered=recovered, sinks=pipeline["sinks"])
"""


@pytest.mark.parametrize("mode", ["both-full", "one-full", "one-full-filtered"])
def test_fan_out_full_file_system_recovers(
    mode: str, small_tmpfs: Path, tmp_path: Path, results: list[Result]
) -> None:
    """Two sinks, capacity 64 KiB, a real tmpfs that fills up then has space again.

    Both sinks on it: callers drop (counted, noted) while both fail, and after recovery every
    accepted record is in both files, none lost (a drop note once pushed the backlog past
    capacity, and trimming gave up a quarter of it). One sink on it, the other healthy: the
    failing one gives up its oldest records past capacity, counted as lost for it alone and
    told by a note in its own stream where they were. Per sink, exactly: sent = written +
    filtered + lost + dropped."""
    child = run_child(CHILD_FAN_OUT_FULL, str(small_tmpfs), str(tmp_path), mode, timeout=90)
    r = child.report
    sent, dropped = r["sent"], r["dropped"]
    assert r["flushed_full"] is False
    assert r["recovered"] is True
    paths = [small_tmpfs / "a.log", (small_tmpfs if mode == "both-full" else tmp_path) / "b.log"]
    streams = [split(read_lines(path)) for path in paths]
    if mode == "both-full":
        assert r["lost"] == 0, "accepted records given up although every sink was failing"
    else:
        _, notes = streams[0]
        told = sum(note.get("lost", 0) for note in notes)
        assert told > 0, "records given up without a note in that sink's stream"
    for (records, notes), sink in zip(streams, r["sinks"], strict=True):
        found = seqs(records)
        assert found == sorted(set(found)), "records duplicated or out of order"
        assert len(found) == sink["records_written"]
        assert sent == sink["records_written"] + sink["filtered"] + sink["lost"] + dropped
        assert sum(note.get("lost", 0) for note in notes) == sink["lost"]
        assert sum(note.get("dropped", 0) for note in notes) == dropped
    (a_records, _), (b_records, _) = streams
    a_sink, b_sink = r["sinks"]
    if mode == "both-full":
        assert seqs(a_records) == seqs(b_records)
        assert a_sink["lost"] == b_sink["lost"] == 0
    else:
        assert b_sink["lost"] == 0 and len(b_records) + dropped == sent
        assert a_sink["lost"] > 0
    if mode == "one-full-filtered":
        assert a_sink["filtered"] > 0
        assert {rec["level"] for rec in a_records} == {"info"}
    setup = {
        "both-full": "both sinks on the full file system",
        "one-full": "one sink on it, the other on a healthy disk",
        "one-full-filtered": "one sink on it (level=info, a quarter of the records debug), "
        "the other on a healthy disk",
    }[mode]
    results.append(
        Result(
            fault="Fan-out, full file system that recovers (tmpfs of 256 KiB, filled, then freed)",
            setup=f"{setup}; capacity 64 KiB, 3,000 records",
            sent=sent,
            written=a_sink["records_written"],
            dropped=dropped,
            lost=a_sink["lost"],
            note=(
                "figures of the sink on the full file system; "
                + (
                    "every accepted record written to both after recovery, none lost; drops "
                    "noted in both streams"
                    if mode == "both-full"
                    else f"the healthy sink got all {len(b_records):,} accepted records; the "
                    f"failing one gave up {a_sink['lost']:,} past capacity, told by notes in "
                    "its own stream where they were"
                )
                + "; per sink, sent = written + filtered + lost + dropped exactly"
            ),
        )
    )
