"""Celery tasks of the probe domain; ids and timestamps as arguments, safe to repeat."""

from __future__ import annotations

import os
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from probes import automation, heartbeats, rollup, scheduler
from probes.models import Probe
from probes.recording import record_batch
from probes.runner import run_batch
from statuspage.webhooks.ssrf import GuardedTransport


@shared_task(ignore_result=True, expires=5)
def dispatch_due_probes() -> int:
    heartbeats.beat("dispatcher")
    return scheduler.dispatch_due(send_probe_batch)


def send_probe_batch(region: str, items: list[tuple[int, str]]) -> None:
    """Enqueue one batch on its region's queue; dropped if no worker takes it in time."""
    run_probe_batch.apply_async((region, items), queue=f"probes.{region}", expires=settings.PROBE_BATCH_EXPIRES_S)


def probe_env() -> dict[str, str]:
    """The worker's environment as probes see it: only the names PROBE_ENV_ALLOW lists, so a
    probe stored before the list shrank still cannot read anything else."""
    return {name: os.environ[name] for name in settings.PROBE_ENV_ALLOW if name in os.environ}


def guarded_transport(**kwargs) -> GuardedTransport:
    """The webhooks' SSRF guard, with the probes' allowed networks (redirect hops included)."""
    return GuardedTransport(settings.PROBE_ALLOWED_NETWORKS, setting="PROBE_ALLOWED_NETWORKS",
                            subject="probe URL", **kwargs)


@shared_task(ignore_result=True, acks_late=True)
def run_probe_batch(region: str, items: list[tuple[int, str]]) -> int:
    probes = Probe.objects.in_bulk([probe_id for probe_id, _ in items])
    todo = [(probes[pid], datetime.fromisoformat(when)) for pid, when in items if pid in probes]
    started = timezone.now()
    verdicts = run_batch([p.definition for p, _ in todo], probe_env(), concurrency=settings.PROBE_CONCURRENCY,
                         transport=guarded_transport)
    recorded = record_batch(region, [(p, when, started, v) for (p, when), v in zip(todo, verdicts, strict=True)])
    heartbeats.beat(f"queue probes.{region}")
    return recorded


@shared_task(ignore_result=True)
def rollup_probe_days() -> int:
    return rollup.rollup_pending_days()


@shared_task(ignore_result=True)
def prune_probe_history() -> int:
    return rollup.prune()


@shared_task(ignore_result=True)
def advance_probe_incidents() -> int:
    return automation.advance_incidents()
