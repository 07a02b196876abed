"""The management APIs refuse what they do not understand: every write names each unknown
field (nested ones too) and changes nothing; a wrong choice lists the valid ones; a token
is accepted as `Token` or `Bearer`."""

import pytest
from rest_framework.test import APIClient

from statuspage.models import (
    AuditLog,
    Component,
    Incident,
    IncidentUpdate,
    NoticeSentInError,
    PageSettings,
    WebhookSubscriber,
)
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(page, api):
    return api.post("/api/v1/incidents/", {"name": "Sign-in slow", "body": "Looking."}, format="json").json()


def _snapshot():
    """What a refused write must leave as it was."""
    return (Incident.objects.count(), IncidentUpdate.objects.count(), WebhookSubscriber.objects.count(),
            NoticeSentInError.objects.count(), AuditLog.objects.count(),
            sorted(Component.objects.values_list("key", "status")),
            sorted(Incident.objects.values_list("name", "impact", "postmortem")),
            sorted(IncidentUpdate.objects.values_list("body", flat=True)))


def _writes(incident: dict) -> list[tuple[str, str, dict, str]]:
    """(method, url, body, the unknown field) for every write endpoint of /api/v1/."""
    i, u = incident["id"], incident["incident_updates"][0]["id"]
    hook = WebhookSubscriber.objects.create(url="https://hooks.example.org/x").pk
    return [
        ("post", "/api/v1/incidents/", {"name": "t", "titel": "Sign-in fails"}, "titel"),
        ("post", f"/api/v1/incidents/{i}/updates/", {"status": "identified", "bdy": "Found it."}, "bdy"),
        ("patch", f"/api/v1/incidents/{i}/", {"name": "Sign-in down", "severity": "major"}, "severity"),
        ("patch", f"/api/v1/incidents/{i}/updates/{u}/", {"body": "Looking hard.", "notify": False}, "notify"),
        ("patch", "/api/v1/components/reserve-auth/", {"status": "major_outage", "colour": "red"}, "colour"),
        ("post", "/api/v1/webhooks/", {"url": "https://hooks.example.org/x", "secret": "mine"}, "secret"),
        ("post", f"/api/v1/incidents/{i}/notices-sent-in-error/",
         {"wording": "Your deferral ended", "what_to_do": "Nothing.", "recipients": ["a"]}, "recipients"),
        ("delete", f"/api/v1/incidents/{i}/", {"reason": "duplicate"}, "reason"),
        ("post", f"/api/v1/webhooks/{hook}/test/", {"event": "incident.created"}, "event"),
        ("delete", f"/api/v1/webhooks/{hook}/", {"force": True}, "force"),
    ]


def test_an_unknown_field_is_refused_and_named_on_every_write_endpoint_and_nothing_changes(api, incident):
    for method, url, body, unknown in _writes(incident):
        before = _snapshot()

        response = getattr(api, method)(url, body, format="json")

        assert response.status_code == 400, (url, response.content)
        assert list(response.json()) == [unknown], url
        assert response.json()[unknown][0].startswith("unknown field; known: "), url
        assert _snapshot() == before, url


def test_the_refusal_names_every_unknown_field_and_lists_the_known_ones(api, page):
    response = api.post("/api/v1/incidents/", {"name": "t", "titel": "x", "bodyy": "y"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"titel", "bodyy"}
    assert "name" in response.json()["titel"][0] and "body" in response.json()["titel"][0]
    assert Incident.objects.count() == 0


def test_an_unknown_language_inside_a_nested_object_is_refused(api, page):
    response = api.post("/api/v1/incidents/", {"name": "t", "name_translations": {"uk": "т", "xx": "?"}},
                        format="json")

    assert response.status_code == 400
    assert "xx" in str(response.json()["name_translations"])
    assert Incident.objects.count() == 0


def test_the_statuspage_api_refuses_unknown_fields_at_each_level(api, page):
    base = f"/api/statuspage/v1/pages/{PageSettings.load().public_id}"

    inner = api.post(f"{base}/incidents", {"incident": {"name": "t", "titel": "x"}}, format="json")
    outer = api.post(f"{base}/incidents", {"incident": {"name": "t"}, "incidnet": {}}, format="json")

    assert inner.status_code == 400 and list(inner.json()["incident"]) == ["titel"]
    assert outer.status_code == 400 and list(outer.json()) == ["incidnet"]
    assert Incident.objects.count() == 0


def test_an_invalid_status_lists_the_valid_ones_of_the_incidents_kind(api, incident):
    response = api.post(f"/api/v1/incidents/{incident['id']}/updates/", {"status": "fixed"}, format="json")

    assert response.status_code == 400
    assert response.json()["status"] == [
        "'fixed' is not a valid incident status; valid: investigating, identified, monitoring, resolved, postmortem"]


@pytest.mark.parametrize("body, field, valid", [
    ({"name": "x", "impact": "apocalyptic"}, "impact", "valid: none, minor, major, critical, maintenance"),
    ({"name": "x", "components": {"reserve-auth": "on_fire"}}, "components",
     "valid: operational, degraded_performance, partial_outage, major_outage, under_maintenance"),
])
def test_an_invalid_choice_lists_the_valid_ones(api, page, body, field, valid):
    response = api.post("/api/v1/incidents/", body, format="json")

    assert response.status_code == 400
    assert valid in str(response.json()[field])


def test_a_bearer_token_is_accepted_like_a_token(page, oncall_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(oncall_user)}")

    response = client.post("/api/v1/incidents/", {"name": "Outage"}, format="json")

    assert response.status_code == 201
    assert AuditLog.objects.get(action="create", object_id=response.json()["id"]).actor_name == "alice"


def test_a_made_up_bearer_token_is_401_and_oauth_stays_the_statuspage_apis_only(page, oncall_user):
    made_up = APIClient()
    made_up.credentials(HTTP_AUTHORIZATION="Bearer sp_made-up")
    oauth = APIClient()
    oauth.credentials(HTTP_AUTHORIZATION=f"OAuth {token_for(oncall_user)}")

    assert made_up.get("/api/v1/incidents/").status_code == 401
    assert oauth.get("/api/v1/incidents/").status_code == 401
    assert oauth.get(f"/api/statuspage/v1/pages/{PageSettings.load().public_id}/incidents").status_code == 200


def test_the_config_endpoint_refuses_an_unknown_section_by_name(api, page):
    response = api.post("/api/v1/config/?dry_run=true", {"components": [], "extras": 1}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["extras"]
