"""/verify on a phone, in Chromium at 360 px with JavaScript off: a citizen pastes the drill's
false notice, or types a code, and reads the answer in Ukrainian or Uzbek (Latin)."""

from __future__ import annotations

import pytest

from statuspage.verification.codes import code_for
from tests.browser.axe import serious_violations
from tests.test_verify_drill import the_drill_trips_the_probe
from tests.verify_texts import FAKES, WORDING, forwarded_variants

pytestmark = pytest.mark.browser

WIDTH = 360
TEXTS = {
    "uk": {"check": "Перевірити", "in_error": "Це повідомлення надіслано помилково",
           "official": "Це офіційне повідомлення", "none": "Ми не знайшли такого офіційного повідомлення",
           "what_to_do": "Ваш статус не змінився"},
    "uz-latn": {"check": "Tekshirish", "in_error": "Bu xabar xato yuborilgan", "official": "Bu rasmiy bayonot",
                "none": "Bunday rasmiy bayonot topilmadi", "what_to_do": "Sizning holatingiz oʻzgarmadi"},
}


@pytest.fixture
def phone(browser):
    """A small phone with JavaScript off: the form must work without it."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, java_script_enabled=False,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def fits(page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (selector, box)


def ask(phone, site: str, lang: str, text: str) -> str:
    phone.goto(f"{site}/verify?lang={lang}")
    phone.locator("#id_q").fill(text)
    phone.get_by_role("button", name=TEXTS[lang]["check"]).click()
    fits(phone, ".verify-answer")
    fits(phone, "#id_q")
    fits(phone, ".verify-form button")
    return phone.locator(".verify-answer").inner_text()


@pytest.mark.parametrize("lang", list(TEXTS))
def test_a_forwarded_false_notice_is_answered_sent_in_error_on_a_phone(site, phone, lang):
    the_drill_trips_the_probe()

    shown = ask(phone, site, lang, forwarded_variants(WORDING[lang], lang)["forwarded, with quotes and emoji"])

    assert TEXTS[lang]["in_error"] in shown and TEXTS[lang]["what_to_do"] in shown


@pytest.mark.parametrize("lang", list(TEXTS))
def test_a_typed_code_is_answered_official_on_a_phone(site, phone, lang):
    update = the_drill_trips_the_probe().updates.get()
    typed = code_for("update", update.id).replace("-", " ").lower()

    shown = ask(phone, site, lang, typed)

    assert TEXTS[lang]["official"] in shown
    phone.locator(".verify-answer a").last.click()
    assert phone.url.endswith(f"#update-{update.id}")


@pytest.mark.parametrize("lang", list(TEXTS))
def test_a_fake_is_answered_unverified_with_the_official_channels_on_a_phone(site, phone, lang):
    shown = ask(phone, site, lang, FAKES[lang if lang in FAKES else "uk"][0])

    assert TEXTS[lang]["none"] in shown and "1545" in shown


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation_in_the_answer_or_the_notice_block(site, browser, axe_source, scheme):
    incident = the_drill_trips_the_probe()
    # bypass_csp: axe is injected as a script, which the page's CSP (rightly) forbids.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True, locale="uk-UA")
    page = context.new_page()
    found = []

    page.goto(f"{site}/verify?lang=uk")
    found += serious_violations(page, axe_source)
    page.locator("#id_q").fill(WORDING["uk"])
    page.get_by_role("button", name=TEXTS["uk"]["check"]).click()
    found += serious_violations(page, axe_source)
    page.goto(f"{site}{incident.get_absolute_url()}")
    assert page.locator(".notices-in-error").is_visible()
    found += serious_violations(page, axe_source)
    context.close()

    assert found == []
