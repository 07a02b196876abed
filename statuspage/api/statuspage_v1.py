"""Atlassian Statuspage's management API for incidents, incident updates and components
(docs/api.md), so automation written for Statuspage posts here by changing its base URL to
`<this site>/api/statuspage/v1` and its key to one of our API tokens:

    Authorization: OAuth <token>        (on-call users only, as /api/v1/)

Statuspage's request shapes (`{"incident": {…}}`, `{"component": {…}}`) and answers (a
bare JSON array for a list). Every write goes through the same model actions as /api/v1/,
so it is audited and notifies subscribers. What has no meaning here (Twitter, backfilling,
silent updates, metadata, renaming a component outside the config) is refused with a 400
naming the field, never dropped in silence.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework import status as http
from rest_framework.decorators import api_view, authentication_classes, parser_classes
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from statuspage.api import serializers as api_serializers
from statuspage.api import types
from statuspage.api.auth import TokenAuthentication
from statuspage.api.errors import check_transition
from statuspage.api.parsers import BracketFormParser, SafeJSONParser
from statuspage.api.serializers import IncidentCreateSerializer, IncidentUpdateSerializer
from statuspage.models import Component, ComponentGroup, Incident, IncidentUpdate, PageSettings
from statuspage.public import v2
from statuspage.public.state import PublicState, incidents_with_timeline
from statuspage.services.components import do_set_component_status
from statuspage.services.incident_edits import do_edit_update, do_update_incident
from statuspage.services.incidents import do_open_incident, do_post_update
from statuspage.statuses import ALL_INCIDENT_STATUSES, ComponentStatus, MaintenanceStatus
from statuspage.webhooks.bodies import WEBHOOK_UPDATE_EXTRA

VIA = "statuspage-api"  # AuditLog.via: which door a change came through
TAG = ["statuspage v1"]  # Statuspage-compatible management


class OAuthAuthentication(TokenAuthentication):
    """Statuspage's `Authorization: OAuth <key>`, with this instance's API tokens."""

    keyword = "OAuth"
    keywords = ("OAuth",)


class OAuthScheme(OpenApiAuthenticationExtension):
    """Names the scheme in the OpenAPI schema (else it takes over `tokenAuth`)."""

    target_class = OAuthAuthentication
    name = "statuspageOAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": 'Statuspage\'s form, with an API token of this site: "OAuth <token>"'}


AUTHENTICATION = [OAuthAuthentication, TokenAuthentication]
# JSON, or the bracketed form fields of Statuspage's curl examples (`-d "incident[name]=…"`).
PARSERS = [SafeJSONParser, BracketFormParser]


def _json(serializer):
    """The schema documents the JSON body only; the form is the same document (docs/api.md)."""
    return {"application/json": serializer}


# --- Request shapes -------------------------------------------------------------------------

# Statuspage options that do nothing here: accepted only at the value that matches what
# this page does (no Twitter, no backfill, no reminders; subscribers are always notified).
MUST_BE_FALSE = ("auto_tweet_at_beginning", "auto_tweet_on_completion", "auto_tweet_on_creation",
                 "auto_tweet_one_hour_before", "backfilled", "scheduled_remind_prior", "wants_twitter_update")
MUST_BE_TRUE = ("deliver_notifications", "auto_transition_deliver_notifications_at_start",
                "auto_transition_deliver_notifications_at_end", "auto_transition_to_maintenance_state",
                "auto_transition_to_operational_state")
INCIDENT_FLAGS = (*MUST_BE_FALSE[:-1], *MUST_BE_TRUE)  # wants_twitter_update is an update's
AUTOMATIC = ("scheduled_auto_in_progress", "scheduled_auto_completed", "scheduled_auto_transition")
SET_BY_CONFIG = ("name", "description", "group_id", "showcase", "only_show_if_degraded", "start_date")


# The management API's strictness, plus Statuspage's flags that only match what this page does.
class StrictSerializer(api_serializers.StrictSerializer):
    """A field not listed here is refused: 400, naming each unknown field."""

    flags: tuple[str, ...] = ()  # Statuspage's booleans it accepts (see refuse_unsupported)

    def get_fields(self):
        return {**super().get_fields(), **{name: serializers.BooleanField(required=False) for name in self.flags}}

    def refuse_unsupported(self, attrs: dict) -> None:
        errors = {}
        for name in MUST_BE_FALSE:
            if attrs.get(name):
                errors[name] = ["not supported here: must be false or absent"]
        for name in MUST_BE_TRUE:
            if attrs.get(name) is False:
                errors[name] = ["subscribers are always notified here: must be true or absent"]
        if errors:
            raise serializers.ValidationError(errors)


@extend_schema_serializer(component_name="StatuspageIncidentFields")
class IncidentFields(StrictSerializer):
    flags = (*INCIDENT_FLAGS, *AUTOMATIC)
    name = serializers.CharField(max_length=255, required=False)
    status = serializers.ChoiceField(choices=ALL_INCIDENT_STATUSES, required=False)
    impact_override = serializers.ChoiceField(choices=types.IMPACT_CHOICES, required=False, allow_null=True)
    body = serializers.CharField(allow_blank=True, max_length=20000, required=False)
    components = serializers.DictField(child=serializers.ChoiceField(choices=ComponentStatus.choices),
                                       required=False, help_text="{component id: status}")
    component_ids = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True)
    scheduled_until = serializers.DateTimeField(required=False, allow_null=True)
    backfill_date = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    metadata = serializers.DictField(required=False)
    reopen = serializers.BooleanField(required=False, help_text="Not Statuspage's: true reopens a resolved incident "
                                                                "(without it, 409; docs/api.md, transitions)")

    def validate(self, attrs):
        self.refuse_unsupported(attrs)
        errors = {}
        if attrs.get("backfill_date"):
            errors["backfill_date"] = ["backfilling is not supported here"]
        if attrs.get("metadata"):
            errors["metadata"] = ["metadata is not stored here: send {} or leave it out"]
        automatic = {attrs[name] for name in AUTOMATIC if name in attrs}
        if len(automatic) > 1:
            errors["scheduled_auto_completed"] = ["a maintenance starts and completes by itself or not at all: "
                                                  "give scheduled_auto_in_progress and scheduled_auto_completed "
                                                  "the same value"]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


@extend_schema_serializer(component_name="StatuspageIncidentChange")
class IncidentRequest(StrictSerializer):
    incident = IncidentFields()


@extend_schema_serializer(component_name="StatuspageIncidentUpdateFields")
class IncidentUpdateFields(StrictSerializer):
    flags = ("deliver_notifications", "wants_twitter_update")
    body = serializers.CharField(max_length=20000, required=False)  # corrected, never emptied
    display_at = serializers.DateTimeField(required=False)
    tweet_id = serializers.CharField(required=False, allow_null=True)
    custom_tweet = serializers.CharField(required=False, allow_null=True)

    def validate(self, attrs):
        self.refuse_unsupported(attrs)
        if attrs.get("tweet_id") or attrs.get("custom_tweet"):
            raise serializers.ValidationError({"custom_tweet": ["not supported here: no Twitter"]})
        return attrs


@extend_schema_serializer(component_name="StatuspageIncidentUpdateChange")
class IncidentUpdateRequest(StrictSerializer):
    incident_update = IncidentUpdateFields()


@extend_schema_serializer(component_name="StatuspageComponentFields")
class ComponentFields(StrictSerializer):
    status = serializers.ChoiceField(choices=ComponentStatus.choices, required=False)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            owned = {name: ["set by the config (POST /api/v1/config/), not here"] for name in SET_BY_CONFIG
                     if name in data}
            if owned:
                raise serializers.ValidationError(owned)
        return super().to_internal_value(data)


@extend_schema_serializer(component_name="StatuspageComponentChange")
class ComponentRequest(StrictSerializer):
    component = ComponentFields()


# --- Answers ------------------------------------------------------------------------------

def _page(page_id: str) -> PageSettings:
    page = PageSettings.load()
    if page_id != page.public_id:
        raise NotFound("No such page: use page.id from /api/v2/summary.json.")
    return page


def update_shape(update: dict) -> dict:
    return {**update, **WEBHOOK_UPDATE_EXTRA}


def incident_shape(incident: Incident, page: PageSettings) -> dict:
    data = {**v2.incident_dict(incident, page), **v2.incident_webhook_fields(incident), "metadata": {}}
    data["incident_updates"] = [update_shape(u) for u in data["incident_updates"]]
    return data


def _incident(incident_id: str) -> Incident:
    incident = incidents_with_timeline(public=False).filter(pk=incident_id).first()
    if incident is None:
        raise NotFound("No such incident.")
    return incident


def _valid(serializer_class, request, key: str) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data[key]


def _as_v1(fields: dict, current: dict[str, str]) -> dict:
    """Statuspage's incident fields as /api/v1/'s (validated by its serializers, so both
    doors keep one set of rules). `component_ids` without a status keep theirs."""
    components = dict(fields.get("components", {}))
    for key in fields.get("component_ids", []):
        components.setdefault(key, current.get(key, ComponentStatus.OPERATIONAL))
    data = {name: fields[name] for name in ("name", "status", "body", "scheduled_for", "scheduled_until")
            if fields.get(name) is not None}
    if fields.get("impact_override"):
        data["impact"] = fields["impact_override"]
    if components:
        data["components"] = components
    return data


def _v1_valid(serializer: serializers.Serializer) -> dict:
    if not serializer.is_valid():
        names = {"impact": "impact_override"}
        raise serializers.ValidationError({"incident": {names.get(k, k): v for k, v in serializer.errors.items()}})
    return serializer.validated_data


def _statuses() -> dict[str, str]:
    return dict(Component.objects.values_list("key", "status"))


# --- Incidents ----------------------------------------------------------------------------

LISTS = {
    "incidents": lambda qs: qs,
    "unresolved": lambda qs: qs.filter(kind=Incident.Kind.INCIDENT).open(),
    "scheduled": lambda qs: qs.filter(kind=Incident.Kind.MAINTENANCE),
    "upcoming": lambda qs: qs.filter(kind=Incident.Kind.MAINTENANCE, status=MaintenanceStatus.SCHEDULED),
    "active_maintenance": lambda qs: qs.filter(kind=Incident.Kind.MAINTENANCE).under_way(),
}


def _list(which: str, page_id: str) -> Response:
    page = _page(page_id)
    items = LISTS[which](incidents_with_timeline(public=False)).order_by("-started_at")[:100]
    return Response([incident_shape(i, page) for i in items])


def _listing(which: str):
    @extend_schema(responses={200: types.StatuspageIncidentShape(many=True)}, tags=TAG,
                   summary=f"Statuspage: list {which.replace('_', ' ')}, newest first",
                   operation_id=f"statuspage_incidents_{which}")
    @api_view(["GET"])
    @authentication_classes(AUTHENTICATION)
    def view(request, page_id: str):
        return _list(which, page_id)

    return view


@extend_schema(methods=["GET"], responses={200: types.StatuspageIncidentShape(many=True)}, tags=TAG,
               summary="Statuspage: list incidents, newest first")
@extend_schema(methods=["POST"], request=_json(IncidentRequest), responses={201: types.StatuspageIncidentShape},
               tags=TAG,
               summary="Statuspage: create an incident (or a maintenance, with scheduled_for)")
@api_view(["GET", "POST"])
@authentication_classes(AUTHENTICATION)
@parser_classes(PARSERS)
def incidents(request, page_id: str):
    if request.method == "GET":
        return _list("incidents", page_id)
    page = _page(page_id)
    fields = _valid(IncidentRequest, request, "incident")
    if not fields.get("name"):
        raise serializers.ValidationError({"incident": {"name": ["This field is required."]}})
    maintenance = fields.get("scheduled_for") or fields.get("status") in MaintenanceStatus.values
    current = _statuses()
    if maintenance:  # components change when it starts: under_maintenance, as Statuspage's do
        current = dict.fromkeys(current, ComponentStatus.UNDER_MAINTENANCE)
    data = _v1_valid(IncidentCreateSerializer(data=_as_v1(fields, current)))
    with transaction.atomic():
        incident = do_open_incident(
            name=data["name"], status=data.get("status"), body=data["body"], impact=data.get("impact"),
            components=data["components"], kind=data["kind"], scheduled_for=data.get("scheduled_for"),
            scheduled_until=data.get("scheduled_until"), author=request.user, via=VIA)
        automatic = [fields[name] for name in AUTOMATIC if name in fields]
        if automatic and not automatic[0]:
            Incident.objects.filter(pk=incident.pk).update(auto_transition=False)
    return Response(incident_shape(_incident(incident.pk), page), status=http.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: types.StatuspageIncidentShape}, tags=TAG,
               summary="Statuspage: an incident")
@extend_schema(methods=["PATCH", "PUT"], request=_json(IncidentRequest), responses={200: types.StatuspageIncidentShape},
               tags=TAG, summary="Statuspage: update an incident (status, body and components post an update)")
@api_view(["GET", "PATCH", "PUT"])
@authentication_classes(AUTHENTICATION)
@parser_classes(PARSERS)
def incident(request, page_id: str, incident_id: str):
    page = _page(page_id)
    target = get_object_or_404(Incident, pk=incident_id)
    if request.method == "GET":
        return Response(incident_shape(_incident(incident_id), page))
    fields = _valid(IncidentRequest, request, "incident")
    refused = {name: ["cannot be changed here: cancel it and book a new one"]
               for name in ("scheduled_for", "scheduled_until") if fields.get(name)}
    if refused:
        raise serializers.ValidationError({"incident": refused})
    with transaction.atomic():
        _rename_and_reimpact(target, fields, request.user)
        if {"status", "body", "components", "component_ids"} & set(fields):
            posted = {"status": target.status, **_as_v1(fields, _statuses())}
            posted.pop("name", None)  # renamed above; an update has no name nor impact
            posted.pop("impact", None)
            data = _v1_valid(IncidentUpdateSerializer(data=posted, context={"incident": target}))
            if "status" in fields:  # a body alone adds to the timeline in the status it has
                check_transition(target, data["status"], reopen=fields.get("reopen", False))
            do_post_update(target, status=data["status"], body=data["body"], components=data["components"],
                           author=request.user, via=VIA)
    return Response(incident_shape(_incident(incident_id), page))


def _rename_and_reimpact(target: Incident, fields: dict, actor) -> None:
    changes = {}
    if fields.get("name"):
        changes["name"] = fields["name"]
    impact = fields.get("impact_override")
    if impact and not (impact == "maintenance" and target.is_maintenance):
        if impact == "maintenance":
            raise serializers.ValidationError({"incident": {"impact_override": ["'maintenance' is for maintenances"]}})
        changes["impact"] = impact
    if changes:
        do_update_incident(target, actor=actor, via=VIA, **changes)


DISPLAY_AT_SLACK = timedelta(minutes=5)  # clocks disagree a little


def _check_display_at(display_at, incident) -> None:
    """A signed statement's time is shown by /verify and orders the feeds: it may be moved
    within the incident's life, not into the future nor before the incident began."""
    if display_at is None:
        return
    if display_at > timezone.now() + DISPLAY_AT_SLACK:
        raise serializers.ValidationError({"incident_update": {"display_at": ["may not be in the future"]}})
    if display_at < incident.started_at - DISPLAY_AT_SLACK:
        began = f"{incident.started_at:%Y-%m-%dT%H:%MZ}"
        raise serializers.ValidationError(
            {"incident_update": {"display_at": [f"may not be before the incident began ({began})"]}})


