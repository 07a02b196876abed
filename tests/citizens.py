"""Helpers for the citizens' tests: the demo page with an outage, and what a reader sees."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import yaml
from django.conf import settings

from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import Component, Incident
from statuspage.services.incidents import do_open_incident

EXAMPLE = Path(settings.BASE_DIR) / "examples" / "reserve-plus.yaml"
LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGS = {"uk": "uk", "uz": "uz", "uz-latn": "uz_Latn", "ru": "ru"}
WHEN = datetime(2025, 10, 17, 11, 5, tzinfo=UTC)  # 14:05 in Kyiv, 16:05 in Tashkent


def apply_demo_config() -> None:
    config, errors = validate(yaml.safe_load(EXAMPLE.read_text()))
    assert errors == [], errors
    apply_config(config)


def wrong_deferral_incident() -> Incident:
    """The Reserve+ outage of the news reports: the wrong deferral shown, told in every language."""
    incident = do_open_incident(
        name="Wrong deferral status shown",
        body="Some people see a deferral they do not have. **Nothing changed in the registry.**",
        components={Component.objects.get(key="reserve-data"): "major_outage"},
        translations={
            "uk": {"name": "Показується хибний статус відстрочки"},
            "uz": {"name": "Нотўғри кечиктириш ҳолати кўрсатилмоқда"},
            "uz-latn": {"name": "Notoʻgʻri kechiktirish holati koʻrsatilmoqda"},
            "ru": {"name": "Показывается неверный статус отсрочки"},
        },
        body_translations={
            "uk": "Дехто бачить відстрочку, якої не має. **У реєстрі нічого не змінилося.**",
            "uz": "Айрим фойдаланувчилар ўзларида йўқ кечиктиришни кўрмоқда. **Реестрда ҳеч нарса ўзгармади.**",
            "uz-latn": "Ayrim foydalanuvchilar oʻzlarida yoʻq kechiktirishni koʻrmoqda. "
                       "**Reestrda hech narsa oʻzgarmadi.**",
            "ru": "Некоторые видят отсрочку, которой у них нет. **В реестре ничего не изменилось.**",
        },
    )
    Incident.objects.filter(pk=incident.pk).update(started_at=WHEN)
    incident.updates.update(display_at=WHEN)
    return incident


class _Visible(HTMLParser):
    """Text a reader meets: element text and the attributes read aloud or shown (alt,
    title, aria-label, placeholder), minus code samples and parts marked as another
    language (the language switcher names each language in itself)."""

    SKIP = {"script", "style", "pre", "code"}
    VOID = {"meta", "link", "img", "input", "br", "hr", "source", "rect", "stop"}

    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang.lower()
        self.stack: list[bool] = []  # per open element: is it skipped?
        self.parts: list[str] = []

    def _skipped(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        other_lang = "lang" in attrs and tag != "html" and not (attrs["lang"] or "").lower().startswith(self.lang)
        skip = tag in self.SKIP or other_lang
        if not self._skipped() and not skip:
            for name in ("alt", "title", "aria-label", "placeholder"):
                if attrs.get(name):
                    self.parts.append(attrs[name])
        if tag not in self.VOID:
            self.stack.append(skip)

    def handle_startendtag(self, tag, attrs):
        if tag not in self.VOID:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)
        else:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self._skipped() and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str, lang: str) -> str:
    parser = _Visible(lang)
    parser.feed(html)
    return " ".join(parser.parts)


def english_msgids() -> set[str]:
    """Every English string the code marks for translation (from the Ukrainian catalog)."""
    ids, current = set(), None
    for line in (LOCALE / "uk" / "LC_MESSAGES" / "django.po").read_text().splitlines():
        if line.startswith(("msgid ", "msgid_plural ")):
            if current and "".join(current):  # a plural's singular
                ids.add("".join(current))
            current = [eval(line.split(" ", 1)[1])]
        elif line.startswith('"') and current is not None:
            current.append(eval(line))
        elif line.startswith("msgstr") and current is not None:
            if "".join(current):
                ids.add("".join(current))
            current = None
    return ids


def latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z’'ʻʼ-]*[A-Za-z]|[A-Za-z]", text))
