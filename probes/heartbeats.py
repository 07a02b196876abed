"""Heartbeats: each moving part says it is alive, so that its silence can be noticed.

Beat writes `beat` on every scheduler tick (probes.beat), the worker that runs the
dispatcher writes `dispatcher`, and the worker of each probe queue writes `queue
probes.<region>` after each batch. They go to the cache (shared by every host) and, when
the process runs under scripts/supervise.py, to a local file whose age tells the
supervisor the process hangs (STATUSPAGE_HEARTBEAT_FILE).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.cache import cache

KEY = "heartbeat:{}"
EVERY_S = 1.0  # a write per second at most, per process and name: the dispatcher ticks 4 times a second
_written: dict[str, float] = {}


def beat(name: str) -> None:
    now = time.time()
    if now - _written.get(name, 0.0) < EVERY_S:
        return
    _written[name] = now
    cache.set(KEY.format(name), now, timeout=None)
    if path := os.environ.get("STATUSPAGE_HEARTBEAT_FILE"):
        Path(path).touch()


def last(names: list[str]) -> dict[str, float]:
    """{name: unix time of its last heartbeat}, for those that ever wrote one."""
    found = cache.get_many([KEY.format(n) for n in names])
    return {n: found[KEY.format(n)] for n in names if KEY.format(n) in found}
