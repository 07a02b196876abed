"""What the fault tests inject, and how they count what survived.

Injectors: a probe target that counts every request it serves (`Target`), a TCP proxy in
front of PostgreSQL that can be cut (`TcpProxy`), a Redis server of the test's own that can
be killed and restarted empty (`RedisServer`).

Counting (`Ledger`): after a fault, the recorded runs are checked against what the target
saw, and the state machine is replayed over the recorded runs, in the order they were
applied, to check that the stored state, the incidents, the status changes and the
webhook deliveries all follow from them.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection
from django.db.models import Count

from probes.models import Probe, ProbeRun, RegionState
from probes.states import DOWN, UP, Streaks, classify, step
from statuspage.models import AuditLog, ComponentStatusChange, Delivery, Incident, OutboxEvent
from tests.loopback import Loopback, Reply, Request
from tests.processes import ROOT, VENV_BIN, process_env, stop, test_database_url, wait_for

INTERVAL_S = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def on_servers() -> bool:
    """The PostgreSQL/Redis run (`make test-servers`): faults that need the real servers."""
    return connection.vendor == "postgresql" and bool(os.environ.get("TEST_REDIS_URL"))


def stack_broker() -> str:
    """The broker that goes with the database: the laptop stack or the production one."""
    return "redis" if on_servers() else "filesystem"


def probe_config(page_config: dict, target: Target, *, timeout: str = "1500ms", trip_after: int = 2,
                 recover_after: int = 2) -> dict:
    return {**page_config, "probes": [{
        "key": "reserve-health", "component": "reserve-data", "interval": f"{INTERVAL_S}s", "timeout": timeout,
        "trip_after": trip_after, "recover_after": recover_after, "incident": "auto",
        "monitoring_for": "0s",  # recovery → monitoring → resolved on the beat's next tick
        "steps": [{"name": "health", "request": {"method": "GET", "url": target.url + "/health"},
                   "expect": {"status": 200}}],
    }]}


class Target(Loopback):
    """A probe target that answers `status` after `delay_s`; `requests` holds what it served."""

    def __init__(self, status: int = 200, delay_s: float = 0.0):
        self.status, self.delay_s = status, delay_s
        super().__init__(self._health)
        self.start()

    def _health(self, request: Request) -> Reply:
        time.sleep(self.delay_s)
        return Reply(self.status, {"ok": self.status == 200})

    def set(self, status: int | None = None, delay_s: float | None = None) -> None:
        if status is not None:
            self.status = status
        if delay_s is not None:
            self.delay_s = delay_s

    def stop(self) -> None:
        self.close()


class TcpProxy:
    """127.0.0.1:port → upstream, that a test can cut: live connections are dropped and new
    ones refused (the port is closed), as when a database server goes away; `restore()`
    listens again on the same port."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream, self.port = upstream, free_port()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.cuts = 0
        self.connections = 0
        self._listen()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut while this one was connecting upstream
                    client.close()
                    server.close()
                    return
                self._pairs.append((client, server))
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in sel.select():
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            sel.close()
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self) -> None:
        self.cuts += 1
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def restore(self) -> None:
        self._listen()

    def close(self) -> None:
        self.cut()


class RedisServer:
    """A redis-server of the test's own, on a free port, that keeps nothing on disk: a
    restart loses every queued message, as a real crash of an unpersisted Redis does."""

    def __init__(self, workdir: Path):
        self.port, self.workdir = free_port(), workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, timeout=10, what=f"redis-server on {self.port}")

    def ping(self) -> bool:
        try:
            return self.client().ping()
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=2)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def restart(self, down_s: float = 0.0) -> None:
        self.kill()
        time.sleep(down_s)
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        self.kill()


# --------------------------------------------------------------------------- counting


@dataclass
class Replay:
    """The state machine run again over the recorded runs, in the order they were applied."""

    streaks: Streaks
    states: list[str] = field(default_factory=list)  # the probe's state after each run
    trips: int = 0
    recoveries: int = 0


def replay(probe: Probe, region: str = "default") -> Replay:
    spec = probe.definition
    s, out = Streaks(), Replay(Streaks())
    for ok, duration_ms in ProbeRun.objects.filter(probe=probe, region=region).order_by("pk").values_list(
            "ok", "duration_ms"):
        before = s.state
        s = step(s, classify(ok, duration_ms, spec.get("degraded_over_ms")), spec["trip_after"],
                 spec["recover_after"])
        out.states.append(s.state)
        out.trips += before != DOWN and s.state == DOWN
        out.recoveries += before == DOWN and s.state != DOWN
    out.streaks = s
    return out


@dataclass
class Ledger:
    """What a fault test counted; printed, and checked by `check()`."""

    runs: int = 0
    duplicates: int = 0
    target_hits: int = 0
    lost_runs: int = 0  # started on the target but never recorded (a killed worker held them)
    trips: int = 0
    recoveries: int = 0
    incidents: int = 0
    events: int = 0
    deliveries: int = 0
    undelivered: int = 0
    gaps: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        gaps = Counter(round(g, 1) for g in self.gaps)
        return (f"runs={self.runs} duplicates={self.duplicates} target_hits={self.target_hits} "
                f"lost={self.lost_runs} trips={self.trips} recoveries={self.recoveries} "
                f"incidents={self.incidents} events={self.events} deliveries={self.deliveries} "
                f"undelivered={self.undelivered} spacing_s={dict(sorted(gaps.items()))} {' '.join(self.notes)}")


