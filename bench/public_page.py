"""Benchmark: the public status page under a flash crowd, each ratio measured in this run.

1. The status page through the project's own web server, started as `make run` starts it
   (scripts/web.sh), versus nginx serving the same bytes from disk: wrk on loopback at 64
   and 256 connections, req/s and p99. Goal: at least 10% of nginx, p99 < 100 ms at 256.
2. nginx serving the static export (render_public --export) with the app as fallback,
   versus plain nginx. Goal: at least 90%. gzip, and brotli when nginx has its module
   (libnginx-mod-http-brotli-static), from the files made on write, versus the app.
3. Page weight of the demo page (examples/reserve-plus.yaml): HTML + CSS, raw, gzip and
   brotli, as rendered on write. Goal: under 15 KB gzipped.
4. The naive path (PUBLIC_SNAPSHOTS=0: every request runs the view) versus render on write.
5. Rendering the page with 20 components x 90 days of history, and with 200 components:
   time and query count, and the whole render-on-write pass.

Needs nginx and wrk (scripts/bench.sh installs them, and nginx's brotli module, from
Debian's packages). Bounded: about four minutes with the defaults; `--seconds 2 --rounds 1`
for a quick look.

    .venv/bin/python bench/public_page.py [--seconds 10] [--connections 64,256]
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import demo_target  # noqa: E402  (the demo's probe variables)

VAR = Path(os.environ.get("BENCH_VAR_DIR") or tempfile.mkdtemp(prefix="statuspage-bench-"))
VAR.mkdir(parents=True, exist_ok=True)
VAR.chmod(0o755)  # nginx's workers (not root) read the files under it
for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PUBLIC_EXPORT_DIR"):
    os.environ.pop(name, None)  # the embedded defaults, as `make run` has them
os.environ.update(STATUSPAGE_VAR_DIR=str(VAR / "app"), DJANGO_SETTINGS_MODULE="statuspage.settings",
                  PUBLIC_RENDER_ON_WRITE="0", LOG_LEVEL="ERROR", PROBE_ENV_ALLOW=demo_target.PROBE_ENV)

import brotli  # noqa: E402
import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from statuspage.models import (  # noqa: E402
    AffectedComponent,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
    PageSettings,
)
from statuspage.public import store  # noqa: E402
from statuspage.public.render import render_all, render_one  # noqa: E402
from statuspage.services.incidents import do_open_incident  # noqa: E402  (after django.setup(), like the above)

OUTAGES = ["degraded_performance", "partial_outage", "major_outage"]


# --- Data --------------------------------------------------------------------------------


def build_history(components: int, days: int = 90, seed: int = 1) -> None:
    """`components` components in groups of 5, each with `days` days of status changes, and
    an incident (three updates) about every third day; one incident still open."""
    rng = random.Random(seed)
    now = timezone.now()
    start = now - timedelta(days=days)
    page = PageSettings.load()
    page.name, page.url, page.languages = "Резерв+ · OneID status", "http://127.0.0.1", ["uk", "en"]
    page.notice = "Support is never provided through Telegram bots or channels."
    page.save()
    page.channels.get_or_create(name="Support line", defaults={"value": "1545", "url": "https://example.org/support"})
    have = Component.objects.count()
    groups = [ComponentGroup.objects.get_or_create(key=f"group-{g}",
                                                   defaults={"name": f"Service {g}", "position": g})[0]
              for g in range((have + components + 4) // 5)]
    made = Component.objects.bulk_create([
        Component(key=f"component-{n:03d}", name=f"Component {n}", group=groups[n // 5], position=n,
                  description=f"What citizens do with component {n}")
        for n in range(have, have + components)
    ])
    Component.objects.filter(pk__in=[c.pk for c in made]).update(created_at=start - timedelta(days=1))
    changes = []
    for comp in made:
        for day in range(days):
            if rng.random() < 0.2:
                at = start + timedelta(days=day, hours=rng.uniform(0, 20))
                bad = rng.choice(OUTAGES)
                changes.append(ComponentStatusChange(component=comp, old_status="operational", new_status=bad,
                                                     at=at, source="probe"))
                changes.append(ComponentStatusChange(component=comp, old_status=bad, new_status="operational",
                                                     at=at + timedelta(minutes=rng.uniform(5, 180)), source="probe"))
    ComponentStatusChange.objects.bulk_create(changes)
    for day in range(0, days, 3):
        affected = rng.sample(made, k=min(2, len(made)))
        begun = start + timedelta(days=day, hours=rng.uniform(0, 20))
        incident = Incident.objects.create(name=f"Slow sign-in, day {day}", status="resolved", impact="minor",
                                           started_at=begun, resolved_at=begun + timedelta(hours=2))
        incident.components.add(*affected)
        for step, status in enumerate(["investigating", "identified", "resolved"]):
            update = IncidentUpdate.objects.create(
                incident=incident, status=status, display_at=begun + timedelta(minutes=40 * step),
                body=f"**{status.title()}.** Sign-in takes longer than usual for some citizens; step {step}.")
            AffectedComponent.objects.create(update=update, component=affected[0], old_status="operational",
                                             new_status="degraded_performance" if step < 2 else "operational")
    do_open_incident(name="Registration data shown late", status="identified",
                     body="Changes made today show up after about an hour.",
                     components={made[0]: "degraded_performance"})


# --- Measuring in process ----------------------------------------------------------------


class QueryCount:
    """Counts the queries run inside it (no cap, unlike CaptureQueriesContext's 9,000)."""

    def __enter__(self):
        self.n = 0
        self._wrapper = connection.execute_wrapper(self._count)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def _count(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def render_cost(key: str, runs: int = 5) -> tuple[float, float, int, int]:
    """Median CPU and wall milliseconds and queries of one render of `key`, and its size.
    CPU time, because the wall clock of a shared machine counts the neighbours' work too."""
    cpu, wall, queries, size = [], [], 0, 0
    render_one(key)  # warm: templates compiled, middleware loaded
    for _ in range(runs):
        with QueryCount() as counted:
            started, started_cpu = time.perf_counter(), time.process_time()
            entry = render_one(key)
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
        queries, size = counted.n, len(entry.body)
    return statistics.median(cpu), statistics.median(wall), queries, size


def scale_row(label: str) -> dict:
    cpu, wall, queries, size = render_cost("en|/")
    started_cpu = time.process_time()
    with QueryCount() as counted:
        report = render_all()
    return {"label": label, "cpu": cpu, "ms": wall, "queries": queries, "kb": size / 1024, "all_s": report.seconds,
            "all_cpu": time.process_time() - started_cpu, "all_n": report.rendered, "all_q": counted.n}


def page_weight() -> dict:
    """The demo page of `make run`, rendered as on write, plus its stylesheet."""
    call_command("apply_config", str(ROOT / "examples" / "reserve-plus.yaml"), stdout=io.StringIO())
    entry = render_one("en|/")
    css = (ROOT / "static" / "statuspage" / "style.css").read_bytes()
    return {
        "html": len(entry.body), "html_gz": len(entry.bodies["gzip"]), "html_br": len(entry.bodies["br"]),
        "css": len(css), "css_gz": len(gzip.compress(css, 9)), "css_br": len(brotli.compress(css, quality=11)),
    }


# --- Servers and load ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f}s")


def start_app(port: int, log: Path, **env: str) -> subprocess.Popen:
    environment = {**os.environ, "PORT": str(port), **env}
    process = subprocess.Popen(["bash", str(ROOT / "scripts" / "web.sh")], cwd=ROOT, env=environment,
                               stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return process


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


NGINX_CONF = """
{modules}
worker_processes 2;
pid {var}/nginx.pid;
error_log {var}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on; tcp_nopush on; tcp_nodelay on;
    keepalive_requests 1000000;
    open_file_cache max=10000 inactive=30s; open_file_cache_valid 1s;
    client_body_temp_path {var}/tmp; proxy_temp_path {var}/tmp; fastcgi_temp_path {var}/tmp;
    uwsgi_temp_path {var}/tmp; scgi_temp_path {var}/tmp;

    # 1. The same bytes as the app's page, from disk.
    server {{
        listen 127.0.0.1:{plain_port};
        root {var}/plain;
        default_type text/html;
    }}

    # 2. The static export, as in docs/performance.md ("Static export"), falling back to the app.
{export_server}
}}
"""


def export_server_conf(port: int, export_dir: Path, app_port: int) -> str:
    """The example configuration of docs/nginx-static-export.conf, filled in."""
    text = (ROOT / "docs" / "nginx-static-export.conf").read_text()
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    text = text.replace("/srv/statuspage/public", str(export_dir))
    text = text.replace("/srv/statuspage/var/static", str(VAR / "app" / "static"))
    return text.replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")


def start_nginx(conf: str) -> None:
    (VAR / "tmp").mkdir(exist_ok=True)
    path = VAR / "nginx.conf"
    path.write_text(conf)
    subprocess.run(["nginx", "-c", str(path), "-t", "-q"], check=True)
    subprocess.run(["nginx", "-c", str(path)], check=True)


def stop_nginx() -> None:
    subprocess.run(["nginx", "-c", str(VAR / "nginx.conf"), "-s", "stop"], check=False, capture_output=True)


def wrk(url: str, connections: int, seconds: int, *headers: str) -> dict:
    args = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "5s"]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)] if p99 else float("nan")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p99": p99_ms, "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def note(r: dict) -> str:
    text = f"  non-2xx: {r['non2xx']}" if r["non2xx"] else ""
    return text + (f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else "")


