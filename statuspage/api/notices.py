"""Management API for notices sent in error (docs/verification.md): on-call tells, in each
page language, what went out wrongly. No personal data: the model refuses addresses and
numbers in the wording, and there is no field for recipients."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework import status as http
from rest_framework.decorators import api_view
from rest_framework.response import Response

from statuspage.api.serializers import StrictSerializer
from statuspage.api.types import NoticeSentInErrorShape, NoticesSentInErrorShape
from statuspage.models import AuditLog, Incident, NoticeSentInError
from statuspage.public import v2


class NoticeSerializer(StrictSerializer):
    wording = serializers.CharField(max_length=5000, help_text="The message as everyone received it.")
    what_to_do = serializers.CharField(max_length=5000, help_text="Plain words: what a recipient should do.")
    channels = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list,
                                     help_text='e.g. ["push", "sms"]')
    sent_from = serializers.DateTimeField(required=False, allow_null=True)
    sent_until = serializers.DateTimeField(required=False, allow_null=True)
    people = serializers.IntegerField(min_value=0, required=False, allow_null=True,
                                      help_text="About how many people received it.")
    translations = serializers.JSONField(required=False, default=dict,
                                         help_text='{"uk": {"wording": "…", "what_to_do": "…"}, …}')


@extend_schema(methods=["GET"], responses={200: NoticesSentInErrorShape},
               summary="The incident's notices sent in error")
@extend_schema(methods=["POST"], request=NoticeSerializer, responses={201: NoticeSentInErrorShape},
               summary="Tell a notice the service sent in error (shown on the page, in v2 and to /verify)")
@api_view(["GET", "POST"])
def incident_notices(request, incident_id: str):
    incident = get_object_or_404(Incident, pk=incident_id)
    if request.method == "GET":
        return Response({"notices_sent_in_error": [v2.notice_dict(n) for n in incident.notices_sent_in_error.all()]})
    serializer = NoticeSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    notice = NoticeSentInError(incident=incident, sent_from=serializer.validated_data.pop("sent_from", None)
                               or incident.started_at, **serializer.validated_data)
    try:
        notice.full_clean()
    except ValidationError as exc:
        return Response(exc.message_dict, status=http.HTTP_400_BAD_REQUEST)
    with transaction.atomic():
        notice.save()
        AuditLog.record(actor=request.user, via="api", action="add", obj=notice, summary=str(notice))
    return Response(v2.notice_dict(notice), status=http.HTTP_201_CREATED)
