"""With the database down, the public page, feeds and v2 endpoints are still served from
the last rendered state (statuspage.public.snapshots)."""

import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client, override_settings

from statuspage.models import Component, Incident
from statuspage.public import door, registry, store
from statuspage.public import version as public_version
from statuspage.public.export import EXPORT_HEADERS
from statuspage.public.render import render_all
from statuspage.services.incidents import do_open_incident, do_post_update

from .reliability.test_security_headers import assert_hardened
from .test_render_on_write import PAGES, V2, django_must_not_run, wsgi_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(db, monkeypatch):
    """Every query fails as it does when PostgreSQL is stopped. (Set up after `db`, so it
    is undone before the test's transaction is rolled back.)"""

    def stop():
        def refused(*args, **kwargs):
            raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

        monkeypatch.setattr(CursorWrapper, "execute", refused)
        monkeypatch.setattr(CursorWrapper, "executemany", refused)

    return stop


@pytest.fixture
def rendered(page):
    do_open_incident(name="Registration data wrong", status="identified", body="A bad deploy.",
                     components={Component.objects.get(key="reserve-data"): "major_outage"})
    render_all()


def a_web_process_started_after_a_change():
    """A version nobody rendered yet, and no memory of earlier requests."""
    public_version.bump()
    store.forget()


def test_the_page_feeds_and_v2_are_served_from_the_last_render(rendered, database_down):
    a_web_process_started_after_a_change()
    database_down()
    client = Client(raise_request_exception=False)

    for url in PAGES + V2:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["ETag"], url
    assert "Registration data wrong" in client.get("/").content.decode()
    assert client.get("/api/v2/status.json").json()["status"]["indicator"] == "critical"


def test_the_wsgi_front_door_serves_them_too_once_a_request_has_fallen_back(rendered, database_down):
    a_web_process_started_after_a_change()
    database_down()

    status, _, body = wsgi_get("/")

    assert status == 200 and b"Registration data wrong" in body


def test_a_rendered_version_is_served_as_usual(rendered, database_down):
    database_down()
    front = door.serve_snapshots(django_must_not_run)

    for url in PAGES + V2:
        status, _, _ = wsgi_get(url, app=front)
        assert status == 200, url


def test_with_the_cache_gone_too_the_export_folder_is_served(page, database_down, tmp_path):
    export = tmp_path / "public"
    with override_settings(PUBLIC_EXPORT_DIR=str(export)):
        render_all()
        cache.clear()
        store.forget()
        database_down()

        response = Client(raise_request_exception=False).get("/", HTTP_ACCEPT_LANGUAGE="uk")
        summary = Client(raise_request_exception=False).get("/api/v2/summary.json")

    assert response.status_code == 200
    assert response.content == (export / "uk" / "index.html").read_bytes()
    assert summary.status_code == 200 and summary.json()["page"]["name"] == "Reserve+ status"


def test_after_a_failed_render_the_next_requests_do_not_wait_for_the_database(rendered, database_down, monkeypatch):
    a_web_process_started_after_a_change()
    database_down()
    client = Client(raise_request_exception=False)
    client.get("/")  # tries, fails, serves the last render
    tries = []
    monkeypatch.setattr(CursorWrapper, "execute", lambda *a, **k: tries.append(a) or 1 / 0)

    for url in PAGES + V2:
        assert client.get(url).status_code == 200, url

    assert tries == []


def test_when_the_database_is_back_the_next_change_shows_at_once(rendered, database_down, monkeypatch):
    a_web_process_started_after_a_change()
    database_down()
    client = Client(raise_request_exception=False)
    client.get("/api/v2/status.json")  # fails to render, serves the last render
    monkeypatch.undo()  # PostgreSQL is back

    incident = Incident.objects.get(name="Registration data wrong")
    do_post_update(incident, status="resolved", body="Fixed.")

    assert client.get("/api/v2/status.json").json()["status"]["indicator"] == "none"


