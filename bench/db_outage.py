"""Check: with PostgreSQL gone, the public page, feeds and v2 are served from the last render.

Runs the app (scripts/web.sh, as `make run` does) on a scratch PostgreSQL database reached
through a small TCP relay, posts an incident, then kills the relay: to the app that is
PostgreSQL stopped (open connections reset, new ones refused), while the machine's
PostgreSQL, shared with others, keeps running. `--stop-postgres` stops the real cluster
instead (`pg_ctlcluster … stop`, then start): only on a machine of your own.

Prints each public URL's status and time during the outage, and whether a change made
after PostgreSQL is back shows at once. Skips (exit 0) when no PostgreSQL answers.

    .venv/bin/python bench/db_outage.py [--postgres postgres://root@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import demo_target  # noqa: E402  (the demo's probe variables)

PY = str(ROOT / ".venv" / "bin" / "python")
URLS = ["/", "/history", "/history.rss", "/history.atom", "/components/reserve-data/history.atom",
        "/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances/active.json"]

NAMES_THE_INCIDENT = {"/", "/history", "/history.rss", "/history.atom", "/components/reserve-data/history.atom",
                      "/api/v2/summary.json", "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json"}

RELAY = r"""
import asyncio, sys
target_port, listen_port = int(sys.argv[1]), int(sys.argv[2])
async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()
async def handle(client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(base: str, path: str, **headers) -> tuple[int, bytes, float]:
    request = urllib.request.Request(base + path, headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), (time.perf_counter() - started) * 1000
    except urllib.error.HTTPError as error:
        return error.code, error.read(), (time.perf_counter() - started) * 1000


def wait_for(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://root@127.0.0.1:5432/postgres"))
    parser.add_argument("--stop-postgres", action="store_true", help="stop the real cluster (a machine of your own)")
    args = parser.parse_args()
    import psycopg

    try:
        admin = psycopg.connect(args.postgres, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        print(f"skipped: no PostgreSQL at {args.postgres} ({str(exc).strip().splitlines()[0]})")
        return
    name = f"statuspage_outage_{os.getpid()}"
    admin.execute(f'CREATE DATABASE "{name}"')
    info = admin.info
    var = Path(tempfile.mkdtemp(prefix="statuspage-outage-"))
    relay_port, app_port = free_port(), free_port()
    db_port = info.port if args.stop_postgres else relay_port
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "PUBLIC_EXPORT_DIR")}
    env.update(DATABASE_URL=f"postgres://{info.user}@127.0.0.1:{db_port}/{name}", STATUSPAGE_VAR_DIR=str(var),
               DB_CONN_MAX_AGE="60", LOG_LEVEL="ERROR", PUBLIC_RENDER_ON_WRITE="0", PORT=str(app_port),
               PROBE_ENV_ALLOW=demo_target.PROBE_ENV, PROBE_ALLOWED_NETWORKS=demo_target.LOOPBACK)
    relay = app = None
    base = f"http://127.0.0.1:{app_port}"

    def start_relay():
        return subprocess.Popen([PY, "-c", RELAY, str(info.port), str(relay_port)], start_new_session=True)

    def manage(*argv: str) -> str:
        return subprocess.run([PY, "manage.py", *argv], cwd=ROOT, env=env, check=True, capture_output=True,
                              text=True).stdout

    def postgres(action: str) -> None:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True)

    try:
        relay = start_relay()
        wait_for(lambda: socket.create_connection(("127.0.0.1", relay_port), 1).close() or True, "the relay")
        manage("migrate", "--noinput")
        manage("apply_config", str(ROOT / "examples" / "reserve-plus.yaml"))
        login = manage("oncall", "add", "oncall")
        token = next(line.split()[-1] for line in login.splitlines() if "token" in line.lower())
        app = subprocess.Popen(["bash", str(ROOT / "scripts" / "web.sh")], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: get(base, "/healthz")[0] == 200, "the app")
        body = json.dumps({"name": "Registration data shown wrong", "status": "identified",
                           "body": "A bad deploy.", "components": {"reserve-data": "major_outage"}}).encode()
        request = urllib.request.Request(base + "/api/v1/incidents/", data=body, method="POST", headers={
            "Authorization": f"Token {token}", "Content-Type": "application/json"})
        assert urllib.request.urlopen(request).status == 201
        for url in URLS:
            get(base, url)  # rendered on first request (no worker here), as a crowd would
        manage("shell", "-c", "from statuspage.public import version; version.bump()")  # a beat refresh, say

        how = "pg_ctlcluster stop" if args.stop_postgres else "its connections cut (relay killed)"
        if args.stop_postgres:
            postgres("stop")
        else:
            os.killpg(relay.pid, signal.SIGKILL)
            relay.wait()
        print(f"PostgreSQL gone ({how}); the version was bumped, so nothing was rendered for it:")
        ok = True
        for url in URLS:
            status, content, ms = get(base, url)
            shows = url in NAMES_THE_INCIDENT and b"Registration data shown wrong" in content
            fine = status == 200 and (shows or url not in NAMES_THE_INCIDENT)
            ok &= fine
            print(f"  {url:<44} {status}  {ms:7.1f} ms"
                  f"{'  shows the incident' if shows else ''}{'' if fine else '  <- FAILED'}")
        health = json.loads(get(base, "/healthz")[1])
        print(f"  /healthz: {health}")
        if args.stop_postgres:
            postgres("start")
        else:
            relay = start_relay()
            wait_for(lambda: socket.create_connection(("127.0.0.1", relay_port), 1).close() or True, "the relay")
        wait_for(lambda: json.loads(get(base, "/healthz")[1])["database"] == "ok", "the database back")
        incident = json.loads(get(base, "/api/v2/incidents/unresolved.json")[1])["incidents"][0]["id"]
        request = urllib.request.Request(base + f"/api/v1/incidents/{incident}/updates/", method="POST",
                                         data=json.dumps({"status": "resolved", "body": "Fixed."}).encode(),
                                         headers={"Authorization": f"Token {token}",
                                                  "Content-Type": "application/json"})
        assert urllib.request.urlopen(request).status == 201
        indicator = json.loads(get(base, "/api/v2/status.json")[1])["status"]["indicator"]
        print(f"PostgreSQL back; after resolving, the next /api/v2/status.json says: {indicator}")
        print(f"result: {'every public URL served from the last render' if ok else 'SOME PUBLIC URL FAILED'}; "
              f"recovered: {indicator == 'none'}")
        if not ok or indicator != "none":
            sys.exit(1)
    finally:
        for process in (app, relay):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(15)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
