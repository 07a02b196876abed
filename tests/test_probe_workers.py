"""Probes through real worker processes, one per region, each against its own real HTTP target."""

import time

import pytest

from demo_target.server import start_in_thread
from probes.models import Probe, ProbeRun
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import Component, Incident
from tests.processes import brokers, celery_process, wait_for, worker_args
from tests.test_probe_automation import CANARY_STEPS

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CANARY = {"CANARY_PHONE": "+380500000001", "CANARY_CODE": "000000"}


def probe_config(page_config, regions, quorum):
    return {**page_config, "probes": [{
        "key": "reserve-login-and-profile", "component": "reserve-data", "interval": "2s", "timeout": "1500ms",
        "regions": regions, "quorum": quorum, "trip_after": 2, "recover_after": 2,
        "monitoring_for": "0s",  # recovery → monitoring → resolved on the beat's next tick
        "steps": CANARY_STEPS,
    }]}


@pytest.fixture
def targets():
    """One demo target per region, so that a drill can break what one region sees only."""
    servers = {region: start_in_thread(mode="ok") for region in ("eu", "us")}
    yield servers
    for server, _ in servers.values():
        server.stop()


def region_state(region):
    return Probe.objects.get().regions.get(region=region)


@pytest.mark.parametrize("broker", brokers())
def test_two_regions_on_two_workers_trip_with_quorum_and_recover(page_config, broker, targets, tmp_path):
    config, errors = validate(probe_config(page_config, ["eu", "us"], quorum=2))
    assert errors == []
    apply_config(config)
    (eu, eu_base), (us, us_base) = targets["eu"], targets["us"]

    with celery_process("worker", broker, tmp_path, *worker_args("probes.eu", name="eu"), log_name="eu",
                        RESERVE_BASE_URL=f"{eu_base}/reserve", **CANARY), \
            celery_process("worker", broker, tmp_path, *worker_args("probes.us", "celery", name="us"),
                           log_name="us", RESERVE_BASE_URL=f"{us_base}/reserve", **CANARY), \
            celery_process("beat", broker, tmp_path, "--schedule", str(tmp_path / "beat-schedule"), **CANARY):
        wait_for(lambda: set(ProbeRun.objects.filter(ok=True).values_list("region", flat=True)) == {"eu", "us"},
                 what="a passing run in each region")

        # One region of two sees the failure: with quorum 2, nothing changes.
        eu.drill.switch("wrong_deferral")
        wait_for(lambda: region_state("eu").state == "down", what="the eu region to trip")
        us_passed = ProbeRun.objects.filter(region="us", ok=True).count()
        wait_for(lambda: ProbeRun.objects.filter(region="us", ok=True).count() >= us_passed + 2
                 and region_state("eu").consecutive_failures >= 3, what="more runs with only eu down")
        assert region_state("us").state == "up" and Probe.objects.get().state == "up"
        assert Component.objects.get(key="reserve-data").status == "operational"
        assert not Incident.objects.exists()

        us.drill.switch("wrong_deferral")
        started = time.monotonic()
        wait_for(lambda: Component.objects.get(key="reserve-data").status == "major_outage", what="the trip")
        print(f"\ndetected in {time.monotonic() - started:.1f}s (interval 2s, trip_after 2)")
        incident = Incident.objects.get(probe_key="reserve-login-and-profile")
        assert incident.published and incident.status == "investigating"
        assert "$.deferment.status" not in incident.updates.get().body  # diagnostics stay inside
        assert set(Probe.objects.get().regions.values_list("state", flat=True)) == {"down"}
        failed = ProbeRun.objects.filter(ok=False).first()
        assert (failed.failure_class, failed.step) == ("assertion", "profile shows the canary's true data")

        eu.drill.switch("ok")
        us.drill.switch("ok")
        wait_for(lambda: Incident.objects.get(pk=incident.pk).status == "resolved", what="the recovery")
        assert Component.objects.get(key="reserve-data").status == "operational"
