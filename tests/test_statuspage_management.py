"""Statuspage's management API under /api/statuspage/v1/pages/{page_id}/ (docs/api.md): the
request bodies of Statuspage's documentation (developer.statuspage.io, "Create an incident",
"Update an incident", "Update an incident update", "Update a component"), `OAuth <token>`
with our tokens, audited like /api/v1/, and what has no meaning here refused by name."""

import pytest
from rest_framework.test import APIClient

from statuspage.models import AuditLog, Component, Incident, PageSettings
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def oauth(oncall_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"OAuth {token_for(oncall_user)}")
    return client


@pytest.fixture
def base(page):
    return f"/api/statuspage/v1/pages/{PageSettings.load().public_id}"


def create(oauth, base, **fields):
    response = oauth.post(f"{base}/incidents", {"incident": fields}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_it_creates_an_incident_from_statuspages_documented_request(oauth, base):
    # Statuspage's example body for POST /pages/{page_id}/incidents, with our component ids.
    incident = create(oauth, base, name="Registration data shows the wrong deferral", status="identified",
                      impact_override="major", body="We found the cause and are correcting it.",
                      deliver_notifications=True, auto_tweet_on_creation=False, metadata={},
                      components={"reserve-data": "partial_outage"}, component_ids=["reserve-data", "reserve-auth"])

    assert incident["status"] == "identified" and incident["impact"] == "major"
    assert incident["incident_updates"][0]["body"] == "We found the cause and are correcting it."
    assert incident["incident_updates"][0]["wants_twitter_update"] is False
    assert {c["id"] for c in incident["components"]} == {"reserve-data", "reserve-auth"}
    assert Component.objects.get(key="reserve-data").status == "partial_outage"
    assert Component.objects.get(key="reserve-auth").status == "operational"  # listed, status unchanged
    assert AuditLog.objects.filter(via="statuspage-api", action="create", object_id=incident["id"]).exists()


def test_it_schedules_a_maintenance_and_its_components_go_under_maintenance_when_it_starts(oauth, base):
    incident = create(oauth, base, name="Database upgrade", status="scheduled",
                      scheduled_for="2030-01-01T02:00:00Z", scheduled_until="2030-01-01T04:00:00Z",
                      scheduled_auto_in_progress=True, scheduled_auto_completed=True, component_ids=["reserve-data"])

    assert incident["impact"] == "maintenance" and incident["scheduled_for"].startswith("2030-01-01T02:00")
    assert incident["scheduled_auto_in_progress"] is True
    assert Component.objects.get(key="reserve-data").status == "operational"


def test_patching_status_and_body_posts_an_update_and_restores_components(oauth, base):
    incident = create(oauth, base, name="Sign-in fails", components={"oneid-signin": "major_outage"})

    response = oauth.patch(f"{base}/incidents/{incident['id']}", {"incident": {
        "status": "resolved", "body": "Sign-in works again.", "deliver_notifications": True}}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "resolved"
    assert [u["status"] for u in response.json()["incident_updates"]] == ["resolved", "investigating"]
    assert Component.objects.get(key="oneid-signin").status == "operational"


def test_patching_only_the_name_renames_without_an_update_and_is_audited(oauth, base):
    incident = create(oauth, base, name="Sign-in fails")

    response = oauth.patch(f"{base}/incidents/{incident['id']}", {"incident": {"name": "OneID sign-in fails"}},
                           format="json")

    assert response.json()["name"] == "OneID sign-in fails" and len(response.json()["incident_updates"]) == 1
    assert AuditLog.objects.get(via="statuspage-api", action="update").changes == {
        "name": ["Sign-in fails", "OneID sign-in fails"]}


def test_it_corrects_an_updates_text_and_audits_it(oauth, base):
    incident = create(oauth, base, name="Sign-in fails", body="We are looking into it")
    update_id = incident["incident_updates"][0]["id"]

    response = oauth.patch(f"{base}/incidents/{incident['id']}/incident_updates/{update_id}",
                           {"incident_update": {"body": "We are looking into it.", "deliver_notifications": True}},
                           format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["body"] == "We are looking into it." and response.json()["id"] == update_id
    assert AuditLog.objects.filter(via="statuspage-api", action="edit_update").count() == 1


@pytest.mark.parametrize("display_at", ["2099-01-01T00:00:00Z", "1970-01-01T00:00:00Z"])
def test_a_signed_statement_s_time_cannot_leave_the_incident_s_life(oauth, base, display_at):
    incident = create(oauth, base, name="Sign-in fails", body="We are looking into it")
    update_id = incident["incident_updates"][0]["id"]

    response = oauth.patch(f"{base}/incidents/{incident['id']}/incident_updates/{update_id}",
                           {"incident_update": {"display_at": display_at}}, format="json")

    assert response.status_code == 400 and "display_at" in str(response.json())


def test_a_statement_cannot_be_emptied_through_statuspage_s_api_either(oauth, base):
    incident = create(oauth, base, name="Sign-in fails", body="We are looking into it")
    update_id = incident["incident_updates"][0]["id"]

    response = oauth.patch(f"{base}/incidents/{incident['id']}/incident_updates/{update_id}",
                           {"incident_update": {"body": ""}}, format="json")

    assert response.status_code == 400


def test_it_lists_incidents_as_a_bare_array_like_statuspage(oauth, base):
    create(oauth, base, name="One")
    create(oauth, base, name="Two", scheduled_for="2030-01-01T02:00:00Z")

    assert [i["name"] for i in oauth.get(f"{base}/incidents").json()] == ["Two", "One"]
    assert [i["name"] for i in oauth.get(f"{base}/incidents/unresolved").json()] == ["One"]
    assert [i["name"] for i in oauth.get(f"{base}/incidents/upcoming").json()] == ["Two"]


def test_it_sets_a_components_status_and_lists_components(oauth, base):
    response = oauth.patch(f"{base}/components/oneid-signin", {"component": {"status": "degraded_performance"}},
                           format="json")

    assert response.status_code == 200 and response.json()["status"] == "degraded_performance"
    listed = {c["id"]: c for c in oauth.get(f"{base}/components").json()}
    assert listed["oneid-signin"]["status"] == "degraded_performance" and listed["oneid"]["group"] is True
    assert AuditLog.objects.filter(via="statuspage-api", action="set_status").count() == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"incident": {"name": "x", "colour": "red"}}, "colour"),
    ({"incident": {"name": "x", "deliver_notifications": False}}, "deliver_notifications"),
    ({"incident": {"name": "x", "auto_tweet_on_creation": True}}, "auto_tweet_on_creation"),
    ({"incident": {"name": "x", "metadata": {"jira": {"key": "OPS-1"}}}}, "metadata"),
    ({"incident": {"name": "x", "impact_override": "maintenance"}}, "impact_override"),
    ({"incident": {"name": "x", "components": {"no-such": "major_outage"}}}, "components"),
    ({"incident": {"status": "identified"}}, "name"),
    ({"incidents": {"name": "x"}}, "incidents"),
])
def test_it_refuses_what_it_cannot_honour_naming_the_field(oauth, base, body, field):
    response = oauth.post(f"{base}/incidents", body, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert field in errors or field in errors.get("incident", {}), errors
    assert Incident.objects.count() == 0


def test_a_component_field_owned_by_the_config_is_refused_by_name(oauth, base):
    response = oauth.patch(f"{base}/components/oneid-signin", {"component": {"name": "Login"}}, format="json")

    assert response.status_code == 400 and "name" in response.json()["component"]


def test_another_page_id_is_404(oauth, page):
    assert oauth.get("/api/statuspage/v1/pages/notours/incidents").status_code == 404


def test_without_a_token_or_off_call_it_is_refused(base, outsider, anon):
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"OAuth {token_for(outsider)}")

    assert anon.get(f"{base}/incidents").status_code == 401
    assert stranger.post(f"{base}/incidents", {"incident": {"name": "x"}}, format="json").status_code == 403
    assert Incident.objects.count() == 0


def test_a_wrong_oauth_token_is_401(base):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="OAuth not-a-token")

    assert client.get(f"{base}/components").status_code == 401


def test_it_reads_the_bracketed_form_of_statuspages_curl_examples(oauth, base):
    # As `curl … -d "incident[name]=…" -d "incident[components][id]=…"` in Statuspage's docs.
    body = ("incident[name]=Sign-in+fails&incident[status]=identified&incident[body]=We+know+why."
            "&incident[components][oneid-signin]=major_outage&incident[component_ids][]=oneid-signin"
            "&incident[deliver_notifications]=true")

    response = oauth.post(f"{base}/incidents", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "identified" and response.json()["name"] == "Sign-in fails"
    assert Component.objects.get(key="oneid-signin").status == "major_outage"


def test_a_form_field_name_it_cannot_read_is_a_400_naming_it(oauth, base):
    response = oauth.post(f"{base}/incidents", "incident[name][]=x&incident[name][a]=y",
                          content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400 and "incident[name]" in response.json()["detail"]
