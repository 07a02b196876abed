"""The public page, permalinks, history and feeds: no login, cacheable, always parseable."""

import html
import re

import feedparser
import pytest
from django.test import Client

from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import Component, Incident
from statuspage.services.incidents import do_open_incident, do_post_update

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/history", "/history.rss", "/history.atom", "/components/reserve-data/history.rss",
          "/components/reserve-data/history.atom", "/subscribe", "/healthz", "/api/v2/summary.json",
          "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
          "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
          "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json"]


def open_incident(name="Login fails", **components):
    return do_open_incident(
        name=name, status="identified", body="The **login** step fails.",
        components={Component.objects.get(key=k): s for k, s in components.items()},
    )


@pytest.mark.parametrize("url", PUBLIC)
def test_every_public_response_has_an_etag_and_answers_304(page, url):
    client = Client()
    first = client.get(url)

    assert first.status_code == 200
    assert first["ETag"]
    assert "public" in first["Cache-Control"] and "max-age" in first["Cache-Control"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_the_page_shows_the_banner_groups_components_and_channels(page):
    html = Client().get("/").content.decode()

    assert "All Systems Operational" in html
    assert "Reserve+" in html and "OneID" in html and "Registration data" in html
    assert "Support is never provided through Telegram bots" in html
    assert "1545" in html and 'href="https://example.org/support"' in html
    assert "Measured since" in html  # components created moments ago: no percentage yet


def test_the_page_shows_an_active_incident_with_its_timeline(page):
    incident = open_incident(**{"reserve-auth": "major_outage"})

    html = Client().get("/").content.decode()

    assert "Major System Outage" in html
    assert incident.name in html and "<strong>login</strong>" in html
    assert f'href="/incidents/{incident.id}"' in html
    assert "st-major_outage" in html


def test_the_etag_changes_when_an_incident_is_posted(page):
    client = Client()
    before = client.get("/")["ETag"]
    open_incident(**{"reserve-auth": "major_outage"})

    assert client.get("/", HTTP_IF_NONE_MATCH=before).status_code == 200


def test_the_incident_permalink_shows_its_updates_and_postmortem(page):
    incident = open_incident(**{"reserve-data": "partial_outage"})
    do_post_update(incident, status="resolved", body="Fixed")
    Incident.objects.filter(pk=incident.pk).update(postmortem="## What happened\nA bad deploy.",
                                                   postmortem_published_at=incident.started_at)

    html = Client().get(f"/incidents/{incident.id}").content.decode()

    assert "Resolved" in html and "Identified" in html and "Fixed" in html
    assert "Postmortem" in html and "A bad deploy." in html
    assert Client().get("/incidents/nope").status_code == 404


def test_hostile_markdown_is_sanitised_on_the_page_and_in_feeds(page):
    do_open_incident(name="x", body='<script>alert(1)</script> [click](javascript:alert(1)) '
                     '<img src=x onerror=alert(1)> <a href="javascript:alert(2)">x</a>')

    for url in ["/", "/history", "/history.rss", "/history.atom"]:
        body = Client().get(url).content.decode()
        if url.endswith(("rss", "atom")):
            body = html.unescape(body)  # the entry's HTML, as a feed reader sees it
        assert "<script>alert" not in body
        assert re.search(r"<a[^>]*javascript:", body) is None
        assert re.search(r"<img[^>]*onerror", body) is None


def test_history_is_paginated(page):
    for n in range(25):
        do_open_incident(name=f"Incident {n}")

    first = Client().get("/history").content.decode()
    second = Client().get("/history?page=2").content.decode()

    assert "Incident 24" in first and "Incident 4" not in first.replace("Incident 4</", "")
    assert "Incident 0" in second and 'rel="prev"' in second


@pytest.mark.parametrize("url", ["/history.rss", "/history.atom"])
def test_feeds_parse_with_an_entry_per_update_and_stable_guids(page, url):
    incident = open_incident(**{"reserve-data": "major_outage"})
    do_post_update(incident, status="resolved", body="All good")
    client = Client()

    feed = feedparser.parse(client.get(url).content)

    assert not feed.bozo, feed.get("bozo_exception")
    titles = [e.title for e in feed.entries]
    assert titles == ["Login fails — Resolved", "Login fails — Identified"]
    # The page's public URL, not the Host a visitor sent: a rendered feed is the same for all.
    assert all(e.link.startswith(f"https://status.example.org/incidents/{incident.id}#update-") for e in feed.entries)
    assert "All good" in feed.entries[0].summary and "login" in feed.entries[0].summary
    guids = [e.id for e in feed.entries]
    assert guids == [e.id for e in feedparser.parse(client.get(url).content).entries]
    assert all(g.startswith("tag:status.example.org,") for g in guids)


def test_component_feeds_list_only_that_components_incidents(page):
    open_incident("Data wrong", **{"reserve-data": "major_outage"})
    open_incident("SSO down", **{"oneid-signin": "major_outage"})

    feed = feedparser.parse(Client().get("/components/oneid-signin/history.atom").content)

    assert [e.title for e in feed.entries] == ["SSO down — Identified"]
    assert Client().get("/components/nope/history.atom").status_code == 404


def test_feeds_name_the_official_channels(page):
    feed = feedparser.parse(Client().get("/history.atom").content)

    assert "1545" in feed.feed.subtitle and "Telegram" in feed.feed.subtitle


def test_drafts_are_not_in_feeds(page):
    do_open_incident(name="Unconfirmed", published=False)

    assert "Unconfirmed" not in Client().get("/history.atom").content.decode()
    assert "Unconfirmed" not in Client().get("/").content.decode()


def test_healthz_reports_the_database(page):
    assert Client().get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_the_page_and_the_v2_api_list_groups_and_components_in_the_files_order(db):
    config, errors = validate({"components": [
        {"key": "site", "name": "Website"},
        {"key": "reserve-auth", "name": "Authorization", "group": "Reserve+"},
        {"key": "sms", "name": "SMS gateway"},
        {"key": "oneid-signin", "name": "Sign-in", "group": "OneID"},
        {"key": "reserve-data", "name": "Registration data", "group": "Reserve+"},
        {"key": "mail", "name": "Mail"},
    ]})
    assert errors == []
    apply_config(config)
    in_file_order = ["Website", "Reserve+", "Authorization", "Registration data", "SMS gateway", "OneID", "Sign-in",
                     "Mail"]

    v2 = [c["name"] for c in Client().get("/api/v2/components.json").json()["components"]]
    page = Client().get("/").content.decode()
    on_page = [html.unescape(name) for name in re.findall(
        r'<(?:h3 class="group-h"|span class="c-name")>([^<]+?)\s*(?:<|$)', page)]

    assert v2 == in_file_order
    assert on_page == in_file_order
