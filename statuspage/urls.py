from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.clickjacking import xframe_options_exempt
from drf_spectacular.views import SpectacularAPIView

from probes import views as probe_views
from statuspage.api.docs import SwaggerDocs
from statuspage.verification import views as verification
from statuspage.views import api_v2, embeds, feeds, public, subscribe
from statuspage.views.cached import public_cached


def feed(feed_class):
    """A fresh Feed per request: Feed objects keep per-request state on self."""

    def view(request, *args, **kwargs):
        return feed_class()(request, *args, **kwargs)

    return public_cached(view)


urlpatterns = [
    path("", public_cached(public.status_page), name="status-page"),
    path("incidents/<str:incident_id>", public_cached(public.incident_detail), name="incident"),
    path("history", public_cached(public.history), name="history"),
    path("history.rss", feed(feeds.HistoryRss), name="history-rss"),
    path("history.atom", feed(feeds.HistoryAtom), name="history-atom"),
    path("components/<slug:key>/history.rss", feed(feeds.ComponentRss), name="component-rss"),
    path("components/<slug:key>/history.atom", feed(feeds.ComponentAtom), name="component-atom"),
    path("subscribe", public_cached(public.subscribe), name="subscribe"),
    path("developers", public_cached(public.developers), name="developers"),
    path("badge.svg", public_cached(embeds.page_badge), name="badge"),
    path("components/<slug:key>/badge.svg", public_cached(embeds.component_badge), name="component-badge"),
    # The one page other sites may frame; outside the cache so the relaxed headers apply
    # to cached responses too.
    path("embed", csp_replace({"frame-ancestors": ["*"]})(xframe_options_exempt(public_cached(embeds.embed))),
         name="embed"),
    path(".well-known/statuspage.json", public_cached(embeds.well_known), name="well-known"),
    # Not snapshots: the keys come from the environment, the answers are per reader.
    path(".well-known/statuspage-keys.json", verification.jwks, name="signing-keys"),
    path("verify", verification.verify, name="verify"),
    path("subscribe/email", subscribe.subscribe_email, name="subscribe-email"),
    path("subscribe/confirm/<str:token>", subscribe.confirm_email, name="subscribe-confirm"),
    path("subscribe/webhook", subscribe.subscribe_webhook, name="subscribe-webhook"),
    path("subscribe/webhook/confirm/<str:token>", subscribe.confirm_webhook, name="webhook-confirm"),
    path("unsubscribe/<str:token>", subscribe.unsubscribe, name="unsubscribe"),
    path("healthz", public.healthz, name="healthz"),
    path("api/v2/summary.json", public_cached(api_v2.summary)),
    path("api/v2/status.json", public_cached(api_v2.status)),
    path("api/v2/components.json", public_cached(api_v2.components)),
    path("api/v2/incidents.json", public_cached(api_v2.incidents)),
    path("api/v2/incidents/unresolved.json", public_cached(api_v2.incidents_unresolved)),
    path("api/v2/scheduled-maintenances.json", public_cached(api_v2.maintenances)),
    path("api/v2/scheduled-maintenances/upcoming.json", public_cached(api_v2.maintenances_upcoming)),
    path("api/v2/scheduled-maintenances/active.json", public_cached(api_v2.maintenances_active)),
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
