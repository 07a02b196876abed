"""The static export: the rendered public site written to a folder nginx or a CDN serves
(`manage.py render_public --export`, PUBLIC_EXPORT_DIR)."""

import functools
import gzip
import json
from pathlib import Path

import brotli
import httpx
import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from statuspage.public.render import render_all
from statuspage.services.incidents import do_open_incident
from tests.loopback import Loopback, Reply, Request
from tests.nginx import free_port, nginx

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_it_writes_every_page_feed_and_v2_endpoint_with_gzip_and_brotli(page, tmp_path):
    incident = do_open_incident(name="SMS delays")
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


APP_REPLIES: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}  # path → a response Django gave


def app(request: Request) -> Reply:
    """Stands in for the app behind nginx: says so, and what it was asked, with private
    headers as the admin and the APIs send them; or replays a response Django gave."""
    status, headers, body = APP_REPLIES.get(request.path) or (
        200, [("Cache-Control", "private, no-store"), ("X-Frame-Options", "DENY")],
        f"from the app: {request.path}".encode())
    return Reply(status, body, headers)


def django_reply(path: str, **headers) -> tuple[int, list[tuple[str, str]], bytes]:
    """What Django answers, to be replayed by the stand-in app."""
    response = Client(raise_request_exception=False).get(path, headers=headers)
    sent = [(h, v) for h, v in response.items() if h.lower() != "content-length"]
    sent += [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]
    return response.status_code, sent, response.content


def header_list(response: httpx.Response) -> list[tuple[str, str]]:
    """The headers of a response, less those nginx always sets itself."""
    own = {"server", "date", "connection", "keep-alive", "content-length", "transfer-encoding"}
    return sorted((h.lower(), v) for h, v in response.headers.multi_items() if h.lower() not in own)


@pytest.fixture
def nginx_on_export(page, tmp_path):
    """nginx with docs/performance.md's configuration (docs/nginx-static-export.conf) serving a fresh
    export, the stand-in app behind it; yields (base URL, export folder)."""
    do_open_incident(name="SMS delays")
    export = tmp_path / "public"
    call_command("render_public", "--export", str(export), stdout=open("/dev/null", "w"))
    APP_REPLIES.clear()
    port = free_port()
    modules = "".join(f"include {m};\n" for m in sorted(Path("/etc/nginx/modules-enabled").glob("*brotli*")))
    with Loopback(app) as stand_in:
        conf = (ROOT / "docs" / "nginx-static-export.conf").read_text()
        conf = (conf.replace("listen 80;", f"listen 127.0.0.1:{port};").replace("/srv/statuspage/public", str(export))
                .replace("127.0.0.1:8000", f"127.0.0.1:{stand_in.port}"))
        if not modules:
            conf = conf.replace("brotli_static on;", "")
        with nginx(conf, port, tmp_path, modules) as base:
            yield base, export


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

    for path in ("/?lang=ru", "/admin/", "/api/v1/incidents/", "/incidents/", "/api/v2/", "/history?page=2"):
        assert get(f"{base}{path}").text == f"from the app: {path}"  # not a folder of the export


def test_the_apps_responses_pass_through_nginx_with_the_apps_headers_only(nginx_on_export):
    base, _ = nginx_on_export
    get = functools.partial(httpx.get, trust_env=False, timeout=5)
    # The iframe snippet of docs/citizens.md: a query string, so the app answers it.
    APP_REPLIES["/embed?lang=uz-latn"] = django_reply("/embed?lang=uz-latn")
    APP_REPLIES["/admin/login/"] = django_reply("/admin/login/")

    embed = get(f"{base}/embed?lang=uz-latn")
    assert embed.content == APP_REPLIES["/embed?lang=uz-latn"][2]
    assert embed.headers.get("x-frame-options") is None  # frameable, as the app says
    [csp] = embed.headers.get_list("content-security-policy")
    assert policy(csp)["frame-ancestors"] == "*"
    assert header_list(embed) == sorted((h.lower(), v) for h, v in APP_REPLIES["/embed?lang=uz-latn"][1])
    login = get(f"{base}/admin/login/")
    assert header_list(login) == sorted((h.lower(), v) for h, v in APP_REPLIES["/admin/login/"][1])
    for path in ("/admin/login/", "/api/v1/incidents/", "/subscribe/confirm/a-token", "/history?page=2"):
        response = get(f"{base}{path}")
        assert "public" not in ",".join(response.headers.get_list("cache-control")), path
        assert "private" in response.headers["cache-control"], path
        assert len(response.headers.get_list("x-frame-options")) <= 1, path


