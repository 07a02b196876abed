"""Is monitoring blind? Heartbeats and every probe's last run, against what they should be.

A probe is stale when its last run (or, before the first, its creation) is older than two
intervals plus a grace: one late run is load, two missed ones are a stopped worker, a
hung pool or a dead beat. Beat and the dispatcher are stale when their heartbeat is older
than HEARTBEAT_STALE_S. `since` is when the first thing that is now stale was due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from probes import heartbeats
from probes.models import RegionState

LISTED = 20  # names in the answer; a whole region stale is named once as its queue


@dataclass
class Blindness:
    stale: list[str] = field(default_factory=list)
    since: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.stale)


def allowed_age(interval_s: float) -> timedelta:
    return timedelta(seconds=2 * interval_s + min(settings.HEARTBEAT_STALE_S, interval_s / 2))


def check(now: datetime | None = None) -> Blindness:
    """What is stale now (nothing while no probe is enabled: nothing is watched, nothing is blind)."""
    now = now or timezone.now()
    rows = list(RegionState.objects.filter(probe__enabled=True).values_list(
        "probe__key", "region", "last_run_at", "probe__created_at", "probe__definition__interval_ms"))
    if not rows:
        return Blindness()
    due: dict[str, datetime] = {}  # stale thing -> when it was due
    by_region: dict[str, list[str]] = {}
    for key, region, last_run, created, interval_ms in rows:
        interval = interval_ms / 1000
        seen = last_run or created
        name = f"probe {key}@{region}"
        by_region.setdefault(region, []).append(name)
        if now - seen > allowed_age(interval):
            due[name] = seen + timedelta(seconds=interval)
    for region, names in by_region.items():
        if all(n in due for n in names):
            due[f"queue probes.{region}"] = min(due.pop(n) for n in names)
    oldest = min(created for _, _, _, created, _ in rows)
    limit = timedelta(seconds=settings.HEARTBEAT_STALE_S)
    beats = heartbeats.last(["beat", "dispatcher"])
    for name in ("beat", "dispatcher"):
        seen = datetime.fromtimestamp(beats[name], tz=UTC) if name in beats else oldest
        if now - seen > limit:
            due[name] = seen
    if not due:
        return Blindness()
    names = sorted(due, key=lambda n: (not n.startswith(("beat", "dispatcher", "queue")), n))
    return Blindness(names[:LISTED], min(due.values()))
