"""A probe's secret never leaves the worker's environment.

A real worker runs two failing probes whose requests carry a canary secret (in the query
string, a header and a JSON body; the target echoes all of it back in its error, and a
second probe fails to connect to a URL with the secret in its path). Once they have
tripped and opened their incidents, the canary, in every form it could take (as is,
URL-encoded, JSON-escaped), is looked for in the whole database, the worker's and beat's
logs, the admin pages, the API, the webhooks sent, the public page, the feeds and the
metrics. It is in none of them.
"""

import json
import secrets
from urllib.parse import quote, quote_plus

import pytest
from django.apps import apps
from django.contrib.admin.utils import quote as admin_quote  # as the admin's own links: "msg_2C…" must not read as ","
from django.core import serializers
from django.test import Client

from probes.models import Probe, ProbeRun
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import Delivery, Incident, OutboxEvent, WebhookSubscriber
from statuspage.public.render import render_all
from tests.conftest import DEMO_PROBE_ENV, token_for
from tests.loopback import Loopback, Reply, Request
from tests.processes import celery_process, wait_for, worker_args
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CANARY = f'cAnArY-{secrets.token_hex(8)}+/"x'  # needs escaping in a URL and in JSON


def forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), json.dumps(secret)[1:-1],
            quote(secret, safe="+/"),  # as httpx writes it into a URL
            json.dumps(json.dumps(secret)[1:-1])[1:-1],  # a JSON body echoed inside a JSON error
            secret.split("+")[0]}  # its distinctive part alone: a truncated or re-encoded leak counts too


def echo_back(request: Request) -> Reply:
    """Refuses every request with 401 and echoes what it was sent, secrets included."""
    return Reply(401, {"error": "bad key", "path": request.path, "authorization": request.headers.get("authorization"),
                       "body": request.body.decode()},
                 {"content-type": "application/json", "x-echo": request.headers.get("authorization", "")})


def config(page_config, echo):
    common = {"interval": "2s", "timeout": "1500ms", "trip_after": 2, "incident": "auto"}
    return {**page_config, "probes": [
        {"key": "login-with-secret", "component": "reserve-auth", **common, "steps": [{
            "name": "login",
            "request": {"method": "POST", "url": echo.url + "/login?key={{ env.CANARY_KEY }}",
                        "headers": {"Authorization": "Bearer {{ env.CANARY_KEY }}"},
                        # The secret first: the echo is cut at 300 characters, and it must be in.
                        "json": {"code": "{{ env.CANARY_KEY }}", "phone": "+380500000001"}},
            "expect": {"status": 200, "header": {"x-echo": {"equals": "nothing"}}},
        }]},
        {"key": "unreachable-with-secret", "component": "reserve-data", **common, "steps": [{
            "name": "profile", "request": {"method": "GET", "url": "http://127.0.0.1:9/{{ env.CANARY_KEY }}/profile"},
            "expect": {"status": 200},
        }]},
    ]}


def leaks(where: str, text: str) -> list[str]:
    return [f"{where}: {form!r}" for form in forms(CANARY) if form in text]


def test_a_probe_secret_is_in_no_database_row_log_page_api_answer_or_webhook(page_config, oncall_user, tmp_path,
                                                                              settings):
    settings.PROBE_ENV_ALLOW = [*DEMO_PROBE_ENV, "CANARY_KEY"]  # the workers get the same list
    echo = Loopback(echo_back).start()
    cfg, errors = validate(config(page_config, echo))
    assert errors == []
    apply_config(cfg)
    env = {"CANARY_KEY": CANARY, "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
    with Receiver() as receiver:
        hook = WebhookSubscriber.objects.create(url=receiver.url)
        with celery_process("worker", "filesystem", tmp_path,
                            *worker_args("celery", "probes.default", "render", "webhooks"), **env), \
                celery_process("beat", "filesystem", tmp_path, "--schedule", str(tmp_path / "beat-schedule"), **env):
            wait_for(lambda: Incident.objects.filter(probe_key__in=["login-with-secret", "unreachable-with-secret"])
                     .count() == 2, timeout=60, what="both probes to trip")
            wait_for(lambda: len(receiver.requests) >= 4 and not Delivery.objects.exclude(status="delivered").exists(),
                     timeout=60, what="the webhooks")
        bodies = [r.body.decode() + json.dumps(r.headers) for r in receiver.requests]
    echo.close()
    failed = ProbeRun.objects.filter(ok=False)
    assert {r.failure_class for r in failed} == {"http_status", "connect"}
    # The failures say what happened; the echoed body that carried the secret is withheld
    # (probes/masking.py: its length only), so the searches below would see any leak.
    login = failed.filter(probe__key="login-with-secret").first()
    assert "HTTP 401" in login.message and "characters)" in login.message, login.message

    found = []
    for model in apps.get_models():
        found += leaks(f"table {model._meta.db_table}", serializers.serialize("json", model.objects.all()))
    for log in tmp_path.glob("*.log"):
        found += leaks(f"log {log.name}", log.read_text(errors="replace"))
    console = Client()
    console.force_login(oncall_user)
    incident = Incident.objects.filter(probe_key="login-with-secret").get()
    for url in ["/admin/probes/probe/", *[f"/admin/probes/probe/{p.pk}/change/" for p in Probe.objects.all()],
                "/admin/probes/proberun/", *[f"/admin/probes/proberun/{r.pk}/change/" for r in failed],
                "/admin/statuspage/incident/", f"/admin/statuspage/incident/{incident.pk}/change/",
                "/admin/statuspage/auditlog/", "/admin/statuspage/outboxevent/",
                *[f"/admin/statuspage/outboxevent/{admin_quote(e.pk)}/change/" for e in OutboxEvent.objects.all()],
                "/admin/statuspage/delivery/", f"/admin/statuspage/webhooksubscriber/{hook.pk}/change/"]:
        response = console.get(url)
        assert response.status_code == 200, url
        found += leaks(f"admin {url}", response.content.decode())
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for(oncall_user)}")
    for url in ["/api/v1/probes/", "/api/v1/probes/login-with-secret/results/?failures=1",
                "/api/v1/probes/unreachable-with-secret/results/", "/api/v1/incidents/",
                f"/api/v1/webhooks/{hook.pk}/deliveries/"]:
        response = api.get(url)
        assert response.status_code == 200, url
        found += leaks(f"API {url}", response.content.decode())
    for n, body in enumerate(bodies):
        found += leaks(f"webhook #{n}", body)
    render_all()
    public = Client()
    for url in ["/", f"/incidents/{incident.pk}", "/history", "/history.atom", "/history.rss",
                "/components/reserve-auth/history.atom", "/api/v2/summary.json", "/api/v2/incidents.json", "/metrics"]:
        response = public.get(url)
        assert response.status_code == 200, url
        found += leaks(f"public {url}", response.content.decode())

    print(f"\nlooked for {len(forms(CANARY))} forms of the canary in {len(apps.get_models())} tables, "
          f"{len(list(tmp_path.glob('*.log')))} logs, admin, API, {len(bodies)} webhooks, public pages: "
          f"{len(found)} found")
    assert found == [], "\n".join(found)
