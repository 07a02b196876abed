"""From verdicts to status: trip, recover, reopen, drafts, quorum and human precedence."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from demo_target.server import start_in_thread
from probes.automation import advance_incidents
from probes.config import apply_probes
from probes.models import Probe, ProbeRun
from probes.recording import record_batch
from probes.runner import Verdict
from probes.spec import validate_probe
from probes.tasks import run_probe_batch
from statuspage.models import AuditLog, Component, Incident, OutboxEvent
from statuspage.notify.oncall_alerts import ONCALL_EVENT
from statuspage.services.components import do_set_component_status
from statuspage.services.incidents import do_open_incident, do_post_update, do_publish_draft
from tests.citizens import apply_demo_config, english_msgids, latin_words, visible_text
from tests.test_languages import NAMES

pytestmark = pytest.mark.django_db

WRONG_DEFERRAL = Verdict(ok=False, duration_ms=40, failure_class="assertion", step_index=1,
                         step="profile shows the canary's true data", expectation="none", seen="granted",
                         message="Step 'profile shows the canary's true data' failed: $.deferment.status = granted, "
                                 "expected none")
LOGIN_DOWN = Verdict(ok=False, duration_ms=40, failure_class="http_status", step_index=0, step="login",
                     expectation="HTTP 200", seen="HTTP 503",
                     message="Step 'login' failed: HTTP 503, expected HTTP 200")
GOOD = Verdict(ok=True, duration_ms=40)
SLOW = Verdict(ok=True, duration_ms=2500)


def make_probe(page, key="reserve-profile", component="reserve-data", **overrides):
    raw = {"key": key, "component": component, "interval": "2s", "timeout": "1500ms", "trip_after": 2,
           "recover_after": 2,
           "degraded_over": "2000ms", "steps": [{"name": "profile", "request": {"method": "GET",
                                                                              "url": "http://127.0.0.1:9/x"}}]}
    raw.update(overrides)
    spec, errors = validate_probe(raw, "probes[0]", {"reserve-auth", "reserve-data", "oneid-signin"})
    assert errors == []
    apply_probes([spec], prune=False, changes=[])
    return Probe.objects.get(key=key)


class Runs:
    """Feeds verdicts as if workers ran them, one scheduled time after another."""

    def __init__(self):
        self.clock = timezone.now()

    def __call__(self, probe, *verdicts, region="default"):
        for verdict in verdicts:
            self.clock += timedelta(seconds=2)
            record_batch(region, [(Probe.objects.get(pk=probe.pk), self.clock, self.clock, verdict)])


@pytest.fixture
def runs():
    return Runs()


def component(key="reserve-data"):
    return Component.objects.get(key=key)


def test_one_failure_does_not_trip_but_two_in_a_row_do(page, runs):
    probe = make_probe(page)

    runs(probe, WRONG_DEFERRAL)
    assert component().status == "operational" and Incident.objects.count() == 0

    runs(probe, WRONG_DEFERRAL)
    assert component().status == "major_outage"
    incident = Incident.objects.get()
    assert incident.published and incident.status == "investigating" and incident.probe_key == probe.key
    assert incident.name == "Registration data: some people may be shown wrong information"
    assert "do not act on it" in incident.updates.get().body
    assert "deferment" not in incident.updates.get().body  # the diagnostics stay inside
    assert list(incident.components.values_list("key", flat=True)) == ["reserve-data"]


def test_a_flapping_probe_does_not_trip(page, runs):
    probe = make_probe(page)

    runs(probe, WRONG_DEFERRAL, GOOD, WRONG_DEFERRAL, GOOD, WRONG_DEFERRAL)

    assert component().status == "operational" and Incident.objects.count() == 0


def test_recovery_moves_the_incident_to_monitoring_and_a_quiet_monitoring_for_resolves_it(page, runs):
    probe = make_probe(page, monitoring_for="5m")
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD)
    assert component().status == "major_outage"

    runs(probe, GOOD)
    incident = Incident.objects.get()
    assert incident.status == "monitoring" and component().status == "operational"
    assert "working again" in incident.updates.first().body
    assert advance_incidents() == 0  # not quiet long enough yet

    assert advance_incidents(timezone.now() + timedelta(minutes=5, seconds=1)) == 1
    incident.refresh_from_db()
    assert incident.status == "resolved" and "is fixed" in incident.updates.first().body
    assert advance_incidents(timezone.now() + timedelta(minutes=30)) == 0  # resolved once


def test_a_retrip_during_monitoring_returns_to_identified_without_a_resolved(page, runs):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD, WRONG_DEFERRAL, WRONG_DEFERRAL)

    incident = Incident.objects.get()
    assert incident.status == "identified"
    assert [u.status for u in incident.updates.order_by("created_at")] == ["investigating", "monitoring", "identified"]
    assert component().status == "major_outage"


def test_a_flapping_target_gives_one_incident_and_at_most_one_public_resolved(page, runs):
    probe = make_probe(page, monitoring_for="1m")
    for _ in range(3):
        runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD)
        advance_incidents()

    assert advance_incidents(timezone.now() + timedelta(minutes=2)) == 1
    incident = Incident.objects.get()
    assert [u.status for u in incident.updates.order_by("created_at")] == [
        "investigating", "monitoring", "identified", "monitoring", "identified", "monitoring", "resolved"]
    assert component().status == "operational"
    alerts = [e.data["what"] for e in OutboxEvent.objects.filter(type=ONCALL_EVENT).order_by("created_at")]
    assert alerts == ["tripped", "resolved"]  # one page for one incident, and word when it is over


def test_a_retrip_of_another_kind_opens_its_own_incident_named_for_it(page, runs):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD, LOGIN_DOWN, LOGIN_DOWN)

    wrong, down = Incident.objects.order_by("created_at")
    assert wrong.name == "Registration data: some people may be shown wrong information"
    assert wrong.status == "monitoring"
    assert down.name == "Registration data: not working" and down.status == "investigating"
    assert component().status == "major_outage"


def test_a_probe_still_down_but_failing_another_way_opens_an_incident_named_for_it(page, runs):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, LOGIN_DOWN)
    assert Incident.objects.count() == 1  # one odd run is not a new failure

    runs(probe, LOGIN_DOWN)
    wrong, down = Incident.objects.order_by("created_at")
    assert down.name == "Registration data: not working" and wrong.status == "investigating"

    runs(probe, GOOD, GOOD)  # both move to monitoring, and both resolve once quiet
    assert {i.status for i in Incident.objects.all()} == {"monitoring"}
    advance_incidents(timezone.now() + timedelta(minutes=11))
    assert {i.status for i in Incident.objects.all()} == {"resolved"}
    assert component().status == "operational"


def test_a_retrip_after_the_cooling_off_window_opens_a_new_incident(page, runs):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD)

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        advance_incidents()
        runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)

    assert Incident.objects.count() == 2


def test_slow_runs_degrade_the_component_without_an_incident(page, runs):
    probe = make_probe(page)

    runs(probe, SLOW, SLOW)
    assert component().status == "degraded_performance" and Incident.objects.count() == 0

    runs(probe, GOOD, GOOD)
    assert component().status == "operational"


def test_draft_mode_opens_an_unpublished_incident_and_leaves_the_page_alone(page, runs):
    probe = make_probe(page, incident="draft")

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)

    incident = Incident.objects.get()
    assert not incident.published
    assert component().status == "operational"


def test_none_mode_changes_the_status_but_opens_no_incident(page, runs):
    probe = make_probe(page, incident="none", on_failure="partial_outage")

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)

    assert component().status == "partial_outage" and Incident.objects.count() == 0


def test_a_status_set_by_hand_wins_over_the_probe(page, runs):
    probe = make_probe(page)
    do_set_component_status(component(), "partial_outage", source=Component.Source.MANUAL)

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD)

    assert component().status == "partial_outage"
    assert Incident.objects.count() == 0


def test_an_incident_opened_by_a_person_wins_until_resolved(page, runs):
    probe = make_probe(page)
    human = do_open_incident(name="We know", components={component(): "degraded_performance"})

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    assert component().status == "degraded_performance" and Incident.objects.count() == 1

    do_post_update(human, status="resolved")
    runs(probe, WRONG_DEFERRAL)  # still failing: the probe takes over again
    assert component().status == "major_outage"


def test_a_person_who_took_over_the_probes_incident_resolves_it_and_is_told_of_the_recovery(
        page, runs, oncall_user):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    do_post_update(Incident.objects.get(), status="identified", body="Rolling back", author=oncall_user)

    runs(probe, GOOD, GOOD)

    assert Incident.objects.get().status == "monitoring"  # shown publicly as monitoring
    alert = OutboxEvent.objects.filter(type=ONCALL_EVENT).order_by("created_at").last()
    assert alert.data["what"] == "recovered"
    assert advance_incidents(timezone.now() + timedelta(days=1)) == 0  # a person resolves it
    assert Incident.objects.get().status == "monitoring"


def test_quorum_needs_two_regions_to_agree(page, runs):
    probe = make_probe(page, regions=["eu", "us"], quorum=2)

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, region="eu")
    assert component().status == "operational"

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, region="us")
    assert component().status == "major_outage"
    assert Incident.objects.count() == 1


def test_the_worst_probe_sets_the_components_status(page, runs):
    failing = make_probe(page, key="a", on_failure="partial_outage")
    slow = make_probe(page, key="b")

    runs(slow, SLOW, SLOW)
    runs(failing, WRONG_DEFERRAL, WRONG_DEFERRAL)

    assert component().status == "partial_outage"


def test_a_redelivered_batch_is_recorded_once(page):
    probe = make_probe(page)
    when = timezone.now()

    for _ in range(3):
        record_batch("default", [(probe, when, when, WRONG_DEFERRAL)])

    assert ProbeRun.objects.count() == 1
    assert Probe.objects.get(pk=probe.pk).regions.get().consecutive_failures == 1


def test_a_probe_in_none_mode_writes_no_audit_entry_per_failing_run(page, runs):
    probe = make_probe(page, incident="none")

    runs(probe, *[WRONG_DEFERRAL] * 6)

    assert component().status == "major_outage"
    assert AuditLog.objects.filter(action="probe_down").count() == 1  # the trip, not every run after it


def test_a_run_for_a_region_removed_in_flight_is_skipped_and_the_rest_of_the_batch_counts(page, caplog):
    gone = make_probe(page, key="gone", regions=["eu", "us"])
    kept = make_probe(page, key="kept", regions=["eu"])
    gone.regions.filter(region="eu").delete()  # a config apply dropped the region mid-batch
    when = timezone.now()

    for n in range(2):
        batch_time = when + timedelta(seconds=2 * n)
        record_batch("eu", [(gone, batch_time, batch_time, WRONG_DEFERRAL), (kept, batch_time, batch_time,
                                                                            WRONG_DEFERRAL)])

    assert Probe.objects.get(key="kept").state == "down" and Probe.objects.get(key="gone").state == "up"
    assert component().status == "major_outage"
    assert "has no region 'eu' any more" in caplog.text


# --------------------------------------- maintenance: only one in progress holds the component


def maintenance(starts_in: timedelta, key="reserve-data") -> Incident:
    start = timezone.now() + starts_in
    return do_open_incident(name="Database upgrade", kind=Incident.Kind.MAINTENANCE, scheduled_for=start,
                            scheduled_until=start + timedelta(hours=2),
                            components={component(key): "under_maintenance"})


def test_a_maintenance_booked_for_later_does_not_stop_a_probe_from_tripping(page, runs):
    maintenance(starts_in=timedelta(days=3))
    probe = make_probe(page)

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)

    assert component().status == "major_outage"
    assert Incident.objects.get(probe_key=probe.key).published


def test_a_maintenance_in_progress_keeps_the_probe_off_its_component(page, runs):
    work = maintenance(starts_in=timedelta(days=3))
    do_post_update(work, status="in_progress", components={component(): "under_maintenance"})
    probe = make_probe(page)

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)

    assert component().status == "under_maintenance"
    assert not Incident.objects.filter(probe_key=probe.key).exists()


# ------------------------------- through the real runner, against a real HTTP target on loopback


@pytest.fixture
def reserve(monkeypatch, probes_reach_loopback):
    """The demo target (a stand-in for Reserve+), its canary in the workers' environment."""
    monkeypatch.setenv("CANARY_PHONE", "+380500000001")
    monkeypatch.setenv("CANARY_CODE", "000000")
    server, base = start_in_thread(mode="ok")
    monkeypatch.setenv("RESERVE_BASE_URL", f"{base}/reserve")
    yield server
    server.stop()


