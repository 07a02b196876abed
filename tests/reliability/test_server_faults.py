"""Faults of the servers themselves, in the PostgreSQL/Redis run only (`make test-servers`).

- Redis restarted while tasks are queued: a Redis of the test's own (nothing on disk), used
  as broker and cache by a worker and beat, is SIGKILLed with fan-outs and dispatch ticks
  in its queue and started again empty.
- PostgreSQL unavailable for 30 s: the worker, beat and a gunicorn reach the test database
  through a TCP proxy that the test cuts (live connections dropped, new ones refused) and
  restores. The machine's PostgreSQL itself is never stopped: the suite's own database
  lives there. FAULT_DB_OUTAGE_S shortens the outage when debugging.

After each: no probe run recorded twice, the stored state follows from the recorded runs,
no incident update or state change lost, every webhook delivered at least once, and (for
the outage) the public page and v2 API served from the last render throughout.
"""

import os
import signal
import time
from datetime import UTC

import httpx
import pytest
from celery import Celery
from django.test import Client

from probes.models import ProbeRun
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import Component, Delivery, Incident, IncidentUpdate, OutboxEvent, WebhookSubscriber
from statuspage.public import render_tasks
from statuspage.services import changes as publish
from statuspage.services.incidents import do_open_incident, do_post_update
from tests.conftest import token_for
from tests.processes import celery_process, stop, wait_for, worker_args
from tests.reliability.faults import (
    RedisServer,
    Target,
    TcpProxy,
    check_probe_state,
    check_webhooks,
    count,
    database_url_via,
    free_port,
    on_servers,
    postgres_address,
    probe_config,
    spacing_ok,
    wait_runs,
    web_process,
)
from tests.webhooks.receiver import Receiver

pytestmark = [
    pytest.mark.worker, pytest.mark.servers, pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not on_servers(), reason="needs the PostgreSQL/Redis run (TEST_DATABASE_URL, TEST_REDIS_URL)"),
]
OUTAGE_S = float(os.environ.get("FAULT_DB_OUTAGE_S", "30"))
WORKERS = ("celery", "probes.default", "render", "webhooks")  # the probe and render workers of `make run`


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def target(page_config):
    target = Target()
    config, errors = validate(probe_config(page_config, target))
    assert errors == []
    apply_config(config)
    yield target
    target.stop()


@pytest.fixture
def receiver(page):
    with Receiver() as receiver:
        WebhookSubscriber.objects.create(url=receiver.url)
        yield receiver


def stack_env(redis_server, **extra):
    # A delivery whose outcome could not be stored (sent, then the database went away) is
    # sent again when its lease ends: 5 s here, not 5 minutes, so the test sees it.
    return {"CELERY_BROKER_URL": redis_server.url, "REDIS_URL": redis_server.url,
            "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8", "WEBHOOK_LEASE_S": "5", **extra}


def all_delivered(receiver) -> bool:
    events = set(OutboxEvent.objects.for_subscribers().values_list("pk", flat=True))
    return (events <= {r.headers["webhook-id"] for r in receiver.requests}
            and not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists())


def test_redis_restarted_while_tasks_are_queued_loses_no_update_or_webhook(target, receiver, redis_server,
                                                                              tmp_path, monkeypatch):
    env = stack_env(redis_server)
    app = Celery("test-sender", broker=redis_server.url, set_as_current=False)
    # This process's own changes enqueue their fan-outs on the test's Redis too.
    monkeypatch.setattr(publish, "_enqueue_fan_out", lambda event_id: app.send_task(
        "statuspage.delivery_tasks.fan_out_event", args=[event_id], queue="celery"))
    monkeypatch.setattr(render_tasks, "schedule_render", lambda: None)
    with celery_process("beat", "redis", tmp_path, "--schedule", str(tmp_path / "beat-schedule"), **env):
        with celery_process("worker", "redis", tmp_path, *worker_args(*WORKERS, name="first"), log_name="first",
                            **env) as first:
            wait_runs(2)
            stop(first, signal.SIGQUIT)
        incident = do_open_incident(name="Registration data wrong", status="identified", body="A bad deploy.",
                                    components={Component.objects.get(key="reserve-auth"): "major_outage"})
        do_post_update(incident, status="monitoring", body="A fix is out.")
        do_open_incident(name="SMS codes late")
        time.sleep(2)  # beat queues dispatch ticks too
        queued = redis_server.client().llen("celery")
        assert queued >= 3
        redis_server.restart(down_s=2)  # SIGKILL: the queue is gone
        restarted = time.time()
        with celery_process("worker", "redis", tmp_path, *worker_args(*WORKERS, name="second"), log_name="second",
                            **env) as second:
            wait_for(lambda: ProbeRun.objects.filter(started_at__gte=_utc(restarted)).count() >= 2, timeout=60,
                     what="probe runs after the restart")  # beat reconnected by itself
            wait_for(lambda: all_delivered(receiver), timeout=90, interval=1,
                     what="the outbox sweep to deliver what the restart lost")
            stop(second, signal.SIGQUIT)
    ledger = count(target=target)
    ledger.notes.append(f"queued_at_restart={queued}")
    print(f"\nRedis SIGKILLed with {queued} message(s) queued, restarted empty after 2s; {ledger}")

    assert ledger.duplicates == 0 and ledger.target_hits == ledger.runs
    assert spacing_ok(ledger.gaps[1:])
    check_probe_state()
    assert IncidentUpdate.objects.count() == 3  # 2 + 1: none lost
    events = check_webhooks(receiver, min_events=4)
    assert {OutboxEvent.objects.get(pk=e).type for e in events} >= {"incident.created", "incident.updated"}
    assert "Registration data wrong" in Client().get("/").content.decode()


