"""Signed links for subscribers: confirm, unsubscribe, confirm a webhook. Stateless, salted, expiring."""

from __future__ import annotations

from django.core import signing

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
