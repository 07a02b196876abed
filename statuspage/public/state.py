"""What the public sees right now, loaded in a fixed number of queries.

The HTML page, the feeds, the v2 API and the webhook bodies all read from here, so the
rules (what is public, what the indicator is) live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.db.models import Prefetch
from django.utils import timezone

from probes.freshness import check
from statuspage.models import (
    AffectedComponent,
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    PageSettings,
)
from statuspage.statuses import (
    COMPONENT_INDICATOR,
    IMPACT_SEVERITY,
    INDICATOR_DESCRIPTION_EN,
    ComponentStatus,
    Impact,
    IncidentStatus,
    worst_component_status,
    worst_impact,
)


def incidents_with_timeline(public: bool = True):
    """Incidents (public ones unless told) with everything the v2 shape needs, prefetched."""
    affected = AffectedComponent.objects.select_related("component").order_by("id")
    updates = IncidentUpdate.objects.prefetch_related(Prefetch("affected_components", queryset=affected))
    qs = Incident.objects.public() if public else Incident.objects.all()
    components = Component.objects.select_related("group").order_by("position", "name")  # v2 names the group
    return qs.prefetch_related(Prefetch("updates", queryset=updates), Prefetch("components", queryset=components),
                               "notices_sent_in_error")


def indicator(components, open_incidents) -> str:
    """Worst of the components' statuses and the open incidents' impacts; `maintenance`
    when nothing is wrong but a maintenance is in progress."""
    incidents = [i for i in open_incidents if not i.is_maintenance]
    # An incident in monitoring is over as far as anyone can tell: it holds at most `minor`,
    # so the banner does not cry "major outage" over a working, green page.
    worst = worst_impact(
        [COMPONENT_INDICATOR[c.status] for c in components]
        + [_held_impact(i) for i in incidents]
    )
    if IMPACT_SEVERITY[worst] == 0 and any(i.is_maintenance and i.is_under_way for i in open_incidents):
        return "maintenance"
    return str(worst)


def _held_impact(incident) -> str:
    if incident.status == IncidentStatus.MONITORING:
        return min(incident.impact, Impact.MINOR, key=IMPACT_SEVERITY.__getitem__)
    return incident.impact


@dataclass
class PublicState:
    page: PageSettings
    groups: list[ComponentGroup]
    components: list[Component]
    open_incidents: list[Incident]  # unresolved incidents and open maintenances
    recent_incidents: list[Incident] = field(default_factory=list)

    @classmethod
    def load(cls, recent_days: int = 14) -> PublicState:
        page = PageSettings.load()
        groups = list(ComponentGroup.objects.all())
        components = list(Component.objects.select_related("group"))
        since = timezone.now() - timedelta(days=recent_days)
        open_incidents = list(incidents_with_timeline().open().order_by("-started_at"))
        recent = list(
            incidents_with_timeline().filter(kind=Incident.Kind.INCIDENT, started_at__gte=since)
            .exclude(pk__in=[i.pk for i in open_incidents]).order_by("-started_at")
        )
        return cls(page, groups, components, open_incidents, recent)

    @property
    def indicator(self) -> str:
        return indicator(self.components, self.open_incidents)

    @cached_property
    def checks_delayed_since(self) -> datetime | None:
        """When automatic checks stopped being on time (None: they are), so that green is
        never read as verified when nothing verified it (probes.freshness)."""
        return check().since

    @property
    def description(self) -> str:
        return INDICATOR_DESCRIPTION_EN[self.indicator]

    @property
    def unresolved_incidents(self) -> list[Incident]:
        return [i for i in self.open_incidents if not i.is_maintenance]

    @property
    def maintenances(self) -> list[Incident]:
        """Active or upcoming maintenances, soonest first."""
        items = [i for i in self.open_incidents if i.is_maintenance]
        return sorted(items, key=lambda i: i.scheduled_for or i.started_at)

    def top_level(self) -> list[ComponentGroup | Component]:
        """Groups and ungrouped components in the page's one order, that of the config
        file (a group stands where its first component is): the HTML page and the v2
        API both list them so."""
        items = [*self.groups, *(c for c in self.components if not c.group_id)]
        return sorted(items, key=lambda item: (item.position, item.name))

    def children(self, group: ComponentGroup) -> list[Component]:
        return [c for c in self.components if c.group_id == group.pk]

    def group_status(self, group: ComponentGroup) -> str:
        return worst_component_status([c.status for c in self.children(group)])

    def visible(self, components: list[Component]) -> list[Component]:
        return [
            c for c in components
            if not (c.only_show_if_degraded and c.status == ComponentStatus.OPERATIONAL)
        ]
