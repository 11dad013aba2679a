"""``python -m fastlog_cli``."""

import sys

from . import main

sys.exit(main())
