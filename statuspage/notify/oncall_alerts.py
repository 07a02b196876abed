"""On-call alerts: queued in the outbox with the change that caused them, sent to each on-call
user's webhook and email, retried by a task and swept if the task was lost."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from statuspage.models import Incident, OutboxEvent, PageSettings
from statuspage.notify.emails import absolute, email_context, render_message

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


def alert_text(incident: Incident, probe_key: str, admin_url: str, what: str = "tripped", detail: str = "") -> str:
    """`what`: tripped, review (a draft published by itself unless on-call acts first), or
    recovered (an incident a person wrote in: they resolve it). `detail` is the verdict's
    diagnostics, already masked by the runner: on-call only, never public."""
    if what == "recovered":
        return (f"Probe {probe_key} recovered: {incident.name} is shown as monitoring. "
                f"You wrote in it, so resolve it when you are sure: {admin_url}")
    state = "published" if incident.published else "DRAFT — confirm or discard"
    if what == "review":
        state = ("DRAFT — published by itself after publish_after unless you publish or discard it first; "
                 "edit it and your words go out instead")
    text = f"Probe {probe_key} tripped: {incident.name} ({state}). {admin_url}"
    return f"{text}\nSeen: {detail}" if detail else text


def _post_alert(client, url: str, payload: dict) -> None:
    from statuspage.webhooks.ssrf import request_deadline

    # The status is all we need: the body is not read, and a trickling receiver cannot hold the task.
    with request_deadline(20), client.stream("POST", url, json=payload) as response:
        status = response.status_code
    if not 200 <= status < 300:  # 3xx too: redirects are not followed
        raise AlertNotDelivered(f"HTTP {status}")


def _alert_channels(user, client, payload: dict, context: dict) -> list[tuple[str, partial]]:
    """(key, send) for each way this user is alerted: their webhook and/or their email."""
    contact = getattr(user, "oncall_contact", None)
    channels = []
    if contact and contact.alert_webhook_url:
        channels.append((f"webhook:{user.pk}", partial(_post_alert, client, contact.alert_webhook_url, payload)))
    if user.email and (contact is None or contact.alert_by_email):
        channels.append((f"email:{user.pk}", render_message(user.email, "oncall_alert", context, "en").send))
    return channels


def alert_oncall(incident_id: str, probe_key: str, told: set[str] | None = None, what: str = "tripped",
                 detail: str = "") -> int:
    """Tell every on-call user, through their own webhook and/or email. Returns how many now.

    `told` holds the channels that took the alert already (skipped) and gains those that
    take it now. A refused or failed channel raises AlertNotDelivered, after the others.
    """
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return 0
    page = PageSettings.load()
    admin_url = absolute(page, reverse("admin:statuspage_incident_change", args=[incident.pk]))
    text = alert_text(incident, probe_key, admin_url, what, detail)
    payload = {"text": text, "incident_id": incident.pk, "probe": probe_key, "admin_url": admin_url,
               "published": incident.published, "what": what}
    return _tell_oncall(payload, email_context(page, text=text, incident=incident, admin_url=admin_url), told)


def alert_monitoring(kind: str, text: str, told: set[str] | None = None) -> int:
    """Monitoring itself (probes.watchdog): `blind` or `recovered`, with no incident behind it."""
    page = PageSettings.load()
    admin_url = absolute(page, reverse("admin:index"))
    payload = {"text": text, "monitoring": kind, "admin_url": admin_url}
    return _tell_oncall(payload, email_context(page, text=text, incident={"name": text}, admin_url=admin_url), told)


def _tell_oncall(payload: dict, context: dict, told: set[str] | None) -> int:
    from django.contrib.auth import get_user_model

    from statuspage.webhooks.ssrf import make_client

    told = set() if told is None else told
    users = get_user_model().objects.filter(is_active=True, groups__name=settings.ONCALL_GROUP).select_related(
        "oncall_contact")
    sent, failed = 0, []
    with make_client(settings.WEBHOOK_ALLOWED_NETWORKS, timeout=10) as client:
        for user in users:
            for key, send in _alert_channels(user, client, payload, context):
                if key in told:
                    continue
                try:
                    send()
                except Exception as exc:  # refused, unreachable, SMTP down: retried
                    log.warning("on-call alert to %s (%s) failed: %s", user, key, exc)
                    failed.append(f"{key}: {exc}")
                    continue
                told.add(key)
                sent += 1
    if failed:
        raise AlertNotDelivered("; ".join(failed)[:1000])
    return sent


def queue_monitoring_alert(event_id: str, kind: str, text: str) -> bool:
    """Write a monitoring alert to the outbox under a fixed id; False if it was there already."""
    _, created = OutboxEvent.objects.get_or_create(id=event_id, defaults={
        "type": ONCALL_EVENT, "component_keys": [], "data": {"monitoring": kind, "text": text, "told": []}})
    return created


def queue_oncall_alert(incident_id: str, probe_key: str, event_id: str | None = None,
                       enqueue: bool = True, what: str = "tripped", detail: str = "") -> str:
    """Write the alert to the outbox in the caller's transaction; sent once that commits.

    A broker that is down only delays it: the sweep sends what no task did. `event_id`
    makes a retried caller reuse its row.
    """
    from statuspage.webhooks.signing import new_message_id

    event, created = OutboxEvent.objects.get_or_create(id=event_id or new_message_id(), defaults={
        "type": ONCALL_EVENT, "component_keys": [],
        "data": {"incident_id": incident_id, "probe": probe_key, "told": [], "what": what, "detail": detail}})
    if created and enqueue:
        transaction.on_commit(lambda: _enqueue_alert(event.pk))
    return event.pk


def _enqueue_alert(event_id: str) -> None:
    from statuspage.delivery_tasks import send_oncall_alert

    try:
        send_oncall_alert.delay(event_id)
    except Exception:  # the broker is down: the sweep sends it
        log.warning("could not queue on-call alert %s; the sweep will send it", event_id, exc_info=True)


def send_queued_alert(event_id: str) -> int:
    """Send a queued alert to the channels it has not reached; AlertNotDelivered if some failed."""
    event = OutboxEvent.objects.filter(pk=event_id, type=ONCALL_EVENT, fanned_out_at__isnull=True).first()
    if event is None:
        return 0  # sent already (or given up)
    told = set(event.data.get("told", []))
    error = None
    try:
        if "monitoring" in event.data:
            return alert_monitoring(event.data["monitoring"], event.data["text"], told)
        return alert_oncall(event.data["incident_id"], event.data["probe"], told,
                            event.data.get("what", "tripped"), event.data.get("detail", ""))
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
        except Exception as exc:
            log.warning("on-call alert %s still not delivered: %s", event.pk, exc)
    return swept
