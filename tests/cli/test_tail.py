"""``fastlog tail -f``: the real console script following files while real writer processes log
and rotate them (fastlog's FileSink renaming and compressing, logrotate's copytruncate, a second
writer's file appearing under a pattern).

The script's stdout lines are read by a thread; the tests wait until every record has been
printed (never on a sleep), then interrupt it. Rendering details are not asserted here (the view
tests do): each record's line carries ``seq=<n>``, and the sequence of those is asserted exactly.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import wait_until
from tests.read.test_follow import Writer, rotated_files

from .helpers import run_fastlog, write_with

SRC = Path(__file__).resolve().parents[2] / "src"
FASTLOG = Path(sys.executable).with_name("fastlog")
SEQ = re.compile(r"\bseq=(\d+)\b")
ROUND = 20  # records per round: under the rotation size, so at most one rotation a round


class Tail:
    """``fastlog tail ...`` in a subprocess; its output lines collected by threads."""

    def __init__(self, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
        env.update(PYTHONPATH=path, TZ="UTC", COLUMNS="100")
        self.process = subprocess.Popen(
            [str(FASTLOG), "tail", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        assert self.process.stdout is not None and self.process.stderr is not None
        self._threads = [
            threading.Thread(target=self._collect, args=(self.process.stdout, self.out)),
            threading.Thread(target=self._collect, args=(self.process.stderr, self.err)),
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _collect(stream: object, into: list[str]) -> None:
        into.extend(iter(stream.readline, ""))  # type: ignore[attr-defined]

    def seqs(self) -> list[int]:
        return [int(m.group(1)) for line in list(self.out) if (m := SEQ.search(line))]

    def wait_records(self, n: int) -> None:
        def enough() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"fastlog tail exited {self.process.returncode}: {self.err}")
            return len(self.seqs()) >= n

        wait_until(enough, message=f"{n} records printed by fastlog tail")

    def interrupt(self) -> int:
        """Ctrl-C: the exit status (130, no traceback)."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=60)
        for t in self._threads:
            t.join(timeout=60)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=60)
        for t in self._threads:
            t.join(timeout=60)


@pytest.fixture
def started() -> Iterator[tuple[list[Writer], list[Tail]]]:
    writers: list[Writer] = []
    tails: list[Tail] = []
    yield writers, tails
    for tail in tails:
        tail.kill()
    for w in writers:
        if w.process.poll() is None:
            w.process.kill()
        w.process.wait(timeout=60)


def finish(tail: Tail) -> None:
    """Interrupt *tail* and check it ended as Ctrl-C should: 130, no traceback."""
    assert tail.interrupt() == 130
    assert not any("Traceback" in line for line in tail.err), tail.err


def test_follows_fastlog_rotation(tmp_path: Path, started: tuple[list[Writer], list[Tail]]) -> None:
    """-n 3 then every record once, in order, while the FileSink rotates every 8 KB and
    compresses the rotated files."""
    writers, tails = started
    path = tmp_path / "app.log"
    writer = Writer(path, rotation="8 KB", compression="gz")
    writers.append(writer)
    writer.command("log 0 10")
    tail = Tail("-f", "-n", "3", "--color", "never", str(path))
    tails.append(tail)
    tail.wait_records(3)
    rounds = 12
    for r in range(rounds):
        writer.command(f"log {10 + r * ROUND} {10 + (r + 1) * ROUND}")
        tail.wait_records(3 + (r + 1) * ROUND)
    writer.close()
    finish(tail)
    assert tail.seqs() == list(range(7, 10 + rounds * ROUND))
    assert all("tick" in line for line in tail.out if "seq=" in line)
    assert len(rotated_files(tmp_path)) >= 3


def test_follows_copytruncate(tmp_path: Path, started: tuple[list[Writer], list[Tail]]) -> None:
    """logrotate's copytruncate: the records after each truncation, none twice, none lost,
    and a notice on stderr."""
    writers, tails = started
    path = tmp_path / "app.log"
    writer = Writer(path)
    writers.append(writer)
    writer.command("log 0 30")
    tail = Tail("-f", "-n", "1", "--color", "never", str(path))
    tails.append(tail)
    tail.wait_records(1)
    n = 30
    for _ in range(3):
        writer.command("copytruncate")
        truncations = sum("truncated" in line for line in tail.err)
        wait_until(
            lambda: sum("truncated" in line for line in tail.err) > truncations,  # noqa: B023
            message="the truncation noticed on stderr",
        )
        writer.command(f"log {n} {n + 25}")
        n += 25
        tail.wait_records(1 + n - 30)
    writer.close()
    finish(tail)
    assert tail.seqs() == list(range(29, n))
    assert sum("truncated" in line for line in tail.err) == 3


