"""Marks a view's responses as public snapshots (statuspage.public.door serves them).

The view itself stays a plain view: it runs when a snapshot is rendered (after a public
change, or on the first request of a new version), never per request. Its response gets
the public cache headers here; the snapshot layer adds the ETag and answers 304s.
"""

from functools import wraps

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers


def mark_public(request, response):
    """A successful GET becomes a public snapshot: the public cache headers, and the mark
    statuspage.public.store keeps it by."""
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_MAX_AGE,
                            stale_while_revalidate=settings.PUBLIC_CACHE_STALE_WHILE_REVALIDATE)
        patch_vary_headers(response, ["Accept-Language"])
        response.public_snapshot = True
    return response


def public_cached(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return mark_public(request, view(request, *args, **kwargs))

    wrapper.public_snapshot = True
    return wrapper
