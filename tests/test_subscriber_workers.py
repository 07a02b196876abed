"""A worker SIGKILLed mid-fan-out loses no delivery: the outbox is swept by the next one."""

import signal
import time

import pytest

from statuspage.models import Delivery, OutboxEvent, WebhookSubscriber
from statuspage.services.incidents import do_open_incident
from tests.loopback import Loopback, Reply, Request
from tests.processes import brokers, celery_process, sender, stop, wait_for, worker_args

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SUBSCRIBERS = 30


def slowly(request: Request) -> Reply:
    """Answers 200 after a pause: a fan-out is still under way when its worker is killed."""
    time.sleep(0.3)
    return Reply(200)


@pytest.mark.parametrize("broker", brokers())
def test_a_worker_killed_mid_fan_out_loses_no_delivery(page, broker, tmp_path):
    receiver = Loopback(slowly).start()
    for n in range(SUBSCRIBERS):
        WebhookSubscriber.objects.create(url=f"{receiver.base}/hook/{n}")
    do_open_incident(name="False deferral shown")
    event = OutboxEvent.objects.get(type="incident.created")
    app = sender(broker, tmp_path)
    env = {"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8", "WEBHOOK_LEASE_S": "2", "WEBHOOK_CONCURRENCY": "2",
           "WEBHOOK_BATCH": "10"}

    with celery_process("worker", broker, tmp_path, *worker_args("celery", "webhooks", name="first"), log_name="first",
                        **env) as first:
        app.send_task("statuspage.delivery_tasks.fan_out_event", args=[event.pk], queue="celery")
        wait_for(lambda: len(receiver.requests) >= 3, what="the fan-out to start")
        stop(first, signal.SIGKILL)
    delivered_before_kill = len({r.path for r in receiver.requests})
    assert delivered_before_kill < SUBSCRIBERS

    with celery_process("worker", broker, tmp_path, *worker_args("celery", "webhooks", name="second"),
                        log_name="second", **env):
        def all_delivered():
            app.send_task("statuspage.delivery_tasks.sweep_outbox", queue="celery")
            time.sleep(1)
            return not Delivery.objects.filter(event=event).exclude(status="delivered").exists()

        wait_for(all_delivered, timeout=90, interval=1, what="every delivery after the kill")

    receiver.close()
    seen = [(r.path, r.headers["webhook-id"]) for r in receiver.requests]
    paths = {path for path, _ in seen}
    assert paths == {f"/hook/{n}" for n in range(SUBSCRIBERS)}
    assert {webhook_id for _, webhook_id in seen} == {event.pk}
    print(f"\n{delivered_before_kill} of {SUBSCRIBERS} delivered before SIGKILL; all {SUBSCRIBERS} after; "
          f"{len(seen)} requests in all (at-least-once)")
