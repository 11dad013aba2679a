"""Rotation: FileSink's rotation=, retention= and compression=, and logrotate's rename/remove.

Real files only. Exact counts: every record written is found exactly once across the current
file and the rotated ones.
"""

from __future__ import annotations

import datetime as dt
import errno
import gzip
import itertools
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import fastlog_core
from fastlog_core import ConfigError, FileSink, _rotation
from fastlog_core._rotation import (
    Retention,
    SizeRotation,
    TimeRotation,
    parse_compression,
    parse_retention,
    parse_rotation,
    rotated_files,
)
from tests.helpers import RecordingFileSink, read_lines, run_threads, wait_until

STAMP = "2020-01-01_00-00-00_000000"


def rotated(path: Path) -> list[Path]:
    """The rotated files of *path* (with or without .gz), oldest first."""
    return [Path(m) for entry in rotated_files(str(path)) for m in entry.members]


def parse_gz(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n")
    return [orjson.loads(line) for line in data.splitlines()]


def listing(directory: Path) -> list[str]:
    """The names in *directory*, sorted, without the lock file of a rotated path (``.lock``,
    created by every FileSink with rotation where flock exists, never removed)."""
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(".lock"))


def ts(*args: int) -> float:
    return dt.datetime(*args).timestamp()  # type: ignore[arg-type]


class TestParseRotation:
    @pytest.mark.parametrize(
        ("value", "limit"),
        [
            (1000, 1000),
            ("500 KB", 500_000),
            ("100 MB", 100_000_000),
            ("1 GiB", 1024**3),
            ("64KiB", 65536),
        ],
    )
    def test_sizes(self, value: object, limit: int) -> None:
        """An int or a size string is a size limit in bytes."""
        assert parse_rotation(value) == SizeRotation(limit)

    @pytest.mark.parametrize(
        ("value", "seconds"),
        [
            (dt.timedelta(hours=1), 3600),
            (dt.timedelta(milliseconds=200), 0.2),
            ("1 hour", 3600),
            ("2 hours", 7200),
            ("30 minutes", 1800),
            ("1 day", 86400),
            ("1 week", 604800),
            ("1h 30min", 5400),
        ],
    )
    def test_intervals(self, value: object, seconds: float) -> None:
        """A timedelta or a duration string is an interval, of any positive size."""
        assert parse_rotation(value) == TimeRotation(interval=seconds)

    @pytest.mark.parametrize(
        ("value", "start", "boundary"),
        [
            ("hourly", ts(2024, 5, 8, 10, 17), ts(2024, 5, 8, 11)),
            ("daily", ts(2024, 5, 8, 10, 17), ts(2024, 5, 9)),
            ("weekly", ts(2024, 5, 8, 10, 17), ts(2024, 5, 13)),  # the next Monday
            ("monthly", ts(2024, 12, 8, 10, 17), ts(2025, 1, 1)),
            ("yearly", ts(2024, 5, 8, 10, 17), ts(2025, 1, 1)),
            ("00:00", ts(2024, 5, 8, 10, 17), ts(2024, 5, 9)),
            ("13:30", ts(2024, 5, 8, 10, 17), ts(2024, 5, 8, 13, 30)),
            ("13:30", ts(2024, 5, 8, 14, 0), ts(2024, 5, 9, 13, 30)),
            ("13:30:15", ts(2024, 5, 8, 13, 30, 15), ts(2024, 5, 9, 13, 30, 15)),
            (dt.time(13, 30), ts(2024, 5, 8, 10, 17), ts(2024, 5, 8, 13, 30)),
            ("monday", ts(2024, 5, 8, 10, 17), ts(2024, 5, 13)),
            ("wednesday at 12:00", ts(2024, 5, 8, 10, 17), ts(2024, 5, 8, 12)),
            ("wednesday at 12:00", ts(2024, 5, 8, 12, 0), ts(2024, 5, 15, 12)),
            ("w6", ts(2024, 5, 8, 10, 17), ts(2024, 5, 12)),
            (dt.timedelta(hours=2), ts(2024, 5, 8, 10, 17), ts(2024, 5, 8, 12, 17)),
        ],
    )
    def test_first_boundary(self, value: object, start: float, boundary: float) -> None:
        """The first boundary is the next calendar point strictly after the file's creation."""
        policy = parse_rotation(value)
        assert isinstance(policy, TimeRotation)
        assert policy.first_boundary(start) == boundary

    @pytest.mark.parametrize(
        ("value", "boundary", "now", "expected"),
        [
            ("daily", ts(2024, 5, 9), ts(2024, 5, 11, 8), ts(2024, 5, 12)),
            ("13:30", ts(2024, 5, 9, 13, 30), ts(2024, 5, 9, 13, 30), ts(2024, 5, 10, 13, 30)),
            ("sunday at 23:00", ts(2024, 5, 12, 23), ts(2024, 5, 20), ts(2024, 5, 26, 23)),
            (dt.timedelta(milliseconds=200), 1000.0, 1000.5, 1000.6),
            (dt.timedelta(seconds=10), 1000.0, 1000.0 + 7 * 86400 + 5, 1000.0 + 7 * 86400 + 10),
            ("daily", ts(2024, 5, 9), ts(2024, 5, 8, 23), ts(2024, 5, 9)),
        ],
    )
    def test_next_boundary(
        self, value: object, boundary: float, now: float, expected: float
    ) -> None:
        """After a rotation the boundary steps past now, skipping periods nothing was logged in."""
        policy = parse_rotation(value)
        assert isinstance(policy, TimeRotation)
        assert policy.next_boundary(boundary, now) == pytest.approx(expected)

    def test_none(self) -> None:
        """None means no rotation."""
        assert parse_rotation(None) is None

    @pytest.mark.parametrize(
        "value",
        [
            0,
            -5,
            True,
            1.5,
            "",
            "1 parsec",
            "often",
            "25:00",
            "12:61",
            "monday at",
            "someday at 12:00",
            "0 days",
            dt.timedelta(0),
            dt.timedelta(seconds=-1),
            [100],
        ],
    )
    def test_bad_values(self, value: object) -> None:
        """A bad value raises ConfigError starting with rotation=<repr>: and the forms accepted."""
        with pytest.raises(ConfigError) as info:
            parse_rotation(value)
        message = str(info.value)
        assert message.startswith(f"rotation={value!r}: expected")
        assert "'100 MB'" in message and "'daily'" in message and "'00:00'" in message


