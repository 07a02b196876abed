"""Roles: a responder runs an incident; only an admin applies or prunes the config, deletes,
sees subscribers and others' tokens. One mechanism, user.has_perm, in the API and the admin."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from probes.models import Probe, ProbeRun
from statuspage.models import ApiToken, AuditLog, Component, Incident, WebhookSubscriber
from statuspage.oncall import role_group
from statuspage.roles import sync_role_groups
from statuspage.services.incidents import do_open_incident
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


def make_user(name, role):
    user = get_user_model().objects.create_user(name, password=f"pw-{name}", is_staff=True)
    user.groups.add(role_group(role))
    return user


@pytest.fixture
def responder(db):
    return make_user("rita", "responder")


@pytest.fixture
def admin_user(db):
    return make_user("adam", "admin")


def api_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def console_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("query", ["", "?prune=1", "?dry_run=1"])
def test_a_responder_token_cannot_apply_or_prune_the_config(page, page_config, responder, query):
    response = api_for(responder).post(f"/api/v1/config/{query}", page_config, format="json")

    assert response.status_code == 403
    assert "needs the admin role" in response.json()["detail"]
    assert "statuspage.apply_config" in response.json()["detail"]
    assert Component.objects.count() == 3


def test_an_admin_token_applies_and_prunes_the_config(page, page_config, admin_user):
    page_config["components"] = page_config["components"][:2]

    response = api_for(admin_user).post("/api/v1/config/?prune=1", page_config, format="json")

    assert response.status_code == 200
    assert not Component.objects.filter(key="oneid-signin").exists()


def test_a_responder_runs_an_incident_through_the_api(page, responder):
    api = api_for(responder)

    created = api.post("/api/v1/incidents/", {"name": "Sign-in fails"}, format="json")
    updated = api.post(f"/api/v1/incidents/{created.json()['id']}/updates/",
                       {"status": "identified", "body": "The identity provider is down."}, format="json")
    status = api.patch("/api/v1/components/oneid-signin/", {"status": "major_outage"}, format="json")

    assert (created.status_code, updated.status_code, status.status_code) == (201, 201, 200)


def test_a_method_nobody_may_use_is_a_405_for_a_responder_too_not_a_403(page, responder):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(responder)}")

    assert client.put("/api/v1/incidents/nope/", {}, format="json").status_code == 405
    assert client.delete("/api/v1/components/reserve-auth/").status_code == 405


def test_a_responder_token_cannot_read_or_manage_subscriber_webhooks(page, responder, admin_user):
    webhook = WebhookSubscriber.objects.create(url="https://hooks.example.org/x")
    api = api_for(responder)

    assert api.get("/api/v1/webhooks/").status_code == 403
    assert api.post("/api/v1/webhooks/", {"url": "https://hooks.example.org/y"}, format="json").status_code == 403
    assert api.delete(f"/api/v1/webhooks/{webhook.pk}/").status_code == 403
    assert WebhookSubscriber.objects.count() == 1
    assert api_for(admin_user).get("/api/v1/webhooks/").status_code == 200


def test_a_responder_holds_no_delete_permission_and_cannot_apply_config(responder):
    perms = set(role_group("responder").permissions.values_list("codename", flat=True))

    assert perms and not {p for p in perms if p.startswith("delete_")}
    assert not responder.has_perm("statuspage.delete_incident")
    assert not responder.has_perm("statuspage.apply_config")
    assert not responder.has_perm("statuspage.view_emailsubscriber")
    assert responder.has_perm("statuspage.change_incident") and responder.has_perm("probes.change_probe")


def test_an_admin_holds_every_permission_of_the_page_and_the_probes(admin_user):
    assert admin_user.has_perm("statuspage.delete_incident") and admin_user.has_perm("statuspage.apply_config")
    assert admin_user.has_perm("probes.delete_proberun") and admin_user.has_perm("auth.change_user")


def test_syncing_the_groups_twice_changes_nothing_and_grants_a_model_added_later(db):
    sync_role_groups(Group, Permission)
    before = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    sync_role_groups(Group, Permission)
    assert {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()} == before

    responder = set(role_group("responder").permissions.values_list("codename", flat=True))
    assert {"add_incidenttemplate", "change_incidenttemplate", "view_incidenttemplate"} <= responder
    assert "delete_incidenttemplate" not in responder

    # A model added later: its permissions appear after a migrate, and the same rules grant them.
    kind = ContentType.objects.create(app_label="probes", model="runbook")
    for action in ("add", "change", "delete", "view"):
        Permission.objects.create(content_type=kind, codename=f"{action}_runbook", name=action)
    sync_role_groups(Group, Permission)

    assert "view_runbook" in role_group("responder").permissions.values_list("codename", flat=True)
    assert "delete_runbook" not in role_group("responder").permissions.values_list("codename", flat=True)
    assert role_group("admin").permissions.filter(codename="delete_runbook").exists()


# ------------------------------------------------------------------------- the admin


def test_a_responder_cannot_delete_an_incident_in_the_admin_but_an_admin_can(page, responder, admin_user):
    incident = do_open_incident(name="Wrong deferral shown")
    path = f"/admin/statuspage/incident/{incident.pk}/delete/"

    assert console_for(responder).post(path, {"post": "yes"}).status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert console_for(admin_user).get(path).status_code == 200


def test_a_responder_sets_a_component_s_status_in_the_admin_but_cannot_rename_or_rekey_it(page, responder):
    component = Component.objects.create(key="oneid-sms", name="SMS codes", position=3)
    path = f"/admin/statuspage/component/{component.pk}/change/"
    console = console_for(responder)

    form = console.get(path).content.decode()
    response = console.post(path, {"status": "major_outage", "key": "oneid-sms-renamed", "name": "Renamed",
                                   "name_uk": "Перейменовано", "position": 99})

    assert 'name="status"' in form and 'name="key"' not in form and 'name="name_uk"' not in form
    assert response.status_code == 302
    component.refresh_from_db()
    assert (component.key, component.name, component.position, component.translations) == \
        ("oneid-sms", "SMS codes", 3, {})
    assert component.status == "major_outage"


def test_a_responder_sees_no_subscribers_and_revokes_no_token(page, responder):
    token, _ = ApiToken.issue(responder)
    console = console_for(responder)

    assert console.get("/admin/statuspage/emailsubscriber/").status_code == 403
    assert console.post(f"/admin/statuspage/apitoken/{token.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_deleting_probe_runs_is_for_admins_and_each_delete_is_audited(page, responder, admin_user):
    probe = Probe.objects.create(key="oneid-login", component=Component.objects.get(key="oneid-signin"),
                                 definition={"interval_ms": 60000})
    now = timezone.now()
    runs = [ProbeRun.objects.create(probe=probe, region="local", scheduled_for=now - timezone.timedelta(minutes=n),
                                    started_at=now, ok=False, duration_ms=10) for n in range(2)]
    action = {"action": "delete_selected", "_selected_action": [r.pk for r in runs], "post": "yes"}

    console_for(responder).post("/admin/probes/proberun/", action)
    assert ProbeRun.objects.count() == 2

    assert console_for(admin_user).post("/admin/probes/proberun/", action).status_code == 302
    assert ProbeRun.objects.count() == 0
    audited = AuditLog.objects.filter(action="delete", object_type="proberun")
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(str(r.pk) for r in runs)
    assert {a.actor_name for a in audited} == {"adam"}


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_members_of_the_old_on_call_group_admins():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("statuspage", "0008_h13api_idempotency_keys")]
    after = [("statuspage", "0009_h13oncall_roles")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    user = old_apps.get_model("auth", "User").objects.create(username="olena", is_staff=True)
    old_apps.get_model("auth", "Group").objects.get_or_create(name="On-call")[0].user_set.add(user)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)

    olena = get_user_model().objects.get(username="olena")
    assert list(olena.groups.values_list("name", flat=True)) == ["admin"]
    assert not Group.objects.filter(name="On-call").exists()
    assert olena.has_perm("statuspage.apply_config")


def test_user_changes_in_the_admin_are_audited_without_the_password(page, admin_user, responder):
    console = console_for(admin_user)

    console.post(f"/admin/auth/user/{responder.pk}/password/", {"password1": "Zx9-long-secret-pass",
                                                               "password2": "Zx9-long-secret-pass"})
    console.post(f"/admin/auth/user/{responder.pk}/delete/", {"post": "yes"})

    rows = AuditLog.objects.filter(object_type="user", object_id=str(responder.pk)).order_by("at")
    assert [r.action for r in rows] == ["change", "delete"]
    assert "Zx9-long-secret-pass" not in str(list(rows.values()))


def test_an_admin_who_is_not_a_superuser_cannot_make_one(page, admin_user, responder):
    form = console_for(admin_user).get(f"/admin/auth/user/{responder.pk}/change/").context["adminform"].form

    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields


@pytest.mark.parametrize("path, code", [
    ("/admin/", 200), ("/admin/statuspage/incident/add/", 200), ("/admin/probes/probe/", 200),
    ("/admin/statuspage/auditlog/", 200), ("/admin/statuspage/oncallcontact/add/", 200),
    ("/admin/statuspage/pagesettings/1/change/", 200),  # read only: it comes from the config
    ("/admin/statuspage/webhooksubscriber/", 403), ("/admin/statuspage/delivery/", 403),
    ("/admin/statuspage/outboxevent/", 403), ("/admin/auth/user/", 403),
])
def test_a_responders_console_has_what_an_incident_needs_and_nothing_more(page, responder, path, code):
    assert console_for(responder).get(path).status_code == code


def test_a_responder_cannot_change_the_page_settings_in_the_console(page, responder):
    response = console_for(responder).post("/admin/statuspage/pagesettings/1/change/", {"name": "Hijacked"})

    assert response.status_code == 403