def test_pattern_follows_new_files(
    tmp_path: Path, started: tuple[list[Writer], list[Tail]]
) -> None:
    """A quoted pattern: a file created later by a second writer is followed from its start."""
    writers, tails = started
    logs = tmp_path / "logs"
    first = Writer(logs / "a.log")
    writers.append(first)
    first.command("log 0 5")
    tail = Tail("-f", "-n", "2", "--color", "never", str(logs / "*.log"))
    tails.append(tail)
    tail.wait_records(2)
    second = Writer(logs / "b.log")
    writers.append(second)
    second.command("log 1000 1030")
    tail.wait_records(32)
    first.command("log 5 10")
    tail.wait_records(37)
    first.close()
    second.close()
    finish(tail)
    assert tail.seqs() == [3, 4, *range(1000, 1030), *range(5, 10)]


def test_without_follow_prints_the_last_lines(
    tmp_path: Path, started: tuple[list[Writer], list[Tail]]
) -> None:
    """Without -f: the last N records, then exit 0."""
    writers, tails = started
    path = tmp_path / "app.log"
    writer = Writer(path)
    writers.append(writer)
    writer.command("log 0 10")
    writer.close()
    tail = Tail("-n", "3", "--color", "never", str(path))
    tails.append(tail)
    assert tail.process.wait(timeout=60) == 0
    for t in tail._threads:
        t.join(timeout=60)
    assert tail.seqs() == [7, 8, 9]
    assert len(tail.out) == 3


def test_filters_apply_while_following(
    tmp_path: Path, started: tuple[list[Writer], list[Tail]]
) -> None:
    """-l warning: only the warnings, at the start and as they are written."""
    writers, tails = started
    path = tmp_path / "app.log"
    writer = Writer(path, rotation="8 KB")
    writers.append(writer)
    writer.command("log 0 5")
    writer.command("warn 5 8")
    tail = Tail("-f", "-n", "100", "-l", "warning", "--color", "never", str(path))
    tails.append(tail)
    tail.wait_records(3)
    for r in range(6):  # rotations among them
        writer.command(f"log {100 + r * ROUND} {100 + (r + 1) * ROUND - 2}")
        writer.command(f"warn {100 + (r + 1) * ROUND - 2} {100 + (r + 1) * ROUND}")
        tail.wait_records(3 + (r + 1) * 2)
    writer.close()
    finish(tail)
    expected = [5, 6, 7, *(s for r in range(6) for s in (118 + r * ROUND, 119 + r * ROUND))]
    assert tail.seqs() == expected
    assert len(rotated_files(tmp_path)) >= 1


def test_text_lines_follow_their_record(
    tmp_path: Path, started: tuple[list[Writer], list[Tail]]
) -> None:
    """Lines a library prints after a record are shown with it and hidden with it, at the
    start and while following; -f with a short --interval."""
    writers, tails = started
    path = tmp_path / "app.log"
    writer = Writer(path)
    writers.append(writer)
    writer.command("text 0 1")  # before any record: hidden under a filter
    writer.command("warn 0 1")
    writer.command("text 1 3")
    writer.command("log 1 2")
    writer.command("text 3 4")
    tail = Tail(
        "-f", "--interval", "0.02", "-n", "100", "-l", "warning", "--color", "never", str(path)
    )
    tails.append(tail)
    tail.wait_records(1)
    wait_until(lambda: len(tail.out) >= 3, message="the warning's text lines")
    writer.command("log 2 3")
    writer.command("text 4 6")
    writer.command("warn 3 4")
    writer.command("text 6 7")
    tail.wait_records(2)
    wait_until(lambda: len(tail.out) >= 5, message="the second warning's text line")
    writer.close()
    finish(tail)
    texts = [line if "seq" not in line else SEQ.search(line).group(0) for line in tail.out]
    assert texts == ["seq=0", "text 1\n", "text 2\n", "seq=3", "text 6\n"]