class TestParseRetention:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, None),
            (0, Retention(count=0)),
            (10, Retention(count=10)),
            ("7 days", Retention(max_age=7 * 86400)),
            ("12 hours", Retention(max_age=12 * 3600)),
            (dt.timedelta(days=2), Retention(max_age=2 * 86400)),
        ],
    )
    def test_accepted(self, value: object, expected: Retention | None) -> None:
        """A count of files, or an age as a duration string or timedelta."""
        assert parse_retention(value) == expected

    @pytest.mark.parametrize("value", [-1, True, 2.5, "forever", "10", dt.timedelta(0), "0 days"])
    def test_bad_values(self, value: object) -> None:
        """A bad value raises ConfigError naming retention=."""
        with pytest.raises(ConfigError, match=r"^retention=.*: expected"):
            parse_retention(value)


class TestParseCompression:
    @pytest.mark.parametrize("value", ["gz", "gzip", ".gz", "GZ"])
    def test_gzip(self, value: str) -> None:
        """gzip under its usual spellings."""
        assert parse_compression(value) == "gz"

    @pytest.mark.parametrize("value", ["zip", "bz2", "xz", "", True, 1])
    def test_bad_values(self, value: object) -> None:
        """Anything else raises ConfigError naming compression=."""
        with pytest.raises(ConfigError, match=r"^compression=.*: expected None or 'gz'"):
            parse_compression(value)


