"""Waking the writer and re-entrancy: what must stay safe inside a signal handler.

A signal handler runs between two bytecodes of whatever the main thread was doing, possibly in
the middle of fastlog's own slow path. So the writer's wake-up takes no Python-level lock (a
byte written to a pipe), and a thread that is inside fastlog is marked (``inside``), so that a
handler logging meanwhile appends without waking anyone and a handler's shutdown waits for the
interrupted call's next safe point (``defer_if_inside``).
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable

from .. import _diagnostics

#: ``.depth``: how deep this thread is inside a pipeline's slow path (0: not inside).
local = threading.local()

_PIPE_CLOSED_WAIT = 0.05


class Wake:
    """The writer's wake-up call, safe from signal handlers: a byte written to a pipe.

    ``threading.Event.set()`` takes the event's internal lock, which is not reentrant: a signal
    handler that runs while the main thread is inside ``set()`` and calls ``set()`` again
    (SIGTERM's flush does) deadlocks the process, and the writer waiting on the event with it.
    ``os.write`` to a non-blocking pipe takes no Python-level lock; the writer waits with
    ``select``. Where pipes cannot be selected (Windows) an ``Event`` is used.
    """

    __slots__ = ("_event", "_r", "_w")

    def __init__(self) -> None:
        self._event: threading.Event | None = None
        self._r = self._w = -1
        if os.name == "nt":  # pragma: no cover - select() takes sockets only there
            self._event = threading.Event()
            return
        self._r, self._w = os.pipe()  # non-inheritable (PEP 446)
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)

    def set(self) -> None:
        if self._event is not None:  # pragma: no cover - Windows
            self._event.set()
            return
        try:
            os.write(self._w, b"\0")
        except OSError:  # full (already signalled) or closed (shut down): nothing to do
            pass

    def wait(self, timeout: float) -> None:
        if self._event is not None:  # pragma: no cover - Windows
            self._event.wait(timeout)
            return
        try:
            select.select([self._r], [], [], timeout)
        except (OSError, ValueError):  # closed under us at shutdown
            time.sleep(min(timeout, _PIPE_CLOSED_WAIT))

    def clear(self) -> None:
        if self._event is not None:  # pragma: no cover - Windows
            self._event.clear()
            return
        try:
            while os.read(self._r, 4096):
                pass
        except OSError:  # empty (EAGAIN) or closed
            pass

    def close(self) -> None:
        for fd in (self._r, self._w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._r = self._w = -1


def depth() -> int:
    """How deep this thread is inside fastlog's slow path (0: not inside)."""
    depth: int = getattr(local, "depth", 0)
    return depth


# Work a signal handler asked for while its thread was inside fastlog's slow path (SIGTERM's
# shutdown), with that thread's id: run by that thread when it is at a safe point, i.e. it
# leaves fastlog or waits in it. Never by another thread: the work was asked of this one
# (SIGTERM's must end in the main thread, the only one where signal.signal() works).
deferred: list[tuple[int, Callable[[], None]]] = []


def defer_if_inside(action: Callable[[], None]) -> bool:
    """From a signal handler: if this thread is inside fastlog, run *action* at its next safe
    point instead (and return True); otherwise return False and let the caller run it now."""
    if getattr(local, "depth", 0):
        deferred.append((threading.get_ident(), action))
        return True
    return False


def run_deferred() -> None:
    """Run what signal handlers deferred in this thread (see ``defer_if_inside``): at a safe
    point only. Work deferred by another thread is left for it."""
    me = threading.get_ident()
    for item in [item for item in deferred if item[0] == me]:
        try:
            deferred.remove(item)  # atomic: each item runs once
        except ValueError:  # pragma: no cover - defensive
            continue
        try:
            item[1]()
        except Exception as exc:  # pragma: no cover - defensive
            _diagnostics.report("signal", f"{type(exc).__name__}: {exc}")
