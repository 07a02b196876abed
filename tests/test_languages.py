"""Citizens read the page in Ukrainian, Uzbek (both scripts), Russian or English."""

import gettext
import re
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from statuspage.models import Component, Incident
from statuspage.services.incidents import do_open_incident
from tests.citizens import (
    CATALOGS,
    LOCALE,
    apply_demo_config,
    english_msgids,
    latin_words,
    visible_text,
    wrong_deferral_incident,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    apply_demo_config()


def lang_of(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


@pytest.mark.parametrize("header, lang, banner", [
    ("uk-UA,uk;q=0.9,en;q=0.5", "uk", "Усі системи працюють"),
    ("uz", "uz-Latn", "Barcha tizimlar ishlamoqda"),  # CLDR's default script for Uzbek
    ("uz-UZ,uz;q=0.9", "uz-Latn", "Barcha tizimlar ishlamoqda"),
    ("uz-Cyrl-UZ,uz;q=0.8", "uz-Cyrl", "Барча тизимлар ишламоқда"),
    ("uz-Latn-UZ,uz;q=0.8", "uz-Latn", "Barcha tizimlar ishlamoqda"),
    ("ru-RU,ru;q=0.9", "ru", "Все системы работают"),
    ("en-GB", "en", "All Systems Operational"),
    ("de-DE", "en", "All Systems Operational"),
])
def test_the_page_speaks_the_language_the_browser_asks_for(demo, header, lang, banner):
    html = Client().get("/", HTTP_ACCEPT_LANGUAGE=header).content.decode()

    assert lang_of(html) == lang
    assert banner in html


def test_lang_switches_the_language_and_a_cookie_remembers_it(demo):
    client = Client()

    switched = client.get("/?lang=uz-latn", HTTP_ACCEPT_LANGUAGE="ru")
    later = client.get("/history", HTTP_ACCEPT_LANGUAGE="ru")

    assert lang_of(switched.content.decode()) == "uz-Latn"
    assert switched.cookies["lang"].value == "uz-latn"
    assert switched.cookies["lang"]["samesite"] == "Lax"
    assert lang_of(later.content.decode()) == "uz-Latn"
    assert "Nosozliklar tarixi" in later.content.decode()


def test_an_unknown_lang_is_ignored(demo):
    response = Client().get("/?lang=klingon", HTTP_ACCEPT_LANGUAGE="uk")

    assert lang_of(response.content.decode()) == "uk"
    assert "lang" not in response.cookies


def test_the_switcher_links_every_page_language_in_its_own_name(demo):
    html = Client().get("/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()

    links = re.findall(r'<a href="\?lang=([^"]+)" hreflang="[^"]+" lang="[^"]+"( aria-current="true")?>([^<]+)</a>',
                       html)
    assert [(code, name) for code, _, name in links] == [
        ("uk", "Українська"), ("uz", "Ўзбекча (кирилл)"), ("uz-latn", "Oʻzbekcha (lotin)"), ("ru", "Русский"),
        ("en", "English")]
    assert [code for code, current, _ in links if current] == ["uk"]


def test_caches_keep_languages_apart(demo):
    client = Client()
    uk = client.get("/", HTTP_ACCEPT_LANGUAGE="uk")
    uz = client.get("/", HTTP_ACCEPT_LANGUAGE="uz")

    assert "Accept-Language" in uk["Vary"] and "Cookie" in uk["Vary"]
    assert uk["ETag"] != uz["ETag"]
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="uk", HTTP_IF_NONE_MATCH=uk["ETag"]).status_code == 304
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="uz", HTTP_IF_NONE_MATCH=uk["ETag"]).status_code == 200


def test_names_notices_channels_and_incident_texts_follow_the_reader(demo):
    incident = wrong_deferral_incident()

    uk = Client().get(f"/incidents/{incident.id}", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    ru = Client().get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Показується хибний статус відстрочки" in uk
    assert "У реєстрі нічого не змінилося." in uk
    assert "Дані військового обліку" in uk and "Лінія підтримки Резерв+" in uk
    assert "Ми ніколи не надаємо підтримку через Telegram-боти" in uk
    assert "Показывается неверный статус отсрочки" in ru and "Данные воинского учёта" in ru


def test_a_text_without_a_translation_falls_back_to_the_plain_one(demo):
    do_open_incident(name="SMS delays", body="Codes arrive late.",
                     components={Component.objects.get(key="oneid-sms"): "degraded_performance"})

    html = Client().get("/", HTTP_ACCEPT_LANGUAGE="uz-Latn").content.decode()

    assert "SMS delays" in html and "Codes arrive late." in html
    assert "Sekin ishlamoqda" in html  # the status word is still Uzbek


@pytest.mark.parametrize("header, tz, expected", [
    ("uk", "", "17 жовтня 2025, 14:05 (Київ)"),
    ("uz-Cyrl", "", "17-октябр, 2025-йил, 16:05 (Тошкент)"),
    ("uz-Latn", "", "17-oktabr, 2025-yil, 16:05 (Toshkent)"),
    ("ru", "", "17 октября 2025, 14:05 (Киев)"),  # the page's zone: Europe/Kyiv
    ("en", "", "17 Oct 2025, 14:05 (Kyiv)"),
    ("uk", "?tz=Asia/Tashkent", "17 жовтня 2025, 16:05 (Ташкент)"),
    ("en", "?tz=UTC", "17 Oct 2025, 11:05 (UTC)"),
    ("en", "?tz=Mars/Olympus", "17 Oct 2025, 14:05 (Kyiv)"),
])
def test_times_are_in_the_readers_zone_and_format(demo, header, tz, expected):
    incident = wrong_deferral_incident()

    html = Client().get(f"/incidents/{incident.id}{tz}", HTTP_ACCEPT_LANGUAGE=header).content.decode()

    assert f'<time datetime="2025-10-17T11:05:00Z">{expected}</time>' in html


def test_the_uptime_bar_speaks_the_language_too(demo):
    Component.objects.update(created_at=timezone.now() - timedelta(days=200))
    html = Client().get("/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()

    assert "90 днів тому" in html and "Сьогодні" in html
    assert "працював 100,0% часу за 90 днів" in html


def test_feeds_are_in_the_language_asked_for(demo):
    wrong_deferral_incident()

    feed = feedparser.parse(Client().get("/history.atom?lang=uk").content)

    assert not feed.bozo
    assert feed.feed.language == "uk"
    assert feed.feed.title == "Резерв+ · OneID — стан сервісів — історія"
    assert [e.title for e in feed.entries] == ["Показується хибний статус відстрочки — З’ясовуємо причину"]
    assert "17 жовтня 2025, 14:05 (Київ)" in feed.entries[0].summary
    assert "Лінія підтримки Резерв+: 1545" in feed.feed.subtitle


# ------------------------------------------------------- no English left for Uzbek readers

UZBEK_PAGES = ["/", "/history", "/incidents/{id}", "/subscribe", "/developers", "/embed", "/no-such-page"]
# Names that are the same in every language: brands, formats, the time standard.
NAMES = {"OneID", "Telegram", "SMS", "RSS", "Atom", "JSON", "UTC", "URL", "Standard", "Webhooks", "Atlassian",
         "Statuspage"}


@pytest.mark.parametrize("lang, html_lang", [("uz", "uz-Cyrl"), ("uz-latn", "uz-Latn")])
@pytest.mark.parametrize("path", UZBEK_PAGES)
def test_a_reader_who_switches_to_uzbek_meets_no_english(demo, lang, html_lang, path):
    incident = wrong_deferral_incident()
    client = Client()
    client.get(f"/?lang={lang}")

    response = client.get(path.format(id=incident.id))
    text = visible_text(response.content.decode(), html_lang)

    assert text, "the page has no text"
    left = sorted(m for m in english_msgids() if re.search(r"[A-Za-z]{2}", m) and m not in NAMES
                  and re.search(rf"(?<![A-Za-z]){re.escape(m)}(?![A-Za-z])", text))
    assert left == [], f"English on {path}: {left}"
    words = latin_words(re.sub(r"\S*/\S*", " ", text))  # addresses are not words
    if lang == "uz":  # Cyrillic: any Latin word is suspect unless it is a name
        assert words - NAMES == set(), text
    else:
        english_words = {w.lower() for m in english_msgids() for w in re.findall(r"[A-Za-z]{4,}", m)}
        assert {w.lower() for w in words} & english_words - {n.lower() for n in NAMES} == set(), text


# ------------------------------------------------------------------------- the catalogs


_PO_FIELD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$')


def po_entries(lang: str) -> dict[tuple[str | None, str], str | tuple[str, ...]]:
    """{(context, msgid): msgstr, or the tuple of plural forms} from a .po file (the subset
    of the format makemessages writes)."""
    entries, field, parts = {}, None, {}
    for line in (LOCALE / CATALOGS[lang] / "LC_MESSAGES" / "django.po").read_text().splitlines() + [""]:
        if line.startswith("#~"):
            continue
        if match := _PO_FIELD.match(line):
            field = match.group(1)
            parts[field] = [eval(match.group(2))]
        elif line.startswith('"') and field:
            parts[field].append(eval(line))
        elif not line.strip() and "msgid" in parts:
            msgid = "".join(parts["msgid"])
            if msgid:
                ctxt = "".join(parts["msgctxt"]) if "msgctxt" in parts else None
                forms = sorted(k for k in parts if k.startswith("msgstr["))
                entries[(ctxt, msgid)] = (tuple("".join(parts[k]) for k in forms) if forms
                                          else "".join(parts.get("msgstr", [])))
            field, parts = None, {}
    return entries


def compiled_text(compiled: gettext.GNUTranslations, key: tuple[str | None, str], value) -> str | tuple[str, ...]:
    """What the .mo holds for an entry of the .po (for plurals: each form, by a number that picks it)."""
    ctxt, msgid = key
    if isinstance(value, tuple):
        number_for = {}
        for n in range(200):
            number_for.setdefault(compiled.plural(n), n)
        # A form no whole number picks (Ukrainian's for fractions) cannot be looked up.
        return tuple(compiled.ngettext(msgid, msgid, number_for[i]) if i in number_for else value[i]
                     for i in range(len(value)))
    return compiled.pgettext(ctxt, msgid) if ctxt else compiled.gettext(msgid)


@pytest.mark.parametrize("lang", list(CATALOGS))
def test_every_string_is_translated_and_the_compiled_catalog_is_current(lang):
    entries = po_entries(lang)
    po_text = (LOCALE / CATALOGS[lang] / "LC_MESSAGES" / "django.po").read_text()
    with open(LOCALE / CATALOGS[lang] / "LC_MESSAGES" / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)

    assert entries, "empty catalog"
    assert [k for k, v in entries.items() if not v or not all(v)] == [], "untranslated"
    assert "#, fuzzy" not in po_text.split("\n\n", 1)[1], "fuzzy entries are not compiled"
    stale = [k for k, v in entries.items() if compiled_text(compiled, k, v) != v]
    assert stale == [], "the .mo is older than the .po: run `make messages` and commit both"


_TEMPLATE_STRING = re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")
_PYTHON_STRING = re.compile(r"""\b(?:_|gettext|gettext_lazy|gettext_noop|ngettext)\(\s*(["'])((?:(?!\1).)+)\1\s*[),]""")


def marked_strings() -> set[str]:
    root = Path(settings.BASE_DIR)
    found = set()
    for path in [*(root / "templates").rglob("*.html"), *(root / "templates").rglob("*.txt"),
                 *(root / "templates").rglob("*.svg")]:
        found |= {m.group(2) for m in _TEMPLATE_STRING.finditer(path.read_text())}
    for path in [*(root / "statuspage").rglob("*.py"), *(root / "probes").rglob("*.py")]:
        if "migrations" not in path.parts:
            found |= {m.group(2) for m in _PYTHON_STRING.finditer(path.read_text())}
    return found


def test_every_marked_string_is_in_the_catalogs():
    """Adding a {% translate %} without `make messages` would show English to everyone."""
    known = {msgid for _, msgid in po_entries("uk")}

    missing = sorted(marked_strings() - known)

    assert missing == [], f"not in locale/*/django.po: run `make messages` and translate: {missing}"


# ------------------------------------------------- on-call gives the texts per language


def test_on_call_gives_an_incident_in_other_languages_in_the_admin(page, oncall_user):
    from tests.test_admin import open_incident

    console = Client()
    console.force_login(oncall_user)

    incident = open_incident(console, name="Не вдається увійти", update_status="investigating",
                             update_body="Шукаємо причину.", name_en="Login fails", update_body_en="",)

    assert incident.translations == {"en": {"name": "Login fails"}}
    assert incident.updates.get().translations == {}
    html = Client().get(f"/incidents/{incident.id}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Login fails" in html and "Шукаємо причину." in html


def test_the_admin_has_no_field_for_a_language_the_page_does_not_speak(page, oncall_user):
    console = Client()
    console.force_login(oncall_user)

    form = console.get("/admin/statuspage/incident/add/").context["adminform"].form

    assert "name_en" in form.fields and "update_body_en" in form.fields
    assert not any(name.endswith(("_ru", "_uz", "_uz_latn")) for name in form.fields)
    assert "translations" not in form.fields and "update_translations" not in form.fields


@pytest.mark.parametrize("url", ["/admin/statuspage/component/{pk}/change/",
                                 "/admin/statuspage/componentgroup/{pk}/change/"])
def test_components_and_groups_get_their_texts_per_language_in_the_admin(page, oncall_user, url):
    from statuspage.models import ComponentGroup

    obj = Component.objects.get(key="reserve-auth") if "component/" in url else ComponentGroup.objects.first()
    console = Client()
    console.force_login(oncall_user)
    form = console.get(url.format(pk=obj.pk)).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"name_en": 'The "Authorization" service', "description_en": "Line one\nLine two",
                 "name_klingon": "?", "group": getattr(obj, "group_id", None) or ""})

    response = console.post(url.format(pk=obj.pk), data)

    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.translations == {"en": {"name": 'The "Authorization" service', "description": "Line one\nLine two"}}


def test_on_call_gives_an_incident_in_other_languages_through_the_api(page, api):
    created = api.post("/api/v1/incidents/", {
        "name": "SMS delays", "body": "Codes arrive late.",
        "name_translations": {"uz": "СМС кечикмоқда"}, "body_translations": {"uz": "Кодлар кечикиб келмоқда."},
    }, format="json")
    incident = Incident.objects.get(pk=created.json()["id"])
    api.post(f"/api/v1/incidents/{incident.id}/updates/", {
        "status": "resolved", "body": "Fixed.", "body_translations": {"uz": "Тузатилди."}}, format="json")

    html = Client().get(f"/incidents/{incident.id}?lang=uz").content.decode()

    assert created.status_code == 201
    assert "СМС кечикмоқда" in html and "Кодлар кечикиб келмоқда." in html and "Тузатилди." in html
    refused = api.post("/api/v1/incidents/", {"name": "x", "name_translations": {"xx": "?"}}, format="json")
    assert refused.status_code == 400 and "name_translations" in refused.json()