@extend_schema(request=_json(IncidentUpdateRequest), responses={200: types.StatuspageIncidentUpdateShape}, tags=TAG,
               summary="Statuspage: correct an update's text or time")
@api_view(["PATCH", "PUT"])
@authentication_classes(AUTHENTICATION)
@parser_classes(PARSERS)
def incident_update(request, page_id: str, incident_id: str, update_id: str):
    _page(page_id)
    update = get_object_or_404(IncidentUpdate, pk=update_id, incident_id=incident_id)
    fields = _valid(IncidentUpdateRequest, request, "incident_update")
    _check_display_at(fields.get("display_at"), update.incident)
    do_edit_update(update, actor=request.user, via=VIA,
                   **{name: fields[name] for name in ("body", "display_at") if name in fields})
    fresh = incidents_with_timeline(public=False).get(pk=incident_id)
    return Response(update_shape(v2.update_dict(next(u for u in fresh.updates.all() if u.pk == update.pk))))


# --- Components ---------------------------------------------------------------------------

@extend_schema(responses={200: types.ComponentShape(many=True)}, tags=TAG,
               summary="Statuspage: groups and components, in the page's order")
@api_view(["GET"])
@authentication_classes(AUTHENTICATION)
def components(request, page_id: str):
    _page(page_id)
    return Response(v2.components_list(PublicState.load(recent_days=0)))


