"""The delivery layer every network sink shares (``fastlog_core._network.delivery``): batches,
retries, Retry-After, 413 splits, refusals, loss notes, the queue bound, the spill across a
restart, shutdown, fork. Through a minimal protocol (NDJSON over HTTP) to the loopback
receiver, so what is proven here is the base's, whichever protocol runs on it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import fastlog_core
from fastlog_core import _diagnostics
from fastlog_core._network import NetworkSink
from fastlog_core._network.delivery import SLICE, paced
from fastlog_core._network.transport import HttpClient
from tests.helpers import child_env, finishes, wait_until
from tests.network.receiver import Receiver, Reply, Request


class Lines(NetworkSink):
    """The smallest protocol: a batch is one POST of its lines."""

    def __init__(self, url: str, **options: Any) -> None:
        self.client = HttpClient(url, timeout=options.pop("request_timeout", 5.0))
        options.setdefault("batch_records", 1000)
        options.setdefault("batch_bytes", "256 KiB")
        options.setdefault("batch_wait", 0.05)
        super().__init__(**options)

    def _send(self, lines: list[bytes]) -> None:
        self.client.post(b"\n".join(lines) + b"\n", content_type="application/x-ndjson").check()

    def _disconnect(self) -> None:
        self.client.close()

    def __repr__(self) -> str:
        return f"Lines({self.client.url!r})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def records(receiver: Receiver) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in receiver.lines()]


def seqs(receiver: Receiver) -> list[int]:
    return [r["i"] for r in records(receiver) if "i" in r]


def log_n(n: int, start: int = 0) -> None:
    log = fastlog_core.get_logger("net")
    for i in range(start, start + n):
        log.info("record", i=i)


def test_batches_by_count_then_flush_sends_the_rest(receiver: Receiver) -> None:
    sink = Lines(receiver.url + "/in?db=x", batch_records=10, batch_wait=30.0)
    fastlog_core.configure(sink=sink)
    log_n(35)
    assert fastlog_core.flush(timeout=30)
    sizes = [len(r.body.splitlines()) for r in receiver.requests]
    assert sum(sizes) == 35 and max(sizes) == 10, sizes
    assert seqs(receiver) == list(range(35))
    assert {r.path for r in receiver.requests} == {"/in?db=x"}  # query string kept
    stats = sink.delivery_stats()
    assert stats["sent"] == stats["delivered"] == 35
    assert stats["queued"] == stats["lost"] == stats["retried"] == 0


def test_batch_wait_sends_a_partial_batch_without_flush(receiver: Receiver) -> None:
    sink = Lines(receiver.url, batch_records=1000, batch_wait=0.05)
    fastlog_core.configure(sink=sink, flush_interval=0.01)
    log_n(3)
    receiver.wait_for(lambda requests: sum(len(r.body.splitlines()) for r in requests) == 3)
    assert seqs(receiver) == [0, 1, 2]


def test_batch_bytes_bounds_each_request(receiver: Receiver) -> None:
    sink = Lines(receiver.url, batch_records=100_000, batch_bytes=4096, batch_wait=30.0)
    fastlog_core.configure(sink=sink)
    log_n(500)
    assert fastlog_core.flush(timeout=30)
    assert all(len(r.body) <= 4096 for r in receiver.requests)
    assert seqs(receiver) == list(range(500))


def test_retry_after_is_honoured_then_delivered(receiver: Receiver) -> None:
    receiver.script = [Reply(429, b"slow down", {"Retry-After": "1"})]
    sink = Lines(receiver.url)
    fastlog_core.configure(sink=sink)
    log_n(20)
    receiver.wait_for(lambda requests: len(requests) == 1)
    wait_until(lambda: sink.delivery_stats()["delivered"] == 20)
    assert seqs(receiver) == list(range(20))
    # A lower bound, not a speed claim: the second attempt came after the server's 1 s.
    assert receiver.requests[0].at - receiver.refused[0].at >= 1.0
    stats = sink.delivery_stats()
    assert (stats["delivered"], stats["retried"], stats["failures"], stats["lost"]) == (
        20,
        20,
        1,
        0,
    )
    assert _diagnostics.counts()["network"] == 1


def test_a_400_is_not_retried_counted_lost_and_noted_in_the_stream(receiver: Receiver) -> None:
    receiver.script = [Reply(400, b'{"error":"field x: bad type"}')]
    sink = Lines(receiver.url)
    fastlog_core.configure(sink=sink)
    log_n(7)
    assert fastlog_core.flush(timeout=30)  # refused for good: nothing left to wait for
    assert len(receiver.refused) == 1 and receiver.requests == []
    log_n(1, start=7)
    assert fastlog_core.flush(timeout=30)
    got = records(receiver)
    note, last = got
    assert note["logger"] == "fastlog" and note["lost"] == 7
    assert (
        note["message"].startswith("7 records lost by Lines(")
        and "field x: bad type" in note["message"]
    )
    assert last["i"] == 7
    stats = fastlog_core.stats()
    assert stats["lost"] == 7 and stats["records_written"] == 1
    assert stats["records_written"] + stats["dropped"] + stats["lost"] == 8


def test_413_splits_the_batch_until_it_fits_and_a_line_too_large_is_lost(
    receiver: Receiver,
) -> None:
    def answer(request: Request) -> Reply:
        body = request.body
        if re.search(rb'"i":13\b', body) or body.count(b"\n") > 8:
            return Reply(413, b"request entity too large")
        return Reply(200)

    receiver.answer = answer
    sink = Lines(receiver.url, batch_records=64, batch_wait=30.0)
    fastlog_core.configure(sink=sink)
    log_n(40)
    assert fastlog_core.flush(timeout=30)
    got = seqs(receiver)
    assert got == [i for i in range(40) if i != 13]
    assert all(r.body.count(b"\n") <= 8 for r in receiver.requests)
    stats = sink.delivery_stats()
    assert (stats["delivered"], stats["lost"]) == (39, 1)
    assert fastlog_core.stats()["lost"] == 1


def test_connection_refused_then_the_server_comes_up() -> None:
    port = free_port()
    sink = Lines(f"http://127.0.0.1:{port}/")
    fastlog_core.configure(sink=sink)
    log_n(100)
    wait_until(lambda: sink.delivery_stats()["failures"] >= 2)
    receiver = Receiver(port=port)
    try:
        receiver.wait_for(lambda requests: sum(r.body.count(b"\n") for r in requests) == 100)
        assert seqs(receiver) == list(range(100))
    finally:
        receiver.close()


def test_a_server_that_never_answers_never_blocks_a_caller(receiver: Receiver) -> None:
    hang = Reply(before=lambda handler: receiver_hold.wait(30))
    import threading

    receiver_hold = threading.Event()
    receiver.script = [hang]
    sink = Lines(receiver.url, request_timeout=0.5)
    fastlog_core.configure(sink=sink)
    finishes(lambda: log_n(20_000), timeout=30)  # a liveness bound, not a speed one
    receiver.wait_for(lambda requests: sum(r.body.count(b"\n") for r in requests) == 20_000)
    receiver_hold.set()
    assert seqs(receiver) == list(range(20_000))
    assert sink.delivery_stats()["failures"] >= 1


def test_a_slow_destination_blocks_callers_without_drops_under_policy_block(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each request takes longer than the pipeline's stall limit (shortened here): a healthy
    destination, only slow. Under ``policy="block"`` the callers wait for it as for a slow
    disk: nothing is dropped, every record arrives in order. The pipeline does not count its
    writer as stuck while the sink's sender is working within its timeout."""
    import time

    from fastlog_core._pipeline import writer

    monkeypatch.setattr(writer, "STALL", 0.1)
    # The server's own latency (what is tested), not a synchronisation.
    receiver.default = Reply(before=lambda handler: time.sleep(0.4))
    sink = Lines(receiver.url, queue_bytes="4 KiB", batch_bytes="4 KiB", request_timeout=5.0)
    fastlog_core.configure(sink=sink, policy="block", capacity="4 KiB", max_record_bytes="1 KiB")
    log_n(200)  # about 14 KiB: more than the buffer and the queue hold, so callers wait
    assert fastlog_core.flush()
    stats = fastlog_core.stats()
    assert stats["dropped"] == 0, stats
    assert seqs(receiver) == list(range(200))
    assert sink.delivery_stats()["failures"] == 0


