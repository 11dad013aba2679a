"""The follower under ``fastlog tail -f``: real files, and real writer processes that rotate
(fastlog's FileSink renaming, with and without compression; logrotate's copytruncate).

Every test waits on a condition (lines received, a writer's ``ok``), never on a sleep; the
follower is driven either step by step (``poll()``) or iterated in a thread.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from fastlog_read._follow import FollowedLine, Follower, Notice, follow
from tests.helpers import ROOT, child_env, finishes, wait_until

# -- a writer process ----------------------------------------------------------------------------

#: A child that logs with fastlog's FileSink on commands read from stdin, answering ``ok``:
#: ``log A B`` logs records ``seq`` A..B-1 then flushes (``warn A B`` at level warning);
#: ``copytruncate`` does what logrotate's copytruncate does (copy the file to ``<path>.1``,
#: then truncate it in place, the writer's descriptor staying open); ``text A B`` appends the
#: text lines ``text A``..``text B-1`` as a library printing into the file would; ``exit``
#: shuts down.
WRITER = textwrap.dedent(
    """
    import os, shutil, sys
    import fastlog_core

    path, rotation, compression = sys.argv[1], sys.argv[2], sys.argv[3]
    sink = fastlog_core.FileSink(
        path,
        rotation=None if rotation == "-" else rotation,
        compression=None if compression == "-" else compression,
    )
    fastlog_core.configure(sink=sink, level="debug")
    log = fastlog_core.get_logger("writer")
    for command in sys.stdin:
        word, *args = command.split()
        if word in ("log", "warn"):
            method = log.info if word == "log" else log.warning
            for i in range(int(args[0]), int(args[1])):
                method("tick", seq=i, pad="x" * 60)
            assert fastlog_core.flush(timeout=60)
        elif word == "text":  # a library printing into the log file: lines A..B-1
            assert fastlog_core.flush(timeout=60)
            with open(path, "a") as f:
                f.writelines(f"text {i}\\n" for i in range(int(args[0]), int(args[1])))
        elif word == "copytruncate":
            shutil.copyfile(path, path + ".1")
            os.truncate(path, 0)
        elif word == "exit":
            assert fastlog_core.shutdown()
            print("ok", flush=True)
            break
        print("ok", flush=True)
    """
)


class Writer:
    """A writer process (see :data:`WRITER`) driven command by command."""

    def __init__(self, path: Path, rotation: str = "-", compression: str = "-") -> None:
        env = child_env(PYTHONPATH=os.pathsep.join((str(ROOT / "src"), str(ROOT))))
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), rotation, compression],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )

    def command(self, line: str) -> None:
        """Send *line* and wait for the writer's ``ok`` (it has done it, flushed)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = finishes(self.process.stdout.readline, message=f"the writer's answer to {line}")
        assert answer == "ok\n", f"writer answered {answer!r} to {line!r}"

    def close(self) -> None:
        if self.process.poll() is None:
            self.command("exit")
        assert self.process.wait(timeout=60) == 0


@pytest.fixture
def writers() -> Iterator[list[Writer]]:
    started: list[Writer] = []
    yield started
    for w in started:
        if w.process.poll() is None:
            w.process.kill()
        w.process.wait(timeout=60)


def seqs(items: list[FollowedLine | Notice]) -> list[int]:
    """The ``seq`` of every line received, in order."""
    return [orjson.loads(i.data)["seq"] for i in items if isinstance(i, FollowedLine)]


def notices(items: list[FollowedLine | Notice]) -> list[str]:
    return [str(i) for i in items if isinstance(i, Notice)]


class Collector:
    """Iterates a follower in a thread, keeping what it gives."""

    def __init__(self, follower: Follower) -> None:
        self.follower = follower
        self.items: list[FollowedLine | Notice] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for item in self.follower:
            self.items.append(item)

    def lines(self) -> int:
        return sum(isinstance(i, FollowedLine) for i in list(self.items))

    def wait_lines(self, n: int) -> None:
        wait_until(lambda: self.lines() >= n, message=f"{n} lines from the follower")

    def stop(self) -> None:
        self.follower.close()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


def lines_of(items: list[FollowedLine | Notice]) -> list[tuple[str, bytes, bool]]:
    return [(i.source, i.data, i.complete) for i in items if isinstance(i, FollowedLine)]


