"""Browser fixtures: Playwright for Python driving Debian's Chromium, never a downloaded browser.

``/usr/bin/chromium`` is installed with apt when it is missing and the tests run as root;
otherwise the browser tests fail saying how to install it (they are never skipped). Chromium
runs headless with the flags that keep it off the network (no background requests, no QUIC),
and each test gets a fresh browser context (its own empty profile: no cookies, no cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request

CHROMIUM = Path("/usr/bin/chromium")
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives a real headless Chromium (Debian's chromium, via Playwright)"
    )


def _chromium() -> Path:
    """The system Chromium, installed once with apt when missing and allowed (root)."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is not None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [apt, "install", "-y", "--no-install-recommends", "chromium"]
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


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the browser tests need Playwright for Python: pip install playwright "
            "(no `playwright install`: the system Chromium is used)",
            pytrace=False,
        )
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # launch() gives Chromium a new empty --user-data-dir of Playwright's own, deleted at close.
    browser = playwright.chromium.launch(
        executable_path=str(_chromium()), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


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


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    """A fresh context and page at 1280x800; after the test: no CSP violation, no uncaught
    error and no request that left loopback."""
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light")
    page = context.new_page()
    page.set_default_timeout(15_000)
    result = Tab(page)

    def on_console(message: ConsoleMessage) -> None:
        result.console.append(f"{message.type}: {message.text}")

    def on_request(request: Request) -> None:
        result.requests.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: result.errors.append(str(exc)))
    context.on("request", on_request)
    yield result
    context.close()
    assert result.csp_violations() == []
    assert result.errors == []
    assert result.foreign_requests() == []


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
