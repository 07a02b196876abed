"""Badges and the widget: the status on other sites, in the reader's language."""

import re

import pytest
from django.test import Client

from statuspage.models import Component
from statuspage.services.incidents import do_open_incident

pytestmark = pytest.mark.django_db


def svg(path: str, **headers) -> str:
    response = Client().get(path, **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    return response.content.decode()


def test_the_page_badge_tells_the_status_in_words_icon_and_colour(page):
    healthy = svg("/badge.svg")
    do_open_incident(name="Down", components={Component.objects.get(key="reserve-auth"): "major_outage"})
    outage = svg("/badge.svg")

    assert '<title>status: All Systems Operational</title>' in healthy
    assert 'role="img" aria-label="status: All Systems Operational"' in healthy
    assert "✓ All Systems Operational</text>" in healthy and 'fill="#1a7f37"' in healthy
    assert "✕ Major System Outage</text>" in outage and 'fill="#c4212b"' in outage


def test_a_component_badge_names_the_component_in_the_readers_language(page):
    Component.objects.filter(key="reserve-data").update(translations={"uk": {"name": "Дані обліку"}})
    do_open_incident(name="Slow", components={Component.objects.get(key="reserve-data"): "degraded_performance"})

    badge = svg("/components/reserve-data/badge.svg", HTTP_ACCEPT_LANGUAGE="uk")

    assert "<title>Дані обліку: Працює повільно</title>" in badge
    assert "◐ Працює повільно</text>" in badge and 'lang="uk"' in badge
    assert Client().get("/components/nope/badge.svg").status_code == 404


def test_badges_are_sized_to_their_text_and_cached(page):
    client = Client()
    short, long = svg("/badge.svg", HTTP_ACCEPT_LANGUAGE="en"), svg("/badge.svg?lang=uz-latn")
    width = lambda s: int(re.search(r'<svg [^>]*width="(\d+)"', s).group(1))  # noqa: E731
    first = client.get("/badge.svg")

    assert width(long) > width(short)
    assert client.get("/badge.svg", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert first["Access-Control-Allow-Origin"] == "*"


def test_the_widget_is_the_one_page_other_sites_may_frame(page):
    embed = Client().get("/embed")
    status_page = Client().get("/")

    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors 'none'" in status_page["Content-Security-Policy"]
    assert status_page["X-Frame-Options"] == "DENY"
    html = embed.content.decode()
    assert "All Systems Operational" in html and "Registration data" in html
    assert "<form" not in html and "<script" not in html


def test_the_widget_keeps_its_headers_when_served_from_the_cache(page):
    client = Client()
    client.get("/embed")

    again = client.get("/embed")

    assert "frame-ancestors *" in again["Content-Security-Policy"]
    assert "X-Frame-Options" not in again


def test_the_developers_page_gives_the_snippets_to_copy(page):
    html = Client().get("/developers?lang=en").content.decode()

    assert '&lt;img src="https://status.example.org/badge.svg?lang=en"' in html
    assert '&lt;iframe src="https://status.example.org/embed?lang=en"' in html
