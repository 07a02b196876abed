"""Benchmark: one real Celery probe worker against the fastest bare httpx loop, and how late runs start.

The goal (the probes issue): one worker process reaches at least 50% of the bare loop's
rate while every scheduled run starts within 1 s of its time.

Starts bench/probe_runner.py's target (100 ms per request, login + profile) in its own
process, measures the fastest bare httpx loop against it (probe_runner.bare_threaded, 32
threads, best of 3), then runs the real stack on a scratch database: PostgreSQL
(`bench_probe_worker_<pid>`, created and dropped here) and Redis (db 13, flushed here; not
used if someone left keys in it) at 127.0.0.1, else SQLite and the filesystem broker in a
temporary var dir, saying so. It migrates, applies a config of probes (the same two
requests, every 2 s), and starts the processes as docs/architecture.md runs them on servers:

    celery -A statuspage worker -Q probes.default --concurrency 2   # the measured worker
    celery -A statuspage worker -Q celery --concurrency 4           # beat's dispatcher tick runs here
    celery -A statuspage beat

The tick (probes.tasks.dispatch_due_probes) is a task on the `celery` queue: a worker on
`probes.default` alone would never be sent a run. `--layout make-run`: one worker on
`celery,probes.default` with 4 slots, as `make run` starts it. PROBE_CONCURRENCY /
PROBE_BATCH_SIZE are the settings' defaults (32 / 50) unless given.

For each offered load (a share of the bare loop's rate: N probes every 2 s, their start
times spread evenly over the interval, as in a deployment whose probes were added over
time), it lets the stack run and reads the ProbeRun rows: achieved runs/s (runs whose batch
started in the measured window), runs scheduled in the window but never recorded, failed
runs, and lateness = started_at - scheduled_for (the worker records one started_at per
batch, as its task starts) and, stricter, the first request's arrival at the target -
scheduled_for (the target notes each probe's login). A second table splits each run's
lateness into waiting for the dispatcher tick, the tick's claim + send, the broker and a
free slot of the worker, and a free thread in the batch (from Celery's INFO logs and the
target), with the pool's busy share and the worker's CPU. The last lines name the highest
load at which every run started within 1 s and whether the goal is met.

About 3 minutes (levels that would not fit in ~4 minutes are skipped); every process, the
scratch database and the Redis db are cleaned up on exit, error, Ctrl-C or SIGTERM.

    .venv/bin/python bench/probe_worker.py [--loads 0.25,0.5,0.75,1] [--window 26]
        [--layout split|make-run] [--concurrency N] [--pool prefork|threads] [--probe-concurrency 32] [--batch-size 50]
        [--tick 1.0] [--sqlite] [--postgres URL] [--redis URL] [--keep-logs DIR]

`--tick S` starts beat with the dispatcher every S seconds (PROBE_DISPATCH_S) instead of
the default 0.25 s: `--tick 1` shows why the default is not 1 s.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import demo_target  # noqa: E402  (the demo's probe variables)

sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
import probe_runner  # noqa: E402  (bench/probe_runner.py: the target, its canary, the bare loop)

CELERY = str(ROOT / ".venv" / "bin" / "celery")
LATENCY_S = 0.1  # per request, as probe_runner's "100 ms" case
GOAL_RATIO, GOAL_LATENESS_S = 0.5, 1.0
BUDGET_S = 235  # the whole script, roughly: levels that would not fit are skipped


# ------------------------------------------------------------------ the target


class _LoggingTarget(probe_runner._Target):
    """probe_runner's target, which also notes when each probe's login arrives."""

    arrivals: list[tuple[str, float]] = []

    def do_POST(self) -> None:
        key = self.headers.get("X-Bench-Probe")
        if key:
            self.arrivals.append((key, time.time()))  # before the 100 ms of latency
        super().do_POST()

    def do_GET(self) -> None:
        if self.path != "/bench/arrivals":
            return super().do_GET()
        taken = self.arrivals[:]  # appends from other threads land after these
        del self.arrivals[:len(taken)]
        body = json.dumps(taken).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start_target(latency: float) -> tuple[multiprocessing.Process, str]:
    return probe_runner.start_target(latency, _LoggingTarget)


def take_arrivals(base: str) -> list[tuple[str, float]]:
    return [tuple(a) for a in httpx.get(f"{base}/bench/arrivals", timeout=10).json()]


# ------------------------------------------------------------------ the config


def probe_raw(key: str, interval_s: int) -> dict:
    """probe_runner's login + profile probe, as a config entry; the login names the probe."""
    return {
        "key": key, "component": "bench", "interval": f"{interval_s}s", "timeout": f"{interval_s}s",
        "steps": probe_runner.probe_steps(login_headers={"X-Bench-Probe": key}),
    }


