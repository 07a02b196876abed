"""A worker SIGKILLed mid-fan-out loses no delivery: the outbox is swept by the next one."""

import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from statuspage.models import Delivery, OutboxEvent, WebhookSubscriber
from tests.processes import brokers, celery_process, sender, stop, wait_for, worker_args
from statuspage.services.incidents import do_open_incident

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SUBSCRIBERS = 30


class SlowReceiver:
    """Answers 200 after a pause, recording (path, webhook-id) of every request."""

    def __init__(self, pause: float):
        self.seen: list[tuple[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                time.sleep(pause)
                receiver.seen.append((self.path, self.headers["webhook-id"]))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.mark.parametrize("broker", brokers())
def test_a_worker_killed_mid_fan_out_loses_no_delivery(page, broker, tmp_path):
    receiver = SlowReceiver(pause=0.3)
    for n in range(SUBSCRIBERS):
        WebhookSubscriber.objects.create(url=f"{receiver.base}/hook/{n}")
    do_open_incident(name="False deferral shown")
    event = OutboxEvent.objects.get(type="incident.created")
    app = sender(broker, tmp_path)
    env = {"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8", "WEBHOOK_LEASE_S": "2", "WEBHOOK_CONCURRENCY": "2",
           "WEBHOOK_BATCH": "10"}

    with celery_process("worker", broker, tmp_path, *worker_args("celery", "webhooks", name="first"), log_name="first",
                        **env) as first:
        app.send_task("statuspage.delivery_tasks.fan_out_event", args=[event.pk], queue="celery")
        wait_for(lambda: len(receiver.seen) >= 3, what="the fan-out to start")
        stop(first, signal.SIGKILL)
    delivered_before_kill = len({path for path, _ in receiver.seen})
    assert delivered_before_kill < SUBSCRIBERS

    with celery_process("worker", broker, tmp_path, *worker_args("celery", "webhooks", name="second"), log_name="second", **env):
        def all_delivered():
            app.send_task("statuspage.delivery_tasks.sweep_outbox", queue="celery")
            time.sleep(1)
            return not Delivery.objects.filter(event=event).exclude(status="delivered").exists()

        wait_for(all_delivered, timeout=90, interval=1, what="every delivery after the kill")

    receiver.server.shutdown()
    paths = {path for path, _ in receiver.seen}
    assert paths == {f"/hook/{n}" for n in range(SUBSCRIBERS)}
    assert {webhook_id for _, webhook_id in receiver.seen} == {event.pk}
    print(f"\n{delivered_before_kill} of {SUBSCRIBERS} delivered before SIGKILL; all {SUBSCRIBERS} after; "
          f"{len(receiver.seen)} requests in all (at-least-once)")
