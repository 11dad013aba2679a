"""Internal errors: counted always, reported to stderr at most once per kind per interval.

A logging library that raises into its caller, or prints a traceback per record when the disk
is full, turns one problem into two. So every internal error is counted (``stats()["errors"]``)
and described on stderr once, then again only after ``REPORT_INTERVAL`` seconds with the count
of what happened in between.
"""

from __future__ import annotations

import os
import sys
import threading
import time

REPORT_INTERVAL = 10.0

_lock = threading.RLock()  # reentrant: a signal handler may report while we hold it
_counts: dict[str, int] = {}
_last_report: dict[str, float] = {}
_unreported: dict[str, int] = {}


def report(kind: str, detail: str) -> None:
    """Count one internal error of *kind* and describe it on stderr, rate-limited.

    Never raises: stderr may be closed or redirected to something broken at that moment.
    """
    now = time.monotonic()
    with _lock:
        _counts[kind] = _counts.get(kind, 0) + 1
        last = _last_report.get(kind)
        if last is not None and now - last < REPORT_INTERVAL:
            _unreported[kind] = _unreported.get(kind, 0) + 1
            return
        _last_report[kind] = now
        skipped = _unreported.pop(kind, 0)
    more = f" ({skipped} more since the last report)" if skipped else ""
    text = f"fastlog: {kind}: {detail}{more}\n"
    try:
        # os.write on fd 2, not sys.stderr: no Python-level lock, no re-entry into a logging
        # handler that a user may have put on stderr.
        os.write(2, text.encode("utf-8", "backslashreplace"))
    except Exception:
        try:
            sys.stderr.write(text)
        except Exception:
            pass


def counts() -> dict[str, int]:
    """Errors counted so far in this process, by kind."""
    with _lock:
        return dict(_counts)


def reset_after_fork() -> None:
    """A forked child starts with its own counts and a fresh lock."""
    global _lock
    _lock = threading.RLock()
    _counts.clear()
    _last_report.clear()
    _unreported.clear()
