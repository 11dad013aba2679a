"""File rotation: the ``rotation=``, ``retention=`` and ``compression=`` options of FileSink.

The option spellings are loguru's (``"100 MB"``, ``"1 day"``, ``"daily"``, ``"00:00"``,
``"7 days"``, ``"gz"``) and so is the naming of rotated files,
``<stem>.<YYYY-MM-DD_HH-MM-SS_ffffff><suffix>``: a directory rotated by loguru is understood
here and the other way round.

This module holds the parsing (checked once, at configure time, raising ``ConfigError`` naming
the option), the policies' arithmetic, the listing of a sink's rotated files, retention, gzip
compression and the background thread that does the last two off the writer's path, and the
lock that lets several processes rotate one file (``PathLock``). ``FileSink`` (``_sinks.py``)
decides when to rotate and does the rename itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import math
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

try:
    import fcntl

    #: Whether several processes can rotate one file: ``flock`` exists (POSIX; not Windows).
    LOCKING = True
except ImportError:  # Windows: no flock; one process per rotated file (docs/rotation.md)
    LOCKING = False

from . import _diagnostics
from ._presets import parse_size
from .exceptions import ConfigError

__all__ = [
    "LOCKING",
    "Compressor",
    "PathLock",
    "Retention",
    "SizeRotation",
    "TimeRotation",
    "apply_retention",
    "creation_time",
    "gzip_file",
    "locked",
    "mark_created",
    "parse_compression",
    "parse_retention",
    "parse_rotation",
    "rotated_files",
    "rotated_path",
]

# -- policies ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class SizeRotation:
    """Rotate before a batch that would take the file past *limit* bytes."""

    limit: int


@dataclasses.dataclass(frozen=True, slots=True)
class TimeRotation:
    """Rotate at the first write at or after a boundary; boundaries are local wall-clock times.

    Exactly one way of stepping is set: *interval* seconds after the file's creation (a
    ``timedelta`` or ``"2 hours"``); *step* to the next calendar boundary (``"daily"``: the next
    midnight); or *at* a time of day, every day or on *weekday* only (``"13:30"``,
    ``"monday at 09:00"``).
    """

    interval: float | None = None
    step: Callable[[dt.datetime], dt.datetime] | None = None
    at: dt.time | None = None
    weekday: int | None = None  # Monday is 0, with ``at``

    def first_boundary(self, start: float) -> float:
        """The first boundary strictly after *start* (a file's creation, as a timestamp)."""
        if self.interval is not None:
            return start + self.interval
        begin = dt.datetime.fromtimestamp(start)
        if self.step is not None:
            return self.step(begin).timestamp()
        assert self.at is not None
        candidate = dt.datetime.combine(begin.date(), self.at)
        while candidate <= begin or (
            self.weekday is not None and candidate.weekday() != self.weekday
        ):
            candidate += dt.timedelta(days=1)
        return candidate.timestamp()

    def next_boundary(self, boundary: float, now: float) -> float:
        """The first boundary after *now*, stepping on from the *boundary* that was reached."""
        if boundary > now:
            return boundary
        if self.interval is not None:
            # Arithmetic, not a loop: a 200 ms interval on a file from last week is one step.
            return boundary + (math.floor((now - boundary) / self.interval) + 1) * self.interval
        limit = dt.datetime.fromtimestamp(boundary)
        current = dt.datetime.fromtimestamp(now)
        days = 7 if self.weekday is not None else 1
        while limit <= current:
            # Naive local datetimes: "daily at 00:00" stays at midnight across DST changes.
            limit = self.step(limit) if self.step is not None else limit + dt.timedelta(days=days)
        return limit.timestamp()


Rotation = SizeRotation | TimeRotation


@dataclasses.dataclass(frozen=True, slots=True)
class Retention:
    """Keep the *count* most recent rotated files, or delete those older than *max_age* s."""

    count: int | None = None
    max_age: float | None = None


# -- parsing -------------------------------------------------------------------------------

_ROTATION_FORMS = (
    "expected None, a size (10485760, '100 MB', '1 GiB'), an interval (a timedelta, "
    "'1 hour', '30 minutes', '1 day', '1 week', '1h 30min'), 'hourly', 'daily', 'weekly', "
    "'monthly', 'yearly', a time of day ('00:00', '13:30', a datetime.time) or a weekday "
    "('monday', 'sunday at 23:00')"
)
_RETENTION_FORMS = (
    "expected None, a number of rotated files to keep (10), or an age ('7 days', '12 hours', "
    "a timedelta)"
)

_DURATION_PART = r"(\d+(?:\.\d+)?)\s*([a-z]+)[\s,]*"
_DURATION = re.compile(rf"(?:{_DURATION_PART})+", re.IGNORECASE)
_DURATION_UNITS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), seconds)
    for pattern, seconds in (
        ("y|years?", 365 * 86400),
        ("months?", 2628000),  # a twelfth of a year, as loguru counts it
        ("w|weeks?", 7 * 86400),
        ("d|days?", 86400),
        ("h|hours?", 3600),
        ("min(?:ute)?s?", 60),
        ("s|sec(?:ond)?s?", 1),
        ("ms|milliseconds?", 0.001),
        ("us|microseconds?", 0.000001),
    )
)
_TIME_OF_DAY = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AT = re.compile(r"(.+?)\s+at\s+(.+)", re.IGNORECASE)


