"""Subscribers' email over real SMTP: one connection per batch, settings from the environment."""

import json
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from statuspage.models import Delivery, EmailSubscriber
from statuspage.notify.smtp import send_batch
from statuspage.services.incidents import do_open_incident
from tests.processes import ROOT
from tests.smtp_server import SmtpServer
from tests.test_subscribers import deliver_all

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = SMTP, "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def citizens(n: int) -> None:
    EmailSubscriber.objects.bulk_create([EmailSubscriber(email=f"citizen{i}@example.org", confirmed_at=timezone.now())
                                         for i in range(n)])


@pytest.mark.django_db
def test_a_batch_of_emails_goes_over_one_smtp_connection(page, settings):
    citizens(5)
    with SmtpServer() as smtp:
        use_smtp(settings, smtp.port)
        do_open_incident(name="Sign-in fails")
        deliver_all()

    assert (smtp.connections, len(smtp.messages)) == (1, 5)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.django_db
def test_a_mail_server_gone_mid_batch_fails_the_rest_at_once_for_a_retry(page, settings):
    citizens(5)
    with SmtpServer(drop_after=2) as smtp:
        use_smtp(settings, smtp.port)
        do_open_incident(name="Sign-in fails")
        deliver_all()

    assert (smtp.connections, len(smtp.messages)) == (1, 2)  # no new connection per message
    pending = Delivery.objects.filter(status="pending")
    assert Delivery.objects.filter(status="delivered").count() == 2 and pending.count() == 3
    assert sum("connection to the mail server was lost" in d.last_error for d in pending) == 2

    with SmtpServer() as smtp:  # back: the retries go out
        use_smtp(settings, smtp.port)
        Delivery.objects.update(next_attempt_at=timezone.now())
        deliver_all()
    assert (smtp.connections, len(smtp.messages)) == (1, 3)
    assert Delivery.objects.filter(status="delivered").count() == 5


@pytest.mark.django_db
def test_a_mail_server_that_is_down_leaves_the_emails_to_retry(page, settings):
    citizens(2)
    with SmtpServer() as smtp:
        port = smtp.port
    use_smtp(settings, port)  # nothing listens there any more
    do_open_incident(name="Sign-in fails")
    deliver_all()

    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    assert all(d.last_error.startswith("email: ") for d in Delivery.objects.all())


def test_a_batch_stops_sending_once_past_its_deadline(settings):
    from django.core.mail import EmailMessage

    with SmtpServer() as smtp:
        use_smtp(settings, smtp.port)
        outcomes = send_batch([EmailMessage("s", "b", "a@example.org", ["b@example.org"])] * 2,
                              deadline=time.monotonic() - 1)

    assert smtp.messages == []
    assert [o.error for o in outcomes] == ["email: not sent, the batch ran out of time"] * 2


def settings_in_a_process(tmp_path, **env) -> subprocess.CompletedProcess:
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps("
            "[s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL,"
            " s.EMAIL_TIMEOUT, s.DEFAULT_FROM_EMAIL]))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={
        "PATH": "/usr/bin:/bin", "STATUSPAGE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        **env})


@pytest.mark.pure
def test_smtp_settings_are_read_from_the_environment(tmp_path):
    (tmp_path / "smtp-password").write_text("s3cret\n")

    done = settings_in_a_process(tmp_path, EMAIL_HOST="smtp.example.org", EMAIL_PORT="587",
                                 EMAIL_HOST_USER="status", EMAIL_HOST_PASSWORD_FILE=str(tmp_path / "smtp-password"),
                                 EMAIL_USE_TLS="1", EMAIL_TIMEOUT="2.5", DEFAULT_FROM_EMAIL="status@example.org")
    defaults = settings_in_a_process(tmp_path)

    assert json.loads(done.stdout) == ["smtp.example.org", 587, "status", "s3cret", True, False, 2.5,
                                       "status@example.org"]
    assert json.loads(defaults.stdout) == ["localhost", 25, "", "", False, False, 10.0, "status@localhost"]


@pytest.mark.pure
@pytest.mark.parametrize("env, message", [
    ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT='smtp' is not an integer"),
    ({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive"),
])
def test_a_malformed_smtp_setting_stops_the_process(tmp_path, env, message):
    done = settings_in_a_process(tmp_path, **env)

    assert done.returncode != 0 and message in done.stderr
