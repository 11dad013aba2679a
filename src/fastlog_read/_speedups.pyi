from collections.abc import Callable
from typing import Any

def render_chunk(
    lines: list[bytes],
    levels: dict[str, bytes],
    colors: bool,
    value: Callable[[Any], str],
    loads: Callable[[bytes], Any],
    fallback: Callable[[bytes], str],
    /,
) -> bytes: ...
