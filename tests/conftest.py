"""Shared fixtures: every test starts with no pipelines, no context and zeroed error counts."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

import fastlog_core
from fastlog_core import _context, _diagnostics, _registry

# Host libraries' own test suites, each run in a pytest process of its own with its host's
# settings (python3 dev.py test runs them after this suite; see tests/upstream/README.md).
collect_ignore = ["upstream"]

# The gcp schema asks Google Cloud's metadata server for the project id when it runs on Google
# Cloud: a CI machine there would get its own project into the tests' traces. The tests that
# exercise the lookup turn it back on against a loopback server of their own.
os.environ.setdefault("FASTLOG_GCP_METADATA", "off")

# A shell that starts the suite in the background without job control (`cmd &` in a script)
# hands it SIGINT ignored, and children inherit that: the tests that interrupt a child with
# SIGINT would see it ignored. Restoring Python's handler here gives children the default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _fresh_fastlog() -> Iterator[None]:
    _registry._reset()
    _context.clear_context()
    _diagnostics.reset_after_fork()
    yield
    _registry._reset()
    _context.clear_context()


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "app.log"


@pytest.fixture
def configured(log_path: Path) -> Path:
    """The default route writing to a temporary file at DEBUG."""
    fastlog_core.configure(sink=str(log_path), level="debug")
    return log_path
