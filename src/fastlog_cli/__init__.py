"""The ``fastlog`` command."""

__all__: list[str] = []
