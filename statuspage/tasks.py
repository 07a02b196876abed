"""Celery tasks of the status domain. Every task is safe to run twice (at-least-once)."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from statuspage.models import Incident
from statuspage.purge import purge_unconfirmed
from statuspage.statuses import ComponentStatus, MaintenanceStatus


@shared_task
def advance_maintenances() -> int:
    """Start maintenances whose time has come and complete those that are over."""
    now = timezone.now()
    moved = 0
    due_start = Incident.objects.filter(kind=Incident.Kind.MAINTENANCE, auto_transition=True,
                                        status=MaintenanceStatus.SCHEDULED, scheduled_for__lte=now)
    for pk in due_start.values_list("pk", flat=True):
        moved += _move(pk, MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS,
                       "Scheduled maintenance is now in progress.", ComponentStatus.UNDER_MAINTENANCE)
    due_end = Incident.objects.filter(kind=Incident.Kind.MAINTENANCE, auto_transition=True,
                                      status__in=[MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING],
                                      scheduled_until__lte=now)
    for pk in due_end.values_list("pk", flat=True):
        moved += _move(pk, None, MaintenanceStatus.COMPLETED,
                       "Scheduled maintenance has been completed.", None)
    return moved


def _move(pk: str, expected: str | None, new_status: str, body: str, component_status: str | None) -> int:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=pk)
        # Compare-and-set: a second beat, a retry or a human may have moved it already.
        if (expected and incident.status != expected) or not incident.is_open or incident.status == new_status:
            return 0
        components = {c: component_status for c in incident.components.all()} if component_status else {}
        incident.post_update(status=new_status, body=body, components=components, via="system")
    return 1


@shared_task(acks_late=True)
def fan_out_event(event_id: str) -> int:
    """Create an event's deliveries and send them in parallel batches."""
    from django.conf import settings

    from statuspage.webhooks.dispatch import fan_out

    ids = fan_out(event_id)
    size = settings.WEBHOOK_BATCH
    for i in range(0, len(ids), size):
        deliver_batch.delay(ids[i:i + size])
    return len(ids)


@shared_task(acks_late=True)
def deliver_batch(ids: list[int]) -> int:
    from statuspage.webhooks.dispatch import deliver

    return deliver(ids)


@shared_task
def purge_unconfirmed_subscriptions() -> int:
    return purge_unconfirmed()


@shared_task
def sweep_outbox() -> int:
    """The safety net: whatever a lost task or a killed worker left is sent from here."""
    from statuspage.webhooks.dispatch import sweep

    return sweep()


# A refused or unreachable on-call channel raises, so Celery retries with backoff (5 s to
# ~80 s, jittered); the outbox row remembers who was told, and the sweep takes over after.
_ALERT_RETRY = {"autoretry_for": (Exception,), "retry_backoff": 5, "retry_backoff_max": 300, "retry_jitter": True,
                "max_retries": 5}


@shared_task(**_ALERT_RETRY)
def send_oncall_alert(event_id: str) -> int:
    """Send an on-call alert queued in the outbox (statuspage.notify.queue_oncall_alert)."""
    from statuspage.notify import send_queued_alert

    return send_queued_alert(event_id)


@shared_task(bind=True, **_ALERT_RETRY)
def alert_oncall(self, incident_id: str, probe_key: str) -> int:
    """For callers that queue the alert themselves (lost if the broker is down: prefer
    queue_oncall_alert). Its retries share one outbox row: the task id names it."""
    from statuspage.notify import queue_oncall_alert, send_queued_alert

    event_id = f"oncall_{self.request.id.replace('-', '')}"[:40] if self.request.id else None
    return send_queued_alert(queue_oncall_alert(incident_id, probe_key, event_id, enqueue=False))
