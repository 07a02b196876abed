"""The on-call console: Django's admin, used to post incidents and set statuses by hand."""

import pytest
from django.test import Client

from statuspage.models import (
    AffectedComponent,
    AuditLog,
    Component,
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
)
from statuspage.services.incidents import do_open_incident

pytestmark = pytest.mark.django_db

ADD = "/admin/statuspage/incident/add/"
LIST = "/admin/statuspage/incident/"


@pytest.fixture
def console(oncall_user):
    client = Client()
    client.force_login(oncall_user)
    return client


def pks(*keys):
    return [Component.objects.get(key=k).pk for k in keys]


def updates_formset(incident=None):
    """The read-only timeline inline: its management form and the existing updates' ids."""
    existing = list(incident.updates.all()) if incident else []
    data = {
        "updates-TOTAL_FORMS": str(len(existing)), "updates-INITIAL_FORMS": str(len(existing)),
        "updates-MIN_NUM_FORMS": "0", "updates-MAX_NUM_FORMS": "1000",
    }
    for i, update in enumerate(existing):
        data[f"updates-{i}-id"] = update.pk
        data[f"updates-{i}-incident"] = incident.pk
    return data


def incident_form(name="Login fails", incident=None, **fields):
    data = {
        "name": name, "kind": "incident", "impact": "none", "published": None, "auto_transition": "on",
        "postmortem": "", "update_status": "", "update_body": "", "component_status": "",
        **updates_formset(incident), **fields,
    }
    return {k: v for k, v in data.items() if v is not None}


def open_incident(console, publish=True, **fields) -> Incident:
    """Saved as a draft, then (by default) published through the confirmation page."""
    response = console.post(ADD, incident_form(**fields))
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get(name=fields.get("name", "Login fails"))
    if publish:
        assert console.post(f"/admin/statuspage/incident/{incident.pk}/publish/").status_code == 302
        incident.refresh_from_db()
    return incident


def post_update(console, incident, **fields):
    incident = Incident.objects.get(pk=incident.pk)
    return console.post(f"/admin/statuspage/incident/{incident.pk}/change/",
                        incident_form(incident=incident,
                                      **{"name": incident.name, "impact": incident.impact, **fields}))


def test_it_opens_an_incident_with_its_first_update_and_component_statuses(page, console, oncall_user):
    incident = open_incident(console, update_status="identified", update_body="SMS provider is down.",
                             affected=pks("reserve-auth", "oneid-signin"), component_status="major_outage")

    assert incident.status == "identified"
    assert incident.impact == "critical"
    assert incident.created_by == oncall_user
    update = incident.updates.get()
    assert (update.status, update.body, update.author) == ("identified", "SMS provider is down.", oncall_user)
    assert sorted(AffectedComponent.objects.filter(update=update).values_list(
        "component__key", "old_status", "new_status")) == [
        ("oneid-signin", "operational", "major_outage"), ("reserve-auth", "operational", "major_outage"),
    ]
    assert dict(Component.objects.values_list("key", "status")) == {
        "reserve-auth": "major_outage", "reserve-data": "operational", "oneid-signin": "major_outage",
    }
    assert sorted(incident.components.values_list("key", flat=True)) == ["oneid-signin", "reserve-auth"]
    entry = AuditLog.objects.get(action="create", object_id=incident.pk)
    assert (entry.actor, entry.via) == (oncall_user, "admin")


def test_it_starts_an_incident_as_investigating_when_no_status_is_chosen(page, console):
    incident = open_incident(console, update_body="Looking into it.")

    assert incident.status == "investigating"
    assert incident.updates.get().status == "investigating"
    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}


def test_the_new_incident_is_public_once_published_through_the_confirmation(page, console):
    incident = open_incident(console, affected=pks("reserve-data"), component_status="partial_outage")

    summary = Client().get("/api/v2/summary.json").json()
    assert [i["id"] for i in summary["incidents"]] == [incident.pk]
    assert summary["status"]["indicator"] == "major"


def test_it_refuses_a_component_status_without_components_and_changes_nothing(page, console):
    response = console.post(ADD, incident_form(component_status="major_outage"))

    assert response.status_code == 200
    assert "affected" in response.context["adminform"].form.errors
    assert Incident.objects.count() == 0


def test_it_refuses_a_maintenance_status_on_an_incident(page, console):
    response = console.post(ADD, incident_form(update_status="in_progress"))

    assert "update_status" in response.context["adminform"].form.errors
    assert Incident.objects.count() == 0


