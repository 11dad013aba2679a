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

#: Name written in the ``level`` field for each standard number.
LEVEL_NAMES: dict[int, str] = {
    DEBUG: "debug",
    INFO: "info",
    WARNING: "warning",
    ERROR: "error",
    CRITICAL: "critical",
}

_BY_NAME: dict[str, int] = {
    "trace": 5,
    "debug": DEBUG,
    "info": INFO,
    "warning": WARNING,
    "warn": WARNING,
    "error": ERROR,
    "critical": CRITICAL,
    "fatal": CRITICAL,
    "notset": 0,
}


def level_name(levelno: int) -> str:
    """Lower-case name for *levelno*; a custom number is written as ``level-<n>``."""
    name = LEVEL_NAMES.get(levelno)
    if name is None:
        name = f"level-{levelno}"
    return name


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
