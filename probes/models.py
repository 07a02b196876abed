from django.db import models
from django.utils import timezone

from statuspage.models import Component, Incident


class ProbeState(models.TextChoices):
    UP = "up", "up"
    DEGRADED = "degraded", "degraded"
    DOWN = "down", "down"


class Probe(models.Model):
    """A synthetic probe, defined in the config file (its `definition` is the validated spec)."""

    key = models.SlugField(max_length=64, unique=True)
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="probes")
    definition = models.JSONField(help_text="Validated by probes.spec; secrets stay {{ env.NAME }} references.")
    enabled = models.BooleanField(default=True)
    # The verdict of all regions together (quorum applied) and what it did.
    state = models.CharField(max_length=10, choices=ProbeState.choices, default=ProbeState.UP)
    state_changed_at = models.DateTimeField(default=timezone.now)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    incident_kind = models.CharField(max_length=20, blank=True, help_text=(
        "The failure kind (wrong_data, unavailable, slow) of its incident: a re-trip of another kind opens its own."))
    recovered_at = models.DateTimeField(null=True, blank=True)
    last_failure = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    @property
    def interval_ms(self) -> int:
        return self.definition["interval_ms"]


class RegionState(models.Model):
    """One probe in one region: its schedule and its own trip/recover counters."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="regions")
    region = models.CharField(max_length=64)
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    state = models.CharField(max_length=10, choices=ProbeState.choices, default=ProbeState.UP)
    # Streaks of consecutive runs: failed, passed (fast or slow), slow, fast.
    consecutive_failures = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=0)
    consecutive_slow = models.PositiveIntegerField(default=0)
    consecutive_fast = models.PositiveIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["probe", "region"], name="one_state_per_probe_region")]

    def __str__(self) -> str:
        return f"{self.probe.key}@{self.region}"


class ProbeRun(models.Model):
    """One raw result, kept for the retention window. (probe, region, scheduled_for) is
    unique, so a run redelivered by the broker is never recorded twice."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="runs")
    region = models.CharField(max_length=64)
    scheduled_for = models.DateTimeField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    ok = models.BooleanField()
    slow = models.BooleanField(default=False)
    failure_class = models.CharField(max_length=20, blank=True)
    attempt = models.CharField(max_length=32, help_text="Which delivery of the run wrote this row.")
    step = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["probe", "region", "scheduled_for"], name="one_run_per_schedule")
        ]
        indexes = [models.Index(fields=["probe", "-started_at"]), models.Index(fields=["started_at"])]

    def __str__(self) -> str:
        return f"{self.probe_id}@{self.region} {self.started_at:%H:%M:%S} {'ok' if self.ok else self.failure_class}"


class ProbeDaily(models.Model):
    """Per-probe, per-day rollup, kept 400 days; the page's charts read only these."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="daily")
    day = models.DateField()
    runs = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    p50_ms = models.PositiveIntegerField(default=0)
    p95_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["probe", "day"], name="one_rollup_per_day")]

    def __str__(self) -> str:
        return f"{self.probe_id} {self.day}"

    @property
    def uptime(self) -> float:
        return 100.0 if not self.runs else round(100.0 * (self.runs - self.failures) / self.runs, 2)