def test_a_further_update_is_added_to_the_timeline(page, console, oncall_user):
    incident = open_incident(console, affected=pks("reserve-auth"), component_status="major_outage")

    response = post_update(console, incident, update_status="monitoring", update_body="A fix is deployed.",
                           affected=pks("reserve-auth"), component_status="degraded_performance")

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "monitoring"
    assert incident.monitoring_at is not None
    assert list(incident.updates.values_list("status", "body")) == [
        ("monitoring", "A fix is deployed."), ("investigating", ""),
    ]
    assert Component.objects.get(key="reserve-auth").status == "degraded_performance"
    assert AuditLog.objects.filter(action="update", object_id=incident.pk, actor=oncall_user, via="admin").exists()


def test_resolving_returns_the_components_to_operational(page, console):
    incident = open_incident(console, affected=pks("reserve-auth", "reserve-data"), component_status="partial_outage")

    post_update(console, incident, update_status="resolved", update_body="Fixed.")

    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_at is not None
    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}
    assert Client().get("/api/v2/summary.json").json()["incidents"] == []


def test_saving_the_form_without_a_new_status_adds_no_update(page, console):
    incident = open_incident(console)

    response = post_update(console, incident, name="Login fails for some users")

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.name == "Login fails for some users"
    assert incident.updates.count() == 1


def test_unticking_published_in_the_form_does_not_hide_a_public_incident(page, console):
    incident = open_incident(console)

    post_update(console, incident, published=None)

    assert Incident.objects.get(pk=incident.pk).published is True


def test_the_state_filter_shows_only_open_incidents(page, console):
    open_incident(console, name="Still broken")
    fixed = open_incident(console, name="Already fixed")
    post_update(console, fixed, update_status="resolved", update_body="Fixed.")

    response = console.get(LIST, {"state": "open"})

    assert [i.name for i in response.context["cl"].result_list] == ["Still broken"]
    closed = console.get(LIST, {"state": "closed"})
    assert [i.name for i in closed.context["cl"].result_list] == ["Already fixed"]


def test_search_finds_an_incident_by_the_text_of_an_update(page, console):
    open_incident(console, name="Login fails", update_body="The SMS gateway rejects our requests.")
    open_incident(console, name="Slow profile", update_body="Database is overloaded.")

    response = console.get(LIST, {"q": "gateway"})

    assert [i.name for i in response.context["cl"].result_list] == ["Login fails"]


def test_search_lists_an_incident_once_even_when_several_updates_match(page, console):
    incident = open_incident(console, name="Login fails", update_body="gateway down")
    post_update(console, incident, update_status="identified", update_body="gateway vendor notified")

    response = console.get(LIST, {"q": "gateway"})

    assert [i.name for i in response.context["cl"].result_list] == ["Login fails"]


def test_changing_a_components_status_logs_the_change_and_who_made_it(page, console, oncall_user):
    component = Component.objects.get(key="reserve-data")

    response = console.post(f"/admin/statuspage/component/{component.pk}/change/", {
        "key": "reserve-data", "name": "Registration data", "description": "", "group": component.group_id,
        "position": component.position, "status": "partial_outage", "showcase": "on", "translations": "{}",
    })

    assert response.status_code == 302
    component.refresh_from_db()
    assert (component.status, component.status_source) == ("partial_outage", "manual")
    change = ComponentStatusChange.objects.get(component=component)
    assert (change.old_status, change.new_status, change.source, change.actor) == (
        "operational", "partial_outage", "manual", oncall_user)
    entry = AuditLog.objects.get(action="change", object_type="component", object_id=str(component.pk))
    assert (entry.actor, entry.via) == (oncall_user, "admin")
    assert Client().get("/api/v2/status.json").json()["status"]["indicator"] == "major"


def test_editing_a_component_without_touching_its_status_logs_no_status_change(page, console):
    component = Component.objects.get(key="reserve-data")

    console.post(f"/admin/statuspage/component/{component.pk}/change/", {
        "key": "reserve-data", "name": "Registry data", "description": "", "group": component.group_id,
        "position": component.position, "status": "operational", "showcase": "on", "translations": "{}",
    })

    assert Component.objects.get(pk=component.pk).name == "Registry data"
    assert ComponentStatusChange.objects.count() == 0


def test_an_outsider_is_sent_to_the_login_page(page, outsider):
    client = Client()
    client.force_login(outsider)

    for url in ("/admin/", LIST, ADD):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_an_outsider_cannot_post_an_incident(page, outsider):
    client = Client()
    client.force_login(outsider)

    client.post(ADD, incident_form(affected=pks("reserve-auth"), component_status="major_outage"))

    assert Incident.objects.count() == 0
    assert Component.objects.get(key="reserve-auth").status == "operational"


