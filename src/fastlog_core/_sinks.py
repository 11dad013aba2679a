"""Sinks: where the writer thread puts the bytes.

A sink receives whole lines only, in large batches, from one thread at a time (the pipeline's
writer, or the caller under the pipeline's lock in ``sync`` mode). That makes sinks simple: no
locking, no buffering of their own. A user's sink needs ``write``, ``flush`` and ``close``.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from typing import IO, Any, Protocol, runtime_checkable

__all__ = ["FileSink", "Sink", "StreamSink"]


@runtime_checkable
class Sink(Protocol):
    """What a destination must offer.

    ``write`` receives one or more whole JSON lines; it either writes all of them or raises
    ``OSError`` (the pipeline keeps the data and retries with backoff). If some bytes were
    written before the error, set ``exc.fastlog_written`` to that count so they are not
    written twice.
    """

    def write(self, data: bytes, /) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class FileSink:
    """Append to a file: ``O_APPEND``, parent directories created, whole lines per ``write``.

    Each batch goes to the kernel in one ``write`` call (looped only if the kernel takes less),
    and with ``O_APPEND`` each call lands at the end of the file, so several processes can
    append to one local file without tearing lines. The file is opened lazily and reopened after
    an error such as ``EBADF``, so a closed descriptor heals on the next retry.

    Args:
        path: The file. Relative paths are resolved against the current directory once, at
            creation.
        mode: Permission bits for a file that does not exist yet.
    """

    __slots__ = ("_fd", "_mode", "path")

    def __init__(self, path: str | os.PathLike[str], *, mode: int = 0o644) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self._mode = mode
        self._fd: int | None = None
        self._open()  # fail at configure time if the path cannot be created at all

    def __repr__(self) -> str:
        return f"FileSink({self.path!r})"

    def _open(self) -> int:
        parent = os.path.dirname(self.path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(self.path, flags, self._mode)
        return self._fd

    def write(self, data: bytes, /) -> None:
        fd = self._fd
        if fd is None:
            fd = self._open()
        view = memoryview(data)
        total = len(view)
        done = 0
        try:
            while done < total:
                done += os.write(fd, view[done:])
        except OSError as exc:
            if exc.errno in (errno.EBADF, errno.EINVAL, errno.ESTALE):
                self._fd = None  # reopen on the next attempt
            exc.fastlog_written = done  # type: ignore[attr-defined]
            raise
        finally:
            view.release()

    def flush(self) -> None:
        """Nothing to do: there is no user-space buffer; the kernel has the data."""

    def fsync(self) -> None:
        """Force the data to stable storage (used by the ``durable`` preset)."""
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def isatty(self) -> bool:
        return False


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
    write, so redirection (``contextlib.redirect_stdout``, pytest's capture) is honoured.
    """

    __slots__ = ("_name", "_stream")

    def __init__(self, stream: str | IO[Any] = "stdout") -> None:
        if isinstance(stream, str):
            if stream not in ("stdout", "stderr"):
                raise ValueError(f"sink={stream!r}: a stream sink is 'stdout' or 'stderr'")
            self._name: str | None = stream
            self._stream: IO[Any] | None = None
        else:
            self._name = None
            self._stream = stream

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
            _write_all(binary, data)
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