class TestFileSinkOptions:
    def test_repr_shows_options(self, log_path: Path) -> None:
        """The repr lists the options given; without options it is unchanged."""
        sink = FileSink(log_path, rotation="64 KB", retention=3, compression="gz")
        assert (
            repr(sink)
            == f"FileSink({str(log_path)!r}, rotation='64 KB', retention=3, compression='gz')"
        )
        sink.close()
        plain = FileSink(log_path)
        assert repr(plain) == f"FileSink({str(log_path)!r})"
        plain.close()

    @pytest.mark.parametrize("option", ["rotation", "retention", "compression"])
    def test_bad_option_raises_at_creation(self, log_path: Path, option: str) -> None:
        """FileSink raises ConfigError naming the option before touching the file."""
        options: dict[str, Any] = {option: "bogus"}
        with pytest.raises(ConfigError, match=rf"^{option}="):
            FileSink(log_path, **options)
        assert not log_path.exists()

    @pytest.mark.parametrize(("option", "value"), [("retention", 3), ("compression", "gz")])
    def test_needs_rotation(self, log_path: Path, option: str, value: object) -> None:
        """retention= and compression= without rotation= are a configuration error."""
        options: dict[str, Any] = {option: value}
        with pytest.raises(ConfigError, match=rf"^{option}={value!r}: .*give rotation="):
            FileSink(log_path, **options)


class TestSizeRotation:
    def test_batches_never_split(self, log_path: Path) -> None:
        """A line that would cross the limit goes to a new file; names follow loguru."""
        sink = FileSink(log_path, rotation=100)
        batches = [bytes([65 + n]) * 59 + b"\n" for n in range(5)]  # 60 bytes each
        for batch in batches:
            sink.write(batch)
        sink.close()
        files = rotated(log_path)
        assert [f.read_bytes() for f in files] == batches[:4]
        assert log_path.read_bytes() == batches[4]
        for f in files:
            stem, stamp, suffix = f.name.split(".")
            assert (stem, suffix) == ("app", "log")
            dt.datetime.strptime(stamp, "%Y-%m-%d_%H-%M-%S_%f")

    def test_batch_split_between_lines(self, log_path: Path) -> None:
        """A batch larger than the limit is split at line boundaries: every file within the
        limit, the lines in order, none cut."""
        sink = FileSink(log_path, rotation=100)
        lines = [b"%02d" % n + bytes([65 + n % 26]) * (5 + n * 7 % 40) + b"\n" for n in range(60)]
        # Three parts, as the pipeline's blocks come: the split falls inside parts too.
        sink.writev([b"".join(lines[:25]), bytearray(b"".join(lines[25:26])), b"".join(lines[26:])])
        sink.close()
        files = [*rotated(log_path), log_path]
        assert all(0 < f.stat().st_size <= 100 for f in files)
        assert b"".join(f.read_bytes() for f in files) == b"".join(lines)
        for f in files:
            assert f.read_bytes().endswith(b"\n")
        # Each file was filled as far as the next line allowed.
        for f, g in itertools.pairwise(files):
            assert f.stat().st_size + len(g.read_bytes().split(b"\n")[0]) + 1 > 100

    def test_oversize_line_alone(self, log_path: Path) -> None:
        """A line larger than the limit is written whole, alone in its file."""
        sink = FileSink(log_path, rotation=100)
        sink.write(b"a\n")
        sink.write(b"b" * 299 + b"\n")
        sink.write(b"c\n")
        sink.writev([b"d\n" + b"e" * 150 + b"\n" + b"f\n"])  # also within one batch
        sink.close()
        assert [f.read_bytes() for f in rotated(log_path)] == [
            b"a\n",
            b"b" * 299 + b"\n",
            b"c\nd\n",
            b"e" * 150 + b"\n",
        ]
        assert log_path.read_bytes() == b"f\n"

    def test_existing_content_counts(self, log_path: Path) -> None:
        """The size of what the file already holds counts toward the limit."""
        log_path.write_bytes(b"x" * 90 + b"\n")
        sink = FileSink(log_path, rotation=100)
        sink.write(b"y" * 20 + b"\n")
        sink.close()
        assert [f.read_bytes() for f in rotated(log_path)] == [b"x" * 90 + b"\n"]
        assert log_path.read_bytes() == b"y" * 20 + b"\n"

    @pytest.mark.parametrize("pause_every", [0, 50], ids=["full-speed", "paced"])
    def test_threads_through_pipeline(self, log_path: Path, pause_every: int) -> None:
        """4 threads x 20k records at 64 KB, with a few lines larger than the limit: every
        record exactly once and in each thread's order, every file within the limit except a
        file holding a single larger line.

        At full speed the writer's batches are mostly larger than 64 KB (split between
        files); paced, many batches share a file.
        """
        sink = RecordingFileSink(log_path, rotation="64 KB")
        # Paced: callers wake the writer every 16 KiB instead of 4 MiB, so batches stay small.
        options = {"wake_bytes": "16 KiB"} if pause_every else {}
        fastlog_core.configure(sink=sink, level="debug", **options)
        log = fastlog_core.get_logger()

        def run(t: int) -> None:
            for i in range(20_000):
                if i % 4_999 == 1:
                    log.info("m", t=t, i=i, big="x" * 70_000)  # one line over the limit
                else:
                    log.info("m", t=t, i=i)
                if pause_every and i % pause_every == 0:
                    time.sleep(0.001)  # paced on purpose: the writer's batches stay small
                if t == 0 and i == 10_000:
                    # At least two batches, whatever the machine's speed: a run short enough
                    # to fit in one writer cycle would go whole into the empty file.
                    fastlog_core.flush()

        run_threads(run, 4)
        assert fastlog_core.flush(timeout=60)
        files = [*rotated(log_path), log_path]  # oldest first
        assert len(files) >= 30
        seen: dict[int, list[int]] = {t: [] for t in range(4)}
        for f in files:
            records = read_lines(f)
            size = f.stat().st_size
            assert size <= 64_000 or len(records) == 1, (f.name, size, len(records))
            for r in records:
                seen[r["t"]].append(r["i"])
        assert seen == {t: list(range(20_000)) for t in range(4)}
        assert max(map(len, sink.writes)) > 64_000  # batches did cross the limit


