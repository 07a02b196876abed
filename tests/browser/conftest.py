"""Real-browser tests: Playwright driving the machine's Chromium (Debian's, /usr/bin/chromium).

Playwright never downloads a browser here; CHROMIUM (default /usr/bin/chromium) names the
executable. A missing browser fails these tests with the fix, it does not skip them:
a suite that silently skips its browser tests proves nothing about the page.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# As the machine's own check starts it: no first-run work, no calls to Google's hosts.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `apt-get install -y chromium` "
                    "(`make test` does this as root), or set CHROMIUM to its path", pytrace=False)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread while it runs; the ORM calls
    # of the tests (setting up data, flushing it after) are still plain synchronous calls.
    # Set for this module only: other tests keep Django's guard.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def site(live_server, transactional_db):
    """The demo page, served by a real HTTP server the browser reaches."""
    from tests.citizens import apply_demo_config

    apply_demo_config()
    return live_server.url


@pytest.fixture
def tab(browser):
    """A fresh browser context (no cookies) and page: a new visitor on a laptop. Tests
    make their own contexts for phones and dark mode."""
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` at the repository root (`make test` does this)", pytrace=False)
    return AXE
