"""Records of frameworks that log through stdlib ``logging``, given structured fields.

uvicorn, gunicorn, Django and ``logging.captureWarnings`` put what matters (method, path,
status, warning category) into a formatted message or an object's repr; each entry here reads
it back from the record, keyed by the framework's logger name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

#: Logger name -> a function that adds the framework's fields to the finished record dict
#: (before the pipeline's schema or the formatter's renames). It must not raise.
FRAMEWORKS: dict[str, Callable[[logging.LogRecord, dict[str, Any]], None]] = {}
