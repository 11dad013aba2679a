"""The host test suites vendored in tests/upstream/ are the installed hosts' own.

Each suite is a pinned copy of one release (its VERSION file). A host upgrade in uv.lock fails
here until the copy is refreshed (the suite's README says how), so fastlog is never checked
against the tests of another release than the one it runs with.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

UPSTREAM = Path(__file__).resolve().parent / "upstream"
SUITES = sorted(p for p in UPSTREAM.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def test_there_are_suites() -> None:
    assert SUITES, f"no vendored suite in {UPSTREAM}"


@pytest.mark.parametrize("suite", SUITES, ids=lambda p: p.name)
def test_vendored_version_is_installed(suite: Path) -> None:
    vendored = (suite / "VERSION").read_text(encoding="utf-8").strip()
    installed = metadata.version(suite.name)
    assert installed == vendored, (
        f"{suite.name} {installed} is installed but tests/upstream/{suite.name}/ holds the tests "
        f"of {vendored}: refresh the copy ({suite.name}/README.md)"
    )


@pytest.mark.parametrize("suite", SUITES, ids=lambda p: p.name)
def test_ships_its_license_and_provenance(suite: Path) -> None:
    """Vendored code keeps its license; the README says where it came from and how to refresh."""
    assert list(suite.glob("LICENSE*")), f"no LICENSE file in {suite}"
    assert (suite / "README.md").is_file()
    assert (suite / "pytest.ini").is_file(), "dev.py test runs the suites that have a pytest.ini"
