"""Maintenance reminders: subscribers are told `page.maintenance_reminder` before a maintenance starts.

Once per maintenance, whoever runs it: the row's `reminder_sent_at` is set by a
compare-and-set UPDATE in the transaction that writes the `maintenance.reminder` outbox
event, so of two workers (or a retried task) one sends and the other finds it done. Email
subscribers get it through the event's email path, webhook subscribers as the event.
Not reminded: drafts, cancelled or started maintenances, one announced after its reminder
time (the announcement was the reminder), and any once its start has passed.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F
from django.utils import timezone

from statuspage.models import AuditLog, Incident, PageSettings
from statuspage.models.events import STATUSPAGE_ONLY
from statuspage.public import v2
from statuspage.public.state import incidents_with_timeline
from statuspage.services.changes import change, emit
from statuspage.statuses import MaintenanceStatus

REMINDER_EVENT = "maintenance.reminder"


def due_reminders(now: datetime, page: PageSettings):
    """Published, still scheduled maintenances whose reminder time has come and not passed."""
    lead = page.maintenance_reminder
    return Incident.objects.filter(
        kind=Incident.Kind.MAINTENANCE, published=True, status=MaintenanceStatus.SCHEDULED,
        reminder_sent_at__isnull=True, scheduled_for__gt=now, scheduled_for__lte=now + lead,
        created_at__lte=F("scheduled_for") - lead)


def do_send_maintenance_reminders(now: datetime | None = None) -> int:
    """Queue the reminder of every maintenance due one; how many this call sent."""
    now = now or timezone.now()
    page = PageSettings.load()
    if not page.maintenance_reminder:
        return 0
    return sum(_remind(pk, now) for pk in due_reminders(now, page).values_list("pk", flat=True))


def _remind(pk: str, now: datetime) -> int:
    with change():
        # Compare-and-set: only the worker whose UPDATE changed the row sends it.
        claimed = Incident.objects.filter(pk=pk, reminder_sent_at__isnull=True, status=MaintenanceStatus.SCHEDULED,
                                          scheduled_for__gt=now).update(reminder_sent_at=now)
        if not claimed:
            return 0
        maintenance = incidents_with_timeline().get(pk=pk)
        emit(REMINDER_EVENT, [c.key for c in maintenance.components.all()],
             {"maintenance": v2.incident_dict(maintenance, PageSettings.load()),
              "reminder": {"starts_at": v2.ts(maintenance.scheduled_for)},
              STATUSPAGE_ONLY: {"incident": v2.incident_webhook_fields(maintenance)}})
        AuditLog.record(via="system", action="maintenance_reminder", obj=maintenance,
                        summary=f"reminder: {maintenance.name} starts {maintenance.scheduled_for:%Y-%m-%d %H:%M} UTC")
    return 1
