"""``fastlog_structlog._host``: the structlog internals the adapter reads, pinned.

If a structlog release renames or repurposes ``structlog.contextvars._CONTEXT_VARS`` or
``_ASYNC_CALLING_STACK``, these tests fail on that release.
"""

from __future__ import annotations

import sys
import threading
from types import FrameType

import structlog
import structlog.contextvars

from fastlog_structlog import _host


class TestContextVars:
    def test_is_structlogs_registry(self) -> None:
        """The name exists and is the very dict structlog registers its variables in."""
        assert hasattr(structlog.contextvars, "_CONTEXT_VARS")
        assert _host.CONTEXT_VARS is structlog.contextvars._CONTEXT_VARS

    def test_bind_registers_a_variable(self) -> None:
        """bind_contextvars() adds a "structlog_<key>" entry: non-empty means "merge"."""
        structlog.contextvars.bind_contextvars(pinned=1)
        try:
            assert "structlog_pinned" in _host.CONTEXT_VARS
        finally:
            structlog.contextvars.unbind_contextvars("pinned")


class TestCallingFrame:
    def test_is_structlogs_variable(self) -> None:
        """The name exists and is the context variable structlog's frame lookup reads."""
        assert hasattr(structlog.contextvars, "_ASYNC_CALLING_STACK")
        assert _host.CALLING_FRAME is structlog.contextvars._ASYNC_CALLING_STACK

    def test_frame_lookup_starts_from_it(self) -> None:
        """CallsiteParameterAdder reports the frame set in the variable, not the current one."""
        adder = structlog.processors.CallsiteParameterAdder(
            [structlog.processors.CallsiteParameter.FUNC_NAME]
        )

        def application_frame() -> FrameType:
            return sys._getframe()

        frame = application_frame()
        token = _host.CALLING_FRAME.set(frame)
        try:
            event = adder(None, "info", {})  # type: ignore[arg-type]
        finally:
            _host.CALLING_FRAME.reset(token)
        assert event["func_name"] == "application_frame"
        assert adder(None, "info", {})["func_name"] == "test_frame_lookup_starts_from_it"  # type: ignore[arg-type]


class TestCallsitePlan:
    def test_reads_parameters_and_ignores(self) -> None:
        """The adder's private parameters and ignores are where _host reads them."""
        from structlog.processors import CallsiteParameter, CallsiteParameterAdder

        adder = CallsiteParameterAdder(
            [CallsiteParameter.LINENO, CallsiteParameter.THREAD_NAME],
            additional_ignores=["mylib"],
        )
        plan = _host.callsite_plan(adder)
        assert plan is not None
        ignores, handlers = plan
        assert ignores == ("structlog", "logging", "mylib")
        assert [key for key, _ in handlers] == ["lineno", "thread_name"]
        assert handlers[1][1]("mod", sys._getframe()) == threading.current_thread().name

    def test_every_parameter_has_a_handler(self) -> None:
        from structlog.processors import CallsiteParameter, CallsiteParameterAdder

        plan = _host.callsite_plan(CallsiteParameterAdder())
        assert plan is not None
        assert {key for key, _ in plan[1]} == {p.value for p in CallsiteParameter}
