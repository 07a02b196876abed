"""Response shapes for the OpenAPI schema (docs/api.md): serializers that describe the
dicts statuspage.public.v2 and the API views build, so that generated clients get typed models.

They only document; nothing is serialised through them. tests/test_openapi.py checks them
against real answers, so a field added to a dict and not here fails a test.
"""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from statuspage.models import Delivery, WebhookSubscriber
from statuspage.statuses import ALL_INCIDENT_STATUSES, ComponentStatus, Impact

# "maintenance": every scheduled maintenance's impact, as in Statuspage; and the page's
# indicator while one is in progress.
IMPACT_CHOICES = [*Impact.choices, ("maintenance", "Maintenance")]
INDICATOR_CHOICES = [(value, value) for value, _ in IMPACT_CHOICES]


@extend_schema_serializer(component_name="Page")
class PageShape(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField(help_text="Absolute; the instance's own when the config sets none.")
    time_zone = serializers.CharField()
    updated_at = serializers.DateTimeField(help_text="Moves with every public change.")
    verify_url = serializers.URLField(help_text="Not in Statuspage's shape: where the official channels are listed.")


@extend_schema_serializer(component_name="Component")
class ComponentShape(serializers.Serializer):
    id = serializers.CharField(help_text="The component's key (a group's key for a group).")
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=ComponentStatus.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    position = serializers.IntegerField()
    description = serializers.CharField(allow_null=True)
    showcase = serializers.BooleanField()
    start_date = serializers.DateField(allow_null=True)
    group_id = serializers.CharField(allow_null=True)
    page_id = serializers.CharField()
    group = serializers.BooleanField(help_text="true: a group, whose `components` lists its children's ids.")
    only_show_if_degraded = serializers.BooleanField()
    components = serializers.ListField(child=serializers.CharField(), required=False,
                                       help_text="Groups only: the ids of their components.")


@extend_schema_serializer(component_name="AffectedComponent")
class AffectedComponentShape(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    old_status = serializers.ChoiceField(choices=ComponentStatus.choices)
    new_status = serializers.ChoiceField(choices=ComponentStatus.choices)


@extend_schema_serializer(component_name="IncidentUpdate")
class IncidentUpdateShape(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=ALL_INCIDENT_STATUSES)
    body = serializers.CharField(help_text="Markdown.")
    incident_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    display_at = serializers.DateTimeField()
    affected_components = AffectedComponentShape(many=True)
    deliver_notifications = serializers.BooleanField()
    custom_tweet = serializers.CharField(allow_null=True)
    tweet_id = serializers.CharField(allow_null=True)
    verification_code = serializers.CharField(help_text="Not in Statuspage's shape: the code /verify knows it by.")
    kid = serializers.CharField(help_text="The signing key's id in /.well-known/statuspage-keys.json.")
    signature = serializers.CharField(
        help_text="base64url Ed25519 signature over the RFC 8785 JSON of this object without `signature`.")


@extend_schema_serializer(component_name="NoticeSentInError")
class NoticeSentInErrorShape(serializers.Serializer):
    id = serializers.CharField()
    wording = serializers.CharField(help_text="The message as everyone received it.")
    channels = serializers.ListField(child=serializers.CharField())
    sent_from = serializers.DateTimeField(allow_null=True)
    sent_until = serializers.DateTimeField(allow_null=True)
    people = serializers.IntegerField(allow_null=True)
    what_to_do = serializers.CharField()
    translations = serializers.DictField()


@extend_schema_serializer(component_name="NoticesSentInError")
class NoticesSentInErrorShape(serializers.Serializer):
    notices_sent_in_error = NoticeSentInErrorShape(many=True)


@extend_schema_serializer(component_name="Incident")
class IncidentShape(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=ALL_INCIDENT_STATUSES)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    monitoring_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    impact = serializers.ChoiceField(choices=IMPACT_CHOICES)
    shortlink = serializers.URLField()
    started_at = serializers.DateTimeField()
    page_id = serializers.CharField()
    incident_updates = IncidentUpdateShape(many=True)
    components = ComponentShape(many=True)
    scheduled_for = serializers.DateTimeField(required=False, help_text="Maintenances only.")
    scheduled_until = serializers.DateTimeField(required=False, allow_null=True, help_text="Maintenances only.")
    notices_sent_in_error = NoticeSentInErrorShape(many=True, help_text="Not in Statuspage's shape.")


@extend_schema_serializer(component_name="StatuspageIncidentUpdate")
class StatuspageIncidentUpdateShape(IncidentUpdateShape):
    wants_twitter_update = serializers.BooleanField()
    twitter_updated_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="StatuspageIncident")
class StatuspageIncidentShape(IncidentShape):
    """An incident as Statuspage's management API and webhooks give it."""

    incident_updates = StatuspageIncidentUpdateShape(many=True)
    scheduled_for = serializers.DateTimeField(allow_null=True)
    scheduled_until = serializers.DateTimeField(allow_null=True)
    postmortem_ignored = serializers.BooleanField()
    postmortem_body = serializers.CharField(allow_null=True)
    postmortem_body_last_updated_at = serializers.DateTimeField(allow_null=True)
    postmortem_published_at = serializers.DateTimeField(allow_null=True)
    postmortem_notified_subscribers = serializers.BooleanField()
    postmortem_notified_twitter = serializers.BooleanField()
    backfilled = serializers.BooleanField()
    scheduled_remind_prior = serializers.BooleanField()
    scheduled_reminded_at = serializers.DateTimeField(allow_null=True)
    impact_override = serializers.ChoiceField(choices=IMPACT_CHOICES, allow_null=True)
    scheduled_auto_in_progress = serializers.BooleanField()
    scheduled_auto_completed = serializers.BooleanField()
    metadata = serializers.DictField()


@extend_schema_serializer(component_name="ManagedIncident")
class ManagedIncidentShape(IncidentShape):
    published = serializers.BooleanField(help_text="false: a draft, seen by on-call only.")
    name_translations = serializers.DictField(child=serializers.CharField(), help_text="{lang: name}")
    postmortem = serializers.CharField(allow_blank=True, help_text="Markdown, in the page's text language.")
    postmortem_translations = serializers.DictField(child=serializers.CharField(), help_text="{lang: postmortem}")
    update_translations = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()), help_text="{update id: {lang: body}}")