def line(source: Path | str, data: bytes, complete: bool = True) -> FollowedLine:
    return FollowedLine(str(source), data, complete)


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def numbered(a: int, b: int) -> bytes:
    return b"".join(b"line %d\n" % i for i in range(a, b))


# -- where it starts -----------------------------------------------------------------------------


class TestStart:
    @pytest.mark.parametrize(
        ("start_lines", "first"),
        [(3, 7), (0, 10), (None, 0), (10, 0), (25, 0), (1, 9)],
    )
    def test_last_n_lines(self, tmp_path: Path, start_lines: int | None, first: int) -> None:
        """The last N lines, then what is appended; 0 means from the end, None everything."""
        path = tmp_path / "app.log"
        path.write_bytes(numbered(0, 10))
        with Follower([path], start_lines=start_lines) as f:
            assert f.poll() == [line(path, b"line %d" % i) for i in range(first, 10)]
            assert f.poll() == []
            append(path, numbered(10, 12))
            assert f.poll() == [line(path, b"line 10"), line(path, b"line 11")]

    def test_across_blocks(self, tmp_path: Path) -> None:
        """Backwards search over many 64 KiB blocks finds exactly the last N lines."""
        path = tmp_path / "app.log"
        path.write_bytes(numbered(0, 50_000))  # ~540 KB
        with Follower([path], start_lines=20_000) as f:
            got = f.poll()
        assert got == [line(path, b"line %d" % i) for i in range(30_000, 50_000)]

    def test_long_line_across_blocks(self, tmp_path: Path) -> None:
        """A line longer than a block is counted once."""
        path = tmp_path / "app.log"
        path.write_bytes(b"first\n" + b"y" * 200_000 + b"\nlast\n")
        with Follower([path], start_lines=2) as f:
            assert f.poll() == [line(path, b"y" * 200_000), line(path, b"last")]

    @pytest.mark.parametrize("start_lines", [0, 2])
    def test_partial_last_line_is_not_counted(self, tmp_path: Path, start_lines: int) -> None:
        """A last line without its newline is held, and given whole once completed."""
        path = tmp_path / "app.log"
        path.write_bytes(b"a\nb\nc\nhal")
        with Follower([path], start_lines=start_lines) as f:
            assert f.poll() == [line(path, x) for x in [b"b", b"c"][2 - start_lines :]]
            append(path, b"f\n")
            assert f.poll() == [line(path, b"half")]

    def test_no_newline_at_all(self, tmp_path: Path) -> None:
        path = tmp_path / "app.log"
        path.write_bytes(b"no newline yet")
        with Follower([path], start_lines=5) as f:
            assert f.poll() == []
            append(path, b"!\n")
            assert f.poll() == [line(path, b"no newline yet!")]

    def test_empty_file(self, tmp_path: Path) -> None:
        path = tmp_path / "app.log"
        path.write_bytes(b"")
        with Follower([path], start_lines=5) as f:
            assert f.poll() == []
            append(path, b"x\n")
            assert f.poll() == [line(path, b"x")]

    def test_several_files_each_their_last_lines(self, tmp_path: Path) -> None:
        a, b = tmp_path / "a.log", tmp_path / "b.log"
        a.write_bytes(numbered(0, 5))
        b.write_bytes(numbered(100, 105))
        with Follower([a, b], start_lines=2) as f:
            assert f.poll() == [
                line(a, b"line 3"),
                line(a, b"line 4"),
                line(b, b"line 103"),
                line(b, b"line 104"),
            ]

    def test_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match="start_lines must be >= 0 or None, not -1"):
            Follower(["x"], start_lines=-1)
        with pytest.raises(ValueError, match="interval must be > 0, not 0"):
            Follower(["x"], interval=0)
        with pytest.raises(ValueError, match="at least one path or pattern"):
            Follower([])


# -- lines ---------------------------------------------------------------------------------------