def config_doc(keys: list[str], interval_s: int) -> dict:
    return {
        "page": {"name": "Probe worker bench", "url": "https://status.example.org", "languages": ["en"],
                 "notice": "Benchmark.", "official_channels": [{"name": "Support", "value": "1545"}]},
        "components": [{"key": "bench", "name": "Bench"}],
        "probes": [probe_raw(key, interval_s) for key in keys],
    }


# ------------------------------------------------------------------ the stack


class Stack:
    """The scratch database and broker, and every process started on them; `close()` undoes it all."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.var = Path(tempfile.mkdtemp(prefix="bench-probe-worker-"))
        self.env: dict[str, str] = {}
        self.admin = None  # psycopg connection to the maintenance db
        self.db_name: str | None = None
        self.redis = None
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.notes: list[str] = []

    # -- database and broker

    def open(self) -> str:
        args = self.args
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PUBLIC_EXPORT_DIR")}
        env.update(STATUSPAGE_VAR_DIR=str(self.var), DJANGO_SETTINGS_MODULE="statuspage.settings",
                   PYTHONUNBUFFERED="1", PUBLIC_RENDER_ON_WRITE="0",
                   PROBE_CONCURRENCY=str(args.probe_concurrency), PROBE_BATCH_SIZE=str(args.batch_size),
                   PROBE_ALLOWED_NETWORKS=demo_target.LOOPBACK)  # its target listens on loopback
        database = broker = None
        if not args.sqlite:
            try:
                import psycopg

                self.admin = psycopg.connect(args.postgres, autocommit=True, connect_timeout=3)
                self.db_name = f"bench_probe_worker_{os.getpid()}"
                self.admin.execute(f'CREATE DATABASE "{self.db_name}"')
                url = urlsplit(args.postgres)._replace(path=f"/{self.db_name}").geturl()
                env["DATABASE_URL"] = url
                database = f"PostgreSQL {self.admin.info.server_version // 10000} (scratch db {self.db_name})"
            except Exception as exc:  # noqa: BLE001 - any reason: fall back, and say so
                self.admin = None
                self.db_name = None
                self.notes.append(f"no PostgreSQL at {args.postgres} ({str(exc).strip().splitlines()[0]}): SQLite")
            try:
                import redis

                client = redis.Redis.from_url(args.redis, socket_timeout=2, socket_connect_timeout=2)
                if client.dbsize():
                    raise RuntimeError(f"{args.redis} is not empty: someone else may use it")
                client.flushdb()
                self.redis = client
                env["REDIS_URL"] = env["CELERY_BROKER_URL"] = args.redis
                broker = f"Redis ({args.redis}, flushed)"
            except Exception as exc:  # noqa: BLE001
                self.redis = None
                self.notes.append(f"no Redis at {args.redis} ({exc}): filesystem:// broker")
        database = database or f"SQLite in {self.var}"
        broker = broker or f"filesystem:// in {self.var}/broker"
        self.env = env
        return f"{database}; broker {broker}"

    # -- processes

    def start(self, name: str, cmd: list[str], **extra: str) -> subprocess.Popen:
        log = open(self.var / f"{name}.log", "ab")
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**self.env, **extra}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs.append((name, proc))
        return proc

    def log(self, name: str) -> str:
        try:
            return (self.var / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, name: str, proc: subprocess.Popen, marker: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.log(name):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(self.log(name).splitlines()[-15:])
                why = "exited" if proc.poll() is not None else "timeout"
                raise RuntimeError(f"{name} did not start ({why}):\n{tail}")
            time.sleep(0.2)

    def stop_all(self, grace: float = 6.0) -> None:
        live = [(n, p) for n, p in self.procs if p.poll() is None]
        for _, proc in live:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        for _, proc in live:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for _, proc in live:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # what is left of the group (prefork children)
            except ProcessLookupError:
                pass
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                pass

    def purge_probe_queue(self) -> int:
        """Drop the batches still queued (a level the worker could not keep up with), so that
        the next level starts on an idle worker; returns how many."""
        dropped = 0
        if self.redis is not None:
            for key in self.redis.scan_iter(match="probes.default*"):
                if self.redis.type(key) == b"list":
                    dropped += self.redis.llen(key)
                    self.redis.delete(key)
        elif "CELERY_BROKER_URL" not in self.env:
            for message in (self.var / "broker" / "queue").glob("*.probes.default.msg"):
                message.unlink(missing_ok=True)
                dropped += 1
        return dropped

    def close(self) -> None:
        self.stop_all()
        if self.args.keep_logs:
            Path(self.args.keep_logs).mkdir(parents=True, exist_ok=True)
            for log in self.var.glob("*.log"):
                shutil.copy(log, self.args.keep_logs)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may never have been set up
            pass
        if self.admin is not None and self.db_name:
            try:
                self.admin.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop {self.db_name}: {exc}")
            self.admin.close()
        if self.redis is not None:
            try:
                self.redis.flushdb()
            except Exception as exc:  # noqa: BLE001
                print(f"could not flush {self.args.redis}: {exc}")
        shutil.rmtree(self.var, ignore_errors=True)


# ------------------------------------------------------------------ measuring


def cpu_seconds(session: int) -> float:
    """CPU time (user + system) of every live process in a session (a worker and its pool)."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            data = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = data[data.rindex(")") + 2:].split()
        if int(fields[3]) == session:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