def test_a_page_never_rendered_is_an_error_not_a_wrong_page(page, database_down):
    database_down()

    response = Client(raise_request_exception=False).get("/history.atom")

    assert response.status_code == 500


def test_healthz_tells_the_load_balancer_the_database_is_down(page, database_down):
    database_down()

    assert Client().get("/healthz").json() == {"status": "ok", "database": "unavailable"}


def local_links(html: str, page_path: str, public_url: str = "https://status.example.org") -> list[str]:
    """The URLs a page links to on this site (href and src), resolved against it."""
    links = []
    for link in re.findall(r'(?:href|src)="([^"]*)"', html):
        link = unescape(link)
        if link.startswith(public_url):
            link = link[len(public_url):] or "/"
        if link.startswith("?"):
            link = page_path + link
        if link.startswith("/") and not link.startswith("//"):
            links.append(link)
    return list(dict.fromkeys(links))


def test_every_link_of_the_page_is_served_from_its_last_copy(page, database_down):
    for n in range(registry.HISTORY_PER_PAGE + 1):  # a second page of history
        do_open_incident(name=f"Incident {n}", status="resolved")
    do_open_incident(name="Registration data wrong", status="identified")
    render_all()
    a_web_process_started_after_a_change()
    database_down()

    def get(url, lang):
        return Client(raise_request_exception=False).get(url, HTTP_ACCEPT_LANGUAGE=lang)  # no cookie kept

    for lang in ("uk", "en"):
        home, history = get("/", lang).content.decode(), get("/history", lang).content.decode()
        links = local_links(home, "/") + local_links(history, "/history")
        assert "/?tz=Asia%2FTashkent" in links and "/history?page=2" in links
        for link in links:
            assert get(link, lang).status_code == 200, (lang, link)
    assert "Registration data wrong" in get("/?tz=Asia/Tashkent", "uk").content.decode()
    assert 'rel="prev"' in get("/history?page=2", "uk").content.decode()
    status, _, body = wsgi_get("/?tz=UTC", accept_language="uk")  # the front door, once a request fell back
    assert status == 200 and body == get("/?tz=UTC", "uk").content


EXPORTED = ["/", "/history.atom", "/embed", "/badge.svg", "/components/reserve-data/badge.svg",
            "/api/v2/summary.json", "/.well-known/statuspage.json"]


def test_the_export_folder_is_served_with_the_headers_of_the_snapshot(page, database_down, tmp_path):
    export = tmp_path / "public"
    with override_settings(PUBLIC_EXPORT_DIR=str(export)):
        render_all()
        usual = {url: Client().get(url, HTTP_ACCEPT_LANGUAGE="uk", HTTP_ACCEPT_ENCODING="br") for url in EXPORTED}
        cache.clear()
        store.forget()
        database_down()

        for url in EXPORTED:
            response = Client(raise_request_exception=False).get(url, HTTP_ACCEPT_LANGUAGE="uk",
                                                                 HTTP_ACCEPT_ENCODING="br")
            assert response.status_code == 200, url
            assert dict(response.items()) == dict(usual[url].items()), url
            assert response.content == usual[url].content, url
            assert_hardened(response.headers, url, framing="*" if url == "/embed" else "'none'")


def test_an_export_without_its_headers_file_is_served_with_those_of_an_ordinary_page(page, database_down, tmp_path):
    export = tmp_path / "public"
    with override_settings(PUBLIC_EXPORT_DIR=str(export)):
        render_all()
        (export / EXPORT_HEADERS).unlink()  # written before the file existed
        cache.clear()
        store.forget()
        database_down()

        badge = Client(raise_request_exception=False).get("/badge.svg", HTTP_ACCEPT_LANGUAGE="uk")

    assert badge.status_code == 200 and badge["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in badge["Vary"].split(",")}
    assert badge["X-Frame-Options"] == "DENY"
    assert_hardened(badge.headers, "/badge.svg")
