"""Per-probe, per-day rollups (kept PROBE_ROLLUP_DAYS) and pruning of raw runs (kept
PROBE_RETENTION_DAYS), so that nothing public ever reads the raw results."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone as dt_timezone

from django.conf import settings
from django.utils import timezone

from probes.models import ProbeDaily, ProbeRun


def percentile(sorted_values: list[int], p: float) -> int:
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def rollup_day(day: date) -> int:
    start = datetime.combine(day, time.min, dt_timezone.utc)
    runs = ProbeRun.objects.filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))
    durations: dict[int, list[int]] = defaultdict(list)
    failures: dict[int, int] = defaultdict(int)
    for probe_id, duration, ok in runs.values_list("probe_id", "duration_ms", "ok").iterator(chunk_size=5000):
        durations[probe_id].append(duration)
        failures[probe_id] += 0 if ok else 1
    for probe_id, values in durations.items():
        values.sort()
        ProbeDaily.objects.update_or_create(probe_id=probe_id, day=day, defaults={
            "runs": len(values), "failures": failures[probe_id],
            "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
        })
    return len(durations)


def rollup_recent_days() -> int:
    today = timezone.now().astimezone(dt_timezone.utc).date()
    return rollup_day(today - timedelta(days=1)) + rollup_day(today)


def prune(batch: int = 5000) -> int:
    """Delete raw runs past retention in batches, so one prune never holds a long lock."""
    cutoff = timezone.now() - timedelta(days=settings.PROBE_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(ProbeRun.objects.filter(started_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        if not ids:
            break
        deleted += ProbeRun.objects.filter(pk__in=ids).delete()[0]
    old = timezone.now().date() - timedelta(days=settings.PROBE_ROLLUP_DAYS)
    ProbeDaily.objects.filter(day__lt=old).delete()
    return deleted
