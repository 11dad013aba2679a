"""Sustained delivery of SyslogSink over TCP: to a real rsyslog, and to a receiver that only
reads (the sink's own ceiling).

One process logs N records (native API, the benchmarks' record) as fast as it can; the clock
stops when ``fastlog_core.flush()`` returns (every record delivered: in the receiver's socket)
and, for rsyslog, when its output file holds every record (received, parsed by mmjsonparse,
written: ``tests/network/rsyslog.py``'s configuration). Issue 19's target: >= 200k records/s to
rsyslog over TCP, one process, 2 cores.

    python benchmarks/bench_syslog.py              # 1M records, 3 rounds
    python benchmarks/bench_syslog.py --quick      # 100k records, 1 round
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

MESSAGE = "user logged in"
IP = "10.0.0.1"

_CHILD = textwrap.dedent(
    """
    import sys, time
    import fastlog_core
    from fastlog_core._network.syslog import SyslogSink

    url, count = sys.argv[1], int(sys.argv[2])
    sink = SyslogSink(url, app_name="bench")
    fastlog_core.configure(sink=sink, level="info")
    log = fastlog_core.get_logger("bench")
    start = time.perf_counter()
    cpu = time.process_time()
    for i in range(count):
        log.info("user logged in", user_id=i, ip="10.0.0.1", ok=True)
    logged = time.perf_counter()
    fastlog_core.flush()
    done = time.perf_counter()
    stats = sink.delivery_stats()
    assert stats["delivered"] == count and stats["lost"] == 0, stats
    print(start, logged - start, done - start, time.process_time() - cpu, time.time())
    """
)

_DISCARD = textwrap.dedent(
    """
    import socket, sys
    server = socket.create_server(("127.0.0.1", 0))
    print(server.getsockname()[1], flush=True)
    conn, _ = server.accept()
    total = 0
    while data := conn.recv(1 << 20):
        total += len(data)
    print(total, flush=True)
    """
)


def _run(url: str, count: int) -> tuple[float, float, float, float]:
    """One child process logging *count* records to *url*: (wall clock at its start, seconds
    to log, seconds to delivered, CPU seconds)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(count)],
        env=env,
        capture_output=True,
        check=True,
        timeout=600,
    ).stdout.split()
    _, logged, delivered, cpu, wall_end = map(float, out)
    return wall_end - delivered, logged, delivered, cpu


def _lines(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def main() -> None:
    quick = "--quick" in sys.argv
    count = 100_000 if quick else 1_000_000
    rounds = 1 if quick else 3
    from fastlog_core._network.syslog import SyslogFormat

    line = (
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"info","logger":"bench",'
        b'"message":"user logged in","user_id":123456,"ip":"10.0.0.1","ok":true}'
    )
    size = len(
        SyslogFormat(app_name=b"bench", hostname=socket.gethostname().encode()).frame([line])
    )
    print(f"{count} records a round, {size} bytes each on the wire (octet-counted RFC 5424)")

    from tests.network.rsyslog import running_rsyslog

    for round_ in range(rounds):
        proc = subprocess.Popen([sys.executable, "-c", _DISCARD], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        _, logged, delivered, cpu = _run(f"tcp://127.0.0.1:{port}", count)
        received = int(proc.stdout.readline())
        proc.wait()
        print(
            f"round {round_ + 1}  discard receiver: {count / delivered / 1e3:6.0f}k records/s "
            f"{received / delivered / 1e6:6.1f} MB/s delivered "
            f"(logging calls {count / logged / 1e3:.0f}k/s, process CPU {cpu:.2f} s)"
        )
        with tempfile.TemporaryDirectory() as tmp, running_rsyslog(Path(tmp)) as rsyslog:
            started, logged, delivered, cpu = _run(rsyslog.url("tcp"), count)
            out = rsyslog.out / "bench.jsonl"
            while _lines(out) < count:
                time.sleep(0.01)  # polling rsyslog's output file
            written = time.time() - started
            print(
                f"round {round_ + 1}  rsyslog (tcp):    {count / delivered / 1e3:6.0f}k records/s "
                f"{count * size / delivered / 1e6:6.1f} MB/s delivered, "
                f"{count / written / 1e3:.0f}k records/s written by rsyslog "
                f"(logging calls {count / logged / 1e3:.0f}k/s, process CPU {cpu:.2f} s)"
            )


if __name__ == "__main__":
    main()
