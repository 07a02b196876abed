"""Benchmark: probe runs per second through probes.runner.run_batch vs a bare httpx loop.

Starts a threaded HTTP target on loopback in a separate process (so it doesn't share the
benchmark's GIL), once without and once with 100 ms of added latency per request, and runs
a 2-step login + profile probe N times each way. Bounded: well under a minute.

    .venv/bin/python bench/probe_runner.py
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from probes.runner import make_client, run_batch  # noqa: E402
from probes.spec import validate_probe  # noqa: E402

PHONE, CODE = "+380500000000", "bench-canary-code"
PROFILE = json.dumps({
    "name": "Canary", "deferment": {"status": "none"},
    "notifications": [{"type": "sms"}, {"type": "info"}],
}).encode()


class _Target(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real targets do
    disable_nagle_algorithm = True  # else headers and body in two writes wait 40 ms for an ACK
    latency = 0.0

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes) -> None:
        if self.latency:
            time.sleep(self.latency)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path == "/api/login" and data == {"phone": PHONE, "code": CODE}:
            self._send(200, b'{"token": "tok-123456789"}')
        else:
            self._send(401, b'{"error": "bad login"}')

    def do_GET(self) -> None:
        if self.path == "/api/profile" and self.headers.get("Authorization") == "Bearer tok-123456789":
            self._send(200, PROFILE)
        else:
            self._send(401, b'{"error": "no session"}')


def _serve(latency: float, port_out: multiprocessing.connection.Connection) -> None:
    _Target.latency = latency
    ThreadingHTTPServer.request_queue_size = 512  # many clients connect at once
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    port_out.send(server.server_address[1])
    server.serve_forever()


def start_target(latency: float) -> tuple[multiprocessing.Process, str]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_serve, args=(latency, child), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{parent.recv()}"


def probe_spec() -> dict:
    raw = {
        "key": "bench", "component": "c", "timeout": "10s",
        "steps": [
            {"name": "login",
             "request": {"method": "POST", "url": "{{ env.BASE }}/api/login",
                         "json": {"phone": "{{ env.PHONE }}", "code": "{{ env.CODE }}"}},
             "expect": {"status": 200, "json": {"$.token": {"exists": True}}},
             "save": {"token": "$.token"}},
            {"name": "profile",
             "request": {"url": "{{ env.BASE }}/api/profile", "headers": {"Authorization": "Bearer {{ token }}"}},
             "expect": {"status": 200, "json": {"$.deferment.status": "none",
                                                "$.notifications[*].type": {"not_contains": "deferment_granted"}}}},
        ],
    }
    spec, errors = validate_probe(raw, "probes[0]", {"c"})
    assert spec is not None, errors
    return spec


def bare_probe(client: httpx.Client, base: str) -> bool:
    """The same two requests and checks, written straight against httpx."""
    login = client.post(f"{base}/api/login", json={"phone": PHONE, "code": CODE})
    if login.status_code != 200:
        return False
    token = login.json()["token"]
    profile = client.get(f"{base}/api/profile", headers={"Authorization": f"Bearer {token}"})
    data = profile.json()
    return (profile.status_code == 200 and data["deferment"]["status"] == "none"
            and all(n["type"] != "deferment_granted" for n in data["notifications"]))


def bare_sequential(base: str, runs: int) -> float:
    with httpx.Client(trust_env=False) as client:
        start = time.perf_counter()
        assert all(bare_probe(client, base) for _ in range(runs))
        return runs / (time.perf_counter() - start)


def bare_threaded(base: str, runs: int, concurrency: int) -> float:
    local = threading.local()
    clients: list[httpx.Client] = []

    def one(_: int) -> bool:
        if not hasattr(local, "client"):
            local.client = httpx.Client(trust_env=False)
            clients.append(local.client)
        return bare_probe(local.client, base)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        assert all(pool.map(one, range(runs)))
    rate = runs / (time.perf_counter() - start)
    for client in clients:
        client.close()
    return rate


def runner_rate(base: str, runs: int, concurrency: int) -> float:
    env = {"BASE": base, "PHONE": PHONE, "CODE": CODE}
    specs = [probe_spec()] * runs
    start = time.perf_counter()
    verdicts = run_batch(specs, env, concurrency=concurrency)
    rate = runs / (time.perf_counter() - start)
    failed = [v.message for v in verdicts if not v.ok]
    assert not failed, failed[:3]
    return rate


def main() -> None:
    began = time.perf_counter()
    # Warm up the JSONPath cache and imports outside the timed parts.
    probe_spec()
    print(f"{'case':<34}{'probe runs/s':>14}")

    process, base = start_target(0.0)
    try:
        runs = 1500
        runner_rate(base, 50, 8)
        batch = runner_rate(base, runs, 32)
        seq = bare_sequential(base, runs)
        thr = bare_threaded(base, runs, 32)
        best = max(seq, thr)
        print(f"{'no latency: run_batch(c=32)':<34}{batch:>14.0f}")
        print(f"{'no latency: bare httpx sequential':<34}{seq:>14.0f}")
        print(f"{'no latency: bare httpx 32 threads':<34}{thr:>14.0f}")
        print(f"{'no latency: run_batch / best bare':<34}{batch / best:>14.2f}")
    finally:
        process.terminate()

    process, base = start_target(0.1)
    try:
        runs, concurrency = 480, 32
        runner_rate(base, concurrency, concurrency)  # open the keep-alive connections
        batch = runner_rate(base, runs, concurrency)
        thr = bare_threaded(base, runs, concurrency)
        ceiling = concurrency / 0.2
        print(f"{'100 ms: run_batch(c=32)':<34}{batch:>14.0f}")
        print(f"{'100 ms: bare httpx 32 threads':<34}{thr:>14.0f}")
        print(f"{'100 ms: run_batch / bare':<34}{batch / thr:>14.2f}")
        print(f"{'100 ms: ceiling (32 x 2 x 100 ms)':<34}{ceiling:>14.0f}")
    finally:
        process.terminate()
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
