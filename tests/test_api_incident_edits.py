"""One incident through /api/v1/incidents/<id>/: read it, correct it, delete it, correct an
update's text; and the status transitions the API allows (docs/api.md), 409 otherwise."""

import pytest

from statuspage.models import AuditLog, Component, Incident, IncidentUpdate, OutboxEvent
from statuspage.oncall import set_role
from statuspage.public import version

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(page, api):
    return api.post("/api/v1/incidents/", {"name": "Sign-in slow", "body": "Lookng.",
                                           "components": {"reserve-auth": "partial_outage"}}, format="json").json()


def audit(action, object_id):
    return AuditLog.objects.filter(action=action, object_id=object_id)


def update(api, incident, **body):
    return api.post(f"/api/v1/incidents/{incident['id']}/updates/", body, format="json")


def test_one_incident_is_read_with_its_timeline_drafts_too(api, page):
    draft = api.post("/api/v1/incidents/", {"name": "Probe tripped", "published": False}, format="json").json()

    response = api.get(f"/api/v1/incidents/{draft['id']}/")

    assert response.status_code == 200
    assert response.json()["published"] is False and response.json()["name"] == "Probe tripped"
    assert len(response.json()["incident_updates"]) == 1
    assert api.get("/api/v1/incidents/nope/").status_code == 404


def test_patching_corrects_the_fields_and_audits_the_change_without_notifying(api, incident, anon):
    events, before = OutboxEvent.objects.count(), version.current()

    response = api.patch(f"/api/v1/incidents/{incident['id']}/", {
        "name": "Sign-in fails", "impact": "critical", "name_translations": {"uk": "Вхід не працює"},
        "postmortem": "The certificate expired."}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["impact"]) == ("Sign-in fails", "critical")
    stored = Incident.objects.get(pk=incident["id"])
    assert stored.translations == {"uk": {"name": "Вхід не працює"}} and stored.postmortem_published_at
    assert "The certificate expired." in anon.get(f"/incidents/{incident['id']}").content.decode()
    entry = audit("update", incident["id"]).get()
    assert entry.actor_name == "alice" and entry.changes["name"] == ["Sign-in slow", "Sign-in fails"]
    assert OutboxEvent.objects.count() == events  # a correction is not news
    assert version.current() != before
    assert anon.get("/api/v2/incidents.json").json()["incidents"][0]["name"] == "Sign-in fails"


def test_patching_a_draft_published_publishes_it_and_subscribers_hear_of_it_then(api, page, anon):
    draft = api.post("/api/v1/incidents/", {"name": "Probe tripped", "published": False}, format="json").json()
    assert OutboxEvent.objects.filter(type="incident.created").count() == 0

    response = api.patch(f"/api/v1/incidents/{draft['id']}/", {"published": True}, format="json")

    assert response.status_code == 200 and response.json()["published"] is True
    assert OutboxEvent.objects.filter(type="incident.created").count() == 1
    assert audit("publish", draft["id"]).count() == 1
    assert [i["id"] for i in anon.get("/api/v2/summary.json").json()["incidents"]] == [draft["id"]]


def test_a_published_incident_cannot_become_a_draft_and_an_empty_patch_is_refused(api, incident):
    unpublish = api.patch(f"/api/v1/incidents/{incident['id']}/", {"published": False}, format="json")
    empty = api.patch(f"/api/v1/incidents/{incident['id']}/", {}, format="json")

    assert unpublish.status_code == 400 and "published" in unpublish.json()
    assert empty.status_code == 400 and "nothing to change" in str(empty.json())
    assert Incident.objects.get(pk=incident["id"]).published is True
    assert not audit("update", incident["id"]).exists()


def test_deleting_an_open_incident_gives_its_components_back_and_is_audited(api, incident, anon):
    assert Component.objects.get(key="reserve-auth").status == "partial_outage"

    response = api.delete(f"/api/v1/incidents/{incident['id']}/")

    assert response.status_code == 204
    assert not Incident.objects.filter(pk=incident["id"]).exists()
    assert Component.objects.get(key="reserve-auth").status == "operational"
    entry = audit("delete", incident["id"]).get()
    assert entry.actor_name == "alice" and entry.summary == "Sign-in slow" and entry.changes["updates"] == 1
    assert anon.get("/api/v2/incidents.json").json()["incidents"] == []


def test_deleting_needs_the_delete_incident_permission(api, incident, oncall_user):
    set_role(oncall_user, "responder")  # responders hold no delete permission (docs/on-call.md)

    response = api.delete(f"/api/v1/incidents/{incident['id']}/")

    assert response.status_code == 403 and "delete_incident" in response.json()["detail"]
    assert Incident.objects.filter(pk=incident["id"]).exists()
    assert not audit("delete", incident["id"]).exists()