class TestLines:
    def test_partial_line_held_until_its_newline(self, tmp_path: Path) -> None:
        """A line written in two halves (as two writes) is given once, whole."""
        path = tmp_path / "app.log"
        path.write_bytes(b"")
        with Follower([path], start_lines=0) as f:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, b'{"seq": 1, "msg": "first ha')
                assert f.poll() == []
                os.write(fd, b'lf"}\n{"seq": 2')
                assert f.poll() == [line(path, b'{"seq": 1, "msg": "first half"}')]
                assert f.poll() == []
                os.write(fd, b"}\n")
                assert f.poll() == [line(path, b'{"seq": 2}')]
            finally:
                os.close(fd)

    def test_long_line_given_in_pieces(self, tmp_path: Path) -> None:
        """Memory is bounded: a line over max_line comes in pieces marked incomplete."""
        path = tmp_path / "app.log"
        path.write_bytes(b"")
        with Follower([path], start_lines=0, max_line=10) as f:
            append(path, b"0123456789abcdefghijKLM")
            assert f.poll() == [
                line(path, b"0123456789", complete=False),
                line(path, b"abcdefghij", complete=False),
            ]
            append(path, b"N\nok\n")
            assert f.poll() == [line(path, b"KLMN"), line(path, b"ok")]

    def test_read_size_bounds_one_poll(self, tmp_path: Path) -> None:
        """At most read_size bytes per file per poll; busy says to poll again at once."""
        path = tmp_path / "app.log"
        path.write_bytes(b"")
        with Follower([path], start_lines=0, read_size=100) as f:
            f.poll()
            append(path, numbered(0, 100))  # 790 bytes
            got: list[FollowedLine | Notice] = []
            polls = 0
            while True:
                step = f.poll()
                polls += 1
                got += step
                if not f.busy:
                    break
            assert got == [line(path, b"line %d" % i) for i in range(100)]
            assert polls == 8  # 7 full reads, then the last 90 bytes

    def test_crlf_and_empty_lines_kept(self, tmp_path: Path) -> None:
        path = tmp_path / "app.log"
        path.write_bytes(b"")
        with Follower([path], start_lines=0) as f:
            assert f.poll() == []
            append(path, b"a\r\n\nb\n")
            assert f.poll() == [line(path, b"a\r"), line(path, b""), line(path, b"b")]


# -- rotation, truncation, files coming and going (step by step) ---------------------------------


