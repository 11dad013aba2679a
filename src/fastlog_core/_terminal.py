"""The format of a standard stream nobody chose a format for: console on a terminal, else JSON.

A person at a terminal reads the ``dev`` preset's console lines; a container, a pipe or a file
gets JSON, so production output never depends on this. ``FASTLOG_FORMAT=json|console``
replaces the terminal test (a JSON capture from a terminal session, console lines in a
``docker run -t`` without a terminal on stdout). A format given in code always wins: this only
decides what nobody decided.
"""

from __future__ import annotations

import os
from typing import Literal

from . import _diagnostics
from ._sinks import StreamSink
from .exceptions import ConfigError

__all__ = ["ENV", "FORMATS", "stream_format"]

#: The environment variable that forces the format of an unconfigured standard stream.
ENV = "FASTLOG_FORMAT"
FORMATS = ("json", "console")


def stream_format(stream: str, *, implicit: bool) -> Literal["json", "console"]:
    """The format for the standard stream *stream* (``"stdout"``/``"stderr"``).

    ``FASTLOG_FORMAT`` when set (case and surrounding blanks ignored; empty is unset), else
    ``"console"`` when the stream is a terminal, else ``"json"``.

    Raises:
        ConfigError: for a bad ``FASTLOG_FORMAT``, naming it and the accepted values, unless
            *implicit* (nobody called a configuring function: a logging call must not raise),
            in which case the error is reported once on stderr and the format is JSON.
    """
    raw = os.environ.get(ENV)
    value = (raw or "").strip().lower()
    if value == "json":
        return "json"
    if value == "console":
        return "console"
    if value:
        message = (
            f"{ENV}={raw!r}: expected one of {', '.join(FORMATS)} "
            "(or unset: console on a terminal, JSON elsewhere)"
        )
        if not implicit:
            raise ConfigError(message)
        _diagnostics.report("config", message + "; writing JSON")
        return "json"
    return "console" if StreamSink(stream).isatty() else "json"