def test_destination_down_without_spill_counts_every_drop_exactly() -> None:
    sink = Lines(
        f"http://127.0.0.1:{free_port()}/",
        queue_bytes="64 KiB",
        batch_bytes="16 KiB",
        close_timeout=0.2,
    )
    fastlog_core.configure(sink=sink, policy="drop", capacity="256 KiB", max_record_bytes="16 KiB")
    log_n(30_000)
    assert not fastlog_core.shutdown(timeout=2)
    stats = fastlog_core.stats()
    delivery = stats["pipelines"][next(iter(stats["pipelines"]))]["sinks"][0]["delivery"]
    assert stats["dropped"] > 0 and delivery["delivered"] == 0
    assert stats["records_written"] + stats["dropped"] + stats["lost"] == 30_000
    assert delivery["sent"] == delivery["lost"] + delivery["delivered"] + delivery["queued"]


SPILL_CHILD = """
import sys
import fastlog_core
from tests.network.test_delivery import Lines, log_n
url, spill, start, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sink = Lines(url, spill=spill, queue_bytes="64 KiB", batch_bytes="16 KiB", close_timeout=0.2)
fastlog_core.configure(sink=sink, policy="block")
log_n(count, start=start)
ok = fastlog_core.shutdown(timeout=10)
s = sink.delivery_stats()
print(ok, s["sent"], s["spilled"], s["spill_pending"], s["lost"], fastlog_core.stats()["dropped"])
"""


