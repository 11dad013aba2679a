"""The package itself: version and what importing it costs."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

import fastlog_core


def test_version_is_the_distribution_version() -> None:
    assert fastlog_core.__version__ == version("fastlog-py")


def test_import_does_not_load_importlib_metadata() -> None:
    """``__version__`` is resolved on first use: importlib.metadata was half the import time."""
    code = (
        "import sys, fastlog_core, fastlog_stdlib, fastlog_loguru;"
        "print('importlib.metadata' in sys.modules);"
        "v = fastlog_core.__version__;"
        "print('importlib.metadata' in sys.modules, bool(v))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True", "True"]


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        fastlog_core.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
