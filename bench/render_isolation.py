"""Benchmark: rendering never delays a probe (issue 14), its three figures in one run.

1. Render work after one incident update (in this process, SQLite in a scratch var dir):
   the demo page grown to 20, 200 and 1,000 components, a few incidents, one full render,
   then one update to one incident and the pass the render worker runs for it
   (render_tasks.render_changes: what changed is rendered, the rest carried over). Prints
   entries rendered and carried, CPU seconds of the pass, the ratio 200:20 (goal: at most
   2) and, beside it, a full render at that size. Above 200 components the full render
   before the update is seeded (see `seed`): it alone takes minutes at 1,000 here.
2. Idle CPU of `make run` (scripts/run.sh on a scratch var dir, the demo config) over
   IDLE seconds once it has settled, per process, in % of one core (goal: at most 5% in
   all).
3. Probe lateness (started_at - scheduled_for, p99 and max over the window) of the demo's
   probes, five copies of each, every 2 s, on a 200-component page while wrk floods `/` and
   `/api/v2/summary.json`: first with no updates, then with 20 incident updates a minute
   (goal: p99 at most 1 s).

The machine may be shared: each figure is what this run saw, printed with the machine's
busy share over the same window.

    .venv/bin/python bench/render_isolation.py [--only work,idle,lateness] [--sizes 20,200,1000]
        [--idle 60] [--window 30] [--connections 8] [--updates-per-minute 20]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import soak  # noqa: E402  (scripts/soak.py: starting `make run`'s stack, wrk, process trees)

DEMO = ROOT / "examples" / "reserve-plus.yaml"


def grown_config(components: int, probes_every: str | None = None, probe_copies: int = 1) -> dict:
    """The demo config with `components` components in all, and each demo probe
    `probe_copies` times (more runs, so a p99 means something)."""
    config = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    have = len(config["components"])
    extra = [{"key": f"bench-{n:04d}", "name": f"Regional office {n}"}
             for n in range(max(0, components - have))]
    config["components"] = [*config["components"], *extra]
    probes = []
    for probe in config.get("probes", []):
        if probes_every:
            probe.update(interval=probes_every, timeout="1500ms")
        probes += [probe] + [{**probe, "key": f"{probe['key']}-{n}"} for n in range(1, probe_copies)]
    if probes:
        config["probes"] = probes
    return config


def machine_busy() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    return (after[0] - before[0]) / max(1, after[1] - before[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))] if ordered else float("nan")


# ------------------------------------------------------------------ 1. render work


def render_work(sizes: list[int]) -> dict[int, dict]:
    var = Path(tempfile.mkdtemp(prefix="bench-render-work-"))
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PUBLIC_EXPORT_DIR"):
        os.environ.pop(name, None)
    os.environ.update(STATUSPAGE_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="statuspage.settings",
                      PUBLIC_RENDER_ON_WRITE="0")  # the bench runs each pass itself
    import django

    django.setup()
    from django.core.management import call_command

    from statuspage.config.apply import apply_config
    from statuspage.config.schema import validate
    from statuspage.models import Component, Incident
    from statuspage.public import render_tasks
    from statuspage.public import version as public_version
    from statuspage.public.render import render_all
    from statuspage.services.incidents import do_open_incident, do_post_update

    results = {}
    try:
        call_command("migrate", "--noinput", verbosity=0)
        for size in sizes:
            config, errors = validate(grown_config(size))
            assert config is not None and not errors, errors
            apply_config(config)
            components = list(Component.objects.order_by("key"))
            if not Incident.objects.exists():  # a page with a history: some incidents, some open
                for n in range(12):
                    touched = {components[(n * 7) % len(components)]: "partial_outage"}
                    incident = do_open_incident(name=f"Bench incident {n}", status="investigating",
                                                body="Investigating.", components=touched)
                    if n % 3:
                        do_post_update(incident, status="resolved", body="Fixed.",
                                       components={c: "operational" for c in touched})
            public_version.bump()
            full = render_all() if size <= FULL_RENDER_UP_TO else seed(size)
            incident = Incident.objects.filter(status="investigating").order_by("started_at").first()
            do_post_update(incident, status="identified", body=f"Cause found ({size} components).")
            public_version.bump()
            one = render_tasks.render_changes()
            results[size] = {"rendered": one.rendered, "carried": one.carried, "cpu": one.cpu_seconds,
                             "seconds": one.seconds, "full_rendered": full.rendered, "full_cpu": full.cpu_seconds}
            before = (f"a full render: {full.rendered} entries, {full.cpu_seconds:.2f} s CPU"
                      if size <= FULL_RENDER_UP_TO
                      else f"the {full.carried} per-component entries seeded, not rendered")
            print(f"  {size:>5} components: one update re-rendered {one.rendered} entries, carried {one.carried} over, "
                  f"{one.cpu_seconds:.2f} s CPU ({one.seconds:.2f} s); before it, {before}", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(var, ignore_errors=True)
    return results


PROBE_COPIES = 5  # of each demo probe in the lateness stack: 5 runs a second
FULL_RENDER_UP_TO = 200  # components; a full render at 1,000 takes minutes on 2 shared cores


def seed(size: int):
    """The state a full render leaves, without rendering every component's feeds and badges:
    everything else is rendered, then each component's entries are copies of the first
    one's, recorded under their own digests. The update's pass then does what it does after
    a real full render (renders what changed, copies the rest); only the copied bytes differ."""
    from django.core.cache import cache

    from statuspage.models import Component, PageSettings
    from statuspage.public import keys, render, render_inputs, synthetic
    from statuspage.public import version as public_version

    first = Component.objects.order_by("key").values_list("key", flat=True).first()
    every_path = render.public_paths
    render.public_paths = lambda params=None: [
        p for p in every_path(params) if not p.startswith("/components/") or p.startswith(f"/components/{first}/")]
    try:
        report = render.render_all()
    finally:
        render.public_paths = every_path
    version, inputs, known = public_version.current(), render_inputs.Inputs(), render_inputs.known()
    for key in render.public_keys(render.render_languages(PageSettings.load()), synthetic.read_key_params()):
        if "/components/" not in key or f"/components/{first}/" in key:
            continue
        entry = cache.get(keys.entry_cache_key(version, re.sub(r"/components/[^/]+/", f"/components/{first}/", key)))
        if entry is not None:
            cache.set(keys.entry_cache_key(version, key), entry, None)
            known[key] = (inputs.of(key), version)
            report.carried += 1
    render_inputs.save_known(known)
    return report


# ------------------------------------------------------------------ 2. and 3. the stack


class Stack:
    """scripts/run.sh on a scratch var dir and free ports, stopped (and removed) on close."""

    def __init__(self, config: dict) -> None:
        self.var = Path(tempfile.mkdtemp(prefix="bench-render-stack-"))
        path = self.var / "bench.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        port, demo_port = soak.free_port(), soak.free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PUBLIC_EXPORT_DIR",
                                 "PUBLIC_RENDER_ON_WRITE", "STATUSPAGE_VAR_DIR", "DJANGO_SETTINGS_MODULE")}
        self.env.update(PORT=str(port), DEMO_TARGET_PORT=str(demo_port), STATUSPAGE_VAR_DIR=str(self.var),
                        STATUSPAGE_CONFIG=str(path), PYTHONUNBUFFERED="1")
        self.log = open(self.var / "run.log", "w")
        self.proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.token = soak.wait_for_stack(self.var / "run.log", self.base, self.proc)

    def processes(self) -> dict[int, str]:
        """Each process of the stack, named by what it is (the two workers by their queues)."""
        named = {}
        for pid in soak.children(self.proc.pid):
            name = soak.describe(pid)
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if name == "celery worker":
                queues = re.search(r"-Q (\S+)", argv)
                name = f"worker -Q {queues.group(1) if queues else '?'}"
                if soak.describe(self._parent(pid)) == "celery worker":
                    name += " (pool child)"
            named[pid] = name
        return named

    @staticmethod
    def _parent(pid: int) -> int:
        try:
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return 0

    def close(self) -> None:
        soak.stop_stack(self.proc)
        self.log.close()
        shutil.rmtree(self.var, ignore_errors=True)


def cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def idle_cpu(seconds: float, settle: float) -> dict[str, float]:
    stack = Stack(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    try:
        time.sleep(settle)  # the first render, imports, the first probe runs
        names = stack.processes()
        before = {pid: cpu_ticks(pid) for pid in names}
        machine0 = machine_busy()
        time.sleep(seconds)
        machine1 = machine_busy()
        after = {pid: cpu_ticks(pid) for pid in names}
    finally:
        stack.close()
    hz = os.sysconf("SC_CLK_TCK")
    shares: dict[str, float] = {}
    for pid, name in names.items():
        if before[pid] is None or after[pid] is None:
            continue
        shares[f"{name} [{pid}]"] = (after[pid] - before[pid]) / hz / seconds
    print(f"  idle over {seconds:.0f} s (after {settle:.0f} s to settle; "
          f"machine {busy_share(machine0, machine1):.0%} busy meanwhile, all cores):")
    for name, share in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"    {share:6.1%}  {name}")
    print(f"    {sum(shares.values()):6.1%}  in all (goal: at most 5% of one core)", flush=True)
    return shares


class Updates(threading.Thread):
    """`per_minute` incident updates a minute through the API, on a few open incidents."""

    def __init__(self, stack: Stack, per_minute: float, until: float) -> None:
        super().__init__(daemon=True)
        self.stack, self.every, self.until = stack, 60.0 / per_minute, until
        self.posted = self.failed = 0

    def run(self) -> None:
        call = soak.Incidents(self.stack.base, self.stack.token, self.until).call
        ids = []
        for n, key in enumerate(("reserve-auth", "bench-0010", "bench-0100")):
            ids.append(call("/api/v1/incidents/", {"name": f"Bench incident {n}", "status": "investigating",
                                                   "body": "Investigating.",
                                                   "components": {key: "partial_outage"}})["id"])
        n = 0
        next_at = time.monotonic()
        while time.monotonic() < self.until:
            n += 1
            try:
                call(f"/api/v1/incidents/{ids[n % len(ids)]}/updates/",
                     {"status": ("identified", "monitoring")[n % 2], "body": f"Update {n}."})
                self.posted += 1
            except Exception:  # noqa: BLE001 - counted
                self.failed += 1
            next_at += self.every
            time.sleep(max(0.0, next_at - time.monotonic()))


RENDERED = re.compile(r"(rendered|overtaken after) (\d+) public responses \((\d+) carried over\) "
                      r"for version \w+ in ([\d.]+)s")

PROBE_LATENESS = """
import json
from datetime import datetime
from probes.models import ProbeRun
runs = ProbeRun.objects.filter(scheduled_for__gte=datetime.fromisoformat({since!r}),
                               scheduled_for__lt=datetime.fromisoformat({until!r}))
