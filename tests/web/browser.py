"""Helpers of the browser tests: Debian's Chromium (installed with apt when missing), the
record of what a page did (:class:`Tab`), and the screenshots docs/web.md shows."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, and kept off the network: no background requests, no QUIC, no component updates.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


def chromium() -> Path:
    """The system Chromium, installed once with apt when missing and allowed (root)."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is not None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [apt, "install", "-y", "chromium"]
        done = subprocess.run(install, capture_output=True, env=env, timeout=1800, check=False)
        if done.returncode != 0:  # a machine whose package lists were never fetched
            subprocess.run([apt, "update"], capture_output=True, env=env, timeout=600, check=False)
            subprocess.run(install, capture_output=True, env=env, timeout=1800, check=False)
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) "
            "to run the browser tests",
            pytrace=False,
        )
    return CHROMIUM


@dataclass
class Tab:
    """A page and what it did: console messages, uncaught errors, every request's URL."""

    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m]

    def foreign_requests(self) -> list[str]:
        """Requests to anything but loopback (``data:`` URLs never leave the page)."""
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "about", "blob"):
                continue
            if parts.hostname not in LOOPBACK:
                out.append(url)
        return out


def screenshot(page: Page, name: str) -> None:
    """Save a screenshot for docs/web.md when ``FASTLOG_WEB_SCREENSHOTS=<dir>`` is set: PNG,
    1280x800, reduced to a 256-colour palette and optimised to stay small in the repository."""
    target = os.environ.get("FASTLOG_WEB_SCREENSHOTS")
    if not target:
        return
    import io

    from PIL import Image

    out = Path(target) / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    # k-means refinement keeps the small coloured marks (the live dot) a plain median cut loses
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, kmeans=2).save(out, optimize=True)
