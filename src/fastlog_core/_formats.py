"""Per-sink encoders: what a sink receives when it should not get the JSON lines as they are.

Callers always encode a record once, as JSON (the cheapest thing to do in the calling thread).
A sink configured with another encoder — ``"console"``, ``"logfmt"``, ``"msgpack"`` or a custom
object — gets the writer thread's re-encoding of each batch: parsed once per batch whatever the
number of sinks, encoded once per distinct encoder. So a second, human-readable sink costs the
writer, never the caller (``benchmarks/bench_pipeline.py``).

A custom encoder is any object with ``encode(record: dict) -> bytes`` (see ``Encoder``): it
receives the record as the JSON sink would have written it, parsed, and returns the bytes for
the sink, terminator included.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol, runtime_checkable

import orjson

from . import _console
from ._presets import ConfigError

__all__ = ["ENCODERS", "ConsoleEncoder", "Encoder", "LogfmtEncoder", "MsgpackEncoder", "resolve"]


@runtime_checkable
class Encoder(Protocol):
    """What a per-sink encoder must offer.

    ``encode`` receives one record (a dict, keys in the order the JSON line had them) and
    returns the bytes to write for it, including any line terminator. It runs in the writer
    thread; if it raises, the record's JSON line is written instead and the error is counted.
    """

    def encode(self, record: dict[str, Any], /) -> bytes: ...


class ConsoleEncoder:
    """``12:00:00.123456 INFO     app  message  key=value``; coloured with ``colors=True``.

    ``colors=None`` colours when the sink is a terminal (decided by the pipeline per sink).
    """

    __slots__ = ("colors",)

    def __init__(self, *, colors: bool | None = None) -> None:
        self.colors = colors

    def encode(self, record: dict[str, Any], /) -> bytes:
        return _console.render_line(record, bool(self.colors)).encode("utf-8", "backslashreplace")

    def __repr__(self) -> str:
        return f"ConsoleEncoder(colors={self.colors!r})"


# A value is written bare unless it is empty or holds a space, "=", a quote, a backslash or a
# character outside printable ASCII (then it is quoted with JSON's escapes, which are logfmt's).
_BARE = re.compile(r"[!#-<>-\[\]-~]+").fullmatch
_KEY_BAD = re.compile(r"[^!#-<>-~]")
_keys: dict[str, str] = {}
_SIMPLE: dict[Any, str] = {None: "", True: "true", False: "false"}
_dumps = orjson.dumps


def _logfmt_value(value: Any) -> str:
    if type(value) is str:
        return value if _BARE(value) else orjson.dumps(value).decode("utf-8")
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return repr(value)
    text = orjson.dumps(value).decode("utf-8") if not isinstance(value, str) else value
    return orjson.dumps(text).decode("utf-8")


def _logfmt_key(key: str) -> str:
    cleaned = _keys.get(key)
    if cleaned is None:
        cleaned = _KEY_BAD.sub("_", key) or "_"
        if len(_keys) < 4096:
            _keys[key] = cleaned
    return cleaned


class LogfmtEncoder:
    """``timestamp=2026-... level=info logger=app message="user logged in" user_id=7``.

    The logfmt conventions of Heroku/Grafana Loki: ``key=value`` pairs separated by spaces,
    values quoted (with JSON string escapes) when they contain spaces, ``=``, quotes or control
    characters; nested objects and lists are written as quoted JSON; ``None`` as an empty value.
    An exception is written as ``exception.type=... exception.message=...`` with the traceback
    as a quoted value, so each record stays one line.
    """

    __slots__ = ()

    def encode(self, record: dict[str, Any], /) -> bytes:
        # Inlined type dispatch: ~1.9 us per benchmark record, against ~2.5 calling
        # _logfmt_value per field (the writer thread pays it, per record).
        parts = []
        keys = _keys
        bare = _BARE
        for key, value in record.items():
            name = keys.get(key) or _logfmt_key(key)
            kind = type(value)
            if kind is str:
                parts.append(f"{name}={value if bare(value) else _dumps(value).decode()}")
            elif kind is int:
                parts.append(f"{name}={value}")
            elif value is None or kind is bool:
                parts.append(f"{name}={_SIMPLE[value]}")
            elif key == "exception" and kind is dict:
                for sub, inner in value.items():
                    parts.append(f"exception.{_logfmt_key(str(sub))}={_logfmt_value(inner)}")
            else:
                parts.append(f"{name}={_logfmt_value(value)}")
        return (" ".join(parts) + "\n").encode("utf-8", "backslashreplace")

    def __repr__(self) -> str:
        return "LogfmtEncoder()"


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


def parse_lines(lines: Iterable[bytes]) -> list[tuple[bytes, dict[str, Any] | None]]:
    """Each line with its parsed record (``None`` for a line that is not a JSON object)."""
    out: list[tuple[bytes, dict[str, Any] | None]] = []
    for line in lines:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            record = None
        out.append((line, record if isinstance(record, dict) else None))
    return out


def encode_batch(
    encoder: Encoder, records: Iterable[tuple[bytes, dict[str, Any] | None]]
) -> tuple[bytes, int]:
    """The sink's bytes for *records*, and how many could not be encoded (written as JSON)."""
    out = bytearray()
    failed = 0
    for line, record in records:
        if record is not None:
            try:
                out += encoder.encode(record)
                continue
            except Exception:
                failed += 1
        out += line + b"\n"
    return bytes(out), failed
