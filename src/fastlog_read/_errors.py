"""The reading layer's errors."""

from __future__ import annotations

__all__ = ["FilterError", "ReadError"]


class ReadError(Exception):
    """Base class of the errors the reading layer raises (never for a bad line: those are text)."""


class FilterError(ReadError, ValueError):
    """A filter expression or time that cannot be parsed.

    Attributes:
        text: The expression as given.
        column: The 0-based index of the offending character in ``text``.
    """

    def __init__(self, message: str, text: str, column: int) -> None:
        super().__init__(message)
        self.text = text
        self.column = column

    def caret(self) -> str:
        """The expression and a caret line under the offending character."""
        return f"  {self.text}\n  {' ' * self.column}^"
