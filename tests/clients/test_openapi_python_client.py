"""`openapi-python-client` (pinned) generates a client from /api/schema/ whose models are
typed, and that generated client reads the public v2 API and posts to the Statuspage-
compatible management API of a live instance."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from statuspage.models import Component, Incident, PageSettings
from statuspage.services.incidents import do_open_incident
from tests.conftest import token_for

pytestmark = pytest.mark.once


@pytest.fixture
def generated(tmp_path, db):
    schema = tmp_path / "schema.json"
    schema.write_bytes(Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    tool = Path(sys.executable).parent / "openapi-python-client"
    done = subprocess.run([str(tool), "generate", "--path", str(schema), "--meta", "none",
                           "--output-path", str(tmp_path / "status_client")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("status_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "status_client" or n.startswith("status_client.")]:
            del sys.modules[name]


def test_the_generated_models_are_typed(generated):
    models = importlib.import_module("status_client.models")

    annotations = models.Incident.__annotations__
    assert "ImpactEnum" in str(annotations["impact"])
    assert "IncidentUpdate" in str(annotations["incident_updates"])
    assert "Component" in str(models.Summary.__annotations__["components"])


def test_the_generated_client_reads_v2_and_posts_statuspage_style(generated, live_server, transactional_db, page,
                                                                  oncall_user):
    from status_client.api.public_v2 import v2_summary
    from status_client.api.statuspage_v1 import statuspage_v1_pages_incidents_create
    from status_client.client import AuthenticatedClient
    from status_client.client import Client as GeneratedClient
    from status_client.models import ImpactEnum, StatuspageIncident, StatuspageIncidentChangeRequest, Summary

    do_open_incident(name="Login slow", components={Component.objects.get(key="oneid-signin"): "degraded_performance"})
    summary = v2_summary.sync(client=GeneratedClient(base_url=live_server.url))
    management = AuthenticatedClient(base_url=live_server.url, token=token_for(oncall_user),
                                     prefix="OAuth")
    created = statuspage_v1_pages_incidents_create.sync(
        PageSettings.load().public_id, client=management,
        body=StatuspageIncidentChangeRequest.from_dict(
            {"incident": {"name": "Data wrong", "impact_override": "major"}}))

    assert isinstance(summary, Summary) and summary.incidents[0].impact == ImpactEnum.MINOR
    assert isinstance(created, StatuspageIncident) and created.impact == ImpactEnum.MAJOR


def test_the_generated_client_retries_with_an_idempotency_key_and_corrects_an_incident(
        generated, live_server, transactional_db, page, oncall_user):
    from status_client.api.v1 import v1_incident_partial_update, v1_incidents_create
    from status_client.client import AuthenticatedClient
    from status_client.models import IncidentCreateRequest, ManagedIncident, PatchedIncidentPatchRequest

    client = AuthenticatedClient(base_url=live_server.url, token=token_for(oncall_user))  # "Bearer", its default
    body = IncidentCreateRequest.from_dict({"name": "Data wrong", "components": {"reserve-data": "major_outage"}})

    first = v1_incidents_create.sync_detailed(client=client, body=body, idempotency_key="retry-me")
    retried = v1_incidents_create.sync_detailed(client=client, body=body, idempotency_key="retry-me")
    renamed = v1_incident_partial_update.sync(
        first.parsed.id, client=client, body=PatchedIncidentPatchRequest.from_dict({"name": "Data shown wrong"}))

    assert first.status_code == retried.status_code == 201 and retried.content == first.content
    assert retried.headers["idempotent-replayed"] == "true"
    assert Incident.objects.count() == 1
    assert isinstance(renamed, ManagedIncident) and renamed.name == "Data shown wrong"