class TestFileChanges:
    def test_rename_rotation_drains_the_old_file(self, tmp_path: Path) -> None:
        """The old file is read to its end, including a batch written into it after the rename,
        before the new file at the name; then the old one is let go."""
        path = tmp_path / "app.log"
        path.write_bytes(b"")
        with Follower([path], start_lines=0) as f:
            assert f.poll() == []
            old = os.open(path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(old, b"old 1\n")
                assert f.poll() == [line(path, b"old 1")]
                os.write(old, b"old 2\n")
                path.rename(tmp_path / "app.1.log")
                os.write(old, b"old 3 (late batch)\n")
                path.write_bytes(b"new 1\n")
                assert f.poll() == [
                    line(path, b"old 2"),
                    line(path, b"old 3 (late batch)"),
                    Notice("rotated", str(path)),
                    line(path, b"new 1"),
                ]
                os.write(old, b"old 4 (later still)\n")
                append(path, b"new 2\n")
                assert f.poll() == [line(path, b"old 4 (later still)"), line(path, b"new 2")]
                assert f.poll() == []
                assert f.poll() == []
                assert len(f._files) == 1  # the old file, idle twice, was closed
            finally:
                os.close(old)

    def test_rotated_file_partial_line_flushed(self, tmp_path: Path) -> None:
        """A last line without its newline in a rotated-away file is given as is when let go."""
        path = tmp_path / "app.log"
        path.write_bytes(b"a\nunfinish")
        with Follower([path], start_lines=None) as f:
            assert f.poll() == [line(path, b"a")]
            path.rename(tmp_path / "app.1.log")
            path.write_bytes(b"b\n")
            assert f.poll() == [Notice("rotated", str(path)), line(path, b"b")]
            assert f.poll() == []
            assert f.poll() == [line(path, b"unfinish", complete=False)]

    def test_copytruncate(self, tmp_path: Path) -> None:
        """Size below the position: a notice, then the file from offset 0."""
        path = tmp_path / "app.log"
        path.write_bytes(numbered(0, 3))
        with Follower([path], start_lines=None) as f:
            assert len(f.poll()) == 3
            shutil.copyfile(path, tmp_path / "app.log.1")
            os.truncate(path, 0)
            append(path, b"after\n")
            assert f.poll() == [Notice("truncated", str(path)), line(path, b"after")]
            append(path, b"more\n")
            assert f.poll() == [line(path, b"more")]

    def test_truncated_and_regrown_past_the_position(self, tmp_path: Path) -> None:
        """Truncated then written past the old position between two polls (a size check alone
        misses it): the changed first bytes tell."""
        path = tmp_path / "app.log"
        path.write_bytes(b"short 1\n")
        with Follower([path], start_lines=None) as f:
            assert f.poll() == [line(path, b"short 1")]
            with open(path, "r+b") as w:
                w.truncate(0)
                w.write(b"longer line 1\nlonger line 2\n")
            assert f.poll() == [
                Notice("truncated", str(path)),
                line(path, b"longer line 1"),
                line(path, b"longer line 2"),
            ]

    def test_fingerprint_from_a_start_past_the_beginning(self, tmp_path: Path) -> None:
        """Started at the last lines, the first bytes are still known: a regrown file is seen."""
        path = tmp_path / "app.log"
        path.write_bytes(numbered(0, 5))
        with Follower([path], start_lines=1) as f:
            assert f.poll() == [line(path, b"line 4")]
            path.write_bytes(numbered(100, 106))  # truncate + write, same inode
            got = f.poll()
            assert got[0] == Notice("truncated", str(path))
            assert got[1:] == [line(path, b"line %d" % i) for i in range(100, 106)]

    def test_removed_then_created_again(self, tmp_path: Path) -> None:
        path = tmp_path / "app.log"
        path.write_bytes(b"one\n")
        with Follower([path], start_lines=None) as f:
            assert f.poll() == [line(path, b"one")]
            path.unlink()
            assert f.poll() == [Notice("removed", str(path))]
            assert f.poll() == []
            path.write_bytes(b"two\n")
            assert f.poll() == [Notice("appeared", str(path)), line(path, b"two")]

    def test_file_that_does_not_exist_yet(self, tmp_path: Path) -> None:
        """A missing file is announced, then followed from its start once it appears."""
        path = tmp_path / "later" / "app.log"
        with Follower([path], start_lines=10) as f:
            assert f.poll() == [Notice("missing", str(path))]
            assert str(f.poll()) == "[]"
            path.parent.mkdir()
            path.write_bytes(b"first\nsecond\n")
            assert f.poll() == [
                Notice("appeared", str(path)),
                line(path, b"first"),
                line(path, b"second"),
            ]

    def test_glob_new_files_and_compressed_ones_skipped(self, tmp_path: Path) -> None:
        """A new match is followed from its start; .gz and .gz.partial are never read."""
        a = tmp_path / "a.log"
        a.write_bytes(b"a1\na2\n")
        pattern = str(tmp_path / "*.log*")
        with Follower([pattern], start_lines=1) as f:
            assert f.poll() == [line(a, b"a2")]
            b = tmp_path / "b.log"
            b.write_bytes(b"b1\n")
            with gzip.open(tmp_path / "a.2026.log.gz", "wb") as z:
                z.write(b"old\n")
            (tmp_path / "a.2027.log.gz.partial").write_bytes(b"\x1f\x8b partial")
            (tmp_path / "a.log.lock").write_bytes(b"")
            assert f.poll() == [Notice("appeared", str(b)), line(b, b"b1")]
            append(a, b"a3\n")
            append(b, b"b2\n")
            assert f.poll() == [line(a, b"a3"), line(b, b"b2")]
            assert f.sources() == [str(a), str(b)]

    def test_name_with_glob_characters_that_exists_is_a_path(self, tmp_path: Path) -> None:
        literal = tmp_path / "app[1].log"
        literal.write_bytes(b"literal\n")
        (tmp_path / "app1.log").write_bytes(b"globbed\n")
        with Follower([literal], start_lines=None) as f:
            assert f.poll() == [line(literal, b"literal")]

    def test_glob_follows_a_renamed_file_without_reading_it_twice(self, tmp_path: Path) -> None:
        """With a pattern matching the rotated names too, a file renamed away is the same file:
        read on from where it was, not from its start again."""
        path = tmp_path / "app.log"
        path.write_bytes(b"1\n")
        with Follower([str(tmp_path / "app*.log")], start_lines=None) as f:
            assert f.poll() == [line(path, b"1")]
            append(path, b"2\n")
            path.rename(tmp_path / "app.20260101.log")
            path.write_bytes(b"3\n")
            assert f.poll() == [line(path, b"2"), Notice("rotated", str(path)), line(path, b"3")]

    def test_open_and_close_per_poll(self, tmp_path: Path) -> None:
        """keep_open=False (Windows' mode): same lines; a truncation is still seen."""
        path = tmp_path / "app.log"
        path.write_bytes(b"a\nb\n")
        with Follower([path], start_lines=1, keep_open=False) as f:
            assert f.poll() == [line(path, b"b")]
            assert all(x.fd is None for x in f._files.values())
            append(path, b"c\n")
            assert f.poll() == [line(path, b"c")]
            os.truncate(path, 0)
            append(path, b"d\n")
            assert f.poll() == [Notice("truncated", str(path)), line(path, b"d")]
            # Renamed, not removed: a removed file's inode number may be reused at once, and
            # then only the first bytes tell (as a truncation).
            path.rename(tmp_path / "app.1.log")
            path.write_bytes(b"e\n")
            assert f.poll() == [Notice("rotated", str(path)), line(path, b"e")]
            assert len(f._files) == 1  # the renamed file cannot be read by name: let go

    def test_notice_text(self) -> None:
        assert str(Notice("truncated", "app.log")) == (
            "app.log: file truncated; reading from the start"
        )
        assert (
            str(Notice("rotated", "app.log"))
            == "app.log: has been replaced; following the new file"
        )
        assert str(Notice("error", "x.log", "Permission denied")) == (
            "x.log: cannot be read: Permission denied"
        )


# -- iteration and stopping ----------------------------------------------------------------------


class TestIteration:
    def test_close_ends_the_iteration_promptly(self, tmp_path: Path) -> None:
        """close() from another thread wakes the wait between polls (a long interval here)."""
        path = tmp_path / "app.log"
        path.write_bytes(b"x\n")
        follower = Follower([path], start_lines=None, interval=3600)
        collector = Collector(follower)
        collector.wait_lines(1)
        finishes(collector.stop, timeout=30, message="the iteration to end after close()")
        assert lines_of(collector.items) == [(str(path), b"x", True)]
        assert follower._files == {}
        assert follower.poll() == []

    def test_close_while_consuming_a_poll(self, tmp_path: Path) -> None:
        """close() between two items of one poll ends the iteration there."""
        path = tmp_path / "app.log"
        path.write_bytes(numbered(0, 100))
        follower = Follower([path], start_lines=None)
        got: list[FollowedLine | Notice] = []
        for item in follower:
            got.append(item)
            if len(got) == 3:
                follower.close()
        assert got == [line(path, b"line %d" % i) for i in range(3)]
        assert follower._files == {}

    def test_stop_event(self, tmp_path: Path) -> None:
        path = tmp_path / "app.log"
        path.write_bytes(b"")
        stop = threading.Event()
        got: list[FollowedLine | Notice] = []

        def run() -> None:
            got.extend(follow([path], start_lines=0, interval=3600, stop=stop))

        thread = threading.Thread(target=run)
        thread.start()
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert got == []


# -- real writer processes -----------------------------------------------------------------------

ROUND = 20  # records per round: ~3 KB, under the rotation size, so at most 1 rotation a round


def rotated_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if re.fullmatch(r"app\.\d.*\.log(\.gz)?", p.name))


