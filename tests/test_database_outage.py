"""With the database down, the public page, feeds and v2 endpoints are still served from
the last rendered state (statuspage.snapshots)."""

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client, override_settings

from statuspage import publish, snapshots
from statuspage.models import Component, Incident
from statuspage.render import render_all

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
    Incident.open_new(name="Registration data wrong", status="identified", body="A bad deploy.",
                      components={Component.objects.get(key="reserve-data"): "major_outage"})
    render_all()


def a_web_process_started_after_a_change():
    """A version nobody rendered yet, and no memory of earlier requests."""
    publish._bump()
    snapshots.forget()


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
    front = snapshots.serve_snapshots(django_must_not_run)

    for url in PAGES + V2:
        status, _, _ = wsgi_get(url, app=front)
        assert status == 200, url


def test_with_the_cache_gone_too_the_export_folder_is_served(page, database_down, tmp_path):
    export = tmp_path / "public"
    with override_settings(PUBLIC_EXPORT_DIR=str(export)):
        render_all()
        cache.clear()
        snapshots.forget()
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
    incident.post_update(status="resolved", body="Fixed.")

    assert client.get("/api/v2/status.json").json()["status"]["indicator"] == "none"


def test_a_page_never_rendered_is_an_error_not_a_wrong_page(page, database_down):
    database_down()

    response = Client(raise_request_exception=False).get("/history.atom")

    assert response.status_code == 500


def test_healthz_tells_the_load_balancer_the_database_is_down(page, database_down):
    database_down()

    assert Client().get("/healthz").json() == {"status": "ok", "database": "unavailable"}
