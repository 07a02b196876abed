"""Benchmark: public GETs while 200 slow-body and 200 slow-header clients hold connections.

Issue 12: four clients posting a form body at a byte a second made every
GET /api/v2/status.json time out. This starts the web server as `make run` does
(scripts/web.sh: granian, 2 workers) on a scratch SQLite database with the demo config,
measures GET /api/v2/status.json from 4 client threads unattacked, then again while
200 clients trickle `POST /subscribe/email` bodies (Content-Length 2000, a byte a second)
and 200 clients trickle request headers (a header line a second); each slow client
reconnects when the server cuts it off, so the attack lasts the whole window. It prints
p50/p99/max and errors for both, and how often the server cut the slow clients.
Goal: p99 <= 200 ms under attack. No Django in this process: the server is measured alone.

    .venv/bin/python bench/slow_clients.py [--seconds 20] [--slow-bodies 200] [--slow-headers 200]
        [--threads N (scripts/web.sh's WEB_THREADS; 1 was the old setting)]

About a minute; the server and its scratch folder are removed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PATH = "/api/v2/status.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readers(port: int, seconds: float, threads: int = 4) -> tuple[list[float], int]:
    """GET PATH in a loop from `threads` threads for `seconds`; (latencies in ms, errors)."""
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + seconds

    def loop():
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                conn.request("GET", PATH)
                ok = conn.getresponse().status == 200
                conn.close()
            except OSError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - start) * 1000)
            else:
                errors[0] += 1

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, errors[0]


class Attack:
    """Slow clients on an asyncio loop of their own thread; each reconnects when cut off."""

    def __init__(self, port: int, bodies: int, headers: int):
        self.port, self.bodies, self.headers = port, bodies, headers
        self.cut = {"body": 0, "header": 0}
        self.open = {"body": 0, "header": 0}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _client(self, kind: str, n: int):
        if kind == "body":
            head = (b"POST /subscribe/email HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\nemail=")
        else:
            head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        await asyncio.sleep(n * 0.005)  # ramp up over a second or two
        while not self.stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                self.open[kind] += 1
                writer.write(head)
                await writer.drain()
                while not self.stop.is_set():
                    await asyncio.sleep(1)
                    writer.write(b"a" if kind == "body" else f"X-Slow-{n}: 1\r\n".encode())
                    await writer.drain()
                    if reader.at_eof():
                        break
                writer.close()
            except OSError:
                pass
            finally:
                self.open[kind] -= 1
            if not self.stop.is_set():
                self.cut[kind] += 1
                await asyncio.sleep(0.2)

    async def _main(self):
        tasks = [asyncio.create_task(self._client("body", n)) for n in range(self.bodies)]
        tasks += [asyncio.create_task(self._client("header", n)) for n in range(self.headers)]
        while not self.stop.is_set():
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def summary(label: str, latencies: list[float], errors: int) -> str:
    if not latencies:
        return f"{label:<28} no answer, {errors} errors"
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return (f"{label:<28} {len(latencies):>6} GETs  p50 {statistics.median(latencies):7.1f} ms  "
            f"p99 {q[98]:7.1f} ms  max {max(latencies):8.1f} ms  {errors} errors/timeouts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds, each phase")
    parser.add_argument("--slow-bodies", type=int, default=200)
    parser.add_argument("--slow-headers", type=int, default=200)
    parser.add_argument("--threads", help="WEB_THREADS for scripts/web.sh (default: its own)")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="bench-slow-clients-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(STATUSPAGE_VAR_DIR=str(var), LOG_LEVEL="ERROR", PUBLIC_RENDER_ON_WRITE="0")
    if args.threads:
        env["WEB_THREADS"] = args.threads
    server = None
    try:
        for step in (["migrate", "--noinput", "-v0"], ["apply_config", "examples/reserve-plus.yaml"],
                     ["render_public"]):
            subprocess.run([PY, "manage.py", *step], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        env["PORT"] = str(port)
        server = subprocess.Popen(["bash", "scripts/web.sh"], cwd=ROOT, env=env, start_new_session=True,
                                  stdout=open(var / "web.log", "ab"), stderr=subprocess.STDOUT)
        for _ in range(300):
            if readers(port, 0.01, threads=1)[0]:
                break
            time.sleep(0.1)
        else:
            sys.exit(f"the web server did not answer; see {var / 'web.log'}")
        print(f"scripts/web.sh on 127.0.0.1:{port} (granian, 2 workers, WEB_THREADS={args.threads or 'default'}), "
              f"{os.cpu_count()} cores; GET {PATH} from 4 threads, {args.seconds:g} s per phase")
        readers(port, 2)  # warm up
        calm = readers(port, args.seconds)
        attack = Attack(port, args.slow_bodies, args.slow_headers)
        attack.thread.start()
        time.sleep(3)  # every slow client connected
        attacked = readers(port, args.seconds)
        held = dict(attack.open)
        attack.stop.set()
        attack.thread.join(10)
        print(summary("unattacked", *calm))
        print(summary(f"{args.slow_bodies} slow bodies + {args.slow_headers} slow headers", *attacked))
        print(f"slow clients open at the end: {held['body']} bodies, {held['header']} headers; cut off by the "
              f"server and reconnected: {attack.cut['body']} bodies, {attack.cut['header']} headers")
        p99 = statistics.quantiles(attacked[0], n=100)[98] if len(attacked[0]) > 1 else float("inf")
        print(f"goal (p99 <= 200 ms under attack): {'MET' if p99 <= 200 and not attacked[1] else 'NOT MET'}")
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