# The demo's own check: log in as the canary, then read the profile's deferment.
CANARY_STEPS = [
    {"name": "login", "request": {"method": "POST", "url": "{{ env.RESERVE_BASE_URL }}/api/login",
                                  "json": {"phone": "{{ env.CANARY_PHONE }}", "code": "{{ env.CANARY_CODE }}"}},
     "expect": {"status": 200, "json": {"$.token": {"exists": True}}}, "save": {"token": "$.token"}},
    {"name": "profile shows the canary's true data",
     "request": {"method": "GET", "url": "{{ env.RESERVE_BASE_URL }}/api/profile",
                 "headers": {"Authorization": "Bearer {{ token }}"}},
     "expect": {"status": 200, "json": {"$.deferment.status": "none"}}},
]


def live_probe(page, **overrides):
    return make_probe(page, steps=CANARY_STEPS, **overrides)


class LiveRuns:
    """Runs a probe as a worker does (the task's body: the runner, then the recording), one
    scheduled time after another."""

    def __init__(self):
        self.clock = timezone.now()

    def __call__(self, probe, times: int, region="default"):
        for _ in range(times):
            self.clock += timedelta(seconds=2)
            assert run_probe_batch(region, [(probe.pk, self.clock.isoformat())]) == 1


@pytest.fixture
def live_runs():
    return LiveRuns()


