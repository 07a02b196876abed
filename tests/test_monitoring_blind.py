"""Monitoring that knows when it is blind (issue 12): freshness, /healthz, the watchdog's
alerts and what the public page and v2 say. (Real processes: tests/reliability/test_blind_faults.py.)"""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from probes import heartbeats
from probes.models import RegionState
from probes.watchdog import watch_once
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import OutboxEvent

pytestmark = pytest.mark.django_db
INTERVAL_S = 10


@pytest.fixture
def probed(page_config, settings):
    settings.PUBLIC_SNAPSHOTS = False
    config, errors = validate({**page_config, "probes": [{
        "key": "reserve-health", "component": "reserve-data", "interval": f"{INTERVAL_S}s", "timeout": "2s",
        "steps": [{"name": "health", "request": {"method": "GET", "url": "http://127.0.0.1:9/health"},
                   "expect": {"status": 200}}]}]})
    assert errors == []
    apply_config(config)
    all_alive()


def all_alive():
    heartbeats._written.clear()
    for name in ("beat", "dispatcher"):
        heartbeats.beat(name)
    RegionState.objects.update(last_run_at=timezone.now())


def last_run(seconds_ago: float):
    RegionState.objects.update(last_run_at=timezone.now() - timedelta(seconds=seconds_ago))


@pytest.fixture
def alice(oncall_user):
    oncall_user.email = "alice@example.org"
    oncall_user.save()
    return oncall_user


def test_healthz_is_ok_while_beat_the_dispatcher_and_every_probe_are_on_time(probed):
    last_run(INTERVAL_S)
    response = Client().get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})


def test_a_probe_two_intervals_late_makes_healthz_answer_503_naming_its_queue(probed):
    last_run(2.6 * INTERVAL_S)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "blind"
    assert response.json()["stale"] == ["queue probes.default"]


def test_a_silent_beat_is_named_stale(probed, settings):
    settings.HEARTBEAT_STALE_S = 0.05
    import time

    time.sleep(0.1)
    heartbeats._written.clear()
    heartbeats.beat("dispatcher")
    assert Client().get("/healthz").json()["stale"] == ["beat"]


def test_the_watchdog_alerts_on_call_once_when_blind_and_once_on_recovery(probed, alice):
    assert not watch_once()
    last_run(3 * INTERVAL_S)
    assert watch_once() and watch_once()  # still blind: no second alert
    all_alive()
    assert not watch_once() and not watch_once()

    alerts = list(OutboxEvent.objects.filter(type="oncall.alert").order_by("created_at"))
    assert [e.data["monitoring"] for e in alerts] == ["blind", "recovered"]
    assert all(e.fanned_out_at for e in alerts)  # delivered
    subjects = [m.subject for m in mail.outbox]
    assert len(subjects) == 2
    assert subjects[0].startswith("[on-call] Monitoring is blind since ")
    assert "queue probes.default stale" in subjects[0]
    assert subjects[1].startswith("[on-call] Monitoring works again")


@pytest.mark.parametrize("lang, words", [
    ("en", "Automatic checks have been delayed since"),
    ("uk", "Автоматичні перевірки затримуються з"),
])
def test_the_public_page_says_plainly_that_checks_are_delayed(probed, lang, words):
    assert words not in Client().get(f"/?lang={lang}", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    last_run(3 * INTERVAL_S)
    assert words in Client().get(f"/?lang={lang}", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_v2_says_when_checks_are_delayed(probed):
    assert Client().get("/api/v2/status.json").json()["monitoring"]["automatic_checks"] == "on_time"
    last_run(3 * INTERVAL_S)
    for path in ("/api/v2/status.json", "/api/v2/summary.json"):
        monitoring = Client().get(path).json()["monitoring"]
        assert monitoring["automatic_checks"] == "delayed"
        assert monitoring["delayed_since"].endswith("Z")


def test_the_watchdog_renders_the_page_again_so_its_rendered_copy_says_so_too(probed, settings):
    from statuspage.public.render import render_all

    settings.PUBLIC_SNAPSHOTS = True
    render_all()
    words = "Automatic checks have been delayed since"
    assert words not in Client().get("/").content.decode()
    last_run(3 * INTERVAL_S)
    assert words not in Client().get("/").content.decode()  # the rendered copy, until the watchdog looks
    watch_once()
    assert words in Client().get("/").content.decode()
    all_alive()
    watch_once()
    assert words not in Client().get("/").content.decode()
