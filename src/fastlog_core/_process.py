"""Process life: flushing at exit, in multiprocessing children, and after ``fork``.

Nothing here happens at import. The hooks are installed when the first pipeline is created
(the first ``configure()``, ``get_pipeline()``, handler, sink or logged record), once per
process, and documented in ``docs/architecture.md`` ("Process-wide hooks"):

- ``atexit``: ``shutdown()``, so buffered records are written when the interpreter exits;
- ``os.register_at_fork``: a forked child gets fresh locks and a writer of its own, drops
  the parent's buffered records (the parent writes them), and starts its counters (sampling
  included) from zero;
- multiprocessing's after-fork registry: its fork and forkserver children end in
  ``os._exit()``, which skips ``atexit``; a finalizer registered there flushes instead;
- SIGTERM, through ``_signals`` (opt out with ``handle_signals(False)``).
"""

from __future__ import annotations

import atexit
import os
import sys

from . import _diagnostics, _registry, _sampling, _signals
from ._presets import Settings

_installed = False
_mp_hooked = False


def on_new_pipeline(settings: Settings) -> None:
    """Called by the registry for each new pipeline: installs the hooks the first time."""
    global _installed
    if not _installed:
        _installed = True
        atexit.register(_at_exit)
        _hook_multiprocessing()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(before=_hook_multiprocessing, after_in_child=_after_fork_child)
    if not settings.sync:
        _signals.install_sigterm()


def _at_exit() -> None:
    try:
        _registry.shutdown(timeout=5.0)
    except Exception as exc:  # pragma: no cover - never fail interpreter exit
        _diagnostics.report("exit", f"{type(exc).__name__}: {exc}")
    # The program ended while SIGTERM's flush ran beside it: end by the signal all the same.
    _signals.end_if_terminating()


def _hook_multiprocessing() -> None:
    # multiprocessing's fork and forkserver children end in os._exit(), which skips atexit.
    # Its finalizers do run, but Process._bootstrap clears them before the target starts;
    # its after-fork registry is run right after that, so a hook there registers the
    # finalizer that flushes. Registered once multiprocessing is imported: at the first
    # pipeline, or before a later fork. A forked child inherits both the entry and the flag.
    global _mp_hooked
    util = sys.modules.get("multiprocessing.util")
    if util is None or _mp_hooked:
        return
    _mp_hooked = True
    util.register_after_fork(_MP_HOOK, _mp_child_started)
    if sys.modules["multiprocessing"].parent_process() is not None:
        # Inside a multiprocessing child whose after-fork hooks have already run (its first
        # pipeline came from the target, e.g. a forkserver child): the finalizer, now.
        _mp_child_started(None)


def _after_fork_child() -> None:
    _signals.after_fork_child()
    _diagnostics.reset_after_fork()
    _sampling.after_fork_child()  # the child's sampling counters start from zero, as stats()
    _registry.after_fork_child()


class _MPHook:
    """A weak-referenceable object for multiprocessing's after-fork registry."""


_MP_HOOK = _MPHook()


def _mp_child_started(_: object) -> None:
    util = sys.modules["multiprocessing.util"]
    util.Finalize(None, _at_exit, exitpriority=0)
