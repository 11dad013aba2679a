import datetime
from collections.abc import Callable, Mapping, Set
from typing import Any, Self

from typing_extensions import Buffer

def record_fields(
    attrs: Mapping[str, Any],
    n_standard: int,
    reserved: Set[str],
    ts: Any,
    level: str,
    name: str,
    message: Any,
    ctx: Mapping[str, Any],
    /,
) -> dict[str, Any] | None: ...
def utc_naive(moment: object, /) -> datetime.datetime | None: ...
def utc_stamp(seconds: float, /) -> str | None: ...
def unsafe_value(obj: Any, keys: object = ..., /) -> BaseException | None: ...

class Block:
    """An append-only bytes buffer allocated once at *size* bytes (grows if it must)."""

    def __init__(self, size: int, /) -> None: ...
    def __iadd__(self, other: Buffer, /) -> Self: ...
    def __len__(self) -> int: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    def count(self, byte: bytes, start: int = ..., end: int = ..., /) -> int: ...
    def find(self, byte: bytes, start: int = ..., end: int = ..., /) -> int: ...
    def take(self) -> bytes: ...
    def clear(self) -> None: ...

class Appender:
    """The callers' side of a pipeline's buffer (see ``_pipeline/appender.py``)."""

    buf: Any
    limit: int
    max_record: int
    slow_level: int
    special: bool
    suffix: bytes
    appended: int

    def __init__(
        self,
        slow: Callable[[bytes, int], None],
        dumps: Callable[..., bytes],
        default: Callable[[Any], Any],
        option: int,
        repair: Callable[[Any, BaseException, Any, Any], bytes],
        /,
    ) -> None: ...
    def append(self, line: bytes, levelno: int, /) -> None: ...
    def emit(
        self, record: dict[str, Any], levelno: int, default: Any = ..., option: int = ..., /
    ) -> None: ...
    def count(self) -> None: ...
