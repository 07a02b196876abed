"""Maintenances that move by themselves at their scheduled times (`auto_transition`)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from statuspage.models import Incident
from statuspage.services.incidents import do_post_update
from statuspage.statuses import ComponentStatus, MaintenanceStatus


def do_advance_maintenances() -> int:
    """Start maintenances whose time has come and complete those that are over; how many moved."""
    now = timezone.now()
    moved = 0
    due_start = Incident.objects.filter(kind=Incident.Kind.MAINTENANCE, auto_transition=True,
                                        status=MaintenanceStatus.SCHEDULED, scheduled_for__lte=now)
    for pk in due_start.values_list("pk", flat=True):
        moved += _move(pk, MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS,
                       "Scheduled maintenance is now in progress.", ComponentStatus.UNDER_MAINTENANCE)
    due_end = Incident.objects.filter(kind=Incident.Kind.MAINTENANCE, auto_transition=True,
                                      status__in=[MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING],
                                      scheduled_until__lte=now)
    for pk in due_end.values_list("pk", flat=True):
        moved += _move(pk, None, MaintenanceStatus.COMPLETED,
                       "Scheduled maintenance has been completed.", None)
    return moved


def _move(pk: str, expected: str | None, new_status: str, body: str, component_status: str | None) -> int:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=pk)
        # Compare-and-set: a second beat, a retry or a human may have moved it already.
        if (expected and incident.status != expected) or not incident.is_open or incident.status == new_status:
            return 0
        components = {c: component_status for c in incident.components.all()} if component_status else {}
        do_post_update(incident, status=new_status, body=body, components=components, via="system")
    return 1
