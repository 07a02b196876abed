"""On-call alerts are not lost: a refused or unreachable channel is retried, the broker
being down only delays them, and the console checks where alerts may go."""

import ipaddress
import json
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone

from statuspage.delivery_tasks import alert_when_committed, send_oncall_alert
from statuspage.models import OnCallContact, OutboxEvent
from statuspage.notify.oncall_alerts import AlertNotDelivered, queue_oncall_alert, send_queued_alert
from statuspage.oncall import set_role
from statuspage.services.incidents import do_open_incident
from statuspage.webhooks.dispatch import sweep
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.fixture
def alice(oncall_user):
    oncall_user.email = "alice@example.org"
    oncall_user.save()
    return oncall_user


@pytest.fixture
def incident(page):
    return do_open_incident(name="Sign-in fails", published=False, probe_key="oneid-login")


def alert_oncall(incident_id):
    """Queue an alert and send it as the task does: the outbox row remembers who was told."""
    return send_queued_alert(queue_oncall_alert(incident_id, "oneid-login"))


def test_a_receiver_refusing_the_alert_raises_after_the_others_are_told(incident, alice, loopback_allowed):
    with Receiver(replies=[(500, {})]) as receiver:
        OnCallContact.objects.create(user=alice, alert_webhook_url=receiver.url)
        event_id = queue_oncall_alert(incident.pk, "oneid-login")
        with pytest.raises(AlertNotDelivered, match="HTTP 500"):
            send_queued_alert(event_id)

        assert OutboxEvent.objects.get(pk=event_id).data["told"] == [f"email:{alice.pk}"]
        assert len(mail.outbox) == 1  # the email went anyway
        assert send_queued_alert(event_id) == 1  # the retry: only the webhook

    assert len(receiver.requests) == 2 and len(mail.outbox) == 1


@pytest.mark.parametrize("reply", [(302, {"location": "http://127.0.0.1:9/"}), (404, {})])
def test_a_redirect_or_an_error_is_not_delivered(incident, alice, loopback_allowed, reply):
    with Receiver(replies=[reply]) as receiver:
        OnCallContact.objects.create(user=alice, alert_webhook_url=receiver.url, alert_by_email=False)
        with pytest.raises(AlertNotDelivered, match=f"HTTP {reply[0]}"):
            alert_oncall(incident.pk)


def test_an_unreachable_receiver_raises(incident, alice, loopback_allowed):
    with Receiver() as receiver:
        url = receiver.url  # closed when the block ends
    OnCallContact.objects.create(user=alice, alert_webhook_url=url, alert_by_email=False)

    with pytest.raises(AlertNotDelivered):
        alert_oncall(incident.pk)


def test_alerts_go_through_the_ssrf_guard(incident, alice):
    OnCallContact.objects.create(user=alice, alert_webhook_url="http://127.0.0.1:9/hook", alert_by_email=False)

    with pytest.raises(AlertNotDelivered, match="loopback"):  # not allowed by WEBHOOK_ALLOWED_NETWORKS here
        alert_oncall(incident.pk)


def test_the_task_retries_until_the_receiver_takes_it_and_emails_once(incident, alice, loopback_allowed):
    with Receiver(replies=[(503, {}), (500, {})]) as receiver:
        OnCallContact.objects.create(user=alice, alert_webhook_url=receiver.url)
        event_id = queue_oncall_alert(incident.pk, "oneid-login")
        result = send_oncall_alert.apply(args=[event_id])  # retries run eagerly here

    assert result.successful() and result.result == 1
    assert [json.loads(r.body)["incident_id"] for r in receiver.requests] == [incident.pk] * 3
    assert len(mail.outbox) == 1
    event = OutboxEvent.objects.get(type="oncall.alert")
    assert event.fanned_out_at is not None and (event.data["tries"], event.data["error"]) == (3, None)


