"""After an incident update commits, the very next request shows it: in this process and
in another web process, through the WSGI front door and through Django, with no TTL to
wait for (docs/performance.md). Delays are printed, never asserted."""

import subprocess
import time
from contextlib import contextmanager

import httpx
import pytest
from django.conf import settings
from django.test import Client

from statuspage.public import render_tasks
from statuspage.public.render import render_all
from statuspage.wsgi import application
from tests.processes import ROOT, brokers, process_env, stop, wait_for
from tests.reliability.faults import free_port

from .test_render_on_write import django_must_not_run, post_update, wsgi_get

pytestmark = pytest.mark.django_db(transaction=True)  # the other process reads what commits

URLS = ["/", "/history.atom", "/components/reserve-data/history.rss", "/api/v2/summary.json"]


@pytest.fixture
def worker_busy(monkeypatch):
    """No worker renders after a commit: the next request finds no snapshot of the new version."""
    monkeypatch.setattr(render_tasks.render_public, "delay", lambda: None)


@contextmanager
def web_process():
    """`make run`'s web server (scripts/web.sh: granian), one worker, on this test's
    database and cache; yields an HTTP client of it."""
    port = free_port()
    log = open(settings.VAR_DIR / "next-request-web.log", "ab")
    env = process_env(brokers()[0], settings.VAR_DIR, PORT=str(port), WEB_WORKERS="1")
    proc = subprocess.Popen(["bash", "scripts/web.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is not None or _answers(f"{base}/healthz"), timeout=60, what="the web process")
        assert proc.poll() is None, (settings.VAR_DIR / "next-request-web.log").read_text()[-2000:]
        with httpx.Client(base_url=base, timeout=30, trust_env=False) as client:
            yield client
    finally:
        stop(proc)
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def doors(other: httpx.Client, front=application):
    """Each way a request reaches the page: (name, GET returning the body)."""
    client = Client()
    return [
        ("this process, WSGI front door", lambda url: wsgi_get(url, app=front)[2].decode()),
        ("this process, Django", lambda url: client.get(url).content.decode()),
        ("another process (granian)", lambda url: other.get(url).text),
    ]


def first_requests_after(committed: float, ways, text: str) -> None:
    """One request per URL and door, none repeated: each must show `text`. The doors take
    turns going first, so each is the very first request after the commit for some URL."""
    for n, url in enumerate(URLS):
        for name, get in ways[n % len(ways):] + ways[:n % len(ways)]:
            sent = time.perf_counter()
            body = get(url)
            done = time.perf_counter()
            print(f"{url} via {name}: answered in {(done - sent) * 1000:.1f} ms, "
                  f"{(done - committed) * 1000:.1f} ms after the commit")
            assert text in body, f"{url} via {name}: the request after the commit showed the old state"


def test_the_request_after_an_update_commits_shows_it_in_every_process(worker_busy, page, api):
    assert settings.PUBLIC_VERSION_CHECK_S == 0  # the version is checked on every request: no TTL
    incident = api.post("/api/v1/incidents/", {"name": "Login fails", "status": "investigating",
                                               "components": {"reserve-data": "partial_outage"}},
                        format="json").json()
    render_all()
    with web_process() as other:
        for _, get in doors(other):  # both processes have served this version: it is in their memory
            for url in URLS:
                assert "Login fails" in get(url) and "A bad deploy" not in get(url), url

        # No render yet (the worker is busy): the first request of each URL renders it.
        post_update(api, incident, status="identified", body="A bad deploy of the profile service.")
        first_requests_after(time.perf_counter(), doors(other), "A bad deploy")

        # The worker rendered it: the front door answers without Django in both processes.
        post_update(api, incident, status="monitoring", body="A fix is deployed.")
        committed = time.perf_counter()
        print(f"the worker's render: {render_all().seconds * 1000:.0f} ms")
        first_requests_after(committed, doors(other, front=_front_door_alone()), "A fix is deployed.")


def _front_door_alone():
    from statuspage.public.door import serve_snapshots

    return serve_snapshots(django_must_not_run)
