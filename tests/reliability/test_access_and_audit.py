"""Who may write, how sign-in guessing is slowed, and that every change in the admin and
the API lands in the audit trail with who, when and what."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from probes.models import Probe
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import ApiToken, AuditLog, Component, Incident, WebhookSubscriber
from statuspage.services.incidents import do_open_incident
from tests.conftest import token_for

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PROBE = {"key": "reserve-login", "component": "reserve-auth", "interval": "30s",
         "steps": [{"name": "login", "request": {"method": "GET", "url": "https://reserve.example.org/health"}}]}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Dozens of sign-ins: the real hasher's 0.25 s each would be most of this file's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def console(oncall_user):
    client = Client()
    client.force_login(oncall_user)
    return client


@pytest.fixture
def allow_loopback_webhooks(settings):
    import ipaddress

    settings.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]


def sign_in(username, password, ip="203.0.113.7"):
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


# ---------------------------------------------------------------- who may write

@pytest.fixture
def webhook(page, oncall_user):
    return WebhookSubscriber.objects.create(url="http://127.0.0.1:9/hook", created_by=oncall_user)


WRITES = [
    ("post", "/api/v1/incidents/", {"name": "x"}),
    ("post", "/api/v1/incidents/{incident}/updates/", {"status": "resolved"}),
    ("patch", "/api/v1/components/reserve-auth/", {"status": "major_outage"}),
    ("post", "/api/v1/config/", {"components": []}),
    ("post", "/api/v1/webhooks/", {"url": "https://hooks.example.org/x"}),
    ("delete", "/api/v1/webhooks/{webhook}/", None),
    ("post", "/api/v1/webhooks/{webhook}/test/", None),
]


def attempt(client, method, url, payload, incident, webhook):
    return getattr(client, method)(url.format(incident=incident.pk, webhook=webhook.pk), payload, format="json")


@pytest.mark.parametrize("method, url, payload", WRITES)
def test_an_outsiders_token_changes_nothing_anywhere(outsider_api, webhook, method, url, payload):
    incident = do_open_incident(name="Login fails")
    before = AuditLog.objects.count()

    assert attempt(outsider_api, method, url, payload, incident, webhook).status_code == 403
    assert AuditLog.objects.count() == before
    assert Incident.objects.count() == 1 and WebhookSubscriber.objects.count() == 1


@pytest.mark.parametrize("method, url, payload", WRITES)
def test_an_expired_token_is_refused_everywhere(page, oncall_user, webhook, method, url, payload):
    token, key = ApiToken.issue(oncall_user)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert attempt(client, method, url, payload, do_open_incident(name="x"), webhook).status_code == 401


def test_a_deactivated_on_call_user_loses_the_console_and_the_api_at_once(page, oncall_user, console):
    key = token_for(oncall_user)
    assert console.get("/admin/statuspage/incident/").status_code == 200

    get_user_model().objects.filter(pk=oncall_user.pk).update(is_active=False)

    assert console.get("/admin/statuspage/incident/").status_code == 302  # back to the login page
    assert console.post("/api/v1/incidents/", {"name": "x"}, content_type="application/json").status_code in (401, 403)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.post("/api/v1/incidents/", {"name": "x"}, format="json").status_code == 401
    assert Incident.objects.count() == 0


def test_a_signed_in_user_who_is_not_on_call_cannot_write_through_the_api(page, outsider):
    client = Client()
    client.force_login(outsider)

    assert client.post("/api/v1/incidents/", {"name": "x"}, content_type="application/json").status_code == 403


# ---------------------------------------------------------------- sign-in throttle

def test_after_five_wrong_passwords_even_the_right_one_is_refused_for_a_while(oncall_user):
    for _ in range(5):
        assert sign_in("alice", "guess").status_code == 200  # the form again, with its error

    refused = sign_in("alice", "pw-alice")

    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in refused.client.session


def test_the_lock_is_for_that_user_from_that_address_only(oncall_user):
    for _ in range(5):
        sign_in("alice", "guess", ip="203.0.113.7")

    assert sign_in("alice", "pw-alice", ip="198.51.100.9").status_code == 302  # alice, elsewhere
    assert sign_in("bob", "whatever", ip="203.0.113.7").status_code == 200  # another name, checked


def test_a_good_sign_in_clears_the_count(oncall_user):
    for _ in range(4):
        sign_in("alice", "guess")
    assert sign_in("alice", "pw-alice").status_code == 302

    for _ in range(4):
        sign_in("alice", "guess")
    assert sign_in("alice", "pw-alice").status_code == 302


@override_settings(LOGIN_FAILURES_PER_IP=10)
def test_one_address_trying_many_names_is_stopped(oncall_user):
    for n in range(10):
        sign_in(f"user{n}", "guess")

    assert sign_in("alice", "pw-alice").status_code == 429


@override_settings(LOGIN_FAILURES_PER_USER=8)
def test_one_name_tried_from_many_addresses_is_stopped(oncall_user):
    for n in range(8):
        sign_in("alice", "guess", ip=f"198.51.100.{n}")

    assert sign_in("alice", "pw-alice", ip="192.0.2.1").status_code == 429


@override_settings(LOGIN_THROTTLE_WINDOW_S=1)
def test_the_lock_lifts_when_the_window_passes(oncall_user):
    for _ in range(5):
        sign_in("alice", "guess")
    assert sign_in("alice", "pw-alice").status_code == 429

    time.sleep(1.5)  # Redis expires keys by its own clock: a real wait, not a frozen one

    assert sign_in("alice", "pw-alice").status_code == 302


# ---------------------------------------------------------------- the audit trail

def audited(action, obj, via, user, since):
    """The one audit row for this change; it says who, when and what."""
    rows = AuditLog.objects.filter(action=action, object_type=obj._meta.model_name, object_id=str(obj.pk), via=via)
    assert rows.count() == 1, (action, obj, list(AuditLog.objects.values_list("via", "action", "object_type")))
    row = rows.get()
    assert (row.actor, row.actor_name) == (user, user.username)
    assert since <= row.at <= timezone.now()
    return row


def test_every_write_through_the_api_is_in_the_audit_trail(page, api, oncall_user, allow_loopback_webhooks):
    since = timezone.now()

    created = api.post("/api/v1/incidents/", {"name": "Login fails", "components": {"reserve-auth": "major_outage"}},
                       format="json").json()
    incident = Incident.objects.get(pk=created["id"])
    api.post(f"/api/v1/incidents/{incident.pk}/updates/", {"status": "identified", "body": "SMS provider."},
             format="json")
    api.patch("/api/v1/components/oneid-signin/", {"status": "degraded_performance"}, format="json")
    hook_id = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/hook"}, format="json").json()["id"]
    hook = WebhookSubscriber.objects.get(pk=hook_id)
    api.post(f"/api/v1/webhooks/{hook_id}/test/")
    api.delete(f"/api/v1/webhooks/{hook_id}/")
    api.post("/api/v1/config/", {"page": {"name": "Reserve+ status (renamed)"}}, format="json")

    assert audited("create", incident, "api", oncall_user, since).summary == "Login fails"
    assert audited("update", incident, "api", oncall_user, since).summary == "identified: SMS provider."
    status = audited("set_status", Component.objects.get(key="oneid-signin"), "api", oncall_user, since)
    assert status.changes == {"status": ["operational", "degraded_performance"]}
    assert audited("create", hook, "api", oncall_user, since).summary == "http://127.0.0.1:9/hook"
    audited("send_test_event", hook, "api", oncall_user, since)
    audited("delete", hook, "api", oncall_user, since)
    config = AuditLog.objects.get(action="apply_config", via="api")
    assert config.actor == oncall_user and "page: name" in config.summary


def change_form(console, url, **changes):
    """The admin form as the browser would post it: every field's current value, then the edits."""
    form = console.get(url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value in (None, False):
            continue
        data[name] = [str(v) for v in value] if isinstance(value, (list, tuple)) else (
            "on" if value is True else str(value))
    for formset in console.get(url).context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(n): management[n].value() for n in management.fields})
        for inline in formset.formset.forms:
            for name in inline.fields:
                value = inline[name].value()
                if value not in (None, False):
                    data[inline.add_prefix(name)] = str(value.pk if hasattr(value, "pk") else value)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_every_change_in_the_admin_is_in_the_audit_trail_with_old_and_new_values(page, console, oncall_user,
                                                                                   allow_loopback_webhooks):
    config, _ = validate({"probes": [PROBE]}, {"reserve-auth"})
    apply_config(config)
    probe = Probe.objects.get()
    component = Component.objects.get(key="reserve-data")
    draft = do_open_incident(name="Probe draft", published=False, via="probe")
    since = timezone.now()

    from tests.test_admin import open_incident, post_update

    incident = open_incident(console, update_status="investigating", update_body="Looking.")
    post_update(console, incident, update_status="identified", update_body="Found it.")
    url = f"/admin/statuspage/component/{component.pk}/change/"
    assert console.post(url, change_form(console, url, status="partial_outage")).status_code == 302
    assert console.post("/admin/statuspage/webhooksubscriber/add/", {
        "url": "http://127.0.0.1:9/hook", "format": "standard", "active": "on", "confirmed": "on"}).status_code == 200
    hook = WebhookSubscriber.objects.get()
    for action in ("reenable", "rotate_secret"):
        console.post("/admin/statuspage/webhooksubscriber/", {"action": action, "_selected_action": [hook.pk]})
    probe_url = f"/admin/probes/probe/{probe.pk}/change/"
    assert console.post(probe_url, change_form(console, probe_url, enabled=None)).status_code == 302
    console.post("/admin/probes/probe/", {"action": "run_now", "_selected_action": [probe.pk]})
    confirm = console.post("/admin/statuspage/incident/", {"action": "publish_drafts",
                                                            "_selected_action": [draft.pk]})
    console.post(confirm["Location"])  # the action leads to the confirmation page
    console.post(f"/admin/statuspage/webhooksubscriber/{hook.pk}/delete/", {"post": "yes"})

    assert audited("create", incident, "admin", oncall_user, since).summary == "Login fails"
    assert audited("update", incident, "admin", oncall_user, since).summary == "identified: Found it."
    change = audited("change", component, "admin", oncall_user, since)
    assert change.changes["fields"] == {"status": ["operational", "partial_outage"]}
    assert audited("add", hook, "admin", oncall_user, since).summary == "http://127.0.0.1:9/hook"
    audited("reenable", hook, "admin", oncall_user, since)
    audited("rotate_secret", hook, "admin", oncall_user, since)
    assert audited("change", probe, "admin", oncall_user, since).changes["fields"] == {"enabled": [True, False]}
    audited("run_now", probe, "admin", oncall_user, since)
    audited("publish", draft, "admin", oncall_user, since)
    audited("delete", hook, "admin", oncall_user, since)
    assert not AuditLog.objects.filter(at__gte=since).exclude(actor=oncall_user).exists()
    assert "whsec_" not in str(list(AuditLog.objects.values_list("summary", "changes")))