def test_interval_must_be_positive(tmp_path: Path) -> None:
    """--interval 0 or less (or not a number): a usage error naming the option."""
    path = tmp_path / "app.log"
    path.write_text("")
    for value, message in (
        ("0", "fastlog: error: --interval 0: expected seconds, more than 0\n"),
        ("-1", "fastlog: error: --interval -1: expected seconds, more than 0\n"),
        ("nan", "fastlog: error: --interval nan: expected seconds, more than 0\n"),
    ):
        result = run_fastlog("tail", "-f", f"--interval={value}", str(path))
        assert (result.returncode, result.stdout, result.stderr) == (2, "", message)
    bad = run_fastlog("tail", "--interval", "soon", str(path))
    assert bad.returncode == 2
    assert bad.stderr.endswith("argument --interval: invalid float value: 'soon'\n")


def test_start_lines_of_several_files_merge_by_time(tmp_path: Path) -> None:
    """-n N of each file, merged by time (as view merges), then exit 0."""
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    for path, second, seq in ((a, 0, 0), (b, 1, 1), (a, 2, 2), (b, 3, 3), (a, 4, 4)):
        write_with(
            f"""
            import fastlog_core
            fastlog_core.configure(sink={str(path)!r}, level="debug")
            fastlog_core.get_logger({path.stem!r}).info("tick", seq={seq})
            fastlog_core.shutdown()
            """,
            f"2026-12-07T10:00:0{second}+00:00",
        )
    result = run_fastlog("tail", "-n", "2", "--color", "never", str(a), str(b))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "10:00:01.000000 INFO     b  tick  seq=1\n"
        "10:00:02.000000 INFO     a  tick  seq=2\n"
        "10:00:03.000000 INFO     b  tick  seq=3\n"
        "10:00:04.000000 INFO     a  tick  seq=4\n"
    )
    # A pattern too; -n 1 of each.
    result = run_fastlog("tail", "-n", "1", "--color", "never", str(tmp_path / "*.log"))
    assert result.stdout == (
        "10:00:03.000000 INFO     b  tick  seq=3\n10:00:04.000000 INFO     a  tick  seq=4\n"
    )


def test_follow_starts_with_the_merged_start_lines(
    tmp_path: Path, started: tuple[list[Writer], list[Tail]]
) -> None:
    """-f on two files: the start lines merged by time, then new lines as they come."""
    writers, tails = started
    first, second = Writer(tmp_path / "a.log"), Writer(tmp_path / "b.log")
    writers.extend((first, second))
    first.command("log 0 1")
    second.command("log 1 2")
    first.command("log 2 3")
    second.command("log 3 4")
    tail = Tail(
        "-f", "-n", "2", "--color", "never", str(tmp_path / "a.log"), str(tmp_path / "b.log")
    )
    tails.append(tail)
    tail.wait_records(4)
    second.command("log 4 5")
    tail.wait_records(5)
    first.command("log 5 6")
    tail.wait_records(6)
    first.close()
    second.close()
    finish(tail)
    assert tail.seqs() == [0, 1, 2, 3, 4, 5]


def test_pattern_over_rotated_names_merges_and_follows(
    tmp_path: Path, started: tuple[list[Writer], list[Tail]]
) -> None:
    """'app*.log' while the FileSink rotates (uncompressed, so the rotated files match too):
    the last 2 lines of every file merged by time, then each new record once, in order."""
    import orjson

    writers, tails = started
    path = tmp_path / "app.log"
    writer = Writer(path, rotation="8 KB")
    writers.append(writer)
    writer.command("log 0 150")
    files = [*rotated_files(tmp_path), path]
    assert len(files) >= 3
    start = sorted(
        orjson.loads(line)["seq"] for f in files for line in f.read_bytes().splitlines()[-2:]
    )
    tail = Tail("-f", "-n", "2", "--color", "never", str(tmp_path / "app*.log"))
    tails.append(tail)
    tail.wait_records(len(start))
    for r in range(6):
        writer.command(f"log {150 + r * ROUND} {150 + (r + 1) * ROUND}")
        tail.wait_records(len(start) + (r + 1) * ROUND)
    writer.close()
    finish(tail)
    assert tail.seqs() == start + list(range(150, 150 + 6 * ROUND))
    assert len(rotated_files(tmp_path)) > len(files) - 1
