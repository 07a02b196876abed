"""Webhook and email subscribers: signed, filtered, retried, disabled, never lost."""

import ipaddress
import json

import feedparser
import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from statuspage.models import Component, Delivery, EmailSubscriber, Incident, OutboxEvent, WebhookSubscriber
from statuspage.webhooks.dispatch import deliver, fan_out, sweep
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db
LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = LOOPBACK


def subscribe(api, url, **extra):
    response = api.post("/api/v1/webhooks/", {"url": url, **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def deliver_all():
    for event_id in OutboxEvent.objects.filter(fanned_out_at__isnull=True).values_list("pk", flat=True):
        fan_out(event_id)
    deliver()


def open_incident(key="reserve-data", status="major_outage"):
    return Incident.open_new(name="False deferral shown", body="We are *correcting* it.",
                             components={Component.objects.get(key=key): status})


def test_it_signs_events_so_standardwebhooks_verifies_them(page, api, loopback_allowed):
    with Receiver() as receiver:
        hook = subscribe(api, receiver.url)
        assert hook["secret"].startswith("whsec_")
        incident = open_incident()
        deliver_all()

    types = []
    for request in receiver.requests:
        payload = Webhook(hook["secret"]).verify(request.body, request.headers)
        types.append(payload["type"])
        assert set(payload) == {"type", "timestamp", "data"}
        assert payload["data"]["page"]["name"] == "Reserve+ status"
    assert sorted(types) == ["component.status_changed", "incident.created"]
    created = next(json.loads(r.body) for r in receiver.requests if b"incident.created" in r.body)
    assert created["data"]["incident"]["id"] == incident.pk
    assert created["data"]["incident"]["incident_updates"][0]["affected_components"][0]["new_status"] == "major_outage"


def test_feeds_and_the_v2_api_show_the_incident_the_webhook_carried(page, api, loopback_allowed):
    with Receiver() as receiver:
        subscribe(api, receiver.url)
        incident = open_incident()
        deliver_all()

    carried = next(json.loads(r.body) for r in receiver.requests if b"incident.created" in r.body)
    carried_id = carried["data"]["incident"]["id"]
    assert Client().get("/api/v2/incidents/unresolved.json").json()["incidents"][0]["id"] == carried_id
    feed = feedparser.parse(Client().get("/history.atom").content)
    assert feed.entries[0].link.endswith(f"/incidents/{carried_id}#update-{incident.updates.get().id}")


def test_a_receiver_answering_500_then_200_gets_the_same_webhook_id_twice(page, api, loopback_allowed):
    with Receiver(replies=[(500, {})]) as receiver:
        subscribe(api, receiver.url, components=["oneid-signin"])
        Incident.open_new(name="SSO down")  # no components: every subscriber gets it
        deliver_all()
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        assert delivery.next_attempt_at > timezone.now()

        Delivery.objects.update(next_attempt_at=timezone.now())  # the retry is due
        deliver()

    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == 2 and ids[0] == ids[1]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert list(delivery.log.values_list("status_code", flat=True)) == [204, 500]


def test_retry_after_is_honoured(page, api, loopback_allowed):
    with Receiver(replies=[(503, {"Retry-After": "7200"})]) as receiver:
        subscribe(api, receiver.url)
        Incident.open_new(name="x")
        deliver_all()

    delay = (Delivery.objects.get().next_attempt_at - timezone.now()).total_seconds()
    assert 7000 < delay <= 7200


def test_a_receiver_answering_410_is_disabled_and_its_owner_told(page, api, loopback_allowed, oncall_user):
    oncall_user.email = "alice@example.org"
    oncall_user.save()
    with Receiver(replies=[(410, {})]) as receiver:
        hook = subscribe(api, receiver.url)
        Incident.open_new(name="x")
        deliver_all()

    webhook = WebhookSubscriber.objects.get(pk=hook["id"])
    assert not webhook.active and "410" in webhook.disabled_reason
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    open_incident()
    deliver_all()
    assert len(receiver.requests) == 1


def test_a_subscriber_failing_for_three_days_is_disabled(page, api, loopback_allowed):
    with Receiver(replies=[(500, {})]) as receiver:
        hook = subscribe(api, receiver.url)
        WebhookSubscriber.objects.update(failing_since=timezone.now() - timezone.timedelta(days=3, minutes=1))
        Incident.open_new(name="x")
        deliver_all()

    assert not WebhookSubscriber.objects.get(pk=hook["id"]).active
    assert receiver.requests


def test_a_subscriber_gets_only_its_components(page, api, loopback_allowed):
    with Receiver() as receiver:
        subscribe(api, receiver.url, components=["oneid-signin"])
        open_incident("reserve-data")
        deliver_all()
        assert receiver.requests == []

        open_incident("oneid-signin")
        deliver_all()

    assert {json.loads(r.body)["type"] for r in receiver.requests} == {"incident.created", "component.status_changed"}


def test_statuspage_format_sends_statuspages_own_bodies(page, api, loopback_allowed):
    with Receiver() as receiver:
        hook = subscribe(api, receiver.url, format="statuspage")
        open_incident()
        deliver_all()

    bodies = [Webhook(hook["secret"]).verify(r.body, r.headers) for r in receiver.requests]
    incident = next(b for b in bodies if "incident" in b)
    assert set(incident) == {"meta", "page", "incident"}
    assert incident["page"]["status_indicator"] == "critical"
    assert {b["page"]["verify_url"] for b in bodies} == {"https://status.example.org/.well-known/statuspage.json"}
    assert incident["incident"]["incident_updates"][0]["affected_components"][0] == {
        "code": "reserve-data", "name": "Registration data", "old_status": "operational", "new_status": "major_outage"}
    component = next(b for b in bodies if "component" in b)
    assert component["component_update"]["old_status"] == "operational"
    assert component["component_update"]["new_status"] == "major_outage"
    assert component["component"]["id"] == "reserve-data"


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data", "http://127.0.0.1:9/hook",
                                 "http://localhost/hook", "http://10.0.0.1/hook", "http://[::ffff:127.0.0.1]/hook",
                                 "ftp://example.org/hook"])