@extend_schema_serializer(component_name="Status")
class StatusShape(serializers.Serializer):
    indicator = serializers.ChoiceField(choices=INDICATOR_CHOICES)
    description = serializers.CharField()


@extend_schema_serializer(component_name="Monitoring")
class MonitoringShape(serializers.Serializer):
    """Not in Statuspage's shape: whether the statuses shown are being verified right now."""

    automatic_checks = serializers.ChoiceField(choices=["on_time", "delayed"])
    delayed_since = serializers.DateTimeField(allow_null=True)
    description = serializers.CharField(allow_null=True)


@extend_schema_serializer(component_name="Summary")
class SummaryShape(serializers.Serializer):
    page = PageShape()
    components = ComponentShape(many=True)
    incidents = IncidentShape(many=True, help_text="Unresolved incidents.")
    scheduled_maintenances = IncidentShape(many=True, help_text="Maintenances in progress or upcoming.")
    status = StatusShape()
    monitoring = MonitoringShape()


@extend_schema_serializer(component_name="StatusAnswer")
class StatusAnswerShape(serializers.Serializer):
    page = PageShape()
    status = StatusShape()
    monitoring = MonitoringShape()


@extend_schema_serializer(component_name="ComponentsAnswer")
class ComponentsAnswerShape(serializers.Serializer):
    page = PageShape()
    components = ComponentShape(many=True)


@extend_schema_serializer(component_name="IncidentsAnswer")
class IncidentsAnswerShape(serializers.Serializer):
    page = PageShape()
    incidents = IncidentShape(many=True)


