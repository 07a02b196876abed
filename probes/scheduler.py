"""One beat tick dispatches every due probe run; no per-probe beat entries.

Each (probe, region) row carries its next_run_at. A dispatcher claims a due row with a
compare-and-set on that timestamp, so two dispatchers (two beats by mistake, or a retry)
never send one run twice; on PostgreSQL, SKIP LOCKED also keeps them off each other's rows.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from probes.models import RegionState

log = logging.getLogger(__name__)


def claim_due(now: datetime | None = None, limit: int = 5000) -> dict[str, list[tuple[int, str]]]:
    """Claim due runs; returns {region: [(probe_id, scheduled_for ISO)]}."""
    now = now or timezone.now()
    claimed: dict[str, list[tuple[int, str]]] = defaultdict(list)
    with transaction.atomic():
        due = RegionState.objects.filter(next_run_at__lte=now, probe__enabled=True).order_by("next_run_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due.values_list("pk", "probe_id", "region", "next_run_at", "probe__definition")[:limit])
        for pk, probe_id, region, scheduled, definition in rows:
            interval = timedelta(milliseconds=definition["interval_ms"])
            following = scheduled + interval
            if following <= now:  # fell behind (no worker, long pause): skip missed runs, don't burst
                following = now + interval
            if RegionState.objects.filter(pk=pk, next_run_at=scheduled).update(next_run_at=following) == 1:
                claimed[region].append((probe_id, scheduled.isoformat()))
    return claimed


def dispatch_due(send: Callable[[str, list[tuple[int, str]]], None], now: datetime | None = None) -> int:
    """Claim what is due and hand it to `send(region, chunk)` in PROBE_BATCH_SIZE chunks (the
    caller enqueues them; the scheduler knows no task). Returns how many runs were sent."""
    claimed = claim_due(now)
    size = settings.PROBE_BATCH_SIZE
    sent = 0
    for region, items in claimed.items():
        for i in range(0, len(items), size):
            chunk = items[i:i + size]
            try:
                send(region, chunk)
                sent += len(chunk)
            except Exception:  # the run is skipped, the next interval runs again
                log.exception("could not send %d probe runs for region %s", len(chunk), region)
    return sent
