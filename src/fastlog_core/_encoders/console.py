"""The ``console`` encoder: human-readable lines for the ``dev`` preset.

Records are encoded as JSON like everywhere else and rendered from that JSON here, so the
``console`` format shows exactly what a JSON sink would have received, and the hot path stays
one path for all presets.
"""

from __future__ import annotations

from typing import Any

import orjson

_COLORS = {
    "debug": "\x1b[2m",
    "info": "\x1b[32m",
    "warning": "\x1b[33m",
    "error": "\x1b[31m",
    "critical": "\x1b[1;31m",
}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_SCHEMA = ("timestamp", "level", "logger", "message", "exception")


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value if value and " " not in value and "=" not in value else repr(value)
    return orjson.dumps(value).decode("utf-8")


def render_line(record: dict[str, Any], colors: bool) -> str:
    """``12:00:00.123456 INFO     billing  charge ok  amount=12.5`` plus a traceback if any."""
    ts = str(record.get("timestamp", ""))
    clock = ts[11:-1] if len(ts) > 20 else ts
    level = str(record.get("level", ""))
    fields = " ".join(f"{k}={_value(v)}" for k, v in record.items() if k not in _SCHEMA)
    logger = str(record.get("logger", ""))
    message = str(record.get("message", ""))
    if colors:
        color = _COLORS.get(level, "")
        head = f"{_DIM}{clock}{_RESET} {color}{level.upper():<8}{_RESET} {logger}  {message}"
        text = f"{head}  {_DIM}{fields}{_RESET}" if fields else head
    else:
        head = f"{clock} {level.upper():<8} {logger}  {message}"
        text = f"{head}  {fields}" if fields else head
    exc = record.get("exception")
    if isinstance(exc, dict) and exc.get("traceback"):
        text += "\n" + str(exc["traceback"]).rstrip("\n")
    return text + "\n"


class ConsoleEncoder:
    """``12:00:00.123456 INFO     app  message  key=value``; coloured with ``colors=True``.

    ``colors=None`` colours when the sink is a terminal and ``NO_COLOR`` is not set (decided by
    the pipeline per sink).
    """

    __slots__ = ("colors",)

    def __init__(self, *, colors: bool | None = None) -> None:
        self.colors = colors

    def encode(self, record: dict[str, Any], /) -> bytes:
        return render_line(record, bool(self.colors)).encode("utf-8", "backslashreplace")

    def __repr__(self) -> str:
        return f"ConsoleEncoder(colors={self.colors!r})"
