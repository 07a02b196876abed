"""Soak test: the whole stack as `make run` starts it, under load, for SOAK_SECONDS.

    make soak                         # 10 minutes
    SOAK_SECONDS=30 .venv/bin/python scripts/soak.py

Starts scripts/run.sh in a fresh var dir with the demo config's probes every 2 s against
the demo target, then for SOAK_SECONDS: wrk on `/` and on `/api/v2/summary.json` (loopback
only, SOAK_CONNECTIONS connections each), and an incident posted (or resolved) through the
API every SOAK_INCIDENT_EVERY seconds. It samples the RSS of every process of the stack at
the start (after SOAK_WARMUP_S of the same load) and at the end, reads how late each probe run started from the
database, and prints one summary. Exits non-zero on any failed request (non-2xx/3xx or a
socket error), a failed API call, a duplicate probe run, a run late by more than
SOAK_MAX_LATENESS_S, or a process whose RSS grew by more than SOAK_MAX_RSS_GROWTH_MB.
Runs as root or not; needs wrk (`apt-get install -y wrk`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.request import Request, urlopen

import yaml

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / ".venv" / "bin" / "python"
SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "8"))
INCIDENT_EVERY = float(os.environ.get("SOAK_INCIDENT_EVERY", "30"))
MAX_LATENESS_S = float(os.environ.get("SOAK_MAX_LATENESS_S", "2"))
MAX_RSS_GROWTH_MB = float(os.environ.get("SOAK_MAX_RSS_GROWTH_MB", "50"))
WARMUP_S = float(os.environ.get("SOAK_WARMUP_S", "10"))
SERIES_EVERY_S = max(10.0, SECONDS / 10)
URLS = ["/", "/api/v2/summary.json"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def soak_config(var_dir: Path) -> Path:
    """The demo config with every probe every 2 s (timeouts cut to fit)."""
    config = yaml.safe_load((ROOT / "examples" / "reserve-plus.yaml").read_text(encoding="utf-8"))
    for probe in config.get("probes", []):
        probe.update(interval="2s", timeout="1500ms")
    path = var_dir / "soak.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


# ------------------------------------------------------------------------- processes

def children(pid: int) -> list[int]:
    """pid and every process below it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def describe(pid: int) -> str:
    try:
        argv = (Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"))
    except OSError:
        return "?"
    words = [Path(w.decode(errors="replace")).name if i == 0 else w.decode(errors="replace")
             for i, w in enumerate(argv) if w]
    text = " ".join(words)
    for pattern, name in [(r"supervise\.py", "supervisor"),
                          (r"celery .* worker", "celery worker"), (r"celery .* beat", "celery beat"),
                          (r"granian", "granian"), (r"gunicorn", "gunicorn"), (r"demo_target", "demo target"),
                          (r"web\.sh", "web.sh"), (r"run\.sh", "run.sh")]:
        if re.search(pattern, text):
            return name
    return text[:40]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def sample(root_pid: int) -> dict[int, tuple[str, float]]:
    out = {}
    for pid in children(root_pid):
        mb = rss_mb(pid)
        if mb is not None:
            out[pid] = (describe(pid), mb)
    return out


# ------------------------------------------------------------------------------ load

def wrk(url: str, seconds: int) -> dict:
    done = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s", "--latency", url],
                          capture_output=True, text=True, timeout=seconds + 60)
    text = done.stdout + done.stderr
    requests = int(re.search(r"(\d+) requests in", text).group(1)) if "requests in" in text else 0
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)",
                                                    (re.search(r"Socket errors:.*", text) or [""])[0]))
    rate = float(m.group(1)) if (m := re.search(r"Requests/sec:\s+([\d.]+)", text)) else 0.0
    p99 = m.group(1) if (m := re.search(r"^\s+99%\s+(\S+)", text, re.MULTILINE)) else "?"
    return {"url": url, "requests": requests, "non_2xx_3xx": non2xx, "socket_errors": socket_errors,
            "rate": rate, "p99": p99, "exit": done.returncode}


