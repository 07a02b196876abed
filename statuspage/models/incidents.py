from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from statuspage.models.components import Component
from statuspage.models.ids import new_public_id
from statuspage.statuses import (
    ALL_INCIDENT_STATUSES,
    CLOSED_STATUSES,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    worst_component_status,
)
from statuspage.translations import TranslationsValidator


class IncidentQuerySet(models.QuerySet):
    def public(self):
        return self.filter(published=True)

    def open(self):
        return self.exclude(status__in=CLOSED_STATUSES)

    def under_way(self):
        """Open and happening now: only these hold their components (against automation
        and against another incident's resolution). A maintenance is open from the moment
        it is booked, but holds nothing until it starts (in_progress, verifying)."""
        return self.open().exclude(kind=self.model.Kind.MAINTENANCE, status=MaintenanceStatus.SCHEDULED)


class Incident(models.Model):
    """An incident or a scheduled maintenance (as in Statuspage, one model for both)."""

    class Kind(models.TextChoices):
        INCIDENT = "incident", "incident"
        MAINTENANCE = "maintenance", "maintenance"

    id = models.CharField(primary_key=True, max_length=16, default=new_public_id, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INCIDENT)
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=ALL_INCIDENT_STATUSES, default=IncidentStatus.INVESTIGATING)
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.NONE)
    published = models.BooleanField(default=True, help_text="Drafts are visible to on-call only.")
    components = models.ManyToManyField(Component, blank=True, related_name="incidents")
    started_at = models.DateTimeField(default=timezone.now)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    scheduled_until = models.DateTimeField(null=True, blank=True)
    # Set once, by the one worker that sends the subscribers' reminder (statuspage.services.reminders).
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    auto_transition = models.BooleanField(
        default=True, help_text="Maintenance starts and completes by itself at its scheduled times."
    )
    postmortem = models.TextField(blank=True, help_text="Markdown.")
    postmortem_published_at = models.DateTimeField(null=True, blank=True)
    probe_key = models.CharField(max_length=64, blank=True, help_text="Set when a probe opened it.")
    translations = models.JSONField(default=dict, blank=True, help_text="{lang: {name, postmortem}}",
                                    validators=[TranslationsValidator("name", "postmortem")])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["published", "status"]), models.Index(fields=["started_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("incident", args=[self.id])

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def is_maintenance(self) -> bool:
        return self.kind == self.Kind.MAINTENANCE

    @property
    def is_under_way(self) -> bool:
        """`Incident.objects.under_way()`, for one incident already loaded."""
        return self.is_open and not (self.is_maintenance and self.status == MaintenanceStatus.SCHEDULED)

    @classmethod
    def allowed_statuses(cls, kind: str) -> list[str]:
        if kind == cls.Kind.MAINTENANCE:
            return list(MaintenanceStatus.values)
        return list(IncidentStatus.values)

    def apply_status(self, status: str, now) -> None:
        self.status = status
        if status in (IncidentStatus.MONITORING, MaintenanceStatus.VERIFYING) and not self.monitoring_at:
            self.monitoring_at = now
        if status in CLOSED_STATUSES:
            self.resolved_at = self.resolved_at or now
        else:
            self.resolved_at = None  # reopened
        if status == MaintenanceStatus.IN_PROGRESS:
            self.started_at = now

    def latest_component_statuses(self) -> dict[int, str]:
        """{component id: the status this incident's updates last asked for it}."""
        latest: dict[int, str] = {}
        for pk, status in AffectedComponent.objects.filter(update__incident=self).order_by(
                "update__created_at", "id").values_list("component_id", "new_status"):
            latest[pk] = status
        return latest

    def components_to_restore(self) -> dict[Component, str]:
        """On resolution, each affected component returns to the worst status still held by
        another public incident under way on it (under_maintenance for a maintenance in
        progress; one in monitoring holds nothing), else to operational."""
        others = list(Incident.objects.public().under_way().exclude(pk=self.pk)
                      .filter(components__in=self.components.all()).distinct())
        held: dict[int, list[str]] = {}
        for other in others:
            if other.status == IncidentStatus.MONITORING:
                continue  # over as far as anyone can tell: it holds nothing back
            if other.is_maintenance:
                for pk in other.components.values_list("pk", flat=True):
                    held.setdefault(pk, []).append(ComponentStatus.UNDER_MAINTENANCE)
                continue
            for pk, status in other.latest_component_statuses().items():
                held.setdefault(pk, []).append(status)
        restore = {}
        for c in self.components.all():
            wanted = worst_component_status(held.get(c.pk, [])) if c.pk in held else ComponentStatus.OPERATIONAL
            if c.status != wanted:
                restore[c] = wanted
        return restore


class IncidentUpdate(models.Model):
    id = models.CharField(primary_key=True, max_length=16, default=new_public_id, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=ALL_INCIDENT_STATUSES)
    body = models.TextField(blank=True, help_text="Markdown.")
    translations = models.JSONField(default=dict, blank=True, help_text="{lang: body}")
    display_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-display_at", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} at {self.display_at:%Y-%m-%d %H:%M}"


class AffectedComponent(models.Model):
    update = models.ForeignKey(IncidentUpdate, on_delete=models.CASCADE, related_name="affected_components")
    component = models.ForeignKey(Component, on_delete=models.CASCADE)
    old_status = models.CharField(max_length=32, choices=ComponentStatus.choices)
    new_status = models.CharField(max_length=32, choices=ComponentStatus.choices)

    def __str__(self) -> str:
        return f"{self.component.key}: {self.old_status} → {self.new_status}"
