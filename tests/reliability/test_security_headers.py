"""Every response carries the security headers, whichever door serves it; `check --deploy`
is clean with production settings."""

import os
import secrets
import subprocess
import sys

import pytest
from django.test import Client, override_settings

from statuspage.public.render import render_all
from statuspage.services.incidents import do_open_incident
from tests.processes import ROOT
from tests.test_render_on_write import PAGES, V2, wsgi_get

pytestmark = pytest.mark.django_db

PUBLIC = [*PAGES, *V2, "/incidents/{id}", "/subscribe", "/badge.svg", "/components/reserve-data/badge.svg",
          "/.well-known/statuspage.json", "/healthz", "/no-such-page"]
OTHERS = ["/admin/login/", "/api/v1/incidents/", "/api/schema/", "/api/docs/", "/api/docs/?script=", "/metrics",
          "/subscribe/confirm/not-a-token"]


@pytest.fixture
def incident(page):
    return do_open_incident(name="Login fails", body="We are looking into it.")


def assert_hardened(response_headers: dict, url: str, framing: str = "'none'") -> None:
    headers = {name.lower(): value for name, value in response_headers.items()}
    csp = headers.get("content-security-policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert csp, f"{url}: no Content-Security-Policy"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, f"{url}: {csp}"
    assert directives.get("frame-ancestors") == framing, f"{url}: {csp}"
    assert directives.get("script-src") == "'self'" and directives.get("object-src") == "'none'", f"{url}: {csp}"
    assert headers.get("x-content-type-options") == "nosniff", url
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", url


@pytest.mark.parametrize("url", PUBLIC + OTHERS)
def test_django_sends_the_security_headers(incident, url):
    response = Client(raise_request_exception=False).get(url.format(id=incident.pk))

    assert response.status_code < 500, url
    assert_hardened(response.headers, url)


def test_the_snapshot_front_door_sends_them_too(incident):
    render_all()

    for url in PUBLIC:
        status, headers, _ = wsgi_get(url.format(id=incident.pk))
        assert status < 500, url
        assert_hardened(headers, url)


def test_the_embed_may_be_framed_by_any_site_and_nothing_else_may(incident):
    render_all()

    assert_hardened(Client().get("/embed").headers, "/embed", framing="*")
    assert_hardened(wsgi_get("/embed")[1], "/embed (front door)", framing="*")
    assert Client().get("/").headers["X-Frame-Options"] == "DENY"


@override_settings(SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_hsts_is_sent_over_https_when_the_setting_is_on(incident):
    render_all()
    expected = "max-age=31536000; includeSubDomains"

    assert Client().get("/", secure=True)["Strict-Transport-Security"] == expected
    assert Client().get("/admin/login/", secure=True)["Strict-Transport-Security"] == expected
    assert wsgi_get("/api/v2/status.json", app=https(wsgi_get))[1]["Strict-Transport-Security"] == expected
    assert "Strict-Transport-Security" not in Client().get("/")  # never over plain HTTP


def test_no_hsts_by_default(incident):
    assert "Strict-Transport-Security" not in Client().get("/", secure=True)


def https(_):
    from statuspage.wsgi import application

    def app(environ, start_response):
        return application({**environ, "wsgi.url_scheme": "https", "SERVER_PORT": "443"}, start_response)

    return app


PRODUCTION = {
    "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "status.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://status.example.org", "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1", "SECURE_HSTS_PRELOAD": "1", "SECURE_SSL_REDIRECT": "1",
    "SECURE_COOKIES": "1", "BEHIND_TLS_PROXY": "1",
}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG"))}
    env.update(PRODUCTION, STATUSPAGE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="statuspage.settings")

    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_names_what_a_laptop_default_would_leave_open(tmp_path):
    """Without the production variables the same check fails, naming them: it is not vacuous."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG", "SECRET_KEY"))}
    env.update(STATUSPAGE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="statuspage.settings")

    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in done.stderr + done.stdout, check
