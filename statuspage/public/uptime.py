"""Per-day uptime from the component status-change log.

The log is a chain (each change's old_status is the previous change's new_status), so
the status at the start of the window is the first in-window change's old_status, or
the current status when nothing changed: one query for all components, whatever the
history's length before the window.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from statuspage.i18n import localized
from statuspage.models import Component, ComponentStatusChange, Incident
from statuspage.statuses import COMPONENT_SEVERITY, DOWNTIME_WEIGHT, ComponentStatus

DAYS = 90
# No percentage before a week is measured: "73% over 90 days" from a few minutes of data
# told the reader something no one knew.
MIN_MEASURED_DAYS = 7


@dataclass
class Day:
    day: date
    uptime: float | None  # None: the component did not exist yet
    worst: str = ComponentStatus.OPERATIONAL
    incidents: list[str] = field(default_factory=list)

    @property
    def perfect(self) -> bool:
        return self.uptime is not None and self.uptime >= 100.0 and not self.incidents and self.worst in (
            ComponentStatus.OPERATIONAL, ComponentStatus.UNDER_MAINTENANCE)


@dataclass
class UptimeBar:
    days: list[Day]

    @property
    def measured_days(self) -> int:
        return sum(d.uptime is not None for d in self.days)

    @property
    def measured_since(self) -> date | None:
        return next((d.day for d in self.days if d.uptime is not None), None)

    @property
    def percent(self) -> float | None:
        """The mean of the measured days, once MIN_MEASURED_DAYS are; else None."""
        known = [d.uptime for d in self.days if d.uptime is not None]
        return round(sum(known) / len(known), 2) if len(known) >= MIN_MEASURED_DAYS else None


def bars(components: list[Component], tz_name: str = "UTC", days: int = DAYS,
         now: datetime | None = None) -> dict[int, UptimeBar]:
    tz = ZoneInfo(tz_name)
    now = now or timezone.now()
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    window_start = datetime.combine(first_day, time.min, tz)

    changes: dict[int, list[ComponentStatusChange]] = defaultdict(list)
    for ch in ComponentStatusChange.objects.filter(at__gte=window_start).order_by("at", "id"):
        changes[ch.component_id].append(ch)

    incidents_by_day: dict[tuple[int, date], list[str]] = defaultdict(list)
    recent = Incident.objects.public().filter(kind=Incident.Kind.INCIDENT, started_at__gte=window_start)
    for inc in recent.prefetch_related("components"):
        for c in inc.components.all():
            incidents_by_day[(c.pk, inc.started_at.astimezone(tz).date())].append(localized(inc))

    result = {}
    for comp in components:
        chain = changes.get(comp.pk, [])
        status = chain[0].old_status if chain else comp.status
        # Segments (start, status) from the window start to now.
        segments = [(max(window_start, comp.created_at), status)] + [(ch.at, ch.new_status) for ch in chain]
        starts = [start for start, _ in segments]
        out = []
        for n in range(days):
            d = first_day + timedelta(days=n)
            start = datetime.combine(d, time.min, tz)
            end = min(start + timedelta(days=1), now)
            # Only the segments that overlap the day, and the next one (its start ends them):
            # linear in the changes, not days x changes.
            lo, hi = max(bisect_right(starts, start) - 1, 0), bisect_left(starts, end) + 1
            out.append(_day(d, start, end, segments[lo:hi], comp.created_at, incidents_by_day.get((comp.pk, d), [])))
        result[comp.pk] = UptimeBar(out)
    return result


def _day(d: date, start: datetime, end: datetime, segments, created_at: datetime, incidents: list[str]) -> Day:
    if end <= created_at or end <= start:
        return Day(d, None, incidents=incidents)
    start = max(start, created_at)
    total = (end - start).total_seconds()
    down = 0.0
    worst = ComponentStatus.OPERATIONAL
    for i, (seg_start, status) in enumerate(segments):
        seg_end = segments[i + 1][0] if i + 1 < len(segments) else end
        overlap = (min(seg_end, end) - max(seg_start, start)).total_seconds()
        if overlap <= 0:
            continue
        if status == ComponentStatus.UNDER_MAINTENANCE:
            total -= overlap  # planned maintenance is left out of the measure, neither up nor down
        down += overlap * DOWNTIME_WEIGHT.get(status, 0.0)
        if COMPONENT_SEVERITY[status] > COMPONENT_SEVERITY[worst]:
            worst = status
    uptime = 100.0 if total <= 0 else max(0.0, 100.0 * (1 - down / total))
    return Day(d, round(uptime, 2), worst, incidents)
