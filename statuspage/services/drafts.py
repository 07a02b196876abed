"""Drafts written in the on-call console: nothing public moves until on-call publishes.

A draft's updates record the component statuses they ask for (AffectedComponent rows)
without applying them; publishing applies what still differs, then publishes, in one
public change. (A probe's draft follows the probe instead: probes.automation.)
"""

from __future__ import annotations

from statuspage.models import AffectedComponent, AuditLog, Component, Incident, IncidentUpdate
from statuspage.services.changes import change
from statuspage.services.components import do_set_component_status
from statuspage.services.incidents import do_open_incident, do_post_update, do_publish_draft
from statuspage.statuses import COMPONENT_INDICATOR, MaintenanceStatus, worst_impact


class AlreadyPublished(Exception):
    """Someone published it first: nothing was changed."""


def _held(incident: Incident, status: str, components: dict[Component, str]) -> bool:
    """Whether a draft holds these statuses back (a booked maintenance holds them anyway)."""
    scheduled = incident.is_maintenance and status == MaintenanceStatus.SCHEDULED
    return bool(components) and not incident.published and not scheduled


def _hold(update: IncidentUpdate, components: dict[Component, str]) -> None:
    for component, new_status in components.items():
        AffectedComponent.objects.create(update=update, component=component, old_status=component.status,
                                         new_status=new_status)
    update.incident.components.add(*components)


def do_open_draft(*, name: str, status: str, components: dict[Component, str], author, via: str = "admin",
                  **fields) -> Incident:
    """An unpublished incident; its components keep their status until it is published."""
    if not fields.get("impact"):  # as do_open_incident derives it from the statuses asked for
        fields["impact"] = worst_impact(COMPONENT_INDICATOR[s] for s in components.values())
    with change():
        incident = do_open_incident(name=name, status=status, components={}, published=False, author=author,
                                    via=via, **fields)
        if _held(incident, status, components):
            _hold(incident.updates.get(), components)
        elif components:
            incident.components.add(*components)
    return incident


def do_post_console_update(incident: Incident, *, status: str, body: str, components: dict[Component, str],
                           author, via: str = "admin", translations: dict | None = None) -> IncidentUpdate:
    """An update; on a draft, the statuses it asks for wait for the publication."""
    with change():
        held = _held(incident, status, components)
        update = do_post_update(incident, status=status, body=body, components={} if held else components,
                                author=author, via=via, translations=translations)
        if held:
            _hold(update, components)
    return update


def pending_component_changes(incident: Incident) -> dict[Component, str]:
    """What publishing will set: each component's latest asked-for status, where it differs now."""
    if incident.published:
        return {}
    latest = incident.latest_component_statuses()
    components = Component.objects.in_bulk(list(latest))
    return {components[pk]: status for pk, status in latest.items() if components[pk].status != status}


def do_publish_console_draft(incident: Incident, *, author, via: str = "admin") -> dict[Component, str]:
    """Apply the draft's held statuses and publish it; returns the statuses set.
    Raises AlreadyPublished (and changes nothing) if someone else got there first."""
    with change():
        locked = Incident.objects.select_for_update().filter(pk=incident.pk, published=False).first()
        if locked is None:
            raise AlreadyPublished(incident.pk)
        pending = pending_component_changes(locked)
        before = {c.key: c.status for c in pending}
        source = Component.Source.MAINTENANCE if locked.is_maintenance else Component.Source.MANUAL
        for component, status in pending.items():
            do_set_component_status(component, status, source=source, incident=locked, actor=author, via=via,
                                    audited=False)
        if not do_publish_draft(locked, author=author, via=via):
            raise AlreadyPublished(incident.pk)
        if pending:
            AuditLog.record(actor=author, via=via, action="publish_components", obj=locked,
                            summary=", ".join(f"{c.key}: {s}" for c, s in pending.items()),
                            changes={c.key: [before[c.key], s] for c, s in pending.items()})
        incident.published = True
    return pending