@extend_schema_serializer(component_name="MaintenancesAnswer")
class MaintenancesAnswerShape(serializers.Serializer):
    page = PageShape()
    scheduled_maintenances = IncidentShape(many=True)


@extend_schema_serializer(component_name="ManagedIncidentList")
class ManagedIncidentListShape(serializers.Serializer):
    incidents = ManagedIncidentShape(many=True)


@extend_schema_serializer(component_name="ComponentList")
class ComponentListShape(serializers.Serializer):
    components = ComponentShape(many=True)


@extend_schema_serializer(component_name="Webhook")
class WebhookShape(serializers.Serializer):
    id = serializers.CharField()
    url = serializers.URLField()
    description = serializers.CharField(allow_blank=True)
    format = serializers.ChoiceField(choices=WebhookSubscriber.Format.choices)
    components = serializers.ListField(child=serializers.CharField(), help_text="Component keys; empty: all.")
    active = serializers.BooleanField()
    disabled_reason = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="NewWebhook")
class NewWebhookShape(WebhookShape):
    secret = serializers.CharField(help_text="whsec_…: shown in this answer only.")


@extend_schema_serializer(component_name="WebhookList")
class WebhookListShape(serializers.Serializer):
    webhooks = WebhookShape(many=True)


@extend_schema_serializer(component_name="WebhookDelivery")
class WebhookDeliveryShape(serializers.Serializer):
    event_id = serializers.CharField()
    type = serializers.CharField()
    status = serializers.ChoiceField(choices=Delivery.Status.choices)
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_null=True)
    last_latency_ms = serializers.IntegerField(allow_null=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="WebhookDeliveries")
class WebhookDeliveriesShape(serializers.Serializer):
    webhook = WebhookShape()
    deliveries = WebhookDeliveryShape(many=True)


@extend_schema_serializer(component_name="QueuedTestEvent")
class QueuedTestEventShape(serializers.Serializer):
    event_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued"])


@extend_schema_serializer(component_name="ProbeRun")
class ProbeRunShape(serializers.Serializer):
    region = serializers.CharField()
    scheduled_for = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField(allow_null=True)
    ok = serializers.BooleanField()
    slow = serializers.BooleanField()
    failure_class = serializers.CharField(allow_null=True)
    step = serializers.CharField(allow_null=True)
    message = serializers.CharField(allow_null=True)
    steps = serializers.ListField(child=serializers.DictField())
    expectation = serializers.JSONField(allow_null=True)
    seen = serializers.JSONField(allow_null=True)


@extend_schema_serializer(component_name="ProbeRegion")
class ProbeRegionShape(serializers.Serializer):
    region = serializers.CharField()
    state = serializers.CharField()
    next_run_at = serializers.DateTimeField(allow_null=True)
    last_run_at = serializers.DateTimeField(allow_null=True)
    consecutive_failures = serializers.IntegerField()
    consecutive_successes = serializers.IntegerField()


@extend_schema_serializer(component_name="Probe")
class ProbeShape(serializers.Serializer):
    key = serializers.CharField()
    component = serializers.CharField()
    enabled = serializers.BooleanField()
    state = serializers.CharField()
    state_changed_at = serializers.DateTimeField(allow_null=True)
    incident_id = serializers.CharField(allow_null=True)
    interval_ms = serializers.IntegerField()
    regions = ProbeRegionShape(many=True)
    quorum = serializers.IntegerField()
    trip_after = serializers.IntegerField()
    recover_after = serializers.IntegerField()
    incident_mode = serializers.CharField()
    last_failure = serializers.JSONField(allow_null=True)
    last_runs = ProbeRunShape(many=True)


@extend_schema_serializer(component_name="ProbeList")
class ProbeListShape(serializers.Serializer):
    probes = ProbeShape(many=True)


@extend_schema_serializer(component_name="ProbeResults")
class ProbeResultsShape(serializers.Serializer):
    probe = serializers.CharField()
    state = serializers.CharField()
    results = ProbeRunShape(many=True)
