"""``fastlog_stdlib._host``: the one stdlib internal the adapter reads, pinned.

If a Python release removes or changes ``asyncio.events._get_running_loop``, these fail there
(the adapter then uses the documented ``get_running_loop``, at the cost of an exception).
"""

from __future__ import annotations

import asyncio

from fastlog_stdlib import _host
from fastlog_stdlib._record import task_name


class TestRunningLoop:
    def test_uses_asyncios_own_function(self) -> None:
        """The internal exists and is what the adapter calls."""
        assert _host.running_loop() is asyncio.events._get_running_loop

    def test_none_outside_a_loop_without_raising(self) -> None:
        """Outside a running loop it returns None (the reason to use it)."""
        assert _host.running_loop()() is None
        assert task_name() is None

    def test_the_running_loop_inside_one(self) -> None:
        """Inside a task: the running loop, and the task's name through task_name()."""

        async def main() -> tuple[object, str | None]:
            return _host.running_loop()(), task_name()

        async def named() -> tuple[object, str | None]:
            return await asyncio.create_task(main(), name="pinned-task")

        loop, name = asyncio.run(named())
        assert isinstance(loop, asyncio.AbstractEventLoop)
        assert name == "pinned-task"

    def test_documented_fallback_agrees(self) -> None:
        """The fallback for a Python without the internal gives the same answers."""
        assert _host._documented_running_loop() is None

        async def main() -> bool:
            return _host._documented_running_loop() is asyncio.get_running_loop()

        assert asyncio.run(main())
