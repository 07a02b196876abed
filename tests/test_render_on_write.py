"""Render on write: public responses are rendered when something public changes, and a
request only reads them (statuspage.public.render, statuspage.public.snapshots)."""

import gzip
import io
import json

import brotli
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from statuspage.models import Component
from statuspage.public import door, keys, registry, render_tasks, store
from statuspage.public.render import render_all
from statuspage.services.incidents import do_open_incident, do_post_update
from statuspage.wsgi import application

pytestmark = pytest.mark.django_db

PAGES = ["/", "/history", "/history.rss", "/history.atom", "/components/reserve-data/history.rss",
         "/components/reserve-data/history.atom"]
V2 = ["/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
      "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
      "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json"]
# Every public URL rendered on write (docs/performance.md, "What is rendered"); {id}: an open incident.
EVERY_PUBLIC = [*PAGES, "/subscribe", "/embed", "/badge.svg", "/components/reserve-data/badge.svg",
                "/.well-known/statuspage.json", "/incidents/{id}", *V2]


def wsgi_get(path, app=application, **headers):
    """A request through the WSGI application, as gunicorn or granian would send it."""
    target, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": target, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(), "wsgi.multithread": True, "wsgi.multiprocess": True,
        "wsgi.run_once": False, "wsgi.version": (1, 0),
        **{"HTTP_" + name.upper(): value for name, value in headers.items()},
    }
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = int(status.split()[0]), dict(response_headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def django_must_not_run(environ, start_response):
    raise AssertionError(f"{environ['PATH_INFO']} reached Django")


def post_update(api, incident, **data):
    return api.post(f"/api/v1/incidents/{incident['id']}/updates/", data, format="json")


@pytest.fixture
def worker_renders_at_once(monkeypatch):
    """The render task runs as soon as it is queued, as an idle worker would run it."""
    queued = []

    def delay():
        queued.append(1)
        render_tasks.render_public()

    monkeypatch.setattr(render_tasks.render_public, "delay", delay)
    return queued


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_once_rendered_no_public_request_touches_the_database(page, lang, django_assert_num_queries):
    incident = do_open_incident(name="Login fails", status="identified",
                                components={Component.objects.get(key="reserve-data"): "major_outage"})
    render_all()
    client = Client()

    for url in (u.format(id=incident.id) for u in EVERY_PUBLIC):
        with django_assert_num_queries(0):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200, url
        assert response["ETag"] and "public" in response["Cache-Control"], url
        if not url.startswith(("/api/", "/.well-known/")):
            assert response["Content-Language"] == lang, url


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_wsgi_front_door_answers_a_rendered_page_without_running_django(page, lang, django_assert_num_queries):
    incident = do_open_incident(name="Login fails", status="identified")
    render_all()
    front = door.serve_snapshots(django_must_not_run)

    for url in (u.format(id=incident.id) for u in EVERY_PUBLIC):
        with django_assert_num_queries(0):
            status, headers, body = wsgi_get(url, app=front, accept_language=lang)
        assert status == 200 and body, url
        assert headers["Content-Length"] == str(len(body))


def test_after_an_incident_update_the_page_feeds_and_v2_change_at_once(
        page, api, anon, worker_renders_at_once, django_capture_on_commit_callbacks, django_assert_num_queries):
    with django_capture_on_commit_callbacks(execute=True):
        incident = api.post("/api/v1/incidents/", {"name": "Login fails", "status": "investigating",
                                                   "components": {"reserve-data": "partial_outage"}},
                            format="json").json()
    before = {url: anon.get(url) for url in PAGES + V2}

    with django_capture_on_commit_callbacks(execute=True):
        post_update(api, incident, status="identified", body="A bad deploy of the profile service.",
                    components={"reserve-data": "major_outage"})

    assert worker_renders_at_once, "the commit queued a render"
    with django_assert_num_queries(0):  # the worker rendered it: visitors only read
        after = {url: anon.get(url) for url in PAGES + V2}
    for url in PAGES + V2:
        if url.endswith(("upcoming.json", "active.json", "maintenances.json")):
            continue  # no maintenance changed
        assert after[url]["ETag"] != before[url]["ETag"], url
    assert "A bad deploy" in after["/"].content.decode()
    assert "A bad deploy" in after["/history.atom"].content.decode()
    assert "A bad deploy" in after["/components/reserve-data/history.rss"].content.decode()
    summary = json.loads(after["/api/v2/summary.json"].content)
    assert summary["incidents"][0]["status"] == "identified"
    assert summary["status"]["indicator"] == "critical"
    status, _, body = wsgi_get("/api/v2/status.json")
    assert json.loads(body)["status"]["indicator"] == "critical"


def test_the_next_request_shows_the_new_state_even_before_the_worker_renders_it(page, api, anon, monkeypatch):
    monkeypatch.setattr(render_tasks.render_public, "delay", lambda: None)  # the worker is busy
    render_all()
    incident = do_open_incident(name="SMS delays", status="investigating")

    do_post_update(incident, status="resolved", body="Delivered again.")

    assert "Delivered again." in anon.get("/").content.decode()
    assert anon.get("/api/v2/incidents/unresolved.json").json()["incidents"] == []


def test_a_miss_renders_once_then_every_request_reads_the_bytes(page, django_assert_num_queries):
    client = Client()
    first = client.get("/")

    with django_assert_num_queries(0):
        again = client.get("/")

    assert again.content == first.content and again["ETag"] == first["ETag"]


def test_changes_in_one_transaction_queue_one_render(page, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(render_tasks.render_public, "delay", lambda: queued.append(1))

    with django_capture_on_commit_callbacks(execute=True):
        do_open_incident(name="Login fails", components={Component.objects.get(key="reserve-auth"): "major_outage"})

    assert queued == [1]


def test_a_conditional_get_with_the_etag_is_answered_304_without_the_database(page, django_assert_num_queries):
    render_all()
    etag = Client().get("/")["ETag"]

    with django_assert_num_queries(0):
        assert Client().get("/", HTTP_IF_NONE_MATCH=etag).status_code == 304
        status, headers, body = wsgi_get("/", if_none_match=etag)
    assert status == 304 and body == b"" and headers["ETag"] == etag


def test_the_etag_is_the_same_when_a_change_leaves_a_response_as_it_was(page):
    # (An empty feed would not do: Django dates it "now" on every render.)
    do_open_incident(name="SSO down", components={Component.objects.get(key="oneid-signin"): "major_outage"})
    render_all()
    feed = Client().get("/components/oneid-signin/history.atom")["ETag"]

    do_open_incident(name="Data wrong", components={Component.objects.get(key="reserve-data"): "major_outage"})

    assert Client().get("/components/oneid-signin/history.atom")["ETag"] == feed


@pytest.mark.parametrize("encoding, decompress", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_precompressed_variants_are_served_to_clients_that_accept_them(page, encoding, decompress):
    render_all()
    plain = Client().get("/")

    compressed = Client().get("/", HTTP_ACCEPT_ENCODING=f"{encoding}, identity")
    status, headers, body = wsgi_get("/", accept_encoding=f"{encoding};q=1")

    assert compressed["Content-Encoding"] == encoding and headers["Content-Encoding"] == encoding
    assert decompress(compressed.content) == plain.content == decompress(body)
    assert len(body) < len(plain.content) / 3
    assert "Accept-Encoding" in compressed["Vary"] and "Accept-Language" in compressed["Vary"]
    assert compressed["ETag"] != plain["ETag"]


def test_a_refused_encoding_is_not_served(page):
    response = Client().get("/", HTTP_ACCEPT_ENCODING="br;q=0, gzip;q=0")

    assert "Content-Encoding" not in response


def test_every_page_language_is_rendered_and_served_by_the_readers_language(page, django_assert_num_queries):
    render_all()

    with django_assert_num_queries(0):
        uk = Client().get("/", HTTP_ACCEPT_LANGUAGE="uk,en;q=0.5")
        en = Client().get("/", HTTP_ACCEPT_LANGUAGE="en")
        switched = Client().get("/?lang=uk")
    assert '<html lang="uk"' in uk.content.decode() and '<html lang="en"' in en.content.decode()
    assert switched.content == uk.content
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "uk"  # the switch is remembered


def test_query_parameters_that_no_view_reads_share_the_pages_snapshot(page, django_assert_num_queries):
    render_all()

    with django_assert_num_queries(0):
        response = Client().get("/?utm_source=news&fbclid=abc")

    assert response.status_code == 200


def cache_files() -> int | None:
    """How many entries the local file cache holds (None with Redis)."""
    list_files = getattr(cache, "_list_cache_files", None)
    return len(list_files()) if list_files else None


# Values nobody links to: each used to be a key of its own, so a render, a cache entry and
# an eviction of this process's memory. Each with the URL whose snapshot it must share.
INVENTED = [("/?page=123456", "/"), ("/?page=2", "/"), ("/?tz=Aaa/Bbb", "/"), ("/?tz=Europe/Paris", "/"),
            ("/?tz=UTC", "/"),  # the English reader's own zone (the page's): the same bytes
            ("/api/v2/summary.json?tz=Aaa/Bbb", "/api/v2/summary.json"),
            ("/api/v2/status.json?page=9", "/api/v2/status.json"),
            ("/history?page=123456", "/history"), ("/history?page=abc", "/history"), ("/history?page=0", "/history"),
            ("/history?page=1", "/history"), ("/history?tz=Zz", "/history"),
            ("/badge.svg?tz=Asia/Tashkent", "/badge.svg"),
            ("/history.atom?page=3", "/history.atom"),
            ("/.well-known/statuspage.json?tz=UTC", "/.well-known/statuspage.json"),
            ("/incidents/{id}?tz=Mars/Olympus", "/incidents/{id}"), ("/embed?tz=Aaa/Bbb&page=4", "/embed")]


def test_invented_query_values_share_the_canonical_snapshot_and_cost_no_render(page, django_assert_num_queries):
    incident = do_open_incident(name="Login fails")
    render_all()
    pages = {canonical: Client().get(canonical.format(id=incident.id)).content for _, canonical in INVENTED}
    memo, files = (len(store._memo.entries), len(store._memo.last)), cache_files()

    for invented, canonical in INVENTED:
        invented = invented.format(id=incident.id)
        with django_assert_num_queries(0):
            response = Client().get(invented)
            status, _, body = wsgi_get(invented, app=door.serve_snapshots(django_must_not_run))
        assert response.status_code == 200 and response.content == pages[canonical], invented
        assert status == 200 and body == response.content, invented

    assert (len(store._memo.entries), len(store._memo.last)) == memo
    assert cache_files() == files


def test_each_page_of_the_history_is_rendered_and_an_out_of_range_one_is_the_last(page, django_assert_num_queries):
    for n in range(registry.HISTORY_PER_PAGE + 1):  # two pages
        do_open_incident(name=f"Incident {n}", status="resolved")
    render_all()

    with django_assert_num_queries(0):
        first, second = Client().get("/history"), Client().get("/history?page=2")
        beyond, zero, again = (Client().get(f"/history?page={n}") for n in ("99", "0", "1"))
        front = wsgi_get("/history?page=2", app=door.serve_snapshots(django_must_not_run))
    assert 'rel="next"' in first.content.decode() and 'rel="next"' not in second.content.decode()
    assert 'rel="prev"' in second.content.decode()  # the view pages as HISTORY_PER_PAGE says
    assert beyond.content == zero.content == second.content  # as Paginator.get_page answers them
    assert again.content == first.content and front[2] == second.content


def test_the_footers_time_zones_are_rendered_on_write(page, django_assert_num_queries):
    incident = do_open_incident(name="Login fails")
    render_all()

    for lang, zones in (("uk", ["Asia/Tashkent", "UTC"]), ("en", ["Europe/Kyiv", "Asia/Tashkent"])):
        home = Client().get("/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        for path in ("/", "/history", "/subscribe", f"/incidents/{incident.id}"):
            for zone in zones:
                assert f'href="?tz={zone.replace("/", "%2F")}"' in home
                with django_assert_num_queries(0):
                    response = Client().get(f"{path}?tz={zone}", HTTP_ACCEPT_LANGUAGE=lang)
                assert response.status_code == 200
                assert response.content != Client().get(path, HTTP_ACCEPT_LANGUAGE=lang).content, (lang, path, zone)


@pytest.mark.parametrize("path, query, lang, key", [
    ("/", "tz=Asia/Tashkent", "uk", "/?tz=Asia%2FTashkent"),
    ("/", "tz=Europe/Kyiv", "uk", "/"),  # a Ukrainian reader's own zone
    ("/", "tz=Europe/Kyiv", "en", "/?tz=Europe%2FKyiv"),
    ("/", "tz=Aaa/Bbb", "en", "/"),
    ("/", "tz=UTC&tz=Aaa", "uk", "/"),  # the last value wins, as in request.GET
    ("/", "page=2", "en", "/"),
    ("/history", "page=2&tz=UTC&utm_source=x", "uk", "/history?page=2&tz=UTC"),
    ("/history", "page=3", "en", "/history?page=3"),
    ("/history", "page=4", "en", "/history?page=3"),
    ("/history", "page=-1", "en", "/history?page=3"),
    ("/history", "page=x", "en", "/history"),
    ("/history.atom", "tz=UTC", "uk", "/history.atom?tz=UTC"),
    ("/history.atom", "page=2", "uk", "/history.atom"),
    ("/api/v2/status.json", "tz=UTC", "", "/api/v2/status.json"),
    ("/badge.svg", "tz=UTC", "uk", "/badge.svg"),
    ("/no-such-page", "tz=UTC", "uk", "/no-such-page"),
])
def test_a_query_value_is_part_of_the_key_only_where_its_view_reads_it(path, query, lang, key):
    params = keys.KeyParams(zones=("UTC", "Europe/Kyiv", "Asia/Tashkent"), time_zone="UTC", history_pages=3)

    assert keys.key_path(path, query, lang, params) == key


def test_what_is_stored_does_not_depend_on_who_asked(page, oncall_user):
    signed_in = Client()
    signed_in.force_login(oncall_user)

    first = signed_in.get("/")

    assert "sessionid" not in first.cookies
    assert Client().get("/").content == first.content


def test_the_refresh_re_renders_only_when_time_changed_the_page(page, time_machine):
    time_machine.move_to("2026-11-20 10:00Z")
    render_all()
    version = store._memo.current_version()

    assert render_tasks.refresh_public() is False
    assert store._memo.current_version() == version

    time_machine.move_to("2026-11-21 10:00Z")  # a new day: a new bar on every component
    assert render_tasks.refresh_public() is True
    assert store._memo.current_version() != version


def test_a_lost_render_message_does_not_block_later_renders(page, monkeypatch):
    def broker_down():
        raise ConnectionError("broker down")

    monkeypatch.setattr(render_tasks.render_public, "delay", broker_down)
    render_tasks.schedule_render()

    assert cache.get(render_tasks.QUEUED_KEY) is None
