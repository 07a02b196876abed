"""Does a worker process's memory level off? (The soak's Celery pool children grow.)

Runs the worker's own tasks in one process, in a loop: a probe batch of the demo config's
probes against the demo target, and a full render of the public responses every 50
batches. Prints the process's RSS every 300 batches and the growth after the warm-up. A
leak grows with every batch; warm-up (allocator high-water, imports, template caches)
levels off. Scratch SQLite and var dir under a temp dir; the demo target on a free port.

    .venv/bin/python bench/worker_memory.py [BATCHES]   # default 3000, about 3 minutes
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import demo_target  # noqa: E402  (the demo's probe variables)

os.chdir(ROOT)
WARMUP = 1500


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = _free_port()
TARGET = f"http://127.0.0.1:{PORT}"
for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
    os.environ.pop(name, None)
os.environ.update(
    STATUSPAGE_VAR_DIR=tempfile.mkdtemp(prefix="bench-memory-"), DJANGO_SETTINGS_MODULE="statuspage.settings",
    PUBLIC_BASE_URL="http://127.0.0.1:8000", DEMO_TARGET_URL=TARGET, PROBE_REGIONS="default",
    RESERVE_BASE_URL=f"{TARGET}/reserve", ONEID_BASE_URL=f"{TARGET}/oneid",
    CANARY_PHONE="+380500000001", CANARY_CODE="000000", CANARY_PASSPORT="AA0000001",
    PROBE_ENV_ALLOW=demo_target.PROBE_ENV, PROBE_ALLOWED_NETWORKS=demo_target.LOOPBACK,
)

import django  # noqa: E402

django.setup()
logging.disable(logging.INFO)

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from probes.models import Probe, ProbeRun  # noqa: E402
from probes.tasks import run_probe_batch  # noqa: E402
from statuspage.public.render_tasks import render_public  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    batches = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    target = subprocess.Popen([sys.executable, "-m", "demo_target", "--host", "127.0.0.1", "--port", str(PORT)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        call_command("migrate", verbosity=0)
        call_command("apply_config", "examples/reserve-plus.yaml", stdout=open(os.devnull, "w"))
        time.sleep(1)  # the demo target binds its port
        ids = list(Probe.objects.values_list("id", flat=True))
        start = time.monotonic()
        at_warmup = None
        for i in range(batches + 1):
            if i == WARMUP:
                gc.collect()
                at_warmup = rss_mb()
            if i % 300 == 0:
                print(f"batch {i:>6}: RSS {rss_mb():6.1f} MB", flush=True)
            if i == batches:
                break
            run_probe_batch.run("default", [(pid, timezone.now().isoformat()) for pid in ids])
            if i % 50 == 0:
                render_public()
        gc.collect()
        failed = ProbeRun.objects.filter(ok=False).count()
        print(f"{batches} batches ({ProbeRun.objects.count()} runs, {failed} failed) "
              f"in {time.monotonic() - start:.0f} s")
        if at_warmup is not None:
            print(f"RSS growth after the first {WARMUP} batches: {rss_mb() - at_warmup:+.1f} MB")
    finally:
        target.kill()


if __name__ == "__main__":
    main()
