"""Stdlib ``logging``'s own documented speed switches, applied on request.

See "Optimization" in the ``logging`` HOWTO: each switch removes per-record work that a JSON
pipeline often does not need. They are process-wide, so this is opt-in and reversible.
"""

from __future__ import annotations

import logging
from typing import Any

#: What ``optimize()`` changes, with the value it sets. Documented in docs/stdlib.md.
SWITCHES: dict[str, Any] = {
    "_srcfile": None,  # no sys._getframe() caller lookup: pathname/lineno/funcName unknown
    "logThreads": False,  # record.thread and record.threadName become None
    "logProcesses": False,  # record.process becomes None
    "logMultiprocessing": False,  # record.processName becomes None
    "logAsyncioTasks": False,  # record.taskName becomes None (Python >= 3.12)
}

_saved: dict[str, Any] | None = None


def optimize() -> None:
    """Turn off stdlib's caller lookup and thread/process/task bookkeeping for every record.

    Records then carry no source location (``pathname`` is ``"(unknown file)"``, ``lineno`` 0,
    ``funcName`` ``"(unknown function)"``), and ``thread``, ``threadName``, ``process``,
    ``processName`` and ``taskName`` are ``None``. This saves about a third of stdlib's
    per-record cost. Call :func:`restore` to undo.

    .. versionadded:: 0.1
    """
    global _saved
    if _saved is None:
        _saved = {name: getattr(logging, name) for name in SWITCHES if hasattr(logging, name)}
    for name, value in SWITCHES.items():
        if hasattr(logging, name):
            setattr(logging, name, value)


def restore() -> None:
    """Undo :func:`optimize`, putting back the values it found."""
    global _saved
    if _saved is None:
        return
    for name, value in _saved.items():
        setattr(logging, name, value)
    _saved = None
