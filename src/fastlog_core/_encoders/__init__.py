"""Encoders: the one JSON encoder every record goes through in the caller (``json``), and the
per-sink encoders the writer applies for sinks that want another format (``console``,
``logfmt``, ``msgpack``, or a custom ``Encoder``).
"""

from __future__ import annotations

from collections.abc import Callable

from ..exceptions import ConfigError
from . import json
from .base import Encoder, encode_batch, parse_lines
from .console import ConsoleEncoder
from .logfmt import LogfmtEncoder
from .msgpack import MsgpackEncoder

__all__ = [
    "ENCODERS",
    "ConsoleEncoder",
    "Encoder",
    "LogfmtEncoder",
    "MsgpackEncoder",
    "encode_batch",
    "json",
    "parse_lines",
    "resolve",
]


#: The built-in encoders by name; ``"json"`` means the caller's JSON lines, unchanged.
ENCODERS: dict[str, Callable[[], Encoder]] = {
    "console": ConsoleEncoder,
    "logfmt": LogfmtEncoder,
    "msgpack": MsgpackEncoder,
}


def resolve(value: object, option: str = "encoder") -> Encoder | None:
    """``None`` for JSON lines as they are, else an encoder object; ConfigError naming *option*."""
    if value is None or value == "json":
        return None
    if isinstance(value, str):
        factory = ENCODERS.get(value)
        if factory is None:
            names = ", ".join(["json", *sorted(ENCODERS)])
            raise ConfigError(
                f"{option}={value!r}: expected one of {names}, or an object with encode()"
            )
        return factory()
    if isinstance(value, Encoder):
        return value
    raise ConfigError(
        f"{option}={value!r}: expected 'json', 'console', 'logfmt', 'msgpack' or an object with "
        "an encode(record) -> bytes method"
    )