class TestWriterProcesses:
    @pytest.mark.parametrize("compression", ["-", "gz"])
    def test_fastlog_rename_rotation(
        self, tmp_path: Path, writers: list[Writer], compression: str
    ) -> None:
        """A FileSink rotating every 8 KB (compressing the rotated files, or not): every record
        once, in order, across every rotation."""
        path = tmp_path / "app.log"
        writer = Writer(path, rotation="8 KB", compression=compression)
        writers.append(writer)
        writer.command("log 0 5")  # before the follower starts: -n 2 shows the last 2
        collector = Collector(Follower([path], start_lines=2, interval=0.01))
        collector.wait_lines(2)
        rounds = 30
        for r in range(rounds):
            writer.command(f"log {5 + r * ROUND} {5 + (r + 1) * ROUND}")
            collector.wait_lines(2 + (r + 1) * ROUND)
        writer.close()
        collector.stop()
        assert seqs(collector.items) == list(range(3, 5 + rounds * ROUND))
        assert {i.source for i in collector.items} == {str(path)}
        rotations = len(rotated_files(tmp_path))
        assert rotations >= 5
        got = notices(collector.items)
        # A poll between the rename and the new file's creation sees "removed" then "appeared".
        replaced = got.count(str(Notice("rotated", str(path))))
        appeared = got.count(str(Notice("appeared", str(path))))
        assert replaced + appeared == rotations
        assert got.count(str(Notice("removed", str(path)))) == appeared
        assert len(got) == rotations + appeared
        if compression == "gz":
            wait_until(lambda: all(p.suffix == ".gz" for p in rotated_files(tmp_path)))

    def test_fast_writer_with_a_pattern_matching_rotated_names(
        self, tmp_path: Path, writers: list[Writer]
    ) -> None:
        """A writer rotating several times between two polls: a pattern that matches the
        rotated names too (``app*.log``) finds the files in between; nothing lost or doubled."""
        path = tmp_path / "app.log"
        collector = Collector(Follower([str(tmp_path / "app*.log")], start_lines=0, interval=0.05))
        writer = Writer(path, rotation="8 KB")
        writers.append(writer)
        total = 2000  # ~300 KB: dozens of rotations, many within one poll
        writer.command(f"log 0 {total}")
        collector.wait_lines(total)
        writer.close()
        collector.stop()
        assert seqs(collector.items) == list(range(total))
        assert len(rotated_files(tmp_path)) >= 20

    def test_copytruncate_writer(self, tmp_path: Path, writers: list[Writer]) -> None:
        """logrotate's copytruncate while the writer keeps its descriptor: a truncation notice,
        then the records written after it, none twice."""
        path = tmp_path / "app.log"
        writer = Writer(path)
        writers.append(writer)
        writer.command("log 0 50")
        collector = Collector(Follower([path], start_lines=None, interval=0.01))
        truncated = str(Notice("truncated", str(path)))
        n = 0
        for r in range(4):
            if r:
                writer.command(f"log {n} {n + 50}")
            n += 50
            collector.wait_lines(n)
            writer.command("copytruncate")
            truncations = r + 1
            wait_until(
                lambda: notices(collector.items).count(truncated) == truncations,  # noqa: B023
                message="the truncation noticed",
            )
        writer.command(f"log {n} {n + 10}")
        collector.wait_lines(n + 10)
        writer.close()
        collector.stop()
        assert seqs(collector.items) == list(range(n + 10))
        assert notices(collector.items) == [str(Notice("truncated", str(path)))] * 4
        assert seqs(
            [line(path, x) for x in (tmp_path / "app.log.1").read_bytes().splitlines()]
        ) == (list(range(150, 200)))

    def test_glob_with_writers_appearing(self, tmp_path: Path, writers: list[Writer]) -> None:
        """A pattern: a second writer's file appears and is followed from its first line."""
        logs = tmp_path / "logs"
        first = Writer(logs / "a.log")
        writers.append(first)
        first.command("log 0 10")
        collector = Collector(Follower([str(logs / "*.log")], start_lines=3, interval=0.01))
        collector.wait_lines(3)
        second = Writer(logs / "b.log")
        writers.append(second)
        second.command("log 1000 1040")
        first.command("log 10 20")
        collector.wait_lines(3 + 40 + 10)
        first.close()
        second.close()
        collector.stop()
        by_source: dict[str, list[int]] = {}
        for item in collector.items:
            if isinstance(item, FollowedLine):
                by_source.setdefault(item.source, []).append(orjson.loads(item.data)["seq"])
        assert by_source == {
            str(logs / "a.log"): list(range(7, 20)),
            str(logs / "b.log"): list(range(1000, 1040)),
        }
        assert notices(collector.items) == [str(Notice("appeared", str(logs / "b.log")))]

    def test_two_processes_rotating_one_file(self, tmp_path: Path, writers: list[Writer]) -> None:
        """Two FileSinks in two processes share a rotating file: the one that did not rotate
        may write one more batch into the renamed file, which the follower still drains. Each
        process's records: all once, in its order."""
        path = tmp_path / "app.log"
        one, two = Writer(path, rotation="8 KB"), Writer(path, rotation="8 KB")
        writers += [one, two]
        collector = Collector(Follower([path], start_lines=None, interval=0.01))
        rounds = 20
        half = ROUND // 2  # each process's round: so the two stay under the rotation size
        for r in range(rounds):
            one.command(f"log {r * half} {(r + 1) * half}")
            two.command(f"log {10_000 + r * half} {10_000 + (r + 1) * half}")
            collector.wait_lines((r + 1) * ROUND)
        one.close()
        two.close()
        collector.stop()
        got = seqs(collector.items)
        assert [s for s in got if s < 10_000] == list(range(rounds * half))
        assert [s for s in got if s >= 10_000] == list(range(10_000, 10_000 + rounds * half))
        assert len(got) == rounds * ROUND
        assert len(rotated_files(tmp_path)) >= 3
