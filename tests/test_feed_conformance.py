"""The feeds against RFC 4287 (Atom) and RSS 2.0, as the W3C feed validator checks them:
an author for every entry, unique ids, `updated` everywhere, and a rel="self" that is
the very URL asked for, `?lang=` included (the page's autodiscovery links carry it)."""

from datetime import datetime
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

import feedparser
import pytest
from django.test import Client

from statuspage.models import Component
from statuspage.services.incidents import do_open_incident, do_post_update

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
# As the page's autodiscovery links (<link rel="alternate">) give them.
FEEDS = ["/history.atom?lang=en", "/history.atom?lang=uk", "/history.atom?lang=uz-latn",
         "/components/reserve-data/history.atom?lang=uz", "/components/reserve-data/history.atom?lang=ru",
         "/components/reserve/history.atom?lang=uk"]


@pytest.fixture
def incidents(page):
    data = Component.objects.get(key="reserve-data")
    first = do_open_incident(name="Deferral shown wrongly", body="We are checking.", components={data: "major_outage"})
    do_post_update(first, status="resolved", body="Fixed.")
    do_open_incident(name="Login slow", components={Component.objects.get(key="oneid-signin"): "degraded_performance"})


def fetch(path: str) -> bytes:
    response = Client().get(path)
    assert response.status_code == 200, path
    return response.content


def rfc3339(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("path", FEEDS)
def test_every_atom_feed_meets_rfc_4287(incidents, path):
    feed = ElementTree.fromstring(fetch(path))

    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    rfc3339(feed.findtext(f"{ATOM}updated"))
    feed_author = feed.find(f"{ATOM}author/{ATOM}name")
    selves = [link.get("href") for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert selves == [f"https://status.example.org{path}"]  # on the page's own URL
    entries = feed.findall(f"{ATOM}entry")
    assert entries, "the fixture's updates are in the feed"
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("tag:") for i in ids)
    for entry in entries:
        assert entry.findtext(f"{ATOM}title")
        rfc3339(entry.findtext(f"{ATOM}updated"))
        # §4.1.1: an entry without an author is valid only if the feed has one; ours have both.
        assert (entry.findtext(f"{ATOM}author/{ATOM}name") or (feed_author is not None and feed_author.text))
        assert any(link.get("rel") in (None, "alternate") for link in entry.findall(f"{ATOM}link"))
    assert not feedparser.parse(fetch(path)).bozo


@pytest.mark.parametrize("path", [p.replace(".atom", ".rss") for p in FEEDS])
def test_every_rss_feed_meets_rss_2(incidents, path):
    rss = ElementTree.fromstring(fetch(path))
    channel = rss.find("channel")

    assert rss.tag == "rss" and rss.get("version") == "2.0"
    for required in ("title", "link", "description"):
        assert channel.findtext(required), required
    selves = [link.get("href") for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert selves == [f"https://status.example.org{path}"]  # on the page's own URL
    items = channel.findall("item")
    guids = [item.findtext("guid") for item in items]
    assert items and len(set(guids)) == len(guids)
    for item in items:
        assert item.findtext("title") and item.find("guid").get("isPermaLink") == "false"
        parsedate_to_datetime(item.findtext("pubDate"))
    assert not feedparser.parse(fetch(path)).bozo


def test_the_self_link_is_the_one_the_page_advertises_in_its_language(incidents):
    page = Client().get("/?lang=uz-latn").content.decode()
    advertised = "/history.atom?lang=uz-latn"
    feed = ElementTree.fromstring(fetch(advertised))

    assert f'href="{advertised}"' in page
    assert [link.get("href") for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"] == [
        f"https://status.example.org{advertised}"]


def test_the_atom_entries_name_the_page_as_their_author(incidents):
    parsed = feedparser.parse(fetch("/history.atom?lang=en"))

    assert parsed.feed.author and all(entry.author == parsed.feed.author for entry in parsed.entries)


def test_a_groups_feed_holds_the_incidents_of_its_components_only(incidents):
    titles = [entry.title for entry in feedparser.parse(fetch("/components/reserve/history.atom")).entries]

    assert titles and all(t.startswith("Deferral shown wrongly") for t in titles)


def test_an_unknown_components_feed_is_404():
    assert Client().get("/components/no-such/history.atom").status_code == 404
