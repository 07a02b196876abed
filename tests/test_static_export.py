"""The static export: the rendered public site written to a folder nginx or a CDN serves
(`manage.py render_public --export`, PUBLIC_EXPORT_DIR)."""

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import brotli
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from statuspage.models import Incident
from statuspage.render import render_all

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


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed")
def test_the_example_nginx_configuration_is_valid(tmp_path):
    conf = (ROOT / "docs" / "nginx-static-export.conf").read_text()
    modules = "".join(f"include {m};\n" for m in sorted(Path("/etc/nginx/modules-enabled").glob("*brotli*")))
    if not modules:
        conf = conf.replace("brotli_static on;", "")
    (tmp_path / "nginx.conf").write_text(
        f"{modules}pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ include /etc/nginx/mime.types; access_log off;\n"
        f"client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path}; fastcgi_temp_path {tmp_path};\n"
        f"uwsgi_temp_path {tmp_path}; scgi_temp_path {tmp_path};\n{conf}\n}}\n")

    result = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
