from django.db import models

# The key of an event's data that only `statuspage`-format bodies use (webhooks/bodies.py).
STATUSPAGE_ONLY = "statuspage_only"

# On-call alerts ride the outbox too (statuspage.notify.oncall_alerts), never to subscribers.
INTERNAL_PREFIX = "oncall."


class OutboxQuerySet(models.QuerySet):
    def for_subscribers(self):
        """The events subscribers get: public changes and test events, not on-call alerts."""
        return self.exclude(type__startswith=INTERNAL_PREFIX)


class OutboxEvent(models.Model):
    """A public event (docs/subscribers.md), written in the same transaction as the change.

    The outbox is the truth: fan-out to subscribers reads it and is swept, so a killed
    worker or a restarted broker loses nothing.
    """

    id = models.CharField(primary_key=True, max_length=40)  # the webhook-id, stable across retries
    type = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    component_keys = models.JSONField(default=list)
    data = models.JSONField()
    fanned_out_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    @property
    def is_internal(self) -> bool:
        return self.type.startswith(INTERNAL_PREFIX)
