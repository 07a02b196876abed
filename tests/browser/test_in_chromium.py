"""The public page in a real browser: languages, subscribing, permalinks, keyboard, axe."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from statuspage.models import EmailSubscriber
from tests.browser.axe import serious_violations
from tests.citizens import wrong_deferral_incident

pytestmark = pytest.mark.browser

BANNERS = {
    "uk": ("uk", "Усі системи працюють", "Історія"),
    "uz": ("uz-Cyrl", "Барча тизимлар ишламоқда", "Тарих"),
    "uz-latn": ("uz-Latn", "Barcha tizimlar ishlamoqda", "Tarix"),
    "ru": ("ru", "Все системы работают", "История"),
    "en": ("en", "All Systems Operational", "History"),
}


@pytest.mark.parametrize("lang", list(BANNERS))
def test_a_visitor_switches_language_with_a_link_and_it_stays(site, tab, lang):
    html_lang, banner, history = BANNERS[lang]
    tab.goto(site + "/")

    tab.get_by_role("navigation", name=re.compile(".")).locator(f'a[href="?lang={lang}"]').click()
    tab.get_by_role("link", name=history, exact=True).first.click()

    assert tab.url.endswith("/history")
    assert tab.locator("html").get_attribute("lang") == html_lang
    tab.go_back()
    assert tab.locator("h1").inner_text().endswith(banner)


def test_the_first_visit_follows_the_browsers_language(site, browser):
    context = browser.new_context(locale="uz-Latn-UZ")
    page = context.new_page()

    page.goto(site + "/")

    assert page.locator("html").get_attribute("lang") == "uz-Latn"
    assert "Rasmiy yordam kanallari" in page.locator(".trust").inner_text()
    context.close()


def test_subscribing_by_email_in_ukrainian(site, tab):
    tab.goto(site + "/subscribe?lang=uk")

    tab.get_by_label("Електронна пошта", exact=True).fill("citizen@example.org")
    tab.get_by_label("Дані військового обліку").check()
    tab.get_by_role("button", name="Підписатися").click()

    assert "Перевірте пошту" in tab.get_by_role("status").inner_text()
    subscriber = EmailSubscriber.objects.get(email="citizen@example.org")
    assert subscriber.language == "uk"
    assert [c.key for c in subscriber.components.all()] == ["reserve-data"]
    assert len(mail.outbox) == 1 and "1545" in mail.outbox[0].body  # the official channels


def test_the_feed_link_on_the_subscribe_page_gives_a_feed_in_that_language(site, tab):
    tab.goto(site + "/subscribe?lang=ru")

    href = tab.get_by_role("link", name="Atom").first.get_attribute("href")
    feed = tab.request.get(site + href).text()

    assert href == "/history.atom?lang=ru"
    assert "<title>Резерв+ · OneID — статус сервисов — история</title>" in feed


def test_the_incident_permalink_from_the_page(site, tab):
    incident = wrong_deferral_incident()
    tab.goto(site + "/?lang=uk")

    tab.get_by_role("link", name="Показується хибний статус відстрочки").first.click()

    assert tab.url == f"{site}/incidents/{incident.id}"
    assert tab.locator("h1").inner_text() == "Показується хибний статус відстрочки"
    assert tab.locator("time").first.inner_text() == "17 жовтня 2025, 14:05 (Київ)"
    assert "Серйозний збій системи" not in tab.content()  # the permalink is about the incident
    update = tab.locator("li[id^=update-]").first.get_attribute("id")
    tab.goto(f"{site}/incidents/{incident.id}#{update}")
    assert tab.locator(f"#{update}").is_visible()


def test_a_keyboard_only_walk(site, tab):
    wrong_deferral_incident()
    tab.goto(site + "/?lang=uz-latn")

    tab.keyboard.press("Tab")
    skip = tab.evaluate("document.activeElement.textContent")
    box = tab.evaluate("(() => { const r = document.activeElement.getBoundingClientRect();"
                       " return [r.left, r.top, r.width, r.height]; })()")
    tab.keyboard.press("Enter")
    assert skip == "Asosiy qismga oʻtish"
    assert box[0] >= 0 and box[1] >= 0 and box[2] > 0  # shown on screen when focused
    assert tab.evaluate("document.activeElement.id") == "main"

    seen = []
    for _ in range(60):
        tab.keyboard.press("Tab")
        focused = tab.evaluate("""(() => { const e = document.activeElement;
            const s = getComputedStyle(e);
            return [e.tagName, e.textContent.trim(), s.outlineStyle, parseFloat(s.outlineWidth)]; })()""")
        if focused[0] == "BODY":
            break
        seen.append(focused)
    names = [text for _, text, _, _ in seen]
    assert "Notoʻgʻri kechiktirish holati koʻrsatilmoqda" in names  # the incident, from main onwards
    assert "Nosozliklar tarixi →" in names
    assert all(style != "none" and width >= 2 for _, _, style, width in seen), seen  # a visible focus ring


@pytest.mark.parametrize("path", ["/", "/incidents/{id}", "/history", "/subscribe", "/embed", "/no-such-page"])
def test_axe_finds_no_serious_violation_in_light_or_dark_mode(site, browser, axe_source, path):
    incident = wrong_deferral_incident()
    serious = []
    for scheme in ("light", "dark"):
        # bypass_csp: axe is injected as a script, which the page's CSP (rightly) forbids.
        context = browser.new_context(color_scheme=scheme, bypass_csp=True, locale="uk-UA")
        page = context.new_page()
        page.goto(site + path.format(id=incident.id))
        serious += [(scheme, *v) for v in serious_violations(page, axe_source)]
        context.close()

    assert serious == []


@pytest.mark.parametrize("path", ["/", "/incidents/{id}", "/subscribe", "/history"])
def test_readable_at_320_pixels_wide(site, browser, path):
    incident = wrong_deferral_incident()
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="uz-Latn", is_mobile=True)
    page = context.new_page()

    page.goto(site + path.format(id=incident.id))
    overflow = page.evaluate("document.documentElement.scrollWidth")
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    context.close()

    assert overflow <= 320, "the page scrolls sideways on a small phone"
    assert font >= 16


def test_dark_mode_follows_the_system_setting(site, browser):
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(site + "/")
        colours[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        context.close()

    assert colours == {"light": "rgb(255, 255, 255)", "dark": "rgb(13, 17, 23)"}


def test_everything_works_without_javascript(site, browser):
    incident = wrong_deferral_incident()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto(site + "/")
    page.locator('a[href="?lang=ru"]').click()
    page.get_by_role("link", name="Показывается неверный статус отсрочки").first.click()

    assert page.url == f"{site}/incidents/{incident.id}"
    assert page.locator("html").get_attribute("lang") == "ru"
    context.close()
