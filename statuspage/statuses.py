"""The status vocabulary (docs/config-file.md), in one place.

Everything that compares, orders or describes a status imports it from here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComponentStatus(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED_PERFORMANCE = "degraded_performance", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")
    UNDER_MAINTENANCE = "under_maintenance", _("Under maintenance")


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")
    POSTMORTEM = "postmortem", _("Postmortem")


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    VERIFYING = "verifying", _("Verifying")
    COMPLETED = "completed", _("Completed")


class Impact(models.TextChoices):
    NONE = "none", _("None")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


ALL_INCIDENT_STATUSES = [*IncidentStatus.choices, *MaintenanceStatus.choices]
CLOSED_STATUSES = {IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM, MaintenanceStatus.COMPLETED}

# Worse is larger. Maintenance is planned, so it ranks below any outage.
COMPONENT_SEVERITY = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}
IMPACT_SEVERITY = {Impact.NONE: 0, Impact.MINOR: 1, Impact.MAJOR: 2, Impact.CRITICAL: 3}

# What a component's status says about the page as a whole (Statuspage's mapping).
COMPONENT_INDICATOR = {
    ComponentStatus.OPERATIONAL: Impact.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}
INDICATOR_DESCRIPTION = {
    "none": _("All Systems Operational"),
    "minor": _("Minor Service Outage"),
    "major": _("Partial System Outage"),
    "critical": _("Major System Outage"),
    "maintenance": _("Service Under Maintenance"),
}
# English descriptions for machine consumers (v2 API, webhooks), as Statuspage sends them.
INDICATOR_DESCRIPTION_EN = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
    "maintenance": "Service Under Maintenance",
}
# Share of a day counted as down, per status, for uptime (as Statuspage weighs them).
DOWNTIME_WEIGHT = {
    ComponentStatus.MAJOR_OUTAGE: 1.0,
    ComponentStatus.PARTIAL_OUTAGE: 0.3,
}


def worst_component_status(statuses) -> str:
    return max(statuses, key=lambda s: COMPONENT_SEVERITY[s], default=ComponentStatus.OPERATIONAL)


def worst_impact(impacts) -> str:
    return max(impacts, key=lambda i: IMPACT_SEVERITY[i], default=Impact.NONE)

# From each status, the statuses an update may move to (docs/api.md, the transitions table).
# An open status may be repeated (another update, same status) or moved back (it recurred);
# a closed one moves on only to its postmortem, or back to an open status when reopened
# explicitly. The management APIs enforce it; probes and the scheduler post through the
# services, which keep to it by construction.
_OPEN_INCIDENT = [IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING]
TRANSITIONS = {
    IncidentStatus.INVESTIGATING: [*_OPEN_INCIDENT, IncidentStatus.RESOLVED],
    IncidentStatus.IDENTIFIED: [*_OPEN_INCIDENT, IncidentStatus.RESOLVED],
    IncidentStatus.MONITORING: [*_OPEN_INCIDENT, IncidentStatus.RESOLVED],
    IncidentStatus.RESOLVED: [IncidentStatus.POSTMORTEM],
    IncidentStatus.POSTMORTEM: [],
    MaintenanceStatus.SCHEDULED: [MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS,
                                  MaintenanceStatus.COMPLETED],
    MaintenanceStatus.IN_PROGRESS: [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING,
                                    MaintenanceStatus.COMPLETED],
    MaintenanceStatus.VERIFYING: [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING,
                                  MaintenanceStatus.COMPLETED],
    MaintenanceStatus.COMPLETED: [],
}
# With an explicit reopen, from a closed status.
REOPEN_TO = {
    IncidentStatus.RESOLVED: _OPEN_INCIDENT,
    IncidentStatus.POSTMORTEM: _OPEN_INCIDENT,
    MaintenanceStatus.COMPLETED: [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING],
}


def next_statuses(current: str, reopen: bool = False) -> list[str]:
    """The statuses an update may give an incident or maintenance now in `current`."""
    allowed = REOPEN_TO[current] if reopen and current in REOPEN_TO else TRANSITIONS.get(current, [])
    return [str(s) for s in allowed]
