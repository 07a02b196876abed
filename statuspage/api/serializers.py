"""Request shapes of the management API (docs/api.md), strict: a field the shape does not
name is refused with a message naming it (StrictSerializer, for every write, nested ones
too), and a value that is not one of a field's choices is refused listing the valid ones."""

from collections.abc import Mapping

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from statuspage.api.types import IMPACT_CHOICES
from statuspage.models import Component, Incident, IncidentTemplate
from statuspage.public.v2 import MAINTENANCE_IMPACT
from statuspage.statuses import ComponentStatus, Impact, IncidentStatus, MaintenanceStatus


def name_choices(field: serializers.Field, label: str) -> None:
    """`'fixed' is not a valid status; valid: investigating, …` instead of DRF's bare
    "is not a valid choice.", for a choice field and the choices of a dict's or list's values."""
    child = getattr(field, "child", None)
    if isinstance(child, serializers.ChoiceField):
        name_choices(child, "component status" if set(child.choices) == set(ComponentStatus.values) else label)
    if isinstance(field, serializers.ChoiceField):
        valid = ", ".join(str(choice) for choice in field.choices)
        field.error_messages["invalid_choice"] = f"'{{input}}' is not a valid {label}; valid: {valid}"


# The base of every write serializer: a typo such as `titel` must not publish an incident
# without its title. Its docstring is what the OpenAPI schema says of each request body.
class StrictSerializer(serializers.Serializer):
    """A field not listed here is refused: 400, naming each unknown field."""

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            name_choices(field, name.replace("_", " "))
        return fields

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            known = [name for name, field in self.fields.items() if not field.read_only]
            unknown = sorted(set(data) - set(known))
            if unknown:
                message = f"unknown field; known: {', '.join(known)}"
                raise serializers.ValidationError({name: [message] for name in unknown})
        return super().to_internal_value(data)


def refuse_a_body(request) -> None:
    """For a POST or DELETE that takes no body: one sent anyway is refused, field by field,
    rather than ignored (a client that thinks it passes options must learn it does not)."""
    StrictSerializer(data=request.data or {}).is_valid(raise_exception=True)


# OpenAPI 3.0 has no propertyNames (JSON Schema 2019+): the key's form is in the description.
@extend_schema_field({
    "type": "object",
    "additionalProperties": {"type": "string", "enum": [value for value, _ in ComponentStatus.choices]},
    "description": "{component key: status}; keys are component keys (letters, digits, - and _).",
})
class ComponentStatusesField(serializers.DictField):
    """`{component key: status}`, validated into `{Component: status}`."""

    child = serializers.ChoiceField(choices=ComponentStatus.choices)

    def to_internal_value(self, data):
        statuses = super().to_internal_value(data)
        found = {c.key: c for c in Component.objects.filter(key__in=list(statuses))}
        unknown = sorted(set(statuses) - set(found))
        if unknown:
            raise serializers.ValidationError(f"unknown component(s): {', '.join(unknown)}")
        return {found[key]: status for key, status in statuses.items()}


@extend_schema_field({
    "type": "object", "additionalProperties": False,
    "properties": {code: {"type": "string", "maxLength": 20000} for code, _ in settings.LANGUAGES},
})
class TextsByLanguageField(serializers.DictField):
    """`{language code: text}` for one of the page's languages (uk, uz, uz-latn, ru, en)."""

    child = serializers.CharField(max_length=20000, allow_blank=True)

    def to_internal_value(self, data):
        texts = super().to_internal_value(data)
        unknown = sorted(set(texts) - {code for code, _ in settings.LANGUAGES})
        if unknown:
            raise serializers.ValidationError(f"unknown language(s): {', '.join(unknown)}")
        return texts


def template_field() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="key", queryset=IncidentTemplate.objects.all(), required=False, write_only=True,
        help_text="An incident template's key: fills the name, body, status, impact and translations "
                  "that the request leaves out.")


def filled_from_template(attrs: dict, initial: dict, new_incident: bool) -> dict:
    """The request's fields, with what it left out (not sent at all) taken from its template."""
    template = attrs.pop("template", None)
    if template is None:
        return attrs
    sent = {k: v for k, v in attrs.items() if k in initial}
    return {**attrs, **template.fill(sent, new_incident=new_incident)}


class IncidentCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=255, required=False, help_text="Required unless a template gives it.")
    template = template_field()
    status = serializers.ChoiceField(
        choices=[*IncidentStatus.choices, *MaintenanceStatus.choices], required=False,
        help_text="Default: investigating (incident) or scheduled (maintenance).")
    impact = serializers.ChoiceField(
        choices=IMPACT_CHOICES, required=False,
        help_text="Default: derived from the components' statuses. `maintenance` (as Statuspage says of "
                  "every scheduled maintenance) only with scheduled_for.")
    body = serializers.CharField(allow_blank=True, required=False, default="", max_length=20000,
                                 help_text="Markdown.")
    components = ComponentStatusesField(required=False, default=dict)
    published = serializers.BooleanField(required=False, default=True, help_text="false: a draft for on-call.")
    scheduled_for = serializers.DateTimeField(required=False, help_text="Makes it a scheduled maintenance.")
    scheduled_until = serializers.DateTimeField(required=False)
    name_translations = TextsByLanguageField(required=False, default=dict,
                                             help_text='The name in other languages: {"uk": "…", "uz": "…"}.')
    body_translations = TextsByLanguageField(required=False, default=dict,
                                             help_text="The body in other languages (Markdown).")

    def validate(self, attrs):
        attrs = filled_from_template(attrs, self.initial_data, new_incident=True)
        if not attrs.get("name"):
            raise serializers.ValidationError({"name": "This field is required (or give a template)."})
        maintenance = "scheduled_for" in attrs
        kind = Incident.Kind.MAINTENANCE if maintenance else Incident.Kind.INCIDENT
        status = attrs.get("status")
        if status and status not in Incident.allowed_statuses(kind):
            raise serializers.ValidationError(
                {"status": f"'{status}' is not a valid {kind} status; valid: "
                           f"{', '.join(Incident.allowed_statuses(kind))}"})
        if "scheduled_until" in attrs and not maintenance:
            raise serializers.ValidationError({"scheduled_for": "is required with scheduled_until"})
        if maintenance and attrs.get("scheduled_until") and attrs["scheduled_until"] <= attrs["scheduled_for"]:
            raise serializers.ValidationError({"scheduled_until": "must be after scheduled_for"})
        if attrs.get("impact") == MAINTENANCE_IMPACT:
            if not maintenance:
                raise serializers.ValidationError(
                    {"impact": "'maintenance' is the impact of a scheduled maintenance: give scheduled_for, "
                               "or use one of none, minor, major, critical"})
            del attrs["impact"]  # a maintenance's impact is shown as "maintenance" whatever is stored
        attrs["kind"] = kind
        return attrs


class IncidentUpdateSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=[*IncidentStatus.choices, *MaintenanceStatus.choices])
    template = template_field()
    body = serializers.CharField(allow_blank=True, required=False, default="", max_length=20000)
    components = ComponentStatusesField(required=False, default=dict)
    body_translations = TextsByLanguageField(required=False, default=dict,
                                             help_text='The body in other languages: {"uk": "…", "uz": "…"}.')

    reopen = serializers.BooleanField(
        required=False, default=False,
        help_text="true: reopen a resolved incident (or completed maintenance); without it, 409.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        incident = self.context.get("incident")
        if incident is not None:  # only this kind's statuses are valid (none in the schema's view)
            self.fields["status"].choices = Incident.allowed_statuses(incident.kind)
            name_choices(self.fields["status"], f"{incident.kind} status")

    def validate(self, attrs):
        return filled_from_template(attrs, self.initial_data, new_incident=False)


class ComponentPatchSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=ComponentStatus.choices)


class ConfigErrorSerializer(serializers.Serializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="Messages by config path, e.g. probes[2].steps[0].expect.json")
    detail = serializers.CharField(required=False, help_text="A body that is not a JSON document")


class ConfigResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    changes = serializers.ListField(child=serializers.CharField())


class AtLeastOneField(StrictSerializer):  # a PATCH: an empty body is a mistake, not a no-op
    """Give one or more of these fields; a field not listed here is refused (400 naming it)."""

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": [
                f"nothing to change: give one or more of {', '.join(self.fields)}"]})
        return attrs


class IncidentPatchSerializer(AtLeastOneField):
    name = serializers.CharField(max_length=255, required=False)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    name_translations = TextsByLanguageField(required=False,
                                             help_text='{"uk": "…"}: set these languages\' names; "" removes one.')
    postmortem = serializers.CharField(allow_blank=True, required=False, max_length=50000,
                                       help_text='Markdown; shown on the page at once. "" withdraws it.')
    published = serializers.BooleanField(required=False,
                                         help_text="true publishes a draft (subscribers hear of it then); "
                                                   "a published incident cannot become a draft again.")


class UpdateEditSerializer(AtLeastOneField):
    # Not blank: a published statement may be corrected, never emptied (/verify still vouches for it).
    body = serializers.CharField(required=False, max_length=20000, help_text="Markdown.")
    body_translations = TextsByLanguageField(required=False,
                                             help_text='{"uk": "…"}: set these languages\' bodies; "" removes one.')
