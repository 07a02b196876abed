from django.conf import settings
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

from statuspage.models import PageSettings
from statuspage.public.registry import is_public


class PublicCacheHeadersMiddleware:
    """Cache-Control for public GETs; private/no-store for everything else.

    It sits above ConditionalGetMiddleware, which adds the ETag and answers 304.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if request.method in ("GET", "HEAD") and is_public(request.path) and response.status_code == 200:
            patch_cache_control(
                response, public=True, max_age=settings.PUBLIC_CACHE_MAX_AGE,
                stale_while_revalidate=settings.PUBLIC_CACHE_STALE_WHILE_REVALIDATE,
            )
            patch_vary_headers(response, ["Accept-Language", "Cookie"])
        else:
            patch_cache_control(response, private=True, no_store=True)
        return response


class AdminTimeZoneMiddleware:
    """The on-call console works in the page's time zone: a maintenance typed as 02:00 is
    02:00 where the page is (Kyiv), not on the server's UTC clock. Public pages keep their
    reader's zone (statuspage.i18n.reader_time_zone); only /admin/ is touched here."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = "/admin/"

    def __call__(self, request):
        if not request.path.startswith(self.prefix):
            return self.get_response(request)
        timezone.activate(PageSettings.load().time_zone or settings.TIME_ZONE)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
