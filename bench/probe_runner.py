"""Benchmark: probe runs per second through probes.runner.run_batch vs a bare httpx loop.

Starts a threaded HTTP target on loopback in a separate process (so it doesn't share the
benchmark's GIL), once without and once with 100 ms of added latency per request, and runs
a 2-step login + profile probe N times each way. Bounded: well under a minute.

    .venv/bin/python bench/probe_runner.py [--designs]
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from probes.runner import make_client, run_batch, run_probe
from probes.spec import validate_probe

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


def _serve(latency: float, port_out: multiprocessing.connection.Connection, handler: type[_Target]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it
    _Target.latency = latency
    ThreadingHTTPServer.request_queue_size = 512  # many clients connect at once
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port_out.send(server.server_address[1])
    server.serve_forever()


def start_target(latency: float, handler: type[_Target] = _Target) -> tuple[multiprocessing.Process, str]:
    """The target in a process of its own (forked: `handler` may be any subclass)."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_serve, args=(latency, child, handler), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{parent.recv()}"


def probe_steps(login_headers: dict | None = None) -> list[dict]:
    """The canary's login + profile steps, as the config writes them."""
    login = {"method": "POST", "url": "{{ env.BASE }}/api/login",
             "json": {"phone": "{{ env.PHONE }}", "code": "{{ env.CODE }}"}}
    if login_headers:
        login["headers"] = login_headers
    return [
        {"name": "login", "request": login,
         "expect": {"status": 200, "json": {"$.token": {"exists": True}}},
         "save": {"token": "$.token"}},
        {"name": "profile",
         "request": {"url": "{{ env.BASE }}/api/profile", "headers": {"Authorization": "Bearer {{ token }}"}},
         "expect": {"status": 200, "json": {"$.deferment.status": "none",
                                            "$.notifications[*].type": {"not_contains": "deferment_granted"}}}},
    ]


def probe_spec() -> dict:
    raw = {"key": "bench", "component": "c", "timeout": "10s", "steps": probe_steps()}
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


# Built once: a client that loads the CA bundle itself spends ~25 ms of CPU on it.
SSL_CONTEXT = httpx.create_ssl_context()


def bare_client() -> httpx.Client:
    return httpx.Client(trust_env=False, verify=SSL_CONTEXT)


def bare_sequential(base: str, runs: int) -> float:
    with bare_client() as client:
        start = time.perf_counter()
        assert all(bare_probe(client, base) for _ in range(runs))
        return runs / (time.perf_counter() - start)


def bare_threaded(base: str, runs: int, concurrency: int) -> float:
    local = threading.local()
    clients: list[httpx.Client] = []

    def one(_: int) -> bool:
        if not hasattr(local, "client"):
            local.client = bare_client()
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


def shared_client_rate(base: str, runs: int, concurrency: int) -> float:
    """The design run_batch does not use: threads sharing one client (and its pool lock)."""
    env = {"BASE": base, "PHONE": PHONE, "CODE": CODE}
    spec = probe_spec()
    with make_client(max_connections=concurrency) as client:
        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            verdicts = list(pool.map(lambda s: run_probe(s, env, client), [spec] * runs))
        rate = runs / (time.perf_counter() - start)
    assert all(v.ok for v in verdicts)
    return rate


def cpu_us_per_probe(base: str, runs: int, runner: bool) -> float:
    """Client CPU per probe, run one after another: unlike runs/s, barely moved by other load."""
    env = {"BASE": base, "PHONE": PHONE, "CODE": CODE}
    spec = probe_spec()
    with (make_client() if runner else bare_client()) as client:
        one = (lambda: run_probe(spec, env, client).ok) if runner else (lambda: bare_probe(client, base))
        one()
        start = time.thread_time()
        assert all(one() for _ in range(runs))
        return (time.thread_time() - start) / runs * 1e6


def best_of(repeats: int, measure: Callable[[], float]) -> float:
    """Best of a few runs: the machine may be shared, and noise only ever slows a run down."""
    return max(measure() for _ in range(repeats))


def row(label: str, value: float, fmt: str = ".0f") -> None:
    print(f"{label:<40}{value:>12{fmt}}")


def main() -> None:
    designs = "--designs" in sys.argv  # also time the alternative design (adds ~20 s)
    began = time.perf_counter()
    repeats = 3
    probe_spec()  # warm the JSONPath cache outside the timed parts
    print(f"{'case (best of 3)':<40}{'probe runs/s':>12}")
    print(f"{'(CPU rows: µs of client CPU per probe)':<40}")

    process, base = start_target(0.0)
    try:
        runs = 300
        runner_rate(base, 64, 32)  # warm-up
        batch = best_of(repeats, lambda: runner_rate(base, runs, 32))
        batch1 = best_of(repeats, lambda: runner_rate(base, runs, 1))
        seq = best_of(repeats, lambda: bare_sequential(base, runs))
        thr = best_of(repeats, lambda: bare_threaded(base, runs, 32))
        row("no latency: run_batch(concurrency=32)", batch)
        row("no latency: run_batch(concurrency=1)", batch1)
        row("no latency: bare httpx, sequential", seq)
        row("no latency: bare httpx, 32 threads", thr)
        row("no latency: run_batch(32) / best bare", batch / max(seq, thr), ".2f")
        runner_cpu = min(cpu_us_per_probe(base, 300, True) for _ in range(repeats))
        bare_cpu = min(cpu_us_per_probe(base, 300, False) for _ in range(repeats))
        row("CPU µs per probe: run_probe", runner_cpu)
        row("CPU µs per probe: bare httpx", bare_cpu)
        row("CPU per probe: run_probe / bare", runner_cpu / bare_cpu, ".2f")
        if designs:
            row("no latency: 32 threads, one shared client",
                best_of(repeats, lambda: shared_client_rate(base, runs, 32)))
    finally:
        process.terminate()

    process, base = start_target(0.1)
    try:
        runs, concurrency = 320, 32
        runner_rate(base, concurrency, concurrency)  # open the keep-alive connections
        batch = best_of(repeats, lambda: runner_rate(base, runs, concurrency))
        thr = best_of(repeats, lambda: bare_threaded(base, runs, concurrency))
        row("100 ms: run_batch(concurrency=32)", batch)
        row("100 ms: bare httpx, 32 threads", thr)
        row("100 ms: run_batch / bare", batch / thr, ".2f")
        row("100 ms: ceiling, 32 / (2 x 100 ms)", concurrency / 0.2)
        if designs:
            row("100 ms: 32 threads, one shared client", best_of(repeats, lambda: shared_client_rate(base, runs, 32)))
            row("100 ms: run_batch(concurrency=64)", best_of(repeats, lambda: runner_rate(base, 2 * runs, 64)))
            row("100 ms: 64 threads, one shared client",
                best_of(repeats, lambda: shared_client_rate(base, 2 * runs, 64)))
    finally:
        process.terminate()
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
