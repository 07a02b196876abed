"""Hostile input gets a clear 4xx, never a 500; hostile Markdown is made harmless."""

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statuspage.markdown import render_markdown
from statuspage.models import Incident

pytestmark = pytest.mark.django_db

PROBE = ('{"components":[{"key":"a","name":"A"}],"probes":[{"key":"p","component":"a","steps":[{"name":"s",'
         '"request":{"method":"GET","url":"http://x"},"expect":%s}]}]}')


@pytest.mark.parametrize("name, body, content_type, status", [
    ("deeply nested JSON", "[" * 100_000 + "]" * 100_000, "application/json", 400),
    ("a body over the size limit", '{"name":"' + "x" * 2_000_000 + '"}', "application/json", 413),
    ("bad UTF-8", b'{"name":"\xff\xfe"}', "application/json", 400),
    ("NaN", '{"name": NaN}', "application/json", 400),
    ("not JSON at all", "name=x", "application/x-www-form-urlencoded", 415),
    ("truncated JSON", '{"name": "x', "application/json", 400),
])
@pytest.mark.parametrize("url", ["/api/v1/incidents/", "/api/v1/config/"])
def test_malformed_bodies_get_a_json_4xx(page, api, url, name, body, content_type, status):
    response = api.generic("POST", url, body, content_type=content_type)

    assert response.status_code == status, name
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("expect, path", [
    ('{"json": {"$.[": {"exists": true}}}', "probes[0].steps[0].expect.json"),
    ('{"body_matches": "(unclosed"}', "probes[0].steps[0].expect.body_matches"),
    ('{"json": {"$.a": {"matches": "[z-a]"}}}', "probes[0].steps[0].expect.json"),
])
def test_bad_jsonpath_and_bad_regex_are_refused_with_their_path(page, api, expect, path):
    response = api.generic("POST", "/api/v1/config/", PROBE % expect, content_type="application/json")

    assert response.status_code == 400
    assert any(key.startswith(path) for key in response.json()["errors"]), response.json()


def test_unknown_api_paths_answer_json_404(api):
    response = api.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


SCRIPTY = st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>", "<iframe src=//evil>", "<svg onload=alert(1)>", "[x](JaVaScRiPt:alert(1))",
    "<div style='background:url(javascript:alert(1))'>", "![x](javascript:alert(1))", "<a href=\"&#106;avascript:x\">",
    "<object data=x>", "<body onload=alert(1)>", "`<script>`", "<<script>script>", "[x](vbscript:msgbox)",
    "<form action=//evil><input></form>", "<meta http-equiv=refresh content=0;url=//evil>", "<base href=//evil>",
])


class Tags(HTMLParser):
    """The tags and attributes a browser would build from the HTML (escaped text is not a tag)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(SCRIPTY, st.text(max_size=40)), max_size=8).map("".join))
def test_no_script_handler_or_javascript_url_survives_markdown(text):
    for tag, attrs in Tags(str(render_markdown(text))).found:
        assert tag not in {"script", "iframe", "object", "svg", "form", "input", "meta", "base", "body", "div", "img"}
        assert not any(name.startswith("on") or name == "style" for name in attrs)
        for name in ("href", "src"):
            value = re.sub(r"[\x00-\x20]", "", attrs.get(name) or "").lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:"))


def test_a_line_break_typed_by_on_call_is_a_line_break_on_the_page():
    html = str(render_markdown("Вхід не працює.\nВаші дані в безпеці.\r\nНічого не робіть."))

    assert html.count("<br") == 2 and "<p>Вхід не працює.<br" in html
