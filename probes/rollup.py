"""Per-probe, per-day rollups (kept PROBE_ROLLUP_DAYS) and pruning of raw runs (kept
PROBE_RETENTION_DAYS), so that nothing public ever reads the raw results.

Days are UTC days. A day is rolled up when it has raw runs that its rollup has not
counted (none yet, or results that came in after it), so days missed while beat was down
are caught up. Raw runs are pruned a whole day at a time, and a day not yet counted is
rolled up first, so no result is deleted before a rollup has counted it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Min, Sum
from django.utils import timezone

from probes.models import ProbeDaily, ProbeRun


def percentile(sorted_values: list[int], p: float) -> int:
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _runs_of(day: date):
    start = _start(day)
    return ProbeRun.objects.filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def rollup_day(day: date) -> int:
    """Write the rollups of the day's probes that have runs not yet counted; how many."""
    durations: dict[int, list[int]] = defaultdict(list)
    failures: dict[int, int] = defaultdict(int)
    for probe_id, duration, ok in _runs_of(day).values_list("probe_id", "duration_ms", "ok").iterator(chunk_size=5000):
        durations[probe_id].append(duration)
        failures[probe_id] += 0 if ok else 1
    counted = dict(ProbeDaily.objects.filter(day=day).values_list("probe_id", "runs"))
    written = 0
    for probe_id, values in durations.items():
        if len(values) <= counted.get(probe_id, 0):
            continue  # already counted (raw runs never change), or pruned in part since
        values.sort()
        ProbeDaily.objects.update_or_create(probe_id=probe_id, day=day, defaults={
            "runs": len(values), "failures": failures[probe_id],
            "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
        })
        written += 1
    return written


def is_rolled_up(day: date) -> bool:
    """The day's rollups count every raw run it has. Raw runs only go a whole day at a time
    (pruning) or together with their probe's rollups, so totals are enough, and a count
    over the `started_at` index is cheap. (Fewer raw runs than counted: a day that an older
    version pruned in part.)"""
    counted = ProbeDaily.objects.filter(day=day).aggregate(n=Sum("runs"))["n"] or 0
    return _runs_of(day).count() <= counted


def days_with_raw_runs() -> list[date]:
    """From the oldest raw run's day (at most PROBE_ROLLUP_DAYS back) to today."""
    oldest = ProbeRun.objects.aggregate(oldest=Min("started_at"))["oldest"]
    today = _today()
    if oldest is None:
        return []
    first = max(oldest.astimezone(UTC).date(), today - timedelta(days=settings.PROBE_ROLLUP_DAYS))
    return [first + timedelta(days=n) for n in range((today - first).days + 1)]


def rollup_pending_days() -> int:
    """Roll up every day with raw runs not yet counted: today (runs keep coming), and any
    day beat missed. Returns how many (probe, day) rollups were written."""
    written = 0
    for day in days_with_raw_runs():
        if not is_rolled_up(day):
            written += rollup_day(day)
    return written


def prune(batch: int = 5000) -> int:
    """Delete raw runs past retention, a whole UTC day at a time and in batches (no long
    lock); a day whose rollup is not current is rolled up first."""
    keep_from = _today() - timedelta(days=settings.PROBE_RETENTION_DAYS)
    deleted = 0
    for day in (d for d in days_with_raw_runs() if d < keep_from):
        if not is_rolled_up(day):
            rollup_day(day)
        deleted += _delete_in_batches(_runs_of(day), batch)
    # Older than any rollup is kept: no chart will ever read these.
    deleted += _delete_in_batches(ProbeRun.objects.filter(
        started_at__lt=_start(_today() - timedelta(days=settings.PROBE_ROLLUP_DAYS))), batch)
    ProbeDaily.objects.filter(day__lt=_today() - timedelta(days=settings.PROBE_ROLLUP_DAYS)).delete()
    return deleted


def _delete_in_batches(runs, batch: int) -> int:
    deleted = 0
    while ids := list(runs.values_list("pk", flat=True)[:batch]):
        deleted += ProbeRun.objects.filter(pk__in=ids).delete()[0]
    return deleted
