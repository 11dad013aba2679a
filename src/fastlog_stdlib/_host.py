"""What this adapter relies on in the standard library beyond its documented API, in one place.

On Python 3.11, ``LogRecord`` does not record the asyncio task's name (3.12+ sets
``taskName``), so the adapter asks asyncio. The documented ``asyncio.get_running_loop()`` and
``asyncio.current_task()`` raise ``RuntimeError`` outside a running loop, which costs an
exception per record in synchronous code; ``asyncio.events._get_running_loop()`` (listed in
``asyncio.events.__all__``, meant for event-loop implementations) returns ``None`` instead.
``tests/stdlib/test_host.py`` pins it: it fails on the Python that removes or changes it, and
then this falls back to the documented call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def _documented_running_loop() -> Any:
    asyncio = sys.modules["asyncio"]
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def running_loop() -> Callable[[], Any]:
    """asyncio's ``_get_running_loop`` (``None`` outside a loop, no exception), or the same
    behaviour from the documented API when a Python no longer has it. asyncio must be imported."""
    events = sys.modules["asyncio"].events
    found: Callable[[], Any] | None = getattr(events, "_get_running_loop", None)
    return found if found is not None else _documented_running_loop
