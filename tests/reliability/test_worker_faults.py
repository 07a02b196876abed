"""A worker SIGKILLed in the middle of a probe batch.

The target is failing and slow, so a batch is always in flight when the worker dies: the
run it held is lost (filesystem broker: the message left the queue when read) or run again
by the next worker (Redis: redelivered once the visibility timeout passes). Either way no
run is recorded twice, the stored state is what the recorded runs make it, the probe trips
once and opens one incident, recovery resolves it, every webhook is delivered and the
public page shows it. (A worker SIGKILLed mid-fan-out: tests/test_subscriber_workers.py.)
"""

import signal
import time

import pytest
from django.test import Client

from probes.models import Probe, ProbeRun
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import Incident, WebhookSubscriber
from tests.processes import celery_process, stop, wait_for, worker_args
from tests.reliability.faults import Target, check_probe_state, check_webhooks, count, probe_config, stack_broker
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ENV = {"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8", "CELERY_VISIBILITY_TIMEOUT": "4"}


def test_a_worker_killed_mid_probe_batch_records_no_run_twice_and_trips_once(page_config, tmp_path):
    broker = stack_broker()
    target = Target(status=503, delay_s=1.0)
    config, errors = validate(probe_config(page_config, target, trip_after=3))
    assert errors == []
    apply_config(config)
    with Receiver() as receiver:
        WebhookSubscriber.objects.create(url=receiver.url)
        with celery_process("beat", broker, tmp_path, "--schedule", str(tmp_path / "beat-schedule"), **ENV):
            with celery_process("worker", broker, tmp_path,
                                *worker_args("celery", "probes.default", "render", "webhooks", name="first"),
                                log_name="first", **ENV) as first:
                wait_for(lambda: ProbeRun.objects.exists() and target.in_flight > 0, timeout=60, interval=0.05,
                         what="a recorded run, and the next one in flight")
                recorded_before_kill = ProbeRun.objects.count()
                stop(first, signal.SIGKILL)
            killed_hits = len(target.requests)
            with celery_process("worker", broker, tmp_path,
                                *worker_args("celery", "probes.default", "render", "webhooks", name="second"),
                                log_name="second", **ENV) as second:
                wait_for(lambda: Incident.objects.filter(probe_key="reserve-health").exists(), timeout=60,
                         what="the trip")
                target.set(status=200, delay_s=0)
                wait_for(lambda: Incident.objects.get(probe_key="reserve-health").status == "resolved", timeout=60,
                         what="the recovery")
                wait_for(lambda: len({r.headers["webhook-id"] for r in receiver.requests}) >= 4, timeout=60,
                         what="the webhooks of the trip and the recovery")
                time.sleep(2)
                stop(second, signal.SIGQUIT)
        ledger = count(target=target)
        print(f"\nSIGKILL with {recorded_before_kill} run(s) recorded and 1 in flight ({killed_hits} target hits "
              f"then); {ledger}")

        assert ledger.duplicates == 0
        assert ledger.lost_runs == 1  # the killed attempt: lost, or redelivered and recorded once
        replayed = check_probe_state()
        assert (replayed.trips, replayed.recoveries, ledger.incidents) == (1, 1, 1)
        incident = Incident.objects.get(probe_key="reserve-health")
        assert list(incident.updates.order_by("display_at").values_list("status", flat=True)) == [
            "investigating", "monitoring", "resolved"]
        assert Probe.objects.get().state == "up"
        events = check_webhooks(receiver, min_events=4)
        assert len(events) == ledger.events
    page = Client().get("/")
    assert page.status_code == 200 and incident.name in page.content.decode()
    assert Client().get("/api/v2/summary.json").json()["status"]["indicator"] == "none"
