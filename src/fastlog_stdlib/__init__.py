"""fastlog for stdlib ``logging``: a dictConfig-ready handler (coming with issue 3).

Nothing is exported yet; the package exists so the distribution's layout is final.
"""

from __future__ import annotations

__all__: list[str] = []