def test_a_quick_retrip_against_a_real_target_continues_the_same_incident(page, reserve, live_runs):
    probe = live_probe(page)

    reserve.drill.switch("wrong_deferral")
    live_runs(probe, 2)
    incident = Incident.objects.get()
    assert component().status == "major_outage"
    assert "do not act on it" in incident.updates.get().body
    reserve.drill.switch("ok")
    live_runs(probe, 2)
    assert Incident.objects.get().status == "monitoring" and component().status == "operational"

    reserve.drill.switch("wrong_deferral")
    live_runs(probe, 2)

    assert Incident.objects.get().pk == incident.pk
    assert [u.status for u in incident.updates.order_by("created_at")] == ["investigating", "monitoring", "identified"]
    assert [(a.component.key, a.new_status) for a in incident.updates.first().affected_components.all()] == [
        ("reserve-data", "major_outage")]
    assert component().status == "major_outage"
    assert ProbeRun.objects.filter(ok=False, failure_class="assertion").count() == 4


def test_a_draft_against_a_real_target_waits_for_on_call_then_acts_as_auto(
        page, reserve, live_runs, oncall_user, django_capture_on_commit_callbacks):
    probe = live_probe(page, incident="draft", on_failure="partial_outage")
    reserve.drill.switch("wrong_deferral")
    live_runs(probe, 3)
    draft = Incident.objects.get()
    assert not draft.published and component().status == "operational"

    with django_capture_on_commit_callbacks(execute=True):
        do_publish_draft(draft, author=oncall_user)
    assert component().status == "partial_outage"  # published while still down: the probe's status applies

    reserve.drill.switch("ok")
    live_runs(probe, 2)
    assert Incident.objects.get().status == "monitoring" and component().status == "operational"
    advance_incidents(timezone.now() + timedelta(minutes=11))
    assert Incident.objects.get().status == "resolved"

    reserve.drill.switch("wrong_deferral")
    live_runs(probe, 2)  # a quick re-trip reopens the incident on-call published, in public
    assert Incident.objects.get().status == "identified" and component().status == "partial_outage"


