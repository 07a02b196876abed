"""Fan-out of outbox events and at-least-once delivery with retries.

The outbox is the truth: fan_out() writes a Delivery row per matching subscriber (unique
per event and subscriber, so fanning out twice is harmless); deliver() claims due rows
with a lease, sends them, and records every attempt. The sweep (beat) re-runs both, so
a worker killed mid-send or a broker restart only delays a delivery. A webhook disabled
(or not confirmed) gets nothing more: its pending deliveries are marked cancelled, with why.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from statuspage.models import Delivery, DeliveryAttempt, EmailSubscriber, OutboxEvent, WebhookSubscriber
from statuspage.notify.emails import send_event_emails, tell_webhook_owner
from statuspage.notify.oncall_alerts import sweep_oncall_alerts
from statuspage.public.v2 import page_with_status
from statuspage.webhooks import bodies
from statuspage.webhooks.delivery import Attempt, deliver_all, next_retry_delay, should_give_up
from statuspage.webhooks.signing import new_message_id, sign

log = logging.getLogger(__name__)
EMAIL_EVENTS = ("incident.", "maintenance.")


def fan_out(event_id: str) -> list[int]:
    """Create the deliveries of an event; returns the ids of its pending deliveries."""
    with transaction.atomic():
        event = OutboxEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.is_internal:
            return []
        if event.fanned_out_at is None:
            now = timezone.now()
            webhooks = WebhookSubscriber.objects.filter(active=True, confirmed=True).prefetch_related("components")
            rows = [Delivery(event=event, webhook=w, next_attempt_at=now)
                    for w in webhooks if w.wants(event.component_keys)]
            if event.type.startswith(EMAIL_EVENTS):
                emails = EmailSubscriber.objects.filter(confirmed_at__isnull=False).prefetch_related("components")
                rows += [Delivery(event=event, email=e, next_attempt_at=now)
                         for e in emails if e.wants(event.component_keys)]
            Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
            event.fanned_out_at = now
            event.save(update_fields=["fanned_out_at"])
    return list(Delivery.objects.filter(event_id=event_id, status=Delivery.Status.PENDING)
                .values_list("pk", flat=True))


def claim(ids: list[int] | None = None, limit: int | None = None) -> tuple[str, list[Delivery]]:
    """Lease due pending deliveries to this worker (a compare-and-set on the claim)."""
    _cancel_for_stopped_webhooks()
    now = timezone.now()
    token = uuid.uuid4().hex
    due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).filter(_SENDABLE)
    if ids is not None:
        due = due.filter(pk__in=ids)
    pks = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[: limit or settings.WEBHOOK_BATCH])
    if not pks:
        return token, []
    # Re-check the lease in the UPDATE itself: a concurrent claimer takes none of these twice.
    Delivery.objects.filter(pk__in=pks).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).update(
        claim=token, claimed_until=now + timedelta(seconds=settings.WEBHOOK_LEASE_S))
    claimed = list(Delivery.objects.filter(claim=token).select_related("event", "webhook", "email"))
    return token, claimed


# A delivery is sent only while its webhook is active and confirmed: disabling one in the
# admin (or its 410) stops the retries it had queued, not just its future events.
_SENDABLE = Q(webhook__isnull=True) | Q(webhook__active=True, webhook__confirmed=True)


def _cancel_for_stopped_webhooks(webhook_ids=None) -> int:
    """Mark the pending deliveries of disabled or unconfirmed webhooks cancelled, saying why."""
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING, webhook__isnull=False)
    if webhook_ids is not None:
        pending = pending.filter(webhook_id__in=webhook_ids)
    disabled = pending.filter(webhook__active=False).update(
        status=Delivery.Status.CANCELLED, claim="", claimed_until=None,
        last_error="cancelled: the webhook was disabled before this was sent")
    unconfirmed = pending.filter(webhook__confirmed=False).update(
        status=Delivery.Status.CANCELLED, claim="", claimed_until=None,
        last_error="cancelled: the webhook is not confirmed")
    return disabled + unconfirmed


def deliver(ids: list[int] | None = None, limit: int | None = None) -> int:
    """Send due deliveries (webhooks and emails); returns how many were attempted."""
    _, claimed = claim(ids, limit)
    if not claimed:
        return 0
    # The emails go after the webhooks; they stop before the lease ends, or they would be sent twice.
    deadline = time.monotonic() + 0.8 * settings.WEBHOOK_LEASE_S
    webhooks = _still_sendable([d for d in claimed if d.webhook_id])
    emails = [d for d in claimed if d.email_id]
    if webhooks:
        _send_webhooks(webhooks)
    if emails:
        _record(emails, send_event_emails(emails, deadline))
    return len(claimed)


def _still_sendable(deliveries: list[Delivery]) -> list[Delivery]:
    """Drop (and cancel) the deliveries whose webhook was disabled since they were claimed."""
    live = set(WebhookSubscriber.objects.filter(pk__in={d.webhook_id for d in deliveries}, active=True,
                                                confirmed=True).values_list("pk", flat=True))
    stopped = {d.webhook_id for d in deliveries} - live
    if stopped:
        _cancel_for_stopped_webhooks(stopped)
    return [d for d in deliveries if d.webhook_id in live]


def _send_webhooks(deliveries: list[Delivery]) -> None:
    now = timezone.now()
    rendered: dict[tuple[str, str], bytes] = {}
    attempts = []
    for d in deliveries:
        key = (d.event_id, d.webhook.format)
        if key not in rendered:
            rendered[key] = bodies.RENDER[d.webhook.format](d.event)
        body = rendered[key]
        headers = {"content-type": "application/json", **sign(d.webhook.secret, d.event_id, now, body)}
        attempts.append(Attempt(url=d.webhook.url, headers=headers, body=body))
    outcomes = deliver_all(attempts, settings.WEBHOOK_ALLOWED_NETWORKS, concurrency=settings.WEBHOOK_CONCURRENCY)
    _record(deliveries, outcomes)


def _record(deliveries: list[Delivery], outcomes) -> None:
    """Store the outcome of each attempt, schedule retries, disable dead endpoints."""
    now = timezone.now()
    log_rows = []
    done, failed_webhooks, ok_webhooks = [], set(), set()
    for d, outcome in zip(deliveries, outcomes, strict=True):
        d.attempts += 1
        d.last_status_code, d.last_error = outcome.status_code, outcome.error or ""
        d.last_latency_ms = outcome.latency_ms
        d.claim, d.claimed_until = "", None
        if outcome.ok:
            d.status, d.delivered_at = Delivery.Status.DELIVERED, now
            if d.webhook_id:
                ok_webhooks.add(d.webhook_id)
        elif outcome.permanent:
            d.status = Delivery.Status.FAILED
            if d.webhook_id:
                _disable(d.webhook, outcome.error or f"answered {outcome.status_code}")
        elif should_give_up(d.attempts):
            d.status = Delivery.Status.FAILED
        else:
            d.next_attempt_at = now + timedelta(seconds=next_retry_delay(d.attempts, outcome.retry_after_s))
            if d.webhook_id:
                failed_webhooks.add(d.webhook_id)
        log_rows.append(DeliveryAttempt(delivery=d, status_code=outcome.status_code, latency_ms=outcome.latency_ms,
                                        error=outcome.error or ""))
        done.append(d)
    with transaction.atomic():
        Delivery.objects.bulk_update(done, ["attempts", "last_status_code", "last_error", "last_latency_ms", "claim",
                                            "claimed_until", "status", "delivered_at", "next_attempt_at"],
                                     batch_size=1000)
        DeliveryAttempt.objects.bulk_create(log_rows, batch_size=1000)
        WebhookSubscriber.objects.filter(pk__in=ok_webhooks).update(failing_since=None)
        WebhookSubscriber.objects.filter(pk__in=failed_webhooks - ok_webhooks, failing_since__isnull=True).update(
            failing_since=now)
    _disable_long_failing()


def _disable(webhook: WebhookSubscriber, reason: str) -> None:
    if WebhookSubscriber.objects.filter(pk=webhook.pk, active=True).update(active=False, disabled_reason=reason[:300]):
        _cancel_for_stopped_webhooks([webhook.pk])
        tell_webhook_owner(webhook, reason)


def _disable_long_failing() -> None:
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    for webhook in WebhookSubscriber.objects.filter(active=True, failing_since__lt=cutoff):
        _disable(webhook, f"failing for more than {settings.WEBHOOK_DISABLE_AFTER_DAYS} days")


def sweep() -> int:
    """Fan out events nobody fanned out (broker lost the task) and send what is due."""
    stale = timezone.now() - timedelta(seconds=10)
    unfanned = OutboxEvent.objects.for_subscribers().filter(fanned_out_at__isnull=True, created_at__lt=stale)
    for event_id in unfanned.values_list("pk", flat=True)[:100]:
        fan_out(event_id)
    sweep_oncall_alerts()
    sent = 0
    while True:
        n = deliver()
        sent += n
        if n < settings.WEBHOOK_BATCH:
            return sent


def send_test_event(webhook: WebhookSubscriber) -> Delivery:
    with transaction.atomic():
        event = OutboxEvent.objects.create(id=new_message_id(), type="webhook.test", component_keys=[],
                                           data=bodies.test_event_data(page_with_status()),
                                           fanned_out_at=timezone.now())
        delivery = Delivery.objects.create(event=event, webhook=webhook, next_attempt_at=timezone.now())
    return delivery