class TestTimeRotation:
    def test_short_interval_through_pipeline(self, log_path: Path) -> None:
        """A 200 ms interval while logging: several files, all records once and in order."""
        fastlog_core.configure(
            sink=FileSink(log_path, rotation=dt.timedelta(milliseconds=200)), level="debug"
        )
        log = fastlog_core.get_logger()
        n = 0

        def log_some_then_count() -> bool:
            nonlocal n
            for _ in range(20):
                log.info("m", i=n)
                n += 1
            return len(rotated(log_path)) >= 3

        wait_until(log_some_then_count, message="three rotations while logging")
        assert fastlog_core.flush(timeout=30)
        files = rotated(log_path)
        assert len(files) >= 3
        per_file = [[r["i"] for r in read_lines(f)] for f in [*files, log_path]]
        assert all(per_file[:-1])  # no empty rotated file
        assert [i for chunk in per_file for i in chunk] == list(range(n))

    def test_file_from_an_earlier_day_rotated_first(self, log_path: Path) -> None:
        """With rotation='daily', yesterday's file is rotated away before today's first batch."""
        log_path.write_bytes(b"old\n")
        two_days_ago = time.time() - 2 * 86400
        os.utime(log_path, (two_days_ago, two_days_ago))
        sink = FileSink(log_path, rotation="daily")
        sink.write(b"new\n")
        sink.write(b"newer\n")
        sink.close()
        assert [f.read_bytes() for f in rotated(log_path)] == [b"old\n"]
        assert log_path.read_bytes() == b"new\nnewer\n"

    def test_empty_file_not_rotated(self, log_path: Path) -> None:
        """A boundary passed while nothing was written leaves no empty rotated file."""
        sink = FileSink(log_path, rotation=dt.timedelta(milliseconds=1))
        time.sleep(0.01)  # the scenario: 1 ms boundaries pass while nothing is written
        sink.write(b"a\n")
        time.sleep(0.01)
        sink.write(b"b\n")
        sink.close()
        assert [f.read_bytes() for f in rotated(log_path)] == [b"a\n"]
        assert log_path.read_bytes() == b"b\n"


