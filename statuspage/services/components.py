"""Component status: set by on-call, by a probe or by a maintenance, logged and audited."""

from __future__ import annotations

from django.utils import timezone

from statuspage.models import AuditLog, Component, ComponentStatusChange
from statuspage.services import events
from statuspage.services.changes import change


def do_set_component_status(component: Component, new_status: str, *, source: str, incident=None, actor=None,
                            via: str = "api", audited: bool = True) -> bool:
    """Change the status, log it and emit `component.status_changed`. True if it changed.

    `audited=False` when the status moves as part of an audited incident update."""
    old_status = component.status
    if new_status == old_status and source == component.status_source:
        return False
    now = timezone.now()
    with change():
        Component.objects.filter(pk=component.pk).update(status=new_status, status_source=source, updated_at=now)
        component.status, component.status_source, component.updated_at = new_status, source, now
        if new_status == old_status:
            return False
        person = actor if actor is not None and actor.is_authenticated else None
        ComponentStatusChange.objects.create(component=component, old_status=old_status, new_status=new_status,
                                             at=now, source=source, incident=incident, actor=person)
        if audited and source == Component.Source.MANUAL:
            AuditLog.record(actor=actor, via=via, action="set_status", obj=component,
                            summary=f"{old_status} → {new_status}", changes={"status": [old_status, new_status]})
        events.component_status_changed(component, old_status, new_status, now)
    return True
