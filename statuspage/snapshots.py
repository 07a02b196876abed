"""Public responses served from rendered snapshots (render on write).

A public change bumps the public version (statuspage.publish); after commit a Celery task
renders every public URL for every page language into the cache under that version
(statuspage.render). A request then only reads the version and the stored bytes: no
view, no template, no database. Two doors serve them:

- `serve_snapshots`, the WSGI application's front door (statuspage.wsgi): a hit is
  answered before Django builds a request and runs its middleware, as WhiteNoise does for
  static files. This is what makes a flash crowd cheap;
- `SnapshotMiddleware`, first in MIDDLEWARE, for everything that reaches Django (the test
  client, a miss). On a miss it renders the URL once, under a lock, from a synthetic
  anonymous request (statuspage.render), so what is stored never depends on the caller's
  cookies; callers that lose the race, and every caller while rendering fails (the
  database is down), get the last rendered copy.

Each process keeps what it served in memory and checks the version on every request (a
stat() of the version's file with the local cache, a GET with Redis; PUBLIC_VERSION_CHECK_S
trades that for a delay), so the request after a change, in any process, sees it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import logging
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation

try:  # Brotli is in requirements.txt (WhiteNoise uses it too); gzip alone still works.
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

log = logging.getLogger(__name__)

RENDER_FLAG = "statuspage.render"  # WSGI environ key: a synthetic render, never from HTTP
# The query parameters public views read, by URL name (statuspage/urls.py): `tz` on every
# page rendered in the reader's time zone and the feeds (statuspage.i18n.reader_time_zone),
# `page` on the history. A value is part of a key only there and only when it changes what
# the view shows; anything else (`/?page=123456`, `?tz=Aaa/Bbb`, `?utm_source=`) shares the
# page's snapshot instead of costing a render. `lang` is in the key's language part.
READS_TZ = frozenset({"status-page", "incident", "history", "subscribe", "developers", "verify", "embed",
                      "history-rss", "history-atom", "component-rss", "component-atom"})
READS_PAGE = frozenset({"history"})
NOT_FROM_LANGUAGE = ("/api/v2/", "/.well-known/")  # the same bytes whatever the language
# Never public snapshots: skip the lookup for them.
_NEVER = ("/admin/", "/api/v1/", "/api/schema", "/api/docs", "/static/", "/metrics", "/healthz",
          "/subscribe/", "/unsubscribe/")
# Public pages whose query parameter asks a question: with it, an answer for one reader,
# never a snapshot (without it, the page's snapshot).
LOOKUPS = {"/verify": "code"}
_COMPRESSIBLE = ("text/", "application/json", "application/rss+xml", "application/atom+xml",
                 "application/xml", "image/svg+xml")
_NOT_STORED = {"content-length", "content-encoding", "etag", "set-cookie", "date",
               "strict-transport-security", "location"}
_MAX_MEMO = 4096
RETRY_RENDER_AFTER_S = 5.0


@dataclass
class Entry:
    """One rendered public response, with its precompressed variants."""

    content_type: str
    headers: list[tuple[str, str]]  # the final headers, minus per-request ones
    bodies: dict[str, bytes]  # "identity", and "gzip"/"br" when they are smaller
    rendered_at: float = field(default_factory=time.time)

    @classmethod
    def build(cls, body: bytes, content_type: str, headers: list[tuple[str, str]], brotli_quality: int = 5) -> "Entry":
        bodies = {"identity": body}
        if len(body) > 256 and content_type.startswith(_COMPRESSIBLE):
            gz = gzip.compress(body, 9, mtime=0)  # mtime=0: the same bytes give the same file
            if len(gz) < len(body):
                bodies["gzip"] = gz
            if brotli is not None:
                br = brotli.compress(body, quality=brotli_quality)
                if len(br) < len(body):
                    bodies["br"] = br
        vary = [v.strip() for h, value in headers if h.lower() == "vary" for v in value.split(",")]
        headers = [(h, v) for h, v in headers if h.lower() != "vary"]
        if len(bodies) > 1 and "Accept-Encoding" not in vary:
            vary.append("Accept-Encoding")
        if vary:
            headers.append(("Vary", ", ".join(dict.fromkeys(vary))))
        return cls(content_type, headers, bodies)

    @property
    def body(self) -> bytes:
        return self.bodies["identity"]

    @property
    def digest(self) -> str:
        return self.__dict__.get("_digest") or self.__dict__.setdefault(
            "_digest", hashlib.blake2b(self.body, digest_size=12).hexdigest())

    def encoding_for(self, accept_encoding: str) -> str:
        offered = _accepted_encodings(accept_encoding)
        for name in ("br", "gzip"):
            if name in self.bodies and name in offered:
                return name
        return "identity"

    def etag(self, encoding: str) -> str:
        # A strong validator per representation: the gzip bytes are not the identity bytes.
        suffix = {"identity": "", "gzip": "-gz", "br": "-br"}[encoding]
        return f'"{self.digest}{suffix}"'

    def response_headers(self, encoding: str) -> list[tuple[str, str]]:
        """Headers for one variant, computed once per process."""
        memo = self.__dict__.setdefault("_headers", {})
        if encoding not in memo:
            headers = [("Content-Type", self.content_type), *self.headers, ("ETag", self.etag(encoding)),
                       ("Content-Length", str(len(self.bodies[encoding])))]
            if encoding != "identity":
                headers.append(("Content-Encoding", encoding))
            memo[encoding] = headers
        return memo[encoding]

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


def _accepted_encodings(header: str) -> set[str]:
    accepted = set()
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        q = params.replace(" ", "")
        if q.startswith("q=") and q[2:].strip("0.") == "":
            continue  # q=0: explicitly refused
        accepted.add(name.strip().lower())
    return accepted


def _not_modified(entry: Entry, encoding: str, if_none_match: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    etag = entry.etag(encoding)
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


# --- Keys -----------------------------------------------------------------------------


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
    from statuspage.i18n import zone_for

    return zone_for(lang, None, dict(params.time_zones), params.time_zone)


def _reader_zone(request, lang: str, params: KeyParams) -> str:
    """The zone reader_time_zone gives this request (its `?tz=` is read by key_path)."""
    from statuspage.i18n import TZ_COOKIE_NAME, accept_region, zone_for

    cookie = request.COOKIES.get(TZ_COOKIE_NAME)
    if cookie in params.zones:
        return cookie
    region = accept_region(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    return zone_for(lang, region, dict(params.time_zones), params.time_zone)


def _zone_beyond_language(request, path: str) -> bool:
    """Whether the reader's zone may differ from their language's: a `tz` cookie, or a
    region in Accept-Language, on a page that shows times."""
    from statuspage.i18n import TZ_COOKIE_NAME

    if not (request.COOKIES.get(TZ_COOKIE_NAME) or "-" in request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        return False
    return _url_name(path) in READS_TZ


@functools.lru_cache(maxsize=1024)  # only paths asked with ?tz= or ?page= get here
def _url_name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


def _reads_params(path: str, query_string: str) -> bool:
    """Whether the key of this request depends on KeyParams (most requests: no)."""
    if not query_string or not {"tz", "page"} & {k for k, _ in parse_qsl(query_string)}:
        return False
    return _url_name(path) in READS_TZ | READS_PAGE


def snapshot_key(lang: str, path: str) -> str:
    if path.startswith(NOT_FROM_LANGUAGE):
        lang = ""
    return f"{lang}|{path}"


def request_key(request, may_query: bool = True) -> str | None:
    """The snapshot key of a request, or None when it is not one snapshots may answer (or,
    with `may_query` false, not without reading the database: Django's door will)."""
    if request.method not in ("GET", "HEAD") or not settings.PUBLIC_SNAPSHOTS:
        return None
    path = request.path
    if path.startswith(_NEVER):
        return None
    query = request.META.get("QUERY_STRING", "")
    if path in LOOKUPS and LOOKUPS[path] in {k for k, _ in parse_qsl(query)}:
        return None
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return None  # let SecurityMiddleware redirect
    from statuspage.i18n import language_from_request

    if path.startswith(NOT_FROM_LANGUAGE):
        lang = ""
    else:
        lang = _chosen_language(query) or language_from_request(request)
    params = zone = None
    beyond = not path.startswith(NOT_FROM_LANGUAGE) and _zone_beyond_language(request, path)
    if beyond or _reads_params(path, query):
        params = key_params(may_query)
        if params is None:
            return None
        if beyond and dict(parse_qsl(query)).get("tz") not in params.zones:
            zone = _reader_zone(request, lang, params)
    return snapshot_key(lang, key_path(path, query, lang, params, zone))


def _chosen_language(query_string: str) -> str | None:
    """`?lang=xx` (statuspage.i18n.LanguageSwitchMiddleware), when the language is known."""
    if "lang=" not in query_string:
        return None
    from statuspage.i18n import supported

    return supported(dict(parse_qsl(query_string)).get("lang"))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def entry_cache_key(version: str, key: str) -> str:
    return f"public:snap:{_digest(version + '#' + key)}"


def last_cache_key(key: str) -> str:
    return f"public:last:{_digest(key)}"


def params_cache_key(version: str) -> str:
    return f"public:params:{_digest(version)}"


LAST_PARAMS_KEY = "public:params:last"


# --- The per-process memo and the shared store ----------------------------------------


class _Memo:
    def __init__(self) -> None:
        self.version: str | None = None
        self.checked = float("-inf")
        self.stamp: tuple | None = None
        self.entries: dict[str, Entry] = {}
        self.last: dict[str, Entry] = {}
        self.params: KeyParams | None = None  # of `version`
        self.lock = threading.Lock()
        self.render_failed_at = float("-inf")

    def render_failing(self) -> bool:
        """A render failed (the database is down) moments ago: serve the last copies
        without trying again on every request, which would queue them all behind it."""
        return time.monotonic() - self.render_failed_at < RETRY_RENDER_AFTER_S

    def current_version(self) -> str:
        """The public version, re-read when it may have changed: on every request by
        default (a stat() with the local file cache, a GET with Redis), else every
        PUBLIC_VERSION_CHECK_S seconds."""
        from statuspage.publish import PUBLIC_VERSION_KEY, public_version

        now = time.monotonic()
        stamp_of = getattr(cache, "stamp", None)  # statuspage.cache.LocalFileCache
        stamp = stamp_of(PUBLIC_VERSION_KEY) if stamp_of is not None else None
        if stamp is not None:
            stale = stamp != self.stamp or self.version is None
        else:
            stale = now - self.checked >= settings.PUBLIC_VERSION_CHECK_S or self.version is None
        if stale:
            version = public_version()
            with self.lock:
                if version != self.version:
                    # A new version was committed (or rendered): the database answers again.
                    self.version, self.entries, self.params = version, {}, None
                    self.render_failed_at = float("-inf")
                self.checked, self.stamp = now, stamp
        return self.version  # type: ignore[return-value]

    def remember(self, version: str | None, key: str, entry: Entry) -> None:
        with self.lock:
            if version is not None and version == self.version:
                _bounded_set(self.entries, key, entry)
            _bounded_set(self.last, key, entry)

    def remember_params(self, version: str, params: KeyParams) -> None:
        with self.lock:
            if version == self.version:
                self.params = params


def _bounded_set(memo: dict, key: str, value) -> None:
    """Set, dropping the oldest entry when full (not all of them at once, which made the
    next requests of every page read the cache again)."""
    if key not in memo and len(memo) >= _MAX_MEMO:
        memo.pop(next(iter(memo)))
    memo[key] = value


_memo = _Memo()


def version_changed() -> None:
    """Called on every bump made in this process: its next request re-reads the version."""
    _memo.checked, _memo.stamp = float("-inf"), None


def forget() -> None:
    """Drop this process's memory of snapshots (tests clear the cache between cases)."""
    global _memo
    _memo = _Memo()


def lookup(key: str) -> Entry | None:
    """The snapshot of `key` for the current version, or None: a hit never renders."""
    version = _memo.current_version()
    entry = _memo.entries.get(key)
    if entry is None:
        entry = cache.get(entry_cache_key(version, key))
        if entry is not None:
            _memo.remember(version, key, entry)
    return entry


def last_rendered(key: str) -> Entry | None:
    """The most recent snapshot of `key`, whatever its version (stale, but served)."""
    entry = _memo.last.get(key)
    if entry is not None:
        return entry
    try:
        entry = cache.get(last_cache_key(key))
    except Exception:  # noqa: BLE001 - the cache is down too: try the export folder
        entry = None
    if entry is None:
        from statuspage.render import entry_from_export

        entry = entry_from_export(key)
    if entry is not None:
        _memo.remember(None, key, entry)  # the next request of the outage reads memory
    return entry


def store(version: str, key: str, entry: Entry) -> None:
    cache.set(entry_cache_key(version, key), entry, settings.PUBLIC_SNAPSHOT_TTL)
    # Every key has its last copy, query variants too: they are bounded (key_path).
    cache.set(last_cache_key(key), entry, None)
    _memo.remember(version, key, entry)


def save_key_params(version: str, params: KeyParams) -> None:
    cache.set(params_cache_key(version), params, settings.PUBLIC_SNAPSHOT_TTL)
    cache.set(LAST_PARAMS_KEY, params, None)
    _memo.remember_params(version, params)


def key_params(may_query: bool = True) -> KeyParams | None:
    """The KeyParams of the current version: from memory, else the cache, else (only if
    `may_query`) the database. While the database is failing, the last ones saved (they
    describe the last rendered copies, which is what is served then); None if the front
    door cannot know them without a query."""
    version = _memo.current_version()
    params = _memo.params or cache.get(params_cache_key(version))
    if params is not None:
        _memo.remember_params(version, params)
        return params
    if _memo.render_failing():
        return cache.get(LAST_PARAMS_KEY) or KeyParams()
    if not may_query:
        return None
    from django.db import DatabaseError

    from statuspage.render import read_key_params

    try:
        params = read_key_params()
    except DatabaseError:
        _memo.render_failed_at = time.monotonic()
        log.warning("serving by the last key parameters: the database is unavailable")
        return cache.get(LAST_PARAMS_KEY) or KeyParams()
    save_key_params(version, params)
    return params


def entry_from_response(response, key: str) -> Entry | None:
    """An Entry when the response may be shared by every visitor, else None."""
    if (response.status_code != 200 or response.streaming or response.cookies
            or not getattr(response, "public_snapshot", False)):
        return None
    headers = [(h, v) for h, v in response.items() if h.lower() not in _NOT_STORED and h.lower() != "content-type"]
    return Entry.build(response.content, response["Content-Type"], headers, brotli_quality(key))


def brotli_quality(key: str) -> int:
    """The best compression for what a crowd reads; a cheaper one for the long tail
    (per-component feeds and badges, old permalinks), rendered in their hundreds."""
    from statuspage.render import HOT_PATHS

    return settings.PUBLIC_BROTLI_QUALITY if key.partition("|")[2] in HOT_PATHS else 5


def _extra_headers(request) -> list[tuple[str, str]]:
    """The per-request headers a snapshot leaves out: HSTS, and the cookie of `?lang=`."""
    extra = []
    if settings.SECURE_HSTS_SECONDS and request.is_secure():
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        extra.append(("Strict-Transport-Security", value))
    query = request.META.get("QUERY_STRING", "")
    chosen = _chosen_language(query)
    cookie = _language_cookie(chosen, int(time.time() // 3600)) if chosen else None
    if cookie:
        extra.append(("Set-Cookie", cookie))
    zone = _chosen_zone(query)
    cookie = _zone_cookie(zone, int(time.time() // 3600)) if zone else None
    if cookie:
        extra.append(("Set-Cookie", cookie))
    return extra


def _chosen_zone(query_string: str) -> str | None:
    if "tz=" not in query_string:
        return None
    from statuspage.i18n import known_zone

    return known_zone(dict(parse_qsl(query_string)).get("tz"))


@functools.lru_cache(maxsize=32)
def _zone_cookie(zone: str, hour: int) -> str | None:
    """The cookie that keeps `?tz=`, made by the middleware that sets it for Django."""
    from statuspage.i18n import TZ_COOKIE_NAME, LanguageSwitchMiddleware

    request = WSGIRequest({"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": urlencode({"tz": zone}),
                           "wsgi.input": io.BytesIO(b""), "SERVER_NAME": "localhost", "SERVER_PORT": "80"})
    with translation.override(None):
        response = LanguageSwitchMiddleware(lambda request: HttpResponse())(request)
    morsel = response.cookies.get(TZ_COOKIE_NAME)
    return morsel.OutputString() if morsel else None


@functools.lru_cache(maxsize=32)
def _language_cookie(code: str, hour: int) -> str | None:
    """The cookie that remembers `?lang=`, made by the middleware that sets it for Django
    (once an hour: it carries an Expires date)."""
    from statuspage.i18n import LanguageSwitchMiddleware
    from statuspage.render import synthetic_request

    request = synthetic_request(f"{code}|/?lang={code}", "http://localhost")
    with translation.override(None):
        response = LanguageSwitchMiddleware(lambda request: HttpResponse())(request)
    morsel = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    return morsel.OutputString() if morsel else None


def _snapshot_request(environ) -> tuple[WSGIRequest, str] | None:
    # A copy: WSGIRequest writes the decoded path back into its environ, and Django's own
    # request, built later on the same environ, could not encode a non-Latin-1 path again.
    request = WSGIRequest(environ.copy())
    try:
        key = request_key(request, may_query=False)
        if key is not None:
            request.get_host()  # the same Host check Django makes; a bad one gets Django's 400
    except DisallowedHost:
        return None
    return (request, key) if key is not None else None


# --- The two doors --------------------------------------------------------------------


def serve_snapshots(app):
    """Wrap a WSGI application: public GETs with a snapshot are answered here."""

    def application(environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and settings.PUBLIC_SNAPSHOTS:
            found = _snapshot_request(environ)
            entry = lookup(found[1]) if found else None
            if entry is None and found and _memo.render_failing():
                entry = last_rendered(found[1])
            if entry is not None:
                request = found[0]
                encoding = entry.encoding_for(environ.get("HTTP_ACCEPT_ENCODING", ""))
                headers = entry.response_headers(encoding) + _extra_headers(request)
                if _not_modified(entry, encoding, environ.get("HTTP_IF_NONE_MATCH", "")):
                    start_response("304 Not Modified", [(h, v) for h, v in headers
                                                        if h not in ("Content-Length", "Content-Type", "Content-Encoding")])
                    return [b""]
                start_response("200 OK", headers)
                return [b"" if environ["REQUEST_METHOD"] == "HEAD" else entry.bodies[encoding]]
        return app(environ, start_response)

    return application


def _as_response(request, entry: Entry) -> HttpResponse:
    encoding = entry.encoding_for(request.headers.get("Accept-Encoding", ""))
    if _not_modified(entry, encoding, request.headers.get("If-None-Match", "")):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(entry.bodies[encoding])
    for name, value in entry.response_headers(encoding) + _extra_headers(request):
        if name == "Set-Cookie":
            response.cookies.load(value)
        else:
            response[name] = value
    if response.status_code == 304:
        for name in ("Content-Length", "Content-Type", "Content-Encoding"):
            del response[name]
    return response


class SnapshotMiddleware:
    """First in MIDDLEWARE: answer public GETs from snapshots, rendering a missing one once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get(RENDER_FLAG):
            return self.get_response(request)  # a synthetic render: run the real stack
        try:
            key = request_key(request)
        except DisallowedHost:
            key = None
        if key is None:
            return self.get_response(request)
        entry = lookup(key)
        if entry is None:
            entry = self._render_missing(request, key)
            if isinstance(entry, HttpResponse):
                return entry
        return _as_response(request, entry)

    def _render_missing(self, request, key: str) -> Entry | HttpResponse:
        from statuspage.render import synthetic_request

        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        if not getattr(match.func, "public_snapshot", False):
            return self.get_response(request)
        version = _memo.current_version()
        if _memo.render_failing():
            stale = last_rendered(key)
            if stale is not None:
                return stale
        lock = f"public:lock:{_digest(version + '#' + key)}"
        have_lock = cache.add(lock, 1, 30)
        if not have_lock:
            stale = last_rendered(key)
            if stale is not None:
                return stale  # someone else is rendering this version
        try:
            response = self.get_response(synthetic_request(key))
            entry = entry_from_response(response, key)
            if entry is not None:
                store(version, key, entry)
                return entry
        finally:
            if have_lock:
                cache.delete(lock)
        if response.status_code >= 500:
            _memo.render_failed_at = time.monotonic()
            stale = last_rendered(key)
            if stale is not None:
                log.warning("serving the last rendered %s: rendering failed with %s", key, response.status_code)
                return stale
            return response
        if response.status_code == 200:
            return self.get_response(request)  # not shareable (it sets a cookie): render it for this caller
        return response