def test_an_updates_text_is_corrected_publicly_and_subscribers_are_not_notified_again(api, incident, anon):
    update_id = incident["incident_updates"][0]["id"]
    events = OutboxEvent.objects.count()

    response = api.patch(f"/api/v1/incidents/{incident['id']}/updates/{update_id}/",
                         {"body": "Looking.", "body_translations": {"uk": "Шукаємо."}}, format="json")

    assert response.status_code == 200
    assert response.json()["incident_updates"][0]["body"] == "Looking."
    assert IncidentUpdate.objects.get(pk=update_id).translations == {"uk": "Шукаємо."}
    public = anon.get("/api/v2/incidents.json").json()["incidents"][0]["incident_updates"][0]
    assert public["body"] == "Looking."
    assert OutboxEvent.objects.count() == events
    entry = audit("edit_update", incident["id"]).get()
    assert entry.changes["body"] == ["Lookng.", "Looking."] and entry.actor_name == "alice"


def test_an_update_of_another_incident_is_404(api, incident):
    other = api.post("/api/v1/incidents/", {"name": "Other"}, format="json").json()
    update_id = incident["incident_updates"][0]["id"]

    response = api.patch(f"/api/v1/incidents/{other['id']}/updates/{update_id}/", {"body": "x"}, format="json")

    assert response.status_code == 404


def test_resolving_a_resolved_incident_is_409_listing_the_allowed_next_statuses(api, incident):
    assert update(api, incident, status="resolved").status_code == 201

    response = update(api, incident, status="resolved", body="Resolved again?")

    assert response.status_code == 409
    assert response.json()["allowed"] == ["postmortem"]
    assert response.json()["allowed_with_reopen"] == ["investigating", "identified", "monitoring"]
    assert IncidentUpdate.objects.filter(incident_id=incident["id"]).count() == 2


def test_reopening_a_resolved_incident_needs_reopen_true(api, incident):
    update(api, incident, status="resolved")

    silent = update(api, incident, status="investigating", body="Back.")
    explicit = update(api, incident, status="investigating", body="Back.", reopen=True)

    assert silent.status_code == 409 and '"reopen": true' in silent.json()["detail"]
    assert explicit.status_code == 201 and explicit.json()["resolved_at"] is None


def test_an_open_incident_may_repeat_its_status_or_step_back(api, incident):
    assert update(api, incident, status="investigating", body="Still looking.").status_code == 201
    assert update(api, incident, status="monitoring").status_code == 201
    assert update(api, incident, status="identified", body="It came back.").status_code == 201
    assert update(api, incident, status="postmortem").status_code == 409  # resolve first


def test_a_completed_maintenance_is_closed_and_a_scheduled_one_cannot_skip_to_verifying(api, page):
    maintenance = api.post("/api/v1/incidents/", {"name": "DB upgrade", "scheduled_for": "2030-01-01T01:00:00Z"},
                           format="json").json()

    skip = update(api, maintenance, status="verifying")
    update(api, maintenance, status="in_progress")
    update(api, maintenance, status="completed")
    again = update(api, maintenance, status="completed")

    assert skip.status_code == 409 and skip.json()["allowed"] == ["scheduled", "in_progress", "completed"]
    assert again.status_code == 409 and again.json()["allowed"] == []


def test_the_statuspage_api_keeps_to_the_table_and_reopens_only_when_asked(page, api):
    from statuspage.models import PageSettings

    base = f"/api/statuspage/v1/pages/{PageSettings.load().public_id}/incidents"
    created = api.post(base, {"incident": {"name": "Sign-in slow"}}, format="json").json()
    api.patch(f"{base}/{created['id']}", {"incident": {"status": "resolved"}}, format="json")

    silent = api.patch(f"{base}/{created['id']}", {"incident": {"status": "identified"}}, format="json")
    asked = api.patch(f"{base}/{created['id']}", {"incident": {"status": "identified", "reopen": True}}, format="json")

    assert silent.status_code == 409 and silent.json()["allowed_with_reopen"] == ["investigating", "identified",
                                                                                  "monitoring"]
    assert asked.status_code == 200 and asked.json()["status"] == "identified"


def test_a_published_statement_cannot_be_emptied_by_an_edit(page, api):
    incident = api.post("/api/v1/incidents/", {"name": "Login fails", "body": "We are looking into it."},
                        format="json").json()
    update_id = incident["incident_updates"][0]["id"]

    response = api.patch(f"/api/v1/incidents/{incident['id']}/updates/{update_id}/", {"body": ""}, format="json")

    assert response.status_code == 400 and "body" in response.json()
    assert IncidentUpdate.objects.get(pk=update_id).body == "We are looking into it."


def test_what_on_call_wrote_in_every_language_is_read_back(page, api):
    created = api.post("/api/v1/incidents/", {
        "name": "Login fails", "body": "Looking into it.", "name_translations": {"uk": "Вхід не працює"},
        "body_translations": {"uk": "З'ясовуємо."}}, format="json").json()
    api.patch(f"/api/v1/incidents/{created['id']}/", {"postmortem": "The certificate expired."}, format="json")

    read = api.get(f"/api/v1/incidents/{created['id']}/").json()

    assert read["name_translations"] == {"uk": "Вхід не працює"}
    assert read["postmortem"] == "The certificate expired."
    assert read["update_translations"] == {created["incident_updates"][0]["id"]: {"uk": "З'ясовуємо."}}
