"""Browser fixtures: Playwright for Python driving Debian's Chromium, never a downloaded browser.

``/usr/bin/chromium`` is installed with apt when it is missing and the tests run as root;
otherwise the browser tests fail saying how to install it (they are never skipped). Each test
gets a fresh browser context (its own empty profile: no cookies, no cache).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.web.browser import CHROMIUM_ARGS, VIEWPORT, Tab, chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Playwright, Request


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives a real headless Chromium (Debian's chromium, via Playwright)"
    )


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
    from playwright.sync_api import expect

    # expect() polls the page until its condition holds: a hang guard, not a timing
    # assertion, so it is generous for a loaded CI machine (Playwright's default is 5 s).
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # launch() gives Chromium a new empty --user-data-dir of Playwright's own, deleted at close.
    browser = playwright.chromium.launch(
        executable_path=str(chromium()), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


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
