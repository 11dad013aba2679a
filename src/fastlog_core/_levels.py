"""Level numbers and names.

The numbers are stdlib ``logging``'s, so a level means the same thing whichever adapter a
record came through; the names are written in lower case, as the schema promises.
"""

from __future__ import annotations

DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40
CRITICAL = 50
#: Above every level: "no record is at or above this level".
NO_LEVEL = 1 << 30

#: Name written in the ``level`` field for each standard number (TRACE and SUCCESS are
#: loguru's, named here so its records and drop counts read the same through every adapter).
LEVEL_NAMES: dict[int, str] = {
    5: "trace",
    DEBUG: "debug",
    INFO: "info",
    25: "success",
    WARNING: "warning",
    ERROR: "error",
    CRITICAL: "critical",
}

_BY_NAME: dict[str, int] = {
    "trace": 5,
    "debug": DEBUG,
    "info": INFO,
    "success": 25,
    "warning": WARNING,
    "warn": WARNING,
    "error": ERROR,
    "critical": CRITICAL,
    "fatal": CRITICAL,
    "notset": 0,
}


def level_name(levelno: int) -> str:
    """Lower-case name for *levelno*; a number without a name is written as ``level-<n>``."""
    name = LEVEL_NAMES.get(levelno)
    if name is None:
        name = f"level-{levelno}"
    return name


def host_level_name(name: object) -> str:
    """The ``level`` written for a host's level name: lower case, and the name a host gives a
    number it has no name for (stdlib's and loguru's ``"Level 15"``) as ``level-15``, the
    native API's and the ECS schema's spelling, so one level reads the same from every API.
    Custom names (``logging.addLevelName(15, "VERBOSE")``) are kept, in lower case."""
    lowered = str(name).lower()
    if lowered.startswith("level ") and lowered[6:].isdigit():
        return "level-" + lowered[6:]
    return lowered


def parse_level(value: object, option: str = "level") -> int:
    """Turn ``"info"``, ``"INFO"`` or ``20`` into a level number.

    Raises:
        ValueError: naming *option*, for anything else, so a typo fails at configure time.
    """
    if isinstance(value, bool):
        raise ValueError(f"{option}={value!r}: expected a level name or number")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{option}={value!r}: a level number cannot be negative")
        return value
    if isinstance(value, str):
        number = _BY_NAME.get(value.strip().lower())
        if number is not None:
            return number
        if value.strip().isdigit():
            return int(value.strip())
    names = ", ".join(sorted(_BY_NAME))
    raise ValueError(f"{option}={value!r}: expected a level number or one of {names}")


# Level names other platforms' schemas write (Google Cloud's LogSeverity, OpenTelemetry's
# severity text), read back when the writer filters lines per sink.
_READ_BACK: dict[str, int] = {
    **_BY_NAME,
    "notice": 25,
    "alert": 60,
    "emergency": 70,
    "default": 0,
    "trace2": 5, "trace3": 5, "trace4": 5,
    "debug2": DEBUG, "debug3": DEBUG, "debug4": DEBUG,
    "info2": INFO, "info3": INFO, "info4": INFO,
    "warn2": WARNING, "warn3": WARNING, "warn4": WARNING,
    "error2": ERROR, "error3": ERROR, "error4": ERROR,
    "fatal2": CRITICAL, "fatal3": CRITICAL, "fatal4": CRITICAL,
}  # fmt: skip


def levelno_of(name: object) -> int | None:
    """The number of a level as written in a line (``"info"``, ``"WARNING"``, ``"level-25"``).

    ``None`` when it cannot be read: the writer then keeps the line rather than guess.
    """
    if not isinstance(name, str):
        return None
    lowered = name.lower()
    number = _READ_BACK.get(lowered)
    if number is None and lowered.startswith("level-") and lowered[6:].isdigit():
        number = int(lowered[6:])
    return number
