"""Drills: `manage.py drill MODE` and the admin's button switch the demo target."""

from io import StringIO

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from demo_target.server import start_in_thread
from statuspage.models import AuditLog

pytestmark = pytest.mark.django_db

PROBES = "/admin/probes/probe/"


@pytest.fixture
def target(settings):
    server, base = start_in_thread()
    settings.DEMO_TARGET_URL = base
    yield base
    server.stop()


def mode(base: str) -> str:
    return httpx.get(f"{base}/_drill", trust_env=False).json()["mode"]


def test_the_command_switches_the_target_and_says_what_to_expect(target):
    out = StringIO()

    call_command("drill", "wrong_deferral", stdout=out)

    assert mode(target) == "wrong_deferral"
    assert "ok → wrong_deferral" in out.getvalue() and "should fail with assertion" in out.getvalue()
    call_command("drill", "--status", stdout=out)
    assert "is in mode wrong_deferral" in out.getvalue()


def test_the_command_says_plainly_when_no_target_answers(settings):
    settings.DEMO_TARGET_URL = "http://127.0.0.1:9"

    with pytest.raises(CommandError, match="demo target not reachable at http://127.0.0.1:9"):
        call_command("drill", "ok")


def test_on_call_switches_it_from_the_probes_page_and_it_is_audited(page, target, oncall_user):
    console = Client()
    console.force_login(oncall_user)
    assert 'name="mode"' in console.get(PROBES).content.decode()

    response = console.post(f"{PROBES}drill/", {"mode": "login_down"}, follow=True)

    assert mode(target) == "login_down"
    assert "ok → login_down" in response.content.decode()
    entry = AuditLog.objects.get(action="drill")
    assert entry.actor == oncall_user and "login_down" in entry.summary


def test_the_button_refuses_anyone_not_on_call(page, target, outsider):
    stranger = Client()
    stranger.force_login(outsider)

    assert stranger.post(f"{PROBES}drill/", {"mode": "login_down"}).status_code in (302, 403)
    assert mode(target) == "ok"
    assert not AuditLog.objects.filter(action="drill").exists()


def test_the_button_refuses_a_mode_it_does_not_know(page, target, oncall_user):
    console = Client()
    console.force_login(oncall_user)

    response = console.post(f"{PROBES}drill/", {"mode": "<script>"}, follow=True)

    assert "Unknown drill mode" in response.content.decode() and "<script>" not in response.content.decode()
    assert mode(target) == "ok"
