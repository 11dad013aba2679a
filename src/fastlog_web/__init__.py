"""``fastlog web``: a local web viewer over :class:`fastlog_read.Index` (Starlette on uvicorn).

Needs the ``web`` extra: ``pip install "fastlog-py[web]"``.
"""

from ._app import create_app
from ._live import Live
from ._security import is_loopback
from ._server import bind, serve

__all__ = ["Live", "bind", "create_app", "is_loopback", "serve"]
