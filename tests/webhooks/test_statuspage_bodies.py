"""`format: statuspage` webhook bodies field by field against real Statuspage webhooks
(tests/fixtures/statuspage/, from Zulip's Statuspage integration: SOURCES.md)."""

import ipaddress
import json
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from statuspage.models import Component, Incident, OutboxEvent, PageSettings
from statuspage.services.components import do_set_component_status
from statuspage.services.incidents import do_open_incident, do_post_update
from statuspage.webhooks import bodies
from statuspage.webhooks.dispatch import deliver, fan_out
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.once, pytest.mark.django_db]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "statuspage"
OURS_ON_PAGE = {"verify_url"}  # where to check the official channels
OURS_ON_COMPONENT = {"start_date", "group", "only_show_if_degraded"}  # incidents' components, v2 shape


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def last_body(event_type: str) -> dict:
    event = OutboxEvent.objects.filter(type=event_type).latest("created_at")
    return json.loads(bodies.statuspage(event))


def data_component(status="major_outage"):
    return {Component.objects.get(key="reserve-data"): status}


def test_an_incident_body_has_every_field_of_statuspages(page):
    real = fixture("webhook_incident_created.json")
    do_open_incident(name="False deferral shown", body="We are on it.", components=data_component())

    ours = last_body("incident.created")

    assert set(ours) == set(real)
    assert set(ours["meta"]) == set(real["meta"])
    assert set(ours["page"]) - OURS_ON_PAGE == set(real["page"])
    # Every field of Statuspage's; ours may add some (v2's, and the statement's signature).
    assert set(real["incident"]) <= set(ours["incident"])
    assert set(real["incident"]["incident_updates"][0]) <= set(ours["incident"]["incident_updates"][0])
    assert (set(ours["incident"]["incident_updates"][0]["affected_components"][0])
            == set(real["incident"]["incident_updates"][0]["affected_components"][0]))
    assert set(ours["incident"]["components"][0]) - OURS_ON_COMPONENT == set(real["incident"]["components"][0])
    for name, value in real["incident"].items():
        if isinstance(value, bool):
            assert isinstance(ours["incident"][name], bool), name


def test_a_component_body_has_exactly_statuspages_fields(page):
    real = fixture("webhook_component_status_update.json")
    do_set_component_status(Component.objects.get(key="oneid-signin"), "partial_outage", source="manual")

    ours = last_body("component.status_changed")

    assert set(ours) == set(real)
    assert set(ours["component"]) == set(real["component"])
    assert set(ours["component_update"]) == set(real["component_update"])
    assert ours["component"]["group_id"] == "oneid" and ours["component"]["page_id"] == ours["page"]["id"]


def test_a_maintenance_body_carries_its_schedule_and_automation(page):
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() + timedelta(days=1)
    do_open_incident(name="Network change", kind=Incident.Kind.MAINTENANCE, scheduled_for=start,
                     scheduled_until=start + timedelta(hours=2))

    incident = last_body("maintenance.scheduled")["incident"]

    assert incident["impact"] == "maintenance"
    assert incident["scheduled_for"] and incident["scheduled_until"]
    assert incident["scheduled_auto_in_progress"] is True and incident["scheduled_auto_completed"] is True


def test_meta_links_are_absolute_when_the_page_has_no_url(page, settings):
    settings.PUBLIC_BASE_URL = "https://status.fallback.example"
    PageSettings.objects.filter(pk=1).update(url="")
    do_open_incident(name="Login fails")

    meta = last_body("incident.created")["meta"]

    assert meta["unsubscribe"].startswith("https://status.fallback.example/")
    assert meta["documentation"].startswith("https://status.fallback.example/")


def test_a_recovery_event_reports_the_page_as_the_recovery_left_it(page):
    incident = do_open_incident(name="Deferral shown wrongly", components=data_component("partial_outage"))
    do_post_update(incident, status="resolved", body="Fixed.")

    recovered = last_body("component.status_changed")
    resolved = last_body("incident.resolved")

    assert recovered["component_update"]["new_status"] == "operational"
    assert recovered["page"]["status_indicator"] == "none"
    assert recovered["page"]["status_description"] == "All Systems Operational"
    assert resolved["page"]["status_indicator"] == "none"


def test_the_standard_body_does_not_carry_the_statuspage_only_fields(page):
    do_open_incident(name="Login fails")
    event = OutboxEvent.objects.get(type="incident.created")

    data = json.loads(bodies.standard(event))["data"]

    assert set(data) == {"page", "incident"}
    assert "backfilled" not in data["incident"]


def test_a_statuspage_receiver_gets_signed_bodies_over_http(page, api, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    with Receiver() as receiver:
        response = api.post("/api/v1/webhooks/", {"url": receiver.url, "format": "statuspage"}, format="json")
        assert response.status_code == 201
        do_open_incident(name="Deferral shown wrongly", components=data_component())
        for event_id in OutboxEvent.objects.values_list("pk", flat=True):
            fan_out(event_id)
        deliver()

    received = [Webhook(response.json()["secret"]).verify(r.body, r.headers) for r in receiver.requests]
    assert sorted(next(iter({"incident", "component"} & set(b))) for b in received) == ["component", "incident"]
