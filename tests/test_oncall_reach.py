"""Alerts that reach someone: `oncall add --email/--webhook` and its warning, `oncall test`,
signed and chat webhooks to real loopback receivers, the alert's content and language, the
console's banner while nobody can be reached, and a user setting their own contact."""

import ipaddress
import json
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from standardwebhooks import Webhook

from probes.models import Probe
from statuspage.models import AuditLog, Component, OnCallContact, OutboxEvent, PageSettings
from statuspage.notify.alert_texts import KINDS, render
from statuspage.notify.oncall_alerts import queue_oncall_alert, send_queued_alert
from statuspage.oncall import set_role
from statuspage.services.incidents import do_open_incident
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db

FAILURE = {"step": "read the deferral", "expectation": "$.deferral.until to equal '…'",
           "seen": "$.deferral.until = 2…5 (10 characters)", "message": "Step 'read the deferral' failed"}


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]


def oncall(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("oncall", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def tripped(page):
    """A probe's draft incident and its queued alert."""
    component = Component.objects.get(key="reserve-data")
    probe = Probe.objects.create(key="reserve-deferral", component=component, definition={"interval_ms": 60000})
    incident = do_open_incident(name="Registration data: a wrong deferral shown", published=False,
                                probe_key=probe.key)
    return incident, probe, queue_oncall_alert(incident.pk, probe.key, failure=FAILURE,
                                               component=component.key, probe_id=probe.pk)


# ----------------------------------------------------------------------- oncall add


def test_adding_a_user_without_email_or_webhook_warns_that_nobody_will_be_alerted(page):
    out, err = oncall("add", "bob")

    assert "WARNING: bob has no email and no webhook: they will not be alerted" in err
    assert "alerts:" not in out


def test_adding_with_an_email_says_where_alerts_go_and_does_not_warn(page):
    out, err = oncall("add", "bob", "--email", "bob@example.org", "--language", "uk")

    assert "alerts: email bob@example.org" in out and err == ""
    contact = OnCallContact.objects.get(user__username="bob")
    assert contact.user.email == "bob@example.org" and contact.language == "uk"


def test_adding_an_admin_with_a_signed_webhook_prints_its_secret(page, loopback_allowed):
    out, _ = oncall("add", "carol", "--role", "admin", "--webhook", "http://127.0.0.1:9/hook",
                    "--webhook-format", "signed")

    contact = OnCallContact.objects.get(user__username="carol")
    assert "(role admin)" in out and contact.webhook_format == "signed"
    assert f"webhook secret (verify the webhook-signature header): {contact.webhook_secret}" in out


@pytest.mark.parametrize("args, error", [
    (["--webhook", "http://169.254.169.254/latest"], "--webhook: "),
    (["--email", "not an address"], "--email: 'not an address' is not an email address"),
    (["--role", "root"], "invalid choice: 'root'"),
])
def test_adding_refuses_a_private_webhook_a_bad_address_or_an_unknown_role(page, args, error):
    with pytest.raises(CommandError, match=re.escape(error)):
        oncall("add", "bob", *args)
    assert not OnCallContact.objects.exists()


# ----------------------------------------------------------------------- oncall test


def test_oncall_test_sends_an_email_through_the_configured_backend(page, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    oncall("add", "bob", "--email", "bob@example.org")

    out, _ = oncall("test", "bob")

    sent = capsys.readouterr().out  # the console backend writes the message to stdout
    assert "test alert sent: email bob@example.org" in out
    assert "Subject: [on-call] Test alert for bob" in sent and "To: bob@example.org" in sent
    assert AuditLog.objects.filter(action="oncall_test", summary="bob").exists()


def test_oncall_test_says_which_channel_failed(page, loopback_allowed):
    with Receiver(replies=[(500, {})]) as receiver:
        oncall("add", "bob", "--email", "bob@example.org", "--webhook", receiver.url)
        with pytest.raises(CommandError, match="1 channel"):
            call_command("oncall", "test", "bob", stdout=StringIO(), stderr=(err := StringIO()))

    assert f"test alert NOT delivered: webhook {receiver.url}: HTTP 500" in err.getvalue()
    assert len(mail.outbox) == 1  # the email went anyway


def test_oncall_test_for_someone_with_no_contact_is_an_error(page, outsider):
    set_role(outsider, "responder")

    with pytest.raises(CommandError, match="no email and no webhook"):
        oncall("test", "mallory")


# ----------------------------------------------------------------------- the alerts


def test_a_signed_alert_verifies_with_the_contacts_secret_and_says_what_failed(tripped, oncall_user,
                                                                             loopback_allowed):
    incident, probe, event_id = tripped
    with Receiver() as receiver:
        contact = OnCallContact.objects.create(user=oncall_user, alert_webhook_url=receiver.url,
                                               webhook_format="signed", alert_by_email=False)
        assert send_queued_alert(event_id) == 1

    request = receiver.requests[0]
    alert = Webhook(contact.webhook_secret).verify(request.body, request.headers)  # raises if forged
    assert alert["kind"] == "tripped" and alert["subject"].startswith("[on-call] Tripped: Registration data")
    assert (alert["step"], alert["expected"], alert["seen"]) == (
        FAILURE["step"], FAILURE["expectation"], FAILURE["seen"])
    assert alert["admin_url"] == f"https://status.example.org/admin/statuspage/incident/{incident.pk}/change/"
    assert alert["probe_url"] == f"https://status.example.org/admin/probes/probe/{probe.pk}/change/"
    with pytest.raises(Exception, match="signature"):
        Webhook(contact.webhook_secret).verify(request.body.replace(b"Tripped", b"Tipped"), request.headers)


def test_a_chat_alert_is_text_that_slack_mattermost_and_rocket_chat_show(tripped, oncall_user, loopback_allowed):
    incident, probe, event_id = tripped
    with Receiver() as receiver:
        OnCallContact.objects.create(user=oncall_user, alert_webhook_url=receiver.url, alert_by_email=False)
        send_queued_alert(event_id)

    request = receiver.requests[0]
    text = json.loads(request.body)["text"]
    assert "webhook-signature" not in request.headers
    assert text.splitlines()[0] == "[on-call] Tripped: Registration data — probe reserve-deferral"
    for line in ["The incident is a DRAFT: publish or discard it.", "Component: Registration data",
                 "Probe: reserve-deferral", f"Failing step: {FAILURE['step']}", f"Expected: {FAILURE['expectation']}",
                 f"Seen: {FAILURE['seen']}", f"Probe in the console: https://status.example.org/admin/probes/probe/"
                 f"{probe.pk}/change/"]:
        assert line in text.splitlines()
    assert re.search(r"^Since: \d{4}-\d\d-\d\d \d\d:\d\d UTC$", text, re.MULTILINE)


def test_an_alert_is_in_the_users_language(tripped, oncall_user):
    _, _, event_id = tripped
    oncall_user.email = "alice@example.org"
    oncall_user.save()
    OnCallContact.objects.create(user=oncall_user, language="uk")

    send_queued_alert(event_id)

    message = mail.outbox[0]
    assert message.subject.startswith("[on-call] Спрацювала перевірка: ")
    assert "Крок, що не пройшов: read the deferral" in message.body


def test_a_test_alert_names_the_page_in_the_user_s_language(page):
    page = PageSettings.load()
    page.name, page.translations = "Резерв+ · стан сервісів", {"uz-latn": {"name": "Rezerv+ · xizmatlar holati"}}

    alert = render({"what": "test", "user": "olena"}, "uz-latn", page)

    assert "Rezerv+ · xizmatlar holati" in alert.text and "стан" not in alert.text


def test_every_kind_of_alert_has_its_own_subject(tripped):
    incident, probe, _ = tripped
    data = {"incident_id": incident.pk, "probe": probe.key, "component": "reserve-data", "failure": FAILURE}
    subjects = {render({**data, "what": kind}, "en", PageSettings.load()).subject
                for kind in ("tripped", "review", "retripped", "recovered", "resolved", "test")}
    subjects |= {render({"monitoring": kind, "since": "2026-12-03T06:00:00+00:00", "stale": ["beat"]}, "en",
                        PageSettings.load()).subject for kind in ("blind", "recovered")}

    assert len(subjects) == len(KINDS)


# ----------------------------------------------------------------------- the console


def test_every_admin_page_says_so_while_nobody_can_be_reached(page, oncall_user):
    console = Client()
    console.force_login(oncall_user)
    pages = ["/admin/", "/admin/statuspage/incident/"]

    assert all('id="oncall-unreachable"' in console.get(p).content.decode() for p in pages)
    oncall_user.email = "alice@example.org"
    oncall_user.save()
    assert not any('id="oncall-unreachable"' in console.get(p).content.decode() for p in pages)


def test_a_responder_sets_their_own_email_and_webhook_in_the_console(page, oncall_user, loopback_allowed):
    set_role(oncall_user, "responder")
    console = Client()
    console.force_login(oncall_user)

    response = console.post("/admin/statuspage/oncallcontact/add/", {
        "user": oncall_user.pk, "email": "alice@example.org", "alert_by_email": "on",
        "alert_webhook_url": "http://127.0.0.1:9/hook", "webhook_format": "signed", "language": "ru"})

    assert response.status_code == 302
    oncall_user.refresh_from_db()
    assert oncall_user.email == "alice@example.org"
    assert AuditLog.objects.filter(action="change", object_type="user", summary="email of alice").exists()
    contact = OnCallContact.objects.get(user=oncall_user)
    shown = console.get(f"/admin/statuspage/oncallcontact/{contact.pk}/change/").content.decode()
    assert contact.webhook_secret in shown


def test_a_responder_does_not_see_anyone_elses_contact(page, oncall_user, outsider):
    set_role(oncall_user, "responder")
    theirs = OnCallContact.objects.create(user=outsider, alert_webhook_url="https://hooks.example.org/m")
    console = Client()
    console.force_login(oncall_user)

    assert "hooks.example.org" not in console.get("/admin/statuspage/oncallcontact/").content.decode()
    assert console.get(f"/admin/statuspage/oncallcontact/{theirs.pk}/change/").status_code == 302  # "not found"


def test_the_console_sends_a_test_alert_to_the_chosen_contacts(page, oncall_user):
    oncall_user.email = "alice@example.org"
    oncall_user.save()
    contact = OnCallContact.objects.create(user=oncall_user)
    console = Client()
    console.force_login(oncall_user)

    console.post("/admin/statuspage/oncallcontact/", {"action": "send_test_alert",
                                                      "_selected_action": [contact.pk]})

    assert [m.subject for m in mail.outbox] == ["[on-call] Test alert for alice"]
    assert OutboxEvent.objects.count() == 0  # a test goes out now, not through the outbox
