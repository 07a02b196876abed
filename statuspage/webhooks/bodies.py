"""Webhook bodies: Standard Webhooks envelopes (docs/subscribers.md) or Atlassian Statuspage's own."""

from __future__ import annotations

import json

from django.conf import settings

from statuspage.models import OutboxEvent
from statuspage.models.events import STATUSPAGE_ONLY
from statuspage.public.v2 import ts

# The fields of a component in Statuspage's webhooks (fewer than in its v2 API).
WEBHOOK_COMPONENT = ("status", "name", "created_at", "updated_at", "position", "description", "showcase", "id",
                     "page_id", "group_id")
# What Statuspage's webhooks add to each incident update.
WEBHOOK_UPDATE_EXTRA = {"wants_twitter_update": False, "twitter_updated_at": None}


def standard(event: OutboxEvent) -> bytes:
    data = {k: v for k, v in event.data.items() if k != STATUSPAGE_ONLY}
    return _dump({"type": event.type, "timestamp": ts(event.created_at), "data": data})


def statuspage(event: OutboxEvent) -> bytes:
    """Statuspage's webhook payloads, for receivers built for it (chat integrations)."""
    data = event.data
    page = data["page"]
    # Absolute, as Statuspage's; events stored before page.url was always absolute have "".
    base = (page.get("url") or settings.PUBLIC_BASE_URL).rstrip("/")
    body = {
        "meta": {"unsubscribe": f"{base}/subscribe", "documentation": f"{base}/api/docs/",
                 "generated_at": ts(event.created_at)},
        # verify_url is ours, as in the standard body: where to check the official channels.
        "page": {"id": page["id"], "status_indicator": page.get("status_indicator"),
                 "status_description": page.get("status_description"), "verify_url": page.get("verify_url")},
    }
    if "component" in data:
        body["component_update"] = data["component_update"]
        body["component"] = {name: data["component"].get(name) for name in WEBHOOK_COMPONENT}
    else:
        incident = data.get("incident") or data.get("maintenance")
        extra = (data.get(STATUSPAGE_ONLY) or {}).get("incident", {})
        body["incident"] = {**incident, **extra, "incident_updates": [
            {**update, **WEBHOOK_UPDATE_EXTRA} for update in incident.get("incident_updates", [])]}
    return _dump(body)


def test_event_data(page: dict) -> dict:
    return {"page": page, "message": "This is a test event from the status page. No action needed."}


def _dump(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


RENDER = {"standard": standard, "statuspage": statuspage}
