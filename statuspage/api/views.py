"""Management API (docs/api.md): on-call users post incidents, updates and statuses."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status as http
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from statuspage.api import types
from statuspage.api.errors import check_transition
from statuspage.api.params import flag
from statuspage.api.serializers import (
    ComponentPatchSerializer,
    ConfigErrorSerializer,
    ConfigResultSerializer,
    IncidentCreateSerializer,
    IncidentPatchSerializer,
    IncidentUpdateSerializer,
    UpdateEditSerializer,
    refuse_a_body,
)
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import Component, Incident, IncidentUpdate, PageSettings
from statuspage.public import v2
from statuspage.public.state import incidents_with_timeline
from statuspage.services.components import do_set_component_status
from statuspage.services.incident_edits import do_delete_incident, do_edit_update, do_update_incident
from statuspage.services.incidents import do_open_incident, do_post_update


def managed_incident(incident, page) -> dict:
    """The v2 shape plus what on-call wrote and readers get only in their language: the texts
    in every language, the postmortem, and whether it is published."""
    texts = incident.translations or {}
    return {
        **v2.incident_dict(incident, page), "published": incident.published,
        "name_translations": {lang: t["name"] for lang, t in texts.items() if t.get("name")},
        "postmortem": incident.postmortem,
        "postmortem_translations": {lang: t["postmortem"] for lang, t in texts.items() if t.get("postmortem")},
        "update_translations": {u.pk: u.translations for u in incident.updates.all() if u.translations},
    }


def _incident_response(incident_id: str, code=http.HTTP_200_OK) -> Response:
    incident = incidents_with_timeline(public=False).get(pk=incident_id)
    return Response(v2.incident_dict(incident, PageSettings.load()), status=code)


@extend_schema(methods=["GET"], responses={200: types.ManagedIncidentListShape}, summary="List incidents, newest first")
@extend_schema(methods=["POST"], request=IncidentCreateSerializer, responses={201: types.IncidentShape},
               summary="Open an incident (or schedule a maintenance with scheduled_for)")
@api_view(["GET", "POST"])
def incidents(request):
    if request.method == "GET":
        page = PageSettings.load()
        items = incidents_with_timeline(public=False).order_by("-started_at")[:100]
        return Response({"incidents": [managed_incident(i, page) for i in items]})
    serializer = IncidentCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    incident = do_open_incident(
        name=data["name"], status=data.get("status"), body=data["body"], impact=data.get("impact"),
        components=data["components"], kind=data["kind"], published=data["published"],
        scheduled_for=data.get("scheduled_for"), scheduled_until=data.get("scheduled_until"),
        author=request.user, via="api",
        translations={lang: {"name": name} for lang, name in data["name_translations"].items() if name},
        body_translations={lang: body for lang, body in data["body_translations"].items() if body},
    )
    return _incident_response(incident.pk, http.HTTP_201_CREATED)


@extend_schema(request=IncidentUpdateSerializer, responses={201: types.IncidentShape},
               summary="Post an update to an incident's timeline")
@api_view(["POST"])
def incident_updates(request, incident_id: str):
    incident = get_object_or_404(Incident, pk=incident_id)
    serializer = IncidentUpdateSerializer(data=request.data, context={"incident": incident})
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    check_transition(incident, data["status"], data["reopen"])
    do_post_update(incident, status=data["status"], body=data["body"], components=data["components"],
                   author=request.user, via="api",
                   translations={lang: body for lang, body in data["body_translations"].items() if body})
    return _incident_response(incident.pk, http.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: types.ManagedIncidentShape}, summary="An incident, drafts too",
               operation_id="v1_incident_retrieve")
@extend_schema(methods=["PATCH"], request=IncidentPatchSerializer, responses={200: types.ManagedIncidentShape},
               summary="Correct an incident: name, impact, names in other languages, postmortem; publish a draft",
               operation_id="v1_incident_partial_update")
@extend_schema(methods=["DELETE"], responses={204: None},
               summary="Delete an incident and its timeline (needs the delete_incident permission)",
               operation_id="v1_incident_destroy")
@api_view(["GET", "PATCH", "DELETE"])
def incident(request, incident_id: str):
    target = get_object_or_404(Incident, pk=incident_id)
    if request.method == "DELETE":
        if not request.user.has_perm("statuspage.delete_incident"):
            raise PermissionDenied("Deleting an incident needs the delete_incident permission (admins).")
        refuse_a_body(request)
        do_delete_incident(target, actor=request.user, via="api")
        return Response(status=http.HTTP_204_NO_CONTENT)
    if request.method == "PATCH":
        serializer = IncidentPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        do_update_incident(target, actor=request.user, via="api", **serializer.validated_data)
    fresh = incidents_with_timeline(public=False).get(pk=incident_id)
    return Response(managed_incident(fresh, PageSettings.load()))


@extend_schema(request=UpdateEditSerializer, responses={200: types.IncidentShape},
               summary="Correct an update's text; subscribers are not notified again")
@api_view(["PATCH"])
def incident_update(request, incident_id: str, update_id: str):
    update = get_object_or_404(IncidentUpdate.objects.select_related("incident"), pk=update_id,
                               incident_id=incident_id)
    serializer = UpdateEditSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    fields = dict(serializer.validated_data)
    if "body_translations" in fields:
        fields["translations"] = fields.pop("body_translations")
    do_edit_update(update, actor=request.user, via="api", **fields)
    return _incident_response(incident_id)


@extend_schema(methods=["PATCH"], request=ComponentPatchSerializer, responses={200: types.ComponentShape},
               summary="Set a component's status by hand (wins over probes until set back to operational)")
@extend_schema(methods=["GET"], responses={200: types.ComponentShape}, summary="A component in v2 shape")
@api_view(["GET", "PATCH"])
def component(request, key: str):
    component = get_object_or_404(Component.objects.select_related("group"), key=key)
    if request.method == "PATCH":
        serializer = ComponentPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new_status = serializer.validated_data["status"]
        do_set_component_status(component, new_status, source=Component.Source.MANUAL, actor=request.user, via="api")
    return Response(v2.component_dict(component, PageSettings.load()))


@extend_schema(responses={200: types.ComponentListShape}, summary="All components in v2 shape",
               operation_id="v1_components_list")
@api_view(["GET"])
def components(request):
    page = PageSettings.load()
    return Response({"components": [v2.component_dict(c, page) for c in Component.objects.select_related("group")]})


@extend_schema(
    request=OpenApiTypes.OBJECT,
    parameters=[OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="validate and plan, change nothing"),
                OpenApiParameter("prune", OpenApiTypes.BOOL,
                                 description="delete components and probes absent from the document")],
    responses={200: ConfigResultSerializer, 400: ConfigErrorSerializer},
    summary="Apply the config document (docs/config-file.md) as JSON",
)
@api_view(["POST"])
def config(request):
    dry_run, prune = flag(request, "dry_run"), flag(request, "prune")
    document, errors = validate(request.data, set(Component.objects.values_list("key", flat=True)))
    if errors:
        grouped: dict[str, list[str]] = {}
        for path, message in errors:
            grouped.setdefault(path or "non_field_errors", []).append(message)
        return Response({"errors": grouped}, status=http.HTTP_400_BAD_REQUEST)
    changes = apply_config(document, prune=prune, dry_run=dry_run, actor=request.user, via="api")
    return Response({"dry_run": dry_run, "changes": changes})
