"""/metrics: probe runs by outcome, their durations and lateness, for Prometheus, served
only to METRICS_ALLOWED_NETWORKS."""

import ipaddress
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from probes.recording import record_batch
from probes.runner import Verdict
from tests.test_probe_automation import WRONG_DEFERRAL, make_probe

pytestmark = pytest.mark.django_db


def scrape(**meta) -> str:
    response = Client(**meta).get("/metrics")
    assert response.status_code == 200, response.content
    return response.content.decode()


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample, whatever order its labels are printed in."""
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric.split("{")[0] == name and all(f'{k}="{v}"' in metric for k, v in labels.items()):
            return float(value)
    return 0.0


def test_it_counts_runs_by_outcome_with_their_duration_and_lateness(page):
    probe = make_probe(page, key="metrics-probe")
    before = scrape()
    now = timezone.now()

    record_batch("default", [
        (probe, now, now + timedelta(milliseconds=300), Verdict(ok=True, duration_ms=120)),
        (probe, now + timedelta(seconds=2), now + timedelta(seconds=2), WRONG_DEFERRAL),
    ])
    after = scrape()

    def grew(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("statuspage_probe_runs_total", probe="metrics-probe", outcome="ok") == 1
    assert grew("statuspage_probe_runs_total", probe="metrics-probe", outcome="assertion") == 1
    assert grew("statuspage_probe_duration_seconds_count", probe="metrics-probe") == 2
    assert grew("statuspage_probe_duration_seconds_bucket", probe="metrics-probe", le="0.25") == 2  # 120 and 40 ms
    assert grew("statuspage_probe_lateness_seconds_bucket", region="default", le="0.25") == 1  # on time
    assert grew("statuspage_probe_lateness_seconds_bucket", region="default", le="0.5") == 2  # and 300 ms late
    assert sample(after, "statuspage_probe_up", probe="metrics-probe") == 1
    assert sample(after, "statuspage_component_operational", component="reserve-data") == 1


def test_it_is_refused_to_an_address_outside_the_allowed_networks(page):
    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")

    assert response.status_code == 403


def test_behind_a_proxy_the_clients_address_decides_not_the_proxys(page, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]

    outside = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="203.0.113.9").get("/metrics")  # the proxy is inside
    inside = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="10.1.2.3").get("/metrics")

    assert outside.status_code == 403
    assert inside.status_code == 200
