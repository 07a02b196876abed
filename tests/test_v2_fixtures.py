"""Our v2 summary field by field against a real Statuspage page's summary.json
(tests/fixtures/statuspage/summary_illposed.json; source in SOURCES.md): the same keys at
every level, the same kinds of values, so a client written against Statuspage reads ours."""

import json
from pathlib import Path

import pytest
from django.test import Client

from tests.statuspage_examples import open_examples

pytestmark = pytest.mark.django_db
REAL = json.loads((Path(__file__).resolve().parent / "fixtures" / "statuspage" / "summary_illposed.json").read_text())
OURS_ON_PAGE = {"verify_url"}
OURS_AT_TOP = {"monitoring"}  # whether the statuses are being verified (docs/operations.md)


@pytest.fixture
def ours(page):
    open_examples()
    return Client().get("/api/v2/summary.json").json()


def kinds(document: dict) -> dict:
    return {name: type(value).__name__ for name, value in document.items() if value is not None}


def same_kinds(ours: dict, real: dict) -> bool:
    """The same JSON type wherever both have a value (null is allowed on either side)."""
    a, b = kinds(ours), kinds(real)
    return all(a[name] == b[name] for name in a.keys() & b.keys())


def test_the_top_level_and_the_page_have_statuspages_keys(ours):
    assert set(ours) - OURS_AT_TOP == set(REAL)
    assert set(ours["page"]) - OURS_ON_PAGE == set(REAL["page"])
    assert same_kinds(ours["page"], REAL["page"])
    assert ours["page"]["url"].startswith("https://")


def test_a_component_has_exactly_statuspages_keys_and_value_kinds(ours):
    real = REAL["components"][0]
    for component in (c for c in ours["components"] if not c["group"]):
        assert set(component) == set(real), component["id"]
        assert same_kinds(component, real)


def test_a_maintenance_has_statuspages_keys_and_values(ours):
    real = REAL["scheduled_maintenances"][0]
    maintenance = ours["scheduled_maintenances"][0]

    assert set(real) <= set(maintenance)
    assert maintenance["impact"] == real["impact"] == "maintenance"
    assert set(real["incident_updates"][0]) <= set(maintenance["incident_updates"][0])
    # A maintenance booked for later changes no component yet: an incident's update shows one.
    assert set(real["incident_updates"][0]["affected_components"][0]) == set(
        ours["incidents"][0]["incident_updates"][0]["affected_components"][0])
    assert set(real["components"][0]) == set(maintenance["components"][0])
    assert same_kinds(maintenance, real)
    assert same_kinds(maintenance["incident_updates"][0], real["incident_updates"][0])


def test_an_incident_has_the_keys_of_a_statuspage_maintenance_less_its_schedule(ours):
    real = set(REAL["scheduled_maintenances"][0]) - {"scheduled_for", "scheduled_until"}

    assert real <= set(ours["incidents"][0])


def test_the_status_has_statuspages_keys(ours):
    assert set(ours["status"]) == set(REAL["status"])
    assert ours["status"]["indicator"] == "minor"
