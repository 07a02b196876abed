"""The reader's language and time zone, and texts given per language.

Languages: `?lang=xx` on any URL switches (and a cookie remembers the choice), else the
cookie, else Accept-Language (Django's LocaleMiddleware). No JavaScript: the switcher is
a list of links. Every public cache key already holds the active language.

Time zones: `?tz=` (one of the page's offered zones), else the reader's language's home
zone (Ukrainian: Kyiv; Uzbek: Tashkent), else the page's own. All three are part of the
URL or the language, so the cache key holds them too.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
LANGUAGE_NAMES = dict(settings.LANGUAGES)
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

# Where the readers of each language mostly live: their default time zone.
LANGUAGE_TIME_ZONES = {"uk": "Europe/Kyiv", "uz": "Asia/Tashkent", "uz-latn": "Asia/Tashkent"}
# Zones a reader can pick, with the name shown next to every time.
TIME_ZONE_LABELS = {"Europe/Kyiv": _("Kyiv"), "Asia/Tashkent": _("Tashkent"), "UTC": "UTC"}


def supported(code: str | None) -> str | None:
    code = (code or "").strip().lower()
    return code if code in LANGUAGE_CODES else None


class LanguageSwitchMiddleware:
    """`?lang=xx` activates a language for this response and remembers it in a cookie.

    It renders in place rather than redirecting, so a feed or badge URL with `?lang=`
    works in clients that keep no cookies (feed readers, other sites' <img>). Sits after
    LocaleMiddleware; never touches the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = supported(request.GET.get("lang")) if request.method in ("GET", "HEAD") else None
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        if chosen:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, chosen, max_age=LANGUAGE_COOKIE_MAX_AGE, path="/",
                samesite="Lax", secure=settings.SESSION_COOKIE_SECURE, httponly=True,
            )
        # The language may come from the cookie: a browser cache must not serve the page
        # in the old language after a switch.
        patch_vary_headers(response, ("Cookie",))
        return response


def localized(obj, field: str = "name", lang: str | None = None) -> str:
    """`obj.translations[lang][field]`, else the plain field (written in the page's first
    language). IncidentUpdate keeps `{lang: body}`; the others `{lang: {field: text}}`."""
    lang = lang or translation.get_language() or settings.LANGUAGE_CODE
    entry = (getattr(obj, "translations", None) or {}).get(lang)
    value = entry if isinstance(entry, str) and field == "body" else (
        entry.get(field) if isinstance(entry, dict) else None)
    return value or getattr(obj, field, "")


def offered_time_zones(page) -> list[str]:
    zones = [page.time_zone, "Europe/Kyiv", "Asia/Tashkent", "UTC"]
    return list(dict.fromkeys(zones))


def reader_time_zone(request, page) -> str:
    asked = request.GET.get("tz") if request is not None else None
    if asked in offered_time_zones(page):
        return asked
    return LANGUAGE_TIME_ZONES.get(translation.get_language(), page.time_zone)


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
