"""Corrections made through the management API: edit an incident's fields, delete it,
edit an update's text (docs/api.md).

Each is one public change (statuspage.services.changes): the rows, the audit row and one
version bump, in one transaction. None of them emits an outbox event: subscribers heard of
the incident and of the update when they were posted, and a corrected typo or a renamed
incident is not news to send again. The public page, feeds and v2 show the correction at
once. Publishing a draft is the exception: it goes through do_publish_draft, and
subscribers hear of the incident then, as of a new one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from statuspage.models import AuditLog, Component, Incident, IncidentUpdate
from statuspage.services.changes import change
from statuspage.services.components import do_set_component_status
from statuspage.services.incidents import do_publish_draft


def _merge_names(current: dict, names: dict[str, str]) -> dict:
    """{lang: {name}} with the given names set; an empty name removes that language's."""
    merged = {lang: dict(texts) for lang, texts in current.items()}
    for lang, name in names.items():
        texts = merged.setdefault(lang, {})
        if name:
            texts["name"] = name
        else:
            texts.pop("name", None)
        if not texts:
            merged.pop(lang)
    return merged


def _field_changes(incident: Incident, fields: dict) -> dict[str, list]:
    """{field: [old, new]} for what `fields` really changes."""
    wanted = dict(fields)
    if "name_translations" in wanted:
        wanted["translations"] = _merge_names(incident.translations, wanted.pop("name_translations"))
    return {name: [getattr(incident, name), value] for name, value in wanted.items()
            if name != "published" and getattr(incident, name) != value}


def do_update_incident(incident: Incident, *, actor=None, via: str = "api", **fields) -> dict[str, list]:
    """Change name, impact, name_translations ({lang: name}), postmortem or published
    (false → true only: a draft is published through do_publish_draft). The changes made."""
    if fields.get("published") is False and incident.published:
        raise ValidationError({"published": "a published incident cannot become a draft again: delete it instead"})
    with change():
        changes = _field_changes(incident, fields)
        if "postmortem" in changes:
            incident.postmortem_published_at = timezone.now() if changes["postmortem"][1] else None
        for name, (_, new) in changes.items():
            setattr(incident, name, new)
        if changes:
            extra = ["postmortem_published_at"] if "postmortem" in changes else []
            incident.full_clean(exclude=["components", "created_by"])
            incident.save(update_fields=[*changes, *extra, "updated_at"])
            AuditLog.record(actor=actor, via=via, action="update", obj=incident, changes=changes,
                            summary="; ".join(f"{name} changed" for name in changes))
        if fields.get("published") and not incident.published and do_publish_draft(incident, author=actor, via=via):
            changes["published"] = [False, True]
    return changes


def do_delete_incident(incident: Incident, *, actor=None, via: str = "api") -> None:
    """Delete an incident (or maintenance) and its timeline. One still under way first
    gives its components back, as resolving it would (without telling subscribers)."""
    with change():
        if incident.is_under_way:
            for component, status in incident.components_to_restore().items():
                do_set_component_status(component, status, source=Component.Source.MANUAL, actor=actor, via=via,
                                        audited=False)
        AuditLog.record(actor=actor, via=via, action="delete", obj=incident, summary=incident.name,
                        changes={"kind": incident.kind, "status": incident.status, "published": incident.published,
                                 "updates": incident.updates.count()})
        incident.delete()


def do_edit_update(update: IncidentUpdate, *, actor=None, via: str = "api", **fields) -> dict[str, list]:
    """Correct an update's body, its translations ({lang: body}, merged; empty removes one)
    or (Statuspage's API) its display time. Subscribers are not notified again. The changes."""
    wanted = dict(fields)
    if "translations" in wanted:
        merged = {**update.translations, **wanted["translations"]}
        wanted["translations"] = {lang: body for lang, body in merged.items() if body}
    changes = {name: [getattr(update, name), value] for name, value in wanted.items()
               if getattr(update, name) != value}
    if not changes:
        return {}
    with change():
        for name, (_, new) in changes.items():
            setattr(update, name, new)
        update.save(update_fields=[*changes, "updated_at"])
        AuditLog.record(actor=actor, via=via, action="edit_update", obj=update.incident,
                        summary=f"update {update.pk}: {', '.join(changes)} corrected",
                        changes={name: [str(old), str(new)] for name, (old, new) in changes.items()})
    return changes