def test_spill_survives_a_restart_and_is_delivered_first_in_order(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    down = f"http://127.0.0.1:{free_port()}/"
    out = subprocess.run(
        [sys.executable, "-c", SPILL_CHILD, down, str(spill), "0", "20000"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    # Everything went to disk, nothing dropped or lost, though the destination never answered.
    assert out == ["True", "20000", "20000", "20000", "0", "0"]
    receiver = Receiver()
    try:
        out = subprocess.run(
            [sys.executable, "-c", SPILL_CHILD, receiver.url, str(spill), "20000", "5"],
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.split()
        assert out[0] == "True" and out[3:] == ["0", "0", "0"]
        assert seqs(receiver) == list(range(20_005))  # the old ones first, then the new
    finally:
        receiver.close()
    assert [p.name for p in spill.iterdir()] == []  # delivered segments deleted


def test_spill_max_bounds_the_disk_then_the_policy_applies(tmp_path: Path) -> None:
    sink = Lines(
        f"http://127.0.0.1:{free_port()}/",
        spill=tmp_path / "spill",
        # Several of the writer's chunks (at most capacity each): a chunk is spilled whole or
        # not at all, so a spill_max of one capacity could refuse every one.
        spill_max="256 KiB",
        queue_bytes="16 KiB",
        batch_bytes="8 KiB",
        close_timeout=0.2,
    )
    fastlog_core.configure(sink=sink, policy="drop", capacity="64 KiB", max_record_bytes="8 KiB")
    # In rounds the writer takes whole until the spill is in use (logged at full speed, the
    # records after the writer's first chunk could all be dropped before it takes another),
    # then the rest at full speed: the spill fills, and the pipeline drops.
    logged = 0
    while not sink.delivery_stats()["spilled"]:
        assert logged < 10_000, "the spill was never used"
        log_n(500, logged)
        logged += 500
        wait_until(lambda: fastlog_core.stats()["queued_bytes"] == 0)
    log_n(10_000 - logged, logged)
    fastlog_core.shutdown(timeout=2)
    size = sum(p.stat().st_size for p in (tmp_path / "spill").rglob("*.seg"))
    assert 0 < size <= 256 * 1024
    stats = fastlog_core.stats()
    delivery = sink.delivery_stats()
    assert stats["dropped"] > 0
    assert stats["records_written"] + stats["dropped"] + stats["lost"] == 10_000
    assert delivery["sent"] == (
        delivery["delivered"] + delivery["lost"] + delivery["queued"] + delivery["spill_pending"]
    )


def test_shutdown_delivers_what_is_queued_within_close_timeout(receiver: Receiver) -> None:
    receiver.script = [Reply(503, headers={"Retry-After": "1"})]
    sink = Lines(receiver.url, close_timeout=5.0)
    fastlog_core.configure(sink=sink)
    log_n(5000)
    assert fastlog_core.shutdown(timeout=10)
    assert seqs(receiver) == list(range(5000))
    assert fastlog_core.stats()["lost"] == 0


def test_shutdown_counts_what_it_could_not_deliver_as_lost() -> None:
    sink = Lines(f"http://127.0.0.1:{free_port()}/", close_timeout=0.3)
    fastlog_core.configure(sink=sink)
    log_n(500)
    assert not fastlog_core.shutdown(timeout=5)
    stats = fastlog_core.stats()
    assert stats["lost"] == 500 and stats["records_written"] == 0
    assert sink.delivery_stats()["lost"] == 500


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_delivers_its_own_records_only(receiver: Receiver) -> None:
    sink = Lines(receiver.url)
    fastlog_core.configure(sink=sink)
    log_n(10)
    assert fastlog_core.flush(timeout=30)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            log_n(5, start=100)
            code = 0 if fastlog_core.flush(timeout=30) else 2
        finally:
            os._exit(code)
    log_n(5, start=10)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert fastlog_core.flush(timeout=30)
    got = seqs(receiver)
    assert sorted(got) == [*range(15), *range(100, 105)]
    assert sink.delivery_stats()["delivered"] == 15  # the parent's only


def test_bad_options_fail_at_configure_time_naming_the_option() -> None:
    with pytest.raises(fastlog_core.ConfigError, match="batch_records=0"):
        Lines("http://127.0.0.1:1/", batch_records=0)
    with pytest.raises(fastlog_core.ConfigError, match="queue_bytes"):
        Lines("http://127.0.0.1:1/", batch_bytes="1 MiB", queue_bytes="64 KiB")
    with pytest.raises(fastlog_core.ConfigError, match="timeout=-1"):
        Lines("http://127.0.0.1:1/", timeout=-1)
    with pytest.raises(fastlog_core.ConfigError, match="url='ftp://x'"):
        HttpClient("ftp://x")


# -- the sender's share of the GIL ------------------------------------------------------------


@given(
    st.lists(st.binary(min_size=0, max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=300)
)
def test_paced_yields_every_line_in_order_pausing_between_slices(lines: list[bytes]) -> None:
    pauses: list[int] = []
    seen: list[bytes] = []
    for line in paced(lines, lambda: pauses.append(len(seen))):
        seen.append(line)  # noqa: PERF402 (the pauses record how many came before)
    assert seen == lines
    # between slices only: never before the first line or after the last
    assert pauses == list(range(SLICE, len(lines), SLICE))
    assert list(paced(lines, None)) == lines


@given(
    st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=200),
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=1, max_value=4000),
)
@example([0, 0], 5, 1)  # every line fits only without the last line's newline
def test_batches_are_cut_as_the_one_line_at_a_time_rule_cuts_them(
    sizes: list[int], batch_records: int, batch_bytes: int
) -> None:
    """``_fitting`` (slices and C sums) cuts where adding lines one at a time would: at most
    batch_records, within batch_bytes counting a newline after each line, at least one."""
    sink = Lines("http://127.0.0.1:9/", batch_records=batch_records, batch_bytes=batch_bytes)
    lines = [b"x" * n for n in sizes]
    expected: list[list[bytes]] = []
    batch: list[bytes] = []
    size = 0
    for line in lines:
        if batch and (len(batch) >= batch_records or size + len(line) > batch_bytes):
            expected.append(batch)
            batch, size = [], 0
        batch.append(line)
        size += len(line) + 1
    expected.append(batch)
    try:
        assert sink._cut(lines) == expected
    finally:
        sink.close()


def test_a_batch_encoded_with_pauses_is_the_same_bytes(receiver: Receiver) -> None:
    """Each protocol's encoder writes the same bytes whether it pauses or not."""
    from fastlog_core._network.http import HTTPSink
    from fastlog_core._network.otlp import ProtobufEncoder
    from fastlog_core._network.syslog import SyslogFormat

    lines = [
        orjson.dumps(
            {
                "timestamp": f"2026-01-02T03:04:{i % 60:02d}.123456Z",
                "level": ["info", "warning", "error"][i % 3],
                "logger": f"app.{i % 4}",
                "message": "m" * (i % 50),
                "i": i,
            }
        )
        for i in range(5 * SLICE + 3)
    ]
    calls: list[int] = []

    def pause() -> None:
        calls.append(1)

    fmt = SyslogFormat(app_name=b"t", hostname=b"h")
    assert fmt.frame(lines, pause) == fmt.frame(lines)
    encoder = ProtobufEncoder({"service.name": "t"})
    assert encoder.encode(lines, 1, pause) == encoder.encode(lines, 1)
    loki = HTTPSink(receiver.url, format="loki")
    try:
        assert loki._format.body(lines, pause) == loki._format.body(lines)
    finally:
        loki.close()
    assert len(calls) == 3 * 5  # five pauses in each of the three
