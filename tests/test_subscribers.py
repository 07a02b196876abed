"""Webhook and email subscribers: signed, filtered, retried, disabled, never lost."""

import ipaddress
import json

import feedparser
import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from statuspage.models import Component, Delivery, EmailSubscriber, OutboxEvent, WebhookSubscriber
from statuspage.services.incidents import do_open_incident
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
    return do_open_incident(name="False deferral shown", body="We are *correcting* it.",
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
        do_open_incident(name="SSO down")  # no components: every subscriber gets it
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
        do_open_incident(name="x")
        deliver_all()

    delay = (Delivery.objects.get().next_attempt_at - timezone.now()).total_seconds()
    assert 7000 < delay <= 7200


def test_a_receiver_answering_410_is_disabled_and_its_owner_told(page, api, loopback_allowed, oncall_user):
    oncall_user.email = "alice@example.org"
    oncall_user.save()
    with Receiver(replies=[(410, {})]) as receiver:
        hook = subscribe(api, receiver.url)
        do_open_incident(name="x")
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
        do_open_incident(name="x")
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
        do_open_incident(name="x")
        deliver_all()

    assert receiver.requests == []
    assert "loopback" in Delivery.objects.get().last_error


def test_a_lost_fan_out_is_swept_and_delivered(page, api, loopback_allowed):
    with Receiver() as receiver:
        subscribe(api, receiver.url)
        do_open_incident(name="x")  # its fan-out task was never run (broker lost it)
        OutboxEvent.objects.update(created_at=timezone.now() - timezone.timedelta(minutes=1))
        sweep()

    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["incident.created"]


def test_the_api_lists_deletes_and_shows_the_delivery_log(page, api, loopback_allowed):
    with Receiver() as receiver:
        hook = subscribe(api, receiver.url, description="news desk")
        do_open_incident(name="x")
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


def link_path(message, marker):
    return next(w for w in message.body.split() if marker in w).split("status.example.org")[1]


def test_email_subscription_is_double_opt_in_with_one_click_unsubscribe(page):
    client = Client()
    response = client.post("/subscribe/email", {"email": "citizen@example.org", "components": ["reserve-data"]},
                           HTTP_ACCEPT_LANGUAGE="uk")
    assert response.status_code == 200
    assert EmailSubscriber.objects.get().confirmed_at is None
    confirm_link = link_path(mail.outbox[0], "/subscribe/confirm/")
    open_incident()
    deliver_all()
    assert len(mail.outbox) == 1  # not confirmed yet: nothing sent

    assert client.post(confirm_link).status_code == 200
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


def test_opening_the_email_confirmation_link_only_shows_a_button(page):
    """Mail scanners fetch every link in a message: a GET is not the person's consent."""
    client = Client()
    client.post("/subscribe/email", {"email": "citizen@example.org", "components": ["reserve-data"]},
                HTTP_ACCEPT_LANGUAGE="uk")
    path = link_path(mail.outbox[0], "/subscribe/confirm/")

    for method in (client.get, client.head):
        assert method(path).status_code == 200
    shown = client.get(path, HTTP_ACCEPT_LANGUAGE="uk")

    assert EmailSubscriber.objects.get().confirmed_at is None
    html = shown.content.decode()
    assert '<form method="post" action="">' in html and "Підтвердити</button>" in html
    assert "Підписка на: Registration data" in html
    assert "no-store" in shown["Cache-Control"] or "no-cache" in shown["Cache-Control"]
    assert client.post(path).status_code == 200
    assert EmailSubscriber.objects.get().confirmed_at is not None


def test_a_forged_confirmation_link_is_refused(page):
    assert Client().get("/subscribe/confirm/not-a-token").status_code == 400
    assert Client().post("/subscribe/confirm/not-a-token").status_code == 400
    assert Client().post("/subscribe/webhook/confirm/not-a-token").status_code == 400


def test_posting_a_subscribers_address_changes_nothing_until_its_owner_confirms(page):
    """Anyone can post any address: narrowing a citizen's subscription would silence it."""
    citizen = EmailSubscriber.objects.create(email="olena@example.org", language="uk", confirmed_at=timezone.now())
    client = Client()

    response = client.post("/subscribe/email", {"email": "Olena@example.org", "components": ["oneid-signin"]},
                           HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    citizen.refresh_from_db()
    assert (citizen.language, list(citizen.components.all())) == ("uk", [])
    asked = mail.outbox[0]
    assert asked.to == ["olena@example.org"] and "Вы уже подписаны" in asked.body
    open_incident("reserve-data")  # still every component
    deliver_all()
    assert mail.outbox[-1].subject.endswith("False deferral shown — З’ясовуємо причину")  # in Ukrainian still

    assert client.post(link_path(asked, "/subscribe/confirm/")).status_code == 200  # the owner agrees
    citizen.refresh_from_db()
    assert citizen.language == "ru" and [c.key for c in citizen.components.all()] == ["oneid-signin"]


def test_an_email_subscriber_gets_only_the_components_they_chose(page):
    EmailSubscriber.objects.create(email="olena@example.org", confirmed_at=timezone.now()).components.set(
        [Component.objects.get(key="oneid-signin")])

    open_incident("reserve-data")
    deliver_all()
    assert mail.outbox == []
    assert not Delivery.objects.filter(email__isnull=False).exists()

    open_incident("oneid-signin")
    deliver_all()
    assert [m.to for m in mail.outbox] == [["olena@example.org"]]


def test_email_texts_and_subjects_are_not_html_escaped(page):
    EmailSubscriber.objects.create(email="olena@example.org", language="uk", confirmed_at=timezone.now())
    EmailSubscriber.objects.create(email="sam@example.org", language="en", confirmed_at=timezone.now())
    do_open_incident(name="Don't & <x>", body="Fixing \"it\" & more.",
                     translations={"uk": {"name": "Збій об'єднаного входу & <OneID>"}},
                     body_translations={"uk": "Виправляємо \"це\" & ін."})
    deliver_all()

    sent = {m.to[0]: m for m in mail.outbox}
    english, ukrainian = sent["sam@example.org"], sent["olena@example.org"]
    assert english.subject == "[Reserve+ status] Don't & <x> — Investigating"
    assert english.body.startswith("Don't & <x>\n") and 'Fixing "it" & more.' in english.body
    assert "Don&#x27;t &amp; &lt;x&gt;" in english.alternatives[0][0]  # HTML stays escaped
    assert ukrainian.subject.startswith("[Reserve+ status] Збій об'єднаного входу & <OneID> — ")
    assert ukrainian.body.startswith("Збій об'єднаного входу & <OneID>\n")
    assert "&#x27;" not in ukrainian.body and "&amp;" not in ukrainian.body + ukrainian.subject
    assert "об&#x27;єднаного входу &amp; &lt;OneID&gt;" in ukrainian.alternatives[0][0]


def test_self_service_webhooks_are_confirmed_by_email_and_show_the_secret_once(page, loopback_allowed):
    client = Client()
    response = client.post("/subscribe/webhook", {"url": "http://127.0.0.1:9/hook", "email": "ops@example.org",
                                                  "format": "standard"}, HTTP_ACCEPT_LANGUAGE="uz-Latn")
    assert response.status_code == 200
    webhook = WebhookSubscriber.objects.get()
    assert not webhook.confirmed and webhook.language == "uz-latn"
    path = link_path(mail.outbox[0], "/subscribe/webhook/confirm/")

    scanned = client.get(path)  # a mail scanner, or the owner's first look
    assert scanned.status_code == 200 and webhook.secret not in scanned.content.decode()
    assert '<form method="post" action="">' in scanned.content.decode()
    assert not WebhookSubscriber.objects.get().confirmed

    first = client.post(path)
    assert webhook.secret in first.content.decode()
    assert "no-store" in first["Cache-Control"] or "no-cache" in first["Cache-Control"]
    assert webhook.secret not in client.post(path).content.decode()
    assert webhook.secret not in client.get(path).content.decode()
    assert WebhookSubscriber.objects.get().confirmed


def test_two_concurrent_confirmations_reveal_the_secret_to_one(page):
    WebhookSubscriber.objects.create(url="http://127.0.0.1:9/hook", confirmed=False)
    first, second = WebhookSubscriber.objects.get(), WebhookSubscriber.objects.get()  # both read it unconfirmed

    assert [first.confirm(), second.confirm()] == [True, False]


def test_self_service_refuses_a_private_webhook_url(page):
    response = Client().post("/subscribe/webhook", {"url": "http://169.254.169.254/x", "email": "a@example.org",
                                                    "format": "standard"})
    assert response.status_code == 400
    assert WebhookSubscriber.objects.count() == 0


def test_on_call_users_are_alerted_through_their_own_webhook_and_email(page, oncall_user, loopback_allowed):
    from statuspage.models import OnCallContact
    from statuspage.notify.oncall_alerts import queue_oncall_alert, send_queued_alert

    oncall_user.email = "alice@example.org"
    oncall_user.save()
    incident = do_open_incident(name="Registration data: wrong data was shown to a test account", published=False,
                                probe_key="reserve-login-and-profile")
    with Receiver() as receiver:
        OnCallContact.objects.create(user=oncall_user, alert_webhook_url=receiver.url)
        event_id = queue_oncall_alert(incident.pk, "reserve-login-and-profile")
        assert send_queued_alert(event_id) == 2

    alert = json.loads(receiver.requests[0].body)
    assert alert["published"] is False and alert["probe"] == "reserve-login-and-profile"
    assert alert["admin_url"].endswith(f"/admin/statuspage/incident/{incident.pk}/change/")
    assert "DRAFT" in alert["text"]
    assert mail.outbox[0].to == ["alice@example.org"] and alert["admin_url"] in mail.outbox[0].body


def test_event_emails_are_in_the_subscribers_language(page):
    subscriber = EmailSubscriber.objects.create(email="olena@example.org", language="uk",
                                                confirmed_at=timezone.now())
    do_open_incident(name="False deferral shown", body="We are correcting it.",
                     translations={"uk": {"name": "Помилкова відстрочка"}},
                     body_translations={"uk": "Ми виправляємо це."})
    deliver_all()

    message = mail.outbox[-1]
    assert message.to == [subscriber.email]
    assert "Помилкова відстрочка" in message.subject and "Ми виправляємо це." in message.body
    assert "False deferral shown" not in message.body


def test_the_subscribe_limit_counts_the_client_behind_the_proxy(page, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    proxy = Client(REMOTE_ADDR="10.0.0.2")  # every request arrives from the reverse proxy

    def post(n, ip):
        return proxy.post("/subscribe/email", {"email": f"person{n}@example.org"}, HTTP_X_REAL_IP=ip).status_code

    assert [post(n, "203.0.113.7") for n in range(10)] == [200] * 10
    assert post(10, "203.0.113.7") == 429
    assert post(11, "198.51.100.9") == 200  # someone else behind the same proxy


def test_the_subscribe_limit_counts_confirmation_emails_per_address(page, loopback_allowed):
    codes = [Client(REMOTE_ADDR=f"203.0.113.{n}").post("/subscribe/email", {"email": "olena@example.org"}).status_code
             for n in range(5)]
    webhook = Client(REMOTE_ADDR="203.0.113.99").post("/subscribe/webhook", {
        "url": "http://127.0.0.1:9/hook", "email": "Olena@example.org", "format": "standard"}).status_code

    assert codes == [200, 200, 200, 429, 429] and webhook == 429
    assert len(mail.outbox) == 3


def test_disabling_a_webhook_cancels_its_queued_retries(page, api, loopback_allowed):
    with Receiver(replies=[(500, {})]) as receiver:
        hook = subscribe(api, receiver.url)
        do_open_incident(name="x")
        deliver_all()
        assert Delivery.objects.get().status == "pending"  # a retry is queued

        WebhookSubscriber.objects.filter(pk=hook["id"]).update(active=False)  # the admin's checkbox
        Delivery.objects.update(next_attempt_at=timezone.now())
        sweep()

    assert len(receiver.requests) == 1
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["deliveries"]
    assert [(d["status"], d["attempts"]) for d in log] == [("cancelled", 1)]
    assert log[0]["last_error"] == "cancelled: the webhook was disabled before this was sent"


def test_a_webhook_disabled_after_its_deliveries_were_claimed_is_not_sent_to(page, api, loopback_allowed):
    from statuspage.webhooks.dispatch import _still_sendable, claim

    hook = subscribe(api, "http://127.0.0.1:9/hook")
    do_open_incident(name="x")
    fan_out(OutboxEvent.objects.get().pk)
    _, claimed = claim()
    WebhookSubscriber.objects.filter(pk=hook["id"]).update(active=False)

    assert _still_sendable(claimed) == []
    assert Delivery.objects.get().status == "cancelled"


def test_an_unconfirmed_webhook_gets_no_test_event(page, api, loopback_allowed):
    with Receiver() as receiver:
        hook = subscribe(api, receiver.url)
        WebhookSubscriber.objects.filter(pk=hook["id"]).update(confirmed=False)
        assert api.post(f"/api/v1/webhooks/{hook['id']}/test/").status_code == 202
        deliver()

    assert receiver.requests == []
    assert Delivery.objects.get().last_error == "cancelled: the webhook is not confirmed"


def test_the_api_test_event_reaches_the_receiver_signed(page, api, loopback_allowed):
    with Receiver() as receiver:
        hook = subscribe(api, receiver.url)
        answer = api.post(f"/api/v1/webhooks/{hook['id']}/test/")
        assert answer.status_code == 202
        deliver()  # what the queued deliver_batch task runs

    [request] = receiver.requests
    payload = Webhook(hook["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "webhook.test"
    assert request.headers["webhook-id"] == answer.json()["event_id"]
    assert Delivery.objects.get().status == "delivered"


def test_failing_for_three_days_emails_the_owner_in_their_language_with_the_notice(page, loopback_allowed):
    with Receiver(replies=[(500, {})]) as receiver:
        hook = WebhookSubscriber.objects.create(url=receiver.url, owner_email="ops@example.org", language="uk",
                                                failing_since=timezone.now() - timezone.timedelta(days=3, minutes=1))
        do_open_incident(name="x")
        deliver_all()

    hook.refresh_from_db()
    assert not hook.active and hook.disabled_reason == "failing for more than 3 days"
    [told] = mail.outbox
    assert told.to == ["ops@example.org"]
    assert told.subject == f"[Reserve+ status] Вебхук вимкнено: {receiver.url}"
    assert f"Ваш вебхук {receiver.url} вимкнено." in told.body
    assert "Причина: failing for more than 3 days" in told.body
    assert "Офіційні канали підтримки" in told.body and "1545" in told.body  # the trust notice
    assert "Офіційні канали підтримки" in told.alternatives[0][0]


def test_the_owner_of_an_api_webhook_is_told_in_the_pages_first_language(page, api, oncall_user, loopback_allowed):
    oncall_user.email = "alice@example.org"
    oncall_user.save()
    with Receiver(replies=[(410, {})]) as receiver:
        subscribe(api, receiver.url)
        do_open_incident(name="x")
        deliver_all()

    assert mail.outbox[0].subject.startswith("[Reserve+ status] Вебхук вимкнено: ")  # the page: uk, en
