"""Daily rollups catch up on days beat missed, and pruning never deletes a raw result that
no rollup has counted."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from probes import rollup
from probes.models import ProbeDaily, ProbeRun
from probes.tasks import prune_probe_history, rollup_probe_days
from tests.test_probe_automation import make_probe

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def noon():
    with time_machine.travel(NOW, tick=False):
        yield


def raw_runs(probe, day: date, *durations: int, failed: int = 0, hour: int = 6) -> None:
    """Raw results on `day`, one a minute from `hour`; the first `failed` of them failed."""
    start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    ProbeRun.objects.bulk_create(ProbeRun(
        probe=probe, region="default",
        scheduled_for=start + timedelta(minutes=n), started_at=start + timedelta(minutes=n),
        duration_ms=ms, ok=n >= failed, attempt="t",
    ) for n, ms in enumerate(durations))


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def rollups(probe) -> dict[date, tuple[int, int, int, int]]:
    return {d.day: (d.runs, d.failures, d.p50_ms, d.p95_ms) for d in ProbeDaily.objects.filter(probe=probe)}


def test_days_missed_while_beat_was_down_are_rolled_up(page):
    probe = make_probe(page)
    raw_runs(probe, days_ago(5), 100, 200, 300, failed=1)
    raw_runs(probe, days_ago(4), 50)
    raw_runs(probe, days_ago(1), 80, 90)
    raw_runs(probe, days_ago(0), 70)

    rollup_probe_days()

    assert rollups(probe) == {days_ago(5): (3, 1, 200, 300), days_ago(4): (1, 0, 50, 50),
                              days_ago(1): (2, 0, 80, 90), days_ago(0): (1, 0, 70, 70)}


def test_a_day_with_results_after_its_rollup_is_rolled_up_again_and_a_current_one_is_left_alone(page):
    probe = make_probe(page)
    raw_runs(probe, days_ago(3), 100)
    raw_runs(probe, days_ago(2), 100)
    rollup_probe_days()
    ProbeDaily.objects.filter(day=days_ago(2)).update(p50_ms=1)  # a marker: was it rewritten?

    raw_runs(probe, days_ago(3), 300, 500, hour=20)  # a late batch, recorded after the rollup
    rollup_probe_days()

    assert rollups(probe)[days_ago(3)] == (3, 0, 300, 500)
    assert rollups(probe)[days_ago(2)] == (1, 0, 1, 100)


def test_pruning_rolls_up_a_day_no_rollup_has_counted_before_deleting_its_results(page, settings):
    settings.PROBE_RETENTION_DAYS = 7
    probe = make_probe(page)
    raw_runs(probe, days_ago(10), 400, 600, failed=2)  # beat was down: never rolled up

    prune_probe_history()

    assert ProbeRun.objects.count() == 0
    assert rollups(probe) == {days_ago(10): (2, 2, 400, 600)}


def test_pruning_deletes_whole_days_past_retention_and_keeps_the_rest(page, settings):
    settings.PROBE_RETENTION_DAYS = 7
    probe = make_probe(page)
    raw_runs(probe, days_ago(8), 100, hour=23)
    raw_runs(probe, days_ago(7), 100, 200, hour=0)  # before "now minus 7 days" (noon), same day
    raw_runs(probe, days_ago(1), 100)
    rollup_probe_days()
    before = rollups(probe)

    assert rollup.prune() == 1

    kept = sorted(run.started_at.astimezone(UTC).date() for run in ProbeRun.objects.all())
    assert kept == [days_ago(7), days_ago(7), days_ago(1)]
    assert rollups(probe) == before
    rollup_probe_days()  # a day whose raw results are gone keeps its rollup
    assert rollups(probe) == before


def test_results_older_than_any_rollup_is_kept_are_deleted(page, settings):
    settings.PROBE_ROLLUP_DAYS = 30
    probe = make_probe(page)
    raw_runs(probe, days_ago(40), 100)
    ProbeDaily.objects.create(probe=probe, day=days_ago(31), runs=1)

    rollup.prune()

    assert ProbeRun.objects.count() == 0 and ProbeDaily.objects.count() == 0
