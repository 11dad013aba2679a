"""Runs loguru's ``test_add_option_serialize.py`` (see README.md) through FastlogSink.

``logger.add(sink, ..., serialize=True)`` becomes ``logger.add(FastlogSink(bridge,
schema="loguru", sync=True), ...)`` with the same options but ``serialize``: loguru formats
``text`` as usual and FastlogSink writes the line; ``bridge``, a fastlog ``Sink``, hands each line
to the test's ``sink.write`` as loguru's ``StreamSink`` would (a ``str`` with ``.record``).
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

import loguru
import pytest
from loguru import logger

from fastlog_loguru import FastlogSink

#: The loguru release the vendored file comes from (README.md); test_vendored.py checks it.
VENDORED_VERSION = "0.7.3"
#: sha256 of the vendored file as taken from loguru's tag (it must stay unchanged).
VENDORED_SHA256 = "a7b4f0854b25c906256eda35b0e7ffed9fa9c37ed98d9f1fc88cd7041e8a697a"

#: Lines FastlogSink wrote and the bridges delivered, for the current test.
routed = collections.Counter[str]()


class _Message(str):
    """What loguru hands a sink's ``write``: the text, with the record as ``.record``."""

    __slots__ = ("record",)
    record: Any


class _Bridge:
    """A fastlog ``Sink``: each line FastlogSink wrote goes to the test's sink object."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.records: collections.deque[Any] = collections.deque()

    def write(self, data: bytes, /) -> None:
        for line in data.decode("utf-8").splitlines(keepends=True):
            message = _Message(line)
            message.record = self.records.popleft()
            routed["delivered"] += 1
            self.target.write(message)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class _RoutedSink(FastlogSink):
    """FastlogSink noting each record, for its bridge to attach to the line."""

    __slots__ = ("_bridge",)

    def __init__(self, bridge: _Bridge) -> None:
        super().__init__(bridge, schema="loguru", sync=True)
        self._bridge = bridge

    def write(self, message: Any) -> None:
        self._bridge.records.append(message.record)
        routed["written"] += 1
        super().write(message)


@pytest.fixture(autouse=True)
def _serialize_through_fastlog(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Route serialize=True to FastlogSink; loguru's own serializer must not run; every
    vendored test must have sent records through FastlogSink, each delivered."""
    add = type(logger).add

    def routed_add(self: Any, sink: Any, *, serialize: bool = False, **options: Any) -> int:
        if serialize:
            sink = _RoutedSink(_Bridge(sink))
        return add(self, sink, **options)

    def not_ours(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("loguru's serializer ran: the test did not go through FastlogSink")

    monkeypatch.setattr(type(logger), "add", routed_add)
    monkeypatch.setattr(loguru._handler.Handler, "_serialize_record", staticmethod(not_ours))
    routed.clear()
    yield
    if request.module.__name__.endswith("test_add_option_serialize"):
        assert routed["written"] > 0, "no record went through FastlogSink"
    assert routed["delivered"] == routed["written"]


# From loguru 0.7.3, tests/conftest.py (MIT, Delgan): the one fixture the vendored file needs.
@pytest.fixture(autouse=True)
def reset_logger():  # type: ignore[no-untyped-def]
    def reset():  # type: ignore[no-untyped-def]
        loguru.logger.remove()
        loguru.logger.__init__(
            loguru._logger.Core(), None, 0, False, False, False, False, True, [], {}
        )
        loguru._logger.context.set({})

    reset()
    yield
    reset()
