"""Level names as written by every supported layout, read back to stdlib numbers.

A copy of the core's read-back table (importing ``fastlog_core`` would cost the command's start-up
time); a test keeps the two in agreement.
"""

from __future__ import annotations

__all__ = ["CANONICAL", "canonical_level", "levelno_of"]

_BY_NAME: dict[str, int] = {
    "trace": 5,
    "debug": 10,
    "info": 20,
    "success": 25,
    "warning": 30,
    "warn": 30,
    "error": 40,
    "critical": 50,
    "fatal": 50,
    "notset": 0,
    "notice": 25,
    "alert": 60,
    "emergency": 70,
    "default": 0,
    "trace2": 5, "trace3": 5, "trace4": 5,
    "debug2": 10, "debug3": 10, "debug4": 10,
    "info2": 20, "info3": 20, "info4": 20,
    "warn2": 30, "warn3": 30, "warn4": 30,
    "error2": 40, "error3": 40, "error4": 40,
    "fatal2": 50, "fatal3": 50, "fatal4": 50,
}  # fmt: skip

# The canonical lower-case name shown for each spelling (OTel's WARN/FATAL read as the core's).
_CANON: dict[str, str] = {"warn": "warning", "fatal": "critical", "exception": "error"}
for _name in list(_BY_NAME):
    if _name[-1].isdigit():
        _CANON[_name] = {"warn": "warning", "fatal": "critical"}.get(_name[:-1], _name[:-1])

#: The names accepted by ``-l`` in order, lowest first.
CANONICAL: tuple[str, ...] = (
    "trace",
    "debug",
    "info",
    "success",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)


def levelno_of(name: object) -> int | None:
    """The stdlib number of a level as written (``"info"``, ``"WARNING"``, ``"level-25"``)."""
    if not isinstance(name, str):
        return None
    lowered = name.lower()
    number = _BY_NAME.get(lowered)
    if number is None:
        if lowered.startswith("level-") and lowered[6:].isdigit():
            return int(lowered[6:])
        if lowered == "exception":
            return 40
    return number


def canonical_level(name: str) -> str:
    """The lower-case canonical spelling of *name* (``WARN`` -> ``warning``)."""
    lowered = name.lower()
    return _CANON.get(lowered, lowered)


def otel_levelno(number: int) -> int:
    """OpenTelemetry's SeverityNumber (1-24) on stdlib's scale."""
    return (5, 10, 20, 30, 40, 50)[min(max(number, 1), 24) // 4 - (1 if number % 4 == 0 else 0)]
