"""Probe visibility: the management API (docs/api.md) and Prometheus metrics."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from probes.models import Probe, ProbeRun
from statuspage.api import types
from statuspage.api.params import flag
from statuspage.client_address import client_ip
from statuspage.models import Component


def run_dict(run: ProbeRun) -> dict:
    return {
        "region": run.region, "scheduled_for": run.scheduled_for, "started_at": run.started_at,
        "duration_ms": run.duration_ms, "ok": run.ok, "slow": run.slow,
        "failure_class": run.failure_class or None, "step": run.step or None, "message": run.message or None,
        "steps": run.detail.get("steps", []), "expectation": run.detail.get("expectation"),
        "seen": run.detail.get("seen"),
    }


def probe_dict(probe: Probe, last_runs: list[ProbeRun]) -> dict:
    spec = probe.definition
    return {
        "key": probe.key, "component": probe.component.key, "enabled": probe.enabled, "state": probe.state,
        "state_changed_at": probe.state_changed_at, "incident_id": probe.incident_id,
        "interval_ms": spec["interval_ms"], "regions": [
            {"region": r.region, "state": r.state, "next_run_at": r.next_run_at, "last_run_at": r.last_run_at,
             "consecutive_failures": r.consecutive_failures, "consecutive_successes": r.consecutive_successes}
            for r in probe.regions.all()
        ],
        "quorum": spec.get("quorum", 1), "trip_after": spec["trip_after"], "recover_after": spec["recover_after"],
        "incident_mode": spec.get("incident", "auto"), "last_failure": probe.last_failure,
        "last_runs": [run_dict(r) for r in last_runs],
    }


@extend_schema(responses={200: types.ProbeListShape}, summary="Every probe: state per region, last runs, last failure")
@api_view(["GET"])
def probes(request):
    items = []
    for probe in Probe.objects.select_related("component").prefetch_related("regions"):
        items.append(probe_dict(probe, list(probe.runs.order_by("-started_at")[:5])))
    return Response({"probes": items})


@extend_schema(
    parameters=[OpenApiParameter("limit", int, description="at most 500, default 50"),
                OpenApiParameter("failures", bool, description="only failed runs")],
    responses={200: types.ProbeResultsShape}, summary="A probe's recent runs, newest first")
@api_view(["GET"])
def probe_results(request, key: str):
    probe = get_object_or_404(Probe, key=key)
    try:
        limit = min(500, max(1, int(request.query_params.get("limit", 50))))
    except ValueError:
        raise ValidationError({"limit": "must be an integer"}) from None
    runs = probe.runs.order_by("-started_at")
    if flag(request, "failures"):
        runs = runs.filter(ok=False)
    return Response({"probe": key, "state": probe.state, "results": [run_dict(r) for r in runs[:limit]]})


class _StateCollector:
    """Gauges read from the database at scrape time: they are true on every host."""

    def collect(self):
        probe_up = GaugeMetricFamily("statuspage_probe_up", "1 if the probe's state is up", labels=["probe"])
        for key, state in Probe.objects.values_list("key", "state"):
            probe_up.add_metric([key], 1.0 if state == "up" else 0.0)
        yield probe_up
        comp = GaugeMetricFamily("statuspage_component_operational", "1 if the component is operational",
                                 labels=["component"])
        for key, status in Component.objects.values_list("key", "status"):
            comp.add_metric([key], 1.0 if status == "operational" else 0.0)
        yield comp


def _allowed(request) -> bool:
    try:
        addr = ipaddress.ip_address(client_ip(request))  # behind a proxy, the client's, not the proxy's
    except ValueError:
        return False
    return any(addr in net for net in settings.METRICS_ALLOWED_NETWORKS)


def metrics(request):
    if not _allowed(request):
        return HttpResponseForbidden("metrics are served to METRICS_ALLOWED_NETWORKS only\n")
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_StateCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
