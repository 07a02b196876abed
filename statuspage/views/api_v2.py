"""Public JSON API, shaped like Atlassian Statuspage's v2 (docs/api.md)."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from statuspage.public import v2
from statuspage.public.state import PublicState, incidents_with_timeline

_JSON = {"json_dumps_params": {"ensure_ascii": False}}


def read_only(view):
    """GET and HEAD only: any other method gets 405 with `Allow`, as the OpenAPI schema
    says, rather than the CSRF check's 403 page (nothing here changes anything)."""
    return csrf_exempt(require_safe(view))


def _respond(data: dict) -> JsonResponse:
    response = JsonResponse(data, **_JSON)
    response["Access-Control-Allow-Origin"] = "*"  # aggregators and widgets read it cross-origin
    return response


@read_only
def summary(request):
    return _respond(v2.summary(PublicState.load(recent_days=0)))


@read_only
def status(request):
    state = PublicState.load(recent_days=0)
    return _respond({"page": v2.page_dict(state.page), "status": v2.status_dict(state),
                     "monitoring": v2.monitoring_dict(state)})


@read_only
def components(request):
    state = PublicState.load(recent_days=0)
    return _respond({"page": v2.page_dict(state.page), "components": v2.components_list(state)})


def _incidents(kind: str, limit: int = 50, only=None):
    state = PublicState.load(recent_days=0)
    qs = incidents_with_timeline().filter(kind=kind).order_by("-started_at")
    if only is not None:
        qs = only(qs)
    return state, [v2.incident_dict(i, state.page) for i in qs[:limit]]


@read_only
def incidents(request):
    state, items = _incidents("incident")
    return _respond({"page": v2.page_dict(state.page), "incidents": items})


@read_only
def incidents_unresolved(request):
    state, items = _incidents("incident", only=lambda qs: qs.open())
    return _respond({"page": v2.page_dict(state.page), "incidents": items})


@read_only
def maintenances(request):
    state, items = _incidents("maintenance")
    return _respond({"page": v2.page_dict(state.page), "scheduled_maintenances": items})


@read_only
def maintenances_upcoming(request):
    state, items = _incidents("maintenance", only=lambda qs: qs.filter(status="scheduled"))
    return _respond({"page": v2.page_dict(state.page), "scheduled_maintenances": items})


@read_only
def maintenances_active(request):
    state, items = _incidents("maintenance", only=lambda qs: qs.under_way())
    return _respond({"page": v2.page_dict(state.page), "scheduled_maintenances": items})
