"""The callers' side of a pipeline: the one append path every adapter and the native logger use.

``Appender.emit(record, levelno)`` encodes a record dict with the core's JSON options and value
policy (a host's own as optional ``default`` and ``option``) and appends the line;
``append(line, levelno)`` appends a line already encoded (a host renderer's bytes). The common
case takes no lock: a length check against ``limit``, which the pipeline keeps at the room left
in the block being
filled, then ``buf += line``. Everything else goes to ``slow(line, levelno)``, the pipeline's
slow path (a full block, backpressure, truncation, fsync levels, sync mode).

``suffix`` is the pipeline's static fields as JSON members (``b',"k8s.pod.name":"web-1"'``),
or ``b""``: a line that is a JSON object (``{...}\n``) gets them before its closing brace, on
every path, so the size checks, truncation and every sink see the final line.

``fastlog_core._speedups.Appender`` (C) does the same in one call; this class defines the
behaviour and is used without the speedups. Tests run the pipeline on both.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from typing import Any, Protocol

from .._encoders.json import _NON_STR_KEYS
from .._encoders.json import unsafe_value as _unsafe_value
from .buffer import GIL_ENABLED

_next = next
_CORE: Any = object()  # emit() without a default: the core's value policy


class AppenderType(Protocol):
    """What the pipeline and the adapters see of an appender, C or Python."""

    buf: Any
    limit: int
    max_record: int
    slow_level: int
    special: bool
    suffix: bytes

    appended: int

    def append(self, line: bytes, levelno: int, /) -> None: ...
    def emit(
        self, record: dict[str, Any], levelno: int, default: Any = ..., option: int = ..., /
    ) -> None: ...
    def count(self) -> None: ...


class Appender:
    """The pure-Python appender (see the module docstring for the contract)."""

    __slots__ = (
        "_appended",
        "_default",
        "_dumps",
        "_option",
        "_repair",
        "_slow",
        "_tail",
        "buf",
        "limit",
        "max_record",
        "slow_level",
        "special",
    )

    def __init__(
        self,
        slow: Callable[[bytes, int], None],
        dumps: Callable[..., bytes],
        default: Callable[[Any], Any],
        option: int,
        repair: Callable[[Any, BaseException, Any, Any], bytes],
        /,
    ) -> None:
        self.buf: Any = bytearray()
        self.limit = -1
        self.max_record = 0
        self.slow_level = 0
        self.special = False
        self._tail = b""  # the suffix and the line's end, b"}\n": one concatenation per line
        # Records are counted by the callers (next() on a C iterator is atomic and ~19 ns)
        # rather than by the writer scanning batches for newlines under the GIL.
        self._appended = itertools.count()
        self._slow = slow
        self._dumps = dumps
        self._default = default
        self._option = option
        self._repair = repair

    @property
    def suffix(self) -> bytes:
        """The static fields as JSON members (``b',"k":"v"'``), or ``b""``."""
        return self._tail[:-2]

    @suffix.setter
    def suffix(self, value: bytes) -> None:
        self._tail = bytes(value) + b"}\n" if value else b""

    @property
    def appended(self) -> int:
        """Records appended so far."""
        return int(repr(self._appended)[6:-1])

    @appended.setter
    def appended(self, value: int) -> None:
        self._appended = itertools.count(value)

    def count(self) -> None:
        """Count one record that a slow path appended itself."""
        _next(self._appended)

    def append(self, line: bytes, levelno: int, /) -> None:
        """Queue one encoded line (with its newline). Never raises beyond the slow path's
        own guard; never blocks beyond the pipeline's policy."""
        tail = self._tail
        if tail and type(line) is bytes and line[-2:] == b"}\n" and line[:1] == b"{":
            # "{}\n" takes the fields without the comma; C: append_line in _speedups.c.
            line = line[:-2] + (tail[1:] if line[-3:-2] == b"{" else tail)
        buf = self.buf
        size = len(line)
        if len(buf) + size <= self.limit and size <= self.max_record and levelno < self.slow_level:
            buf += line
            _next(self._appended)
            return
        # A caller waiting in the slow path must not hold the block: the writer waits for
        # every holder of a block it takes (buffer.take).
        del buf
        self._slow(line, levelno)

    def emit(
        self, record: dict[str, Any], levelno: int, default: Any = _CORE, option: Any = _CORE, /
    ) -> None:
        """Encode *record* with orjson (the core's value policy and options, or the host's
        *default* and *option*) and queue the line; a record orjson rejects is repaired,
        marked and counted. Never raises."""
        if default is _CORE:
            default = self._default
        if option is _CORE:
            option = self._option
        bad = _unsafe_value(record, option & _NON_STR_KEYS)
        if bad is not None:  # a value orjson would crash on (see _encoders/json.unsafe_value)
            line = self._repair(record, bad, default, option)
        else:
            try:
                line = self._dumps(record, default, option)
            except Exception as exc:  # repaired with the same value policy
                line = self._repair(record, exc, default, option)
        self.append(line, levelno)


def splice(line: bytes, suffix: bytes) -> bytes:
    """*line* as ``Appender.append`` queues it: with *suffix* (the static fields) before the
    closing brace when it is a JSON object line."""
    if suffix and type(line) is bytes and line[:1] == b"{" and line[-2:] == b"}\n":
        return line[:-2] + (suffix[1:] if line[-3:-2] == b"{" else suffix) + b"}\n"
    return line


def new_appender(
    slow: Callable[[bytes, int], None],
    dumps: Callable[..., bytes],
    default: Callable[[Any], Any],
    option: int,
    repair: Callable[[Any, BaseException, Any, Any], bytes],
) -> AppenderType:
    """The C appender when the speedups are built (and a GIL makes its append atomic), else
    the Python one. ``FASTLOG_NO_SPEEDUPS=1`` forces the Python one."""
    if not os.environ.get("FASTLOG_NO_SPEEDUPS") and GIL_ENABLED:
        try:
            from .._speedups import Appender as CAppender
        except ImportError:
            pass
        else:
            return CAppender(slow, dumps, default, option, repair)
    return Appender(slow, dumps, default, option, repair)
