"""The per-region state machine and the quorum across regions. Pure functions.

A run is `fail`, `slow` (passed but slower than degraded_over) or `fast`. A region trips
to down after `trip_after` failures in a row and recovers after `recover_after` passes in
a row; degraded works the same way with slow runs, so one blip never flaps the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from probes.models import ProbeState

UP, DEGRADED, DOWN = ProbeState.UP, ProbeState.DEGRADED, ProbeState.DOWN
_RANK = {UP: 0, DEGRADED: 1, DOWN: 2}


@dataclass
class Streaks:
    state: str = UP
    failures: int = 0
    successes: int = 0
    slow: int = 0
    fast: int = 0


def classify(ok: bool, duration_ms: int, degraded_over_ms: int | None) -> str:
    if not ok:
        return "fail"
    if degraded_over_ms is not None and duration_ms > degraded_over_ms:
        return "slow"
    return "fast"


def step(s: Streaks, outcome: str, trip_after: int, recover_after: int) -> Streaks:
    if outcome == "fail":
        n = Streaks(s.state, s.failures + 1, 0, 0, 0)
    elif outcome == "slow":
        n = Streaks(s.state, 0, s.successes + 1, s.slow + 1, 0)
    else:
        n = Streaks(s.state, 0, s.successes + 1, 0, s.fast + 1)
    if n.failures >= trip_after:
        n.state = DOWN
    elif s.state == DOWN and n.successes < recover_after:
        n.state = DOWN
    elif n.slow >= trip_after:
        n.state = DEGRADED
    elif s.state == DEGRADED and n.fast < recover_after:
        n.state = DEGRADED
    elif s.state == DOWN:  # recovered: slow or fast, by the last run
        n.state = DEGRADED if outcome == "slow" and n.slow >= trip_after else UP
    else:
        n.state = UP
    return n


def quorum_state(region_states: list[str], quorum: int) -> str:
    """DOWN if at least `quorum` regions say down; DEGRADED if at least `quorum` say
    degraded or worse; else UP. One region's network trouble cannot page anyone alone."""
    down = sum(1 for s in region_states if s == DOWN)
    bad = sum(1 for s in region_states if s in (DOWN, DEGRADED))
    if down >= quorum:
        return DOWN
    if bad >= quorum:
        return DEGRADED
    return UP


def worst(states: list[str]) -> str:
    return max(states, key=_RANK.__getitem__, default=UP)
