"""The outbox events subscribers get for a change, in the v2 shapes (docs/subscribers.md)."""

from __future__ import annotations

from statuspage.models import Component, Incident, OutboxEvent, PageSettings
from statuspage.models.events import STATUSPAGE_ONLY
from statuspage.public import v2
from statuspage.public.state import incidents_with_timeline
from statuspage.services.changes import emit, noted
from statuspage.statuses import CLOSED_STATUSES, MaintenanceStatus


def component_status_changed(component: Component, old_status: str, new_status: str, at) -> OutboxEvent:
    return emit(
        "component.status_changed",
        [component.key],
        {
            "component": v2.component_dict(component, PageSettings.load()),
            "component_update": {
                "id": f"{component.key}-{int(at.timestamp() * 1000)}",
                "component_id": component.key,
                "component_type": "Component",
                "old_status": old_status,
                "new_status": new_status,
                "created_at": v2.ts(at),
            },
        },
    )


def incident_event_type(incident: Incident, created: bool) -> str | None:
    if incident.is_maintenance:
        if created and incident.status == MaintenanceStatus.SCHEDULED:
            return "maintenance.scheduled"
        if incident.status == MaintenanceStatus.IN_PROGRESS:
            return "maintenance.started"
        if incident.status == MaintenanceStatus.COMPLETED:
            return "maintenance.completed"
        return "maintenance.scheduled" if created else None
    if created:
        return "incident.created"
    if incident.status in CLOSED_STATUSES:
        return "incident.resolved"
    return "incident.updated"


def incident_changed(incident: Incident, created: bool) -> OutboxEvent | None:
    """The event of an incident's change; None for a draft (nobody hears of it yet)."""
    if not incident.published:
        return None
    event_type = incident_event_type(incident, created)
    if event_type is None:
        noted()
        return None
    fresh = incidents_with_timeline().get(pk=incident.pk)
    key = "maintenance" if incident.is_maintenance else "incident"
    return emit(event_type, [c.key for c in fresh.components.all()],
                {key: v2.incident_dict(fresh, PageSettings.load()),
                 STATUSPAGE_ONLY: {"incident": v2.incident_webhook_fields(fresh)}})
