"""Signals, opt-out and opt-in: SIGTERM flushes before the process dies; SIGHUP may reopen files.

Library etiquette: fastlog installs no handler at import, and replaces only SIGTERM's *default*
disposition, never a handler someone else installed, when its first asynchronous pipeline is
created (``_process``). A handler installed later (uvicorn, gunicorn) is never replaced or
wrapped, and fastlog's is not put back once someone replaced it. ``handle_signals(False)`` opts
out; ``handle_sighup()`` opts in.

How SIGTERM ends the process: the handler runs in the main thread, between two bytecodes of
whatever it was doing. If that was not fastlog, the handler flushes right there. If it was
fastlog's own slow path (waking the writer, waiting for room, a synchronous write), whose
``threading`` primitives are not reentrant, the flush waits for that call to leave fastlog and
runs in the main thread then (``defer_if_inside``: deferred work runs in the thread that
deferred it, at its next safe point), before control returns to the program. Once everything is
flushed, no other thread is left in the middle of a write (``_registry.hold``) and the process
dies the way the default disposition would have killed it: SIG_DFL restored and the signal sent
again, so the parent sees "killed by SIGTERM" (``-15`` from ``subprocess``).

A watchdog thread makes sure the process ends: while the flush waits for the interrupted call,
it signals the main thread again every ``_NUDGE`` seconds (a call that left fastlog by a path
without a safe point flushes then), and if the flush has not finished after ``_FLUSH_BUDGET``
seconds (a destination that hangs), the process is ended without it. As PID 1 of a container,
where the kernel ignores the signal's default action, it ends with ``os._exit(128 + signum)``.
"""

from __future__ import annotations

import _thread
import os
import signal
import threading
import time
from typing import Any, NoReturn

from . import _diagnostics, _registry
from ._pipeline import defer_if_inside, wake
from .exceptions import ConfigError

_signals_wanted = True
_installed_sigterm = False

#: The signal being handled (its flush is under way or done), or 0.
_terminating = 0
#: The flush has started (in the main thread).
_flushing = False
#: The flush is over: the next delivery of the signal to the main thread ends the process.
_flushed = False
#: The watchdog gave up on the flush: the process ends without trying again.
_gave_up = False
#: Seconds the flush may take before the process is ended without it (each pipeline's flush
#: and writer stop are bounded by 2 s; a destination that hangs a synchronous write, or a main
#: thread that stays inside fastlog, is not waited for past this).
_FLUSH_BUDGET = 5.0
#: Seconds the main thread then has to end the process itself (it normally does so at once;
#: one stuck in C code cannot run its handler).
_MAIN_GRACE = 1.0
#: Seconds to wait for threads in the middle of a write before the process ends.
_HOLD = 1.0
#: While the flush waits for the main thread to leave fastlog, the watchdog signals it again
#: this often: a call that left without passing a safe point flushes then.
_NUDGE = 0.05


def handle_signals(enabled: bool = True) -> None:
    """Flush on SIGTERM (the default), or stop doing so with ``enabled=False``.

    SIGTERM's default action kills the process without running ``atexit``, which would lose
    whatever is still buffered (servers such as uvicorn re-raise SIGTERM after their graceful
    shutdown, so their last lines would be lost). fastlog therefore replaces the *default*
    disposition only — never a handler someone else installed, before or after it — with one
    that flushes every pipeline and then restores the default disposition and sends SIGTERM
    again, so the process still ends exactly as it would have (killed by SIGTERM). It is
    installed when the first asynchronous pipeline is created, from the main thread.
    ``enabled=False`` puts the default disposition back if fastlog's handler is installed.

    .. versionadded:: 0.1
    """
    global _signals_wanted, _installed_sigterm
    _signals_wanted = enabled
    if enabled:
        install_sigterm()
        return
    if _installed_sigterm and signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _installed_sigterm = False


def install_sigterm() -> None:
    """Flush on SIGTERM, unless opted out, someone else handles it, or this is not the main
    thread (where Python allows no handler). Installs at most once per process: a handler
    that replaced fastlog's later is left alone."""
    global _installed_sigterm
    if (
        not _signals_wanted
        or _installed_sigterm
        or threading.current_thread() is not threading.main_thread()
    ):
        return
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)
            _installed_sigterm = True
    except (ValueError, OSError, AttributeError):  # no signals here (e.g. embedded)
        pass


def after_fork_child() -> None:
    """The handler is inherited; whether it is ours is checked again before any removal."""
    global _installed_sigterm, _terminating, _flushing, _flushed, _gave_up
    _installed_sigterm = signal.getsignal(signal.SIGTERM) is _on_sigterm
    _terminating = 0  # the parent's SIGTERM, and its deferred flush, are the parent's
    _flushing = _flushed = _gave_up = False
    wake.deferred.clear()


