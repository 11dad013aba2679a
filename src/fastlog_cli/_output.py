"""Where the command writes: standard output or a pager, and the colour decision."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import IO

__all__ = ["Output", "use_colors"]


def use_colors(choice: str, stream: IO[str]) -> bool:
    """``--color auto|always|never``; ``auto`` colours a terminal unless ``NO_COLOR`` is set."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


class Output:
    """A byte sink: standard output, or ``less -R`` when paging on a terminal."""

    def __init__(self, *, pager: bool) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self.stream = sys.stdout.buffer
        if pager and sys.stdout.isatty():
            command = os.environ.get("FASTLOG_PAGER") or os.environ.get("PAGER")
            if not command and shutil.which("less"):
                command = "less"
            if command:
                env = dict(os.environ)
                env.setdefault("LESS", "FRX")  # colours through, quit if one screen, keep screen
                env.setdefault("LV", "-c")
                self._process = subprocess.Popen(
                    command, shell=True, stdin=subprocess.PIPE, env=env
                )
                assert self._process.stdin is not None
                self.stream = self._process.stdin

    @property
    def paging(self) -> bool:
        """Whether a pager receives the output."""
        return self._process is not None

    def write(self, data: bytes) -> None:
        """Write *data* (raises ``BrokenPipeError`` when the reader has gone)."""
        self.stream.write(data)

    def flush(self) -> None:
        """Flush, so a pipe's reader sees lines as they come."""
        self.stream.flush()

    def close(self) -> None:
        """Flush and, with a pager, wait for the user to quit it."""
        try:
            self.stream.flush()
        except BrokenPipeError:
            pass
        if self._process is not None:
            try:
                self.stream.close()
            except BrokenPipeError:
                pass
            self._process.wait()


def silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so interpreter exit prints nothing."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
