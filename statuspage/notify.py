"""Email to subscribers and alerts to on-call: the human side of the outbox."""

from __future__ import annotations

import logging
import smtplib
import time
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from statuspage.public import v2
from statuspage.i18n import supported
from statuspage.models import Delivery, EmailSubscriber, Incident, OutboxEvent, PageSettings, WebhookSubscriber
from statuspage.webhooks.delivery import Outcome

log = logging.getLogger(__name__)
SALT = "statuspage.subscriptions"


def make_token(action: str, pk, **extra) -> str:
    return signing.dumps({"a": action, "id": str(pk), **extra}, salt=SALT, compress=True)


def read_token_data(token: str, action: str, max_age: int | None = None) -> dict | None:
    """What a signed link carries, or None if it is forged, expired or for another action."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) and data.get("a") == action and data.get("id") else None


def read_token(token: str, action: str, max_age: int | None = None) -> str | None:
    data = read_token_data(token, action, max_age)
    return data["id"] if data else None


def absolute(page: PageSettings, path: str) -> str:
    return f"{v2.base_url(page)}{path}"


def page_language(page: PageSettings) -> str:
    """The page's first language: for people who never chose one."""
    return next(filter(None, map(supported, page.languages or [])), settings.LANGUAGE_CODE)


def _message(to: str, template: str, context: dict, language: str, headers: dict | None = None):
    with translation.override(language):
        # One line: a name with a newline in it must not break the header.
        subject = " ".join(render_to_string(f"email/{template}_subject.txt", context).split())
        text = render_to_string(f"email/{template}.txt", context)
        html = render_to_string(f"email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    return message


def _context(page: PageSettings, **extra) -> dict:
    # page_url: never empty, as in the feeds (the instance's own URL when the config has none).
    return {"page": page, "page_url": absolute(page, "/"), "channels": list(page.channels.all()), **extra}


# --- subscribers' emails ----------------------------------------------------------


def send_event_emails(deliveries: list[Delivery], deadline: float | None = None) -> list[Outcome]:
    """One email per delivery, in the subscriber's language, with one-click unsubscribe."""
    from statuspage.models import IncidentUpdate

    page = PageSettings.load()
    # The models, not the event's JSON: they carry the texts in every language.
    shown = {d.event_id: (d.event.data.get("incident") or d.event.data.get("maintenance") or {}) for d in deliveries}
    incidents = Incident.objects.in_bulk([data.get("id") for data in shown.values()])
    updates = IncidentUpdate.objects.in_bulk(
        [(data.get("incident_updates") or [{}])[0].get("id") for data in shown.values()])
    messages = []
    for d in deliveries:
        data = shown[d.event_id]
        incident = incidents.get(data.get("id"))
        update = updates.get((data.get("incident_updates") or [{}])[0].get("id"))
        if incident is None or update is None:  # deleted since: nothing left to tell
            messages.append(None)
            continue
        unsubscribe = absolute(page, reverse("unsubscribe", args=[make_token("unsubscribe", d.email_id)]))
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        context = _context(page, incident=incident, update=update,
                           link=absolute(page, incident.get_absolute_url()), unsubscribe=unsubscribe)
        messages.append(_message(d.email.email, "event", context, d.email.language, headers))
    return send_batch(messages, deadline)


def _connection_lost(exc: Exception) -> bool:
    # SMTPException is an OSError too, but most of them refuse one message, not the connection.
    return isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException))


def send_batch(messages: list, deadline: float | None = None) -> list[Outcome]:
    """Send every message over one SMTP connection; an Outcome each, in order (None: nothing to send).

    A connection per message costs a handshake each, so a big batch could outlast its lease
    and be sent twice. Once the connection is lost, or past `deadline` (time.monotonic()),
    the rest fail at once and are retried later.
    """
    connection = get_connection()
    broken = None
    try:
        connection.open()
    except Exception as exc:  # SMTP down: retried like a webhook
        broken = f"email: {exc}"
    outcomes = []
    for message in messages:
        if message is None:
            outcomes.append(Outcome(None, 0, None, None, False))
            continue
        if broken is None and deadline is not None and time.monotonic() > deadline:
            broken = "email: not sent, the batch ran out of time"
        if broken:
            outcomes.append(Outcome(None, 0, broken[:300], None, False))
            continue
        start = time.perf_counter()
        try:
            connection.send_messages([message])
            outcomes.append(Outcome(250, _ms(start), None, None, False))
        except Exception as exc:
            outcomes.append(Outcome(None, _ms(start), f"email: {exc}"[:300], None, False))
            if _connection_lost(exc):
                broken = f"email: not sent, the connection to the mail server was lost ({exc})"
    try:
        connection.close()
    except Exception:  # a dead connection cannot even say goodbye
        log.warning("closing the SMTP connection failed", exc_info=True)
    return outcomes


def _ms(start: float) -> int:
    return int((time.perf_counter() - start) * 1000)


def send_confirmation(subscriber: EmailSubscriber, component_keys: list[str], language: str) -> None:
    """The double opt-in link; the choices ride in it, so only the address's owner applies them."""
    from statuspage.models import Component

    page = PageSettings.load()
    token = make_token("confirm", subscriber.pk, c=sorted(component_keys), l=language)
    link = absolute(page, reverse("subscribe-confirm", args=[token]))
    context = _context(page, link=link, components=list(Component.objects.filter(key__in=component_keys)),
                       change=subscriber.confirmed_at is not None)
    _message(subscriber.email, "confirm", context, language).send()


def send_webhook_confirmation(webhook: WebhookSubscriber) -> None:
    page = PageSettings.load()
    link = absolute(page, reverse("webhook-confirm", args=[make_token("webhook", webhook.pk)]))
    language = webhook.language or page_language(page)
    _message(webhook.owner_email, "webhook_confirm", _context(page, link=link, webhook=webhook), language).send()


def tell_webhook_owner(webhook: WebhookSubscriber, reason: str) -> None:
    to = webhook.owner_email or (webhook.created_by.email if webhook.created_by else "")
    if not to:
        return
    page = PageSettings.load()
    language = webhook.language or page_language(page)
    try:
        _message(to, "webhook_disabled", _context(page, webhook=webhook, reason=reason), language).send()
    except Exception:
        log.exception("could not tell %s that webhook %s was disabled", to, webhook.pk)


# --- on-call alerts -----------------------------------------------------------------
#
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
        channels.append((f"email:{user.pk}", _message(user.email, "oncall_alert", context, "en").send))
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
    return _tell_oncall(payload, _context(page, text=text, incident=incident, admin_url=admin_url), told)


def alert_monitoring(kind: str, text: str, told: set[str] | None = None) -> int:
    """Monitoring itself (probes.watchdog): `blind` or `recovered`, with no incident behind it."""
    page = PageSettings.load()
    admin_url = absolute(page, reverse("admin:index"))
    payload = {"text": text, "monitoring": kind, "admin_url": admin_url}
    return _tell_oncall(payload, _context(page, text=text, incident={"name": text}, admin_url=admin_url), told)


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
