"""Fake support bots copy a status page: every page, feed and answer names the real channels."""

import json

import feedparser
import pytest
from django.test import Client

from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import ComponentGroup, OfficialChannel
from statuspage.services import changes as publish
from statuspage.services.incidents import do_open_incident
from tests.citizens import apply_demo_config

pytestmark = pytest.mark.django_db

NOTICE = "Support is never provided through Telegram bots or channels."


@pytest.mark.parametrize("path", ["/", "/history", "/incidents/{id}", "/subscribe", "/embed", "/no-such-page"])
def test_every_page_shows_the_notice_and_the_official_channels(page, path):
    incident = do_open_incident(name="Login fails")

    html = Client().get(path.format(id=incident.id)).content.decode()

    assert NOTICE in html
    if path != "/embed":  # the widget is small: the notice and a link to the page
        assert "Support line" in html and "1545" in html and "https://example.org/support" in html


@pytest.mark.parametrize("url", ["/history.atom", "/history.rss", "/components/reserve-data/history.atom"])
def test_feeds_name_the_channels_and_where_to_verify_them(page, url):
    feed = feedparser.parse(Client().get(url).content)

    about = feed.feed.get("subtitle") or feed.feed.get("description")
    assert NOTICE in about and "Support line: 1545" in about
    assert "https://status.example.org/.well-known/statuspage.json" in about


def test_the_v2_page_and_so_every_webhook_say_where_to_verify(page):
    summary = Client().get("/api/v2/summary.json").json()

    assert summary["page"]["verify_url"] == "https://status.example.org/.well-known/statuspage.json"


def test_well_known_lists_the_official_channels_in_every_language(db, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"  # the demo config leaves page.url to `make run`
    apply_demo_config()

    response = Client().get("/.well-known/statuspage.json")
    data = response.json()

    assert response["Access-Control-Allow-Origin"] == "*"
    assert data["url"] == "http://127.0.0.1:8000/"
    assert data["notice"].startswith("Support is never provided through Telegram bots")
    assert data["translations"]["uz-latn"]["notice"].startswith("Yordam hech qachon Telegram")
    assert [(c["name"], c["value"], c["url"]) for c in data["official_channels"]] == [
        ("Reserve+ support line", "1545", "https://example.org/support"),
        ("OneID help desk", "+998 71 000 00 00", "https://example.org/oneid-help"),
    ]
    assert data["official_channels"][0]["translations"]["uk"] == {"name": "Лінія підтримки Резерв+"}
    assert data["languages"] == ["uk", "uz", "uz-latn", "ru", "en"]
    assert data["feeds"]["atom"] == "http://127.0.0.1:8000/history.atom"
    assert data["badge"] == "http://127.0.0.1:8000/badge.svg"


def test_well_known_says_only_its_channels_are_official_in_every_language(db):
    apply_demo_config()

    data = Client().get("/.well-known/statuspage.json").json()

    assert data["statement"].startswith("Only the channels listed here are official.")
    assert data["translations"]["uk"]["statement"].startswith("Офіційні лише канали з цього списку.")
    assert data["translations"]["uz"]["statement"].startswith("Фақат шу рўйхатдаги каналлар расмий")
    assert data["translations"]["uz-latn"]["statement"].startswith("Faqat shu roʻyxatdagi kanallar rasmiy")
    assert data["translations"]["ru"]["statement"].startswith("Официальны только каналы из этого списка.")
    assert data["translations"]["uk"]["notice"].startswith("Ми ніколи не надаємо підтримку")  # beside the page's own


def test_well_known_is_cached_like_every_public_response(page):
    client = Client()
    first = client.get("/.well-known/statuspage.json")

    assert first["ETag"] and "public" in first["Cache-Control"]
    assert client.get("/.well-known/statuspage.json", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # The same bytes whatever the reader's language: it already holds every translation.
    assert client.get("/.well-known/statuspage.json", HTTP_ACCEPT_LANGUAGE="uz").content == first.content


def test_a_channel_edit_reaches_well_known_at_once(page):
    client = Client()
    before = json.loads(client.get("/.well-known/statuspage.json").content)
    OfficialChannel.objects.filter(name="Support line").update(value="1546")  # .update(): no signal
    publish.public_changed()

    after = json.loads(client.get("/.well-known/statuspage.json").content)
    assert before["official_channels"][0]["value"] == "1545"
    assert after["official_channels"][0]["value"] == "1546"


def test_the_config_takes_translations_for_channels_and_groups(db, page_config):
    page_config["page"]["official_channels"][0]["translations"] = {"uk": {"name": "Лінія підтримки"}}
    page_config["groups"] = [{"name": "Reserve+", "translations": {"uk": {"name": "Резерв+"}}}]
    config, errors = validate(page_config)
    assert errors == []

    apply_config(config)

    assert OfficialChannel.objects.get().translations == {"uk": {"name": "Лінія підтримки"}}
    assert ComponentGroup.objects.get(key="reserve").translations == {"uk": {"name": "Резерв+"}}
    html = Client().get("/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "Лінія підтримки" in html and ">Резерв+ <" in html


def test_the_config_refuses_bad_translations_with_their_paths(db, page_config):
    page_config["page"]["official_channels"][0]["translations"] = {"xx": {"name": "?"}}
    page_config["groups"] = [{"name": "Nope", "translations": {"uk": {"title": "?"}}}, "x"]

    _, errors = validate(page_config)

    assert [path for path, _ in errors] == [
        "page.official_channels[0].translations.xx", "groups[0].name", "groups[1]"]


def test_emails_carry_the_notice_and_channels_in_the_subscribers_language(db):
    from django.template.loader import render_to_string
    from django.utils import translation

    from statuspage.models import PageSettings

    apply_demo_config()
    page = PageSettings.load()
    incident = do_open_incident(name="Wrong deferral shown", status="identified")
    context = {"page": page, "channels": list(page.channels.all()),
               "incident": incident, "update": incident.updates.get()}

    with translation.override("uk"):
        footer = render_to_string("email/_trust.txt", context)
        subject = render_to_string("email/event_subject.txt", context)

    assert "Ми ніколи не надаємо підтримку через Telegram-боти" in footer
    assert "- Лінія підтримки Резерв+: 1545 (https://example.org/support)" in footer
    assert subject.startswith("[Резерв+ · OneID — стан сервісів] Wrong deferral shown — Причину знайдено")
