"""The public webhook form is no oracle (issue 12, attack 7): it rate-limits before it
resolves anything, answers every refused address with one message that names nothing,
resolves within a short budget; unconfirmed subscriptions are purged after 7 days; and
`page.url` is an absolute http(s) URL without control characters."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from statuspage.config.schema import validate
from statuspage.models import AuditLog, EmailSubscriber, WebhookSubscriber
from statuspage.tasks import purge_unconfirmed_subscriptions
from statuspage.views import subscribe
from statuspage.webhooks import ssrf

pytestmark = pytest.mark.django_db

REFUSED = "We cannot send updates to this web address. Check it and try again."


@pytest.fixture
def lookups(monkeypatch):
    """The name server: each host looked up, and what it answers (10.0.0.5 by default)."""
    asked: list[str] = []
    answers = {"nowhere.example": OSError("Name or service not known")}

    def resolve(host, port):
        asked.append(host)
        answer = answers.get(host, ["10.0.0.5"])
        if isinstance(answer, Exception):
            raise answer
        return [ssrf.ipaddress.ip_address(a) for a in answer] if isinstance(answer, list) else answer(host)

    monkeypatch.setattr(ssrf, "resolve", resolve)
    return asked, answers


def post_webhook(url, ip="203.0.113.7", email="ops@example.org"):
    return Client(REMOTE_ADDR=ip).post("/subscribe/webhook", {"url": url, "email": email, "format": "standard"})


def test_a_client_past_its_limit_gets_no_more_name_lookups(page, lookups):
    asked, _ = lookups

    codes = [post_webhook(f"https://probe{n}.attacker.example/hook", email=f"o{n}@example.org").status_code
             for n in range(15)]

    assert codes == [400] * 10 + [429] * 5
    assert len(asked) == 10


def test_every_refused_address_gets_the_same_answer_naming_no_address(page, lookups):
    bodies = [post_webhook(url, ip=f"203.0.113.{n}", email=f"o{n}@example.org").content.decode()
              for n, url in enumerate(["https://intranet.example/hook", "https://nowhere.example/hook",
                                       "http://127.0.0.1:9/hook", "http://[::1]/hook", "http://169.254.169.254/"])]

    assert all(REFUSED in body for body in bodies)
    assert len({body.replace("\n", "") for body in bodies}) == 1
    for leak in ("10.0.0.5", "127.0.0.1", "::1", "169.254", "resolve", "loopback", "private"):
        assert not any(leak in body for body in bodies), leak
    assert not WebhookSubscriber.objects.exists()


def test_a_name_server_that_does_not_answer_does_not_hold_the_form(page, lookups, monkeypatch):
    _, answers = lookups
    released = threading.Event()
    answers["slow.example"] = lambda host: released.wait(10) and []
    monkeypatch.setattr(subscribe, "RESOLVE_BUDGET_S", 0.1)

    response = post_webhook("https://slow.example/hook")
    still_waiting = not released.is_set()
    released.set()

    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert still_waiting  # the answer came back while the lookup was still waiting


def test_unconfirmed_subscriptions_are_purged_after_seven_days_and_each_purge_audited(page):
    old = timezone.now() - timedelta(days=8)
    stale_email = EmailSubscriber.objects.create(email="never@example.org", language="uk")
    fresh_email = EmailSubscriber.objects.create(email="today@example.org", language="uk")
    confirmed = EmailSubscriber.objects.create(email="reader@example.org", language="uk", confirmed_at=old)
    stale_hook = WebhookSubscriber.objects.create(url="https://hooks.example/a", confirmed=False)
    kept_hook = WebhookSubscriber.objects.create(url="https://hooks.example/b", confirmed=True)
    EmailSubscriber.objects.filter(pk__in=[stale_email.pk, confirmed.pk]).update(created_at=old)
    WebhookSubscriber.objects.filter(pk__in=[stale_hook.pk, kept_hook.pk]).update(created_at=old)

    assert purge_unconfirmed_subscriptions() == 2

    assert set(EmailSubscriber.objects.values_list("pk", flat=True)) == {fresh_email.pk, confirmed.pk}
    assert list(WebhookSubscriber.objects.values_list("pk", flat=True)) == [kept_hook.pk]
    assert AuditLog.objects.filter(action="purge_unconfirmed").count() == 2


def test_asking_again_keeps_an_unconfirmed_request_a_week_from_the_new_link(page):
    subscriber = EmailSubscriber.ask("late@example.org", [], "uk")
    EmailSubscriber.objects.filter(pk=subscriber.pk).update(created_at=timezone.now() - timedelta(days=8))

    EmailSubscriber.ask("late@example.org", [], "uk")
    purge_unconfirmed_subscriptions()

    assert EmailSubscriber.objects.filter(pk=subscriber.pk).exists()


def test_beat_runs_the_purge():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}

    assert "statuspage.tasks.purge_unconfirmed_subscriptions" in tasks


@pytest.mark.parametrize("url", ["https://status.example.org\nBcc: everyone@example.org",
                                 "https://status.example.org\r\n", "https://status.example.org/\u2028x",
                                 "https://status .example.org", "javascript:alert(1)", "//status.example.org",
                                 "status.example.org", "https://", "ftp://status.example.org",
                                 "https://status.example.org:99999/"])
def test_page_url_must_be_an_absolute_http_url_without_control_characters(page_config, url):
    page_config["page"]["url"] = url

    _, errors = validate(page_config)

    assert [path for path, _ in errors] == ["page.url"]


def test_an_ordinary_page_url_is_accepted(page_config):
    page_config["page"]["url"] = "https://status.example.org/reserve?lang=uk"

    _, errors = validate(page_config)

    assert errors == []