def test_it_refuses_webhooks_to_private_addresses(page, api, url):
    response = api.post("/api/v1/webhooks/", {"url": url}, format="json")

    assert response.status_code == 400
    assert "url" in response.json()
    assert WebhookSubscriber.objects.count() == 0


def test_it_refuses_delivery_if_the_address_became_private(page, api, loopback_allowed, settings):
    with Receiver() as receiver:
        subscribe(api, receiver.url)
        settings.WEBHOOK_ALLOWED_NETWORKS = []  # e.g. DNS now points inside
        Incident.open_new(name="x")
        deliver_all()

    assert receiver.requests == []
    assert "loopback" in Delivery.objects.get().last_error


def test_a_lost_fan_out_is_swept_and_delivered(page, api, loopback_allowed):
    with Receiver() as receiver:
        subscribe(api, receiver.url)
        Incident.open_new(name="x")  # its fan-out task was never run (broker lost it)
        OutboxEvent.objects.update(created_at=timezone.now() - timezone.timedelta(minutes=1))
        sweep()

    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["incident.created"]


def test_the_api_lists_deletes_and_shows_the_delivery_log(page, api, loopback_allowed):
    with Receiver() as receiver:
        hook = subscribe(api, receiver.url, description="news desk")
        Incident.open_new(name="x")
        deliver_all()

    listed = api.get("/api/v1/webhooks/").json()["webhooks"]
    assert [(w["id"], w["description"]) for w in listed] == [(hook["id"], "news desk")]
    assert "secret" not in listed[0]
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["deliveries"]
    assert [(d["status"], d["last_status_code"]) for d in log] == [("delivered", 204)]
    assert api.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 204
    assert WebhookSubscriber.objects.count() == 0


def test_the_secret_is_not_stored_in_the_database(page, api, loopback_allowed):
    hook = subscribe(api, "http://127.0.0.1:9/hook")

    row = WebhookSubscriber.objects.filter(pk=hook["id"]).values().get()
    assert hook["secret"] not in json.dumps(row, default=str)
    assert hook["secret"][len("whsec_"):] not in json.dumps(row, default=str)


