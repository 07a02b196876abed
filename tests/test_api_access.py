"""Only on-call users write; everyone else gets 401 or 403."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from statuspage.models import ApiToken, Incident

pytestmark = pytest.mark.django_db

WRITES = [
    ("post", "/api/v1/incidents/", {"name": "x"}),
    ("patch", "/api/v1/components/reserve-auth/", {"status": "major_outage"}),
    ("post", "/api/v1/config/", {"components": []}),
]


@pytest.mark.parametrize("method, url, payload", WRITES)
def test_it_refuses_anonymous_writes_with_401(page, anon, method, url, payload):
    assert getattr(anon, method)(url, payload, format="json").status_code == 401


@pytest.mark.parametrize("method, url, payload", WRITES)
def test_it_refuses_an_outsiders_token_with_403(page, outsider_api, method, url, payload):
    assert getattr(outsider_api, method)(url, payload, format="json").status_code == 403


def test_it_refuses_an_expired_token(page, oncall_user):
    token, key = ApiToken.issue(oncall_user)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.post("/api/v1/incidents/", {"name": "x"}, format="json")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert Incident.objects.count() == 0


def test_it_refuses_a_deactivated_users_token(page, oncall_user):
    key = ApiToken.issue(oncall_user)[1]
    oncall_user.is_active = False
    oncall_user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.post("/api/v1/incidents/", {"name": "x"}, format="json").status_code == 401


def test_it_refuses_a_made_up_token(page):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token sp_made-up")

    assert client.get("/api/v1/incidents/").status_code == 401


def test_it_stores_only_a_digest_of_the_token(oncall_user):
    token, key = ApiToken.issue(oncall_user)

    assert key not in (token.digest, token.prefix)
    assert ApiToken.find(key) == token


def test_it_serves_the_openapi_schema_and_docs(anon, db):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/incidents/" in paths and "/api/v1/incidents/{incident_id}/updates/" in paths
    assert anon.get("/api/docs/").status_code == 200
