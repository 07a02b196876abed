"""The public status page: no login, no JavaScript needed (SPEC §4)."""

from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from statuspage import uptime
from statuspage.models import Incident, PageSettings
from statuspage.state import PublicState, incidents_with_timeline


@require_safe
def status_page(request):
    state = PublicState.load()
    bars = uptime.bars(state.components, state.page.time_zone)
    sections = []
    for group in state.groups:
        children = state.visible(state.children(group))
        if children:
            sections.append({"group": group, "status": state.group_status(group),
                             "components": [(c, bars[c.pk]) for c in children]})
    loose = state.visible([c for c in state.components if not c.group_id])
    if loose:
        sections.insert(0, {"group": None, "components": [(c, bars[c.pk]) for c in loose]})
    return render(request, "statuspage/index.html", {
        "state": state, "page": state.page, "sections": sections,
    })


@require_safe
def incident_detail(request, incident_id: str):
    try:
        incident = incidents_with_timeline().get(pk=incident_id)
    except Incident.DoesNotExist:
        raise Http404("No such incident") from None
    return render(request, "statuspage/incident.html", {"incident": incident, "page": PageSettings.load()})


@require_safe
def history(request):
    incidents = incidents_with_timeline().order_by("-started_at")
    paginator = Paginator(incidents, 20)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(request, "statuspage/history.html", {"page_obj": page_obj, "page": PageSettings.load()})


@require_safe
def subscribe(request):
    return render(request, "statuspage/subscribe.html", {"page": PageSettings.load()})


@require_safe
def healthz(request):
    """Liveness for load balancers: 200 while the web process serves, whatever the database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError:
        database = "unavailable"
    return JsonResponse({"status": "ok", "database": database})
