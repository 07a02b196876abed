"""Webhook subscribers through the management API (docs/api.md)."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework import status as http
from rest_framework.decorators import api_view
from rest_framework.response import Response

from statuspage.api import types
from statuspage.api.serializers import StrictSerializer, refuse_a_body
from statuspage.delivery_tasks import deliver_batch
from statuspage.models import AuditLog, Component, WebhookSubscriber
from statuspage.webhooks.dispatch import send_test_event
from statuspage.webhooks.ssrf import BlockedAddress, check_url


def validate_webhook_url(url: str) -> str:
    """The SSRF rule for webhook URLs, shared by the API, /subscribe and the admin."""
    try:
        check_url(url, settings.WEBHOOK_ALLOWED_NETWORKS)
    except (BlockedAddress, ValueError, OSError) as exc:
        raise serializers.ValidationError(str(exc)) from None
    return url


class WebhookCreateSerializer(StrictSerializer):
    url = serializers.URLField(max_length=2000, validators=[validate_webhook_url])
    components = serializers.ListField(child=serializers.SlugField(), required=False, default=list,
                                       help_text="Component keys; empty: every component.")
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    format = serializers.ChoiceField(choices=WebhookSubscriber.Format.choices, default="standard")

    def validate_components(self, keys):
        found = list(Component.objects.filter(key__in=keys))
        unknown = sorted(set(keys) - {c.key for c in found})
        if unknown:
            raise serializers.ValidationError(f"unknown component(s): {', '.join(unknown)}")
        return found


def webhook_dict(w: WebhookSubscriber, with_secret: bool = False) -> dict:
    data = {"id": w.pk, "url": w.url, "description": w.description, "format": w.format,
            "components": [c.key for c in w.components.all()], "active": w.active,
            "disabled_reason": w.disabled_reason or None, "created_at": w.created_at}
    if with_secret:
        data["secret"] = w.secret
    return data


@extend_schema(methods=["POST"], request=WebhookCreateSerializer, responses={201: types.NewWebhookShape},
               summary="Add a webhook subscriber; the whsec_ secret is in this response only")
@extend_schema(methods=["GET"], responses={200: types.WebhookListShape}, summary="List webhook subscribers")
@api_view(["GET", "POST"])
def webhooks(request):
    if request.method == "GET":
        items = WebhookSubscriber.objects.prefetch_related("components")
        return Response({"webhooks": [webhook_dict(w) for w in items]})
    serializer = WebhookCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    webhook = WebhookSubscriber.objects.create(url=data["url"], description=data["description"],
                                               format=data["format"], created_by=request.user,
                                               owner_email=request.user.email)
    webhook.components.set(data["components"])
    AuditLog.record(actor=request.user, via="api", action="create", obj=webhook, summary=webhook.url)
    return Response(webhook_dict(webhook, with_secret=True), status=http.HTTP_201_CREATED)


@extend_schema(responses={204: None}, summary="Remove a webhook subscriber")
@api_view(["DELETE"])
def webhook(request, webhook_id: str):
    target = get_object_or_404(WebhookSubscriber, pk=webhook_id)
    refuse_a_body(request)
    AuditLog.record(actor=request.user, via="api", action="delete", obj=target, summary=target.url)
    target.delete()
    return Response(status=http.HTTP_204_NO_CONTENT)


@extend_schema(responses={200: types.WebhookDeliveriesShape}, summary="A subscriber's delivery log, newest first")
@api_view(["GET"])
def webhook_deliveries(request, webhook_id: str):
    target = get_object_or_404(WebhookSubscriber, pk=webhook_id)
    items = target.deliveries.select_related("event").order_by("-created_at")[:100]
    return Response({"webhook": webhook_dict(target), "deliveries": [{
        "event_id": d.event_id, "type": d.event.type, "status": d.status, "attempts": d.attempts,
        "last_status_code": d.last_status_code, "last_error": d.last_error or None,
        "last_latency_ms": d.last_latency_ms, "next_attempt_at": d.next_attempt_at, "delivered_at": d.delivered_at,
    } for d in items]})


@extend_schema(request=None, responses={202: types.QueuedTestEventShape}, summary="Send a signed test event now")
@api_view(["POST"])
def webhook_test(request, webhook_id: str):
    target = get_object_or_404(WebhookSubscriber, pk=webhook_id)
    refuse_a_body(request)
    delivery = send_test_event(target)
    AuditLog.record(actor=request.user, via="api", action="send_test_event", obj=target, summary=target.url)
    deliver_batch.delay([delivery.pk])
    return Response({"event_id": delivery.event_id, "status": "queued"}, status=http.HTTP_202_ACCEPTED)
