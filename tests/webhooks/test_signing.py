import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook

from statuspage.webhooks.signing import new_message_id, new_secret, sign

pytestmark = pytest.mark.once

BODY = b'{"type": "incident.created", "data": {"name": "\xd0\xa0\xd0\xb5\xd0\xb7\xd0\xb5\xd1\x80\xd0\xb2"}}'


def test_a_new_secret_is_whsec_with_at_least_24_random_bytes():
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert new_secret() != secret
    Webhook(secret)  # the reference library accepts it


def test_message_ids_are_prefixed_and_unique():
    assert new_message_id().startswith("msg_")
    assert len({new_message_id() for _ in range(1000)}) == 1000


def test_signed_headers_verify_with_the_standardwebhooks_package():
    secret, msg_id = new_secret(), new_message_id()
    headers = sign(secret, msg_id, datetime.now(UTC), BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"] == msg_id
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers)["type"] == "incident.created"


def test_a_time_in_another_zone_is_converted_to_utc_before_signing():
    kyiv = timezone(timedelta(hours=2))
    now = datetime.now(kyiv)
    headers = sign(new_secret(), "msg_1", now, BODY)
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    secret = new_secret()
    Webhook(secret).verify(BODY, sign(secret, "msg_1", now, BODY))


def test_a_naive_time_is_refused_because_its_zone_is_unknown():
    with pytest.raises(ValueError, match="aware"):
        sign(new_secret(), "msg_1", datetime.now(), BODY)


def test_the_same_message_id_and_time_give_the_same_signature_on_a_retry():
    secret, when = new_secret(), datetime.now(UTC)
    assert sign(secret, "msg_1", when, BODY) == sign(secret, "msg_1", when, BODY)
