"""The reader's language and time zone, and texts given per language.

Languages: `?lang=xx` on any URL switches (and a cookie remembers the choice), else the
cookie, else Accept-Language (ReaderLocaleMiddleware). Plain `uz` and `uz-UZ` are Latin
script, as CLDR and most Uzbek phones have it; only `uz-Cyrl` asks for Cyrillic. No
JavaScript: the switcher is a list of links. Every public cache key holds the language.

Time zones: `?tz=` (one of the page's offered zones; a cookie keeps the choice), else the
page's `time_zones` for the reader's language and region (`ru-UZ`, then `UZ`, then `ru`),
else the built-in homes (Ukraine and Ukrainian: Kyiv; Uzbekistan and Uzbek: Tashkent),
else the page's own zone. A snapshot's key names the zone when it is not its language's
home zone (statuspage.public.keys.key_path), so caches keep the zones apart too.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
LANGUAGE_NAMES = dict(settings.LANGUAGES)
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

# Where the readers of each language mostly live: their default time zone.
LANGUAGE_TIME_ZONES = {"uk": "Europe/Kyiv", "uz": "Asia/Tashkent", "uz-latn": "Asia/Tashkent"}
# And the zone of the regions these services serve, whatever the reader's language (ru-UZ).
REGION_TIME_ZONES = {"UA": "Europe/Kyiv", "UZ": "Asia/Tashkent"}
TZ_COOKIE_NAME = "tz"
# Zones a reader can pick, with the name shown next to every time.
TIME_ZONE_LABELS = {"Europe/Kyiv": _("Kyiv"), "Asia/Tashkent": _("Tashkent"), "UTC": "UTC"}


def supported(code: str | None) -> str | None:
    code = (code or "").strip().lower()
    return code if code in LANGUAGE_CODES else None


def language_from_accept(header: str) -> str | None:
    """The first language of Accept-Language the page speaks. Uzbek is Latin unless the
    tag says Cyrillic (`uz-Cyrl`, `uz-Cyrl-UZ`): `uz`, `uz-UZ` and `uz-Latn` are Latin."""
    for tag, _q in parse_accept_lang_header(header or ""):
        parts = tag.lower().split("-")
        if parts[0] == "uz":
            return "uz" if "cyrl" in parts else "uz-latn"
        if parts[0] in LANGUAGE_CODES:
            return parts[0]
    return None


def language_from_request(request) -> str:
    """The cookie of an earlier `?lang=`, else Accept-Language, else the default."""
    return (supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
            or language_from_accept(request.META.get("HTTP_ACCEPT_LANGUAGE", "")) or settings.LANGUAGE_CODE)


class ReaderLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware with our reading of Accept-Language (Uzbek: Latin first)."""

    def process_request(self, request):
        translation.activate(language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()


def accept_region(header: str) -> str | None:
    """The region of the browser's first language tag that names one: `ru-UZ` → "UZ"."""
    for tag, _q in parse_accept_lang_header(header or ""):
        for part in tag.split("-")[1:]:
            if len(part) == 2 and part.isalpha():
                return part.upper()
    return None


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def known_zone(name: str | None) -> str | None:
    return name if name and name in _zone_names() else None


# `ru-UZ`, `uz-latn-UZ`: a language code and an ISO 3166 region; `UZ`: the region alone.
_TZ_KEY_RE = re.compile(r"^(?:(?P<lang>[a-z]{2}(?:-latn)?)(?:-(?P<region>[A-Z]{2}))?|(?P<only>[A-Z]{2}))\Z")


def time_zones_problems(value) -> list[tuple[str, str]]:
    """(key or "", message) for each wrong part of a page's `time_zones`; [] when right.
    The config validator and the model (so the admin) share it."""
    if not isinstance(value, dict):
        return [("", "must be a mapping of language or region to time zone "
                     "(e.g. {uz: Asia/Tashkent, ru-UZ: Asia/Tashkent})")]
    found = []
    for key, zone in value.items():
        match = _TZ_KEY_RE.match(key) if isinstance(key, str) else None
        if not match or (match["lang"] and match["lang"] not in LANGUAGE_CODES):
            found.append((str(key), f"expected a language ({', '.join(sorted(LANGUAGE_CODES))}), a language and "
                                    "region (ru-UZ) or a region (UZ)"))
        elif not isinstance(zone, str) or not known_zone(zone):
            found.append((key, f"unknown time zone '{zone}' (e.g. Asia/Tashkent)"))
    return found


def validate_time_zones(value) -> None:
    """A model field validator for `PageSettings.time_zones`."""
    if found := time_zones_problems(value):
        raise ValidationError([f"{key}: {message}" if key else message for key, message in found])


def zone_for(lang: str, region: str | None, page_zones: dict, default: str) -> str:
    """The zone of a reader of `lang` in `region` (None: unknown), by the page's
    `time_zones`, then the built-in homes, then the page's own zone."""
    keys = [f"{lang}-{region}", region] if region else []
    for key in [*keys, lang]:
        if key in page_zones and known_zone(page_zones[key]):
            return page_zones[key]
    return REGION_TIME_ZONES.get(region or "") or LANGUAGE_TIME_ZONES.get(lang, default)


class LanguageSwitchMiddleware:
    """`?lang=xx` activates a language for this response and remembers it in a cookie;
    `?tz=Area/City` is remembered the same way (reader_time_zone reads it).

    It renders in place rather than redirecting, so a feed or badge URL with `?lang=`
    works in clients that keep no cookies (feed readers, other sites' <img>). Sits after
    LocaleMiddleware; never touches the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        safe = request.method in ("GET", "HEAD")
        chosen = supported(request.GET.get("lang")) if safe else None
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        # `?tz=` is kept like `?lang=`; never in a synthetic render (a snapshot sets no cookie;
        # "statuspage.render" is statuspage.public.synthetic.RENDER_FLAG, above this module).
        zone = known_zone(request.GET.get("tz")) if safe and not request.META.get("statuspage.render") else None
        response = self.get_response(request)
        for name, value in ((settings.LANGUAGE_COOKIE_NAME, chosen), (TZ_COOKIE_NAME, zone)):
            if value:
                response.set_cookie(
                    name, value, max_age=LANGUAGE_COOKIE_MAX_AGE, path="/",
                    samesite="Lax", secure=settings.SESSION_COOKIE_SECURE, httponly=True,
                )
        # The language may come from the cookie: a browser cache must not serve the page
        # in the old language after a switch.
        patch_vary_headers(response, ("Cookie",))
        return response


def localized(obj, field: str = "name", lang: str | None = None) -> str:
    """`obj.translations[lang][field]`, else the plain field (written in the page's text
    language). IncidentUpdate keeps `{lang: body}`; the others `{lang: {field: text}}`."""
    lang = lang or translation.get_language() or settings.LANGUAGE_CODE
    return _translated(obj, field, lang) or getattr(obj, field, "")


def _translated(obj, field: str, lang: str) -> str | None:
    entry = (getattr(obj, "translations", None) or {}).get(lang)
    return entry if isinstance(entry, str) and field == "body" else (
        entry.get(field) if isinstance(entry, dict) else None)


def text_language(page) -> str:
    """The language of the page's plain texts: `page.text_language`, else its first language."""
    return supported(getattr(page, "text_language", "")) or (page_languages(page) or [settings.LANGUAGE_CODE])[0]


def untranslated_language(obj, field: str, page, lang: str | None = None) -> str:
    """The language of the text localized() shows, when it is not the reader's; else ""."""
    lang = lang or translation.get_language() or settings.LANGUAGE_CODE
    if page is None or _translated(obj, field, lang) or not getattr(obj, field, ""):
        return ""
    source = text_language(page)
    return "" if source == lang else source


# "Only available in …", in the reader's language, for a text shown in another one.
ONLY_IN = {
    "uk": _("Only available in Ukrainian"),
    "uz": _("Only available in Uzbek (Cyrillic)"),
    "uz-latn": _("Only available in Uzbek (Latin)"),
    "ru": _("Only available in Russian"),
    "en": _("Only available in English"),
}


def offered_time_zones(page) -> list[str]:
    zones = [page.time_zone, "Europe/Kyiv", "Asia/Tashkent", "UTC",
             *filter(known_zone, (page.time_zones or {}).values())]
    return list(dict.fromkeys(zones))


def reader_time_zone(request, page) -> str:
    """`?tz=`, else the `tz` cookie (both only among the offered zones), else by language and region."""
    offered = offered_time_zones(page)
    if request is not None:
        for asked in (request.GET.get("tz"), request.COOKIES.get(TZ_COOKIE_NAME)):
            if asked in offered:
                return asked
    region = accept_region(request.META.get("HTTP_ACCEPT_LANGUAGE", "")) if request is not None else None
    return zone_for(translation.get_language(), region, page.time_zones or {}, page.time_zone)


def time_zone_label(name: str, at: datetime | None = None) -> str:
    """"Kyiv", "Tashkent", "UTC", or the offset ("UTC+01:00") for any other zone."""
    if name in TIME_ZONE_LABELS:
        return str(TIME_ZONE_LABELS[name])
    offset = (at or timezone.now()).astimezone(ZoneInfo(name)).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def page_languages(page) -> list[str]:
    """The languages the page speaks: its own list, or every supported one if it names none."""
    return [c for c in (page.languages or LANGUAGE_CODES) if c in LANGUAGE_CODES]


def language_links(page, current: str) -> list[dict]:
    """The switcher: the page's languages (all supported ones if it names none)."""
    codes = page_languages(page)
    if current in LANGUAGE_CODES and current not in codes:
        codes.append(current)
    return [{"code": c, "name": LANGUAGE_NAMES[c], "current": c == current, "hreflang": html_lang(c)}
            for c in codes]


def html_lang(code: str) -> str:
    """BCP 47 for the `lang` attribute: screen readers pick the voice and script from it."""
    return {"uz": "uz-Cyrl", "uz-latn": "uz-Latn"}.get(code, code)