def _on_sigterm(signum: int, frame: object) -> None:
    global _terminating
    if _terminating:
        # Again: from the watchdog, or from outside. Once the flush is over (or given up),
        # the process ends now; if it still waits for the interrupted call to leave fastlog
        # and that call has left, it starts now.
        if _flushed:
            _die(signum)
        if not _flushing and not wake.depth():
            _terminate(signum)
        return
    _terminating = signum
    _spawn(_watchdog, signum)
    if wake.depth():
        defer_if_inside(lambda: _at_safe_point(signum))
    else:
        _terminate(signum)


def _at_safe_point(signum: int) -> None:
    """Deferred SIGTERM work, in the main thread: flush once it has left fastlog's slow path
    (a call waiting for room passes safe points while it still holds the pipeline)."""
    if _flushing:
        return
    if wake.depth():
        defer_if_inside(lambda: _at_safe_point(signum))
    else:
        _terminate(signum)


def _spawn(function: Any, signum: int) -> None:
    # _thread, not threading: Thread.start() takes threading's own locks, which the
    # interrupted main thread may hold (it may be starting a writer thread).
    try:
        _thread.start_new_thread(function, (signum,))
    except RuntimeError:  # pragma: no cover - interpreter shutting down, or no threads left
        pass


def _terminate(signum: int) -> NoReturn:
    """Flush every pipeline, then end the process. In the main thread, outside fastlog."""
    global _flushing, _flushed
    _flushing = True
    try:
        _registry.shutdown(timeout=2.0)
    except BaseException as exc:  # still end the process
        _diagnostics.report("signal", f"flush on signal {signum}: {type(exc).__name__}: {exc}")
    _flushed = True
    _die(signum)


def _signal_main(signum: int) -> None:
    main = threading.main_thread().ident
    try:
        if main is not None:
            signal.pthread_kill(main, signum)
    except (OSError, ValueError):  # pragma: no cover - the main thread is gone
        pass


def _watchdog(signum: int) -> None:
    """Make sure the process ends: the flush may wait for the main thread to leave fastlog
    (nudged), or never finish (a destination that hangs: given up after ``_FLUSH_BUDGET``)."""
    global _flushed, _gave_up
    deadline = time.monotonic() + _FLUSH_BUDGET
    while not _flushed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(_NUDGE, remaining))
        if not _flushing and signal.getsignal(signum) is _on_sigterm:
            _signal_main(signum)
    if _flushed:
        return
    _gave_up = True
    _diagnostics.report(
        "signal",
        f"flush on signal {signum} not done after {_FLUSH_BUDGET:g} s; ending the process "
        "without it",
    )
    _flushed = True
    # Only the main thread may restore SIG_DFL: signal it again; its handler ends the process.
    _signal_main(signum)
    time.sleep(_MAIN_GRACE)
    # Still alive: the main thread cannot run its handler (stuck in C code).
    _registry.hold(_HOLD)
    os._exit(128 + signum)


def _die(signum: int) -> NoReturn:
    """End the process as SIGTERM's default action would (the main thread, after the flush)."""
    if not wake.depth() and not _gave_up:
        # Once more: a pipeline created since the flush, a record that reached a buffer as it
        # closed. Cheap when there is none.
        try:
            _registry.shutdown(timeout=_HOLD)
        except Exception as exc:  # pragma: no cover - defensive
            _diagnostics.report("signal", f"{type(exc).__name__}: {exc}")
    # No other thread may be in the middle of a write when the process ends: a line cut off.
    _registry.hold(_HOLD)
    try:
        signal.signal(signum, signal.SIG_DFL)
    except (ValueError, OSError):  # pragma: no cover - not the main thread after all
        pass
    os.kill(os.getpid(), signum)
    # Still alive: PID 1 of a container, for which the kernel ignores a signal's default
    # action. The process was asked to end and everything is flushed: end it.
    os._exit(128 + signum)


def end_if_terminating() -> None:
    """At interpreter exit (``_process``), after its flush: if a SIGTERM is being handled, the
    process ends by it rather than with the exit status the program reached meanwhile."""
    if _terminating and threading.get_ident() == threading.main_thread().ident:
        _die(_terminating)


_previous_sighup: Any = None


def handle_sighup(enabled: bool = True) -> None:
    """Opt in: SIGHUP reopens the log files (``reopen()``), the daemon convention logrotate's
    ``postrotate kill -HUP`` relies on. ``enabled=False`` restores the previous handler.

    Call it from the main thread. A SIGHUP handler someone else installed is kept and still
    called after the reopen.

    .. versionadded:: 0.2
    """
    global _previous_sighup
    if not hasattr(signal, "SIGHUP"):  # pragma: no cover - Windows
        raise ConfigError("handle_sighup(): this platform has no SIGHUP")
    if enabled:
        current = signal.getsignal(signal.SIGHUP)
        if current is _on_sighup:
            return
        _previous_sighup = current
        signal.signal(signal.SIGHUP, _on_sighup)
    elif signal.getsignal(signal.SIGHUP) is _on_sighup:
        previous = _previous_sighup
        signal.signal(signal.SIGHUP, previous if previous is not None else signal.SIG_DFL)
        _previous_sighup = None


def _on_sighup(signum: int, frame: Any) -> None:
    _registry.reopen()
    previous = _previous_sighup
    if callable(previous):
        previous(signum, frame)
