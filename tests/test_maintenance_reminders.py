"""Maintenance reminders (`page.maintenance_reminder`): once per maintenance, in time, by
email and as a `maintenance.reminder` webhook event; never for drafts, cancelled or
started maintenances, nor for one announced after its reminder time."""

import ipaddress
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from statuspage.config.schema import validate
from statuspage.models import (
    AuditLog,
    Component,
    EmailSubscriber,
    Incident,
    OutboxEvent,
    PageSettings,
    WebhookSubscriber,
)
from statuspage.services.incidents import do_open_incident, do_post_update
from statuspage.services.reminders import REMINDER_EVENT, _remind, do_send_maintenance_reminders
from statuspage.statuses import MaintenanceStatus
from tests.test_subscribers import deliver_all
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db
START_IN = timedelta(hours=3)


@pytest.fixture
def page_config(page_config):
    page_config["page"]["maintenance_reminder"] = "1h"
    return page_config


@pytest.fixture
def maintenance(page):
    start = timezone.now() + START_IN
    return do_open_incident(name="Registry database upgrade", kind=Incident.Kind.MAINTENANCE,
                            scheduled_for=start, scheduled_until=start + timedelta(hours=1),
                            body="Sign-in will be unavailable.",
                            components={Component.objects.get(key="reserve-auth"): "operational"})


def remind_at(maintenance, before_start: timedelta) -> int:
    return do_send_maintenance_reminders(maintenance.scheduled_for - before_start)


def test_the_config_sets_the_reminder_time(maintenance):
    assert PageSettings.load().maintenance_reminder == timedelta(hours=1)


@pytest.mark.parametrize("value", ["1 week", "2m", "15d", 60, ""])
def test_a_reminder_time_out_of_range_or_unreadable_is_refused_with_its_path(page_config, value):
    page_config["page"]["maintenance_reminder"] = value

    _, errors = validate(page_config)

    assert [path for path, _ in errors] == ["page.maintenance_reminder"]


def test_the_reminder_is_sent_once_within_the_hour_before_the_start(maintenance):
    assert remind_at(maintenance, timedelta(minutes=61)) == 0  # not yet
    assert remind_at(maintenance, timedelta(minutes=59)) == 1
    assert remind_at(maintenance, timedelta(minutes=58)) == 0  # sent already
    assert _remind(maintenance.pk, maintenance.scheduled_for - timedelta(minutes=58)) == 0  # a second worker

    assert OutboxEvent.objects.filter(type=REMINDER_EVENT).count() == 1
    assert AuditLog.objects.filter(action="maintenance_reminder", object_id=maintenance.pk).count() == 1


def test_email_subscribers_get_a_reminder_and_webhooks_a_signed_event(maintenance, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    EmailSubscriber.objects.create(email="olena@example.org", language="en", confirmed_at=timezone.now())
    with Receiver() as receiver:
        webhook = WebhookSubscriber.objects.create(url=receiver.url, confirmed=True)
        deliver_all()  # the "scheduled" announcement
        mail.outbox.clear()
        receiver.requests.clear()

        remind_at(maintenance, timedelta(minutes=30))
        deliver_all()

    message = mail.outbox[0]
    assert message.to == ["olena@example.org"]
    assert message.subject == "[Reserve+ status] Reminder: Registry database upgrade"
    assert "This maintenance starts soon." in message.body and "List-Unsubscribe" in message.extra_headers
    event = Webhook(webhook.secret).verify(receiver.requests[0].body, receiver.requests[0].headers)
    assert event["type"] == "maintenance.reminder"
    assert event["data"]["maintenance"]["name"] == "Registry database upgrade"
    assert json.loads(receiver.requests[0].body)["data"]["reminder"]["starts_at"].endswith("Z")


def test_no_reminder_for_a_started_or_cancelled_maintenance_or_a_draft(maintenance, page):
    start = maintenance.scheduled_for
    draft = do_open_incident(name="Draft window", kind=Incident.Kind.MAINTENANCE, scheduled_for=start,
                             published=False)
    cancelled = do_open_incident(name="Called off", kind=Incident.Kind.MAINTENANCE, scheduled_for=start)
    do_post_update(cancelled, status=MaintenanceStatus.COMPLETED, body="Cancelled.")
    do_post_update(maintenance, status=MaintenanceStatus.IN_PROGRESS, body="Started early.")

    assert do_send_maintenance_reminders(start - timedelta(minutes=30)) == 0
    assert Incident.objects.filter(pk__in=[draft.pk, cancelled.pk, maintenance.pk],
                                   reminder_sent_at__isnull=False).count() == 0


def test_no_reminder_once_the_start_has_passed_or_for_one_announced_inside_the_hour(maintenance, page):
    late = do_open_incident(name="Short notice", kind=Incident.Kind.MAINTENANCE,
                            scheduled_for=timezone.now() + timedelta(minutes=20))

    assert do_send_maintenance_reminders(maintenance.scheduled_for + timedelta(minutes=1)) == 0
    assert do_send_maintenance_reminders(late.scheduled_for - timedelta(minutes=10)) == 0


def test_no_reminders_without_the_page_setting(maintenance):
    PageSettings.objects.update(maintenance_reminder=None)

    assert remind_at(maintenance, timedelta(minutes=30)) == 0