class TestRetention:
    def test_count_keeps_newest(self, log_path: Path) -> None:
        """retention=3 keeps exactly the 3 most recent rotated files."""
        sink = FileSink(log_path, rotation=100, retention=3)
        batches = [bytes([65 + n]) * 59 + b"\n" for n in range(10)]
        for batch in batches:
            sink.write(batch)
        sink.close()
        assert [f.read_bytes() for f in rotated(log_path)] == batches[6:9]
        assert log_path.read_bytes() == batches[9]

    def test_count_zero_keeps_none(self, log_path: Path) -> None:
        """retention=0 deletes every rotated file: the current file remains, and the lock
        file that processes sharing the path take (never removed)."""
        sink = FileSink(log_path, rotation=100, retention=0)
        for n in range(4):
            sink.write(bytes([65 + n]) * 59 + b"\n")
        sink.close()
        expected = ["app.log", "app.log.lock"] if _rotation.LOCKING else ["app.log"]
        assert sorted(p.name for p in log_path.parent.iterdir()) == expected

    @pytest.mark.parametrize("age", ["7 days", dt.timedelta(days=7)])
    def test_age_by_mtime(self, log_path: Path, age: object) -> None:
        """Rotated files last modified more than the age ago are deleted; others are kept."""
        d = log_path.parent
        now = time.time()
        files = {
            f"app.{STAMP}.log": now - 10 * 86400,  # old: deleted
            "app.2020-01-02_00-00-00_000000.log.gz": now - 8 * 86400,  # old, compressed: deleted
            "app.2020-01-03_00-00-00_000000.1.log": now - 6 * 86400,  # recent: kept
            "app.log.bak": now - 30 * 86400,  # not a rotated file of this sink: kept
            f"other.{STAMP}.log": now - 30 * 86400,  # another sink's: kept
        }
        for name, mtime in files.items():
            (d / name).write_bytes(b"x\n")
            os.utime(d / name, (mtime, mtime))
        sink = FileSink(log_path, rotation=100, retention=age)
        sink.write(b"a" * 99 + b"\n")
        sink.write(b"b\n")  # rotates, then applies retention
        sink.close()
        kept = listing(d)
        new = [p.name for p in rotated(log_path) if p.read_bytes() == b"a" * 99 + b"\n"]
        assert len(new) == 1
        assert kept == sorted(
            [
                "app.2020-01-03_00-00-00_000000.1.log",
                "app.log",
                "app.log.bak",
                f"other.{STAMP}.log",
                new[0],
            ]
        )


