"""Following log files as they grow (``fastlog tail -f``): across rename rotation, copytruncate,
a file removed and created again, a file that does not exist yet and new files matching a glob.

The follower polls (the standard library has no portable file-change notification): each poll
re-expands the specs, ``stat``-s every name, and reads every followed file to its end. Files are
identified by ``(st_dev, st_ino)``, not by name, so a file renamed away by rotation is drained to
its end (including a last batch another process writes into it after the rename) while the new
file at the name is read from its start. A size below the read position, or a changed first KiB,
is a truncation (logrotate's ``copytruncate``): reading restarts at offset 0.
"""

from __future__ import annotations

import glob
import os
import stat
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["FollowedLine", "Follower", "Notice", "NoticeKind", "follow"]

#: What a :class:`Notice` reports.
NoticeKind = Literal["missing", "appeared", "rotated", "truncated", "removed", "error"]

_MESSAGES: dict[str, str] = {
    "missing": "does not exist yet; waiting for it",
    "appeared": "has appeared; following it",
    "rotated": "has been replaced; following the new file",
    "truncated": "file truncated; reading from the start",
    "removed": "has been removed",
    "error": "cannot be read",
}

# Rotated-and-compressed files (fastlog's compressor writes ``.gz.partial`` then ``.gz``) are not
# followed: their lines were read through the file before it was compressed. ``.lock`` is the
# FileSink's rotation lock.
_SKIPPED_SUFFIXES = (".gz", ".partial", ".bz2", ".xz", ".zst", ".lock")
_FINGERPRINT = 1024  # bytes from offset 0 compared each poll: a truncate-and-regrow is seen
_BLOCK = 65536
_RETIRE_POLLS = 2  # a rotated-away file is read until it stays unchanged this many polls


@dataclass(frozen=True, slots=True)
class Notice:
    """Something happened to a followed file; a caller may show it (``str(notice)``) or not.

    Attributes:
        kind: ``missing`` (a named file absent at the start), ``appeared``, ``rotated`` (the
            name now holds another file), ``truncated``, ``removed`` or ``error``.
        source: The name as followed.
        detail: The operating system's message, for ``error``.
    """

    kind: NoticeKind
    source: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.source}: {_MESSAGES[self.kind]}"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass(frozen=True, slots=True)
class FollowedLine:
    """One line read from a followed file.

    Attributes:
        source: The name the file was followed under (for a file renamed away by rotation, the
            name it had, e.g. ``app.log``).
        data: The line's bytes without its ``\\n``.
        complete: ``False`` for a last line without a newline, given as is because its file was
            rotated away, removed or truncated, or for a piece of a line longer than
            ``max_line``.
    """

    source: str
    data: bytes
    complete: bool = True


Item = FollowedLine | Notice


@dataclass(slots=True, eq=False)
class _File:
    source: str
    name: str | None  # where the file is now (None once no followed name holds it)
    ident: tuple[int, int]
    fd: int | None
    pos: int
    head: bytes = b""  # the first bytes read from offset 0, up to _FINGERPRINT
    buf: bytearray = field(default_factory=bytearray)  # a line waiting for its newline
    idle: int = 0
    notice: Notice | None = None  # given just before the file's first lines
    written: int = 0  # its last write when opened (st_mtime_ns): older files are read first


#: How many times one poll lists the names again after a rotation during its listing.
_RESCANS = 3


def _written(f: _File) -> int:
    return f.written


def _is_glob(spec: str) -> bool:
    return any(c in spec for c in "*?[")


