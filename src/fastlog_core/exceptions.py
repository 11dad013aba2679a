"""fastlog's exceptions: the only ones it raises, and only at configure time.

Logging calls never raise (an internal error is counted in ``stats()["errors"]`` and reported
on stderr, rate-limited: see ``_diagnostics``); configuration does, naming the option.
"""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A fastlog option has a bad name or value. The message names the option and the values
    it accepts. A ``ValueError``, so ``logging.config.dictConfig`` reports it as the cause of
    its own error."""


# Tracebacks and reprs name it as users import it: ``fastlog_core.ConfigError`` (pickling
# finds it there too).
ConfigError.__module__ = "fastlog_core"
