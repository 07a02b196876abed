"""The management API: on-call posts incidents and updates; statuses follow."""

import pytest

from statuspage.models import AuditLog, Component, Incident
from statuspage.services.incidents import do_publish_draft

pytestmark = pytest.mark.django_db


def summary(client):
    return client.get("/api/v2/summary.json").json()


def test_it_opens_an_incident_and_changes_its_components(page, api, anon):
    response = api.post("/api/v1/incidents/", {
        "name": "False deferral shown", "status": "identified", "body": "We are on it.",
        "components": {"reserve-data": "major_outage"},
    }, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "False deferral shown"
    assert body["status"] == "identified"
    assert body["impact"] == "critical"
    assert body["incident_updates"][0]["affected_components"] == [
        {"code": "reserve-data", "name": "Registration data", "old_status": "operational", "new_status": "major_outage"}
    ]
    assert Component.objects.get(key="reserve-data").status == "major_outage"
    assert summary(anon)["status"]["indicator"] == "critical"
    assert [i["id"] for i in summary(anon)["incidents"]] == [body["id"]]


def test_it_returns_the_indicator_to_none_when_resolved(page, api, anon):
    incident = api.post("/api/v1/incidents/", {
        "name": "Login fails", "components": {"reserve-auth": "partial_outage"}}, format="json").json()

    response = api.post(f"/api/v1/incidents/{incident['id']}/updates/",
                        {"status": "resolved", "body": "Fixed."}, format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "resolved"
    assert response.json()["resolved_at"] is not None
    assert Component.objects.get(key="reserve-auth").status == "operational"
    assert summary(anon)["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert summary(anon)["incidents"] == []


def test_it_keeps_a_timeline_of_updates_newest_first(page, api):
    incident = api.post("/api/v1/incidents/", {"name": "SMS delays"}, format="json").json()
    api.post(f"/api/v1/incidents/{incident['id']}/updates/", {"status": "identified", "body": "Provider."},
             format="json")
    body = api.post(f"/api/v1/incidents/{incident['id']}/updates/", {"status": "monitoring"}, format="json").json()

    assert [u["status"] for u in body["incident_updates"]] == ["monitoring", "identified", "investigating"]
    assert body["monitoring_at"] is not None


def test_it_sets_a_component_status_by_hand(page, api, anon):
    response = api.patch("/api/v1/components/oneid-signin/", {"status": "degraded_performance"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded_performance"
    assert summary(anon)["status"]["indicator"] == "minor"
    assert AuditLog.objects.filter(action="set_status", object_id=str(Component.objects.get(key="oneid-signin").pk),
                                   actor_name="alice").exists()


def test_it_records_who_posted_in_the_audit_trail(page, api):
    incident = api.post("/api/v1/incidents/", {"name": "Outage"}, format="json").json()

    entry = AuditLog.objects.get(action="create", object_id=incident["id"])
    assert (entry.actor_name, entry.via) == ("alice", "api")


@pytest.mark.parametrize("payload, field", [
    ({}, "name"),
    ({"name": "x", "status": "exploded"}, "status"),
    ({"name": "x", "status": "in_progress"}, "status"),
    ({"name": "x", "impact": "apocalyptic"}, "impact"),
    ({"name": "x", "components": {"nope": "major_outage"}}, "components"),
    ({"name": "x", "components": {"reserve-auth": "on_fire"}}, "components"),
    ({"name": "x", "components": ["reserve-auth"]}, "components"),
    ({"name": "x" * 300}, "name"),
    ({"name": "x", "scheduled_until": "2030-01-01T00:00:00Z"}, "scheduled_for"),
])
def test_it_refuses_bad_input_with_a_message_per_field_and_changes_nothing(page, api, payload, field):
    response = api.post("/api/v1/incidents/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Incident.objects.count() == 0
    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}


def test_it_refuses_a_status_of_the_wrong_kind_in_an_update(page, api):
    incident = api.post("/api/v1/incidents/", {"name": "Outage"}, format="json").json()

    response = api.post(f"/api/v1/incidents/{incident['id']}/updates/", {"status": "completed"}, format="json")

    assert response.status_code == 400
    assert "status" in response.json()


def test_it_answers_404_for_an_unknown_incident_or_component(page, api):
    assert api.post("/api/v1/incidents/nope/updates/", {"status": "resolved"}, format="json").status_code == 404
    assert api.patch("/api/v1/components/nope/", {"status": "major_outage"}, format="json").status_code == 404


def test_it_refuses_malformed_json_with_400(page, api):
    response = api.generic("POST", "/api/v1/incidents/", "{not json", content_type="application/json")

    assert response.status_code == 400


def test_it_schedules_a_maintenance_without_touching_components_yet(page, api, anon):
    response = api.post("/api/v1/incidents/", {
        "name": "Database upgrade", "scheduled_for": "2030-01-01T01:00:00Z", "scheduled_until": "2030-01-01T03:00:00Z",
        "components": {"reserve-data": "under_maintenance"},
    }, format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "scheduled"
    assert response.json()["scheduled_for"] == "2030-01-01T01:00:00.000Z"
    assert Component.objects.get(key="reserve-data").status == "operational"
    upcoming = anon.get("/api/v2/scheduled-maintenances/upcoming.json").json()["scheduled_maintenances"]
    assert [m["name"] for m in upcoming] == ["Database upgrade"]
    assert summary(anon)["status"]["indicator"] == "none"


def test_a_draft_is_hidden_from_the_public_until_published(page, api, anon):
    draft = api.post("/api/v1/incidents/", {"name": "Probe tripped", "published": False}, format="json").json()

    assert summary(anon)["incidents"] == []
    assert anon.get(f"/incidents/{draft['id']}").status_code == 404

    do_publish_draft(Incident.objects.get(pk=draft["id"]))
    assert [i["id"] for i in summary(anon)["incidents"]] == [draft["id"]]


def test_resolving_an_outage_restores_a_component_that_a_maintenance_booked_for_later_lists(page, api, anon):
    api.post("/api/v1/incidents/", {
        "name": "Database upgrade", "scheduled_for": "2030-01-01T01:00:00Z", "scheduled_until": "2030-01-01T03:00:00Z",
        "components": {"reserve-data": "under_maintenance"}}, format="json")
    outage = api.post("/api/v1/incidents/", {
        "name": "False deferral shown", "components": {"reserve-data": "major_outage"}}, format="json").json()

    api.post(f"/api/v1/incidents/{outage['id']}/updates/", {"status": "resolved", "body": "Fixed."}, format="json")

    assert Component.objects.get(key="reserve-data").status == "operational"
    assert summary(anon)["status"]["indicator"] == "none"


def test_an_outage_resolved_during_a_maintenance_leaves_the_component_under_maintenance(page, api):
    maintenance = api.post("/api/v1/incidents/", {
        "name": "Database upgrade", "scheduled_for": "2020-01-01T01:00:00Z", "scheduled_until": "2030-01-01T03:00:00Z",
        "components": {"reserve-data": "under_maintenance"}}, format="json").json()
    api.post(f"/api/v1/incidents/{maintenance['id']}/updates/", {"status": "in_progress"}, format="json")
    outage = api.post("/api/v1/incidents/", {
        "name": "False deferral shown", "components": {"reserve-data": "major_outage"}}, format="json").json()

    api.post(f"/api/v1/incidents/{outage['id']}/updates/", {"status": "resolved", "body": "Fixed."}, format="json")

    assert Component.objects.get(key="reserve-data").status == "under_maintenance"  # until the maintenance completes
    api.post(f"/api/v1/incidents/{maintenance['id']}/updates/", {"status": "completed"}, format="json")
    assert Component.objects.get(key="reserve-data").status == "operational"
