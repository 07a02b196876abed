import asyncio
import socket
import threading
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from statuspage.networks import parse_networks
from statuspage.webhooks.delivery import (
    Attempt,
    deliver_all,
    deliver_many,
    deliver_one,
    parse_retry_after,
)
from statuspage.webhooks.signing import new_message_id, new_secret, sign
from statuspage.webhooks.ssrf import make_client

from .receiver import Receiver

pytestmark = pytest.mark.once

LOOPBACK = parse_networks("127.0.0.0/8")
BODY = b'{"type": "component.status_changed", "timestamp": "2026-11-22T10:00:00Z", "data": {}}'


def signed(url, secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", msg_id="msg_1"):
    headers = sign(secret, msg_id, datetime.now(UTC), BODY)
    return Attempt(url, {**headers, "content-type": "application/json"}, BODY)


def post(attempt):
    with make_client(LOOPBACK) as client:
        return deliver_one(client, attempt)


def test_the_receiver_can_verify_the_signature_it_gets():
    secret = new_secret()
    with Receiver() as receiver:
        assert post(signed(receiver.url, secret, new_message_id())).ok
    got = receiver.requests[0]
    assert got.body == BODY
    assert got.headers["content-type"] == "application/json"
    Webhook(secret).verify(got.body, got.headers)


def test_a_500_is_a_failure_to_retry_and_the_next_200_a_success():
    with Receiver(replies=[(500, {}), (200, {})]) as receiver:
        first, second = post(signed(receiver.url)), post(signed(receiver.url))
    assert (first.status_code, first.ok, first.permanent) == (500, False, False)
    assert first.error == "HTTP 500 Internal Server Error"
    assert (second.status_code, second.ok, second.error) == (200, True, None)


def test_a_410_gone_is_permanent_so_the_endpoint_gets_disabled():
    with Receiver(replies=[(410, {})]) as receiver:
        outcome = post(signed(receiver.url))
    assert outcome.status_code == 410 and outcome.permanent and not outcome.ok


def test_a_redirect_is_a_failure_and_is_not_followed():
    with Receiver() as elsewhere, Receiver(replies=[(301, {"location": elsewhere.url})]) as receiver:
        outcome = post(signed(receiver.url))
    assert outcome.status_code == 301 and not outcome.ok and not outcome.permanent
    assert "not followed" in outcome.error
    assert elsewhere.requests == []


def test_retry_after_in_seconds_is_read_from_a_429():
    with Receiver(replies=[(429, {"retry-after": "120"})]) as receiver:
        outcome = post(signed(receiver.url))
    assert outcome.retry_after_s == 120 and not outcome.permanent


def test_retry_after_as_an_http_date_is_read_from_a_503():
    with Receiver(replies=[(503, {"retry-after": "Wed, 21 Oct 2037 07:28:00 GMT"})]) as receiver:
        outcome = post(signed(receiver.url))
    assert outcome.status_code == 503 and outcome.retry_after_s > 0


def test_retry_after_dates_count_from_now_and_never_go_negative():
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert parse_retry_after("Sun, 22 Nov 2026 10:01:30 GMT", now) == 90
    assert parse_retry_after("Sun, 22 Nov 2026 09:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_a_closed_port_is_a_failure_to_retry_without_a_status():
    outcome = post(signed(f"http://127.0.0.1:{closed_port()}/hook"))
    assert outcome.status_code is None and not outcome.permanent
    assert outcome.error


def test_a_receiver_that_trickles_its_reply_is_cut_off_at_the_deadline():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        stop = threading.Event()

        def trickle():
            conn, _ = server.accept()
            with conn:
                for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n":
                    if stop.wait(0.2):
                        return
                    conn.send(bytes([byte]))

        threading.Thread(target=trickle, daemon=True).start()
        with make_client(LOOPBACK, timeout=5) as client:
            url = f"http://127.0.0.1:{server.getsockname()[1]}/hook"
            outcome = deliver_one(client, signed(url), deadline_s=0.5)
        stop.set()
    assert outcome.status_code is None and not outcome.permanent
    assert outcome.error.startswith("timed out")


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_deliver_many_returns_outcomes_in_the_order_of_the_attempts():
    with Receiver(replies=[(500, {})]) as failing, Receiver() as a, Receiver() as b:
        attempts = [signed(failing.url)] + [signed(r.url) for r in (a, b) * 5]
        outcomes = asyncio.run(deliver_many(attempts, LOOPBACK))
    assert [o.status_code for o in outcomes] == [500] + [204] * 10
    assert len(a.requests) == len(b.requests) == 5


def test_every_fanned_out_request_carries_its_own_verifiable_signature():
    secrets = [new_secret() for _ in range(20)]
    with Receiver() as receiver:
        attempts = [signed(f"{receiver.url}/{n}", s, f"msg_{n}") for n, s in enumerate(secrets)]
        assert all(o.ok for o in asyncio.run(deliver_many(attempts, LOOPBACK, per_host=4)))
    for got in receiver.requests:
        Webhook(secrets[int(got.path.rsplit("/", 1)[1])]).verify(got.body, got.headers)


def test_deliver_many_refuses_blocked_targets_permanently_without_sending():
    with Receiver() as receiver:
        outcomes = asyncio.run(deliver_many([signed(receiver.url)] * 3, allowed=[]))
    assert all(o.permanent and "loopback" in o.error for o in outcomes)
    assert receiver.requests == []


def test_deliver_many_stops_knocking_on_a_host_that_never_answers():
    attempts = [signed(f"http://127.0.0.1:{closed_port()}/hook")] * 10
    outcomes = asyncio.run(deliver_many(attempts, LOOPBACK, per_host=1))
    assert not any(o.ok or o.permanent for o in outcomes)
    assert sum("skipped" in o.error for o in outcomes) == 7


def test_deliver_many_marks_invalid_urls_permanent():
    attempts = [signed("http://[::1/hook"), signed("ftp://example.com/hook")]
    outcomes = asyncio.run(deliver_many(attempts, LOOPBACK))
    assert all(o.permanent and "invalid webhook URL" in o.error for o in outcomes)


def test_deliver_all_is_the_same_fan_out_for_sync_callers():
    with Receiver() as a, Receiver(replies=[(410, {})]) as b:
        outcomes = deliver_all([signed(a.url), signed(b.url), signed(a.url)], LOOPBACK)
    assert [(o.status_code, o.permanent) for o in outcomes] == [(204, False), (410, True), (204, False)]
