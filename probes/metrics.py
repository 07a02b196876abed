"""Prometheus metrics. Workers and web processes share them through
prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set in settings)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RUNS = Counter("statuspage_probe_runs_total", "Probe runs by outcome", ["probe", "region", "outcome"])
DURATION = Histogram("statuspage_probe_duration_seconds", "Probe run duration", ["probe", "region"],
                     buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
LATENESS = Histogram("statuspage_probe_lateness_seconds", "How late a run started after its scheduled time",
                     ["region"], buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))


def observe_run(probe: str, region: str, verdict, lateness_s: float) -> None:
    outcome = "ok" if verdict.ok else verdict.failure_class or "error"
    RUNS.labels(probe, region, outcome).inc()
    DURATION.labels(probe, region).observe(verdict.duration_ms / 1000)
    LATENESS.labels(region).observe(max(0.0, lateness_s))
