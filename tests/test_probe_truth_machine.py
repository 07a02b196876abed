"""A stateful property test: whatever probes, people, maintenances and the clock do, the page
stays true.

Hypothesis drives random sequences of probe verdicts, human incidents, maintenance starts
and ends and clock steps (each followed by the beat's advance_incidents), and checks after
every step: the indicator is what the components and open incidents imply; no component is
non-operational unless an open incident, a tripped probe or a maintenance holds it; no
incident is publicly resolved twice within its quiet period.
"""

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from probes.automation import advance_incidents
from probes.models import Probe
from probes.recording import record_batch
from statuspage.models import Component, Incident
from statuspage.public.state import PublicState
from statuspage.services.incidents import do_open_incident, do_post_update
from statuspage.statuses import COMPONENT_INDICATOR, IMPACT_SEVERITY, worst_impact
from tests.test_probe_automation import GOOD, LOGIN_DOWN, SLOW, WRONG_DEFERRAL, make_probe

QUIET = timedelta(minutes=5)  # the probes' monitoring_for
VERDICTS = {"wrong": WRONG_DEFERRAL, "down": LOGIN_DOWN, "slow": SLOW, "good": GOOD}
COMPONENTS = ("reserve-data", "reserve-auth")


class PageStaysTrue(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example in a savepoint rolled back at its end; the clock only moves when told.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.traveller = time_machine.travel(timezone.now(), tick=False)
        self.clock = self.traveller.start()
        Probe.objects.all().delete()
        Incident.objects.all().delete()
        Component.objects.update(status="operational", status_source="manual")
        self.probes = [
            make_probe(None, key="data", component="reserve-data", trip_after=1, recover_after=1,
                       monitoring_for="5m"),
            make_probe(None, key="data-partial", component="reserve-data", trip_after=1, recover_after=1,
                       monitoring_for="5m", on_failure="partial_outage"),
            make_probe(None, key="auth", component="reserve-auth", trip_after=1, recover_after=1,
                       monitoring_for="5m"),
            make_probe(None, key="auth-review", component="reserve-auth", trip_after=1, recover_after=1,
                       monitoring_for="5m", incident="review", publish_after="2m"),
        ]
        self.runs = 0
        self.person = get_user_model().objects.create_user("oncall-machine")

    def teardown(self):
        self.traveller.stop()
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # ------------------------------------------------------------ what happens

    @rule(probe=st.integers(0, 3), verdict=st.sampled_from(sorted(VERDICTS)))
    def a_probe_runs(self, probe, verdict):
        self.runs += 1
        when = timezone.now() + timedelta(microseconds=self.runs)  # unique scheduled time per run
        record_batch("default", [(Probe.objects.get(pk=self.probes[probe].pk), when, when, VERDICTS[verdict])])

    @rule(key=st.sampled_from(COMPONENTS), status=st.sampled_from(["degraded_performance", "major_outage"]))
    def a_person_opens_an_incident(self, key, status):
        do_open_incident(name="We are on it", components={Component.objects.get(key=key): status},
                         author=self.person)

    @rule(status=st.sampled_from(["identified", "monitoring", "resolved"]))
    def a_person_posts_an_update(self, status):
        incident = Incident.objects.open().filter(kind=Incident.Kind.INCIDENT).order_by("?").first()
        if incident is not None:
            do_post_update(incident, status=status, body="An update from on-call", author=self.person)

    @rule(key=st.sampled_from(COMPONENTS))
    def a_maintenance_starts(self, key):
        do_open_incident(name="Upgrade", kind=Incident.Kind.MAINTENANCE, status="in_progress",
                         scheduled_for=timezone.now(), scheduled_until=timezone.now() + timedelta(hours=1),
                         components={Component.objects.get(key=key): "under_maintenance"}, via="system")

    @rule()
    def a_maintenance_ends(self):
        work = Incident.objects.under_way().filter(kind=Incident.Kind.MAINTENANCE).first()
        if work is not None:
            do_post_update(work, status="completed", via="system")

    @rule(seconds=st.sampled_from([5, 60, 299, 301, 1200]))
    def time_passes(self, seconds):
        self.clock.shift(timedelta(seconds=seconds))
        advance_incidents()

    # ------------------------------------------------------------ what must stay true

    @invariant()
    def the_indicator_is_what_components_and_open_incidents_imply(self):
        state = PublicState.load()
        impacts = [COMPONENT_INDICATOR[c.status] for c in Component.objects.all()]
        for incident in Incident.objects.public().open().filter(kind=Incident.Kind.INCIDENT):
            held = "minor" if incident.status == "monitoring" else incident.impact
            impacts.append(min(held, incident.impact, key=IMPACT_SEVERITY.__getitem__))
        expected = worst_impact(impacts)
        if expected == "none" and Incident.objects.under_way().filter(kind=Incident.Kind.MAINTENANCE).exists():
            expected = "maintenance"
        assert state.indicator == expected

    @invariant()
    def no_component_is_down_unless_something_holds_it(self):
        under_way = Incident.objects.public().under_way()
        for component in Component.objects.exclude(status="operational"):
            if component.status == "under_maintenance":
                held = under_way.filter(kind=Incident.Kind.MAINTENANCE, components=component).exists()
            else:
                held = (under_way.filter(kind=Incident.Kind.INCIDENT, components=component).exists()
                        or component.probes.exclude(state="up").exists())
            assert held, f"{component.key} is {component.status} ({component.status_source}) and nothing holds it"

    @invariant()
    def no_incident_is_publicly_resolved_twice_within_its_quiet_period(self):
        for incident in Incident.objects.public().exclude(probe_key=""):
            times = list(incident.updates.filter(status="resolved").order_by("created_at")
                         .values_list("created_at", flat=True))
            for before, after in itertools.pairwise(times):
                assert after - before >= QUIET, f"{incident.name} resolved at {before} and again at {after}"


@pytest.mark.django_db
def test_the_page_stays_true_whatever_probes_people_maintenances_and_the_clock_do(page):
    run_state_machine_as_test(PageStaysTrue, settings=settings(
        max_examples=20, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
