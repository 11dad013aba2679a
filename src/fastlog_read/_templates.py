"""Message templates: a message with its variable parts replaced by placeholders.

``stats`` groups messages by template so that ``"user 42 logged in from 10.0.0.7"`` and
``"user 7 logged in from 192.168.1.20"`` count as one: ``"user <num> logged in from <ip>"``.
Python's structured loggers usually keep the message constant and the variables in fields, so
masking by pattern (no clustering) is enough, cheap and deterministic.
"""

from __future__ import annotations

import functools
import re

__all__ = ["template"]

# One alternation, tried left to right at each position: the more specific shapes first, so a
# UUID is not read as hex runs and numbers, an address not as four numbers.
_SOURCE = r"""
    (?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)
  | (?P<time>(?<![\w.])\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)?
      (?:Z|[+-]\d\d:?\d\d)?(?![\w.])
      | (?<![\w.:])\d\d:\d\d:\d\d(?:[.,]\d+)?(?![\w.:]))
  | (?P<ip>(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])
      | (?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])
      | (?<![\w:])(?:[0-9a-fA-F]{1,4}:)*[0-9a-fA-F]{0,4}::(?:[0-9a-fA-F]{1,4}:)*[0-9a-fA-F]{1,4}
        (?![\w:]))
  | (?P<hex>\b0[xX][0-9a-fA-F]+\b
      | \b(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*[0-9])[0-9a-fA-F]{8,}\b)
  | (?P<duration>(?<![\w.])[-+]?\d+(?:\.\d+)?(?:ns|us|µs|ms|s|min|m|h|d)(?![\w.]))
  | (?P<num>(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?
      (?:%|[KMGT]i?B|[kKMGT]?b(?:ps)?|B)?(?![\w.]))
  | (?P<str>"(?:[^"\\]|\\.)*"|(?<!\w)'(?:[^'\\]|\\.)*'(?!\w))
    """

_PLACEHOLDER = {
    name: f"<{name}>" for name in ("uuid", "time", "ip", "hex", "duration", "num", "str")
}

#: Messages kept in the cache before it is cleared: an identical message is then a dict lookup,
#: and a stream of distinct messages cannot grow memory without bound.
CACHE_SIZE = 100_000

_cache: dict[str, str] = {}


@functools.cache
def _pattern() -> re.Pattern[str]:
    # Compiled on first use: importing the package stays cheap for commands that never call it.
    return re.compile(_SOURCE, re.VERBOSE)


def _placeholder(match: re.Match[str]) -> str:
    return _PLACEHOLDER[match.lastgroup or "num"]


def template(message: str) -> str:
    """The template of *message*: its variable parts replaced by placeholders.

    The placeholders are ``<uuid>``, ``<time>`` (an ISO date or date-time, or a
    ``HH:MM:SS`` clock), ``<ip>`` (IPv4 with an optional port, IPv6),
    ``<hex>`` (``0x…``, or 8 or more hex digits mixing digits and letters), ``<duration>``
    (a number with a time unit: ``ns``, ``us``, ``µs``, ``ms``, ``s``, ``min``, ``m``, ``h``,
    ``d``), ``<num>`` (integers and decimals, with an optional ``%`` or size unit) and
    ``<str>`` (a single- or double-quoted string). A number that is part of a word
    (``http2``, ``user_42``) is kept.

    Args:
        message: the record's message.

    Returns:
        The template; the same message always gives the same template.
    """
    found = _cache.get(message)
    if found is not None:
        return found
    result = _pattern().sub(_placeholder, message)
    if len(_cache) >= CACHE_SIZE:
        _cache.clear()
    _cache[message] = result
    return result