def best(a: dict | None, b: dict) -> dict:
    return b if a is None or b["rps"] > a["rps"] else a


def content_encoding(url: str, encoding: str) -> str:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    with urllib.request.urlopen(request) as response:
        return response.headers.get("Content-Encoding", "identity")


def same_bytes(url_a: str, url_b: str) -> bool:
    with urllib.request.urlopen(url_a) as a, urllib.request.urlopen(url_b) as b:
        return a.read() == b.read()


# --- The run ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "5")))
    parser.add_argument("--connections", default="64,256")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best of each is kept")
    args = parser.parse_args()
    conns = [int(c) for c in args.connections.split(",")]
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed: `apt-get install nginx-light wrk` (scripts/bench.sh does it)")
    print(f"# public page benchmark (var {VAR}, {os.cpu_count()} cores, wrk -t2 {args.seconds}s per run, "
          f"best of {args.rounds} interleaved rounds, "
          f"load average {os.getloadavg()[0]:.1f} at start)")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    weight = page_weight()
    call_command("flush", "--noinput", verbosity=0)
    store.forget()

    with transaction.atomic():
        build_history(20)
    store.forget()
    small = scale_row("20 components x 90 days")

    export_dir = VAR / "public"
    render_all(export_dir=export_dir)
    page = store.lookup("en|/")  # the bytes the app serves (a new render differs: "today")
    (VAR / "plain").mkdir(exist_ok=True)
    (VAR / "plain" / "index.html").write_bytes(page.body)
    print(f"page: {len(page.body) / 1024:.1f} KB ({len(page.bodies['gzip']) / 1024:.1f} KB gzip, "
          f"{len(page.bodies['br']) / 1024:.1f} KB brotli), 20 components x 90 days of history")

    app_port, naive_port, gun_port, plain_port, export_port = (free_port() for _ in range(5))
    logs = VAR / "logs"
    logs.mkdir(exist_ok=True)
    brotli_module = sorted(Path("/etc/nginx/modules-enabled").glob("*brotli*"))
    export_conf = export_server_conf(export_port, export_dir, app_port)
    if not brotli_module:
        export_conf = export_conf.replace("brotli_static on;", "")
    start_nginx(NGINX_CONF.format(var=VAR, plain_port=plain_port, export_server=export_conf,
                                  modules="".join(f"include {m};\n" for m in brotli_module)))
    servers = []
    try:
        app = start_app(app_port, logs / "app.log")
        servers.append(app)
        gunicorn = start_app(gun_port, logs / "gunicorn.log", WEB_SERVER="gunicorn")
        servers.append(gunicorn)
        naive = start_app(naive_port, logs / "naive.log", PUBLIC_SNAPSHOTS="0")
        servers.append(naive)
        app_url, plain_url = f"http://127.0.0.1:{app_port}/", f"http://127.0.0.1:{plain_port}/"
        export_url = f"http://127.0.0.1:{export_port}/"
        assert same_bytes(app_url, plain_url), "the app and nginx must serve the same bytes"
        assert same_bytes(export_url, plain_url), "the export must hold the same bytes"
        encodings = ["gzip", *(["br"] if brotli_module else [])]
        for encoding in encodings:
            assert content_encoding(export_url, encoding) == encoding, f"the export must serve its .{encoding} files"
        if not brotli_module:
            print("brotli: nginx has no brotli module (apt-get install libnginx-mod-http-brotli-static): "
                  "the export is measured with gzip only")
        for url in (app_url, f"http://127.0.0.1:{gun_port}/", export_url, plain_url):
            wrk(url, 64, 1)  # warm up: first renders, connections, caches
        # Interleaved rounds, best of each: the neighbours' load only ever slows a run down.
        # nginx runs first, each pair back to back: a Python server still draining the
        # requests wrk left queued would steal CPU from the run after it.
        results = {}
        gunicorn_url = f"http://127.0.0.1:{gun_port}/"
        for _ in range(args.rounds):
            for c in conns:
                for name, url in (("nginx", plain_url), ("export", export_url)):
                    results[(name, c)] = best(results.get((name, c)), wrk(url, c, args.seconds))
            for encoding in encodings:
                for name, url in ((f"{encoding}-nginx", export_url), (f"{encoding}-app", app_url)):
                    results[(name, 256)] = best(results.get((name, 256)),
                                                wrk(url, 256, args.seconds, f"Accept-Encoding: {encoding}"))
            for c in conns:
                for name, url in (("app", app_url), ("gunicorn", gunicorn_url)):
                    results[(name, c)] = best(results.get((name, c)), wrk(url, c, args.seconds))
                    time.sleep(2)
        stop(gunicorn)
        # Few connections: at 64 the naive server answers too slowly for wrk to count any.
        results[("naive", 8)] = wrk(f"http://127.0.0.1:{naive_port}/", 8, max(args.seconds, 10))
        results[("cached", 8)] = wrk(app_url, 8, args.seconds)
    finally:
        for process in servers:
            stop(process)
        stop_nginx()

    with transaction.atomic():
        build_history(180, seed=2)
    store.forget()
    big = scale_row("200 components x 90 days")

    print()
    print(f"{'server':<44}{'conns':>6}{'req/s':>10}{'p99 ms':>9}{'vs nginx':>10}")
    for c in conns:
        base = results[("nginx", c)]["rps"]
        for name, label in (("nginx", "nginx, same bytes from disk"),
                            ("app", "app as make run serves it (granian x2)"),
                            ("gunicorn", "app under gunicorn gthread 2x8"),
                            ("export", "nginx, static export + app fallback")):
            r = results[(name, c)]
            print(f"{label:<44}{c:>6}{r['rps']:>10.0f}{r['p99']:>9.1f}{r['rps'] / base:>9.1%}{note(r)}")
    for encoding, static in (("gzip", "gzip_static"), ("br", "brotli_static")):
        if (f"{encoding}-nginx", 256) not in results:
            continue
        on_disk, on_write = results[(f"{encoding}-nginx", 256)], results[(f"{encoding}-app", 256)]
        print(f"{f'{encoding}: nginx {static} (export)':<44}{256:>6}{on_disk['rps']:>10.0f}{on_disk['p99']:>9.1f}")
        print(f"{f'{encoding}: app, precompressed on write':<44}{256:>6}{on_write['rps']:>10.0f}"
              f"{on_write['p99']:>9.1f}{on_write['rps'] / on_disk['rps']:>9.1%}")
    naive_r, cached_r = results[("naive", 8)], results[("cached", 8)]
    print(f"{'naive: the view runs on every request':<44}{8:>6}{naive_r['rps']:>10.1f}{naive_r['p99']:>9.1f}"
          f"{note(naive_r)}")
    print(f"{'render on write: bytes from the snapshot':<44}{8:>6}{cached_r['rps']:>10.0f}{cached_r['p99']:>9.1f}"
          f"{note(cached_r)}")

    print()
    print(f"{'status page':<27}{'CPU ms':>8}{'wall ms':>9}{'queries':>8}{'KB':>7}"
          "  render on write, every URL x language (uk, en)")
    for row in (small, big):
        print(f"{row['label']:<27}{row['cpu']:>8.0f}{row['ms']:>9.0f}{row['queries']:>8}{row['kb']:>7.0f}"
              f"  {row['all_n']} responses: {row['all_cpu']:.1f}s CPU, {row['all_s']:.1f}s wall, "
              f"{row['all_q']} queries")
    html_css_gz = weight["html_gz"] + weight["css_gz"]
    print()
    print(f"demo page weight: HTML {weight['html']} B + CSS {weight['css']} B raw; "
          f"gzip {weight['html_gz']} + {weight['css_gz']} = {html_css_gz / 1024:.1f} KB; "
          f"brotli {weight['html_br']} + {weight['css_br']} = {(weight['html_br'] + weight['css_br']) / 1024:.1f} KB")

    print()
    print(f"ratios (this run; load average {os.getloadavg()[0]:.1f} at the end):")
    for c in conns:
        r = results[("app", c)]["rps"] / results[("nginx", c)]["rps"]
        print(f"  app / nginx at {c} connections: {r:.1%} (goal >= 10%)")
    for c in conns:
        r = results[("export", c)]["rps"] / results[("nginx", c)]["rps"]
        print(f"  static export / nginx at {c} connections: {r:.1%} (goal >= 90%)")
    last = conns[-1]
    print(f"  app p99 at {last} connections: {results[('app', last)]['p99']:.1f} ms (goal < 100 ms)")
    print(f"  granian / gunicorn gthread at {last} connections: "
          f"{results[('app', last)]['rps'] / results[('gunicorn', last)]['rps']:.1f}x")
    print(f"  render on write / naive: {cached_r['rps'] / naive_r['rps']:.0f}x req/s")
    print(f"  demo HTML + CSS gzipped: {html_css_gz / 1024:.1f} KB (goal < 15 KB)")
    print(f"  200 / 20 components, render CPU: {big['cpu'] / small['cpu']:.1f}x, "
          f"queries {big['queries']} vs {small['queries']}")


if __name__ == "__main__":
    try:
        main()
    finally:
        if not os.environ.get("BENCH_VAR_DIR"):
            shutil.rmtree(VAR, ignore_errors=True)
