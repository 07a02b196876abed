"""The static export: the rendered public site written to a folder nginx or a CDN serves
(`manage.py render_public --export`, PUBLIC_EXPORT_DIR)."""

import functools
import gzip
import json
import os
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

import brotli
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from statuspage.models import Incident
from statuspage.render import render_all
from tests.processes import wait_for
from tests.reliability.faults import free_port

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_it_writes_every_page_feed_and_v2_endpoint_with_gzip_and_brotli(page, tmp_path):
    incident = Incident.open_new(name="SMS delays")
    export = tmp_path / "public"

    call_command("render_public", "--export", str(export), stdout=open("/dev/null", "w"))

    for lang in ("uk", "en"):
        for name in ("index.html", "history.html", "history.rss", "history.atom", f"incidents/{incident.id}.html",
                     "components/reserve-data/history.atom", "subscribe.html"):
            assert (export / lang / name).is_file(), f"{lang}/{name}"
    assert '<html lang="uk"' in (export / "uk" / "index.html").read_text()
    summary = export / "api" / "v2" / "summary.json"
    assert json.loads(summary.read_bytes())["incidents"][0]["name"] == "SMS delays"
    assert gzip.decompress((export / "api/v2/summary.json.gz").read_bytes()) == summary.read_bytes()
    assert brotli.decompress((export / "en/index.html.br").read_bytes()) == (export / "en/index.html").read_bytes()


def test_it_swaps_a_symlink_to_a_complete_folder_and_keeps_one_previous(page, tmp_path):
    export = tmp_path / "public"

    for _ in range(3):
        render_all(export_dir=export)

    assert export.is_symlink() and (export / "en" / "index.html").is_file()
    assert len(list((tmp_path / ".public.snapshots").iterdir())) == 2


def test_every_render_exports_when_the_setting_names_a_folder(page, tmp_path):
    with override_settings(PUBLIC_EXPORT_DIR=str(tmp_path / "site")):
        render_all()

    assert (tmp_path / "site" / "en" / "index.html").is_file()


def test_it_refuses_to_replace_a_real_folder(page, tmp_path):
    (tmp_path / "public").mkdir()

    with pytest.raises(CommandError, match="not a symlink"):
        call_command("render_public", "--export", str(tmp_path / "public"))


class App(BaseHTTPRequestHandler):
    """Stands in for the app behind nginx: says so, and what it was asked."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = f"from the app: {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def nginx_on_export(page, tmp_path):
    """nginx with the README's configuration (docs/nginx-static-export.conf) serving a fresh
    export, the stand-in app behind it; yields (base URL, export folder)."""
    if not shutil.which("nginx"):
        pytest.fail("nginx is not installed: `apt-get install -y nginx` (.ci/run does it)", pytrace=False)
    Incident.open_new(name="SMS delays")
    export = tmp_path / "public"
    call_command("render_public", "--export", str(export), stdout=open("/dev/null", "w"))
    app = ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    port = free_port()
    conf = (ROOT / "docs" / "nginx-static-export.conf").read_text()
    conf = (conf.replace("listen 80;", f"listen 127.0.0.1:{port};").replace("/srv/statuspage/public", str(export))
            .replace("127.0.0.1:8000", f"127.0.0.1:{app.server_port}"))
    modules = "".join(f"include {m};\n" for m in sorted(Path("/etc/nginx/modules-enabled").glob("*brotli*")))
    if not modules:
        conf = conf.replace("brotli_static on;", "")
    user = "user root;\n" if os.geteuid() == 0 else ""  # its workers read the test's private tmp folder
    (tmp_path / "nginx.conf").write_text(
        f"{modules}{user}daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ include /etc/nginx/mime.types; access_log off;\n"
        f"client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path}; fastcgi_temp_path {tmp_path};\n"
        f"uwsgi_temp_path {tmp_path}; scgi_temp_path {tmp_path};\n{conf}\n}}\n")
    nginx = subprocess.Popen(["nginx", "-c", str(tmp_path / "nginx.conf")], stderr=subprocess.PIPE)
    try:
        wait_for(lambda: nginx.poll() is not None or _listening(port), timeout=10, what="nginx")
        assert nginx.poll() is None, nginx.stderr.read().decode()
        yield f"http://127.0.0.1:{port}", export
    finally:
        nginx.terminate()
        nginx.wait(10)
        app.shutdown()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_nginx_serves_the_export_in_the_readers_language_and_sends_the_rest_to_the_app(nginx_on_export):
    base, export = nginx_on_export
    get = functools.partial(httpx.get, trust_env=False, timeout=5)

    ukrainian = get(f"{base}/", headers={"Accept-Language": "uk-UA,uk;q=0.9"})
    assert ukrainian.content == (export / "uk" / "index.html").read_bytes()
    assert ukrainian.headers["cache-control"].startswith("public, max-age=")
    assert "frame-ancestors 'none'" in ukrainian.headers["content-security-policy"]
    chosen = get(f"{base}/", headers={"Accept-Language": "uk", "Cookie": "lang=en"})  # the switch wins
    assert chosen.content == (export / "en" / "index.html").read_bytes()
    assert get(f"{base}/history.atom").content == (export / "en" / "history.atom").read_bytes()
    assert get(f"{base}/api/v2/summary.json").json()["incidents"][0]["name"] == "SMS delays"
    compressed = get(f"{base}/", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"  # the .gz written on render, not gzipped again

    for path in ("/?lang=ru", "/admin/", "/api/v1/incidents/"):
        assert get(f"{base}{path}").text == f"from the app: {path}"
