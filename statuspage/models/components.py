from django.conf import settings
from django.db import models
from django.utils import timezone

from statuspage.statuses import ComponentStatus
from statuspage.translations import TranslationsValidator


class Listed(models.Model):
    """What a component and a group both are: a keyed, named, translated entry of the page's
    list, in `position` order (subclasses inherit the Meta)."""

    key = models.SlugField(max_length=64, unique=True, help_text="Stable id used in the API and config.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    translations = models.JSONField(default=dict, blank=True, help_text="{lang: {name, description}}",
                                    validators=[TranslationsValidator("name", "description")])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ComponentGroup(Listed):
    """A heading the public page lists components under."""


class Component(Listed):
    class Source(models.TextChoices):
        MANUAL = "manual", "on-call"
        PROBE = "probe", "probe"
        MAINTENANCE = "maintenance", "maintenance"

    group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    status = models.CharField(max_length=32, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL)
    # Who set the current status: a human's choice wins over automation until cleared.
    status_source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    only_show_if_degraded = models.BooleanField(default=False)
    showcase = models.BooleanField(default=True)

class ComponentStatusChange(models.Model):
    """Every status change of a component; uptime is computed from this log."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(max_length=32, choices=ComponentStatus.choices)
    new_status = models.CharField(max_length=32, choices=ComponentStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=16)
    incident = models.ForeignKey("statuspage.Incident", null=True, blank=True, on_delete=models.SET_NULL)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["component", "at"])]

    def __str__(self) -> str:
        return f"{self.component.key}: {self.old_status} → {self.new_status} at {self.at:%Y-%m-%d %H:%M}"
