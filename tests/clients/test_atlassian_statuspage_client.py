"""The PyPI client `atlassian-statuspage` 1.0.2 (generated from Statuspage's own OpenAPI
description; its base URL is `Configuration.host`) drives our Statuspage-compatible
management API over real HTTP: what automation written for Statuspage does after
changing only its base URL and key. Installed by scripts/test-deps.sh from
requirements-clients.txt (`--no-deps`: it pins requests and urllib3 to 2023 versions)."""

import atlassian_statuspage
import pytest
from atlassian_statuspage.api.components_api import ComponentsApi
from atlassian_statuspage.api.incident_updates_api import IncidentUpdatesApi
from atlassian_statuspage.api.incidents_api import IncidentsApi
from atlassian_statuspage.rest import ApiException

from statuspage.models import AuditLog, Component, PageSettings
from tests.conftest import token_for

pytestmark = pytest.mark.once


@pytest.fixture
def client(live_server, transactional_db, page, oncall_user):
    config = atlassian_statuspage.Configuration()
    config.host = f"{live_server.url}/api/statuspage/v1"  # the one line that changes
    config.api_key["Authorization"] = token_for(oncall_user)
    config.api_key_prefix["Authorization"] = "OAuth"
    return atlassian_statuspage.ApiClient(config)


@pytest.fixture
def page_id(page):
    return PageSettings.load().public_id


def test_the_client_opens_updates_and_resolves_an_incident(client, page_id):
    incidents = IncidentsApi(client)

    created = incidents.post_pages_page_id_incidents(
        {"incident": {"name": "Registration data shows the wrong deferral", "status": "investigating",
                      "impact_override": "major", "body": "We are checking.", "deliver_notifications": True,
                      "components": {"reserve-data": "major_outage"}, "component_ids": ["reserve-data"]}},
        page_id)
    updated = incidents.patch_pages_page_id_incidents_incident_id(
        {"incident": {"status": "resolved", "body": "Corrected."}}, page_id, created.id)
    unresolved = incidents.get_pages_page_id_incidents_unresolved(page_id)

    assert created.status == "investigating" and created.impact == "major"
    assert created.components[0].id == "reserve-data" and created.components[0].status == "major_outage"
    assert updated.status == "resolved" and updated.resolved_at is not None
    assert [u.status for u in updated.incident_updates] == ["resolved", "investigating"]
    assert unresolved == []
    assert Component.objects.get(key="reserve-data").status == "operational"


def test_the_client_corrects_an_update_and_sets_a_component(client, page_id):
    incident = IncidentsApi(client).post_pages_page_id_incidents(
        {"incident": {"name": "Sign-in slow", "body": "Lookng."}}, page_id)

    update_api = IncidentUpdatesApi(client)
    corrected = update_api.patch_pages_page_id_incidents_incident_id_incident_updates_incident_update_id(
        {"incident_update": {"body": "Looking."}}, page_id, incident.id, incident.incident_updates[0].id)
    component = ComponentsApi(client).patch_pages_page_id_components_component_id(
        {"component": {"status": "degraded_performance"}}, page_id, "oneid-signin")
    listed = ComponentsApi(client).get_pages_page_id_components(page_id)

    assert corrected.body == "Looking."
    assert component.status == "degraded_performance"
    assert {c.id: c.status for c in listed}["oneid-signin"] == "degraded_performance"
    assert set(AuditLog.objects.filter(via="statuspage-api").values_list("action", flat=True)) == {
        "create", "edit_update", "set_status"}


def test_the_client_sees_a_refusal_naming_the_field(client, page_id):
    with pytest.raises(ApiException) as refused:
        IncidentsApi(client).post_pages_page_id_incidents(
            {"incident": {"name": "x", "deliver_notifications": False}}, page_id)

    assert refused.value.status == 400 and "deliver_notifications" in refused.value.body.decode()


def test_the_client_resolving_a_resolved_incident_gets_409_with_the_allowed_statuses(client, page_id):
    incidents = IncidentsApi(client)
    created = incidents.post_pages_page_id_incidents({"incident": {"name": "Sign-in slow"}}, page_id)
    incidents.patch_pages_page_id_incidents_incident_id({"incident": {"status": "resolved"}}, page_id, created.id)

    with pytest.raises(ApiException) as refused:
        incidents.patch_pages_page_id_incidents_incident_id(
            {"incident": {"status": "resolved", "body": "Resolved again"}}, page_id, created.id)
    corrected = incidents.patch_pages_page_id_incidents_incident_id(
        {"incident": {"body": "Resolved: the certificate was renewed."}}, page_id, created.id)

    assert refused.value.status == 409 and '"allowed":["postmortem"]' in refused.value.body.decode()
    assert [u.status for u in corrected.incident_updates] == ["resolved", "resolved", "investigating"]