def test_a_draft_published_after_the_probe_recovered_changes_nothing(
        page, runs, django_capture_on_commit_callbacks):
    probe = make_probe(page, incident="draft")
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD)

    with django_capture_on_commit_callbacks(execute=True):
        do_publish_draft(Incident.objects.get())

    assert component().status == "operational"
    assert Incident.objects.get().status == "monitoring"


def test_a_new_draft_after_the_cooling_off_window_waits_for_on_call_again(
        page, runs, django_capture_on_commit_callbacks):
    probe = make_probe(page, incident="draft")
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    with django_capture_on_commit_callbacks(execute=True):
        do_publish_draft(Incident.objects.get())
    runs(probe, GOOD, GOOD)

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        advance_incidents()
        runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, WRONG_DEFERRAL)

    assert Incident.objects.filter(published=False).count() == 1
    assert component().status == "operational"


# ------------------------------------------------------------- in the reader's language


@pytest.fixture
def demo(db):
    apply_demo_config()  # every language, and the components' names in each


def test_a_probes_incident_is_told_in_the_readers_language(demo, runs):
    probe = make_probe(None)

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)

    uk = Client().get("/?lang=uk").content.decode()
    uz_latn = Client().get("/?lang=uz-latn").content.decode()
    assert "Дані військового обліку: деяким людям можуть показувати хибні дані" in uk
    assert "сервіс <strong>Дані військового обліку</strong> показує хибні дані" in uk
    assert "Harbiy hisob maʼlumotlari: ayrim odamlarga notoʻgʻri maʼlumot koʻrsatilishi mumkin" in uz_latn
    assert "rasmiy kanallarga murojaat qiling" in uz_latn
    assert "wrong information" not in uk + uz_latn
    # What the check saw stays inside: no step, no path, no value.
    assert "deferment" not in uk + uz_latn and "profile shows" not in uk + uz_latn
    # The plain texts, for the API and for readers of other languages, stay English.
    assert Incident.objects.get().name == "Registration data: some people may be shown wrong information"


