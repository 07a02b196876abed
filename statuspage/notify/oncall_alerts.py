"""On-call alerts: queued in the outbox with the change that caused them, sent to each on-call
user's webhook and email, retried by a task and swept if the task was lost."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.utils import timezone

from statuspage.models import OutboxEvent, PageSettings
from statuspage.notify.alert_texts import Alert, render
from statuspage.notify.emails import render_message
from statuspage.oncall import oncall_users
from statuspage.webhooks.signing import new_message_id, sign
from statuspage.webhooks.ssrf import make_client, request_deadline

log = logging.getLogger(__name__)

# An alert rides the outbox like a public event (type ONCALL_EVENT, never fanned out to
# subscribers): queued in the transaction that opened the incident, sent by a task that
# retries with backoff, and swept if the broker lost the task. Its row remembers which
# channels took it, so a retry does not page the others again.

ONCALL_EVENT = "oncall.alert"
ONCALL_SWEEP_AFTER_S = 300  # quiet this long (lost task, or its retries spent): the sweep tries
ONCALL_GIVE_UP_S = 6 * 3600  # an alert this late is noise; the incident is in the admin


class AlertNotDelivered(Exception):
    """A channel did not take the alert (raised once every channel was tried)."""


def _post_alert(client, url: str, body: bytes, headers: dict) -> None:
    # The status is all we need: the body is not read, and a trickling receiver cannot hold the task.
    with request_deadline(20), client.stream("POST", url, content=body, headers=headers) as response:
        status = response.status_code
    if not 200 <= status < 300:  # 3xx too: redirects are not followed
        raise AlertNotDelivered(f"HTTP {status}")


def _webhook(client, contact, alert: Alert, msg_id: str) -> partial:
    """A chat webhook gets {"text": …} (plus fields chat tools ignore); a signed one the same
    JSON with Standard Webhooks headers, verifiable with the contact's secret."""
    body = json.dumps({"type": ONCALL_EVENT, **alert.payload()}, ensure_ascii=False).encode()
    headers = {"content-type": "application/json"}
    if contact.webhook_format == contact.WebhookFormat.SIGNED:
        headers |= sign(contact.webhook_secret, msg_id, timezone.now(), body)
    return partial(_post_alert, client, contact.alert_webhook_url, body, headers)


def _alert_channels(user, client, alert: Alert, language: str, msg_id: str) -> list[tuple[str, partial]]:
    """(key, send) for each way this user is alerted: their webhook and/or their email."""
    contact = getattr(user, "oncall_contact", None)
    channels = []
    if contact and contact.alert_webhook_url:
        channels.append((f"webhook:{user.pk}", _webhook(client, contact, alert, f"{msg_id}_{user.pk}")))
    if user.email and (contact is None or contact.alert_by_email):
        context = {"alert": alert, "subject": alert.subject, "text": alert.text}
        channels.append((f"email:{user.pk}", render_message(user.email, "oncall_alert", context, language).send))
    return channels


def _language(user) -> str:
    # Unchosen: the console's own language (settings.LANGUAGE_CODE), which the user reads already.
    contact = getattr(user, "oncall_contact", None)
    return (contact.language if contact else "") or settings.LANGUAGE_CODE


def _tell(users, data: dict, msg_id: str, told: set[str]) -> tuple[list[str], list[str]]:
    """Send the alert `data` describes to each user, in their language; (reached, failed) channel keys."""
    page = PageSettings.load()
    alerts: dict[str, Alert] = {}  # one rendering per language
    reached, failed = [], []
    with make_client(settings.WEBHOOK_ALLOWED_NETWORKS, timeout=10) as client:
        for user in users:
            language = _language(user)
            alert = alerts.setdefault(language, render(data, language, page))
            for key, send in _alert_channels(user, client, alert, language, msg_id):
                if key in told:
                    continue
                try:
                    send()
                except Exception as exc:  # noqa: BLE001 - refused, unreachable, SMTP down: retried
                    log.warning("on-call alert to %s (%s) failed: %s", user, key, exc)
                    failed.append(f"{key}: {exc}")
                    continue
                told.add(key)
                reached.append(key)
    return reached, failed


