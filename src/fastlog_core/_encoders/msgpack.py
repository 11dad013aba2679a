"""The ``msgpack`` encoder: one MessagePack map per record (the optional ``msgpack`` package)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..exceptions import ConfigError


class MsgpackEncoder:
    """One MessagePack map per record, back to back (MessagePack is self-delimiting).

    Needs the optional ``msgpack`` package (``pip install fastlog-py[msgpack]``); asking for
    it without the package fails at configure time.
    """

    __slots__ = ("_packb",)

    def __init__(self) -> None:
        try:
            import msgpack
        except ImportError as exc:
            raise ConfigError(
                "encoder='msgpack': the msgpack package is not installed "
                "(pip install 'fastlog-py[msgpack]')"
            ) from exc
        self._packb: Callable[..., bytes] = msgpack.packb

    def encode(self, record: dict[str, Any], /) -> bytes:
        return self._packb(record, use_bin_type=True)

    def __repr__(self) -> str:
        return "MsgpackEncoder()"
