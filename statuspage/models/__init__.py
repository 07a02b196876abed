from statuspage.models.audit import AuditLog
from statuspage.models.components import Component, ComponentGroup, ComponentStatusChange
from statuspage.models.events import OutboxEvent
from statuspage.models.idempotency import IdempotencyKey
from statuspage.models.incidents import AffectedComponent, Incident, IncidentUpdate
from statuspage.models.notices import NoticeSentInError
from statuspage.models.oncall import OnCallContact
from statuspage.models.page import OfficialChannel, PageSettings
from statuspage.models.subscribers import Delivery, DeliveryAttempt, EmailSubscriber, WebhookSubscriber
from statuspage.models.templates import IncidentTemplate
from statuspage.models.tokens import ApiToken

__all__ = [
    "AffectedComponent",
    "ApiToken",
    "AuditLog",
    "Component",
    "ComponentGroup",
    "ComponentStatusChange",
    "Delivery",
    "DeliveryAttempt",
    "EmailSubscriber",
    "IdempotencyKey",
    "Incident",
    "IncidentTemplate",
    "IncidentUpdate",
    "NoticeSentInError",
    "OfficialChannel",
    "OnCallContact",
    "OutboxEvent",
    "PageSettings",
    "WebhookSubscriber",
]
