"""A run and its effect commit together (issue 12, point 6): a database cut between storing
a batch's runs and moving their state machines keeps neither, and the broker's redelivery
then counts each run once, so the stored state always follows from the recorded runs."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from probes import recording
from probes.models import ProbeRun
from tests.reliability.faults import check_probe_state
from tests.test_probe_automation import WRONG_DEFERRAL, make_probe

pytestmark = pytest.mark.django_db


def cut_at_call(monkeypatch, number):
    """The database connection drops when the batch applies its `number`th run."""
    real, calls = recording.apply_verdict, []

    def apply(*args):
        calls.append(args)
        if len(calls) == number:
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args)

    monkeypatch.setattr(recording, "apply_verdict", apply)


def test_a_cut_between_a_runs_insert_and_its_effect_keeps_neither_and_a_redelivery_counts_it_once(page, monkeypatch):
    first = make_probe(page, key="reserve-health", trip_after=5)
    second = make_probe(page, key="reserve-profile", trip_after=5)
    when = timezone.now()
    batch = [(first, when, when, WRONG_DEFERRAL), (second, when, when, WRONG_DEFERRAL)]
    cut_at_call(monkeypatch, 2)

    with pytest.raises(OperationalError):
        recording.record_batch("default", batch)

    assert ProbeRun.objects.count() == 0
    monkeypatch.undo()
    assert recording.record_batch("default", batch) == 2  # the broker delivers the batch again
    assert recording.record_batch("default", batch) == 0  # and once more: nothing counted twice
    for key in ("reserve-health", "reserve-profile"):
        assert check_probe_state(key).streaks.failures == 1


def test_later_batches_after_a_cut_keep_the_state_in_step_with_the_runs(page, monkeypatch):
    probe = make_probe(page, key="reserve-health", trip_after=3)
    start = timezone.now()
    for n in range(6):
        when = start + timedelta(seconds=2 * n)
        if n == 2:
            cut_at_call(monkeypatch, 1)
            with pytest.raises(OperationalError):
                recording.record_batch("default", [(probe, when, when, WRONG_DEFERRAL)])
            monkeypatch.undo()
            continue  # this batch was lost with its worker: neither run nor effect
        recording.record_batch("default", [(probe, when, when, WRONG_DEFERRAL)])

    replayed = check_probe_state("reserve-health")
    assert ProbeRun.objects.count() == 5 and replayed.trips == 1