@extend_schema(methods=["GET"], responses={200: types.ComponentShape}, tags=TAG, summary="Statuspage: a component")
@extend_schema(methods=["PATCH", "PUT"], request=_json(ComponentRequest), responses={200: types.ComponentShape},
               tags=TAG,
               summary="Statuspage: set a component's status by hand")
@api_view(["GET", "PATCH", "PUT"])
@authentication_classes(AUTHENTICATION)
@parser_classes(PARSERS)
def component(request, page_id: str, component_id: str):
    page = _page(page_id)
    target = Component.objects.select_related("group").filter(key=component_id).first()
    if target is None:
        group = get_object_or_404(ComponentGroup, key=component_id)
        if request.method != "GET":
            raise serializers.ValidationError({"component": {"status": ["a group's status is its components'"]}})
        return Response(v2.group_dict(group, PublicState.load(recent_days=0)))
    if request.method != "GET":
        new_status = _valid(ComponentRequest, request, "component").get("status")
        if new_status:
            do_set_component_status(target, new_status, source=Component.Source.MANUAL, actor=request.user, via=VIA)
    return Response(v2.component_dict(target, page))


P = "pages/<str:page_id>/"
urlpatterns = [
    path(P + "incidents", incidents, name="statuspage-incidents"),
    *[path(P + f"incidents/{which}", _listing(which), name=f"statuspage-incidents-{which}")
      for which in ("unresolved", "scheduled", "upcoming", "active_maintenance")],
    path(P + "incidents/<str:incident_id>", incident, name="statuspage-incident"),
    path(P + "incidents/<str:incident_id>/incident_updates/<str:update_id>", incident_update,
         name="statuspage-incident-update"),
    path(P + "components", components, name="statuspage-components"),
    path(P + "components/<str:component_id>", component, name="statuspage-component"),
]
