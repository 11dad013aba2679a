"""The fast paths write exactly what structlog's own processing of the same chain writes.

``configure()`` without extra processors builds the record in one method (``_native``), also
with one ``CallsiteParameterAdder`` (whose parameters the wrapper computes itself); with other
processors, the wrapper runs them and hands the record over as a dict (``_processed``). Here
one generated call goes four ways — native; structlog's ``_proxy_to_logger`` on the same chain;
one or two processors (pass-throughs or adders) inserted *in place* into the list (as
``capture_logs()`` changes it, which the wrapper must notice), through the wrapper; and that
chain through structlog — and each fast path's line must equal structlog's, byte for byte once
the time is set aside.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.processors import CallsiteParameter, CallsiteParameterAdder

import fastlog_core
import fastlog_structlog
from fastlog_structlog import _native

# Keys that collide with the schema, with structlog's own keys, or with fastlog's renaming.
KEYS = st.sampled_from(
    [
        "a",
        "b",
        "user_id",
        "event",
        "level",
        "timestamp",
        "logger",
        "message",
        "exception",
        "fields.level",
        "exc_info",
        "log_level",
        "é",
    ]
)


class WithStructlog:
    """A value with ``__structlog__``, as structlog's JSONRenderer knows them."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __structlog__(self) -> Any:
        return {"structlog": self.value}


class Plain:
    def __repr__(self) -> str:
        return "<Plain>"


VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.builds(WithStructlog, st.integers())
    | st.just(Plain())
    | st.frozensets(st.integers(0, 3), max_size=2)
    | st.binary(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=5,
)
# Level names often: a "level" field equal to the call's level is add_log_level's, not repeated.
LEVEL_NAMES = st.sampled_from(["debug", "info", "warning", "error", "critical"])
FIELDS = st.dictionaries(KEYS, LEVEL_NAMES | VALUES, max_size=4)
EVENTS = st.none() | st.text(max_size=10) | st.sampled_from(["%s and %s", "%(a)s", "100%"])
ARGS = st.lists(VALUES, max_size=2).map(tuple) | st.dictionaries(
    st.sampled_from(["a", "b"]), VALUES, min_size=1
).map(lambda d: (d,))
METHODS = st.sampled_from(
    ["debug", "info", "warning", "warn", "error", "critical", "msg", "exception", "log"]
)


def passthrough(logger: Any, name: str, event_dict: Any) -> Any:
    return event_dict


#: Call-site adders with any parameters and ignores: alone in the chain, the wrapper adds the
#: parameters in its one-method path; with other processors, in its processor loop.
ADDERS = st.builds(
    CallsiteParameterAdder,
    st.sets(st.sampled_from(list(CallsiteParameter))),
    st.sampled_from([None, ["tests"], ["nothing.here"]]),
)


@pytest.fixture
def native_log(tmp_path: Path) -> Path:
    path = tmp_path / "app.log"
    fastlog_structlog.configure(sink=str(path), level="debug")
    return path


#: The level method structlog's own processing is called with, per wrapper method.
STRUCTLOG_NAME = {"warn": "warning", "msg": "info", "exception": "error", "log": "warning"}