print(json.dumps([(s - sch).total_seconds() for sch, s in runs.values_list("scheduled_for", "started_at")]))
"""


def lateness(stack: Stack, since: str, until: str) -> list[float]:
    import json

    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", PROBE_LATENESS.format(since=since, until=until)],
                          cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


def probe_lateness(components: int, window: float, connections: int, per_minute: float) -> dict[str, list[float]]:
    if not shutil.which("wrk"):
        print("  wrk is not installed (apt-get install wrk): no lateness figures")
        return {}
    soak.CONNECTIONS = connections
    stack = Stack(grown_config(components, probes_every="2s", probe_copies=PROBE_COPIES))
    results = {}
    try:
        for phase, updates in (("no updates", 0), (f"{per_minute:g} updates a minute", per_minute)):
            until = time.monotonic() + window
            since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
            machine0 = machine_busy()
            floods = [threading.Thread(target=soak.wrk, args=(stack.base + url, int(window)))
                      for url in ("/", "/api/v2/summary.json")]
            poster = Updates(stack, updates, until) if updates else None
            for thread in [*floods, *([poster] if poster else [])]:
                thread.start()
            for thread in floods:
                thread.join()
            machine1 = machine_busy()
            end = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 3))  # runs started by now
            time.sleep(3)
            late = lateness(stack, since, end)
            results[phase] = late
            posted = f", {poster.posted} updates posted ({poster.failed} failed)" if poster else ""
            print(f"  {phase}: {len(late)} probe runs, lateness p99 {pct(late, 0.99):.2f} s, "
                  f"max {max(late, default=0):.2f} s{posted}; machine {busy_share(machine0, machine1):.0%} busy",
                  flush=True)
        renders = RENDERED.findall((stack.var / "logs" / "render-worker.log").read_text(errors="replace"))
        if renders:
            seconds = [float(s) for *_, s in renders]
            print(f"  the render worker: {len(renders)} passes "
                  f"({sum(1 for r in renders if r[0] != 'rendered')} overtaken), "
                  f"{pct([float(r[1]) for r in renders], 0.5):.0f} entries rendered and "
                  f"{pct([float(r[2]) for r in renders], 0.5):.0f} carried over per pass (median), "
                  f"{pct(seconds, 0.5):.1f} s median, {max(seconds):.1f} s max", flush=True)
    finally:
        stack.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="work,idle,lateness")
    parser.add_argument("--sizes", default="20,200,1000")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle measured")
    parser.add_argument("--settle", type=float, default=15.0)
    parser.add_argument("--window", type=float, default=30.0, help="seconds per lateness phase")
    parser.add_argument("--components", type=int, default=200)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--updates-per-minute", type=float, default=20.0)
    args = parser.parse_args()
    only = set(args.only.split(","))
    began = time.monotonic()
    print(f"machine: {os.cpu_count()} cores; figures are this run's, on whatever else the machine is doing")

    if "lateness" in only:
        print(f"\nprobe lateness, {args.components} components, the demo's probes ×{PROBE_COPIES} every 2 s, "
              f"wrk -c{args.connections} on / and /api/v2/summary.json, {args.window:.0f} s per phase:")
        late = probe_lateness(args.components, args.window, args.connections, args.updates_per_minute)
    if "idle" in only:
        print("\nidle CPU of `make run` (the demo config):")
        idle = idle_cpu(args.idle, args.settle)
    if "work" in only:
        print("\nrender work after one incident update (the render worker's pass):")
        work = render_work([int(s) for s in args.sizes.split(",")])

    print("\nsummary")
    if "lateness" in only and late:
        print("  probe lateness p99: " + ", ".join(f"{pct(v, 0.99):.2f} s with {phase}" for phase, v in late.items())
              + " (goal: at most 1 s)")
    if "work" in only and work:
        sizes = sorted(work)
        small, *rest = sizes
        ratios = ", ".join(f"{s}: {work[s]['cpu'] / max(work[small]['cpu'], 1e-9):.1f}x" for s in rest)
        print(f"  render CPU after one update, relative to {small} components: {ratios} (goal: at most 2x at 200)")
    if "idle" in only:
        print(f"  idle CPU of make run: {sum(idle.values()):.1%} of one core (goal: at most 5%)")
    print(f"total {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
