"""Signals, opt-out and opt-in: SIGTERM flushes before the process dies; SIGHUP may reopen files.

Library etiquette: fastlog installs no handler at import, and replaces only SIGTERM's *default*
disposition, never a handler someone else installed, when its first asynchronous pipeline is
created (``_process``). ``handle_signals(False)`` opts out; ``handle_sighup()`` opts in.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from . import _registry
from ._pipeline import defer_if_inside
from .exceptions import ConfigError

_signals_wanted = True
_installed_sigterm = False


def handle_signals(enabled: bool = True) -> None:
    """Flush on SIGTERM (the default), or stop doing so with ``enabled=False``.

    SIGTERM's default action kills the process without running ``atexit``, which would lose
    whatever is still buffered (servers such as uvicorn re-raise SIGTERM after their graceful
    shutdown, so their last lines would be lost). fastlog therefore replaces the *default*
    disposition only — never a handler someone else installed — with one that flushes every
    pipeline (within 2 s) and then re-raises SIGTERM with the default action, so the process
    still ends exactly as it would have. It is installed when the first asynchronous pipeline
    is created, from the main thread.

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
    thread (where Python allows no handler)."""
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
    global _installed_sigterm
    _installed_sigterm = signal.getsignal(signal.SIGTERM) is _on_sigterm


def _on_sigterm(signum: int, frame: object) -> None:
    # Interrupted inside fastlog (waking the writer, waiting for room, a sync write): the
    # shutdown runs at that call's next safe point, moments later, instead of re-entering it.
    if not defer_if_inside(lambda: _terminate(signum)):
        _terminate(signum)


def _terminate(signum: int) -> None:
    try:
        _registry.shutdown(timeout=2.0)
    finally:
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)
        # Still alive: PID 1 of a container, for which the kernel ignores a signal's default
        # action. The process was asked to end and everything is flushed: end it.
        os._exit(128 + signum)


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
