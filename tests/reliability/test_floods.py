"""Floods: as many records as two threads can log, to a file, with each preset's policy.

``balanced`` (``block``) must write every record; ``fastest`` (``drop``) may drop but must count
each drop exactly and say so in the stream. Either way memory stays bounded by the buffer's
capacity, and every line in the file parses. 1M records per run; ``FASTLOG_SOAK=1``: 10M.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.reliability.conftest import (
    PEAK_RSS,
    SOAK,
    MiB,
    Result,
    check_rss,
    run_child,
)

RECORDS = 10_000_000 if SOAK else 1_000_000

CHILD_FLOOD = (
    PEAK_RSS
    + """
import sys, threading, time
import fastlog_core


path, preset, sent = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = {"capacity": sys.argv[4]} if len(sys.argv) > 4 else {}
fastlog_core.configure(sink=path, preset=preset, **options)
log = fastlog_core.get_logger("flood")
pipe = fastlog_core.get_pipeline(path)
log.info("warm-up")
assert fastlog_core.flush(timeout=10)
per_thread = sent // 2
ready = threading.Barrier(3)

def produce(t):
    info = log.info
    ready.wait()
    for i in range(per_thread):
        info("flood", t=t, i=i)

threads = [threading.Thread(target=produce, args=(t,)) for t in range(2)]
for thread in threads:
    thread.start()
rss_before = peak_rss()
ready.wait()
start = time.perf_counter()
for thread in threads:
    thread.join()
calls = time.perf_counter() - start
flushed = fastlog_core.flush(timeout=300)
total = time.perf_counter() - start
rss_after = peak_rss()
report(sent=2 * per_thread, calls_seconds=calls, total_seconds=total, flushed=flushed,
       rss_growth=rss_after - rss_before, capacity=pipe.settings.capacity,
       policy=pipe.settings.policy, notes=pipe._accounts.notes)
"""
)


def scan(path: Path, threads: int) -> tuple[list[int], int, int, int]:
    """Parse every line (a line that does not parse fails the test), without keeping them.

    Returns per thread the number of records, plus the drop notes, what they count as dropped,
    and the lines of other loggers. Each thread's records must be in the order it logged them.
    """
    counts = [0] * threads
    last = [-1] * threads
    notes = noted = other = 0
    with path.open("rb") as f:
        for number, line in enumerate(f, 1):
            assert line.endswith(b"\n"), f"line {number} is not whole"
            record = orjson.loads(line)
            if record["logger"] == "flood" and record["message"] == "flood":
                t, i = record["t"], record["i"]
                assert i > last[t], f"thread {t}: record {i} after {last[t]} (line {number})"
                last[t] = i
                counts[t] += 1
            elif record["logger"] == "fastlog":
                notes += 1
                noted += record["dropped"]
            else:
                other += 1
    return counts, notes, noted, other


@pytest.mark.parametrize(
    ("preset", "capacity"),
    [("balanced", None), ("fastest", None), ("balanced", "4 MiB"), ("fastest", "4 MiB")],
)
def test_flood(preset: str, capacity: str | None, tmp_path: Path, results: list[Result]) -> None:
    """Two threads flooding a file: exact accounting, bounded memory, every line parses.

    The preset's capacity, and a small one that the flood fills (where a buffer that grew by
    realloc cost 2.9x capacity in RSS).
    """
    path = tmp_path / "flood.log"
    args = [str(path), preset, str(RECORDS)] + ([capacity] if capacity else [])
    child = run_child(CHILD_FLOOD, *args, timeout=900 if SOAK else 180)
    r = child.report
    sent, dropped = r["sent"], r["dropped"]
    assert r["flushed"] is True
    counts, notes, noted, other = scan(path, 2)
    written = sum(counts)
    assert other == 1  # the warm-up line
    assert written + dropped == sent
    assert noted == dropped
    assert notes == r["notes"]
    assert r["records_written"] == written + other  # the drop notes are not records
    assert r["lost"] == 0
    assert r["errors"] == 0
    if r["policy"] == "block":
        assert dropped == 0
        assert counts == [sent // 2] * 2
    assert r["high_water_bytes"] <= r["capacity"]
    policy = r["policy"]
    results.append(
        Result(
            fault="Flood" + (" (soak)" if SOAK else ""),
            setup=(
                f"`{preset}` (policy={policy}, capacity {r['capacity'] // MiB} MiB), "
                f"{sent:,} records from 2 threads to a file"
            ),
            sent=sent,
            written=written,
            dropped=dropped,
            note=(
                f"{sent / r['calls_seconds']:,.0f} records/s logged, "
                f"{written / r['total_seconds']:,.0f} records/s written; "
                f"{r['blocked']:,} calls waited {r['blocked_seconds']:.2f} s in total; buffer "
                f"high water {r['high_water_bytes'] / MiB:.1f} MiB; peak RSS grew "
                f"{r['rss_growth'] / MiB:.1f} MiB; every line parses"
                + (f"; {notes} in-stream notes account for every drop" if dropped else "")
            ),
        )
    )
    check_rss(r)
