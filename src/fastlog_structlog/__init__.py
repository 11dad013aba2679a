"""fastlog for structlog: a renderer and logger factory (coming with issue 4).

Nothing is exported yet; the package exists so the distribution's layout is final.
"""

from __future__ import annotations

__all__: list[str] = []
