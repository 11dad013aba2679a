import datetime
from collections.abc import Mapping, Set
from typing import Any

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
