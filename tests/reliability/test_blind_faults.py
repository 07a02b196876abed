"""Monitoring that cannot go blind silently (issue 12), with real processes as `make run` runs them.

Issue 12: `kill -9` of one idle prefork pool child left the others waiting on the pool's
shared lock; nothing was processed again and /healthz said ok. Here each fault (a pool
child SIGKILLed, the worker SIGSTOPped, beat stopped) must be reported within three probe
intervals, by /healthz (503 naming what is stale) and by an on-call alert, and reported
again after a recovery. The supervisor of `make run` (scripts/supervise.py) restarts a
worker that hangs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import get_user_model

from probes.models import ProbeRun
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import OnCallContact, OutboxEvent
from statuspage.oncall import role_group
from tests.processes import ROOT, VENV_BIN, celery_process, process_env, stop, wait_for
from tests.reliability.faults import Target, granian_web
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
INTERVAL_S = 3
REPORTED_WITHIN_S = 3 * INTERVAL_S
ENV = {"HEARTBEAT_STALE_S": "2.5", "WATCHDOG_EVERY_S": "0.5", "WATCHDOG_STARTUP_GRACE_S": "0",
       "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
# The worker as scripts/run.sh starts it.
WORKER = ["-Q", "celery,probes.default", "--pool", "threads", "--concurrency", "8", "--without-gossip",
          "--without-mingle"]


def configure(page_config: dict, target: Target, receiver: Receiver) -> None:
    config, errors = validate({**page_config, "probes": [{
        "key": "reserve-health", "component": "reserve-data", "interval": f"{INTERVAL_S}s", "timeout": "1s",
        "steps": [{"name": "health", "request": {"method": "GET", "url": target.url + "/health"},
                   "expect": {"status": 200}}]}]})
    assert errors == []
    apply_config(config)
    user = get_user_model().objects.create_user("olena")
    user.groups.add(role_group("responder"))
    OnCallContact.objects.create(user=user, alert_webhook_url=receiver.url, alert_by_email=False)


@contextmanager
def process(name: str, var_dir: Path, *args: str, **env: str):
    log = open(var_dir / f"{name}.log", "ab")
    proc = subprocess.Popen(list(args), cwd=ROOT, env=process_env("filesystem", var_dir, **ENV, **env),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc)
        log.close()


def watchdog(var_dir: Path):
    return process("watchdog", var_dir, str(VENV_BIN / "python"), "manage.py", "watch_monitoring")


def beat(var_dir: Path):
    return celery_process("beat", "filesystem", var_dir, "--schedule", str(var_dir / "beat-schedule"), **ENV)


def worker(var_dir: Path):
    return celery_process("worker", "filesystem", var_dir, *WORKER, "--hostname", f"w-{os.getpid()}@%h", **ENV)


def health(base: str) -> tuple[int, dict]:
    response = httpx.get(base + "/healthz", timeout=5)
    return response.status_code, response.json()


def alerts(receiver: Receiver) -> list[str]:
    return [json.loads(r.body)["text"] for r in receiver.requests]


def wait_healthy(base: str, receiver: Receiver, runs_after: int = 0) -> int:
    """Wait for probes running, /healthz ok and every blind alert followed by its recovery
    (the processes' start may have been one); returns how many alerts were sent so far."""
    wait_for(lambda: ProbeRun.objects.count() > runs_after and health(base)[0] == 200
             and len(alerts(receiver)) % 2 == 0, timeout=90, what="probes running and /healthz ok")
    return len(alerts(receiver))


def wait_reported(base: str, receiver: Receiver, told: int, stale: str, since: float) -> float:
    """Seconds from the fault until /healthz says blind (naming `stale`) and the alert arrived."""
    wait_for(lambda: health(base)[0] == 503 and stale in health(base)[1]["stale"] and len(alerts(receiver)) > told,
             timeout=60, interval=0.1, what=f"{stale} reported stale")
    took = time.monotonic() - since
    assert alerts(receiver)[told].startswith("[on-call] Monitoring is blind since ")
    return took


def wait_recovered(base: str, receiver: Receiver, told: int) -> None:
    wait_for(lambda: health(base)[0] == 200 and len(alerts(receiver)) > told, timeout=90, what="the recovery")
    assert alerts(receiver)[told].startswith("[on-call] Monitoring works again")


@pytest.fixture
def stack(page_config, tmp_path):
    """A probed page, a web server, beat and the watchdog (the test starts its worker)."""
    with ExitStack() as stack:
        target = Target(status=200)
        receiver = stack.enter_context(Receiver())
        configure(page_config, target, receiver)
        _, base = stack.enter_context(granian_web(tmp_path, **ENV))
        stack.enter_context(watchdog(tmp_path))
        yield {"base": base, "receiver": receiver, "var": tmp_path, "beat": stack.enter_context(beat(tmp_path))}


def test_a_stopped_worker_is_reported_within_three_intervals_and_again_after_it_resumed(stack):
    base, receiver = stack["base"], stack["receiver"]
    with worker(stack["var"]) as proc:
        told = wait_healthy(base, receiver)
        took = []
        for round_ in range(2):  # the second round: detection works again after a recovery
            os.killpg(proc.pid, signal.SIGSTOP)
            took.append(wait_reported(base, receiver, told + 2 * round_, "dispatcher", time.monotonic()))
            os.killpg(proc.pid, signal.SIGCONT)
            wait_recovered(base, receiver, told + 2 * round_ + 1)
        # Checked while the worker still runs: once it stops, the watchdog rightly opens a
        # new blind episode, whose alert may be on its way at that moment. The receiver
        # answers before the outbox row is marked, hence a short wait, not a bare assert.
        wait_for(lambda: not OutboxEvent.objects.filter(type="oncall.alert", fanned_out_at__isnull=True).exists(),
                 timeout=10, interval=0.1, what="every alert of both episodes marked sent")
    print(f"\nworker SIGSTOPped: reported after {', '.join(f'{t:.1f}' for t in took)} s "
          f"(probe interval {INTERVAL_S} s)")
    assert max(took) <= REPORTED_WITHIN_S


def test_a_stopped_beat_is_reported_within_three_intervals_and_its_return_too(stack):
    base, receiver = stack["base"], stack["receiver"]
    with worker(stack["var"]):
        told = wait_healthy(base, receiver)
        since = time.monotonic()
        stop(stack["beat"])
        took = wait_reported(base, receiver, told, "beat", since)
        runs = ProbeRun.objects.count()
        with beat(stack["var"]):
            wait_recovered(base, receiver, told + 1)
            wait_healthy(base, receiver, runs_after=runs)
    print(f"\nbeat stopped: reported after {took:.1f} s (probe interval {INTERVAL_S} s)")
    assert took <= REPORTED_WITHIN_S


def test_a_sigkilled_pool_child_does_not_blind_the_worker(stack):
    """The worker runs a thread pool: there is no child whose death can hang the others. Any
    child it has is SIGKILLed, and the probes must go on with /healthz ok for 3 intervals."""
    base, receiver = stack["base"], stack["receiver"]
    with worker(stack["var"]) as proc:
        told = wait_healthy(base, receiver)
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        for child in children:
            os.kill(int(child), signal.SIGKILL)
        runs = ProbeRun.objects.count()
        deadline = time.monotonic() + REPORTED_WITHIN_S
        answers = []
        while time.monotonic() < deadline:
            answers.append(health(base)[0])
            time.sleep(0.5)
        assert ProbeRun.objects.count() > runs
        told_after = len(alerts(receiver))  # before the worker stops, which is blindness
    print(f"\n{len(children)} pool child(ren) SIGKILLed; /healthz answered {sorted(set(answers))}")
    assert set(answers) == {200}
    assert told_after == told


def test_the_supervisor_of_make_run_restarts_a_worker_that_hangs(stack):
    base, var, receiver = stack["base"], stack["var"], stack["receiver"]
    command = [str(VENV_BIN / "python"), "scripts/supervise.py", "worker", "--hang-after", "5",
               "--run-dir", str(var / "run"), "--", str(VENV_BIN / "celery"), "-A", "statuspage", "worker",
               *WORKER, "--hostname", f"sw-{os.getpid()}@%h", "--loglevel", "INFO"]
    with process("supervised-worker", var, *command):
        wait_healthy(base, receiver)
        first = int((var / "run" / "worker.pid").read_text())
        os.killpg(first, signal.SIGSTOP)
        wait_for(lambda: int((var / "run" / "worker.pid").read_text()) != first, timeout=30,
                 what="the hung worker killed and started again")
        runs = ProbeRun.objects.count()
        wait_healthy(base, receiver, runs_after=runs)
    assert "it hangs; killing it" in (var / "supervised-worker.log").read_text()
