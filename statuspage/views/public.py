"""The public status page: no login, no JavaScript needed (docs/api.md)."""

from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import F
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from probes.charts import latency_series
from probes.freshness import check as check_freshness
from statuspage.i18n import reader_time_zone
from statuspage.models import Component, ComponentGroup, Incident, PageSettings
from statuspage.public import uptime
from statuspage.public.registry import HISTORY_PER_PAGE
from statuspage.public.render_memo import shared
from statuspage.public.state import PublicState, incidents_with_timeline
from statuspage.statuses import ComponentStatus


def render_public(request, template: str, page: PageSettings, context: dict | None = None, status: int = 200):
    """Render in the reader's time zone, with what every public page shows: the language
    switcher, the time-zone note and (through base.html) the official channels."""
    with timezone.override(reader_time_zone(request, page)):
        return render(request, template, {"page": page, **(context or {})}, status=status)


@require_safe
def status_page(request):
    state = PublicState.load()
    ids = tuple(c.pk for c in state.components)
    bars = shared(("bars", ids, state.page.time_zone, get_language()),
                  lambda: uptime.bars(state.components, state.page.time_zone))
    latency = shared(("latency", ids), lambda: latency_series(list(ids)))  # daily rollups, one query

    def rows(components):
        return [(c, bars[c.pk], latency.get(c.pk, [])) for c in components]

    sections = [{**s, "components": rows(s["components"])} for s in _sections(state)]
    # What the banner names: each component that is not operational, with its group.
    affected = [(s["group"], c) for s in sections for c, _bar, _latency in s["components"]
                if c.status != ComponentStatus.OPERATIONAL]
    return render_public(request, "statuspage/index.html", state.page,
                         {"state": state, "sections": sections, "affected": affected})


def _sections(state: PublicState) -> list[dict]:
    """The page's blocks in the v2 API's order (`state.top_level()`): a group with its
    visible components, or a run of ungrouped components that follow each other."""
    sections: list[dict] = []
    for item in state.top_level():
        if isinstance(item, ComponentGroup):
            if children := state.visible(state.children(item)):
                sections.append({"group": item, "status": state.group_status(item), "components": children})
        elif state.visible([item]):
            if not sections or sections[-1]["group"] is not None:
                sections.append({"group": None, "components": []})
            sections[-1]["components"].append(item)
    return sections


@require_safe
def incident_detail(request, incident_id: str):
    try:
        incident = incidents_with_timeline().get(pk=incident_id)
    except Incident.DoesNotExist:
        raise Http404("No such incident") from None
    return render_public(request, "statuspage/incident.html", PageSettings.load(), {"incident": incident})




@require_safe
def history(request):
    incidents = incidents_with_timeline().order_by("-started_at")
    paginator = Paginator(incidents, HISTORY_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render_public(request, "statuspage/history.html", PageSettings.load(), {"page_obj": page_obj})


@require_safe
def subscribe(request):
    """For citizens: email with the services grouped, and feeds. Developers have /developers."""
    groups: list[tuple[ComponentGroup | None, list[Component]]] = []
    ordered = Component.objects.select_related("group").order_by(
        F("group__position").asc(nulls_last=True), "group__name", "position", "name")
    for c in ordered:
        if not groups or groups[-1][0] != c.group:
            groups.append((c.group, []))
        groups[-1][1].append(c)
    return render_public(request, "statuspage/subscribe.html", PageSettings.load(),
                         {"lang": get_language(), "groups": groups})


@require_safe
def developers(request):
    """Badges, the embed, the JSON API and webhooks: for sites and apps that show the status."""
    page = PageSettings.load()
    base = (page.url or request.build_absolute_uri("/")).rstrip("/")
    return render_public(request, "statuspage/developers.html", page, {"base_url": base, "lang": get_language()})


def not_found(request, exception=None):
    """A 404 in the reader's language, with the official channels like every page."""
    try:
        page = PageSettings.load()
    except DatabaseError:  # still a 404, without the page's texts
        return render(request, "404.html", {"page": None}, status=404)
    return render_public(request, "404.html", page, status=404)


@require_safe
def healthz(request):
    """200 while the web process serves, whatever the database; 503 when monitoring is blind
    (beat, the dispatcher or probes stale: probes.freshness), naming what is stale."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
        blind = check_freshness()
    except DatabaseError:
        database, blind = "unavailable", None
    if blind:
        return JsonResponse({"status": "blind", "database": database, "blind_since": blind.since.isoformat(),
                             "stale": blind.stale}, status=503)
    return JsonResponse({"status": "ok", "database": database})
