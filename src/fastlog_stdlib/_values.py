"""How stdlib records' values are written: as python-json-logger writes them.

A team replacing python-json-logger keeps its values' rendering: this is pjl's
``JsonEncoder.default`` (``pythonjsonlogger.defaults``), given to the core's one encoder as the
host's value policy. What orjson writes natively it writes as pjl's encoder does (``datetime``,
``date`` and ``time`` in ISO 8601, naive ones without an offset; ``UUID`` in hyphen form;
dataclasses as objects; Enum members as their values); for the rest orjson calls
:func:`value_default`. ``tests/stdlib/test_values.py`` compares it with pjl's own encoder.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import traceback
from types import TracebackType
from typing import Any, Final

import orjson

#: orjson options for stdlib records: no ``OPT_NAIVE_UTC``/``OPT_UTC_Z`` (pjl writes a naive
#: datetime as it is and an aware one with its offset), so the schema's ``timestamp`` is text
#: (``adapter.utc_stamp``). Keys other than strings are handled after a rejection
#: (``adapter.encode_rejected``), costing nothing for ordinary records.
VALUE_OPTIONS: Final = orjson.OPT_APPEND_NEWLINE

_TIMES = (datetime.time, datetime.date)  # datetime is a date


def value_default(obj: Any) -> Any:
    """orjson's fallback for stdlib records: python-json-logger's rendering, in its order.

    Exceptions as ``"Type: message"``, tracebacks as their formatted frames, Enum classes as
    the list of their values, bytes as URL-safe base64, classes as their name, anything else
    as ``str()``, then ``repr()``, then ``"__could_not_encode__"``.
    """
    if isinstance(obj, _TIMES):  # subclasses orjson leaves out (freezegun's FakeDatetime)
        return obj.isoformat()
    if isinstance(obj, BaseException):
        return f"{obj.__class__.__name__}: {obj}"
    if isinstance(obj, TracebackType):
        return "".join(traceback.format_tb(obj)).strip()
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, enum.EnumMeta):
        return [member.value for member in obj]  # type: ignore[var-annotated]
    if isinstance(obj, (bytes, bytearray)):
        return base64.urlsafe_b64encode(obj).decode("utf8")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, type):
        return obj.__name__
    try:
        return str(obj)
    except Exception:
        pass
    try:
        return repr(obj)
    except Exception:
        pass
    return "__could_not_encode__"
