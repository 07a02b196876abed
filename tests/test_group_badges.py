"""Groups have a badge and feeds like components; an unknown key's badge is still an SVG."""

import feedparser
import pytest
from django.test import Client

from statuspage.models import Component
from statuspage.services.incidents import do_open_incident

pytestmark = pytest.mark.django_db


def test_a_groups_badge_shows_the_worst_status_of_its_components(page):
    do_open_incident(name="Down", components={Component.objects.get(key="reserve-data"): "partial_outage"})

    response = Client().get("/components/reserve/badge.svg")

    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "<title>Reserve+: Partial outage</title>" in response.content.decode()


def test_an_unknown_components_badge_is_an_svg_saying_so_with_404(page):
    response = Client().get("/components/no-such/badge.svg", HTTP_ACCEPT_LANGUAGE="uk")

    assert response.status_code == 404
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "<title>no-such: такого сервісу немає</title>" in response.content.decode()


def test_a_groups_feed_lists_its_components_incidents(page):
    do_open_incident(name="Registry slow",
                     components={Component.objects.get(key="reserve-data"): "degraded_performance"})
    do_open_incident(name="Sign-in down", components={Component.objects.get(key="oneid-signin"): "major_outage"})

    feed = feedparser.parse(Client().get("/components/reserve/history.rss").content)

    assert [e.title.split(" — ")[0] for e in feed.entries] == ["Registry slow"]
