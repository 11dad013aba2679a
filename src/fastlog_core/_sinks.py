"""Sinks: where the writer thread puts the bytes.

A sink receives whole lines only, in large batches, from one thread at a time (the pipeline's
writer, or the caller under the pipeline's lock in ``sync`` mode). That makes sinks simple: no
locking, no buffering of their own. A user's sink needs ``write``, ``flush`` and ``close``.
"""

from __future__ import annotations

import errno
import io
import math
import os
import re
import sys
import threading
import time
from collections.abc import Sequence
from typing import IO, Any, Protocol, runtime_checkable

from . import _diagnostics, _rotation
from ._rotation import SizeRotation, TimeRotation
from .exceptions import ConfigError

__all__ = ["FileSink", "Sink", "SinkClosed", "StreamSink"]

#: Buffers per ``writev`` call: POSIX guarantees at least 16, Linux takes 1024.
_IOV_MAX: int = max(16, os.sysconf("SC_IOV_MAX")) if hasattr(os, "sysconf") else 16


class SinkClosed(BrokenPipeError):
    """Raised by a sink's ``write`` when its destination will never take data again: the reader
    of a pipe went away (``python app.py | head``), an ordinary end for a command-line tool.

    The pipeline then stops writing to that sink, quietly: no retry, no report on stderr. What
    the sink still owed and every later record meant for it are counted as ``lost``
    (``stats()``), so records sent = written + dropped + lost still holds. ``StreamSink`` raises
    it on ``EPIPE``; a sink of yours may raise it too (any other ``OSError`` is retried).

    .. versionadded:: 0.2
    """


