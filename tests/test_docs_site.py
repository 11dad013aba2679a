"""The documentation site builds with ``mkdocs build --strict``, as CI's docs job runs it.

Needs the ``docs`` dependency group (mkdocs, mkdocs-material, mkdocstrings[python]); skipped
when mkdocs is not installed.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mkdocs", reason="the docs dependency group is not installed")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGES = (
    "fastlog_core",
    "fastlog_core.adapter",
    "fastlog_core.emf",
    "fastlog_core.enrich",
    "fastlog_stdlib",
    "fastlog_structlog",
    "fastlog_loguru",
    "fastlog_read",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once for this module, strictly, into a temporary directory."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    config = ["--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *config],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}{proc.stderr}"
    assert "WARNING" not in proc.stderr, proc.stderr
    return out


def nav_pages(items: Any) -> list[str]:
    """The page paths in a loaded mkdocs ``nav`` (nested lists of {title: path} dicts)."""
    if isinstance(items, str):
        return [items]
    if isinstance(items, dict):
        return [page for value in items.values() for page in nav_pages(value)]
    return [page for item in items for page in nav_pages(item)]


def test_build_strict(site: Path) -> None:
    """``mkdocs build --strict`` succeeds: no broken link, no docstring warning, no bad nav."""
    assert (site / "index.html").is_file()


def test_every_page_is_in_the_nav() -> None:
    """A page under docs/ that the nav leaves out would be unreachable from the site."""
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    listed = nav_pages(config["nav"])
    assert len(listed) == len(set(listed)), "a page is listed twice"
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages - set(listed) == set(), "pages missing from the nav in mkdocs.yml"
    assert set(listed) - pages == set(), "nav entries without a page"


@pytest.mark.parametrize("package", PACKAGES)
def test_api_page_documents_all(site: Path, package: str) -> None:
    """The API page of each package documents exactly the names in its ``__all__``."""
    html = (site / "api" / package.replace(".", "_") / "index.html").read_text(encoding="utf-8")
    documented = set(re.findall(rf'id="{re.escape(package)}\.([A-Za-z_][A-Za-z0-9_]*)"', html))
    assert documented == set(importlib.import_module(package).__all__)


def test_changelog_page_includes_changelog(site: Path) -> None:
    """docs/changelog.md pulls in CHANGELOG.md: each of its release headings is on the page."""
    html = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[([^\]]+)\]", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert releases
    for release in releases:
        assert release in html