def call(
    log: Any, method: str, event: Any, args: tuple[Any, ...], kw: dict[str, Any], *, direct: bool
) -> None:
    """The call as application code makes it, or (*direct*) what the wrapper hands structlog;
    either way from the same line, so a call-site processor sees the same frame."""
    kw = {k: v for k, v in kw.items() if k != "event"}  # the event is the first argument
    if method == "log":
        kw.pop("level", None)  # log(level, event, ...): as structlog's, a positional name
    if direct:
        if method == "exception":
            kw.setdefault("exc_info", True)
        target = log._proxy_to_logger
        positional: tuple[Any, ...] = (
            STRUCTLOG_NAME.get(method, method),
            _native._interpolate(event, args) if args else event,
        )
    elif method == "log":
        target, positional = log.log, (logging.WARNING + 5, event, *args)
    else:
        target, positional = getattr(log, method), (event, *args)
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        target(*positional, **kw)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=METHODS,
    event=EVENTS,
    args=ARGS,
    kw=FIELDS,
    bound=FIELDS,
    ctxvars=FIELDS,
    fastlog_ctx=FIELDS,
    exc=st.booleans(),
    inserted=st.lists(st.just(passthrough) | ADDERS, min_size=1, max_size=2),
)
def test_native_path_writes_what_the_processor_path_writes(  # noqa: PLR0917 - hypothesis
    native_log: Path,
    method: str,
    event: Any,
    args: tuple[Any, ...],
    kw: dict[str, Any],
    bound: dict[str, Any],
    ctxvars: dict[str, Any],
    fastlog_ctx: dict[str, Any],
    exc: bool,
    inserted: list[Any],
) -> None:
    kw.pop("exc_info", None)
    if exc:
        kw["exc_info"] = True
    processors = structlog.get_config()["processors"]
    log = structlog.get_logger("equiv").bind(**bound)
    assert fastlog_core.flush(timeout=10)
    start = native_log.stat().st_size
    structlog.contextvars.bind_contextvars(**ctxvars)
    try:
        with fastlog_core.context(**fastlog_ctx):
            assert processors == _native.NATIVE_CHAIN
            call(log, method, event, args, kw, direct=False)  # the native path
            call(log, method, event, args, kw, direct=True)  # structlog's own processing
            processors[1:1] = inserted  # in place: the next calls run these processors
            try:
                call(log, method, event, args, kw, direct=False)  # a fast path with processors
                call(log, method, event, args, kw, direct=True)  # structlog's own processing
            finally:
                del processors[1 : 1 + len(inserted)]
    finally:
        structlog.contextvars.clear_contextvars()
    assert fastlog_core.flush(timeout=10)
    with native_log.open("rb") as f:
        f.seek(start)
        lines = f.read().splitlines()
    assert len(lines) == 4
    parsed = [orjson.loads(line) for line in lines]
    times = [record.pop("timestamp") for record in parsed]
    assert times == sorted(times)
    # Same keys, same order, same values: each fast path against structlog's processing.
    assert orjson.dumps(parsed[0]) == orjson.dumps(parsed[1])
    assert orjson.dumps(parsed[2]) == orjson.dumps(parsed[3])
    if all(processor is passthrough for processor in inserted):
        assert orjson.dumps(parsed[0]) == orjson.dumps(parsed[2])
    assert parsed[0]["logger"] == "equiv"
    if event is not None and not args:
        assert parsed[0]["message"] == event


class TestInPlaceChanges:
    def test_capture_logs_sees_every_call(self, native_log: Path) -> None:
        """capture_logs() empties the processor list in place: nothing reaches the file."""
        log = structlog.get_logger("cap")
        log.info("before")
        with structlog.testing.capture_logs() as captured:
            log.info("inside", a=1)
            log.warning("also %s", "this")
        log.info("after")
        assert captured == [
            {"a": 1, "event": "inside", "log_level": "info"},
            {"event": "also this", "log_level": "warning"},
        ]
        assert fastlog_core.flush(timeout=10)
        messages = [orjson.loads(line)["message"] for line in native_log.read_bytes().splitlines()]
        assert messages == ["before", "after"]

    def test_a_processor_appended_in_place_runs(self, native_log: Path) -> None:
        """A processor added to the native_log list later is run on the next call."""
        log = structlog.get_logger("late")
        log.info("one")

        def tag(logger: Any, name: str, event_dict: Any) -> Any:
            event_dict["tagged"] = True
            return event_dict

        structlog.get_config()["processors"].insert(1, tag)
        log.info("two")
        assert fastlog_core.flush(timeout=10)
        records = [orjson.loads(line) for line in native_log.read_bytes().splitlines()]
        assert ["tagged" in r for r in records] == [False, True]
