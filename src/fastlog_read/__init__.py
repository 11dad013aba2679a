"""Reading JSON logs back: the layer under the ``fastlog`` command and ``fastlog web``.

Lines written by fastlog (every schema), structlog, loguru, python-json-logger and logfmt
writers are detected per line and normalised to :class:`Record`; other lines are ``text``
records. Nothing here prints, parses arguments or imports DuckDB.
"""

from ._errors import FilterError, ReadError
from ._filters import Filter, parse_filter
from ._layouts import parse_line
from ._reader import merge, read, read_lines
from ._record import Record
from ._render import Renderer, RenderOptions, to_fastlog_schema
from ._sources import open_source

__all__ = [
    "Filter",
    "FilterError",
    "ReadError",
    "Record",
    "RenderOptions",
    "Renderer",
    "merge",
    "open_source",
    "parse_filter",
    "parse_line",
    "read",
    "read_lines",
    "to_fastlog_schema",
]
