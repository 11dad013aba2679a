"""Reading JSON logs back: the layer under the ``fastlog`` command and ``fastlog web``.

Lines written by fastlog (every schema), structlog, loguru, python-json-logger and logfmt
writers are detected per line and normalised to :class:`Record`; other lines are ``text``
records. Nothing here prints, parses arguments or imports DuckDB.
"""

from ._errors import FilterError, ReadError
from ._filters import Filter, StreamMatch, parse_filter
from ._follow import FollowedLine, Follower, Notice, NoticeKind, follow
from ._index import Index
from ._layouts import parse_line
from ._query import QueryError, QueryResult, format_result, logs_view_sql, run_query, write_result
from ._reader import merge, read, read_lines
from ._record import Record
from ._render import Renderer, RenderOptions, to_fastlog_schema
from ._sources import open_source
from ._stats import Stats
from ._templates import template

__all__ = [
    "Filter",
    "FilterError",
    "FollowedLine",
    "Follower",
    "Index",
    "Notice",
    "NoticeKind",
    "QueryError",
    "QueryResult",
    "ReadError",
    "Record",
    "RenderOptions",
    "Renderer",
    "Stats",
    "StreamMatch",
    "follow",
    "format_result",
    "logs_view_sql",
    "merge",
    "open_source",
    "parse_filter",
    "parse_line",
    "read",
    "read_lines",
    "run_query",
    "template",
    "to_fastlog_schema",
    "write_result",
]
