"""A first-day on-call engineer in the console, in Chromium: from a template to a public incident.

Template → texts in Ukrainian and Uzbek (Latin) with quotes and paragraphs → preview in both
→ publish through the confirmation (its counts checked) → an update → a postmortem in two
languages → the public page shows exactly those texts. Prints the time from "incident known"
to "visible on the public page", and takes 360 px screenshots (ADMIN_SCREENSHOTS, else a
temporary folder) of the add form and the preview.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from statuspage.models import Component, EmailSubscriber, Incident, IncidentTemplate, WebhookSubscriber
from statuspage.oncall import role_group

pytestmark = pytest.mark.browser

NAME = {"uk": 'Вхід у "Резерв+" не працює', "uz-latn": '"Rezerv+" ga kirish ishlamayapti'}
BODY = {"uk": 'Ви бачите "Помилка 502".\n\nДані не втрачено, працюємо над цим.',
        "uz-latn": '"502 xato" koʻrinmoqda.\n\nMaʼlumotlar yoʻqolmagan, ishlayapmiz.'}
UPDATE = {"uk": "Причину знайдено: сертифікат.\n\nВиправляємо.",
          "uz-latn": "Sabab topildi: sertifikat.\n\nTuzatmoqdamiz."}
POSTMORTEM = {"uk": 'Що сталося: сертифікат "auth" сплив.\n\nЩо змінимо: нагадування за 30 днів.',
              "uz-latn": 'Nima boʻldi: "auth" sertifikati muddati tugadi.\n\n'
               'Nimani oʻzgartiramiz: 30 kun oldin eslatma.'}


def field(code: str) -> str:
    return code.replace("-", "_")


@pytest.fixture
def on_call(site):
    """An on-call engineer, a template, and subscribers: two follow Authorization (or all),
    one follows only another component, one is unconfirmed."""
    user = get_user_model().objects.create_user("olena", password="first-day-on-call", is_staff=True)
    user.groups.add(role_group("responder"))  # a first-day engineer: the least role
    IncidentTemplate.objects.create(key="login-down", name="Login is down", title="Login does not work",
                                    body="We know and are working on it.", status="investigating", impact="major")
    auth, data = Component.objects.get(key="reserve-auth"), Component.objects.get(key="reserve-data")
    now = timezone.now()
    EmailSubscriber.objects.create(email="all@example.org", language="uk", confirmed_at=now)
    EmailSubscriber.objects.create(email="auth@example.org", language="uz-latn", confirmed_at=now).components.add(auth)
    EmailSubscriber.objects.create(email="data@example.org", confirmed_at=now).components.add(data)
    EmailSubscriber.objects.create(email="later@example.org")
    WebhookSubscriber.objects.create(url="https://hooks.example/auth").components.add(auth)
    WebhookSubscriber.objects.create(url="https://hooks.example/data").components.add(data)
    return site


def sign_in(page, site):
    page.goto(site + "/admin/login/")
    page.fill("#id_username", "olena")
    page.fill("#id_password", "first-day-on-call")
    page.click("input[type=submit]")


def screenshot(page, name: str, folder: Path) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.screenshot(path=str(folder / f"{name}-first-screen.png"))  # what the phone shows first
    print(f"screenshot: {path}")
    return path


def public_text(browser, site, path: str, lang: str, wanted: str, timeout: float = 20.0) -> str:
    """The public page as a citizen gets it (no cookies), once it shows `wanted`."""
    context = browser.new_context()
    page = context.new_page()
    deadline = time.monotonic() + timeout
    try:
        while True:
            response = page.goto(f"{site}{path}?lang={lang}")
            text = page.locator("main").inner_text() if response.status == 200 else ""
            if wanted in text or time.monotonic() > deadline:
                return text
            time.sleep(0.1)
    finally:
        context.close()


def fill_languages(page, prefix: str, texts: dict[str, str]) -> None:
    for code, text in texts.items():
        page.fill(f"#id_{prefix}_{field(code)}", text)


def test_a_first_day_on_call_engineer_posts_an_incident_in_two_languages(on_call, browser, tmp_path):
    site = on_call
    shots = Path(os.environ.get("ADMIN_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    sign_in(page, site)

    known = time.monotonic()  # the incident is known: the engineer opens the console
    page.goto(site + "/admin/statuspage/incident/add/")
    page.get_by_role("link", name="Login is down").click()
    assert page.input_value("#id_name") == "Login does not work"
    fill_languages(page, "name", NAME)
    fill_languages(page, "update_body", BODY)
    page.get_by_label("Authorization").check()
    page.select_option("#id_component_status", "major_outage")
    assert not page.is_checked("#id_published")
    page.click("input[name=_continue]")
    incident = Incident.objects.get()
    assert incident.published is False

    for code, language in (("uk", "Українська"), ("uz-latn", "Oʻzbekcha (lotin)")):
        page.locator("#draft-actions").get_by_role("link", name=language).click()
        assert page.locator(".preview-banner").is_visible()
        assert page.locator("h1").inner_text() == NAME[code]
        assert page.locator(".timeline .body").first.inner_text() == BODY[code]
        page.go_back()

    page.click("#publish-link")
    assert page.inner_text("#email-count") == "2" and page.inner_text("#webhook-count") == "1"
    assert "Authorization: Operational → Major outage" in page.inner_text("#status-changes")
    page.click("#confirm-publish")
    shown = public_text(browser, site, f"/incidents/{incident.pk}", "uk", NAME["uk"])
    visible = time.monotonic()
    print(f"\nincident known → visible on the public page: {visible - known:.1f} s "
          "(sign-in excluded; template, two languages, two previews, confirmation included)")
    assert NAME["uk"] in shown

    page.select_option("#id_update_status", "identified")
    page.fill("#id_update_body", "Cause found: a certificate. Fixing.")
    fill_languages(page, "update_body", UPDATE)
    page.locator("summary", has_text="Postmortem").click()
    page.fill("#id_postmortem", "What happened: the auth certificate expired.")
    fill_languages(page, "postmortem", POSTMORTEM)
    page.locator("#id_postmortem_published_at_0").fill(timezone.localdate().isoformat())
    page.locator("#id_postmortem_published_at_1").fill("00:00:00")
    page.click("input[name=_continue]")
    assert page.locator(".errorlist").count() == 0, page.locator(".errorlist").all_inner_texts()

    for code in ("uk", "uz-latn"):
        text = public_text(browser, site, f"/incidents/{incident.pk}", code, POSTMORTEM[code].split("\n")[0])
        assert NAME[code] in text
        for words in (BODY[code], UPDATE[code], POSTMORTEM[code]):
            assert words in text, (code, words)
    context.close()


def test_the_console_is_usable_on_a_phone(on_call, browser, tmp_path):
    site = on_call
    shots = Path(os.environ.get("ADMIN_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    phone = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1, is_mobile=True)
    page = phone.new_page()
    sign_in(page, site)

    page.goto(site + "/admin/statuspage/incident/add/?template=login-down")
    screenshot(page, "admin-add-360", shots)
    page.fill("#id_name_uk", NAME["uk"])
    page.click("input[name=_save]")
    incident = Incident.objects.get()
    page.goto(f"{site}/admin/statuspage/incident/{incident.pk}/preview/?language=uk")
    screenshot(page, "admin-preview-360", shots)

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the preview scrolls sideways on a phone: {width}px"
    page.goto(site + "/admin/statuspage/incident/add/")
    assert page.locator("#id_name_uk").bounding_box()["width"] <= 360
    phone.close()
