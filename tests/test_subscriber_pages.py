"""What a subscriber reads after the form: emails that always link back, and pages in the
language they chose and the page's time zone, whatever their browser says."""

import pytest
from django.core import mail
from django.test import Client

from statuspage.models import PageSettings

pytestmark = pytest.mark.django_db


def confirm_path(message) -> str:
    link = next(w for w in message.body.split() if "/subscribe/confirm/" in w)
    return link[link.index("/subscribe/confirm/"):]


def test_an_email_links_back_to_the_instance_when_the_config_has_no_url(page, settings):
    settings.PUBLIC_BASE_URL = "http://status.test:8000"
    PageSettings.objects.update(url="")

    Client().post("/subscribe/email", {"email": "citizen@example.org"}, HTTP_ACCEPT_LANGUAGE="uk")
    message = mail.outbox[0]

    assert "Перевірте це повідомлення тут: http://status.test:8000/" in message.body
    assert 'href=""' not in message.alternatives[0][0]
    assert '<a href="http://status.test:8000/">' in message.alternatives[0][0]


def test_the_confirmation_page_speaks_the_language_the_subscriber_chose(page):
    Client().post("/subscribe/email", {"email": "citizen@example.org"}, HTTP_ACCEPT_LANGUAGE="uk")
    path = confirm_path(mail.outbox[0])

    shown = Client().get(path, HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    done = Client().post(path, HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()

    assert '<html lang="uk">' in shown and "Підтвердити</button>" in shown
    assert '<html lang="uk">' in done and "Ви підписалися" in done


def test_subscriber_pages_show_the_readers_time_zone_not_utc(page):
    PageSettings.objects.update(time_zone="Europe/Kyiv")
    Client().post("/subscribe/email", {"email": "citizen@example.org"}, HTTP_ACCEPT_LANGUAGE="uk")

    done = Client().post(confirm_path(mail.outbox[0])).content.decode()

    assert "Часовий пояс: <strong>Київ</strong>" in done
