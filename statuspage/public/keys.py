"""Snapshot keys: which request shares which rendered copy.

A key is "language|path?query", the query cut down to the parameters the URL reads
(statuspage.public.registry) and normalised to what the page shows, so `/?page=123456`,
`?tz=Aaa/Bbb` or `?utm_source=` share the page's snapshot instead of costing a render.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from django.urls import Resolver404, resolve

from statuspage.i18n import TZ_COOKIE_NAME, accept_region, zone_for
from statuspage.public.registry import LANGUAGE_FREE, READS_PAGE, READS_TZ


@dataclass(frozen=True)
class KeyParams:
    """What tells a query value that changes a page from one that does not: the zones the
    page offers, its own zone, and how many pages its history has. Saved per version (by
    render_all, or by the first request that needs them), so a hit reads no database."""

    zones: tuple[str, ...] = ()
    time_zone: str = ""
    history_pages: int = 1
    time_zones: tuple[tuple[str, str], ...] = ()  # the page's `time_zones`, as items


def key_path(path: str, query_string: str, lang: str = "", params: KeyParams | None = None,
             zone: str | None = None) -> str:
    """The path plus the query parameters its view reads, normalised to what it shows.
    `zone`: the reader's zone when it does not come from the query (cookie, region)."""
    asked = dict(parse_qsl(query_string))  # the last value wins, as in request.GET.get()
    if zone:
        asked["tz"] = zone
    if "tz" not in asked and "page" not in asked:
        return path
    name = _url_name(path)
    params = params or KeyParams()
    kept = {}
    if name in READS_PAGE and "page" in asked:
        page = history_page(asked["page"], params.history_pages)
        if page > 1:
            kept["page"] = str(page)
    if name in READS_TZ and asked.get("tz") in params.zones and asked["tz"] != _home_zone(lang, params):
        kept["tz"] = asked["tz"]
    return f"{path}?{urlencode(sorted(kept.items()))}" if kept else path


def history_page(value: str, pages: int) -> int:
    """The page the history shows for `?page=value`, as Paginator.get_page picks it: the
    first for a non-number, the last for a number out of range."""
    try:
        number = int(value)
    except ValueError:
        return 1
    return number if 1 <= number <= pages else pages


def _home_zone(lang: str, params: KeyParams) -> str:
    """The zone a reader of `lang` gets without `?tz=`: asking for it changes nothing."""
    return zone_for(lang, None, dict(params.time_zones), params.time_zone)


def reader_zone(request, lang: str, params: KeyParams) -> str:
    """The zone reader_time_zone gives this request (its `?tz=` is read by key_path)."""
    cookie = request.COOKIES.get(TZ_COOKIE_NAME)
    if cookie in params.zones:
        return cookie
    region = accept_region(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    return zone_for(lang, region, dict(params.time_zones), params.time_zone)


def zone_beyond_language(request, path: str) -> bool:
    """Whether the reader's zone may differ from their language's: a `tz` cookie, or a
    region in Accept-Language, on a page that shows times."""
    if not (request.COOKIES.get(TZ_COOKIE_NAME) or "-" in request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        return False
    return _url_name(path) in READS_TZ


@functools.lru_cache(maxsize=1024)  # only paths asked with ?tz= or ?page= get here
def _url_name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


def reads_params(path: str, query_string: str) -> bool:
    """Whether the key of this request depends on KeyParams (most requests: no)."""
    if not query_string or not {"tz", "page"} & {k for k, _ in parse_qsl(query_string)}:
        return False
    return _url_name(path) in READS_TZ | READS_PAGE


def snapshot_key(lang: str, path: str) -> str:
    if path in LANGUAGE_FREE:
        lang = ""
    return f"{lang}|{path}"



def digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def entry_cache_key(version: str, key: str) -> str:
    return f"public:snap:{digest(version + '#' + key)}"


def last_cache_key(key: str) -> str:
    return f"public:last:{digest(key)}"


def params_cache_key(version: str) -> str:
    return f"public:params:{digest(version)}"


LAST_PARAMS_KEY = "public:params:last"