class TestCompression:
    def test_through_pipeline(self, log_path: Path) -> None:
        """Rotated files become .gz; all records once; nothing uncompressed after shutdown()."""
        fastlog_core.configure(
            sink=FileSink(log_path, rotation="16 KB", compression="gz"), level="debug"
        )
        log = fastlog_core.get_logger()
        for i in range(5000):
            log.info("m", i=i)
            if i % 500 == 0:
                assert fastlog_core.flush(timeout=30)  # several batches, so several files
        assert fastlog_core.shutdown()
        files = rotated(log_path)
        assert len(files) >= 3
        assert all(f.name.endswith(".log.gz") for f in files)
        assert listing(log_path.parent) == sorted(["app.log", *(f.name for f in files)])
        seen = [r["i"] for f in files for r in parse_gz(f)] + [r["i"] for r in read_lines(log_path)]
        assert seen == list(range(5000))

    def test_exit_compresses_everything(self, log_path: Path) -> None:
        """A process that just exits leaves every rotated file compressed, all records there."""
        code = textwrap.dedent(
            """
            import sys, fastlog_core
            sink = fastlog_core.FileSink(sys.argv[1], rotation="8 KB", compression="gz")
            fastlog_core.configure(sink=sink, level="debug")
            log = fastlog_core.get_logger()
            for i in range(20_000):
                log.info("m", i=i, pad="x" * 100)
                if i % 1000 == 0:
                    fastlog_core.flush()
            """
        )
        subprocess.run([sys.executable, "-c", code, str(log_path)], check=True, timeout=120)
        files = rotated(log_path)
        assert len(files) >= 2
        assert all(f.name.endswith(".log.gz") for f in files)
        assert len(listing(log_path.parent)) == len(files) + 1
        seen = [r["i"] for f in files for r in parse_gz(f)] + [r["i"] for r in read_lines(log_path)]
        assert seen == list(range(20_000))

    def test_close_waits_and_keeps_mtime(self, log_path: Path) -> None:
        """close() returns after the compression; the .gz has the rotated file's mtime."""
        sink = FileSink(log_path, rotation=100, compression="gz")
        sink.write(b"a" * 99 + b"\n")
        before = log_path.stat().st_mtime_ns
        sink.write(b"b\n")
        sink.close()
        files = rotated(log_path)
        assert len(files) == 1
        assert files[0].name.endswith(".log.gz")
        assert files[0].stat().st_mtime_ns == before
        with gzip.open(files[0]) as f:
            assert f.read() == b"a" * 99 + b"\n"

    def test_with_retention_count(self, log_path: Path) -> None:
        """retention=2 with gz: exactly 2 compressed files, the newest."""
        sink = FileSink(log_path, rotation=100, retention=2, compression="gz")
        batches = [bytes([65 + n]) * 59 + b"\n" for n in range(6)]
        for batch in batches:
            sink.write(batch)
        sink.close()
        files = rotated(log_path)
        assert [f.name.endswith(".gz") for f in files] == [True, True]
        contents = []
        for f in files:
            with gzip.open(f) as g:
                contents.append(g.read())
        assert contents == batches[3:5]

    def test_leftovers_of_an_earlier_process(self, log_path: Path) -> None:
        """A rotated file left uncompressed is compressed; a stale .partial is removed."""
        d = log_path.parent
        (d / f"app.{STAMP}.log").write_bytes(b"left\n")
        (d / "app.2020-01-02_00-00-00_000000.log.gz.partial").write_bytes(b"junk")
        sink = FileSink(log_path, rotation=100, compression="gz")
        sink.write(b"a" * 99 + b"\n")
        sink.write(b"b\n")
        sink.close()
        files = rotated(log_path)
        assert len(files) == 2
        assert all(f.name.endswith(".log.gz") for f in files)
        with gzip.open(d / f"app.{STAMP}.log.gz") as f:
            assert f.read() == b"left\n"


