"""fastlog for stdlib ``logging``: a dictConfig-ready handler and a JSON formatter.

Teams with ``logging`` everywhere (their code, Django, uvicorn, requests, boto) get fastlog by
changing configuration only::

    {"version": 1,
     "handlers": {"json": {"class": "fastlog_stdlib.FastlogHandler", "sink": "app.log"}},
     "root": {"handlers": ["json"], "level": "INFO"}}
"""

from __future__ import annotations

from ._formatter import FastlogFormatter
from ._handler import FastlogHandler
from ._optimize import optimize, restore

__all__ = ["FastlogFormatter", "FastlogHandler", "optimize", "restore"]
