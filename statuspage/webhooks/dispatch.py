"""Fan-out of outbox events to subscribers."""

from django.utils import timezone

from statuspage.models import OutboxEvent


def fan_out(event_id: str) -> None:
    OutboxEvent.objects.filter(pk=event_id, fanned_out_at__isnull=True).update(fanned_out_at=timezone.now())
