"""URLs: the public ones from statuspage.public.registry (one place), then the rest."""

from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.clickjacking import xframe_options_exempt
from drf_spectacular.views import SpectacularAPIView

from probes import views as probe_views
from statuspage.api.docs import SwaggerDocs
from statuspage.public.registry import URLS
from statuspage.verification import views as verification
from statuspage.views import api_v2, embeds, feeds, public, subscribe
from statuspage.views.cached import public_cached


def feed(feed_class):
    """A fresh Feed per request: Feed objects keep per-request state on self."""

    def view(request, *args, **kwargs):
        return feed_class()(request, *args, **kwargs)

    return view


# The view of each public URL, by its registry name; public_cached is added from the registry.
PUBLIC_VIEWS = {
    "status-page": public.status_page,
    "incident": public.incident_detail,
    "history": public.history,
    "history-rss": feed(feeds.HistoryRss),
    "history-atom": feed(feeds.HistoryAtom),
    "component-rss": feed(feeds.ComponentRss),
    "component-atom": feed(feeds.ComponentAtom),
    "subscribe": public.subscribe,
    "developers": public.developers,
    "badge": embeds.page_badge,
    "component-badge": embeds.component_badge,
    "embed": embeds.embed,
    "well-known": embeds.well_known,
    "signing-keys": verification.jwks,  # the keys come from the environment
    "verify": verification.verify,  # answers per reader; its empty form marks itself public
    "healthz": public.healthz,
    "v2-summary": api_v2.summary,
    "v2-status": api_v2.status,
    "v2-components": api_v2.components,
    "v2-incidents": api_v2.incidents,
    "v2-incidents-unresolved": api_v2.incidents_unresolved,
    "v2-maintenances": api_v2.maintenances,
    "v2-maintenances-upcoming": api_v2.maintenances_upcoming,
    "v2-maintenances-active": api_v2.maintenances_active,
}
# The one page other sites may frame; the relaxed headers wrap the cache so that cached
# responses carry them too.
FRAMEABLE = {"embed"}


def _public_view(url):
    view = PUBLIC_VIEWS[url.name]
    if url.snapshot and not url.lookup:  # a lookup marks its own public answers
        view = public_cached(view)
    if url.name in FRAMEABLE:
        view = csp_replace({"frame-ancestors": ["*"]})(xframe_options_exempt(view))
    return view


urlpatterns = [
    *(path(url.route, _public_view(url), name=url.name) for url in URLS),
    path("subscribe/email", subscribe.subscribe_email, name="subscribe-email"),
    path("subscribe/confirm/<str:token>", subscribe.confirm_email, name="subscribe-confirm"),
    path("subscribe/webhook", subscribe.subscribe_webhook, name="subscribe-webhook"),
    path("subscribe/webhook/confirm/<str:token>", subscribe.confirm_webhook, name="webhook-confirm"),
    path("unsubscribe/<str:token>", subscribe.unsubscribe, name="unsubscribe"),
    path("api/v1/", include("statuspage.api.urls")),
    path("api/v1/", include("probes.urls")),
    path("api/statuspage/v1/", include("statuspage.api.statuspage_v1")),  # Statuspage's management API
    path("metrics", probe_views.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerDocs.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]


handler400 = "statuspage.views.errors.bad_request"
handler403 = "statuspage.views.errors.permission_denied"
handler404 = "statuspage.views.errors.page_not_found"
handler500 = "statuspage.views.errors.server_error"
