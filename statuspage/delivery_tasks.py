"""Celery tasks that deliver what the outbox holds: subscriber webhooks and emails, on-call alerts.

Below statuspage.services, which enqueues them after a change commits; every task is safe
to run twice (at-least-once). statuspage.celery discovers this module by name.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from statuspage.notify.oncall_alerts import queue_oncall_alert, send_queued_alert
from statuspage.webhooks.dispatch import deliver, fan_out, sweep

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def fan_out_event(event_id: str) -> int:
    """Create an event's deliveries and send them in parallel batches."""
    ids = fan_out(event_id)
    size = settings.WEBHOOK_BATCH
    for i in range(0, len(ids), size):
        deliver_batch.delay(ids[i:i + size])
    return len(ids)


@shared_task(acks_late=True)
def deliver_batch(ids: list[int]) -> int:
    return deliver(ids)


@shared_task
def sweep_outbox() -> int:
    """The safety net: whatever a lost task or a killed worker left is sent from here."""
    return sweep()


# A refused or unreachable on-call channel raises, so Celery retries with backoff (5 s to
# ~80 s, jittered); the outbox row remembers who was told, and the sweep takes over after.
_ALERT_RETRY = {"autoretry_for": (Exception,), "retry_backoff": 5, "retry_backoff_max": 300, "retry_jitter": True,
                "max_retries": 5}


@shared_task(**_ALERT_RETRY)
def send_oncall_alert(event_id: str) -> int:
    """Send an on-call alert queued in the outbox (alert_when_committed)."""
    return send_queued_alert(event_id)


def alert_when_committed(incident_id: str, probe_key: str, **alert) -> str:
    """Queue an on-call alert in the caller's transaction, and its task once that commits.

    A broker that is down only delays it: the outbox sweep sends what no task did.
    """
    event_id = queue_oncall_alert(incident_id, probe_key, **alert)
    transaction.on_commit(lambda: _enqueue_alert(event_id))
    return event_id


def _enqueue_alert(event_id: str) -> None:
    try:
        send_oncall_alert.delay(event_id)
    except Exception:  # the broker is down: the sweep sends it
        log.warning("could not queue on-call alert %s; the sweep will send it", event_id, exc_info=True)

