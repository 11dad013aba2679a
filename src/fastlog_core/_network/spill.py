"""The spill: an on-disk FIFO of lines a network sink could not deliver yet.

Each process writes its own subdirectory of the spill directory, ``<pid>-<ns>/``, held by an
exclusive ``flock`` on its ``.lock`` file for as long as the process lives; its lines go into
segment files of about ``SEGMENT`` bytes, named by a sequence number so that their names sort
in delivery order. A segment being appended is ``<seq>.open``; once full (or read) it becomes
``<seq>.<lines>.seg``. A process adopts the subdirectories no live process holds (a previous
run's, one that crashed) and delivers their segments first: they are older. A segment is
deleted once delivered, so a crash between delivery and deletion delivers it twice (at least
once, never lost); a line a crash cut short at the end of a segment is dropped on reading.

Only the sink's lock-holders touch it (the writer appending, the sender reading): no lock of
its own.
"""

from __future__ import annotations

import os
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking, one process per directory
    fcntl = None  # type: ignore[assignment]

__all__ = ["Spill"]

SEGMENT = 1024 * 1024
#: Appended segments count up from here, segments put back in front count down from it.
_MIDDLE = 10**15


class _Segment:
    __slots__ = ("dir", "name", "records", "seq", "size")

    def __init__(self, dir: _Dir, seq: int, name: str, records: int, size: int) -> None:
        self.dir = dir
        self.seq = seq
        self.name = name
        self.records = records
        self.size = size

    @property
    def path(self) -> str:
        return os.path.join(self.dir.path, self.name)


class _Dir:
    """One process's subdirectory, and the lock that says it is taken."""

    __slots__ = ("lock_fd", "path", "segments")

    def __init__(self, path: str, lock_fd: int | None) -> None:
        self.path = path
        self.lock_fd = lock_fd
        self.segments = 0

    def release(self, remove: bool) -> None:
        if remove:
            try:
                os.unlink(os.path.join(self.path, ".lock"))
                os.rmdir(self.path)
            except OSError:
                pass
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None


def _lock(path: str) -> int | None:
    """An fd holding an exclusive lock on *path*/.lock; None when another process holds it."""
    fd = os.open(os.path.join(path, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    if fcntl is None:  # pragma: no cover
        return fd  # type: ignore[unreachable]
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class Spill:
    """Lines on disk, oldest first: ``append`` at the end, ``prepend`` at the front,
    ``oldest`` to read the first segment, ``commit`` once it is delivered."""

    def __init__(self, root: str, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        os.makedirs(root, exist_ok=True)
        own = os.path.join(root, f"{os.getpid()}-{time.time_ns()}")
        os.mkdir(own, 0o700)
        self._own = _Dir(own, _lock(own))
        self._segments: list[_Segment] = []
        self.records = 0  # lines on disk, to deliver
        self.size = 0  # their bytes
        self._tail: _Segment | None = None  # the open segment appends go to
        self._tail_fd = -1
        self._next = _MIDDLE
        self._front = _MIDDLE
        self._adopt()

    def _adopt(self) -> None:
        """Take over the subdirectories no live process holds: their segments come first."""
        for name in sorted(os.listdir(self.root)):
            path = os.path.join(self.root, name)
            if path == self._own.path or not os.path.isdir(path):
                continue
            try:
                fd = _lock(path)
            except OSError:
                continue
            if fd is None:
                continue  # a live process's
            taken = _Dir(path, fd)
            found = []
            for entry in os.listdir(path):
                parts = entry.split(".")
                if not parts[0].isdigit() or parts[-1] not in ("seg", "open"):
                    continue
                full = os.path.join(path, entry)
                size = os.path.getsize(full)
                if parts[-1] == "seg" and len(parts) == 3 and parts[1].isdigit():
                    records = int(parts[1])
                else:  # cut short by a crash: count what it holds
                    with open(full, "rb") as f:
                        records = f.read().count(b"\n")
                if records:
                    found.append(_Segment(taken, int(parts[0]), entry, records, size))
                else:
                    os.unlink(full)
            found.sort(key=lambda s: s.seq)
            taken.segments = len(found)
            if not found:
                taken.release(remove=True)
                continue
            for segment in found:
                self._segments.append(segment)
                self.records += segment.records
                self.size += segment.size

    def append(self, data: bytes, records: int) -> bool:
        """Add *data* (whole lines) at the end; False when that would pass ``max_bytes``."""
        if self.size + len(data) > self.max_bytes:
            return False
        tail = self._tail
        if tail is None or tail.size >= SEGMENT:
            self._seal()
            self._next += 1
            tail = self._tail = _Segment(self._own, self._next, f"{self._next:020d}.open", 0, 0)
            self._tail_fd = os.open(tail.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._segments.append(tail)
            self._own.segments += 1
        _write_all(self._tail_fd, data)
        tail.records += records
        tail.size += len(data)
        self.records += records
        self.size += len(data)
        return True

    def prepend(self, data: bytes, records: int) -> bool:
        """Put *data* (whole lines, older than all the spill holds) in front; False when that
        would pass ``max_bytes``."""
        if self.size + len(data) > self.max_bytes:
            return False
        self._front -= 1
        name = f"{self._front:020d}.{records}.seg"
        segment = _Segment(self._own, self._front, name, records, len(data))
        temporary = segment.path + ".tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.rename(temporary, segment.path)
        # Adopted segments are older still: they stay in front of this one.
        at = next(
            (i for i, s in enumerate(self._segments) if s.dir is self._own), len(self._segments)
        )
        self._segments.insert(at, segment)
        self._own.segments += 1
        self.records += records
        self.size += len(data)
        return True

    def _seal(self) -> None:
        """Close the segment appends go to, its name now telling its line count."""
        tail = self._tail
        if tail is None:
            return
        os.close(self._tail_fd)
        self._tail = None
        self._tail_fd = -1
        name = f"{tail.seq:020d}.{tail.records}.seg"
        os.rename(tail.path, os.path.join(tail.dir.path, name))
        tail.name = name

    def oldest(self) -> tuple[int, bytes]:
        """The first segment's key and whole lines (``records`` must be non-zero)."""
        segment = self._segments[0]
        if segment is self._tail:
            self._seal()
        with open(segment.path, "rb") as f:
            data = f.read()
        end = data.rfind(b"\n") + 1  # a line a crash cut short is dropped
        return segment.seq, data[:end]

    def commit(self, key: int) -> None:
        """The first segment (*key*) was delivered: delete it."""
        segment = self._segments[0]
        if segment.seq != key:  # pragma: no cover - defensive
            return
        del self._segments[0]
        self.records -= segment.records
        self.size -= segment.size
        try:
            os.unlink(segment.path)
        except OSError:
            pass
        owner = segment.dir
        owner.segments -= 1
        if owner is not self._own and not owner.segments:
            owner.release(remove=True)

    def close(self) -> None:
        """Seal the open segment; an empty subdirectory of ours is removed."""
        self._seal()
        self._own.release(remove=not self._own.segments)
        for segment in self._segments:
            if segment.dir is not self._own and segment.dir.lock_fd is not None:
                segment.dir.release(remove=False)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
