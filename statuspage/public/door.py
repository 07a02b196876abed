"""The two doors that answer public GETs from snapshots (render on write).

- `serve_snapshots`, the WSGI application's front door (statuspage.wsgi): a hit is
  answered before Django builds a request and runs its middleware, as WhiteNoise does for
  static files. This is what makes a flash crowd cheap;
- `SnapshotMiddleware`, first in MIDDLEWARE, for everything that reaches Django (the test
  client, a miss). On a miss it renders the URL once, under a lock, from a synthetic
  anonymous request (statuspage.public.synthetic), so what is stored never depends on the
  caller's cookies; callers that lose the race, and every caller while rendering fails (the
  database is down), get the last rendered copy.
"""

from __future__ import annotations

import functools
import io
import logging
import time
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation

from statuspage.i18n import TZ_COOKIE_NAME, LanguageSwitchMiddleware, known_zone, language_from_request, supported
from statuspage.public import store
from statuspage.public.entries import Entry, entry_from_response, not_modified
from statuspage.public.keys import digest, key_path, reader_zone, reads_params, snapshot_key, zone_beyond_language
from statuspage.public.registry import LANGUAGE_FREE, LOOKUPS, may_be_snapshot
from statuspage.public.synthetic import RENDER_FLAG, synthetic_request

log = logging.getLogger(__name__)


def request_key(request, may_query: bool = True) -> str | None:
    """The snapshot key of a request, or None when it is not one snapshots may answer (or,
    with `may_query` false, not without reading the database: Django's door will)."""
    if request.method not in ("GET", "HEAD") or not settings.PUBLIC_SNAPSHOTS:
        return None
    path = request.path
    if not may_be_snapshot(path):
        return None
    query = request.META.get("QUERY_STRING", "")
    if path in LOOKUPS and LOOKUPS[path] in {k for k, _ in parse_qsl(query)}:
        return None
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return None  # let SecurityMiddleware redirect
    if path in LANGUAGE_FREE:
        lang = ""
    else:
        lang = _chosen_language(query) or language_from_request(request)
    params = zone = None
    beyond = path not in LANGUAGE_FREE and zone_beyond_language(request, path)
    if beyond or reads_params(path, query):
        params = store.key_params(may_query)
        if params is None:
            return None
        if beyond and dict(parse_qsl(query)).get("tz") not in params.zones:
            zone = reader_zone(request, lang, params)
    return snapshot_key(lang, key_path(path, query, lang, params, zone))


def _chosen_language(query_string: str) -> str | None:
    """`?lang=xx` (statuspage.i18n.LanguageSwitchMiddleware), when the language is known."""
    if "lang=" not in query_string:
        return None
    return supported(dict(parse_qsl(query_string)).get("lang"))



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
    return known_zone(dict(parse_qsl(query_string)).get("tz"))


@functools.lru_cache(maxsize=32)
def _zone_cookie(zone: str, hour: int) -> str | None:
    """The cookie that keeps `?tz=`, made by the middleware that sets it for Django."""
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




def serve_snapshots(app):
    """Wrap a WSGI application: public GETs with a snapshot are answered here."""

    def application(environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and settings.PUBLIC_SNAPSHOTS:
            found = _snapshot_request(environ)
            entry = store.lookup(found[1]) if found else None
            if entry is None and found and store.render_failing():
                entry = store.last_rendered(found[1])
            if entry is not None:
                request = found[0]
                encoding = entry.encoding_for(environ.get("HTTP_ACCEPT_ENCODING", ""))
                headers = entry.response_headers(encoding) + _extra_headers(request)
                if not_modified(entry, encoding, environ.get("HTTP_IF_NONE_MATCH", "")):
                    start_response("304 Not Modified", [
                        (h, v) for h, v in headers if h not in ("Content-Length", "Content-Type", "Content-Encoding")])
                    return [b""]
                start_response("200 OK", headers)
                return [b"" if environ["REQUEST_METHOD"] == "HEAD" else entry.bodies[encoding]]
        return app(environ, start_response)

    return application


def _as_response(request, entry: Entry) -> HttpResponse:
    encoding = entry.encoding_for(request.headers.get("Accept-Encoding", ""))
    if not_modified(entry, encoding, request.headers.get("If-None-Match", "")):
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
        entry = store.lookup(key)
        if entry is None:
            entry = self._render_missing(request, key)
            if isinstance(entry, HttpResponse):
                return entry
        return _as_response(request, entry)

    def _render_missing(self, request, key: str) -> Entry | HttpResponse:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        if not getattr(match.func, "public_snapshot", False):
            return self.get_response(request)
        version = store.current_version()
        if store.render_failing():
            stale = store.last_rendered(key)
            if stale is not None:
                return stale
        lock = f"public:lock:{digest(version + '#' + key)}"
        have_lock = cache.add(lock, 1, 30)
        if not have_lock:
            stale = store.last_rendered(key)
            if stale is not None:
                return stale  # someone else is rendering this version
        try:
            response = self.get_response(synthetic_request(key))
            entry = entry_from_response(response, key)
            if entry is not None:
                store.store(version, key, entry)
                return entry
        finally:
            if have_lock:
                cache.delete(lock)
        if response.status_code >= 500:
            store.render_failed()
            stale = store.last_rendered(key)
            if stale is not None:
                log.warning("serving the last rendered %s: rendering failed with %s", key, response.status_code)
                return stale
            return response
        if response.status_code == 200:
            return self.get_response(request)  # not shareable (it sets a cookie): render it for this caller
        return response
