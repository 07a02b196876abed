"""A page with one of each for shape tests: a maintenance booked for tomorrow, an open
incident and (optionally) a resolved one."""

from datetime import timedelta

from django.utils import timezone

from statuspage.models import Component, Incident
from statuspage.services.incidents import do_open_incident, do_post_update


def open_examples(resolved: bool = False) -> None:
    start = timezone.now() + timedelta(days=1)
    do_open_incident(name="Network change", kind=Incident.Kind.MAINTENANCE, scheduled_for=start,
                     scheduled_until=start + timedelta(hours=2),
                     components={Component.objects.get(key="reserve-auth"): "under_maintenance"})
    incident = do_open_incident(name="Login slow", body="Looking.",
                                components={Component.objects.get(key="oneid-signin"): "degraded_performance"})
    if resolved:
        do_post_update(incident, status="resolved", body="Fixed.")
        do_open_incident(name="Data wrong", components={Component.objects.get(key="reserve-data"): "major_outage"})
