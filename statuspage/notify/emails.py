"""Emails to subscribers and webhook owners: rendered in the reader's language from templates/email/."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from statuspage.i18n import supported
from statuspage.models import (
    Component,
    Delivery,
    EmailSubscriber,
    Incident,
    IncidentUpdate,
    PageSettings,
    WebhookSubscriber,
)
from statuspage.notify.smtp import send_batch
from statuspage.notify.tokens import make_token
from statuspage.public import v2
from statuspage.webhooks.delivery import Outcome

log = logging.getLogger(__name__)


def absolute(page: PageSettings, path: str) -> str:
    return f"{v2.base_url(page)}{path}"


def page_language(page: PageSettings) -> str:
    """The page's first language: for people who never chose one."""
    return next(filter(None, map(supported, page.languages or [])), settings.LANGUAGE_CODE)


def render_message(to: str, template: str, context: dict, language: str, headers: dict | None = None):
    with translation.override(language):
        # One line: a name with a newline in it must not break the header.
        subject = " ".join(render_to_string(f"email/{template}_subject.txt", context).split())
        text = render_to_string(f"email/{template}.txt", context)
        html = render_to_string(f"email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    return message


def email_context(page: PageSettings, **extra) -> dict:
    # page_url: never empty, as in the feeds (the instance's own URL when the config has none).
    return {"page": page, "page_url": absolute(page, "/"), "channels": list(page.channels.all()), **extra}


def send_event_emails(deliveries: list[Delivery], deadline: float | None = None) -> list[Outcome]:
    """One email per delivery, in the subscriber's language, with one-click unsubscribe."""
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
        context = email_context(page, incident=incident, update=update,
                           link=absolute(page, incident.get_absolute_url()), unsubscribe=unsubscribe)
        # A reminder says when the maintenance starts, not what its last update said.
        template = "reminder" if d.event.type == "maintenance.reminder" else "event"
        messages.append(render_message(d.email.email, template, context, d.email.language, headers))
    return send_batch(messages, deadline)


def send_confirmation(subscriber: EmailSubscriber, component_keys: list[str], language: str) -> None:
    """The double opt-in link; the choices ride in it, so only the address's owner applies them."""
    page = PageSettings.load()
    token = make_token("confirm", subscriber.pk, c=sorted(component_keys), l=language)
    link = absolute(page, reverse("subscribe-confirm", args=[token]))
    context = email_context(page, link=link, components=list(Component.objects.filter(key__in=component_keys)),
                       change=subscriber.confirmed_at is not None)
    render_message(subscriber.email, "confirm", context, language).send()


def send_webhook_confirmation(webhook: WebhookSubscriber) -> None:
    page = PageSettings.load()
    link = absolute(page, reverse("webhook-confirm", args=[make_token("webhook", webhook.pk)]))
    language = webhook.language or page_language(page)
    context = email_context(page, link=link, webhook=webhook)
    render_message(webhook.owner_email, "webhook_confirm", context, language).send()


def tell_webhook_owner(webhook: WebhookSubscriber, reason: str) -> None:
    to = webhook.owner_email or (webhook.created_by.email if webhook.created_by else "")
    if not to:
        return
    page = PageSettings.load()
    language = webhook.language or page_language(page)
    try:
        render_message(to, "webhook_disabled", email_context(page, webhook=webhook, reason=reason), language).send()
    except Exception:
        log.exception("could not tell %s that webhook %s was disabled", to, webhook.pk)
