"""Subscriptions never confirmed are forgotten after a week: anyone may post any email
address, and what its owner never agreed to is not kept (nor counted as a subscriber).
Idempotency keys of the management API are forgotten after 24 hours."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from statuspage.models import AuditLog, EmailSubscriber, IdempotencyKey, WebhookSubscriber
from statuspage.models.idempotency import IDEMPOTENCY_KEPT

UNCONFIRMED_KEPT = timedelta(days=7)  # as long as the confirmation link is valid


def purge_unconfirmed(now=None) -> int:
    """Delete unconfirmed email and webhook subscriptions asked for over 7 days ago,
    each with an audit row; how many were deleted."""
    cutoff = (now or timezone.now()) - UNCONFIRMED_KEPT
    stale = [*EmailSubscriber.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff),
             *WebhookSubscriber.objects.filter(confirmed=False, created_at__lt=cutoff)]
    for subscriber in stale:
        with transaction.atomic():
            AuditLog.record(via="system", action="purge_unconfirmed", obj=subscriber,
                            summary=f"never confirmed, asked for on {subscriber.created_at:%Y-%m-%d}")
            subscriber.delete()
    return len(stale)


def purge_idempotency_keys(now=None) -> int:
    """Forget idempotency keys over 24 hours old (their answers hold no more than the
    objects they created); how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEPT
    return IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]