def test_a_queued_alert_survives_a_broker_that_is_down(incident, alice, loopback_allowed,
                                                      django_capture_on_commit_callbacks):
    down = mock.patch.object(send_oncall_alert, "delay", side_effect=OSError("broker down"))
    with Receiver() as receiver:
        OnCallContact.objects.create(user=alice, alert_webhook_url=receiver.url)
        with down as delay, django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            event_id = alert_when_committed(incident.pk, "oneid-login")  # in the incident's transaction
        assert delay.call_args == mock.call(event_id) and receiver.requests == []  # the task was lost

        sweep()
        assert receiver.requests == []  # a task may still be on its way
        OutboxEvent.objects.filter(pk=event_id).update(created_at=timezone.now() - timezone.timedelta(minutes=6))
        sweep()

    assert len(receiver.requests) == 1 and len(mail.outbox) == 1
    assert OutboxEvent.objects.get(pk=event_id).fanned_out_at is not None
    sweep()
    assert len(receiver.requests) == 1  # sent once


def test_an_alert_is_never_sent_to_subscribers(incident, alice, api, loopback_allowed):
    from statuspage.models import Delivery
    from statuspage.webhooks.dispatch import fan_out

    with Receiver() as receiver:
        api.post("/api/v1/webhooks/", {"url": receiver.url}, format="json")
        event_id = queue_oncall_alert(incident.pk, "oneid-login")

        assert fan_out(event_id) == []
    assert not Delivery.objects.filter(event_id=event_id).exists()


def test_the_sweep_gives_up_on_an_alert_hours_old(incident, alice, loopback_allowed):
    OnCallContact.objects.create(user=alice, alert_webhook_url="http://127.0.0.1:9/hook")
    event_id = queue_oncall_alert(incident.pk, "oneid-login")
    OutboxEvent.objects.filter(pk=event_id).update(created_at=timezone.now() - timezone.timedelta(hours=7))

    sweep()

    event = OutboxEvent.objects.get(pk=event_id)
    assert event.fanned_out_at is not None and event.data["gave_up"] is True
    assert mail.outbox == []


def test_a_retry_sent_by_the_sweep_waits_for_the_tasks_own_retries(incident, alice, loopback_allowed):
    with Receiver(replies=[(500, {})]) as receiver:
        OnCallContact.objects.create(user=alice, alert_webhook_url=receiver.url, alert_by_email=False)
        event_id = queue_oncall_alert(incident.pk, "oneid-login")
        OutboxEvent.objects.filter(pk=event_id).update(created_at=timezone.now() - timezone.timedelta(minutes=6))
        with pytest.raises(AlertNotDelivered):
            send_queued_alert(event_id)  # the task's try, just now

        sweep()
        assert len(receiver.requests) == 1  # tried moments ago: left to the task
    assert OutboxEvent.objects.get(pk=event_id).data["error"] == f"webhook:{alice.pk}: HTTP 500"


# ---------------------------------------------------------------------------- the console


@pytest.fixture
def console(alice):
    client = Client()
    client.force_login(alice)
    return client


ADD = "/admin/statuspage/oncallcontact/add/"


def test_the_console_refuses_an_alert_webhook_to_a_private_address(page, console, alice):
    response = console.post(ADD, {"user": alice.pk, "alert_webhook_url": "http://169.254.169.254/latest",
                                  "alert_by_email": "on"})

    assert response.status_code == 200
    assert "alert_webhook_url" in response.context["adminform"].form.errors
    assert not OnCallContact.objects.exists()


def test_a_responder_sets_only_their_own_contact(page, console, alice):
    set_role(alice, "responder")
    bob = get_user_model().objects.create_user("bob", email="bob@example.org", is_staff=True)

    refused = console.post(ADD, {"user": bob.pk, "alert_webhook_url": "", "alert_by_email": "on",
                                 "webhook_format": "chat"})
    assert refused.status_code == 200 and "user" in refused.context["adminform"].form.errors
    assert list(refused.context["adminform"].form.fields["user"].queryset) == [alice]

    assert console.post(ADD, {"user": alice.pk, "alert_webhook_url": "", "alert_by_email": "on",
                              "webhook_format": "chat"}).status_code == 302
    assert OnCallContact.objects.get().user == alice
