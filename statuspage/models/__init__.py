from statuspage.models.audit import AuditLog
from statuspage.models.components import Component, ComponentGroup, ComponentStatusChange
from statuspage.models.events import OutboxEvent
from statuspage.models.incidents import AffectedComponent, Incident, IncidentUpdate
from statuspage.models.page import OfficialChannel, PageSettings
from statuspage.models.tokens import ApiToken

__all__ = [
    "AffectedComponent",
    "ApiToken",
    "AuditLog",
    "Component",
    "ComponentGroup",
    "ComponentStatusChange",
    "Incident",
    "IncidentUpdate",
    "OfficialChannel",
    "OutboxEvent",
    "PageSettings",
]