_SUCCEEDED = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/[^\]]+\] "
                        r"Task probes\.tasks\.(\w+)\[[^\]]+\] succeeded in ([0-9.]+)s", re.M)


def succeeded(log: str, task: str) -> list[tuple[float, float]]:
    """(when it ended, how long it ran) of each run of a task, from a worker's INFO log (local time)."""
    return [(datetime.strptime(when, "%Y-%m-%d %H:%M:%S,%f").timestamp(), float(took))
            for when, name, took in _SUCCEEDED.findall(log) if name == task]


def utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


def run_level(stack: Stack, base: str, keys: list[str], interval_s: int, warmup_s: float, window_s: float,
              worker: subprocess.Popen, tick_s: float, slots: int, dispatcher_log: str) -> dict:
    from probes.models import Probe, ProbeRun, RegionState

    n = len(keys)
    take_arrivals(base)  # drop what an earlier level left
    lead = time.time() + 1.5
    phases = {key: lead + i * interval_s / n for i, key in enumerate(keys)}
    states = list(RegionState.objects.filter(probe__key__in=keys).select_related("probe"))
    for state in states:
        state.next_run_at = utc(phases[state.probe.key])
    RegionState.objects.bulk_update(states, ["next_run_at"], batch_size=500)
    Probe.objects.filter(key__in=keys).update(enabled=True)

    # Half a start-time spacing off the slots, so that no run sits on an edge of the window.
    t0 = lead + warmup_s + interval_s / n / 2
    t1 = t0 + window_s
    time.sleep(max(0.0, t0 - time.time()))
    cpu0, busy0 = cpu_seconds(worker.pid), machine_busy()
    time.sleep(max(0.0, t1 - time.time()))
    cpu1, busy1 = cpu_seconds(worker.pid), machine_busy()
    # A run due just before t1 is claimed on the next tick: disable the probes only after it.
    time.sleep(tick_s + 0.3)
    Probe.objects.filter(key__in=keys).update(enabled=False)

    # Let the worker finish what was sent: until no run is recorded for 1.5 s (at most 15 s; a
    # worker that fell behind may hold more, which then shows as missed runs).
    last, quiet_since, drain_end = -1, time.monotonic(), time.monotonic() + 15
    drained = False
    while time.monotonic() < drain_end:
        now_count = ProbeRun.objects.count()
        if now_count != last:
            last, quiet_since = now_count, time.monotonic()
        elif time.monotonic() - quiet_since > 1.5:
            drained = True
            break
        time.sleep(0.3)
    purged = 0 if drained else stack.purge_probe_queue()
    time.sleep(0.5)  # the last logins on the target
    arrivals = take_arrivals(base)

    rows = list(ProbeRun.objects.filter(scheduled_for__gte=utc(lead - 0.01), probe__key__in=keys)
                .order_by("scheduled_for").values_list("probe__key", "scheduled_for", "started_at", "ok",
                                                         "attempt", "message", "duration_ms"))
    by_key: dict[str, list[float]] = defaultdict(list)
    for key, when in sorted(arrivals, key=lambda a: a[1]):
        by_key[key].append(when)
    first_request: dict[tuple[str, float], float] = {}
    cursor: dict[str, int] = defaultdict(int)
    for key, scheduled, *_ in rows:  # in scheduled order: match each run to its probe's next login
        s, hits = scheduled.timestamp(), by_key[key]
        j = cursor[key]
        while j < len(hits) and hits[j] < s - 0.002:
            j += 1  # a login of a run that was never recorded
        if j < len(hits):
            first_request[(key, s)] = hits[j]
            j += 1
        cursor[key] = j

    window = [r for r in rows if t0 <= r[1].timestamp() < t1]
    # Throughput: runs of this level whose batch started in the window (a worker that falls
    # behind still records every run eventually, so counting by schedule would hide it).
    started = sum(1 for r in rows if t0 <= r[2].timestamp() < t1)
    expected = 0
    for phase in phases.values():
        expected += max(0, math.ceil((t1 - phase) / interval_s) - max(0, math.ceil((t0 - phase) / interval_s)))
    late = [(r[2] - r[1]).total_seconds() for r in window]
    at_target = [first_request[(r[0], r[1].timestamp())] - r[1].timestamp()
                 for r in window if (r[0], r[1].timestamp()) in first_request]
    batches: dict[str, list] = defaultdict(list)
    for r in window:
        batches[r[4]].append(r)
    failed = [r for r in window if not r[3]]
    # How long each batch task held its pool slot (Celery logs it), and the part of that spent
    # running the probes: the rest is Celery, loading the probes and recording the results.
    task_s = [took for end, took in succeeded(stack.log("worker"), "run_probe_batch") if t0 <= end < t1]
    probing = []
    for b in batches.values():
        ends = [first_request[(r[0], r[1].timestamp())] + r[6] / 1000
                for r in b if (r[0], r[1].timestamp()) in first_request]
        if ends:
            probing.append(max(ends) - b[0][2].timestamp())
    # Each run's lateness in parts: waiting for the dispatcher tick that claims it (beat's
    # period, and the tick task's wait for a slot), the tick itself (claim + send), the broker
    # and a free slot of the probe worker, then a free thread in the batch.
    ticks = sorted((end - took, end) for end, took in succeeded(stack.log(dispatcher_log), "dispatch_due_probes"))
    starts = [start for start, _ in ticks]
    parts: dict[str, list[float]] = defaultdict(list)
    worst, worst_parts = -1.0, None
    for r in window:
        s, began = r[1].timestamp(), r[2].timestamp()
        # The first tick that started after the run was due; the log has ms and its start is an
        # estimate, so a run due within ms of a tick may belong to the tick before: the batch
        # can't have started long before its tick ended.
        i = bisect.bisect_left(starts, s + 0.003)
        if i == len(ticks):
            continue
        if i > 0 and began < ticks[i][1] - tick_s / 2:
            i -= 1
        start, end = ticks[i]
        split = {"claim wait": start - s, "tick": end - start, "slot": began - end}
        if (r[0], s) in first_request:
            split["thread"] = first_request[(r[0], s)] - began
        for name, value in split.items():
            parts[name].append(value)
        if began - s > worst:
            worst, worst_parts = began - s, split
    return {
        "parts": {k: (pct(v, 0.5), pct(v, 0.99), max(v)) for k, v in parts.items()}, "worst_parts": worst_parts,
        "probes": n, "offered": n / interval_s, "expected": expected, "recorded": len(window),
        "achieved": started / window_s, "drained": drained, "purged": purged,
        "missed": max(0, expected - len(window)), "failed": len(failed),
        "first_failure": failed[0][5] if failed else "",
        "p50": pct(late, 0.5), "p99": pct(late, 0.99), "max": max(late, default=float("nan")),
        "late": sum(1 for x in late if x > GOAL_LATENESS_S),
        "t_p99": pct(at_target, 0.99), "t_max": max(at_target, default=float("nan")),
        "t_late": sum(1 for x in at_target if x > GOAL_LATENESS_S), "t_seen": len(at_target),
        "batch_mean": len(window) / len(batches) if batches else float("nan"),
        "task_p50": pct(task_s, 0.5), "probing_p50": pct(probing, 0.5),
        "slots_busy": sum(task_s) / (window_s * slots),
        "cpu_ms_per_run": (cpu1 - cpu0) * 1000 / max(1, len(window)), "worker_cores": (cpu1 - cpu0) / window_s,
        "machine_busy": (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
    }


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loads", default="0.25,0.5,0.75,1.0", help="offered loads, shares of the bare loop's rate")
    parser.add_argument("--interval", type=int, default=2, help="each probe's interval, s")
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--window", type=float, default=26.0, help="measured seconds per load")
    parser.add_argument("--layout", choices=("split", "make-run"), default="split")
    parser.add_argument("--concurrency", type=int, help="the probe worker's slots (split: 2, make-run: 4)")
    parser.add_argument("--pool", choices=("prefork", "threads"), default="prefork", help="the probe worker's pool")
    parser.add_argument("--probe-concurrency", type=int, default=int(os.environ.get("PROBE_CONCURRENCY", 32)))
    parser.add_argument("--batch-size", type=int, default=int(os.environ.get("PROBE_BATCH_SIZE", 50)))
    parser.add_argument("--tick", type=float, help="beat's dispatcher period, s (PROBE_DISPATCH_S, default 0.25)")
    parser.add_argument("--keep-logs", metavar="DIR", help="copy the processes' logs here before cleaning up")
    parser.add_argument("--sqlite", action="store_true", help="SQLite and the filesystem broker even if servers answer")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://root@127.0.0.1:5432/postgres"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    args = parser.parse_args()
    loads = [float(x) for x in args.loads.split(",") if x.strip()]
    concurrency = args.concurrency or (2 if args.layout == "split" else 4)
    began = time.monotonic()

    target, base = start_target(LATENCY_S)

    def interrupted(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    stack = Stack(args)
    try:
        # 1. The bare loop, alone on the machine (but for the neighbours), as bench/probe_runner.py measures it.
        probe_runner.bare_threaded(base, 64, 32)  # open the keep-alive connections
        bare = probe_runner.best_of(3, lambda: probe_runner.bare_threaded(base, 320, 32))
        print(f"target: {base}, {LATENCY_S * 1000:.0f} ms per request, login + profile")
        print(f"bare httpx loop, 32 threads (best of 3): {bare:.1f} runs/s (ceiling 32 / 0.2 s = 160)")

        # 2. The stack.
        print(f"stack: {stack.open()}")
        for note in stack.notes:
            print(f"  note: {note}")
        os.environ.update(stack.env)
        for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
            if name not in stack.env:
                os.environ.pop(name, None)
        import django

        django.setup()
        from django.core.management import call_command

        from probes.models import Probe
        from statuspage.config.apply import apply_config
        from statuspage.config.schema import validate

        call_command("migrate", "--noinput", verbosity=0)
        counts = [max(1, round(load * bare * args.interval)) for load in loads]
        keys = [f"bench-{i:04d}" for i in range(max(counts))]
        config, errors = validate(config_doc(keys, args.interval))
        assert config is not None and not errors, errors
        apply_config(config)
        Probe.objects.update(enabled=False)  # each level enables its own, with spread start times

        worker_env = {"BASE": base, "PHONE": probe_runner.PHONE, "CODE": probe_runner.CODE}
        host = f"bench-{os.getpid()}"
        queues = "probes.default" if args.layout == "split" else "celery,probes.default"
        worker = stack.start("worker", [CELERY, "-A", "statuspage", "worker", "-Q", queues, "--concurrency",
                                        str(concurrency), "--pool", args.pool, "--loglevel", "INFO",
                                        "--hostname", f"probes-{host}@%h"],
                             **worker_env)
        if args.layout == "split":
            other = stack.start("worker-celery", [CELERY, "-A", "statuspage", "worker", "-Q", "celery",
                                                  "--concurrency", "4", "--loglevel", "INFO",
                                                  "--hostname", f"celery-{host}@%h"])
        beat = stack.start("beat", [CELERY, "-A", "statuspage", "beat", "--loglevel", "INFO",
                                    "--schedule", str(stack.var / "celerybeat-schedule")],
                           **({"PROBE_DISPATCH_S": str(args.tick)} if args.tick else {}))
        stack.wait_ready("worker", worker, " ready.")
        if args.layout == "split":
            stack.wait_ready("worker-celery", other, " ready.")
        stack.wait_ready("beat", beat, "beat: Starting")
        from django.conf import settings

        tick = args.tick or settings.CELERY_BEAT_SCHEDULE["dispatch-probes"]["schedule"]
        dispatcher = ("dispatcher on its own worker (-Q celery --concurrency 4)" if args.layout == "split"
                      else "dispatcher on the same worker")
        print(f"worker: -Q {queues} --concurrency {concurrency} ({args.pool}), "
              f"PROBE_CONCURRENCY={args.probe_concurrency}, PROBE_BATCH_SIZE={args.batch_size}; "
              f"{dispatcher}; "
              f"beat tick {tick:g} s (PROBE_DISPATCH_S)")
        print(f"probes every {args.interval} s, start times spread over the interval; "
              f"{args.window:g} s measured per load after {args.warmup:g} s; "
              f"ready after {time.monotonic() - began:.0f} s")

        # 3. The loads.
        results = []
        level_s = 1.5 + args.warmup + args.window + tick + 4
        for load, n in zip(loads, counts, strict=True):
            if time.monotonic() - began + level_s > BUDGET_S:
                print(f"  skipped {load:.0%}: the {BUDGET_S} s budget would run out")
                continue
            for name, proc in stack.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n" + "\n".join(stack.log(name).splitlines()[-15:]))
            r = run_level(stack, base, keys[:n], args.interval, args.warmup, args.window, worker, tick, concurrency,
                          "worker-celery" if args.layout == "split" else "worker")
            r["load"] = load
            results.append(r)
            dropped = ("" if r["drained"]
                       else f"; still busy 15 s after the window: {r['purged']:d} queued batches dropped")
            print(f"  {load:.0%}: {r['probes']} probes, {r['recorded']}/{r['expected']} runs, "
                  f"max late {r['max']:.2f} s (target {r['t_max']:.2f} s), worker {r['worker_cores']:.2f} cores, "
                  f"machine {r['machine_busy']:.0%} busy{dropped}",
                  flush=True)
        report(results, bare, args, tick)
        print(f"total {time.monotonic() - began:.0f} s")
    except KeyboardInterrupt as exc:
        print(f"\ninterrupted ({str(exc) or 'Ctrl-C'}): cleaning up")
        raise SystemExit(130) from None
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.close()
        target.terminate()
        target.join(5)


def report(results: list[dict], bare: float, args: argparse.Namespace, tick: float) -> None:
    print()
    print(f"bare httpx loop: {bare:.1f} runs/s.  lateness = started_at - scheduled_for (s); "
          f"'target' = first request's arrival - scheduled_for")
    head = (f"{'load':>5} {'probes':>6} {'offered/s':>9} {'achieved/s':>10} {'vs bare':>7} {'missed':>6} "
            f"{'failed':>6} {'p50':>5} {'p99':>5} {'max':>5} {'>1s':>5} {'tgt p99':>7} {'tgt max':>7} {'tgt >1s':>7}")
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r['load']:>5.0%} {r['probes']:>6} {r['offered']:>9.1f} {r['achieved']:>10.1f} "
              f"{r['achieved'] / bare:>7.2f} {r['missed']:>6} {r['failed']:>6} {r['p50']:>5.2f} {r['p99']:>5.2f} "
              f"{r['max']:>5.2f} {r['late']:>5} {r['t_p99']:>7.2f} {r['t_max']:>7.2f} {r['t_late']:>7}")
    print()
    print("where the time goes, per run (s, p50/max): claim wait = scheduled time -> the dispatcher tick that "
          "claims it starts; tick = claim + send;")
    print("  slot = tick done -> batch task starts (broker, a free slot of the worker); thread = batch start -> "
          "first request (a free thread)")
    print("  task = a batch task's time in its slot (Celery's log), probing = its first request -> last answer; "
          "slots busy = task time / (window x slots)")
    names = ("claim wait", "tick", "slot", "thread")
    head2 = (f"{'load':>5} {'batch':>5} " + " ".join(f"{n:>11}" for n in names)
             + f" {'task p50':>8} {'probing p50':>11} {'slots busy':>10} {'CPU/run':>8}"
             + f" {'worker cores':>12} {'machine':>7}")
    print(head2)
    for r in results:
        cells = " ".join(f"{r['parts'][n][0]:>5.2f}/{r['parts'][n][2]:<5.2f}" if n in r["parts"] else f"{'-':>11}"
                         for n in names)
        print(f"{r['load']:>5.0%} {r['batch_mean']:>5.1f} {cells} {r['task_p50']:>8.2f} {r['probing_p50']:>11.2f} "
              f"{r['slots_busy']:>10.0%} {r['cpu_ms_per_run']:>5.1f} ms {r['worker_cores']:>12.2f} "
              f"{r['machine_busy']:>7.0%}")
    for r in results:
        if r["worst_parts"]:
            print(f"  {r['load']:.0%}, the latest run: "
                  + " + ".join(f"{k} {v:.2f}" for k, v in r["worst_parts"].items()))
    for r in results:
        if r["failed"]:
            print(f"  {r['load']:.0%}: {r['failed']} failed runs, e.g.: {r['first_failure'][:200]}")
    print()

    def on_time(r: dict, strict: bool) -> bool:
        worst = r["t_max"] if strict else r["max"]
        return r["missed"] == 0 and r["failed"] == 0 and worst <= GOAL_LATENESS_S and r["recorded"] > 0 and (
            not strict or r["t_seen"] == r["recorded"])

    for strict in (False, True):
        good = [r for r in results if on_time(r, strict)]
        what = "first request at the target" if strict else "started_at, as recorded"
        if good:
            best = max(good, key=lambda r: r["achieved"])
            ratio = best["achieved"] / bare
            met = ratio >= GOAL_RATIO
            print(f"on time ({what}): highest load with every run started within {GOAL_LATENESS_S:g} s: "
                  f"{best['load']:.0%} offered, {best['achieved']:.1f} runs/s = {ratio:.3f} of the bare loop; "
                  f"goal (>= {GOAL_RATIO:.0%} with max lateness <= {GOAL_LATENESS_S:g} s): "
                  f"{'MET' if met else 'NOT MET'}")
        else:
            print(f"on time ({what}): no load had every run start within {GOAL_LATENESS_S:g} s "
                  f"(beat tick {tick:g} s); goal (>= {GOAL_RATIO:.0%} with max lateness <= "
                  f"{GOAL_LATENESS_S:g} s): NOT MET")


if __name__ == "__main__":
    main()
