"""Any save or delete of what the public sees bumps the public version.

Hooked on the models rather than on each view, so the admin, the API, apply_config and
a shell session all invalidate the cached pages the same way.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from statuspage import publish
from statuspage.models import (
    AffectedComponent,
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    NoticeSentInError,
    OfficialChannel,
    PageSettings,
)

PUBLIC_MODELS = [PageSettings, OfficialChannel, ComponentGroup, Component, Incident, IncidentUpdate, AffectedComponent,
                 NoticeSentInError]


def _changed(sender, **kwargs):
    publish.public_changed()


def connect() -> None:
    for model in PUBLIC_MODELS:
        post_save.connect(_changed, sender=model, dispatch_uid=f"public-{model.__name__}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"public-{model.__name__}-delete")
    m2m_changed.connect(_changed, sender=Incident.components.through, dispatch_uid="public-incident-components")