def _utc(ts: float):
    from datetime import datetime

    return datetime.fromtimestamp(ts, UTC)


def test_postgres_unavailable_for_30s_the_page_stays_up_and_nothing_is_lost(target, receiver, oncall_user,
                                                                            redis_server, tmp_path):
    proxy = TcpProxy(postgres_address())
    env = stack_env(redis_server, DATABASE_URL=database_url_via(proxy), DB_CONN_MAX_AGE="60")
    api = httpx.Client(headers={"Authorization": f"Token {token_for(oncall_user)}"}, timeout=10)
    served, refused, health = [], [], set()
    try:
        with celery_process("beat", "redis", tmp_path, "--schedule", str(tmp_path / "beat-schedule"), **env), \
                celery_process("worker", "redis", tmp_path, *worker_args(*WORKERS), **env) as worker, \
                web_process(tmp_path, free_port(), **env) as web:
            wait_runs(2)
            created = api.post(f"{web}/api/v1/incidents/", json={
                "name": "Registration data wrong", "status": "identified", "body": "A bad deploy.",
                "components": {"reserve-auth": "major_outage"}})
            assert created.status_code == 201, created.text
            incident_id = created.json()["id"]
            # Rendered by the worker after the change (render on write), v2 included: the "last
            # rendered state" the outage is served from.
            wait_for(lambda: all("Registration data wrong" in httpx.get(f"{web}{url}").text
                                 for url in ("/", "/api/v2/summary.json")), what="the page and v2 to show it")
            update = api.post(f"{web}/api/v1/incidents/{incident_id}/updates/",
                              json={"status": "monitoring", "body": "A fix is out."})
            assert update.status_code == 201
            proxy.cut()  # as the update's fan-out starts
            cut_at = time.monotonic()
            target.set(status=503)  # the service breaks while the database is away: a state change to come
            while time.monotonic() - cut_at < OUTAGE_S:
                for url in ("/", "/api/v2/summary.json"):
                    response = httpx.get(f"{web}{url}", timeout=5)
                    (served if response.status_code == 200 and "Registration data wrong" in response.text
                     else refused).append((url, response.status_code))
                database = httpx.get(f"{web}/healthz", timeout=5).json()["database"]
                health.add(database)
                if database == "unavailable":  # the cut has reached the web process's connection
                    during = api.post(f"{web}/api/v1/incidents/", json={"name": "x"})
                    assert during.status_code == 503, during.text
                    assert during.json()["detail"].startswith("The database is unavailable")
                time.sleep(1)
            runs_during = ProbeRun.objects.filter(started_at__gte=_utc(time.time() - OUTAGE_S)).count()
            proxy.restore()
            restored = time.time()
            wait_for(lambda: Incident.objects.filter(probe_key="reserve-health").exists(), timeout=90, interval=1,
                     what="the trip the outage hid")
            wait_for(lambda: all_delivered(receiver), timeout=90, interval=1,
                     what="every webhook, the interrupted fan-out included")
            tripped = Incident.objects.get(probe_key="reserve-health")
            after_restore = wait_for(lambda: tripped.pk in httpx.get(f"{web}/api/v2/incidents/unresolved.json").text,
                                     timeout=30, what="the v2 API to show the probe's incident")
            stop(worker, signal.SIGQUIT)
    finally:
        proxy.close()
    ledger = count(target=target)
    ledger.notes.append(f"webhook_requests={len(receiver.requests)}")
    # The first run after the restore is as late as the outage was long (its schedule passed
    # while nothing could be claimed); the scheduler then skips the missed runs.
    first, *late = [(s - sch).total_seconds() for sch, s in ProbeRun.objects.filter(started_at__gte=_utc(restored))
                    .order_by("scheduled_for").values_list("scheduled_for", "started_at")]
    print(f"\nPostgreSQL cut for {OUTAGE_S:.0f}s through the proxy: {len(served)} page/v2 requests served from the "
          f"last render, {len(refused)} not; /healthz said {sorted(health)}; {runs_during} runs recorded during; "
          f"proxy connections {proxy.connections}; after the restore the first run started {first:.1f}s after its "
          f"schedule, the next {len(late)} at most {max(late):.1f}s after; {ledger}")

    assert refused == [] and len(served) >= OUTAGE_S  # the page and v2 stayed up, from the last render
    assert "unavailable" in health  # from the moment the cut reached the web process
    assert runs_during == 0 and ledger.duplicates == 0
    assert 0 <= ledger.lost_runs <= 1  # at most the run in flight when the connection dropped
    assert spacing_ok(ledger.gaps[1:]) and max(late) < 2  # no burst of missed runs after the restore
    replayed = check_probe_state()
    assert replayed.trips == 1 and ledger.incidents == 1
    assert IncidentUpdate.objects.filter(incident_id=incident_id).count() == 2
    assert after_restore
    check_webhooks(receiver, min_events=4)
