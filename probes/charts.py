"""Response-time series for the public page, read from daily rollups only, so the page
costs the same with a million raw results as with ten million."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from probes.models import ProbeDaily


@dataclass
class Point:
    day: date
    p50_ms: int
    p95_ms: int


def latency_series(component_ids: list[int], days: int = 90) -> dict[int, list[Point]]:
    """Per component: the daily p50/p95 of its slowest probe, oldest first (one query)."""
    since = timezone.now().date() - timedelta(days=days - 1)
    rows = (ProbeDaily.objects.filter(probe__component_id__in=component_ids, day__gte=since, runs__gt=0)
            .values_list("probe__component_id", "day", "p50_ms", "p95_ms").order_by("day"))
    worst: dict[int, dict[date, Point]] = defaultdict(dict)
    for component_id, day, p50, p95 in rows:
        current = worst[component_id].get(day)
        if current is None or p95 > current.p95_ms:
            worst[component_id][day] = Point(day, p50, p95)
    return {cid: sorted(points.values(), key=lambda p: p.day) for cid, points in worst.items()}
