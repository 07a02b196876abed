"""v2's `page` as Statuspage's clients check it: an absolute `url` whatever the config says,
an `updated_at` that moves with every public change, and maintenances of impact
`maintenance` (docs/api.md)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from statuspage.models import Component, Incident, PageSettings
from statuspage.services.components import do_set_component_status
from statuspage.services.incidents import do_open_incident

pytestmark = pytest.mark.django_db


def summary() -> dict:
    response = Client().get("/api/v2/summary.json")
    assert response.status_code == 200
    return response.json()


def test_page_url_and_verify_url_are_absolute_when_the_config_has_no_url(page, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    PageSettings.objects.filter(pk=1).update(url="")

    body = summary()

    assert body["page"]["url"] == "http://127.0.0.1:8000"
    assert body["page"]["verify_url"] == "http://127.0.0.1:8000/.well-known/statuspage.json"


def test_page_url_is_the_configured_one_when_there_is_one(page):
    assert summary()["page"]["url"] == "https://status.example.org"


def test_page_updated_at_moves_with_an_incident_and_with_a_component_status(page):
    start = timezone.now() + timedelta(hours=1)
    with time_machine.travel(start, tick=False):
        do_open_incident(name="Login fails")
    first = summary()["page"]["updated_at"]
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        do_set_component_status(Component.objects.get(key="oneid-signin"), "partial_outage", source="manual")
    second = summary()["page"]["updated_at"]

    assert first.startswith(start.strftime("%Y-%m-%dT%H:%M"))
    assert second > first and second.startswith((start + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))


def test_a_draft_does_not_move_page_updated_at(page):
    before = summary()["page"]["updated_at"]
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        do_open_incident(name="Not yet public", published=False)

    assert summary()["page"]["updated_at"] == before


def test_a_maintenance_has_impact_maintenance(page):
    now = timezone.now()
    do_open_incident(name="Network change", kind=Incident.Kind.MAINTENANCE, scheduled_for=now + timedelta(days=1),
                     scheduled_until=now + timedelta(days=1, hours=1))

    assert [m["impact"] for m in summary()["scheduled_maintenances"]] == ["maintenance"]


def test_the_api_accepts_impact_maintenance_for_a_maintenance(api):
    now = timezone.now()
    response = api.post("/api/v1/incidents/", {
        "name": "Database upgrade", "impact": "maintenance", "scheduled_for": (now + timedelta(days=1)).isoformat(),
        "scheduled_until": (now + timedelta(days=1, hours=2)).isoformat()}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["impact"] == "maintenance"


def test_the_api_refuses_impact_maintenance_for_an_incident_naming_the_field(api):
    response = api.post("/api/v1/incidents/", {"name": "Login fails", "impact": "maintenance"}, format="json")

    assert response.status_code == 400
    assert "scheduled_for" in str(response.json()["impact"])
