"""Sending a batch of emails over one SMTP connection, with an Outcome per message."""

from __future__ import annotations

import logging
import smtplib
import time

from django.core.mail import get_connection

from statuspage.webhooks.delivery import Outcome

log = logging.getLogger(__name__)


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
    except Exception as exc:  # noqa: BLE001 - SMTP down: retried like a webhook
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
        except Exception as exc:  # noqa: BLE001 - one refused message is this delivery's outcome
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
