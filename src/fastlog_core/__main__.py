"""``python -m fastlog_core``: the ``fastlog`` command.

The command lives in ``fastlog_cli``, imported here only when run so that the core never loads
it (or the reading layer) at import time.
"""

from __future__ import annotations

import sys


def _run() -> int:
    try:
        from fastlog_cli import main
    except ImportError as exc:
        sys.stderr.write(f"fastlog: the fastlog command is not available ({exc})\n")
        return 1
    return main()


if __name__ == "__main__":
    sys.exit(_run())
