"""Each reader gets times in their own zone: by `?tz=` (kept in a cookie), by the page's
`time_zones` for their language and region, by the built-in homes, else the page's."""

import pytest
from django.test import Client

from statuspage.config.schema import validate
from statuspage.models import PageSettings
from tests.citizens import apply_demo_config, wrong_deferral_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(db):
    apply_demo_config()
    return wrong_deferral_incident()  # 11:05 UTC: 14:05 in Kyiv, 16:05 in Tashkent


def time_shown(client, url, **headers) -> str:
    html = client.get(url, **headers).content.decode()
    start = html.index('<time datetime="2025-10-17T11:05:00Z">') + len('<time datetime="2025-10-17T11:05:00Z">')
    return html[start:html.index("</time>", start)]


def test_a_russian_reader_in_uzbekistan_gets_tashkent_time(incident):
    shown = time_shown(Client(), f"/incidents/{incident.id}", HTTP_ACCEPT_LANGUAGE="ru-UZ,ru;q=0.9")

    assert shown == "17 октября 2025, 16:05 (Ташкент)"


def test_a_russian_reader_in_ukraine_keeps_kyiv_time(incident):
    shown = time_shown(Client(), f"/incidents/{incident.id}", HTTP_ACCEPT_LANGUAGE="ru-UA,ru;q=0.9")

    assert shown == "17 октября 2025, 14:05 (Киев)"


def test_the_page_config_gives_a_zone_per_language_and_region(incident):
    PageSettings.objects.update(time_zones={"ru-KZ": "Asia/Almaty", "en": "UTC"})

    kz = time_shown(Client(), f"/incidents/{incident.id}", HTTP_ACCEPT_LANGUAGE="ru-KZ")
    en = time_shown(Client(), f"/incidents/{incident.id}", HTTP_ACCEPT_LANGUAGE="en-GB")

    assert kz == "17 октября 2025, 16:05 (UTC+05:00)"
    assert en == "17 Oct 2025, 11:05 (UTC)"


def test_the_readers_own_choice_wins_and_a_cookie_keeps_it(incident):
    client = Client()

    chosen = client.get(f"/incidents/{incident.id}?tz=UTC", HTTP_ACCEPT_LANGUAGE="ru-UZ")
    later = time_shown(client, "/", HTTP_ACCEPT_LANGUAGE="ru-UZ")

    assert chosen.cookies["tz"].value == "UTC"
    assert later == "17 октября 2025, 11:05 (UTC)"


def test_snapshots_keep_readers_in_different_zones_apart(incident):
    kyiv = time_shown(Client(), "/", HTTP_ACCEPT_LANGUAGE="ru-UA")
    tashkent = time_shown(Client(), "/", HTTP_ACCEPT_LANGUAGE="ru-UZ")
    plain = time_shown(Client(), "/", HTTP_ACCEPT_LANGUAGE="ru")

    assert (kyiv, tashkent, plain) == ("17 октября 2025, 14:05 (Киев)", "17 октября 2025, 16:05 (Ташкент)",
                                       "17 октября 2025, 14:05 (Киев)")


@pytest.mark.parametrize("zones, path", [
    ({"ru-UZ": "Mars/Olympus"}, "page.time_zones.ru-UZ"),
    ({"klingon": "UTC"}, "page.time_zones.klingon"),
    (["UTC"], "page.time_zones"),
])
def test_a_wrong_time_zones_entry_is_refused_with_its_path(zones, path):
    _config, errors = validate({"page": {"name": "x", "time_zones": zones}})

    assert path in [where for where, _ in errors]


def test_a_config_with_time_zones_is_applied(db):
    from statuspage.config.apply import apply_config

    config, errors = validate({"page": {"name": "x", "time_zones": {"uz": "Asia/Tashkent", "ru-UZ": "Asia/Tashkent"}}})
    apply_config(config)

    assert errors == []
    assert PageSettings.load().time_zones == {"uz": "Asia/Tashkent", "ru-UZ": "Asia/Tashkent"}


def test_the_model_refuses_a_wrong_zone_as_the_config_does(db):
    from django.core.exceptions import ValidationError

    page = PageSettings.load()
    page.time_zones = {"ru-UZ": "Asia/Tashkent", "UZ": "Mars/Olympus"}

    with pytest.raises(ValidationError, match="UZ: unknown time zone 'Mars/Olympus'"):
        page.full_clean()


def test_a_zone_that_is_no_longer_known_falls_back_instead_of_failing(incident):
    PageSettings.objects.update(time_zones={"ru": "Gone/Away"})  # written around the validator

    shown = time_shown(Client(), f"/incidents/{incident.id}", HTTP_ACCEPT_LANGUAGE="ru")

    assert shown == "17 октября 2025, 14:05 (Киев)"


def test_the_page_config_wins_over_the_built_in_homes(incident):
    PageSettings.objects.update(time_zones={"ru": "UTC"})

    shown = time_shown(Client(), f"/incidents/{incident.id}", HTTP_ACCEPT_LANGUAGE="ru-UA")

    assert shown == "17 октября 2025, 11:05 (UTC)"
