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

    With ``rotation=`` the sink rotates the file itself, before the batch that crosses the size
    or time limit: the file is renamed to ``<stem>.<YYYY-MM-DD_HH-MM-SS_ffffff><suffix>`` (the
    local time of the rotation, loguru's naming; ``app.log`` becomes
    ``app.2025-01-31_23-59-59_123456.log``) and a new file is opened. A batch is never split
    across two files, so rotation loses, splits or duplicates no line. If the rename or the
    open fails, ``write`` raises ``OSError`` before writing anything; the pipeline keeps the
    batch and retries. Retention and compression then apply to the rotated files of this path
    (those matching the naming pattern, with or without ``.gz``); their errors are reported
    (``stats()["errors_by_kind"]["rotation"]``) and never stop the logging.

    Rotation assumes one writing process per file: two processes rotating the same path would
    each rename the other's file. Several processes should log to several files (or leave
    rotation to logrotate, which the path check above supports).

    Args:
        path: The file. Relative paths are resolved against the current directory once, at
            creation.
        mode: Permission bits for a file that does not exist yet.
        rotation: When to start a new file. ``None`` (never). A size: an ``int`` of bytes or
            a string such as ``"500 KB"``, ``"100 MB"``, ``"1 GiB"`` (``KB``/``MB``/``GB`` are
            powers of 1000, ``KiB``/``MiB``/``GiB`` of 1024); a batch that would take a
            non-empty file past it goes to a new file. An interval after the file's creation:
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
        OSError: if the file cannot be opened.

    .. versionadded:: 0.2
       ``rotation``, ``retention``, ``compression``, ``reopen()`` and the path check.
    """

    __slots__ = (
        "_compressor",
        "_fd",
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
        self._compressor = (
            _rotation.Compressor(self.path, self._retention) if gz is not None else None
        )
        self._fd: int | None = None
        self._ino = (0, 0)  # (st_dev, st_ino) of the open file
        self._size = 0  # bytes in the open file, as far as this sink knows
        self._reopen = False
        # Guards opening and closing only; never taken blocking from reopen() (signal handlers).
        self._lock = threading.Lock()
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
            self._close_fd()
            return self._open()

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
                _rotation.apply_retention(self.path, self._retention, now)
            except Exception as exc:
                _diagnostics.report("rotation", f"retention for {self.path!r} failed: {exc}")
        return fd

    def write(self, data: bytes, /) -> None:
        self.writev((data,))

    def writev(self, parts: Sequence[bytes | bytearray], /) -> None:
        """Write *parts* as one batch: one ``writev`` system call (looped only if the kernel
        takes less), so the pipeline's blocks reach the file without being joined."""
        fd = self._fd
        if fd is None or self._reopen:
            fd = self._reopened()
        else:
            # One stat per batch (~0.7 us) notices logrotate's rename or a removed file.
            try:
                st = os.stat(self.path)
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                    fd = self._reopened()
                # else: cannot tell (EACCES on a parent...): keep writing where we are
            else:
                if (st.st_dev, st.st_ino) != self._ino:
                    fd = self._reopened()
                else:
                    # The file's real size: counts other appenders and a copytruncate.
                    self._size = st.st_size
        total = sum(map(len, parts))
        if self._size:  # an empty file is never rotated: the batch goes in whatever its size
            if self._limit and self._size + total > self._limit:
                fd = self._rotate(time.time())
            elif self._timed is not None:
                now = time.time()
                if now >= self._next_rotation:
                    fd = self._rotate(now)
        elif self._timed is not None:
            now = time.time()
            if now >= self._next_rotation:  # nothing to rotate: the file starts this period
                self._next_rotation = self._timed.next_boundary(self._next_rotation, now)
        views = [memoryview(part) for part in parts]
        first = 0  # views[first:] are still to write
        done = 0
        try:
            while first < len(views):
                if first + 1 == len(views):
                    n = os.write(fd, views[first])
                else:
                    n = os.writev(fd, views[first : first + _IOV_MAX])
                done += n
                while first < len(views) and n >= len(views[first]):
                    n -= len(views[first])
                    first += 1
                if n:
                    views[first] = views[first][n:]
        except OSError as exc:
            if exc.errno in (errno.EBADF, errno.EINVAL, errno.ESTALE):
                self._fd = None  # reopen on the next attempt
            exc.fastlog_written = done  # type: ignore[attr-defined]
            raise
        finally:
            self._size += done
            for view in views:
                view.release()

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
        if self._compressor is not None:
            self._compressor.after_fork()

    def isatty(self) -> bool:
        return False


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
