"""A probe's incident over time: review drafts, monitoring, maintenance ending, the config keys."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from probes.automation import advance_incidents
from probes.spec import validate_probe
from statuspage.models import AuditLog, Incident, OutboxEvent
from statuspage.notify.oncall_alerts import ONCALL_EVENT
from statuspage.services.incidents import do_open_incident, do_post_update, do_publish_draft
from statuspage.tasks import advance_maintenances
from tests.test_probe_automation import GOOD, WRONG_DEFERRAL, Runs, component, make_probe

pytestmark = pytest.mark.django_db
LATER = timedelta(minutes=10, seconds=1)


@pytest.fixture
def runs():
    return Runs()


def status_json() -> dict:
    return Client().get("/api/v2/status.json").json()["status"]


# ---------------------------------------------------------------- review


def test_review_opens_a_draft_alerts_on_call_and_publishes_it_after_publish_after(
        page, runs, django_capture_on_commit_callbacks):
    probe = make_probe(page, incident="review", publish_after="5m")
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)

    draft = Incident.objects.get()
    assert not draft.published and component().status == "operational"
    alert = OutboxEvent.objects.get(type=ONCALL_EVENT)
    assert alert.data["what"] == "review"
    assert advance_incidents(timezone.now() + timedelta(minutes=4)) == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert advance_incidents(timezone.now() + timedelta(minutes=5, seconds=1)) == 1

    draft.refresh_from_db()
    assert draft.published and component().status == "major_outage"
    assert "do not act on it" in draft.updates.get().body  # the config's (here built-in) words
    assert AuditLog.objects.filter(action="publish", object_id=draft.pk, via="probe").exists()


def test_review_publishes_nothing_more_once_a_person_published_it(page, runs, oncall_user):
    probe = make_probe(page, incident="review")
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    do_publish_draft(Incident.objects.get(), author=oncall_user)

    assert advance_incidents(timezone.now() + LATER) == 0
    assert AuditLog.objects.filter(action="publish").count() == 1


def test_a_review_draft_a_person_edited_goes_out_in_their_words(page, runs, oncall_user):
    probe = make_probe(page, incident="review")
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    draft = Incident.objects.get()
    do_post_update(draft, status="identified", body="The notice is wrong: do nothing.", author=oncall_user)

    assert advance_incidents(timezone.now() + LATER) == 1

    draft.refresh_from_db()
    assert draft.published and draft.updates.first().body == "The notice is wrong: do nothing."


def test_a_discarded_review_draft_is_never_published(page, runs):
    probe = make_probe(page, incident="review")
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    Incident.objects.get().delete()  # on-call discarded it

    assert advance_incidents(timezone.now() + LATER) == 0
    assert not Incident.objects.exists()


def test_a_plain_draft_is_never_published_by_itself(page, runs):
    probe = make_probe(page, incident="draft")
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)

    advance_incidents(timezone.now() + timedelta(days=1))

    assert not Incident.objects.get().published


# ---------------------------------------------------------------- monitoring and the indicator


def test_the_indicator_follows_recovery_and_is_none_once_resolved(page, runs):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    assert status_json()["indicator"] in ("major", "critical")

    runs(probe, GOOD, GOOD)
    assert Incident.objects.get().status == "monitoring"
    assert status_json()["indicator"] == "minor"  # green components, an incident still watched

    advance_incidents(timezone.now() + LATER)
    assert status_json()["indicator"] == "none"


def test_a_resolved_incident_is_resolved_once_whatever_the_beat_repeats(page, runs):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD)

    results = [advance_incidents(timezone.now() + LATER) for _ in range(3)]

    assert results == [1, 0, 0]
    assert Incident.objects.get().updates.filter(status="resolved").count() == 1


# ---------------------------------------------------------------- maintenance ending


def maintenance_in_progress(*keys: str) -> Incident:
    start = timezone.now() - timedelta(minutes=1)
    work = do_open_incident(name="Database upgrade", kind=Incident.Kind.MAINTENANCE, scheduled_for=start,
                            scheduled_until=start + timedelta(hours=1),
                            components={component(key): "under_maintenance" for key in keys})
    advance_maintenances()
    work.refresh_from_db()
    assert work.status == "in_progress"
    return work


def test_a_maintenance_ending_returns_a_component_to_the_worst_status_another_incident_holds(page):
    work = maintenance_in_progress("reserve-data", "reserve-auth")
    do_open_incident(name="Slow sign-in", components={component("reserve-auth"): "degraded_performance"})
    assert component("reserve-auth").status == "degraded_performance"

    do_post_update(work, status="completed", via="system")

    assert component("reserve-auth").status == "degraded_performance"  # not "under maintenance" any more
    assert component("reserve-data").status == "operational"


def test_a_probe_muted_by_a_maintenance_trips_on_its_first_run_after_it(page, runs):
    probe = make_probe(page)
    work = maintenance_in_progress("reserve-data")
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, WRONG_DEFERRAL)
    assert component().status == "under_maintenance" and not Incident.objects.filter(probe_key=probe.key).exists()

    do_post_update(work, status="completed", via="system")
    assert component().status == "operational"
    runs(probe, WRONG_DEFERRAL)

    assert component().status == "major_outage"
    assert Incident.objects.get(probe_key=probe.key).published


# ---------------------------------------------------------------- the config keys


def validate(**overrides):
    raw = {"key": "p", "component": "c", "steps": [{"request": {"url": "https://example.org/"}}], **overrides}
    return validate_probe(raw, "probes[0]", {"c"})


def test_the_lifecycle_keys_default_to_auto_and_ten_minutes():
    spec, errors = validate()
    assert errors == []
    assert (spec["incident"], spec["publish_after_ms"], spec["monitoring_for_ms"], spec["public"]) == (
        "auto", 600_000, 600_000, {})


def test_public_texts_are_kept_with_their_translations():
    spec, errors = validate(incident="review", publish_after="2m", monitoring_for="30m", public={
        "wrong_data": {"title": "{component}: wrong", "body": "Do nothing. Next update by {next_update}.",
                       "translations": {"uk": {"title": "{component}: хибно"}, "uz-latn": {"body": "Hech narsa"}}}})
    assert errors == []
    assert spec["publish_after_ms"] == 120_000 and spec["monitoring_for_ms"] == 1_800_000
    assert spec["public"]["wrong_data"]["translations"]["uk"] == {"title": "{component}: хибно"}


@pytest.mark.parametrize("overrides, path, words", [
    ({"incident": "later"}, "probes[0].incident", "must be one of auto, review, draft, none"),
    ({"monitoring_for": "soon"}, "probes[0].monitoring_for", ""),
    ({"public": {"broken": {"title": "x"}}}, "probes[0].public", "unknown key 'broken'"),
    ({"public": {"slow": {"title": "x", "colour": "red"}}}, "probes[0].public.slow", "unknown key 'colour'"),
    ({"public": {"slow": {"body": ""}}}, "probes[0].public.slow.body", "non-empty text"),
    ({"public": {"slow": {"body": "Back at {time}"}}}, "probes[0].public.slow.body", "unknown placeholder {time}"),
    ({"public": {"slow": {"translations": {"xx": {"body": "x"}}}}}, "probes[0].public.slow.translations.xx",
     "unknown language"),
    ({"public": {"slow": {"translations": {"uk": {"name": "x"}}}}}, "probes[0].public.slow.translations.uk",
     "must map body, title to strings"),
    ({"public": {"slow": {"translations": {"uk": {"body": "{what}"}}}}},
     "probes[0].public.slow.translations.uk.body", "unknown placeholder {what}"),
])
def test_a_wrong_public_or_lifecycle_key_is_refused_with_its_path(overrides, path, words):
    spec, errors = validate(**overrides)
    assert spec is None
    assert any(where == path and words in message for where, message in errors), errors