def test_the_recovery_and_the_relapse_are_told_in_the_readers_language_too(demo, runs):
    probe = make_probe(None)

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD)
    incident = Incident.objects.get()
    recovered = Client().get(f"/incidents/{incident.id}?lang=uk").content.decode()
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    back = Client().get(f"/incidents/{incident.id}?lang=ru").content.decode()

    assert "Сервіс <strong>Дані військового обліку</strong> знову працює." in recovered
    assert "сервис <strong>Данные воинского учёта</strong> показывает неверные данные" in back


@pytest.mark.parametrize("lang, html_lang", [("uz", "uz-Cyrl"), ("uz-latn", "uz-Latn")])
def test_an_uzbek_reader_meets_no_english_in_a_probes_incident(demo, runs, lang, html_lang):
    probe = make_probe(None)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD, WRONG_DEFERRAL, WRONG_DEFERRAL)

    html = Client().get(f"/incidents/{Incident.objects.get().id}?lang={lang}").content.decode()
    text = visible_text(html, html_lang)  # the check's own words are code: not read as prose

    english = sorted(m for m in english_msgids() if re.search(r"[A-Za-z]{4}", m) and m in text)
    assert english == []
    if lang == "uz":
        assert latin_words(re.sub(r"\S*/\S*", " ", text)) - NAMES == set()
