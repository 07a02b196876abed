"""Incidents and maintenances: open, post an update, publish a draft.

Each action changes the rows, writes the audit row and the outbox event and bumps the
public version once, in one transaction (statuspage.services.changes). Probes hear of a
published draft through the `draft_published` signal, connected in their app's ready().
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from statuspage.models import AffectedComponent, AuditLog, Component, Incident, IncidentUpdate
from statuspage.services import events
from statuspage.services.changes import change
from statuspage.services.components import do_set_component_status
from statuspage.statuses import (
    CLOSED_STATUSES,
    COMPONENT_INDICATOR,
    IncidentStatus,
    MaintenanceStatus,
    worst_impact,
)

# Sent after the commit that published a draft (sender: Incident, incident_id=...).
draft_published = Signal()


def _person(user):
    return user if user is not None and user.is_authenticated else None


def do_open_incident(
    *,
    name: str,
    status: str | None = None,
    body: str = "",
    impact: str | None = None,
    components: dict[Component, str] | None = None,
    kind: str = Incident.Kind.INCIDENT,
    published: bool = True,
    scheduled_for=None,
    scheduled_until=None,
    probe_key: str = "",
    author=None,
    via: str = "api",
    translations: dict | None = None,
    body_translations: dict | None = None,
) -> Incident:
    """Create an incident (or maintenance) with its first update.

    `translations` {lang: {name}} and `body_translations` {lang: body} give the texts
    in other languages; readers whose language has none see `name` and `body`."""
    components = components or {}
    if status is None:
        status = MaintenanceStatus.SCHEDULED if kind == Incident.Kind.MAINTENANCE else IncidentStatus.INVESTIGATING
    with change():
        incident = Incident.objects.create(
            kind=kind, name=name, status=status,
            impact=impact or worst_impact(COMPONENT_INDICATOR[s] for s in components.values()),
            published=published, scheduled_for=scheduled_for, scheduled_until=scheduled_until,
            probe_key=probe_key, created_by=_person(author), translations=translations or {},
        )
        do_post_update(incident, status=status, body=body, components=components, author=author, via=via,
                       created=True, translations=body_translations)
        AuditLog.record(actor=author, via=via, action="create", obj=incident, summary=name)
    return incident


def do_post_update(
    incident: Incident,
    *,
    status: str,
    body: str = "",
    components: dict[Component, str] | None = None,
    author=None,
    via: str = "api",
    display_at=None,
    created: bool = False,
    translations: dict | None = None,
) -> IncidentUpdate:
    """Add an update to the timeline; the components' statuses change with it."""
    if status not in incident.allowed_statuses(incident.kind):
        raise ValidationError({"status": f"'{status}' is not a valid {incident.kind} status"})
    components = dict(components or {})
    source = {"probe": Component.Source.PROBE}.get(via, Component.Source.MANUAL)
    if incident.is_maintenance:
        source = Component.Source.MAINTENANCE
    now = timezone.now()
    with change():
        if status in CLOSED_STATUSES and incident.is_open:
            components = {**incident.components_to_restore(), **components}
        if incident.is_maintenance and status == MaintenanceStatus.SCHEDULED and components:
            # Planned, not started: attach the components, change them when it starts.
            incident.components.add(*components.keys())
            components = {}
        update = IncidentUpdate.objects.create(
            incident=incident, status=status, body=body, display_at=display_at or now,
            translations=translations or {}, author=_person(author),
        )
        for component, new_status in components.items():
            component.refresh_from_db(fields=["status", "status_source"])
            AffectedComponent.objects.create(
                update=update, component=component, old_status=component.status, new_status=new_status
            )
            do_set_component_status(component, new_status, source=source, incident=incident, actor=author,
                                    via=via, audited=False)
        if components:
            incident.components.add(*components.keys())
        incident.apply_status(status, now)
        incident.save()
        if not created:
            AuditLog.record(actor=author, via=via, action="update", obj=incident, summary=f"{status}: {body[:200]}")
        events.incident_changed(incident, created=created)
    return update


def do_publish_draft(incident: Incident, *, author=None, via: str = "admin") -> bool:
    """Make a draft public: subscribers hear of it as a new incident. False if someone
    else published it first."""
    with change():
        if Incident.objects.filter(pk=incident.pk, published=False).update(published=True) != 1:
            return False
        incident.published = True
        AuditLog.record(actor=author, via=via, action="publish", obj=incident, summary=incident.name)
        events.incident_changed(incident, created=True)
        # After commit, in its own transaction: a probe that opened it locks probe then
        # component, the order a verdict locks them in, so the two never deadlock. Robust:
        # should a receiver fail, the probe's next run applies the status anyway.
        transaction.on_commit(lambda: draft_published.send_robust(Incident, incident_id=incident.pk), robust=True)
    return True
