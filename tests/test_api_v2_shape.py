"""Every endpoint of docs/api.md against Atlassian Statuspage's public v2 field names, nesting
and enum values, so that a client written for Statuspage reads ours unchanged."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from statuspage.models import Component, Incident, PageSettings
from statuspage.public import v2
from statuspage.public.state import PublicState
from statuspage.services.incidents import do_open_incident, do_post_update
from statuspage.tasks import advance_maintenances

pytestmark = pytest.mark.django_db

# Statuspage's own field names (its public v2 API, e.g. /api/v2/summary.json).
PAGE = {"id", "name", "url", "time_zone", "updated_at"}
OURS_ON_PAGE = {"verify_url"}  # where to check the official channels (docs/citizens.md, "Trust signals")
STATUS = {"indicator", "description"}
COMPONENT = {"id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
             "start_date", "group_id", "page_id", "group", "only_show_if_degraded"}
INCIDENT = {"id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
            "shortlink", "started_at", "page_id", "incident_updates", "components"}
UPDATE = {"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at", "affected_components",
          "deliver_notifications", "custom_tweet", "tweet_id"}
AFFECTED = {"code", "name", "old_status", "new_status"}
MAINTENANCE = INCIDENT | {"scheduled_for", "scheduled_until"}
OURS_ON_INCIDENT = {"notices_sent_in_error"}  # docs/verification.md
OURS_ON_UPDATE = {"verification_code", "kid", "signature"}  # docs/verification.md

COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
IMPACTS = {"none", "minor", "major", "critical"}
INDICATORS = IMPACTS | {"maintenance"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def get(path: str) -> dict:
    response = Client().get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def component(key: str) -> Component:
    return Component.objects.get(key=key)


@pytest.fixture
def busy_page(page):
    """One of each: an open incident, a resolved one, a maintenance in progress, one booked
    for later and one completed."""
    now = timezone.now()
    outage = do_open_incident(name="False deferral shown", status="identified", body="We are on it.",
                              components={component("reserve-data"): "major_outage"})
    old = do_open_incident(name="SMS delays", components={component("oneid-signin"): "degraded_performance"})
    do_post_update(old, status="resolved", body="Fixed.")
    running = do_open_incident(name="Database upgrade", kind=Incident.Kind.MAINTENANCE,
                               scheduled_for=now - timedelta(minutes=5), scheduled_until=now + timedelta(hours=1),
                               components={component("reserve-auth"): "under_maintenance"})
    later = do_open_incident(name="Network change", kind=Incident.Kind.MAINTENANCE,
                             scheduled_for=now + timedelta(days=2), scheduled_until=now + timedelta(days=2, hours=1),
                             components={component("oneid-signin"): "under_maintenance"})
    done = do_open_incident(name="Certificate renewal", kind=Incident.Kind.MAINTENANCE,
                            scheduled_for=now - timedelta(days=3), scheduled_until=now - timedelta(days=3),
                            components={component("oneid-signin"): "under_maintenance"})
    do_post_update(done, status="in_progress", components={component("oneid-signin"): "under_maintenance"})
    do_post_update(done, status="completed", body="Done.")
    assert advance_maintenances() == 1  # beat starts the one whose time has come
    return {"outage": outage, "old": old, "running": running, "later": later, "done": done}


def check_page(page: dict) -> None:
    assert set(page) - OURS_ON_PAGE == PAGE
    assert page["id"] == PageSettings.load().public_id and page["url"] == "https://status.example.org"
    assert page["time_zone"] == "UTC" and TIMESTAMP.match(page["updated_at"])


def check_component(c: dict, page_id: str) -> None:
    assert set(c) == COMPONENT | ({"components"} if c["group"] else set()), c["id"]
    assert c["status"] in COMPONENT_STATUSES and c["page_id"] == page_id
    assert isinstance(c["position"], int) and isinstance(c["showcase"], bool)
    assert isinstance(c["only_show_if_degraded"], bool) and c["group"] in (True, False)
    assert TIMESTAMP.match(c["created_at"]) and TIMESTAMP.match(c["updated_at"])
    assert re.match(r"^\d{4}-\d\d-\d\d$", c["start_date"])


def check_components(components: list[dict], page_id: str) -> None:
    """As in Statuspage: a group is an entry with `group: true` and its children's ids, and
    each child names it in `group_id`."""
    for c in components:
        check_component(c, page_id)
    by_id = {c["id"]: c for c in components}
    groups = {c["id"]: c for c in components if c["group"]}
    assert set(groups) == {"reserve", "oneid"}
    assert groups["reserve"]["components"] == ["reserve-auth", "reserve-data"]
    assert groups["oneid"]["components"] == ["oneid-signin"]
    for group in groups.values():
        assert group["group_id"] is None
        assert all(by_id[child]["group_id"] == group["id"] and not by_id[child]["group"]
                   for child in group["components"])
    assert groups["reserve"]["status"] == "major_outage"  # the worst of its children


def check_incident(i: dict, page_id: str, maintenance: bool = False) -> None:
    assert set(i) - OURS_ON_INCIDENT == (MAINTENANCE if maintenance else INCIDENT), i["name"]
    assert i["status"] in (MAINTENANCE_STATUSES if maintenance else INCIDENT_STATUSES)
    assert i["impact"] == "maintenance" if maintenance else i["impact"] in IMPACTS
    assert i["page_id"] == page_id
    assert i["shortlink"] == f"https://status.example.org/incidents/{i['id']}"
    for name in ("created_at", "updated_at", "started_at"):
        assert TIMESTAMP.match(i[name]), name
    assert i["resolved_at"] is None or TIMESTAMP.match(i["resolved_at"])
    assert i["monitoring_at"] is None or TIMESTAMP.match(i["monitoring_at"])
    if maintenance:
        assert TIMESTAMP.match(i["scheduled_for"]) and TIMESTAMP.match(i["scheduled_until"])
    assert i["incident_updates"], "every incident has its first update"
    for u in i["incident_updates"]:
        assert set(u) - OURS_ON_UPDATE == UPDATE
        assert u["incident_id"] == i["id"] and u["status"] in INCIDENT_STATUSES | MAINTENANCE_STATUSES
        assert u["deliver_notifications"] is True and u["custom_tweet"] is None and u["tweet_id"] is None
        assert TIMESTAMP.match(u["display_at"]) and isinstance(u["body"], str)
        for a in u["affected_components"]:
            assert set(a) == AFFECTED and {a["old_status"], a["new_status"]} <= COMPONENT_STATUSES
    for c in i["components"]:
        check_component(c, page_id)


def test_summary_json(busy_page):
    summary = get("/api/v2/summary.json")

    assert set(summary) == {"page", "components", "incidents", "scheduled_maintenances", "status", "monitoring"}
    check_page(summary["page"])
    page_id = summary["page"]["id"]
    check_components(summary["components"], page_id)
    assert [i["name"] for i in summary["incidents"]] == ["False deferral shown"]  # unresolved only
    for i in summary["incidents"]:
        check_incident(i, page_id)
    # Active or upcoming, soonest first; not the completed one.
    assert [(m["name"], m["status"]) for m in summary["scheduled_maintenances"]] == [
        ("Database upgrade", "in_progress"), ("Network change", "scheduled")]
    for m in summary["scheduled_maintenances"]:
        check_incident(m, page_id, maintenance=True)
    assert summary["status"] == {"indicator": "critical", "description": "Major System Outage"}


def test_an_incidents_components_and_updates(busy_page):
    outage = next(i for i in get("/api/v2/incidents.json")["incidents"] if i["id"] == busy_page["outage"].id)

    assert [c["id"] for c in outage["components"]] == ["reserve-data"]
    assert outage["components"][0]["group_id"] == "reserve"
    assert outage["incident_updates"][0]["affected_components"] == [
        {"code": "reserve-data", "name": "Registration data", "old_status": "operational",
         "new_status": "major_outage"}]
    assert outage["impact"] == "critical" and outage["status"] == "identified"


def test_status_json(busy_page):
    body = get("/api/v2/status.json")

    assert set(body) == {"page", "status", "monitoring"}
    check_page(body["page"])
    assert set(body["status"]) == STATUS and body["status"]["indicator"] in INDICATORS


def test_components_json(busy_page):
    body = get("/api/v2/components.json")

    assert set(body) == {"page", "components"}
    check_components(body["components"], body["page"]["id"])


def test_incidents_json_lists_resolved_and_unresolved_incidents_but_no_maintenance(busy_page):
    body = get("/api/v2/incidents.json")

    assert set(body) == {"page", "incidents"}
    assert {i["name"] for i in body["incidents"]} == {"False deferral shown", "SMS delays"}
    for i in body["incidents"]:
        check_incident(i, body["page"]["id"])
    resolved = next(i for i in body["incidents"] if i["name"] == "SMS delays")
    assert resolved["status"] == "resolved" and resolved["resolved_at"]


def test_unresolved_json_lists_only_unresolved_incidents(busy_page):
    body = get("/api/v2/incidents/unresolved.json")

    assert set(body) == {"page", "incidents"}
    assert [i["name"] for i in body["incidents"]] == ["False deferral shown"]
    check_incident(body["incidents"][0], body["page"]["id"])


def test_scheduled_maintenances_json_lists_every_maintenance(busy_page):
    body = get("/api/v2/scheduled-maintenances.json")

    assert set(body) == {"page", "scheduled_maintenances"}
    assert {m["name"] for m in body["scheduled_maintenances"]} == {
        "Database upgrade", "Network change", "Certificate renewal"}
    for m in body["scheduled_maintenances"]:
        check_incident(m, body["page"]["id"], maintenance=True)


def test_upcoming_json_lists_only_maintenances_not_yet_started(busy_page):
    body = get("/api/v2/scheduled-maintenances/upcoming.json")

    assert set(body) == {"page", "scheduled_maintenances"}
    assert [(m["name"], m["status"]) for m in body["scheduled_maintenances"]] == [("Network change", "scheduled")]
    check_incident(body["scheduled_maintenances"][0], body["page"]["id"], maintenance=True)


def test_active_json_lists_only_maintenances_in_progress_or_verifying(busy_page):
    do_post_update(busy_page["later"], status="in_progress")
    do_post_update(busy_page["later"], status="verifying")

    body = get("/api/v2/scheduled-maintenances/active.json")

    assert set(body) == {"page", "scheduled_maintenances"}
    assert sorted((m["name"], m["status"]) for m in body["scheduled_maintenances"]) == [
        ("Database upgrade", "in_progress"), ("Network change", "verifying")]
    for m in body["scheduled_maintenances"]:
        check_incident(m, body["page"]["id"], maintenance=True)


def test_the_indicator_is_maintenance_while_one_is_in_progress_and_nothing_is_wrong(busy_page):
    do_post_update(busy_page["outage"], status="resolved", body="Fixed.")

    for path in ("/api/v2/summary.json", "/api/v2/status.json"):
        assert get(path)["status"] == {"indicator": "maintenance", "description": "Service Under Maintenance"}
    assert component("reserve-auth").status == "under_maintenance"


def test_a_maintenance_booked_for_later_leaves_the_indicator_alone(page):
    now = timezone.now()
    do_open_incident(name="Network change", kind=Incident.Kind.MAINTENANCE, scheduled_for=now + timedelta(days=1),
                     scheduled_until=now + timedelta(days=1, hours=1),
                     components={component("reserve-auth"): "under_maintenance"})

    assert get("/api/v2/status.json")["status"] == {"indicator": "none", "description": "All Systems Operational"}


def test_the_shortlink_is_absolute_when_the_page_has_no_url(page, settings):
    settings.PUBLIC_BASE_URL = "https://status.fallback.example"
    PageSettings.objects.filter(pk=1).update(url="")
    incident = do_open_incident(name="Login fails")

    body = get("/api/v2/incidents.json")

    assert body["incidents"][0]["shortlink"] == f"https://status.fallback.example/incidents/{incident.id}"


def test_the_queries_do_not_grow_with_incidents_or_their_components(page):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            state = PublicState.load(recent_days=0)
            v2.summary(state)
            [v2.incident_dict(i, state.page) for i in state.open_incidents]
        return len(captured)

    keys = ["reserve-auth", "reserve-data", "oneid-signin"]
    do_open_incident(name="One", components={component("reserve-auth"): "partial_outage"})
    one = queries()
    for n in range(3):
        do_open_incident(name=f"More {n}", components={component(k): "major_outage" for k in keys})

    assert queries() == one
