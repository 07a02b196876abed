"""Clients written by others, in Node, against a live instance: the npm `statuspage.io`
reader (setApiUrl to our base URL) reads every v2 endpoint, and a Node receiver verifies
our webhooks with the npm `standardwebhooks` package, in both body formats. Both packages
are pinned in package.json (scripts/test-deps.sh runs `npm ci`)."""

import ipaddress
import json
import queue
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from statuspage.models import Component, Incident, OutboxEvent
from statuspage.services.incidents import do_open_incident
from statuspage.webhooks.dispatch import deliver, fan_out

pytestmark = pytest.mark.once

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


class NodeProcess:
    """A Node script whose JSON stdout lines are read with a timeout."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(["node", *args], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True).start()

    def next(self, timeout: float = 30) -> dict:
        return json.loads(self.lines.get(timeout=timeout))

    def tell(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def node_receiver():
    receiver = NodeProcess(str(HERE / "standardwebhooks_receiver.js"))
    yield receiver, f"http://127.0.0.1:{receiver.next()['port']}/hook"
    receiver.stop()


def deliver_all() -> None:
    for event_id in OutboxEvent.objects.filter(fanned_out_at__isnull=True).values_list("pk", flat=True):
        fan_out(event_id)
    deliver()


def test_the_npm_statuspage_io_client_reads_every_v2_endpoint(live_server, transactional_db, page):
    start = timezone.now() + timedelta(days=1)
    do_open_incident(name="Network change", kind=Incident.Kind.MAINTENANCE, scheduled_for=start,
                     scheduled_until=start + timedelta(hours=1))
    do_open_incident(name="Login slow", components={Component.objects.get(key="oneid-signin"): "degraded_performance"})

    done = subprocess.run(["node", str(HERE / "statuspage_io_reader.js"), live_server.url], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    read = json.loads(done.stdout)
    assert read["summary"]["page"]["url"].startswith("http")
    assert read["status"]["status"] == {"indicator": "minor", "description": "Minor Service Outage"}
    assert {c["id"] for c in read["components"]["components"]} >= {"oneid", "oneid-signin"}
    assert [i["name"] for i in read["unresolved"]["incidents"]] == ["Login slow"]
    assert [m["name"] for m in read["upcoming"]["scheduled_maintenances"]] == ["Network change"]
    assert read["maintenances"]["scheduled_maintenances"][0]["impact"] == "maintenance"


@pytest.mark.parametrize("body_format", ["standard", "statuspage"])
def test_a_node_receiver_verifies_our_webhooks_with_npm_standardwebhooks(page, api, settings, node_receiver,
                                                                         body_format):
    settings.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    receiver, url = node_receiver
    created = api.post("/api/v1/webhooks/", {"url": url, "format": body_format}, format="json")
    assert created.status_code == 201
    receiver.tell(created.json()["secret"])
    assert receiver.next() == {"ready": True}

    do_open_incident(name="Реєстр показує хибну відстрочку",  # non-ASCII: signed as UTF-8 bytes
                     components={Component.objects.get(key="reserve-data"): "major_outage"})
    deliver_all()
    received = [receiver.next(), receiver.next()]

    assert all(r["ok"] for r in received), received
    if body_format == "standard":
        assert sorted(r["body"]["type"] for r in received) == ["component.status_changed", "incident.created"]
    else:
        incident = next(r["body"]["incident"] for r in received if "incident" in r["body"])
        assert incident["name"] == "Реєстр показує хибну відстрочку"


def test_the_node_receiver_refuses_a_tampered_body(page, node_receiver):
    receiver, url = node_receiver
    receiver.tell("whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    receiver.next()

    httpx.post(url, content=b'{"type":"incident.created"}', headers={
        "webhook-id": "msg_1", "webhook-timestamp": str(int(timezone.now().timestamp())),
        "webhook-signature": "v1,bm90IHRoZSBzaWduYXR1cmU="})

    assert receiver.next()["ok"] is False
