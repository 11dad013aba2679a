"""The ``fastlog`` command: ``view`` (the default) and ``convert``.

Subcommands are entries of :data:`fastlog_cli._app.COMMANDS`; each adds its arguments to a
parser and runs with the parsed namespace, using only ``fastlog_read``'s public names.
"""

from __future__ import annotations

from ._app import main

__all__ = ["main"]