class Incidents(threading.Thread):
    """Every INCIDENT_EVERY seconds: open an incident, or resolve the one opened before."""

    def __init__(self, base: str, token: str, until: float):
        super().__init__(daemon=True)
        self.base, self.token, self.until = base, token, until
        self.posted = self.failed = 0
        self.open_id: str | None = None

    def call(self, path: str, body: dict) -> dict:
        request = Request(self.base + path, data=json.dumps(body).encode(), method="POST",
                          headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"})
        with urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def run(self):
        n = 0
        while time.monotonic() + 1 < self.until:
            n += 1
            try:
                if self.open_id is None:
                    self.open_id = self.call("/api/v1/incidents/", {
                        "name": f"Soak incident {n}", "status": "investigating", "impact": "minor",
                        "body": "Posted by the soak test.",
                        "components": {"reserve-notifications": "degraded_performance"},
                    })["id"]
                else:
                    self.call(f"/api/v1/incidents/{self.open_id}/updates/", {"status": "resolved", "body": "Done."})
                    self.open_id = None
                self.posted += 1
            except Exception as exc:  # noqa: BLE001 - counted and reported
                self.failed += 1
                print(f"  API call failed: {exc}", flush=True)
            time.sleep(max(0.0, min(INCIDENT_EVERY, self.until - time.monotonic() - 1)))


# ---------------------------------------------------------------------------- probes

PROBE_STATS = """
import json
from datetime import datetime
from django.db.models import Count
from probes.models import ProbeRun
since = datetime.fromisoformat({since!r})
runs = ProbeRun.objects.filter(started_at__gte=since)
late = sorted(((s - sch).total_seconds(), k)
              for sch, s, k in runs.values_list("scheduled_for", "started_at", "probe__key"))
dups = ProbeRun.objects.values("probe", "region", "scheduled_for").annotate(n=Count("pk")).filter(n__gt=1).count()
print(json.dumps({{"runs": len(late), "max_lateness_s": late[-1][0] if late else None,
                  "p99_lateness_s": late[int(len(late) * 0.99)][0] if late else None,
                  "late_runs": sum(1 for t, _ in late if t > {limit}), "duplicates": dups,
                  "failed": runs.filter(ok=False).count()}}))
"""


def probe_stats(env: dict, since: str) -> dict:
    done = subprocess.run([str(PY), "manage.py", "shell", "-c", PROBE_STATS.format(since=since, limit=MAX_LATENESS_S)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"could not read the probe runs:\n{done.stdout}\n{done.stderr}") from None


# ------------------------------------------------------------------------------ main

def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    var_dir = Path(os.environ.get("SOAK_VAR_DIR") or tempfile.mkdtemp(prefix="statuspage-soak-"))
    port, demo_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
           or os.environ.get("SOAK_KEEP_SERVERS") == "1"}
    env.update(PORT=str(port), DEMO_TARGET_PORT=str(demo_port), STATUSPAGE_VAR_DIR=str(var_dir),
               STATUSPAGE_CONFIG=str(soak_config(var_dir)), PYTHONUNBUFFERED="1")
    print(f"soak: {SECONDS}s, wrk -c{CONNECTIONS} on {', '.join(URLS)}, an incident call every {INCIDENT_EVERY:.0f}s, "
          f"var dir {var_dir}", flush=True)
    log = open(var_dir / "run.log", "w")
    stack = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    failures: list[str] = []
    try:
        token = wait_for_stack(var_dir / "run.log", base, stack)
        # Warm up under the same load: first renders, imports, connections and caches
        # fill here, so that start → end measures a steady state.
        warm = [threading.Thread(target=wrk, args=(base + u, int(WARMUP_S))) for u in URLS]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        start = sample(stack.pid)
        until = time.monotonic() + SECONDS
        incidents = Incidents(base, token, until)
        incidents.start()
        results: list[dict] = []
        loads = [threading.Thread(target=lambda u=u: results.append(wrk(base + u, SECONDS))) for u in URLS]
        for t in loads:
            t.start()
        peak: dict[int, float] = {}
        series: list[float] = []  # all processes together, every SERIES_EVERY_S
        next_point = time.monotonic()
        while any(t.is_alive() for t in loads):
            now = sample(stack.pid)
            for pid, (_, mb) in now.items():
                peak[pid] = max(peak.get(pid, 0.0), mb)
            if time.monotonic() >= next_point:
                series.append(round(sum(mb for _, mb in now.values()), 1))
                next_point += SERIES_EVERY_S
            time.sleep(5)
        for t in loads:
            t.join()
        incidents.join(timeout=15)
        end = sample(stack.pid)
        time.sleep(2)  # let the last probe runs land
        probes = probe_stats(env, since)
    finally:
        stop_stack(stack)
        log.close()

    print("\nrequests")
    for r in results:
        print(f"  {r['url']}: {r['requests']} requests, {r['rate']:.0f}/s, p99 {r['p99']}, "
              f"non-2xx/3xx {r['non_2xx_3xx']}, socket errors {r['socket_errors']}")
        if r["non_2xx_3xx"] or r["socket_errors"] or r["exit"] or not r["requests"]:
            failures.append(f"{r['url']}: {r['non_2xx_3xx']} non-2xx/3xx, {r['socket_errors']} socket errors")
    print(f"  incident API calls: {incidents.posted} ok, {incidents.failed} failed")
    if incidents.failed:
        failures.append(f"{incidents.failed} incident API calls failed")
    print("RSS (MB) at start → end (peak)")
    total_start = total_end = 0.0
    for pid, (name, mb) in sorted(start.items(), key=lambda item: item[1][0]):
        end_mb = end.get(pid, (name, None))[1]
        total_start += mb
        total_end += end_mb or 0.0
        growth = (end_mb - mb) if end_mb is not None else None
        print(f"  {name:14} pid {pid:<7} {mb:7.1f} → {end_mb if end_mb is None else f'{end_mb:7.1f}'} "
              f"({peak.get(pid, mb):.1f})")
        if end_mb is None:
            failures.append(f"{name} (pid {pid}) exited during the soak")
        elif growth > MAX_RSS_GROWTH_MB:
            failures.append(f"{name} (pid {pid}) grew {growth:.1f} MB")
    for pid in set(end) - set(start):
        failures.append(f"{end[pid][0]} (pid {pid}) started during the soak (a respawn?)")
    print(f"  all processes  {total_start:7.1f} → {total_end:7.1f}")
    print(f"  all processes every {SERIES_EVERY_S:.0f}s: {' '.join(f'{mb:.0f}' for mb in series)}")
    print(f"probe runs: {probes['runs']}, failed {probes['failed']}, duplicates {probes['duplicates']}, "
          f"max lateness {probes['max_lateness_s']:.2f}s, p99 {probes['p99_lateness_s']:.2f}s, "
          f"late > {MAX_LATENESS_S:.0f}s: {probes['late_runs']}")
    if probes["duplicates"]:
        failures.append(f"{probes['duplicates']} duplicate probe runs")
    if probes["late_runs"]:
        failures.append(f"{probes['late_runs']} probe runs late by more than {MAX_LATENESS_S}s")
    if not probes["runs"]:
        failures.append("no probe ran")
    summary = {"seconds": SECONDS, "connections": CONNECTIONS, "requests": sum(r["requests"] for r in results),
               "errors": sum(r["non_2xx_3xx"] + r["socket_errors"] for r in results) + incidents.failed,
               "rss_start_mb": round(total_start, 1), "rss_end_mb": round(total_end, 1), "rss_series_mb": series,
               "max_lateness_s": probes["max_lateness_s"], "probe_runs": probes["runs"],
               "incident_calls": incidents.posted, "failures": failures}
    print("SOAK " + json.dumps(summary))
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("OK")
    if not os.environ.get("SOAK_VAR_DIR"):
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


def wait_for_stack(log_path: Path, base: str, stack: subprocess.Popen) -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if stack.poll() is not None:
            raise SystemExit(f"scripts/run.sh exited:\n{log_path.read_text()}")
        text = log_path.read_text(errors="replace")
        token = re.search(r"API token: (\S+)", text)
        if token and "Ctrl-C stops everything" in text:
            try:
                with urlopen(base + "/healthz", timeout=2):
                    return token.group(1)
            except OSError:
                pass
        time.sleep(0.5)
    raise SystemExit(f"the stack did not start in 180 s:\n{log_path.read_text()}")


def stop_stack(stack: subprocess.Popen) -> None:
    """run.sh stops what it started on TERM; the group is killed if it hangs."""
    if stack.poll() is None:
        try:
            os.killpg(stack.pid, signal.SIGTERM)
            stack.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait(10)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    sys.exit(main())
