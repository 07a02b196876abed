"""The console's side of subscribers: secrets shown once in the answer, the outbox read-only."""

import ipaddress

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from standardwebhooks import Webhook

from statuspage.models import Delivery, OutboxEvent, WebhookSubscriber
from statuspage.services.incidents import do_open_incident
from statuspage.webhooks.dispatch import deliver, fan_out
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db
HOOKS = "/admin/statuspage/webhooksubscriber/"


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.fixture
def console(oncall_user):
    client = Client()
    client.force_login(oncall_user)
    return client


def stored_anywhere(client, secret: str) -> bool:
    """In a cookie (the messages framework's is signed, not encrypted) or a session row."""
    sessions = [s.get_decoded() for s in Session.objects.all()]
    return secret in str(client.cookies) or secret in str(sessions)


def add_hook(console, url="http://127.0.0.1:9/hook"):
    return console.post(f"{HOOKS}add/", {"url": url, "format": "standard", "active": "on", "confirmed": "on",
                                         "language": ""})


def test_adding_a_webhook_shows_its_secret_once_in_the_answer_and_stores_it_nowhere(page, console,
                                                                                     loopback_allowed):
    added = add_hook(console)

    hook = WebhookSubscriber.objects.get()
    assert added.status_code == 200 and hook.secret in added.content.decode()
    assert "no-store" in added["Cache-Control"] or "no-cache" in added["Cache-Control"]
    assert not stored_anywhere(console, hook.secret)
    assert hook.secret not in console.get(f"{HOOKS}{hook.pk}/change/").content.decode()
    assert hook.secret not in console.get(HOOKS).content.decode()


def test_rotating_shows_the_new_secrets_in_the_answer_only(page, console, loopback_allowed):
    add_hook(console)
    old = WebhookSubscriber.objects.get().secret

    rotated = console.post(HOOKS, {"action": "rotate_secret", "_selected_action": [WebhookSubscriber.objects.get().pk]})

    new = WebhookSubscriber.objects.get().secret
    assert new != old and rotated.status_code == 200 and new in rotated.content.decode()
    assert not stored_anywhere(console, new)
    assert new not in console.get(HOOKS).content.decode()


def test_the_admin_test_event_reaches_the_receiver_signed(page, console, loopback_allowed):
    with Receiver() as receiver:
        add_hook(console, receiver.url)
        hook = WebhookSubscriber.objects.get()
        assert console.post(HOOKS, {"action": "send_test_event", "_selected_action": [hook.pk]}).status_code == 302
        deliver()  # what the queued deliver_batch task runs

    [request] = receiver.requests
    assert Webhook(hook.secret).verify(request.body, request.headers)["type"] == "webhook.test"


@pytest.fixture
def delivery(page, api, loopback_allowed):
    api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/hook"}, format="json")
    do_open_incident(name="x")
    fan_out(OutboxEvent.objects.get().pk)
    return Delivery.objects.get()


@pytest.mark.parametrize("who", ["oncall_user", "superuser"])
def test_the_outbox_and_its_deliveries_cannot_be_changed_or_deleted(delivery, oncall_user, django_user_model, who):
    user = oncall_user if who == "oncall_user" else django_user_model.objects.create_superuser("root", "r@x.org", "pw")
    client = Client()
    client.force_login(user)
    event = delivery.event

    for base, pk in [("/admin/statuspage/outboxevent/", event.pk), ("/admin/statuspage/delivery/", delivery.pk)]:
        assert client.get(base).status_code == 200  # still there to look at
        assert client.get(f"{base}{pk}/change/").status_code == 200
        assert client.post(f"{base}{pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.post(base, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}).status_code \
            in (200, 302)
        assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"/admin/statuspage/delivery/{delivery.pk}/change/", {"status": "cancelled"}).status_code == 403

    assert OutboxEvent.objects.filter(pk=event.pk).exists()
    assert Delivery.objects.get(pk=delivery.pk).status == "pending"