STATIC = ["/", "/history", "/subscribe", "/embed", "/history.atom", "/history.rss", "/badge.svg",
          "/components/reserve-data/badge.svg", "/components/reserve-data/history.atom", "/api/v2/summary.json",
          "/api/v2/status.json", "/.well-known/statuspage.json"]


def policy(value: str | None) -> dict[str, str]:
    return dict((d.strip().split(" ", 1) + [""])[:2] for d in (value or "").split(";") if d.strip())


@pytest.mark.parametrize("lang", ["en", "uk"])
def test_nginx_serves_each_exported_file_with_the_headers_django_sends(nginx_on_export, lang):
    base, _ = nginx_on_export
    for path in STATIC:
        from_nginx = httpx.get(f"{base}{path}", headers={"Accept-Language": lang}, trust_env=False, timeout=5)
        from_django = Client().get(path, HTTP_ACCEPT_LANGUAGE=lang)
        assert not from_nginx.text.startswith("from the app"), path
        assert from_nginx.content == from_django.content, path
        for name in ("Content-Type", "Cache-Control", "X-Frame-Options", "X-Content-Type-Options",
                     "Referrer-Policy", "Cross-Origin-Opener-Policy", "Access-Control-Allow-Origin"):
            assert from_nginx.headers.get(name) == from_django.headers.get(name), (path, name)
        assert (policy(from_nginx.headers.get("content-security-policy"))
                == policy(from_django["Content-Security-Policy"])), path
        vary = {v.strip() for value in from_nginx.headers.get_list("vary") for v in value.split(",")}
        assert {"Accept-Language", "Cookie"} <= vary, path
        if not path.endswith(".json"):
            assert from_nginx.headers["content-language"] == from_django["Content-Language"], path


# Accept-Language as browsers and bots send it; either nginx picks what Django picks, or
# the app answers.
ACCEPT_LANGUAGES = ["uk-UA,uk;q=0.9,en-US;q=0.8", "en-US,en;q=0.9", "de-DE,de;q=0.9,ru;q=0.8", "de", "ru",
                    "en;q=0.1, uk", "uk;q=0.5, en;q=0.9", "*", "", "zz, uk", "ukx", "uk , en", "EN-gb",
                    "uz-Latn-UZ", "en-GB,en;q=0.9,uk;q=0.8", "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"]


def test_nginx_serves_the_language_django_would_pick_or_asks_the_app(nginx_on_export):
    base, export = nginx_on_export
    get = functools.partial(httpx.get, trust_env=False, timeout=5)

    for header in ACCEPT_LANGUAGES:
        answer = get(f"{base}/", headers={"Accept-Language": header})
        if answer.text.startswith("from the app"):
            continue
        django_picks = Client().get("/", HTTP_ACCEPT_LANGUAGE=header)["Content-Language"]
        expected = export / django_picks / "index.html"
        assert expected.is_file() and answer.content == expected.read_bytes(), (
            f"{header!r}: nginx served a file of its own choice, Django picks {django_picks}")

    # Django weighs the whole list (Russian here); nginx sees only the first tag: the app answers.
    assert get(f"{base}/", headers={"Accept-Language": "de-DE,de;q=0.9,ru;q=0.8"}).text == "from the app: /"
    assert get(f"{base}/history.atom", headers={"Accept-Language": "de"}).text == "from the app: /history.atom"
    assert get(f"{base}/", headers={"Accept-Language": "uk;q=0.5, en;q=0.9"}).text == "from the app: /"
    assert get(f"{base}/").content == (export / "en" / "index.html").read_bytes()  # no header: the default
    assert get(f"{base}/", headers={"Accept-Language": "de", "Cookie": "lang=uk"}).content == (
        export / "uk" / "index.html").read_bytes()  # the switch decides
    assert get(f"{base}/", headers={"Cookie": "lang=xx"}).text == "from the app: /"
    # The JSON is the same in every language: from the export whatever the reader speaks.
    assert get(f"{base}/api/v2/status.json", headers={"Accept-Language": "de"}).json()["status"]
