"""fastlog for loguru: a sink for ``logger.add`` (coming with issue 5).

Nothing is exported yet; the package exists so the distribution's layout is final.
"""

from __future__ import annotations

__all__: list[str] = []