def test_an_anonymous_visitor_is_sent_to_the_login_page(page):
    response = Client().get(LIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_publishing_a_draft_with_the_admin_action_makes_it_public(page, console, oncall_user):
    draft = do_open_incident(name="Probe tripped", published=False,
                             components={Component.objects.get(key="reserve-data"): "major_outage"})
    assert Client().get("/api/v2/summary.json").json()["incidents"] == []

    response = console.post(LIST, {"action": "publish_drafts", "_selected_action": [draft.pk]})
    assert response["Location"] == f"/admin/statuspage/incident/{draft.pk}/publish/"
    assert Client().get("/api/v2/summary.json").json()["incidents"] == []  # not before the confirmation

    console.post(response["Location"])

    assert [i["id"] for i in Client().get("/api/v2/summary.json").json()["incidents"]] == [draft.pk]
    assert AuditLog.objects.filter(action="publish", object_id=draft.pk, actor=oncall_user).exists()


def test_ticking_published_in_the_form_leads_to_the_publish_confirmation(page, console):
    draft = do_open_incident(name="Probe tripped", published=False)

    response = post_update(console, draft, published="on")
    assert response["Location"] == f"/admin/statuspage/incident/{draft.pk}/publish/"
    assert Client().get("/api/v2/summary.json").json()["incidents"] == []

    console.post(response["Location"])

    assert [i["id"] for i in Client().get("/api/v2/summary.json").json()["incidents"]] == [draft.pk]


def test_the_timeline_cannot_be_edited_in_place(page, console):
    incident = open_incident(console, update_body="Original words.")
    update = incident.updates.get()

    data = incident_form(incident.name, incident)
    data["updates-0-body"] = "Rewritten history."
    console.post(f"/admin/statuspage/incident/{incident.pk}/change/", data)

    assert IncidentUpdate.objects.get(pk=update.pk).body == "Original words."


def test_it_schedules_a_maintenance_with_the_first_maintenance_status(page, console):
    maintenance = open_incident(console, name="Database upgrade", kind="maintenance",
                                scheduled_for_0="2030-01-01", scheduled_for_1="01:00:00",
                                scheduled_until_0="2030-01-01", scheduled_until_1="03:00:00",
                                affected=pks("reserve-data"), component_status="under_maintenance")

    assert maintenance.status == "scheduled"
    assert maintenance.updates.get().status == "scheduled"
    assert Component.objects.get(key="reserve-data").status == "operational"  # not started yet


def test_a_maintenance_needs_a_start_time(page, console):
    response = console.post(ADD, incident_form(name="Database upgrade", kind="maintenance"))

    assert "scheduled_for" in response.context["adminform"].form.errors
    assert Incident.objects.count() == 0


def test_a_message_typed_without_a_status_is_refused_not_thrown_away(page, console):
    incident = open_incident(console, update_status="identified", update_body="SMS provider is down.")

    response = post_update(console, incident, update_body="Fixed at 14:10.")

    assert response.status_code == 200  # the form again, with its error
    assert "Choose a status to post this update" in response.content.decode()
    assert incident.updates.count() == 1


def test_an_update_with_no_message_in_the_page_language_is_refused(page, console):
    incident = open_incident(console, update_status="identified", update_body="SMS provider is down.")

    empty = post_update(console, incident, update_status="monitoring")
    only_uk = post_update(console, incident, update_status="monitoring", update_body_uk="Виправлено.")

    for response in (empty, only_uk):
        assert "Write the update&#x27;s message here too" in response.content.decode()
    assert incident.updates.count() == 1


def test_the_console_keeps_the_api_s_transitions_and_asks_before_reopening(page, console):
    incident = open_incident(console, update_status="identified", update_body="SMS provider is down.")
    post_update(console, incident, update_status="resolved", update_body="Fixed.")

    twice = post_update(console, incident, update_status="resolved", update_body="Fixed, really.")
    reopened_silently = post_update(console, incident, update_status="investigating", update_body="Back.")
    assert "cannot become resolved" in twice.content.decode()
    assert 'To reopen it, tick "Reopen"' in reopened_silently.content.decode().replace("&quot;", '"')
    assert incident.updates.count() == 2

    reopened = post_update(console, incident, update_status="investigating", update_body="Back.", reopen="on")
    assert reopened.status_code == 302
    assert Incident.objects.get(pk=incident.pk).status == "investigating"