class Follower:
    """Follows files and glob patterns, giving their new lines in order per file.

    Args:
        specs: Paths and glob patterns (``logs/*.log``). A path that does not exist yet is
            followed from its start once it appears; a new match of a pattern is too.
        start_lines: Lines of each file present at the start to give first: the last N
            (``0``: none, from the end), or ``None`` for the whole file.
        interval: Seconds between polls when iterating.
        stop: An event that ends the iteration when set; :meth:`close` sets it.
        max_line: A line longer than this many bytes is given in pieces (``complete=False``),
            so that a file without newlines cannot grow the memory.
        read_size: At most this many bytes are read from one file per poll; the iteration
            polls again at once while a file has more.
        start_at: Where to start in files present at the start, instead of *start_lines*:
            name -> ``(st_dev, st_ino, offset)``, the offset just after a line's newline. A
            reader that has read a file up to there continues with this follower without a
            gap or a repeated line; when the name holds another file by then, that file is
            read from its start.
        keep_open: Keep the files open between polls (the default except on Windows, where an
            open file cannot be renamed, so the writer's rotation would fail). With
            ``False`` each poll opens and closes the files by name, and a file renamed away
            is not drained.

    The first :meth:`poll` gives the start lines of every file present (``tail -n N`` without
    ``-f`` is that one poll), file after file in the order of *specs* (a pattern's matches
    sorted by name).

    Limits: a file renamed away is read on through its open descriptor, but a writer that
    rotates twice between two polls leaves a file the follower never opened; its lines are
    read only if a pattern matches the rotated names too (``app*.log``) and the file is not
    compressed yet. Lines written between logrotate's copy and its truncate are in the copy
    only (logrotate's own race).

    A :class:`Follower` is not thread-safe: one thread polls or iterates it. ``close()`` may be
    called from another thread to end an iteration (it is then finished by the iterating
    thread).
    """

    def __init__(
        self,
        specs: Iterable[str | os.PathLike[str]],
        *,
        start_lines: int | None = 10,
        interval: float = 0.25,
        stop: threading.Event | None = None,
        max_line: int = 1 << 20,
        read_size: int = 1 << 20,
        keep_open: bool | None = None,
        start_at: Mapping[str, tuple[int, int, int]] | None = None,
    ) -> None:
        paths = [os.fspath(s) for s in specs]
        # A name with glob characters that exists as written is a path (``app[1].log``).
        self._specs = [(p, _is_glob(p) and not os.path.lexists(p)) for p in paths]
        if not self._specs:
            raise ValueError("Follower: give at least one path or pattern")
        if start_lines is not None and start_lines < 0:
            raise ValueError(f"Follower: start_lines must be >= 0 or None, not {start_lines}")
        if interval <= 0:
            raise ValueError(f"Follower: interval must be > 0, not {interval}")
        if max_line < 1 or read_size < 1:
            raise ValueError("Follower: max_line and read_size must be >= 1")
        self._start_lines = start_lines
        self._start_at = dict(start_at or {})
        self._interval = interval
        self._stop = stop if stop is not None else threading.Event()
        self._max_line = max_line
        self._read_size = read_size
        self._keep_open = os.name != "nt" if keep_open is None else keep_open
        self._files: dict[tuple[int, int], _File] = {}  # insertion order: oldest first
        self._at: dict[str, tuple[int, int]] = {}  # followed name -> the file it holds
        self._failed: set[str] = set()  # names that could not be opened (announced)
        self._moved = False  # a name held another file at open than at listing (see poll)
        self._started = False
        self._iterating = False
        self._busy = False
        self._closed = False

    @property
    def interval(self) -> float:
        """Seconds between polls when iterating."""
        return self._interval

    @property
    def stop_event(self) -> threading.Event:
        """The event that ends the iteration."""
        return self._stop

    @property
    def busy(self) -> bool:
        """Whether the last :meth:`poll` left unread bytes (poll again without waiting)."""
        return self._busy

    def sources(self) -> list[str]:
        """The names followed now (files that exist at a followed name)."""
        return list(self._at)

    # -- polling ---------------------------------------------------------------------------

    def poll(self) -> list[FollowedLine | Notice]:
        """One step, without waiting: notices and the lines written since the last poll.

        Never raises for a file that cannot be read (it gives an ``error`` notice instead).
        """
        if self._closed:
            return []
        out: list[Item] = []
        starting = not self._started
        self._started = True
        self._busy = False
        removed = self._scan(starting, out)
        # A name that held another file when opened than when listed: the writer rotated
        # meanwhile, and the file it renamed is not in the listing yet. Listed again, it is
        # found now and read before the newer one (files are read oldest write first), rather
        # than next poll, after it.
        for _ in range(_RESCANS):
            if starting or not self._moved:
                break
            self._moved = False
            removed += [n for n in self._scan(False, out) if n not in removed]
        self._moved = False
        for f in sorted(self._files.values(), key=_written):
            self._read(f, out)
        out.extend(Notice("removed", name) for name in removed)
        return out

    def _names(self) -> list[str]:
        names: list[str] = []
        seen: set[str] = set()
        for spec, pattern in self._specs:
            if pattern:
                found = sorted(glob.glob(spec))
                found = [n for n in found if not n.endswith(_SKIPPED_SUFFIXES)]
            else:
                found = [spec]
            for n in found:
                if n not in seen:
                    seen.add(n)
                    names.append(n)
        return names

    def _scan(self, starting: bool, out: list[Item]) -> list[str]:
        """Match names to files; open new ones; retire those no name holds. Returns the names
        whose file went away (announced after the remaining lines are read)."""
        present: dict[str, tuple[int, int]] = {}
        for name in self._names():
            try:
                st = os.stat(name)
            except OSError:
                if starting and (name, False) in self._specs:
                    out.append(Notice("missing", name))
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            present[name] = (st.st_dev, st.st_ino)
        removed = [n for n in self._at if n not in present]
        for name in removed:
            del self._at[name]
        for name, found in present.items():
            ident = found
            prev = self._at.get(name)
            known = self._files.get(ident)
            if known is not None:
                known.name = name  # renamed to a name followed too (or was never away)
                known.idle = 0
            else:
                if starting:
                    notice = None
                elif prev is not None:
                    notice = Notice("rotated", name)
                else:
                    notice = Notice("appeared", name)
                opened = self._open_new(name, ident, starting, out)
                if opened is None:
                    continue
                opened.notice = notice
                ident = opened.ident
            self._at[name] = ident
        held = set(self._at.values())
        for ident, f in self._files.items():
            if ident not in held and f.name is not None:
                f.name = None  # retiring: read until idle, then closed
                f.idle = -1  # this poll's read does not count
        return removed

    def _open_new(
        self, name: str, ident: tuple[int, int], starting: bool, out: list[Item]
    ) -> _File | None:
        try:
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            if name not in self._failed:  # said once, not at every poll
                self._failed.add(name)
                out.append(Notice("error", name, exc.strerror or str(exc)))
            return None
        self._failed.discard(name)
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != ident:
                self._moved = True
            ident = (st.st_dev, st.st_ino)  # the file opened, if it changed since the stat
            pos = 0
            if starting and name in self._start_at:
                dev, ino, offset = self._start_at[name]
                if (dev, ino) == ident and offset <= st.st_size:
                    pos = offset
            elif starting and self._start_lines is not None:
                pos = _tail_offset(fd, st.st_size, self._start_lines)
        except OSError as exc:
            os.close(fd)
            out.append(Notice("error", name, exc.strerror or str(exc)))
            return None
        if ident in self._files:  # replaced between the stat and the open by a known file
            os.close(fd)
            return None
        f = _File(source=name, name=name, ident=ident, fd=fd, pos=pos, written=st.st_mtime_ns)
        if pos > 0:
            f.head = _pread(fd, min(_FINGERPRINT, pos), 0)
        if not self._keep_open:
            os.close(fd)
            f.fd = None
        self._files[ident] = f
        return f

    def _reopen(self, f: _File) -> int | None:
        """The descriptor for *f* without ``keep_open``: the name's file if it is still *f*."""
        if f.name is None:
            return None
        try:
            fd = os.open(f.name, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError:
            return None
        try:
            st = os.fstat(fd)
        except OSError:
            os.close(fd)
            return None
        if (st.st_dev, st.st_ino) != f.ident:
            os.close(fd)
            return None
        return fd

    def _read(self, f: _File, out: list[Item]) -> None:
        fd = f.fd if self._keep_open else self._reopen(f)
        if fd is None:
            self._drop(f, out)
            return
        try:
            got = self._read_fd(f, fd, out)
        except OSError as exc:
            out.append(Notice("error", f.source, exc.strerror or str(exc)))
            got = 0
        finally:
            if not self._keep_open:
                os.close(fd)
        if f.name is None:  # retiring: closed once nothing more arrives
            f.idle = 0 if got else f.idle + 1
            if f.idle >= _RETIRE_POLLS or not self._keep_open:
                self._drop(f, out)

    def _read_fd(self, f: _File, fd: int, out: list[Item]) -> int:
        size = os.fstat(fd).st_size
        if size < f.pos or (f.head and _pread(fd, len(f.head), 0) != f.head):
            # copytruncate (or truncated and written again past our position before this poll)
            self._flush_partial(f, out)
            f.pos = 0
            f.head = b""
            out.append(Notice("truncated", f.source))
        got = 0
        while got < self._read_size:
            want = min(_BLOCK * 4, self._read_size - got)
            data = _pread(fd, want, f.pos)
            if not data:
                break
            if f.notice is not None:
                out.append(f.notice)
                f.notice = None
            if len(f.head) < _FINGERPRINT and f.pos < _FINGERPRINT:
                f.head = (f.head + data)[:_FINGERPRINT] if f.pos == len(f.head) else f.head
            f.pos += len(data)
            got += len(data)
            self._cut(f, data, out)
            if len(data) < want:
                break
        else:
            self._busy = True
        if f.notice is not None and f.name is not None:
            out.append(f.notice)  # an empty new file: announce it now
            f.notice = None
        return got

    def _cut(self, f: _File, data: bytes, out: list[Item]) -> None:
        source = f.source
        start = 0
        end = data.find(b"\n")
        if end >= 0 and f.buf:
            f.buf += data[:end]
            out.append(FollowedLine(source, bytes(f.buf)))
            f.buf.clear()
            start = end + 1
            end = data.find(b"\n", start)
        while end >= 0:
            out.append(FollowedLine(source, data[start:end]))
            start = end + 1
            end = data.find(b"\n", start)
        if start < len(data):
            f.buf += data[start:]
            while len(f.buf) > self._max_line:
                out.append(FollowedLine(source, bytes(f.buf[: self._max_line]), complete=False))
                del f.buf[: self._max_line]

    def _flush_partial(self, f: _File, out: list[Item]) -> None:
        if f.buf:
            out.append(FollowedLine(f.source, bytes(f.buf), complete=False))
            f.buf.clear()

    def _drop(self, f: _File, out: list[Item]) -> None:
        self._flush_partial(f, out)
        if f.fd is not None:
            try:
                os.close(f.fd)
            except OSError:
                pass
            f.fd = None
        self._files.pop(f.ident, None)

    # -- iteration -------------------------------------------------------------------------

    def __iter__(self) -> Iterator[FollowedLine | Notice]:
        """Poll until :meth:`close` or the stop event; waits ``interval`` between idle polls."""
        self._iterating = True
        try:
            while not self._stop.is_set():
                for item in self.poll():
                    if self._stop.is_set():  # a long poll's rest is not waited for
                        return
                    yield item
                if not self._busy:
                    self._stop.wait(self._interval)
        finally:
            self._iterating = False
            self._release()

    def close(self) -> None:
        """Stop: ends an iteration (from any thread) and closes the files."""
        self._stop.set()
        if not self._iterating:  # else the iterating thread releases the files (no race)
            self._release()

    def _release(self) -> None:
        self._closed = True
        for f in list(self._files.values()):
            if f.fd is not None:
                try:
                    os.close(f.fd)
                except OSError:
                    pass
                f.fd = None
        self._files.clear()
        self._at.clear()

    def __enter__(self) -> Follower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def follow(
    specs: Iterable[str | os.PathLike[str]],
    *,
    start_lines: int | None = 10,
    interval: float = 0.25,
    stop: threading.Event | None = None,
) -> Iterator[FollowedLine | Notice]:
    """Follow *specs* until *stop* is set: :class:`Follower` as a generator.

    Args:
        specs: Paths and glob patterns.
        start_lines: The last N lines of each file present at the start (``None``: all).
        interval: Seconds between polls.
        stop: Ends the iteration when set.

    Yields:
        Lines and notices, in order per file.
    """
    follower = Follower(specs, start_lines=start_lines, interval=interval, stop=stop)
    try:
        yield from follower
    finally:
        follower.close()


def _pread(fd: int, n: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, n, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows has no pread
    return os.read(fd, n)


def _tail_offset(fd: int, size: int, lines: int) -> int:
    """The offset of the last *lines* complete lines of the file (a last line without its
    newline is not counted: it is given whole once its newline arrives)."""
    # The end of the last complete line.
    end = size
    found = -1
    while end > 0 and found < 0:
        start = max(0, end - _BLOCK)
        found = _pread(fd, end - start, start).rfind(b"\n")
        if found >= 0:
            found += start
        end = start
    if found < 0:
        return 0
    end = found + 1
    if lines == 0:
        return end
    # The lines-th newline before the last one starts the first line given.
    need = lines
    stop = end - 1
    while stop > 0:
        start = max(0, stop - _BLOCK)
        block = _pread(fd, stop - start, start)
        i = len(block)
        while True:
            i = block.rfind(b"\n", 0, i)
            if i < 0:
                break
            need -= 1
            if need == 0:
                return start + i + 1
        stop = start
    return 0
