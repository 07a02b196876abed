"""The verification code of a statement is shown beside it: on the page, in feeds and in e-mails."""

import feedparser
import pytest
from django.template.loader import render_to_string
from django.test import Client

from statuspage.models import PageSettings
from statuspage.services.incidents import do_open_incident
from statuspage.verification.codes import code_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def update(page):
    return do_open_incident(name="SMS delays", body="Codes arrive late.").updates.get()


def test_the_incident_page_shows_each_updates_code_beside_a_link_to_verify(update):
    """The link carries no code: every link of the page must be served from its rendered copy
    while the database is down (tests/test_database_outage.py), and /verify?code= is not."""
    html = Client().get(update.incident.get_absolute_url()).content.decode()

    code = code_for("update", update.id)
    assert f'<a href="/verify">Verification code</a>: <code>{code}</code>' in html


def test_the_feed_entry_carries_its_updates_code(update):
    feed = feedparser.parse(Client().get("/history.atom").content)

    assert code_for("update", update.id) in feed.entries[0].summary


@pytest.mark.parametrize("template", ["email/event.txt", "email/event.html"])
def test_the_email_carries_the_updates_code(update, template):
    text = render_to_string(template, {"page": PageSettings.load(), "incident": update.incident, "update": update,
                                       "link": "https://status.example.org/x", "unsubscribe": "https://u"})

    assert code_for("update", update.id) in text
