"""`Idempotency-Key` on the management APIs' POSTs: a retry gets the first answer and
creates nothing; another body with the same key is a 422; keys are per token or user and
expire after 24 hours."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from statuspage.models import AuditLog, IdempotencyKey, Incident, IncidentUpdate, OutboxEvent, PageSettings
from statuspage.purge import purge_idempotency_keys
from tests.conftest import token_for

pytestmark = pytest.mark.django_db
OUTAGE = {"name": "Sign-in fails", "components": {"reserve-auth": "major_outage"}}


def post(client, url, body, key):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_twice_creates_one_incident_and_answers_the_same(api, page):
    first = post(api, "/api/v1/incidents/", OUTAGE, "8e03978e-40d5-43e8-bc93-6894a57f9324")
    events = OutboxEvent.objects.count()

    again = post(api, "/api/v1/incidents/", OUTAGE, "8e03978e-40d5-43e8-bc93-6894a57f9324")

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Incident.objects.count() == 1 and IncidentUpdate.objects.count() == 1
    assert OutboxEvent.objects.count() == events
    assert AuditLog.objects.filter(action="create").count() == 1


def test_a_retried_update_is_posted_once(api, page):
    incident = api.post("/api/v1/incidents/", OUTAGE, format="json").json()
    url = f"/api/v1/incidents/{incident['id']}/updates/"

    first = post(api, url, {"status": "resolved", "body": "Fixed."}, "resolve-1")
    again = post(api, url, {"status": "resolved", "body": "Fixed."}, "resolve-1")

    assert first.status_code == again.status_code == 201 and again.content == first.content
    assert IncidentUpdate.objects.filter(incident_id=incident["id"]).count() == 2


def test_the_same_key_with_a_different_body_is_422_and_creates_nothing(api, page):
    post(api, "/api/v1/incidents/", OUTAGE, "k-1")

    response = post(api, "/api/v1/incidents/", {**OUTAGE, "name": "Another"}, "k-1")

    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert list(Incident.objects.values_list("name", flat=True)) == ["Sign-in fails"]


def test_the_same_json_in_another_key_order_is_the_same_request(api, page):
    first = api.generic("POST", "/api/v1/incidents/", '{"name": "A", "body": "b"}',
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2")
    again = api.generic("POST", "/api/v1/incidents/", '{"body":"b","name":"A"}',
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert again.status_code == 201 and again.content == first.content
    assert Incident.objects.count() == 1


def test_a_refusal_is_replayed_too_and_a_key_is_per_user(api, page, db):
    from django.contrib.auth import get_user_model

    from statuspage.oncall import role_group

    bob = get_user_model().objects.create_user("bob", password="pw-bob")
    bob.groups.add(role_group("responder"))
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {token_for(bob)}")

    refused = post(api, "/api/v1/incidents/", {"titel": "x"}, "k-3")
    again = post(api, "/api/v1/incidents/", {"titel": "x"}, "k-3")
    bobs = post(other, "/api/v1/incidents/", OUTAGE, "k-3")

    assert refused.status_code == again.status_code == 400 and again.content == refused.content
    assert bobs.status_code == 201  # bob's k-3 is not alice's
    assert Incident.objects.count() == 1


def test_a_key_is_forgotten_after_24_hours_and_pruned(api, page):
    post(api, "/api/v1/incidents/", OUTAGE, "k-4")
    IdempotencyKey.objects.update(created_at=IdempotencyKey.objects.get().created_at - timedelta(hours=25))

    assert purge_idempotency_keys() == 1
    assert post(api, "/api/v1/incidents/", OUTAGE, "k-4").status_code == 201
    assert Incident.objects.count() == 2


def test_a_401_is_not_remembered_so_the_key_can_be_retried_with_a_good_token(page, oncall_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token sp_made-up")

    assert post(client, "/api/v1/incidents/", OUTAGE, "k-5").status_code == 401
    assert IdempotencyKey.objects.count() == 0


def test_a_key_in_flight_answers_409_and_a_bad_key_400(api, page, oncall_user):
    import hashlib

    token = token_for(oncall_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    post(client, "/api/v1/incidents/", OUTAGE, "k-6")
    fingerprint = IdempotencyKey.objects.get().fingerprint  # the same request, under another key
    IdempotencyKey.objects.create(owner="token:" + hashlib.sha256(token.encode()).hexdigest(), key="k-7",
                                  fingerprint=fingerprint)  # claimed, answer not yet stored

    in_flight = post(client, "/api/v1/incidents/", OUTAGE, "k-7")

    assert in_flight.status_code == 409 and "still being processed" in in_flight.json()["detail"]
    assert post(client, "/api/v1/incidents/", OUTAGE, "x" * 256).status_code == 400
    assert Incident.objects.count() == 1


def test_the_statuspage_api_honours_the_key_too(api, page):
    base = f"/api/statuspage/v1/pages/{PageSettings.load().public_id}"

    first = post(api, f"{base}/incidents", {"incident": {"name": "Outage"}}, "sp-1")
    again = post(api, f"{base}/incidents", {"incident": {"name": "Outage"}}, "sp-1")

    assert first.status_code == again.status_code == 201 and again.content == first.content
    assert Incident.objects.count() == 1


def test_a_claim_whose_process_died_is_taken_over_after_five_minutes(api, page):
    post(api, "/api/v1/incidents/", OUTAGE, "k-8")
    Incident.objects.all().delete()  # as if the request's process had died before its work committed
    IdempotencyKey.objects.update(status_code=None, created_at=IdempotencyKey.objects.get().created_at
                                  - timedelta(minutes=6))

    response = post(api, "/api/v1/incidents/", OUTAGE, "k-8")

    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Incident.objects.count() == 1 and IdempotencyKey.objects.get().status_code == 201


def test_statuspages_form_body_is_idempotent_too(api, page):
    base = f"/api/statuspage/v1/pages/{PageSettings.load().public_id}"
    form = "incident%5Bname%5D=Outage&incident%5Bstatus%5D=investigating"

    first = api.generic("POST", f"{base}/incidents", form, content_type="application/x-www-form-urlencoded",
                        HTTP_IDEMPOTENCY_KEY="form-1")
    again = api.generic("POST", f"{base}/incidents", form, content_type="application/x-www-form-urlencoded",
                        HTTP_IDEMPOTENCY_KEY="form-1")

    assert first.status_code == again.status_code == 201 and again.content == first.content
    assert Incident.objects.count() == 1
