"""Fan one signed event out to many subscribers on loopback and compare with bare httpx.

    .venv/bin/python bench/webhook_fanout.py [--subscribers 10000] [--receivers 200]

Receivers run in a separate process (one asyncio loop, many ports) and verify every
signature. The same pre-signed attempts are posted by a bare `httpx.Client()` loop and
by `deliver_many` (SSRF-guarded, threaded lanes), alternating per round, so load from
other processes hits both alike. Loopback only; bounded by --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from receivers import serve, subscriber_secret

from statuspage.networks import parse_networks
from statuspage.webhooks import signing
from statuspage.webhooks.delivery import Attempt, deliver_many

LOOPBACK = parse_networks("127.0.0.0/8")


def event_body() -> bytes:
    incident = {
        "id": "inc_01", "name": "Authorization is slow", "status": "investigating",
        "impact": "minor", "created_at": "2026-11-22T10:00:00Z",
        "incident_updates": [{"status": "investigating", "body": "We are looking into it. " * 20}],
        "components": [{"key": "reserve-auth", "name": "Authorization", "status": "degraded_performance"}],
    }
    return json.dumps({
        "type": "incident.created", "timestamp": "2026-11-22T10:00:00Z",
        "data": {"page": {"id": "reserve-plus", "name": "Reserve+ status"}, "incident": incident},
    }).encode()


def build_attempts(ports: list[int], subscribers: int) -> list[Attempt]:
    body, now = event_body(), datetime.now(UTC)
    attempts = []
    for n in range(subscribers):
        headers = signing.sign(subscriber_secret(n), signing.new_message_id(), now, body)
        headers["content-type"] = "application/json"
        attempts.append(Attempt(f"http://127.0.0.1:{ports[n % len(ports)]}/hooks/{n}", headers, body))
    return attempts


def bare_loop(attempts: list[Attempt]) -> int:
    ok = 0
    with httpx.Client(trust_env=False) as client:
        for a in attempts:
            ok += client.post(a.url, content=a.body, headers=a.headers).is_success
    return ok


def fanout(attempts: list[Attempt], concurrency: int, per_host: int) -> int:
    outcomes = asyncio.run(deliver_many(attempts, LOOPBACK, concurrency, per_host))
    return sum(o.ok for o in outcomes)


def timed(fn: Callable[..., int], *args: object) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    ok = fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, ok


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--subscribers", type=int, default=10_000)
    p.add_argument("--receivers", type=int, default=200, help="loopback ports")
    p.add_argument("--delay-ms", type=float, default=0, help="receiver reply delay")
    p.add_argument("--concurrency", type=int, default=256)
    p.add_argument("--per-host", type=int, default=32)
    p.add_argument("--rounds", type=int, default=1, help="alternating runs of each")
    p.add_argument("--max-seconds", type=int, default=120)
    args = p.parse_args()
    signal.alarm(args.max_seconds)  # a stuck run must not hang CI

    here, there = multiprocessing.Pipe()
    receiver = multiprocessing.get_context("spawn").Process(
        target=serve, args=(args.receivers, args.delay_ms / 1000, there), daemon=True
    )
    receiver.start()
    ports = here.recv()

    t = time.perf_counter()
    attempts = build_attempts(ports, args.subscribers)
    sign_rate = len(attempts) / (time.perf_counter() - t)
    print(f"{len(attempts)} subscribers on {len(ports)} loopback receivers; "
          f"signing: {sign_rate:,.0f} messages/s (not in the figures below)")
    fanout(attempts[:500], args.concurrency, args.per_host)  # warm both paths up
    bare_loop(attempts[:200])

    runs: dict[str, list[tuple[float, float, int]]] = {"bare httpx loop": [], "deliver_many": []}
    for _ in range(args.rounds):
        runs["bare httpx loop"].append(timed(bare_loop, attempts))
        runs["deliver_many"].append(timed(fanout, attempts, args.concurrency, args.per_host))

    best = {}
    for name, results in runs.items():
        wall, cpu, ok = min(results)
        best[name] = len(attempts) / wall
        print(f"{name:16s} {best[name]:7,.0f} deliveries/s  {cpu / len(attempts) * 1e6:5.0f} us CPU each"
              f"  {ok}/{len(attempts)} accepted")
    print(f"ratio deliver_many / bare: {best['deliver_many'] / best['bare httpx loop']:.2f}")

    here.send("stop")
    good, bad = here.recv()
    print(f"receivers verified {good} signatures, {bad} failed")
    receiver.join(5)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
