"""From verdicts to status: trip, recover, reopen, drafts, quorum and human precedence."""

from datetime import timedelta

import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from probes.config import apply_probes
from probes.models import Probe, ProbeRun
from probes.recording import record_batch
from probes.runner import Verdict
from probes.spec import validate_probe
from statuspage.models import Component, Incident
from tests.citizens import apply_demo_config, english_msgids, latin_words, visible_text
from tests.test_languages import NAMES

pytestmark = pytest.mark.django_db

WRONG_DEFERRAL = Verdict(ok=False, duration_ms=40, failure_class="assertion", step_index=1,
                         step="profile shows the canary's true data", expectation="none", seen="granted",
                         message="Step 'profile shows the canary's true data' failed: $.deferment.status = granted, "
                                 "expected none")
GOOD = Verdict(ok=True, duration_ms=40)
SLOW = Verdict(ok=True, duration_ms=2500)


def make_probe(page, key="reserve-profile", component="reserve-data", **overrides):
    raw = {"key": key, "component": component, "interval": "2s", "timeout": "1500ms", "trip_after": 2, "recover_after": 2,
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
    assert incident.name == "Registration data: wrong data was shown to a test account"
    assert "$.deferment.status = granted, expected none" in incident.updates.get().body
    assert list(incident.components.values_list("key", flat=True)) == ["reserve-data"]


def test_a_flapping_probe_does_not_trip(page, runs):
    probe = make_probe(page)

    runs(probe, WRONG_DEFERRAL, GOOD, WRONG_DEFERRAL, GOOD, WRONG_DEFERRAL)

    assert component().status == "operational" and Incident.objects.count() == 0


def test_recovery_resolves_the_incident_after_recover_after_passes(page, runs):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD)
    assert component().status == "major_outage"

    runs(probe, GOOD)

    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert component().status == "operational"
    assert "passed 2 times in a row" in incident.updates.first().body


def test_a_quick_retrip_reopens_the_same_incident(page, runs):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD, WRONG_DEFERRAL, WRONG_DEFERRAL)

    incident = Incident.objects.get()
    assert incident.status == "investigating"
    assert [u.status for u in incident.updates.all()] == ["investigating", "resolved", "investigating"]
    assert component().status == "major_outage"


def test_a_retrip_after_the_cooling_off_window_opens_a_new_incident(page, runs):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD)

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
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
    component().set_status("partial_outage", source=Component.Source.MANUAL)

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD)

    assert component().status == "partial_outage"
    assert Incident.objects.count() == 0


def test_an_incident_opened_by_a_person_wins_until_resolved(page, runs):
    probe = make_probe(page)
    human = Incident.open_new(name="We know", components={component(): "degraded_performance"})

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    assert component().status == "degraded_performance" and Incident.objects.count() == 1

    human.post_update(status="resolved")
    runs(probe, WRONG_DEFERRAL)  # still failing: the probe takes over again
    assert component().status == "major_outage"


def test_a_person_who_took_over_the_probes_incident_resolves_it(page, runs, oncall_user):
    probe = make_probe(page)
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    Incident.objects.get().post_update(status="identified", body="Rolling back", author=oncall_user)

    runs(probe, GOOD, GOOD)

    assert Incident.objects.get().status == "identified"


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


# ------------------------------------------------------------- in the reader's language


@pytest.fixture
def demo(db):
    apply_demo_config()  # every language, and the components' names in each


def test_a_probes_incident_is_told_in_the_readers_language(demo, runs):
    probe = make_probe(None)

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)

    uk = Client().get("/?lang=uk").content.decode()
    uz_latn = Client().get("/?lang=uz-latn").content.decode()
    assert "Дані військового обліку: тестовому акаунту показано хибні дані" in uk
    assert "виявила проблему: <strong>Дані військового обліку</strong>" in uk and "Ми з’ясовуємо причину." in uk
    assert "Harbiy hisob maʼlumotlari: sinov akkauntiga notoʻgʻri maʼlumot koʻrsatildi" in uz_latn
    assert "Sababini oʻrganyapmiz." in uz_latn
    assert "wrong data was shown" not in uk + uz_latn and "We are investigating" not in uk + uz_latn
    # What the check saw is quoted as it was, as code.
    assert "<code>Step 'profile shows the canary's true data' failed: $.deferment.status = granted, expected none</code>" \
           in uk
    # The plain texts, for the API and for readers of other languages, stay English.
    assert Incident.objects.get().name == "Registration data: wrong data was shown to a test account"


def test_the_recovery_and_the_relapse_are_told_in_the_readers_language_too(demo, runs):
    probe = make_probe(None)

    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL, GOOD, GOOD)
    incident = Incident.objects.get()
    resolved = Client().get(f"/incidents/{incident.id}?lang=uk").content.decode()
    runs(probe, WRONG_DEFERRAL, WRONG_DEFERRAL)
    back = Client().get(f"/incidents/{incident.id}?lang=ru").content.decode()

    assert "<strong>Дані військового обліку</strong>: наша автоматична перевірка пройшла успішно 2 рази поспіль. " \
           "Проблему усунено." in resolved
    assert "Проблема возникла снова." in back and "Данные воинского учёта: тестовому аккаунту показаны неверные данные" in back


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