def test_email_subscription_is_double_opt_in_with_one_click_unsubscribe(page):
    client = Client()
    response = client.post("/subscribe/email", {"email": "citizen@example.org", "components": ["reserve-data"]},
                           HTTP_ACCEPT_LANGUAGE="uk")
    assert response.status_code == 200
    assert EmailSubscriber.objects.get().confirmed_at is None
    confirm_link = next(w for w in mail.outbox[0].body.split() if "/subscribe/confirm/" in w)
    open_incident()
    deliver_all()
    assert len(mail.outbox) == 1  # not confirmed yet: nothing sent

    assert client.get(confirm_link.split("status.example.org")[1]).status_code == 200
    open_incident()
    deliver_all()

    message = mail.outbox[-1]
    assert message.to == ["citizen@example.org"] and "False deferral shown" in message.subject
    assert "1545" in message.body and "Telegram" in message.body
    assert message.alternatives[0][1] == "text/html"
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>").split("status.example.org")[1]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert client.post(unsubscribe, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert EmailSubscriber.objects.count() == 0


def test_a_forged_confirmation_link_is_refused(page):
    assert Client().get("/subscribe/confirm/not-a-token").status_code == 400


def test_self_service_webhooks_are_confirmed_by_email_and_show_the_secret_once(page, loopback_allowed):
    client = Client()
    response = client.post("/subscribe/webhook", {"url": "http://127.0.0.1:9/hook", "email": "ops@example.org",
                                                  "format": "standard"})
    assert response.status_code == 200
    webhook = WebhookSubscriber.objects.get()
    assert not webhook.confirmed
    link = next(w for w in mail.outbox[0].body.split() if "/subscribe/webhook/confirm/" in w)
    path = link.split("status.example.org")[1]

    first = client.get(path)
    assert webhook.secret in first.content.decode()
    assert "no-store" in first["Cache-Control"] or "no-cache" in first["Cache-Control"]
    assert webhook.secret not in client.get(path).content.decode()
    assert WebhookSubscriber.objects.get().confirmed


def test_self_service_refuses_a_private_webhook_url(page):
    response = Client().post("/subscribe/webhook", {"url": "http://169.254.169.254/x", "email": "a@example.org",
                                                    "format": "standard"})
    assert response.status_code == 400
    assert WebhookSubscriber.objects.count() == 0


def test_on_call_users_are_alerted_through_their_own_webhook_and_email(page, oncall_user, loopback_allowed):
    from statuspage.models import OnCallContact
    from statuspage.notify import alert_oncall

    oncall_user.email = "alice@example.org"
    oncall_user.save()
    incident = Incident.open_new(name="Registration data: wrong data was shown to a test account", published=False,
                                 probe_key="reserve-login-and-profile")
    with Receiver() as receiver:
        OnCallContact.objects.create(user=oncall_user, alert_webhook_url=receiver.url)
        assert alert_oncall(incident.pk, "reserve-login-and-profile") == 2

    alert = json.loads(receiver.requests[0].body)
    assert alert["published"] is False and alert["probe"] == "reserve-login-and-profile"
    assert alert["admin_url"].endswith(f"/admin/statuspage/incident/{incident.pk}/change/")
    assert "DRAFT" in alert["text"]
    assert mail.outbox[0].to == ["alice@example.org"] and alert["admin_url"] in mail.outbox[0].body


def test_event_emails_are_in_the_subscribers_language(page):
    subscriber = EmailSubscriber.objects.create(email="olena@example.org", language="uk",
                                                confirmed_at=timezone.now())
    Incident.open_new(name="False deferral shown", body="We are correcting it.",
                      translations={"uk": {"name": "Помилкова відстрочка"}},
                      body_translations={"uk": "Ми виправляємо це."})
    deliver_all()

    message = mail.outbox[-1]
    assert message.to == [subscriber.email]
    assert "Помилкова відстрочка" in message.subject and "Ми виправляємо це." in message.body
    assert "False deferral shown" not in message.body
