"""Webhook bodies: Standard Webhooks envelopes (SPEC §7) or Atlassian Statuspage's own."""

from __future__ import annotations

import json

from statuspage.models import OutboxEvent


def standard(event: OutboxEvent) -> bytes:
    from statuspage.v2 import ts

    return _dump({"type": event.type, "timestamp": ts(event.created_at), "data": event.data})


def statuspage(event: OutboxEvent) -> bytes:
    """Statuspage's webhook payloads, for receivers built for it (chat integrations)."""
    from statuspage.v2 import ts

    data = event.data
    page = data["page"]
    base = (page.get("url") or "").rstrip("/")
    body = {
        "meta": {"unsubscribe": f"{base}/subscribe", "documentation": f"{base}/api/docs/",
                 "generated_at": ts(event.created_at)},
        # verify_url is ours, as in the standard body: where to check the official channels.
        "page": {"id": page["id"], "status_indicator": page.get("status_indicator"),
                 "status_description": page.get("status_description"), "verify_url": page.get("verify_url")},
    }
    if "component" in data:
        body["component_update"] = data["component_update"]
        c = data["component"]
        body["component"] = {"created_at": c["created_at"], "id": c["id"], "name": c["name"], "status": c["status"]}
    else:
        body["incident"] = data.get("incident") or data.get("maintenance")
    return _dump(body)


def test_event_data(page: dict) -> dict:
    return {"page": page, "message": "This is a test event from the status page. No action needed."}


def _dump(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


RENDER = {"standard": standard, "statuspage": statuspage}