class TestExternalRotation:
    def test_logrotate_rename_while_logging(self, log_path: Path) -> None:
        """logrotate renames the file (create mode): later records go to a new file, none lost."""
        fastlog_core.configure(sink=str(log_path), level="debug")
        log = fastlog_core.get_logger()
        stop = threading.Event()
        count = 0

        def run() -> None:
            nonlocal count
            while not stop.is_set():
                log.info("m", i=count)
                count += 1
                if count % 50 == 0:
                    time.sleep(0.001)  # paced: a steady trickle, not a flood, while the test waits

        thread = threading.Thread(target=run)
        thread.start()
        try:
            wait_until(
                lambda: log_path.exists() and log_path.stat().st_size > 10_000, message="records"
            )
            moved = log_path.with_name("app.log.1")
            os.rename(log_path, moved)
            wait_until(
                lambda: log_path.exists() and log_path.stat().st_size > 10_000, message="new file"
            )
        finally:
            stop.set()
            thread.join()
        assert fastlog_core.flush(timeout=30)
        old = [r["i"] for r in read_lines(moved)]
        new = [r["i"] for r in read_lines(log_path)]
        assert old and new
        assert old + new == list(range(count))

    def test_removed_file_is_recreated(self, log_path: Path) -> None:
        """After the file is deleted, the next records go to a new file at the path."""
        fastlog_core.configure(sink=str(log_path), level="debug")
        log = fastlog_core.get_logger()
        for i in range(100):
            log.info("m", i=i)
        assert fastlog_core.flush(timeout=30)
        log_path.unlink()
        for i in range(100, 150):
            log.info("m", i=i)
        assert fastlog_core.flush(timeout=30)
        assert [r["i"] for r in read_lines(log_path)] == list(range(100, 150))

    def test_copytruncate_resets_the_size(self, log_path: Path) -> None:
        """A file truncated in place (copytruncate) is measured again: no needless rotation."""
        sink = FileSink(log_path, rotation=100)
        sink.write(b"a" * 59 + b"\n")
        os.truncate(log_path, 0)
        sink.write(b"b" * 59 + b"\n")
        sink.close()
        assert rotated(log_path) == []
        assert log_path.read_bytes() == b"b" * 59 + b"\n"


class TestReopen:
    def test_reopen_after_rename(self, log_path: Path) -> None:
        """reopen(): the next write goes to the file now at the path."""
        sink = FileSink(log_path)
        sink.write(b"one\n")
        moved = log_path.with_name("app.log.1")
        os.rename(log_path, moved)
        sink.reopen()
        sink.write(b"two\n")
        sink.close()
        assert moved.read_bytes() == b"one\n"
        assert log_path.read_bytes() == b"two\n"

    def test_reopen_after_close(self, log_path: Path) -> None:
        """reopen() on a closed sink does not raise; the next write opens the file."""
        sink = FileSink(log_path)
        sink.close()
        log_path.unlink()
        sink.reopen()
        sink.write(b"x\n")
        sink.close()
        assert log_path.read_bytes() == b"x\n"

    def test_reopen_from_another_thread_while_logging(self, log_path: Path) -> None:
        """reopen() called repeatedly from another thread loses, splits and doubles nothing."""
        sink = FileSink(log_path, rotation="32 KB")
        fastlog_core.configure(sink=sink, level="debug")
        log = fastlog_core.get_logger()
        done = threading.Event()

        def reopener() -> None:
            while not done.is_set():
                sink.reopen()
                time.sleep(0.0005)  # reopen again and again, leaving the loggers room to run

        def run(t: int) -> None:
            for i in range(10_000):
                log.info("m", t=t, i=i)

        helper = threading.Thread(target=reopener)
        helper.start()
        run_threads(run, 2)
        assert fastlog_core.flush(timeout=60)
        done.set()
        helper.join()
        seen = [(r["t"], r["i"]) for f in [*rotated(log_path), log_path] for r in read_lines(f)]
        assert len(seen) == 20_000
        assert set(seen) == {(t, i) for t in range(2) for i in range(10_000)}


