"""The CSP has no 'unsafe-inline': pages that need inline code would break in a browser.
Chromium reports every blocked script or style; none may be blocked."""

import pytest

pytestmark = pytest.mark.browser


def csp_violations(tab, url):
    blocked = []
    tab.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    tab.goto(url)
    tab.wait_for_load_state("networkidle")
    return blocked


def test_the_api_docs_render_under_the_csp(tab, site):
    blocked = csp_violations(tab, f"{site}/api/docs/")

    tab.wait_for_selector(".swagger-ui .information-container .title", timeout=15_000)
    assert "Status page management API" in tab.inner_text(".swagger-ui .information-container .title")
    assert blocked == []


@pytest.mark.parametrize("path", ["/", "/history", "/subscribe", "/admin/login/"])
def test_pages_load_nothing_the_csp_blocks(tab, site, path):
    assert csp_violations(tab, f"{site}{path}") == []
