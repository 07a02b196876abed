"""Public responses cached per public version.

Every public change bumps the version (statuspage.publish), so a cached response is
never stale for longer than a commit; a request with the current ETag gets a 304 without
rendering or touching the database. Entries also expire after PUBLIC_RENDER_TTL, because
the page holds time-relative content (today's uptime, "in 2 hours").
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from statuspage.publish import public_version


def _cache_headers(response, etag: str):
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_MAX_AGE,
                        stale_while_revalidate=settings.PUBLIC_CACHE_STALE_WHILE_REVALIDATE)
    patch_vary_headers(response, ["Accept-Language"])
    return response


def public_cached(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        version = public_version()
        path = request.get_full_path()
        lang = get_language() or ""
        digest = hashlib.blake2b(f"{version}|{lang}|{path}".encode(), digest_size=12).hexdigest()
        etag = f'"{digest}"'
        if etag in request.headers.get("If-None-Match", ""):
            return _cache_headers(HttpResponseNotModified(), etag)
        key = f"public:{digest}"
        hit = cache.get(key)
        if hit is not None:
            content, content_type, extra = hit
            response = HttpResponse(content, content_type=content_type)
            for name, value in extra:
                response[name] = value
            return _cache_headers(response, etag)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            if hasattr(response, "render"):
                response.render()
            extra = [(h, response[h]) for h in ("Access-Control-Allow-Origin", "Content-Language") if h in response]
            cache.set(key, (response.content, response["Content-Type"], extra), settings.PUBLIC_RENDER_TTL)
            _cache_headers(response, etag)
        return response

    return wrapper
