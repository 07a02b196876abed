"""Email to subscribers and alerts to on-call: the human side of the outbox."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from statuspage.models import Delivery, EmailSubscriber, Incident, PageSettings, WebhookSubscriber
from statuspage.webhooks.delivery import Outcome

log = logging.getLogger(__name__)
SALT = "statuspage.subscriptions"


def make_token(action: str, pk) -> str:
    return signing.dumps({"a": action, "id": str(pk)}, salt=SALT, compress=True)


def read_token(token: str, action: str, max_age: int | None = None) -> str | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return data.get("id") if data.get("a") == action else None


def absolute(page: PageSettings, path: str) -> str:
    return f"{(page.url or 'http://127.0.0.1:8000').rstrip('/')}{path}"


def _message(to: str, template: str, context: dict, language: str, headers: dict | None = None):
    with translation.override(language):
        subject = render_to_string(f"email/{template}_subject.txt", context).strip()
        text = render_to_string(f"email/{template}.txt", context)
        html = render_to_string(f"email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    return message


def _context(page: PageSettings, **extra) -> dict:
    return {"page": page, "channels": list(page.channels.all()), **extra}


def send_event_emails(deliveries: list[Delivery]) -> list[Outcome]:
    """One email per delivery, in the subscriber's language, with one-click unsubscribe."""
    from statuspage.models import IncidentUpdate

    page = PageSettings.load()
    # The models, not the event's JSON: they carry the texts in every language.
    shown = {d.event_id: (d.event.data.get("incident") or d.event.data.get("maintenance") or {}) for d in deliveries}
    incidents = Incident.objects.in_bulk([data.get("id") for data in shown.values()])
    updates = IncidentUpdate.objects.in_bulk(
        [(data.get("incident_updates") or [{}])[0].get("id") for data in shown.values()])
    outcomes = []
    connection = get_connection()
    for d in deliveries:
        data = shown[d.event_id]
        incident = incidents.get(data.get("id"))
        update = updates.get((data.get("incident_updates") or [{}])[0].get("id"))
        if incident is None or update is None:  # deleted since: nothing left to tell
            outcomes.append(Outcome(None, 0, None, None, False))
            continue
        unsubscribe = absolute(page, reverse("unsubscribe", args=[make_token("unsubscribe", d.email_id)]))
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        context = _context(page, incident=incident, update=update,
                           link=absolute(page, incident.get_absolute_url()), unsubscribe=unsubscribe)
        try:
            _message(d.email.email, "event", context, d.email.language, headers).send(fail_silently=False)
            outcomes.append(Outcome(250, 0, None, None, False))
        except Exception as exc:  # SMTP down: retried like a webhook
            outcomes.append(Outcome(None, 0, f"email: {exc}"[:300], None, False))
    connection.close()
    return outcomes


def send_confirmation(subscriber: EmailSubscriber) -> None:
    page = PageSettings.load()
    link = absolute(page, reverse("subscribe-confirm", args=[make_token("confirm", subscriber.pk)]))
    _message(subscriber.email, "confirm", _context(page, link=link), subscriber.language).send()


def send_webhook_confirmation(webhook: WebhookSubscriber, language: str) -> None:
    page = PageSettings.load()
    link = absolute(page, reverse("webhook-confirm", args=[make_token("webhook", webhook.pk)]))
    _message(webhook.owner_email, "webhook_confirm", _context(page, link=link, webhook=webhook), language).send()


def tell_webhook_owner(webhook: WebhookSubscriber, reason: str) -> None:
    to = webhook.owner_email or (webhook.created_by.email if webhook.created_by else "")
    if not to:
        return
    page = PageSettings.load()
    try:
        _message(to, "webhook_disabled", _context(page, webhook=webhook, reason=reason), "en").send()
    except Exception:
        log.exception("could not tell %s that webhook %s was disabled", to, webhook.pk)


def alert_text(incident: Incident, probe_key: str, admin_url: str) -> str:
    state = "published" if incident.published else "DRAFT — confirm or discard"
    return f"Probe {probe_key} tripped: {incident.name} ({state}). {admin_url}"


def alert_oncall(incident_id: str, probe_key: str) -> int:
    """Tell every on-call user, through their own webhook and/or email. Returns how many."""
    from django.contrib.auth import get_user_model

    from statuspage.webhooks.ssrf import make_client

    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return 0
    page = PageSettings.load()
    admin_url = absolute(page, reverse("admin:statuspage_incident_change", args=[incident.pk]))
    text = alert_text(incident, probe_key, admin_url)
    users = get_user_model().objects.filter(is_active=True, groups__name=settings.ONCALL_GROUP).select_related(
        "oncall_contact")
    told = 0
    with make_client(settings.WEBHOOK_ALLOWED_NETWORKS, timeout=10) as client:
        for user in users:
            contact = getattr(user, "oncall_contact", None)
            if contact and contact.alert_webhook_url:
                try:
                    client.post(contact.alert_webhook_url, json={
                        "text": text, "incident_id": incident.pk, "probe": probe_key, "admin_url": admin_url,
                        "published": incident.published})
                    told += 1
                except Exception:
                    log.exception("on-call alert to %s failed", user)
            if user.email and (contact is None or contact.alert_by_email):
                _message(user.email, "oncall_alert", _context(page, text=text, incident=incident,
                                                              admin_url=admin_url), "en").send(fail_silently=True)
                told += 1
    return told
