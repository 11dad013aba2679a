"""Reading JSON logs back: the layer under the ``fastlog`` command and ``fastlog web``."""

from ._record import Record

__all__ = ["Record"]