@runtime_checkable
class Sink(Protocol):
    """What a destination must offer.

    ``write`` receives one or more whole JSON lines; it either writes all of them or raises
    ``OSError`` (the pipeline keeps the data and retries with backoff). If some bytes were
    written before the error, set ``exc.fastlog_written`` to that count so they are not
    written twice. A batch larger than 1 MiB comes in several calls, each of whole lines.
    ``SinkClosed`` (an ``OSError``) says the destination is gone for good: it is not retried.

    Optionally, ``writev(parts)`` (defined in the same class as ``write``) receives a whole
    batch as the list of the buffer's blocks, with the same contract: ``FileSink`` writes it
    with one ``os.writev``, so the batch is neither joined nor split.
    """

    def write(self, data: bytes, /) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class FileSink:
    """Append to a file: ``O_APPEND``, parent directories created, whole lines per ``write``.

    Each batch goes to the kernel in one ``writev`` call (looped only if the kernel takes less),
    and with ``O_APPEND`` each call lands at the end of the file, so several processes can
    append to one local file without tearing lines. The file is opened lazily and reopened after
    an error such as ``EBADF``, so a closed descriptor heals on the next retry.

    Before each batch the path is checked (one ``stat``): if it was renamed away or removed, as
    logrotate does, the sink reopens it and writes to the new file. ``reopen()`` does the same on
    request, for a ``postrotate`` script or a SIGHUP handler.

    A write the kernel cuts short in the middle of a line (a full disk, ``RLIMIT_FSIZE``) leaves
    the start of that line in the file; the retry finishes the line in the same file, through
    the same descriptor even if the file was renamed or removed meanwhile, so the rest of a line
    never starts another file. Only if that file cannot take the rest and the path now names
    another file is the line written whole to the new file (the old one then ends with the cut
    start, reported on stderr). A cut line counts as written only once it is whole.

    With ``rotation=`` the sink rotates the file itself, between two lines: the file is renamed
    to ``<stem>.<YYYY-MM-DD_HH-MM-SS_ffffff><suffix>`` (the local time of the rotation, loguru's
    naming; ``app.log`` becomes ``app.2025-01-31_23-59-59_123456.log``) and a new file is
    opened. With a size, a batch is split at line boundaries so that no file passes the limit,
    except a file holding a single line longer than the limit; a time boundary is checked
    before each batch. No line is lost, split or duplicated by rotation. If the rename or the
    open fails, ``write`` raises ``OSError`` after the lines that went to the old file; the
    pipeline keeps the rest and retries. Retention and compression then apply to the rotated
    files of this path (those matching the naming pattern, with or without ``.gz``); their
    errors are reported (``stats()["errors_by_kind"]["rotation"]``) and never stop the logging.

    Several processes may rotate the same file (gunicorn or uvicorn workers, a
    ``multiprocessing`` pool, each configured alike): each batch is written under an exclusive
    ``flock`` on a sidecar file, ``<path>.lock``, which also covers the check of size and time,
    the rename and the reopen, and the retention; each rotated file is compressed by one process.
    Where ``fcntl`` does not exist (Windows), one process per rotated file.

    Args:
        path: The file. Relative paths are resolved against the current directory once, at
            creation.
        mode: Permission bits for a file that does not exist yet (and for ``<path>.lock``).
        rotation: When to start a new file. ``None`` (never). A size: an ``int`` of bytes or
            a string such as ``"500 KB"``, ``"100 MB"``, ``"1 GiB"`` (``KB``/``MB``/``GB`` are
            powers of 1000, ``KiB``/``MiB``/``GiB`` of 1024); no file passes it, except one
            holding a single longer line. An interval after the file's creation:
            a ``datetime.timedelta`` or ``"30 minutes"``, ``"1 hour"``, ``"2 hours"``,
            ``"1 day"``, ``"1 week"``, ``"1h 30min"``. A calendar boundary: ``"hourly"``,
            ``"daily"`` (midnight), ``"weekly"`` (Monday, midnight), ``"monthly"``,
            ``"yearly"``. A local time of day, every day: ``"00:00"``, ``"13:30"``,
            ``"13:30:15"`` or a ``datetime.time``; or once a week: ``"monday"``,
            ``"sunday at 23:00"``. Time boundaries are local wall-clock times; the first one
            is computed from the file's creation time (birth time where the platform has one,
            else an extended attribute fastlog sets, else the modification time), so a
            restarted process keeps the schedule. An empty file is not rotated.
        retention: Which rotated files to keep, checked after each rotation. ``None`` (all).
            An ``int`` N: the N most recent. An age: ``"7 days"``, ``"12 hours"`` or a
            ``datetime.timedelta``: rotated files last modified longer ago are deleted.
            Requires ``rotation``.
        compression: ``None``, or ``"gz"`` (also ``"gzip"``): each rotated file becomes
            ``<name>.gz``, written under a temporary name and renamed when complete, by a
            background thread of this sink (never the writer or the logging caller);
            ``close()`` waits up to 30 s for it. Rotated files an earlier process left
            uncompressed are compressed too. Requires ``rotation``.

    Raises:
        ConfigError: for a bad ``rotation``, ``retention`` or ``compression``; the message
            names the option and lists the accepted forms.
        OSError: if the file (or, with ``rotation``, its ``.lock``) cannot be opened.

    .. versionadded:: 0.2
       ``rotation``, ``retention``, ``compression``, ``reopen()`` and the path check.
    """

    __slots__ = (
        "_compressor",
        "_cut",
        "_fd",
        "_flock",
        "_given",
        "_ino",
        "_limit",
        "_lock",
        "_mode",
        "_next_rotation",
        "_options",
        "_reopen",
        "_retention",
        "_rotation",
        "_size",
        "_timed",
        "path",
    )

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        mode: int = 0o644,
        rotation: object = None,
        retention: object = None,
        compression: object = None,
    ) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self._mode = mode
        self._rotation = _rotation.parse_rotation(rotation)
        self._retention = _rotation.parse_retention(retention)
        gz = _rotation.parse_compression(compression)
        if self._rotation is None:
            for option, value in (("retention", retention), ("compression", compression)):
                if value is not None:
                    raise ConfigError(
                        f"{option}={value!r}: applies to rotated files; give rotation= too"
                    )
        self._given = {"rotation": rotation, "retention": retention, "compression": compression}
        self._options = ", ".join(
            f"{name}={value!r}" for name, value in self._given.items() if value is not None
        )
        # Flattened for write(): 0 means no size limit, inf no time boundary.
        self._limit = self._rotation.limit if isinstance(self._rotation, SizeRotation) else 0
        self._timed = self._rotation if isinstance(self._rotation, TimeRotation) else None
        self._next_rotation = math.inf
        # Rotation is shared by every process writing the path: each batch under <path>.lock.
        rotated = self._rotation is not None and _rotation.LOCKING
        self._flock = _rotation.PathLock(self.path, mode) if rotated else None
        self._compressor = (
            _rotation.Compressor(
                self.path,
                self._retention,
                _rotation.PathLock(self.path, mode) if rotated else None,
            )
            if gz is not None
            else None
        )
        self._fd: int | None = None
        self._ino = (0, 0)  # (st_dev, st_ino) of the open file
        self._size = 0  # bytes in the open file, as far as this sink knows
        self._reopen = False
        self._cut: _CutLine | None = None  # a line a failed write cut short
        # Guards opening and closing only; never taken blocking from reopen() (signal handlers).
        self._lock = threading.Lock()
        if self._flock is not None:
            self._flock.open()  # fail at configure time if the lock file cannot be created
        with self._lock:
            fd = self._open()  # fail at configure time if the path cannot be created at all
        if self._timed is not None:
            created = _rotation.creation_time(fd, os.fstat(fd), time.time())
            self._next_rotation = self._timed.first_boundary(created)

    def __repr__(self) -> str:
        if self._options:
            return f"FileSink({self.path!r}, {self._options})"
        return f"FileSink({self.path!r})"

    @property
    def file_options(self) -> dict[str, object]:
        """``rotation``, ``retention`` and ``compression`` as given (``None``: not given); the
        registry compares them with a path's options (``docs/sinks.md``, one destination)."""
        return dict(self._given)

    def _open(self) -> int:
        """Open the path (the caller holds ``_lock``); the sink's state follows the new file."""
        parent = os.path.dirname(self.path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.path, flags, self._mode)
        try:
            st = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd
        self._ino = (st.st_dev, st.st_ino)
        self._size = st.st_size
        cut = self._cut
        if cut is not None and cut.in_file and cut.file == self._ino:
            if st.st_size == cut.end:
                return fd  # it ends with the start of our cut line: the next write finishes it
            cut.in_file = 0  # changed since (copytruncate...): the line is written whole
        if st.st_size and not self._ends_with_newline(st.st_size):
            # A process killed in the middle of a write left a partial last line; our first
            # record would be glued to it and unreadable. End that line first.
            try:
                self._size += os.write(fd, b"\n")
            except OSError:
                pass
            _diagnostics.report(
                "sink", f"{self.path!r} ended with a partial line; it was terminated"
            )
        return fd

    def _ends_with_newline(self, size: int) -> bool:
        """False only for a partial last line that nobody is still writing.

        Another process appending right now shows a half-written line too (readers can see a
        write(2) in progress): such a file grows within a moment, and is left alone. A file
        whose partial line stays put was cut by a process that died in the middle of a write.
        """
        # os-level calls only: this also runs at interpreter shutdown (a __del__ that logs),
        # when open() may no longer work.
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:  # not readable (write-only permissions): assume whole
            return True
        try:
            if os.pread(fd, 1, size - 1) in (b"\n", b""):
                return True
            time.sleep(_SETTLE)
            return os.fstat(fd).st_size != size or os.pread(fd, 1, size - 1) == b"\n"
        except OSError:
            return True
        finally:
            os.close(fd)

    def _close_fd(self) -> None:
        """Close the descriptor (the caller holds ``_lock``)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def _reopened(self) -> int:
        with self._lock:
            self._reopen = False
            before = self._ino
            self._close_fd()
            fd = self._open()
        if self._timed is not None and self._ino != before:
            # Another file at the path (another process rotated it, or logrotate did): the
            # time schedule follows that file's creation, so it is not rotated twice.
            created = _rotation.creation_time(fd, os.fstat(fd), time.time())
            self._next_rotation = self._timed.first_boundary(created)
        return fd

    def _current(self) -> int:
        """The descriptor of the file at the path, reopened if the path changed (one stat)."""
        fd = self._fd
        if fd is None or self._reopen:
            return self._reopened()
        # One stat per batch (~0.7 us) notices logrotate's rename, a removed file, or another
        # process's rotation.
        try:
            st = os.stat(self.path)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return self._reopened()
            return fd  # cannot tell (EACCES on a parent...): keep writing where we are
        if (st.st_dev, st.st_ino) != self._ino:
            return self._reopened()
        self._size = st.st_size  # the file's real size: counts other appenders and a copytruncate
        return fd

    def _holds(self, file: tuple[int, int]) -> bool | None:
        """Whether the path still names *file*; None when that cannot be told."""
        try:
            st = os.stat(self.path)
        except OSError as exc:
            return False if exc.errno in (errno.ENOENT, errno.ENOTDIR) else None
        return (st.st_dev, st.st_ino) == file

    def _rotate(self, now: float) -> int:
        """Rename the file away and open a fresh one; raises OSError with nothing changed."""
        with self._lock:
            target = _rotation.rotated_path(self.path, now)
            # Closed first: Windows cannot rename an open file. If the rename or the open
            # fails, no descriptor is left and the pipeline's retry opens the path afresh.
            self._close_fd()
            os.rename(self.path, target)
            fd = self._open()
        if self._timed is not None:
            _rotation.mark_created(fd, now)
            self._next_rotation = self._timed.next_boundary(self._next_rotation, now)
        if self._compressor is not None:
            self._compressor.submit()
        elif self._retention is not None:
            try:
                _rotation.apply_retention(self.path, self._retention, now)  # under _flock
            except Exception as exc:
                _diagnostics.report("rotation", f"retention for {self.path!r} failed: {exc}")
        return fd

    def write(self, data: bytes, /) -> None:
        self.writev((data,))

    def writev(self, parts: Sequence[bytes | bytearray], /) -> None:
        """Write *parts* as one batch: one ``writev`` system call per file (looped only if the
        kernel takes less), so the pipeline's blocks reach the file without being joined.

        With rotation, the batch is written under ``<path>.lock``. On ``OSError`` the
        exception's ``fastlog_written`` says how many bytes of *parts* the pipeline must not
        give again.
        """
        batch = _Batch(parts)
        flock = self._flock
        try:
            if flock is None:
                self._write_lines(batch)
            else:
                flock.acquire()
                try:
                    self._write_lines(batch)
                finally:
                    flock.release()
        except OSError as exc:
            exc.fastlog_written = batch.done  # type: ignore[attr-defined]
            raise
        finally:
            batch.release()

    def _write_lines(self, batch: _Batch) -> None:
        """The batch to the file at the path: a cut line finished first, rotations between
        lines. The caller holds ``_flock`` when there is one."""
        cut = self._cut
        if cut is not None:
            if not batch.startswith(cut.rest):
                self._forget_cut()  # the pipeline gave the rest up (counted as lost)
            elif cut.in_file and cut.file == self._ino and self._fd is not None:
                # The file the line started in is still open: end the line there, also when it
                # was renamed or removed meanwhile: only this makes that file whole.
                try:
                    self._put(self._fd, batch, cut.head[cut.in_file :], len(cut.rest))
                except OSError:
                    if self._holds(cut.file) is not False:
                        raise  # the same file: retried later, as any failed write
                    # Renamed or removed, and it cannot take the rest: the new file below
                    # gets the whole line.
        fd = self._current()
        cut = self._cut
        if cut is not None and cut.in_file:
            if cut.file == self._ino:  # the same file, reopened: it ends with the line's start
                self._put(fd, batch, cut.head[cut.in_file :], len(cut.rest))
            else:
                _diagnostics.report(
                    "sink",
                    f"a line cut by a failed write could not be finished in the file that was "
                    f"at {self.path!r} (renamed or removed since); it ends with that line's "
                    "start, and the whole line is written to the new file",
                )
                cut.in_file = 0
        timed = self._timed
        if timed is not None:
            now = time.time()
            if now >= self._next_rotation:
                if self._size:
                    fd = self._rotate(now)
                else:  # nothing to rotate: the file starts this period
                    self._next_rotation = timed.next_boundary(self._next_rotation, now)
        limit = self._limit
        while batch.left:
            cut = self._cut
            head = cut.head if cut is not None else b""  # a cut line written again, whole
            n = batch.left
            if limit and self._size + len(head) + n > limit:
                # Split between lines so that the file stays within the limit (found by one
                # backward search, at most once per file).
                n = batch.fit(limit - self._size - len(head))
                if not n:
                    if self._size:
                        fd = self._rotate(time.time())
                        continue
                    n = batch.line_end()  # one line longer than the limit: alone in its file
            self._put(fd, batch, head, n)

    def _put(self, fd: int, batch: _Batch, head: bytes, n: int) -> None:
        """Write *head* and the batch's next *n* bytes to *fd*, consuming them from the batch.

        *head* is what the file needs of a cut line before the batch's bytes (none, the rest of
        its start, or all of it). On failure the cut line is noted (``_cut_short``) and the
        ``OSError`` raised.
        """
        views = batch.take(n)
        if head:
            views.insert(0, memoryview(head))
        first = 0  # views[first:] are still to write
        written = 0
        try:
            while first < len(views):
                if first + 1 == len(views):
                    k = os.write(fd, views[first])
                else:
                    k = os.writev(fd, views[first : first + _IOV_MAX])
                written += k
                while first < len(views) and k >= len(views[first]):
                    k -= len(views[first])
                    first += 1
                if k:
                    views[first] = views[first][k:]
        except OSError as exc:
            self._size += written
            self._cut_short(fd, batch, len(head), written)
            if exc.errno in (errno.EBADF, errno.EINVAL, errno.ESTALE):
                self._fd = None  # reopen on the next attempt
            raise
        finally:
            for view in views:
                view.release()
        self._size += written
        batch.consume(n)
        self._cut = None  # a cut line was finished: the bytes written end on a line boundary

    def _cut_short(self, fd: int, batch: _Batch, head: int, written: int) -> None:
        """After a write of *head* + batch bytes stopped at *written*: consume what of the batch
        reached the file and note the line it cut, if any.

        The pipeline counts those bytes as written and keeps the rest, so the sink keeps the
        cut line's start (``_CutLine``) to finish it, or to write it again whole elsewhere.
        With ``_flock`` (other processes append between our writes) the start is removed from
        the file at once, under the lock: another process's line must not be glued to it.
        """
        if not written:
            return
        fid = self._ino
        m = max(0, written - head)  # bytes of the batch in the file
        boundary = batch.fit(m) if m else 0
        old = self._cut
        if boundary:  # the cut line (if any) was finished: a new one starts at `boundary`
            if boundary == m:
                self._cut = None
                batch.consume(m)
                return
            cut = _CutLine(batch.copy(boundary, m), batch.copy(m, batch.line_end(m)), fid)
            cut.in_file = m - boundary
        elif old is not None:  # still the same line, further on
            base = old.in_file if old.file == fid else 0
            cut = _CutLine(old.head + batch.copy(0, m), old.rest[m:], fid)
            cut.in_file = base + written
        else:  # a line of this batch, started
            cut = _CutLine(batch.copy(0, m), batch.copy(m, batch.line_end(m)), fid)
            cut.in_file = m
        cut.end = self._size
        self._cut = cut
        batch.consume(m)
        if self._flock is not None and cut.in_file:
            try:
                os.ftruncate(fd, self._size - cut.in_file)
            except OSError as exc:
                _diagnostics.report(
                    "sink", f"{self.path!r}: the start of a cut line could not be removed: {exc}"
                )
            else:
                self._size -= cut.in_file
                cut.end = self._size
                cut.in_file = 0

    def _forget_cut(self) -> None:
        """The pipeline gave up the rest of the cut line (shutdown, or a backlog past capacity:
        counted as lost). End its start, if the open file ends with it, so that the next line
        starts whole."""
        cut, self._cut = self._cut, None
        if cut is None or not cut.in_file or self._fd is None or cut.file != self._ino:
            return
        try:
            self._size += os.write(self._fd, b"\n")
        except OSError:
            pass
        _diagnostics.report(
            "sink",
            f"{self.path!r}: the rest of a line cut by a failed write was given up (counted as "
            "lost); its start is left as an unreadable line",
        )

    def reopen(self) -> None:
        """Close and reopen the path before the next write, e.g. after logrotate renamed it.

        Safe from another thread and from a signal handler: it only sets a flag that the next
        ``write`` honours (in the writer thread), so a batch is never split between the old
        and the new file. If the reopen then fails, that write raises ``OSError`` and the
        pipeline retries. The path check before each write catches a rename or removal anyway;
        this is for ``postrotate`` scripts and SIGHUP, the convention daemons follow.

        .. versionadded:: 0.2
        """
        self._reopen = True

    def flush(self) -> None:
        """Nothing to do: there is no user-space buffer; the kernel has the data."""

    def fsync(self) -> None:
        """Force the data to stable storage (used by the ``durable`` preset)."""
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        """Close the file; with compression, wait up to 30 s for rotated files to be gzipped.

        A later ``write`` opens the file again.
        """
        with self._lock:
            self._close_fd()
        if self._flock is not None:
            self._flock.close()
        if self._compressor is not None and not self._compressor.wait(_COMPRESS_PATIENCE):
            _diagnostics.report(
                "rotation",
                f"compressing rotated files of {self.path!r} still running after "
                f"{_COMPRESS_PATIENCE:.0f} s; left to finish in the background",
            )

    def after_fork(self) -> None:
        """In a forked child: fresh lock and compression thread state (the parent's may be held).

        .. versionadded:: 0.2
        """
        self._lock = threading.Lock()
        self._cut = None  # the parent's to finish: the child starts with its own records
        if self._flock is not None:
            self._flock.after_fork()
        if self._compressor is not None:
            self._compressor.after_fork()

    def isatty(self) -> bool:
        return False


class _CutLine:
    """A line a failed write cut short.

    ``head`` is what the pipeline counts as written of it, ``rest`` what it still holds (the
    next batch must begin with it, else it was given up). The file ``file`` (dev, ino) ends
    with ``head[:in_file]`` at size ``end``: the next write finishes the line there, or, in
    another file or with ``in_file`` 0, writes ``head`` again before ``rest``.
    """

    __slots__ = ("end", "file", "head", "in_file", "rest")

    def __init__(self, head: bytes, rest: bytes, file: tuple[int, int]) -> None:
        self.head = head
        self.rest = rest
        self.file = file
        self.in_file = 0
        self.end = 0


_NEWLINE = re.compile(b"\n")
_WINDOW = 4096  # first window of the backward search for a line boundary


class _Batch:
    """The bytes of one ``writev``: the pipeline's parts as memoryviews (no copy), consumed
    from the front as they reach a file."""

    __slots__ = ("done", "left", "views")

    def __init__(self, parts: Sequence[bytes | bytearray]) -> None:
        self.views = [memoryview(part) for part in parts if len(part)]
        self.left = sum(map(len, self.views))
        self.done = 0  # bytes consumed: written, or held as a cut line's head

    def span(self, start: int, end: int) -> list[memoryview]:
        """New views of the bytes from *start* to *end* (offsets from the front)."""
        out = []
        pos = 0
        for view in self.views:
            size = len(view)
            if pos + size > start and pos < end:
                out.append(view[max(0, start - pos) : min(size, end - pos)])
            pos += size
            if pos >= end:
                break
        return out

    def take(self, n: int) -> list[memoryview]:
        return self.span(0, n)

    def copy(self, start: int, end: int) -> bytes:
        views = self.span(start, end)
        try:
            return b"".join(views)
        finally:
            for view in views:
                view.release()

    def consume(self, n: int) -> None:
        self.left -= n
        self.done += n
        views = self.views
        k = 0
        while k < len(views) and n >= len(views[k]):
            n -= len(views[k])
            views[k].release()
            k += 1
        del views[:k]
        if n:
            head = views[0]
            views[0] = head[n:]
            head.release()

    def line_end(self, start: int = 0) -> int:
        """The offset just past the first newline at or after *start* (``left`` if none)."""
        pos = 0
        for view in self.views:
            size = len(view)
            if start < pos + size:
                found = _NEWLINE.search(view, max(0, start - pos))
                if found is not None:
                    return pos + found.end()
            pos += size
        return self.left

    def fit(self, room: int) -> int:
        """The most bytes from the front, up to *room*, that end a line (0: the first line is
        longer than *room*)."""
        if room >= self.left:
            return self.left
        end = room
        window = _WINDOW
        while end > 0:  # backwards, in growing windows: lines are short, limits large
            start = max(0, end - window)
            found = self.copy(start, end).rfind(b"\n")
            if found >= 0:
                return start + found + 1
            end = start
            window *= 4
        return 0

    def startswith(self, data: bytes) -> bool:
        return len(data) <= self.left and self.copy(0, len(data)) == data

    def release(self) -> None:
        for view in self.views:
            view.release()
        self.views = []


_COMPRESS_PATIENCE = 30.0  # seconds close() waits for pending compressions


_SETTLE = 0.05  # seconds a partial last line must stay unchanged to count as cut off
_NONBLOCKING_PATIENCE = 10.0  # seconds the writer waits on a non-blocking stream that is full


def _write_all(binary: Any, data: bytes) -> None:
    """Write *data* to a buffered binary stream and flush it, also when it is non-blocking.

    A non-blocking stdout (a pipe set O_NONBLOCK by a parent process) raises BlockingIOError
    when full. This runs in the writer thread, so it waits for the reader there instead of
    giving up: what the stream accepted is never written twice, and ``flush()`` returning
    True means the bytes left the process.
    """
    view = memoryview(data)
    done = 0
    deadline = time.monotonic() + _NONBLOCKING_PATIENCE
    try:
        while True:
            try:
                if done < len(view):
                    written = binary.write(view[done:])
                    done = len(view) if written is None else done + written
                    continue
                binary.flush()
                return
            except BlockingIOError as exc:
                done += exc.characters_written if done < len(view) else 0
                if time.monotonic() > deadline:
                    exc.fastlog_written = done  # type: ignore[attr-defined]
                    raise
                time.sleep(0.001)
    finally:
        view.release()


class StreamSink:
    """Write to ``"stdout"``, ``"stderr"`` or an open binary or text stream.

    For ``"stdout"``/``"stderr"`` the current ``sys.stdout``/``sys.stderr`` is looked up at each
    write, so redirection (``contextlib.redirect_stdout``, pytest's capture) is honoured. Text
    the program wrote to the stream first is flushed first, so it comes first. When the stream
    is a file descriptor, the batch goes to it with ``os.write``, not through the stream's own
    buffer, so none of fastlog's bytes are ever left in ``sys.stdout``'s buffer for Python to
    flush at exit.

    A stream whose reader went away (``EPIPE``: ``| head`` exited) ends this sink: ``write``
    raises ``SinkClosed`` (from then on, for that stream) and the pipeline stops writing to it,
    quietly, counting what it does not write as ``lost``.
    """

    __slots__ = ("_gone", "_name", "_stream")

    def __init__(self, stream: str | IO[Any] = "stdout") -> None:
        if isinstance(stream, str):
            if stream not in ("stdout", "stderr"):
                raise ValueError(f"sink={stream!r}: a stream sink is 'stdout' or 'stderr'")
            self._name: str | None = stream
            self._stream: IO[Any] | None = None
        else:
            self._name = None
            self._stream = stream
        self._gone: object = None  # the stream whose reader went away

    def __repr__(self) -> str:
        return f"StreamSink({self._name or self._stream!r})"

    @property
    def name(self) -> str | None:
        return self._name

    def _target(self) -> IO[Any]:
        if self._name is not None:
            stream = getattr(sys, self._name)
            if stream is None:
                raise OSError(errno.EBADF, f"sys.{self._name} is None")
            return stream  # type: ignore[no-any-return]
        assert self._stream is not None
        return self._stream

    def write(self, data: bytes, /) -> None:
        stream = self._target()
        if stream is self._gone:
            raise SinkClosed(errno.EPIPE, f"the reader of {self!r} has gone")
        binary = getattr(stream, "buffer", None)
        try:
            if binary is None:
                try:
                    stream.write(data)
                except TypeError:
                    stream.write(data.decode("utf-8", "replace"))
                stream.flush()
                return
            stream.flush()  # keep order with text already written through the wrapper
            fd = _raw_fd(binary)
            if fd is None:
                _write_all(binary, data)
            else:
                _write_fd(fd, data)
        except BrokenPipeError as exc:
            self._gone = stream
            closed = SinkClosed(errno.EPIPE, f"the reader of {self!r} has gone")
            closed.fastlog_written = getattr(exc, "fastlog_written", 0)  # type: ignore[attr-defined]
            raise closed from exc
        except ValueError as exc:  # "I/O operation on closed file"
            raise OSError(errno.EBADF, str(exc)) from exc

    def flush(self) -> None:
        try:
            self._target().flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        self.flush()  # never close the process's stdout/stderr or a caller's stream

    def isatty(self) -> bool:
        try:
            return bool(self._target().isatty())
        except Exception:
            return False


def _raw_fd(binary: Any) -> int | None:
    """The file descriptor under a buffered binary stream, when writing to it directly is the
    same as writing through the stream: a plain ``FileIO`` (not a Windows console, whose raw
    stream converts the text, nor an in-memory or captured stream)."""
    raw = binary if type(binary) is io.FileIO else getattr(binary, "raw", None)  # -u: no buffer
    if type(raw) is not io.FileIO or raw.closed:
        return None
    try:
        return raw.fileno()
    except (OSError, ValueError):
        return None


def _write_fd(fd: int, data: bytes) -> None:
    """Write all of *data* to *fd*, also when it is non-blocking (see ``_write_all``).

    An error after part of it was written carries that count as ``fastlog_written``.
    """
    view = memoryview(data)
    done = 0
    deadline = time.monotonic() + _NONBLOCKING_PATIENCE
    try:
        while done < len(view):
            try:
                done += os.write(fd, view[done:])
            except BlockingIOError as exc:
                if time.monotonic() > deadline:
                    exc.fastlog_written = done  # type: ignore[attr-defined]
                    raise
                time.sleep(0.001)
            except OSError as exc:
                exc.fastlog_written = done  # type: ignore[attr-defined]
                raise
    finally:
        view.release()
