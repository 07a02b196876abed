"""Store a batch of verdicts in bulk and feed each new run to its state machine, in one
transaction: a run is recorded if and only if it has moved its state machine, whatever
cuts the database connection in between (the replay of the runs gives the stored state).

(probe, region, scheduled_for) is unique: a batch the broker delivers twice inserts
nothing the second time, and only the rows this attempt inserted move a state machine,
so no run is ever counted twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from probes import automation, metrics
from probes.models import Probe, ProbeRun, RegionState
from probes.runner import Verdict
from probes.states import DOWN, Streaks, classify, quorum_state, step

log = logging.getLogger(__name__)


def record_batch(region: str, runs: list[tuple[Probe, datetime, datetime, Verdict]]) -> int:
    """runs: (probe, scheduled_for, started_at, verdict). Returns how many were new."""
    attempt = uuid.uuid4().hex
    rows = []
    for probe, scheduled_for, started_at, verdict in runs:
        slow = classify(verdict.ok, verdict.duration_ms, probe.definition.get("degraded_over_ms")) == "slow"
        rows.append(ProbeRun(
            probe=probe, region=region, scheduled_for=scheduled_for, started_at=started_at,
            duration_ms=verdict.duration_ms, ok=verdict.ok, slow=slow, failure_class=verdict.failure_class or "",
            attempt=attempt, step=(verdict.step or "")[:200], message=verdict.message, detail=verdict.to_dict(),
        ))
    applied = []
    with transaction.atomic():
        ProbeRun.objects.bulk_create(rows, ignore_conflicts=True)
        mine = set(ProbeRun.objects.filter(attempt=attempt).values_list("probe_id", "scheduled_for"))
        # By probe, then time: each probe's runs in order, and every batch takes the rows'
        # locks in the same order, so batches of two regions cannot deadlock.
        for probe, scheduled_for, started_at, verdict in sorted(runs, key=lambda r: (r[0].pk, r[1])):
            if (probe.pk, scheduled_for) not in mine:
                continue  # another delivery of this batch recorded it already
            apply_verdict(probe.pk, region, verdict)
            applied.append((probe, scheduled_for, started_at, verdict))
    for probe, scheduled_for, started_at, verdict in applied:  # counted once it is stored
        metrics.observe_run(probe.key, region, verdict, (started_at - scheduled_for).total_seconds())
    return len(applied)


def apply_verdict(probe_id: int, region: str, verdict: Verdict) -> None:
    with transaction.atomic():
        probe = Probe.objects.select_for_update().filter(pk=probe_id).first()
        state = RegionState.objects.select_for_update().filter(probe_id=probe_id, region=region).first()
        if probe is None or state is None:
            # The config dropped the probe or this region while the batch was in flight:
            # the run is moot, and the rest of the batch still counts.
            log.warning("probe %s has no region %r any more: run not applied", probe_id, region)
            return
        spec = probe.definition
        before = Streaks(state.state, state.consecutive_failures, state.consecutive_successes,
                         state.consecutive_slow, state.consecutive_fast)
        after = step(before, classify(verdict.ok, verdict.duration_ms, spec.get("degraded_over_ms")),
                     spec["trip_after"], spec["recover_after"])
        state.state = after.state
        state.consecutive_failures, state.consecutive_successes = after.failures, after.successes
        state.consecutive_slow, state.consecutive_fast = after.slow, after.fast
        state.last_run_at = timezone.now()
        state.save(update_fields=["state", "consecutive_failures", "consecutive_successes", "consecutive_slow",
                                  "consecutive_fast", "last_run_at"])
        regions = list(probe.regions.values_list("state", flat=True))
        new_state = quorum_state(regions, spec.get("quorum", 1))
        if new_state != probe.state:
            old = probe.state
            probe.state, probe.state_changed_at = new_state, timezone.now()
            probe.save(update_fields=["state", "state_changed_at", "updated_at"])
            automation.on_state_change(probe, old, new_state, verdict.to_dict())
        elif new_state == DOWN:
            automation.reconcile_tripped(probe, verdict.to_dict())
