"""The page as citizens read it on a cheap phone (Chromium at 360×800 and 320 px), in
Ukrainian, Uzbek (Latin) and Russian: their script and zone, what is affected named in
the banner and the tab, the incident above the fold, help one tap away, untranslated
text marked, honest uptime, resolved incidents that look resolved, and no serious axe
violation on the pages they use."""

from __future__ import annotations

from datetime import timedelta

import pytest

from statuspage.models import Incident
from statuspage.services.incidents import do_open_incident, do_post_update
from tests.browser.axe import serious_violations
from tests.citizens import wrong_deferral_incident

pytestmark = pytest.mark.browser

# lang: (Accept-Language of a phone, html lang, banner words, untranslated note, subscribe legend words)
READERS = {
    "uk": ("uk-UA", "uk", "Резерв+: Дані військового обліку", "Доступно лише англійською", "Отримувати оновлення"),
    "uz-latn": ("uz-UZ", "uz-Latn", "Rezerv+: Harbiy hisob maʼlumotlari", "Faqat ingliz tilida mavjud",
                "Yangiliklarni olish"),
    "ru": ("ru-UZ", "ru", "Резерв+: Данные воинского учёта", "Доступно только на английском", "Получать обновления"),
}
PHONES = {"360": {"width": 360, "height": 800}, "320": {"width": 320, "height": 640}}


@pytest.fixture
def outage(site):
    """The wrong-deferral outage, an English-only update on it, and a resolved incident."""
    incident = wrong_deferral_incident()
    do_post_update(incident, status="identified", body="Engineers are rolling back the faulty release.")
    past = do_open_incident(name="SMS codes delayed", body="Codes arrive late.", components={})
    do_post_update(past, status="resolved", body="Delivered on time again.")
    Incident.objects.filter(pk=past.pk).update(resolved_at=past.started_at + timedelta(minutes=95))
    return incident, past


def phone(browser, lang: str, size: str, **extra):
    accept = READERS[lang][0]
    return browser.new_context(viewport=PHONES[size], locale=accept, is_mobile=True, has_touch=True, **extra)


@pytest.mark.parametrize("size", list(PHONES))
@pytest.mark.parametrize("lang", list(READERS))
def test_a_citizen_on_a_phone_sees_what_is_wrong_and_where_to_get_help(outage, site, browser, lang, size):
    incident, past = outage
    _accept, html_lang, affected, note, _legend = READERS[lang]
    context = phone(browser, lang, size)
    page = context.new_page()
    page.goto(site + "/")

    assert page.locator("html").get_attribute("lang") == html_lang  # uz-UZ reads Latin
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONES[size]["width"]
    assert affected in page.locator(".banner").inner_text()
    assert page.title().split(":")[0] == page.locator(".banner h1").inner_text().strip("✕ ").strip()
    title = page.locator(f"#incident-{incident.id} h3").bounding_box()
    if size == "360":  # the first open incident's title, without scrolling
        assert title["y"] + title["height"] <= 800, title
    for tap in page.locator(".trust a.tap").all():
        box = tap.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (tap.inner_text(), box)
    assert page.locator('.trust a[href="tel:1545"]').is_visible()
    assert page.locator(".bar-note").first.inner_text().count("%") == 0  # minutes of data: no percentage
    english = page.locator(f'#incident-{incident.id} .body[lang="en"]')
    assert english.count() == 1 and note in page.locator(f"#incident-{incident.id} .untranslated").inner_text()
    closed = page.locator(f"#incident-{past.id}")
    assert "1" in closed.locator(".lasted").inner_text()  # "1 h 35 min", in the reader's words
    stripe = closed.evaluate("e => getComputedStyle(e).borderLeftColor")
    assert stripe != page.locator(f"#incident-{incident.id}").evaluate("e => getComputedStyle(e).borderLeftColor")
    context.close()


@pytest.mark.parametrize("lang", list(READERS))
def test_times_are_in_the_readers_zone_with_the_zone_named(outage, site, browser, lang):
    incident, _past = outage
    context = phone(browser, lang, "360")
    page = context.new_page()
    page.goto(f"{site}/incidents/{incident.id}")

    shown = page.locator('time[datetime="2025-10-17T11:05:00Z"]').first.inner_text()
    context.close()
    # 11:05 UTC: 14:05 in Kyiv for a Ukrainian reader, 16:05 in Tashkent for readers in Uzbekistan.
    assert shown.endswith({"uk": "14:05 (Київ)", "uz-latn": "16:05 (Toshkent)", "ru": "16:05 (Ташкент)"}[lang])


@pytest.mark.parametrize("size", list(PHONES))
@pytest.mark.parametrize("lang", list(READERS))
def test_the_subscribe_page_is_for_citizens_and_developers_have_their_own(site, browser, lang, size):
    context = phone(browser, lang, size)
    page = context.new_page()
    page.goto(site + "/subscribe")

    assert READERS[lang][4] in page.locator("h1").inner_text()
    assert page.locator("iframe, pre, #wh-url").count() == 0
    assert page.locator("fieldset fieldset legend").all_inner_texts()[:2] == ["Rezerv+" if lang == "uz-latn"
                                                                              else "Резерв+", "OneID"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONES[size]["width"]
    page.locator("footer a[href='/developers']").click()
    assert page.url.endswith("/developers") and page.locator("#wh-format").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONES[size]["width"]
    assert "Atlassian Statuspage" in page.locator("#wh-format option[value=statuspage]").inner_text()
    assert page.locator("#wh-format option[value=statuspage]").inner_text() != "Atlassian Statuspage"
    context.close()


def test_the_language_switch_names_both_uzbek_scripts_in_their_own_script(site, browser):
    context = phone(browser, "uk", "360")
    page = context.new_page()
    page.goto(site + "/")

    names = page.locator(".langs a").all_inner_texts()
    context.close()
    assert "Ўзбекча (кирилл)" in names and "Oʻzbekcha (lotin)" in names


@pytest.mark.parametrize("lang", list(READERS))
@pytest.mark.parametrize("path", ["/", "/incidents/{id}", "/subscribe", "/developers"])
def test_axe_finds_no_serious_violation_on_a_phone(outage, site, browser, axe_source, lang, path):
    incident, _past = outage
    serious = []
    for scheme in ("light", "dark"):
        context = phone(browser, lang, "360", color_scheme=scheme, bypass_csp=True)
        page = context.new_page()
        page.goto(site + path.format(id=incident.id))
        serious += [(scheme, *v) for v in serious_violations(page, axe_source)]
        context.close()

    assert serious == []


@pytest.mark.parametrize("lang", list(READERS))
def test_the_confirmation_link_opens_in_the_language_the_citizen_chose(site, browser, lang):
    """The email may be opened on another device, whose browser speaks English."""
    from django.core import mail

    context = phone(browser, lang, "320")
    page = context.new_page()
    page.goto(site + "/subscribe")
    page.locator("#sub-email").fill("citizen@example.org")
    page.locator("form.sub button[type=submit]").click()
    context.close()
    link = next(w for w in mail.outbox[-1].body.split() if "/subscribe/confirm/" in w)

    other = browser.new_context(viewport=PHONES["360"], locale="en-US", is_mobile=True)
    page = other.new_page()
    page.goto(site + link[link.index("/subscribe/confirm/"):])
    html_lang = page.locator("html").get_attribute("lang")
    page.locator("main form button").click()
    done_lang = page.locator("html").get_attribute("lang")
    footer = page.locator("footer").inner_text()
    other.close()

    assert html_lang == done_lang == READERS[lang][1]
    assert "UTC" not in footer.split("·")[0]  # the zone in use is the reader's, not UTC
