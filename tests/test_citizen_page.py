"""What a frightened citizen reads on the page: what is affected, in the tab's title too;
help one tap away; texts not in their language marked as such; resolved incidents that
look resolved and say how long they lasted; a subscribe page for citizens only."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from statuspage.models import Incident, PageSettings
from statuspage.services.changes import public_changed
from statuspage.services.incidents import do_open_incident, do_post_update
from tests.citizens import apply_demo_config, wrong_deferral_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    apply_demo_config()


def page_in(lang: str, path: str = "/") -> str:
    return Client().get(path, HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_the_banner_names_the_service_and_what_is_wrong(demo):
    wrong_deferral_incident()

    html = page_in("uk")

    banner = re.search(r'<div class="banner.*?</div>', html, re.S).group(0)
    assert "Резерв+: Дані військового обліку — не працює" in banner


def test_the_tabs_title_carries_the_status_and_the_incident(demo):
    assert page_in("ru").split("<title>")[1].startswith("Все системы работают — ")

    wrong_deferral_incident()

    assert page_in("ru").split("<title>")[1].startswith("Серьёзный сбой системы: Показывается неверный статус")


def test_a_phone_number_is_a_tel_link_and_a_site_link_says_what_it_is(demo):
    html = page_in("uk")

    assert '<a class="tap" href="tel:1545">Зателефонувати 1545</a>' in html
    assert '<a class="tap" href="tel:+998710000000">Зателефонувати +998 71 000 00 00</a>' in html
    assert '<a class="tap" href="https://example.org/support" rel="noopener">Сайт: example.org/support</a>' in html


def test_an_update_written_only_in_ukrainian_is_marked_for_an_uzbek_reader(demo):
    PageSettings.objects.update(text_language="uk")
    incident = do_open_incident(name="Збій входу", body="Не вдається увійти.", components={})

    uz = page_in("uz-UZ", f"/incidents/{incident.id}")
    uk = page_in("uk", f"/incidents/{incident.id}")

    assert '<div class="body" lang="uk"><p>Не вдається увійти.</p>' in uz
    assert '<p class="untranslated">Faqat ukrain tilida mavjud</p>' in uz
    assert '<h1 lang="uk">Збій входу</h1>' in uz
    assert 'class="untranslated"' not in uk and '<div class="body"><p>' in uk


def test_a_translated_update_carries_no_note(demo):
    incident = wrong_deferral_incident()

    html = page_in("ru", f"/incidents/{incident.id}")

    assert 'class="untranslated"' not in html


def test_a_resolved_incident_looks_resolved_and_says_how_long_it_lasted(demo):
    incident = wrong_deferral_incident()
    do_post_update(incident, status="resolved", body="Fixed.")
    Incident.objects.filter(pk=incident.pk).update(resolved_at=incident.started_at + timedelta(hours=2, minutes=5))

    html = page_in("uk", f"/incidents/{incident.id}")

    assert f'class="incident impact-{incident.impact} closed"' in html
    assert "Вирішено · Тривало 2 год 5 хв" in html
    Incident.objects.filter(pk=incident.pk).update(resolved_at=incident.started_at + timedelta(days=1, hours=3))
    public_changed()  # an update() behind the models' back: the snapshots must hear of it
    assert "Тривало 1 дн 3 год" in page_in("uk", f"/incidents/{incident.id}")
    Incident.objects.filter(pk=incident.pk).update(resolved_at=incident.started_at + timedelta(hours=2))
    public_changed()
    assert "Длилось 2 ч</p>" in page_in("ru", f"/incidents/{incident.id}")


def test_the_subscribe_page_groups_services_and_leaves_developer_material_out(demo):
    html = page_in("uk", "/subscribe")

    legends = re.findall(r"<legend>([^<]+)</legend>", html)
    assert "Резерв+" in legends and "OneID" in legends
    assert "iframe" not in html and "badge.svg" not in html and "/subscribe/webhook" not in html
    assert '<a href="/developers">Для розробників</a>' in html


def test_the_developers_page_has_webhooks_badges_and_translated_formats(demo):
    html = page_in("ru", "/developers")

    assert 'action="/subscribe/webhook"' in html and "badge.svg" in html and "iframe" in html
    assert '<option value="standard">Standard Webhooks (с подписью; рекомендуется)</option>' in html
    assert ('<option value="statuspage">Формат Atlassian Statuspage (для инструментов, созданных под него)</option>'
            in html)