class TestRotationFailure:
    def test_failed_rename_writes_nothing(self, tmp_path: Path) -> None:
        """A rename that fails (name too long) raises OSError before any byte is written."""
        if os.pathconf(tmp_path, "PC_NAME_MAX") != 255:
            pytest.skip("needs a file system with 255-byte names")
        path = tmp_path / ("x" * 240 + ".log")  # 244 bytes; rotated, 271: ENAMETOOLONG
        sink = FileSink(path, rotation=10)
        sink.write(b"first line\n")
        with pytest.raises(OSError) as info:
            sink.write(b"second\n")
        assert info.value.errno == errno.ENAMETOOLONG
        assert getattr(info.value, "fastlog_written", 0) == 0
        assert path.read_bytes() == b"first line\n"
        assert listing(tmp_path) == [path.name]
        with pytest.raises(OSError):  # the retry fails the same way, still writing nothing
            sink.write(b"second\n")
        sink.close()
        assert path.read_bytes() == b"first line\n"

    def test_failed_rename_keeps_the_lines_already_written(self, tmp_path: Path) -> None:
        """A batch split between files: the lines before a failed rotation stay in the old
        file and are reported written; the rest is written at the retry, once."""
        if os.pathconf(tmp_path, "PC_NAME_MAX") != 255:
            pytest.skip("needs a file system with 255-byte names")
        path = tmp_path / ("x" * 240 + ".log")
        sink = FileSink(path, rotation=20)
        with pytest.raises(OSError) as info:
            sink.write(b"one\ntwo\nthree\nfour\nfive\n")  # 24 bytes: "five" needs a new file
        assert info.value.fastlog_written == len(b"one\ntwo\nthree\nfour\n")  # type: ignore[attr-defined]
        assert path.read_bytes() == b"one\ntwo\nthree\nfour\n"
        sink.close()


@pytest.mark.skipif(not _rotation.LOCKING, reason="flock")
class TestPathLock:
    @staticmethod
    def held(lock_path: str) -> bool:
        """Whether some PathLock holds the lock file (probed without blocking)."""
        import fcntl

        fd = os.open(lock_path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def test_sidecar_lock_file(self, log_path: Path) -> None:
        """A rotated FileSink creates <path>.lock and holds it only while it writes."""
        sink = FileSink(log_path, rotation="1 MB")
        lock = str(log_path) + ".lock"
        assert os.path.exists(lock)
        lock_obj = _rotation.PathLock(str(log_path))
        lock_obj.acquire()
        assert self.held(lock)
        holder = threading.Thread(target=sink.write, args=(b"line\n",))
        holder.start()  # waits for our lock: the same process, another open file description
        lock_obj.release()
        holder.join()
        assert not self.held(lock)
        assert log_path.read_bytes() == b"line\n"
        sink.close()
        lock_obj.close()

    def test_removed_lock_file_is_recreated(self, log_path: Path) -> None:
        """A lock on a sidecar someone removed would exclude nobody: the lock is taken on the
        file at the path, recreated."""
        lock = _rotation.PathLock(str(log_path))
        lock.open()
        os.unlink(lock.path)
        lock.acquire()
        try:
            assert os.path.exists(lock.path)
            assert self.held(lock.path)
        finally:
            lock.release()
            lock.close()

    def test_forked_child_has_its_own_lock(self, log_path: Path) -> None:
        """After fork, the inherited descriptor is dropped: the child's lock excludes the
        parent's (a shared open file description would not)."""
        lock = _rotation.PathLock(str(log_path))
        lock.acquire()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                lock.after_fork()
                lock.open()
                import fcntl

                assert lock._fd is not None
                try:
                    fcntl.flock(lock._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    os.write(write, b"taken")
                except BlockingIOError:
                    os.write(write, b"excluded")
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert os.read(read, 100) == b"excluded"
        assert self.held(lock.path)  # closing the child's copy did not release ours
        lock.release()
        lock.close()
        os.close(read)
        os.close(write)

    def test_compression_claimed_once(self, log_path: Path) -> None:
        """A rotated file whose .gz.partial another process holds is left to it; free, it is
        compressed."""
        import fcntl

        source = log_path.parent / f"app.{STAMP}.log"
        source.write_bytes(b'{"a":1}\n')
        partial = str(source) + ".gz.partial"
        fd = os.open(partial, os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"work in progress")
        assert _rotation.gzip_file(str(source)) is None
        assert os.path.exists(source)
        assert Path(partial).read_bytes() == b"work in progress"  # not truncated under it
        os.close(fd)  # the other process died: its claim is gone
        assert _rotation.gzip_file(str(source)) == str(source) + ".gz"
        assert not os.path.exists(source) and not os.path.exists(partial)
        assert parse_gz(Path(str(source) + ".gz")) == [{"a": 1}]