def count(probe_key: str = "reserve-health", target: Target | None = None) -> Ledger:
    probe = Probe.objects.get(key=probe_key)
    ledger = Ledger()
    runs = ProbeRun.objects.filter(probe=probe)
    ledger.runs = runs.count()
    ledger.duplicates = runs.values("region", "scheduled_for").annotate(n=Count("pk")).filter(n__gt=1).count()
    scheduled = sorted(runs.values_list("scheduled_for", flat=True))
    ledger.gaps = [(b - a).total_seconds() for a, b in zip(scheduled, scheduled[1:], strict=False)]
    if target is not None:
        ledger.target_hits = len(target.requests)
        ledger.lost_runs = ledger.target_hits - ledger.runs
    r = replay(probe)
    ledger.trips, ledger.recoveries = r.trips, r.recoveries
    ledger.incidents = Incident.objects.filter(probe_key=probe_key).count()
    ledger.events = OutboxEvent.objects.for_subscribers().exclude(type="webhook.test").count()
    ledger.deliveries = Delivery.objects.filter(status=Delivery.Status.DELIVERED).count()
    ledger.undelivered = Delivery.objects.exclude(status=Delivery.Status.DELIVERED).count()
    return ledger


def check_probe_state(probe_key: str = "reserve-health") -> Replay:
    """The stored state is what the recorded runs make it: nothing counted twice, nothing lost."""
    probe = Probe.objects.get(key=probe_key)
    r = replay(probe)
    region = RegionState.objects.get(probe=probe, region="default")
    stored = Streaks(region.state, region.consecutive_failures, region.consecutive_successes,
                     region.consecutive_slow, region.consecutive_fast)
    assert stored == r.streaks, f"stored {stored}, replayed {r.streaks}"
    assert probe.state == r.streaks.state
    transitions = AuditLog.objects.filter(via="probe", object_id=str(probe.pk)).order_by("pk")
    assert [t.action for t in transitions] == expected_transitions(r), list(
        transitions.values_list("action", "summary"))
    component_changes = list(ComponentStatusChange.objects.filter(component=probe.component).order_by("pk")
                             .values_list("old_status", "new_status"))
    assert len(component_changes) == r.trips + r.recoveries, component_changes
    return r


def expected_transitions(r: Replay) -> list[str]:
    actions, state = [], UP
    for new in r.states:
        if new != state:
            actions.append(f"probe_{new}")
            state = new
    return actions


def check_webhooks(receiver, min_events: int = 1) -> set[str]:
    """Every event reached the subscriber at least once, each retry with the same webhook-id."""
    events = set(OutboxEvent.objects.for_subscribers().exclude(type="webhook.test").values_list("pk", flat=True))
    seen = {r.headers.get("webhook-id") for r in receiver.requests}
    assert len(events) >= min_events
    assert events <= seen, f"never delivered: {sorted(events - seen)}"
    assert not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists()
    return events


def spacing_ok(gaps: list[float], interval: float = INTERVAL_S) -> bool:
    """Runs are `interval` apart (a run skipped while no one dispatched makes a multiple, never less)."""
    return all(g >= interval - 0.001 for g in gaps)


def wait_runs(n: int, timeout: float = 60) -> None:
    wait_for(lambda: ProbeRun.objects.count() >= n, timeout=timeout, interval=0.2, what=f"{n} probe runs")


def expected_runs(elapsed_s: float) -> float:
    return elapsed_s / INTERVAL_S




@contextmanager
def web_process(var_dir: Path, port: int, **env: str):
    """gunicorn serving statuspage.wsgi on 127.0.0.1:port, as in production; stopped on exit."""
    log = open(var_dir / "web.log", "ab")
    cmd = [str(VENV_BIN / "gunicorn"), "statuspage.wsgi", "-c", "scripts/gunicorn.conf.py",
           "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "--timeout", "60"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=process_env("redis", var_dir, **env), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), timeout=30, what="gunicorn")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
        log.close()


@contextmanager
def granian_web(var_dir: Path, broker: str = "filesystem", **env: str):
    """scripts/web.sh (granian) as `make run` starts it, with one worker (the harshest case);
    yields (port, base URL)."""
    port = free_port()
    log = open(var_dir / "web.log", "ab")
    proc = subprocess.Popen(["bash", "scripts/web.sh"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env=process_env(broker, var_dir, PORT=str(port), WEB_WORKERS="1", **env),
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base + "/api/v2/status.json"), timeout=60, what="the web server")
        yield port, base
    finally:
        stop(proc)
        log.close()


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def postgres_address() -> tuple[str, int]:
    s = connection.settings_dict
    return s["HOST"] or "127.0.0.1", int(s["PORT"] or 5432)


def database_url_via(proxy: TcpProxy) -> str:
    """The test database's URL, through the proxy."""
    url = urlsplit(test_database_url())
    return urlunsplit(url._replace(netloc=f"{url.netloc.rsplit('@', 1)[0]}@127.0.0.1:{proxy.port}"))
