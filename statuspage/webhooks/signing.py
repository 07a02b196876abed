"""Standard Webhooks signatures (https://www.standardwebhooks.com/)."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from math import floor

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh subscriber secret, shown to its owner once."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_message_id() -> str:
    """A `webhook-id`: made once per event and subscriber, reused on every retry."""
    return "msg_" + secrets.token_urlsafe(18)


def sign(secret: str, msg_id: str, timestamp: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` sent at `timestamp`."""
    if timestamp.tzinfo is None:
        # A naive time could be local or UTC; signing the wrong one fails every verify.
        raise ValueError("sign() needs an aware datetime")
    # Webhook.sign() replaces tzinfo with UTC rather than converting, so convert first.
    utc = timestamp.astimezone(UTC)
    signature = Webhook(secret).sign(msg_id, utc, body.decode("utf-8"))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(floor(utc.timestamp())),
        "webhook-signature": signature,
    }