def send_test_alert(user) -> tuple[list[str], list[str]]:
    """A test alert to one user, now, through each of their channels: (reached, failed) as
    "email:…"/"webhook:…" with the address and, for a failure, why."""
    user = type(user).objects.select_related("oncall_contact").get(pk=user.pk)
    reached, failed = _tell([user], {"what": "test", "user": user.get_username()}, new_message_id(), set())
    contact = getattr(user, "oncall_contact", None)
    where = {f"email:{user.pk}": f"email {user.email}",
             f"webhook:{user.pk}": f"webhook {contact.alert_webhook_url if contact else ''}"}
    return [where[key] for key in reached], [where[f.split(": ", 1)[0]] + ": " + f.split(": ", 1)[1] for f in failed]


def queue_monitoring_alert(event_id: str, kind: str, since: datetime, stale: list[str] | None = None) -> bool:
    """Write a monitoring alert (`blind` or `recovered`) to the outbox under a fixed id; False
    if it was there already."""
    data = {"monitoring": kind, "since": since.isoformat(), "stale": stale or [], "told": []}
    _, created = OutboxEvent.objects.get_or_create(id=event_id, defaults={
        "type": ONCALL_EVENT, "component_keys": [], "data": data})
    return created


def queue_oncall_alert(incident_id: str, probe_key: str, event_id: str | None = None, what: str = "tripped",
                       failure: dict | None = None, component: str = "", probe_id: int | None = None,
                       since: datetime | None = None) -> str:
    """Write the alert to the outbox in the caller's transaction; its id.

    statuspage.delivery_tasks.alert_when_committed also queues the task that sends it (this
    module knows no task: delivery_tasks imports it). `what`: a kind of
    statuspage.notify.alert_texts. `failure`: the verdict's step, expectation and seen (masked
    by the runner). `event_id` makes a retried caller reuse its row.
    """
    failure = {k: (failure or {}).get(k) for k in ("step", "expectation", "seen", "message")} if failure else {}
    data = {"incident_id": incident_id, "probe": probe_key, "probe_id": probe_id, "component": component,
            "what": what, "failure": failure, "since": (since or timezone.now()).isoformat(), "told": []}
    event, _ = OutboxEvent.objects.get_or_create(id=event_id or new_message_id(), defaults={
        "type": ONCALL_EVENT, "component_keys": [], "data": data})
    return event.pk


def send_queued_alert(event_id: str) -> int:
    """Send a queued alert to the channels it has not reached; AlertNotDelivered if some failed."""
    event = OutboxEvent.objects.filter(pk=event_id, type=ONCALL_EVENT, fanned_out_at__isnull=True).first()
    if event is None:
        return 0  # sent already (or given up)
    told = set(event.data.get("told", []))
    error = None
    try:
        reached, failed = _tell(oncall_users().select_related("oncall_contact"), event.data, event.pk, told)
        if failed:
            raise AlertNotDelivered("; ".join(failed)[:1000])
        return len(reached)
    except Exception as exc:
        error = str(exc)[:1000]
        raise
    finally:  # the row shows (in the admin's outbox) who was told, how often it was tried, and why it failed
        now = timezone.now()
        data = {**event.data, "told": sorted(told), "tried_at": now.isoformat(),
                "tries": event.data.get("tries", 0) + 1, "error": error}
        OutboxEvent.objects.filter(pk=event.pk).update(data=data, fanned_out_at=None if error else now)


def sweep_oncall_alerts() -> int:
    """Send queued alerts no task is taking care of; give up on those too old to help."""
    now = timezone.now()
    swept = 0
    for event in OutboxEvent.objects.filter(type=ONCALL_EVENT, fanned_out_at__isnull=True,
                                            created_at__lt=now - timedelta(seconds=ONCALL_SWEEP_AFTER_S))[:100]:
        if event.created_at < now - timedelta(seconds=ONCALL_GIVE_UP_S):
            log.error("on-call alert %s gave up after %s tries: %s", event.pk, event.data.get("tries", 0), event.data)
            OutboxEvent.objects.filter(pk=event.pk).update(fanned_out_at=now, data={**event.data, "gave_up": True})
            continue
        tried = event.data.get("tried_at")
        if tried and (now - datetime.fromisoformat(tried)).total_seconds() < ONCALL_SWEEP_AFTER_S:
            continue  # a task is still retrying it
        swept += 1
        try:
            send_queued_alert(event.pk)
        except Exception as exc:  # noqa: BLE001 - the next sweep tries again
            log.warning("on-call alert %s still not delivered: %s", event.pk, exc)
    return swept
