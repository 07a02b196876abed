"""Celery tasks of the probe domain; ids and timestamps as arguments, safe to repeat."""

from __future__ import annotations

import os
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from probes import heartbeats, rollup, scheduler
from probes.models import Probe
from probes.recording import record_batch
from probes.runner import run_batch


@shared_task(ignore_result=True, expires=5)
def dispatch_due_probes() -> int:
    heartbeats.beat("dispatcher")
    return scheduler.dispatch_due()


@shared_task(ignore_result=True, acks_late=True)
def run_probe_batch(region: str, items: list[tuple[int, str]]) -> int:
    probes = Probe.objects.in_bulk([probe_id for probe_id, _ in items])
    todo = [(probes[pid], datetime.fromisoformat(when)) for pid, when in items if pid in probes]
    started = timezone.now()
    verdicts = run_batch([p.definition for p, _ in todo], os.environ, concurrency=settings.PROBE_CONCURRENCY)
    recorded = record_batch(region, [(p, when, started, v) for (p, when), v in zip(todo, verdicts)])
    heartbeats.beat(f"queue probes.{region}")
    return recorded


@shared_task(ignore_result=True)
def rollup_probe_days() -> int:
    return rollup.rollup_pending_days()


@shared_task(ignore_result=True)
def prune_probe_history() -> int:
    return rollup.prune()
