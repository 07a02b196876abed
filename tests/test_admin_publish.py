"""Drafts in the console: a private preview, then publishing on purpose, told who will hear."""

import pytest
from django.test import Client
from django.utils import timezone

from statuspage.models import AuditLog, Component, Delivery, EmailSubscriber, Incident, OutboxEvent, WebhookSubscriber
from statuspage.services.incidents import do_open_incident
from statuspage.webhooks.dispatch import fan_out
from tests.test_admin import incident_form, open_incident, pks

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_config(page_config):
    return {**page_config, "page": {**page_config["page"], "languages": ["uk", "uz-latn"]}}


@pytest.fixture
def console(oncall_user):
    client = Client()
    client.force_login(oncall_user)
    return client


def draft(console, **fields) -> Incident:
    return open_incident(console, publish=False, **{"name": "Вхід не працює", **fields})


def subscribers():
    """Two emails and two webhooks follow reserve-auth or everything; one of each follows only
    OneID; an unconfirmed email and a disabled webhook get nothing at all."""
    now = timezone.now()
    auth, oneid = Component.objects.get(key="reserve-auth"), Component.objects.get(key="oneid-signin")
    EmailSubscriber.objects.create(email="all@example.org", confirmed_at=now)
    EmailSubscriber.objects.create(email="auth@example.org", confirmed_at=now).components.add(auth)
    EmailSubscriber.objects.create(email="oneid@example.org", confirmed_at=now).components.add(oneid)
    EmailSubscriber.objects.create(email="unconfirmed@example.org")
    WebhookSubscriber.objects.create(url="https://hooks.example/all")
    WebhookSubscriber.objects.create(url="https://hooks.example/auth").components.add(auth)
    WebhookSubscriber.objects.create(url="https://hooks.example/oneid").components.add(oneid)
    WebhookSubscriber.objects.create(url="https://hooks.example/off", active=False)


def test_the_add_form_leaves_published_unticked_and_saving_makes_a_draft(page, console):
    form = console.get("/admin/statuspage/incident/add/").context["adminform"].form
    assert form["published"].value() is False

    response = console.post("/admin/statuspage/incident/add/", incident_form(
        name="Вхід не працює", affected=pks("reserve-auth"), component_status="major_outage"), follow=True)

    incident = Incident.objects.get()
    assert incident.published is False
    assert Component.objects.get(key="reserve-auth").status == "operational"  # waits for the publication
    message = str(list(response.context["messages"])[0])
    assert f"/admin/statuspage/incident/{incident.pk}/preview/?language=uz-latn" in message
    assert f"/admin/statuspage/incident/{incident.pk}/publish/" in message
    assert not OutboxEvent.objects.filter(type__startswith="incident.").exists()


def test_staff_preview_a_draft_as_the_public_page_in_each_language(page, console):
    incident = draft(console, update_body="Шукаємо причину.", name_uz_latn="Kirish ishlamayapti",
                     update_body_uz_latn="Sababini qidirmoqdamiz.")
    url = f"/admin/statuspage/incident/{incident.pk}/preview/"

    uk, latin = console.get(url + "?language=uk"), console.get(url + "?language=uz-latn")

    assert uk.status_code == latin.status_code == 200
    assert [t.name for t in uk.templates][0] == "statuspage/incident.html"  # the public page's own template
    assert "Попередній перегляд — не опубліковано" in uk.content.decode()
    assert "Шукаємо причину." in uk.content.decode()
    assert "Kirish ishlamayapti" in latin.content.decode() and "Sababini qidirmoqdamiz." in latin.content.decode()
    assert "Oldindan koʻrish — eʼlon qilinmagan" in latin.content.decode()
    directives = {d.strip() for d in uk["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives and "public" not in directives


def test_nobody_else_sees_a_draft(page, console, outsider):
    incident = draft(console)
    url = f"/admin/statuspage/incident/{incident.pk}/preview/"
    not_staff = Client()
    not_staff.force_login(outsider)

    anonymous = Client().get(url)

    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    assert not_staff.get(url).status_code == 302
    assert Client().get(f"/incidents/{incident.pk}").status_code == 404
    assert console.get(f"/incidents/{incident.pk}").status_code == 404  # signed in: still the public URL
    assert console.get("/admin/statuspage/incident/nosuchid/preview/").status_code == 404


def test_the_confirmation_counts_the_subscribers_the_fan_out_will_reach(page, console):
    subscribers()
    incident = draft(console, affected=pks("reserve-auth"), component_status="major_outage")

    page_html = console.get(f"/admin/statuspage/incident/{incident.pk}/publish/").content.decode()

    assert '<strong id="email-count">2</strong> email subscribers' in page_html
    assert '<strong id="webhook-count">2</strong> webhook subscribers' in page_html
    assert "Authorization: Operational → Major outage" in page_html
    assert Incident.objects.get(pk=incident.pk).published is False  # a GET publishes nothing

    console.post(f"/admin/statuspage/incident/{incident.pk}/publish/")

    event = OutboxEvent.objects.get(type="incident.created")
    fan_out(event.id)
    deliveries = Delivery.objects.filter(event=event)
    assert deliveries.filter(email__isnull=False).count() == 2
    assert deliveries.filter(webhook__isnull=False).count() == 2


def test_publishing_applies_the_held_statuses_and_is_audited(page, console, oncall_user):
    incident = draft(console, affected=pks("reserve-auth"), component_status="major_outage")

    response = console.post(f"/admin/statuspage/incident/{incident.pk}/publish/")

    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).published is True
    assert Component.objects.get(key="reserve-auth").status == "major_outage"
    assert Client().get(f"/incidents/{incident.pk}").status_code == 200
    assert AuditLog.objects.filter(action="publish", object_id=incident.pk, actor=oncall_user).exists()
    held = AuditLog.objects.get(action="publish_components", object_id=incident.pk)
    assert held.changes == {"reserve-auth": ["operational", "major_outage"]}


def test_publishing_twice_sends_nothing_more(page, console):
    incident = draft(console)
    console.post(f"/admin/statuspage/incident/{incident.pk}/publish/")

    console.post(f"/admin/statuspage/incident/{incident.pk}/publish/")

    assert OutboxEvent.objects.filter(type="incident.created").count() == 1


def test_an_outsider_cannot_publish(page, console, outsider):
    incident = draft(console)
    client = Client()
    client.force_login(outsider)

    client.post(f"/admin/statuspage/incident/{incident.pk}/publish/")

    assert Incident.objects.get(pk=incident.pk).published is False


def test_view_on_site_opens_a_draft_s_preview_not_its_404(page, console):
    draft = do_open_incident(name="Login fails", published=False)

    page_html = console.get(f"/admin/statuspage/incident/{draft.pk}/change/").content.decode()

    assert f"/admin/statuspage/incident/{draft.pk}/preview/" in page_html
    assert f'href="/incidents/{draft.pk}"' not in page_html