def _parse_duration(text: str) -> float | None:
    """Seconds from ``"1 day"``, ``"30 minutes"``, ``"1h 30min"``; None if not a duration."""
    text = text.strip()
    if not _DURATION.fullmatch(text):
        return None
    seconds = 0.0
    for number, unit in re.findall(_DURATION_PART, text, re.IGNORECASE):
        factor = next((s for pattern, s in _DURATION_UNITS if pattern.fullmatch(unit)), None)
        if factor is None:
            return None
        seconds += float(number) * factor
    return seconds


def _hourly(t: dt.datetime) -> dt.datetime:
    return (t + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)


def _daily(t: dt.datetime) -> dt.datetime:
    return (t + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _weekly(t: dt.datetime) -> dt.datetime:
    """The next Monday at midnight."""
    return (t + dt.timedelta(days=7 - t.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


def _monthly(t: dt.datetime) -> dt.datetime:
    year, month = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
    return t.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def _yearly(t: dt.datetime) -> dt.datetime:
    return t.replace(year=t.year + 1, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


_FREQUENCIES: dict[str, Callable[[dt.datetime], dt.datetime]] = {
    "hourly": _hourly,
    "daily": _daily,
    "weekly": _weekly,
    "monthly": _monthly,
    "yearly": _yearly,
}


def _parse_time_of_day(text: str) -> dt.time | None:
    m = _TIME_OF_DAY.fullmatch(text.strip())
    if m is None:
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second)


def _parse_weekday(text: str) -> int | None:
    """``"monday"``..``"sunday"`` or loguru's ``"w0"``..``"w6"``."""
    text = text.strip().lower()
    if text in _WEEKDAYS:
        return _WEEKDAYS.index(text)
    if len(text) == 2 and text[0] == "w" and text[1] in "0123456":
        return int(text[1])
    return None


def _parse_daytime(text: str) -> TimeRotation | None:
    """``"13:30"``, ``"monday"``, ``"sunday at 23:00"``."""
    at = _parse_time_of_day(text)
    if at is not None:
        return TimeRotation(at=at)
    m = _AT.fullmatch(text.strip())
    day_text, time_text = (m.group(1), m.group(2)) if m else (text, None)
    weekday = _parse_weekday(day_text)
    if weekday is None:
        return None
    at = dt.time(0, 0) if time_text is None else _parse_time_of_day(time_text)
    if at is None:
        return None
    return TimeRotation(at=at, weekday=weekday)


def parse_rotation(value: object) -> Rotation | None:
    """The rotation policy for *value*; raises ConfigError naming ``rotation=``."""
    if value is None:
        return None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if value > 0:
            return SizeRotation(value)
    elif isinstance(value, dt.timedelta):
        if value > dt.timedelta(0):
            return TimeRotation(interval=value.total_seconds())
    elif isinstance(value, dt.time):
        # A time's tzinfo is not honoured: boundaries are local wall-clock times, like loguru.
        return TimeRotation(at=value.replace(tzinfo=None))
    elif isinstance(value, str):
        try:
            return SizeRotation(parse_size(value, "rotation"))
        except ConfigError:
            pass
        seconds = _parse_duration(value)
        if seconds is not None:
            if seconds > 0:
                return TimeRotation(interval=seconds)
        elif value.strip().lower() in _FREQUENCIES:
            return TimeRotation(step=_FREQUENCIES[value.strip().lower()])
        else:
            daytime = _parse_daytime(value)
            if daytime is not None:
                return daytime
    raise ConfigError(f"rotation={value!r}: {_ROTATION_FORMS}")


def parse_retention(value: object) -> Retention | None:
    """The retention policy for *value*; raises ConfigError naming ``retention=``."""
    if value is None:
        return None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if value >= 0:
            return Retention(count=value)
    elif isinstance(value, dt.timedelta):
        if value > dt.timedelta(0):
            return Retention(max_age=value.total_seconds())
    elif isinstance(value, str):
        seconds = _parse_duration(value)
        if seconds is not None and seconds > 0:
            return Retention(max_age=seconds)
    raise ConfigError(f"retention={value!r}: {_RETENTION_FORMS}")


def parse_compression(value: object) -> str | None:
    """``"gz"`` for ``"gz"``/``"gzip"``/``".gz"``; raises ConfigError naming ``compression=``."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip(".").lower() in ("gz", "gzip"):
        return "gz"
    raise ConfigError(f"compression={value!r}: expected None or 'gz' (gzip, the only format)")


# -- rotated files -------------------------------------------------------------------------

_STAMP_FORMAT = "%Y-%m-%d_%H-%M-%S_%f"
_STAMP = r"\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_\d{6}"
_GZ = ".gz"
_PARTIAL = ".partial"  # a .gz being written: renamed to .gz only once complete


def rotated_path(path: str, when: float) -> str:
    """A free name for *path* rotated at *when*: ``app.log`` -> ``app.<stamp>.log``.

    A name already taken (two rotations within a microsecond, or the clock set back) gets a
    counter, ``app.<stamp>.1.log``; a name whose ``.gz`` exists counts as taken.
    """
    root, suffix = os.path.splitext(path)
    base = f"{root}.{dt.datetime.fromtimestamp(when).strftime(_STAMP_FORMAT)}"
    candidate = base + suffix
    n = 0
    while os.path.lexists(candidate) or os.path.lexists(candidate + _GZ):
        n += 1
        candidate = f"{base}.{n}{suffix}"
    return candidate


@dataclasses.dataclass(frozen=True, slots=True)
class _Rotated:
    """One rotated file of a sink, with its compressed forms, as found in the directory."""

    base: str  # the uncompressed name, whether or not it still exists
    order: tuple[str, int]  # (stamp, counter): sorts oldest first
    members: tuple[str, ...]  # the paths that exist: base, base.gz, base.gz.partial


def _pattern(path: str) -> re.Pattern[str]:
    root, suffix = os.path.splitext(os.path.basename(path))
    return re.compile(
        rf"{re.escape(root)}\.({_STAMP})(?:\.(\d+))?{re.escape(suffix)}"
        rf"((?:{re.escape(_GZ)})(?:{re.escape(_PARTIAL)})?)?"
    )


def rotated_files(path: str) -> list[_Rotated]:
    """The rotated files of the sink writing *path*, oldest first (by the stamp in the name)."""
    directory = os.path.dirname(path)
    pattern = _pattern(path)
    found: dict[str, tuple[tuple[str, int], list[str]]] = {}
    for name in os.listdir(directory):
        m = pattern.fullmatch(name)
        if m is None:
            continue
        full = os.path.join(directory, name)
        base = full[: len(full) - len(m.group(3) or "")]
        entry = found.setdefault(base, ((m.group(1), int(m.group(2) or 0)), []))
        entry[1].append(full)
    return sorted(
        (_Rotated(base, order, tuple(sorted(members))) for base, (order, members) in found.items()),
        key=lambda r: r.order,
    )


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def apply_retention(path: str, retention: Retention, now: float | None = None) -> None:
    """Delete the rotated files of *path* beyond the count or older than the age (by mtime).

    A rotated file and its ``.gz`` count as one. Raises OSError (callers report it).
    """
    rotated = rotated_files(path)
    if retention.count is not None:
        doomed = rotated[: max(0, len(rotated) - retention.count)]
    else:
        assert retention.max_age is not None
        cutoff = (time.time() if now is None else now) - retention.max_age
        doomed = []
        for entry in rotated:
            mtimes = []
            for member in entry.members:
                try:
                    mtimes.append(os.stat(member).st_mtime)
                except FileNotFoundError:
                    pass
            if mtimes and max(mtimes) <= cutoff:
                doomed.append(entry)
    for entry in doomed:
        for member in entry.members:
            _remove(member)


def _same_file(fd: int, path: str) -> bool:
    """Whether *path* is still the file open as *fd* (not renamed away, removed or replaced)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def gzip_file(source: str, lock: PathLock | None = None) -> str | None:
    """Compress *source* to ``<source>.gz`` and remove *source*; return the new path, or None
    if another process is compressing it or has done so, or retention removed it meanwhile.

    Written to ``<source>.gz.partial``, fsynced, then renamed: a ``.gz`` that exists is
    complete. The ``.gz`` keeps the source's mtime (retention by age stays right) and mode.
    Several processes rotating one file each compress its rotated files, so the work is
    claimed: the ``.partial`` is locked (``flock``, without blocking) for the whole job, and a
    process that finds it locked leaves that file to its owner. The rename of the ``.gz`` and
    the removal of the source happen under *lock*, the sink's lock that retention also takes:
    a file retention removed meanwhile is not resurrected as a ``.gz``.
    """
    target = source + _GZ
    partial = target + _PARTIAL
    # No O_TRUNC: the .partial may be another process's work in progress until we hold it.
    fd = os.open(partial, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        if LOCKING:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None  # another process is compressing it
            # What we locked may be a finished job's file, renamed to .gz since we opened it.
            if not _same_file(fd, partial):
                return None
        try:
            st = os.stat(source)
        except FileNotFoundError:
            _remove(partial)  # compressed or removed by someone else meanwhile
            return None
        os.ftruncate(fd, 0)
        with open(source, "rb") as src, open(fd, "wb", closefd=False) as raw:
            # compresslevel 6 is gzip(1)'s default: about 3x faster than Python's 9, nearly as
            # small.
            with gzip.GzipFile(
                filename=os.path.basename(source),
                mode="wb",
                compresslevel=6,
                fileobj=raw,
                mtime=int(st.st_mtime),
            ) as out:
                shutil.copyfileobj(src, out, 1024 * 1024)
            raw.flush()
        if hasattr(os, "fchmod"):  # not on Windows before 3.13
            os.fchmod(fd, st.st_mode & 0o7777)
        os.fsync(fd)
        os.utime(partial, ns=(st.st_atime_ns, st.st_mtime_ns))
        if not LOCKING:  # no claim to keep, and Windows cannot rename an open file
            os.close(fd)
            fd = -1
        with locked(lock):
            if not os.path.exists(source) or (fd >= 0 and not _same_file(fd, partial)):
                _remove(partial)  # retention removed the source while we compressed it
                return None
            os.replace(partial, target)
            os.unlink(source)
        return target
    finally:
        if fd >= 0:
            os.close(fd)  # releases the claim


def _claimable(path: str) -> bool:
    """Whether no process holds *path* (a ``.partial``) locked: a stale one, left by a process
    that died while compressing."""
    if not LOCKING:
        return True
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _compress_pending(path: str, lock: PathLock | None = None) -> None:
    """Gzip every rotated file of *path* that is not compressed yet.

    That includes files left uncompressed by an earlier process that died first, and files
    other processes rotating the same path rotated; a stale ``.partial`` whose source is gone
    is removed.
    """
    for entry in rotated_files(path):
        if entry.base in entry.members:
            try:
                gzip_file(entry.base, lock)
            except FileNotFoundError:
                pass  # removed meanwhile (retention by someone else, an operator)
            except OSError as exc:
                _diagnostics.report("rotation", f"compressing {entry.base!r} failed: {exc}")
        else:
            for member in entry.members:
                if member.endswith(_PARTIAL) and _claimable(member):
                    _remove(member)


# -- several processes ---------------------------------------------------------------------

_LOCK_SUFFIX = ".lock"


class PathLock:
    """An exclusive lock on a rotated file, shared by every process that writes it.

    ``flock`` on a sidecar file, ``<path>.lock`` (created empty, never removed: removing a lock
    file races with a process about to lock it). flock locks belong to an open file
    description, so each ``PathLock`` excludes every other one, in this process (the writer
    thread and the compression thread have one each) and in the others; the kernel releases
    it when its process dies. After locking, the sidecar's path is checked to still be the
    locked file: a lock on a removed sidecar would exclude nobody.

    Without ``fcntl`` (Windows) it does nothing: one process per rotated file there.
    """

    __slots__ = ("_fd", "_id", "_mode", "path")

    def __init__(self, path: str, mode: int = 0o644) -> None:
        self.path = path + _LOCK_SUFFIX
        self._mode = mode
        self._fd: int | None = None
        self._id = (0, 0)

    def open(self) -> None:
        """Create or open the sidecar (raises OSError if it cannot be)."""
        if self._fd is not None or not LOCKING:
            return
        # Read-only is enough for flock, and works for a sidecar another user created.
        fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), self._mode)
        st = os.fstat(fd)
        self._fd, self._id = fd, (st.st_dev, st.st_ino)

    def acquire(self) -> None:
        """Wait for the lock; raises OSError (nothing held) if it cannot be had."""
        if not LOCKING:
            return
        for _ in range(3):
            self.open()
            fd = self._fd
            assert fd is not None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                self.close()  # EBADF (closed under us), ENOLCK...: a fresh descriptor next time
                raise
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                pass
            else:
                if (st.st_dev, st.st_ino) == self._id:
                    return
            self.close()  # the sidecar was removed or replaced: lock the one at the path
        raise OSError(f"{self.path!r} keeps being replaced; not locked")

    def release(self) -> None:
        """Let the other processes in. Never raises."""
        fd = self._fd
        if fd is not None and LOCKING:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError:
                self.close()

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)  # also releases the lock
            except OSError:
                pass

    def after_fork(self) -> None:
        """In a forked child: the inherited descriptor shares the parent's lock, so it would
        exclude nothing (and unlocking it would unlock the parent). Closed, not unlocked: the
        parent's own descriptor keeps its lock."""
        self.close()


@contextmanager
def locked(lock: PathLock | None) -> Iterator[None]:
    """Hold *lock* (if any) for the block."""
    if lock is None:
        yield
        return
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


# -- time of creation ----------------------------------------------------------------------

#: Linux has no creation time in stat(); like loguru, keep one in an extended attribute so a
#: restarted process rotates "daily" at the same boundary as the one before it.
_XATTR = "user.fastlog_crtime"


def creation_time(fd: int, st: os.stat_result, now: float) -> float:
    """When the open file *fd* was created: birth time, our xattr, else mtime (now if empty)."""
    birth = getattr(st, "st_birthtime", None)
    if birth is not None:
        return float(birth)
    getxattr = getattr(os, "getxattr", None)
    if getxattr is not None:
        try:
            return float(getxattr(fd, _XATTR))
        except (OSError, ValueError):
            pass
    created = st.st_mtime if st.st_size else now
    mark_created(fd, created)
    return created


def mark_created(fd: int, when: float) -> None:
    """Record *when* as the creation time of *fd* where the platform needs it (best effort)."""
    setxattr = getattr(os, "setxattr", None)
    if setxattr is not None:
        try:
            setxattr(fd, _XATTR, repr(when).encode("ascii"))
        except OSError:
            pass  # file systems without user xattrs: mtime is the fallback


# -- the background thread -----------------------------------------------------------------


class Compressor:
    """Retention and compression of one sink's rotated files, in one daemon thread.

    The writer only calls ``submit()`` after a rotation (a counter and a notify). The thread is
    started on demand and ends when there is nothing left to do, so an idle sink holds no thread.
    Each round applies retention first (nothing is compressed only to be deleted), then gzips
    every rotated file not compressed yet. With *lock* (several processes may rotate the path,
    each with its own compressor), retention runs under it and compression is claimed file by
    file (see ``gzip_file``), so each rotated file is compressed once and retention counts
    every process's files.
    """

    __slots__ = ("_cond", "_done", "_lock", "_path", "_requested", "_retention", "_thread")

    def __init__(
        self, path: str, retention: Retention | None, lock: PathLock | None = None
    ) -> None:
        self._path = path
        self._retention = retention
        self._lock = lock
        self._cond = threading.Condition(threading.Lock())
        self._requested = 0
        self._done = 0
        self._thread: threading.Thread | None = None

    def submit(self) -> None:
        """Ask for a round (after a rotation). Never raises into the writer.

        If no thread can be started (at interpreter exit, where Python refuses new threads),
        the round runs here, in the caller: late, but no rotated file is left uncompressed.
        """
        with self._cond:
            self._requested += 1
            if self._thread is not None:
                self._cond.notify_all()
                return
            thread = threading.Thread(target=self._run, name="fastlog-compress", daemon=True)
            try:
                thread.start()
            except RuntimeError:
                target = self._requested
            else:
                self._thread = thread
                return
        self.run_once()
        with self._cond:
            self._done = max(self._done, target)
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._done >= self._requested:
                    if self._lock is not None:
                        self._lock.close()  # opened again by the next round
                    self._thread = None
                    self._cond.notify_all()
                    return
                target = self._requested
            self.run_once()
            with self._cond:
                self._done = target
                self._cond.notify_all()

    def run_once(self) -> None:
        """One round, in the calling thread: retention, then compression. Never raises."""
        try:
            if self._retention is not None:
                with locked(self._lock):
                    apply_retention(self._path, self._retention)
        except Exception as exc:
            _diagnostics.report("rotation", f"retention for {self._path!r} failed: {exc}")
        try:
            _compress_pending(self._path, self._lock)
        except Exception as exc:
            _diagnostics.report("rotation", f"compression for {self._path!r} failed: {exc}")

    def wait(self, timeout: float) -> bool:
        """Wait until every round asked for is done; False if *timeout* passed first."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._done >= self._requested or self._thread is None, timeout
            )

    def after_fork(self) -> None:
        """In a forked child: the parent's thread does not exist here, its lock may be held."""
        self._cond = threading.Condition(threading.Lock())
        self._requested = self._done = 0
        self._thread = None
        if self._lock is not None:
            self._lock.after_fork()
