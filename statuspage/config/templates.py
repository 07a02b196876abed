"""The config's `templates:` section: prepared wording for incidents and updates.

    templates:
      - key: login-down
        name: Login is down              # what on-call picks it by
        title: "Reserve+: sign-in does not work"
        body: "We know about it and are working on it."
        status: investigating            # optional: the update's status
        impact: major                    # optional
        translations:
          uk: {title: "…", body: "…"}

Templates named by the file are created or updated; with --prune, the others are deleted.
"""

from __future__ import annotations

from typing import Any

from statuspage.config.fields import Errors, refuse_unknown, text_field, translations_field, unique_key
from statuspage.models import IncidentTemplate
from statuspage.statuses import ALL_INCIDENT_STATUSES, Impact

SECTION = "templates"
TEMPLATE_KEYS = {"key", "name", "title", "body", "status", "impact", "translations"}
STATUSES = [value for value, _label in ALL_INCIDENT_STATUSES]


def validate(raw: Any, errors: Errors) -> list[dict]:
    if not isinstance(raw, list):
        errors.append((SECTION, "must be a list"))
        return []
    templates, seen = [], set()
    for i, item in enumerate(raw):
        where = f"{SECTION}[{i}]"
        if not isinstance(item, dict):
            errors.append((where, "must be a mapping with key, name, title and body"))
            continue
        refuse_unknown(item, TEMPLATE_KEYS, where, errors)
        template = {
            "key": text_field(item, "key", where, errors, required=True),
            "name": text_field(item, "name", where, errors, required=True, max_len=200),
            "title": text_field(item, "title", where, errors, max_len=255),
            "body": text_field(item, "body", where, errors, max_len=20000),
            "status": text_field(item, "status", where, errors),
            "impact": text_field(item, "impact", where, errors),
            "translations": translations_field(item, where, errors, {"title", "body"}),
        }
        unique_key(template["key"], where, seen, errors)
        if template["status"] and template["status"] not in STATUSES:
            errors.append((f"{where}.status", f"unknown status '{template['status']}'; expected one of "
                                              f"{', '.join(STATUSES)}"))
        if template["impact"] and template["impact"] not in Impact.values:
            errors.append((f"{where}.impact", f"unknown impact '{template['impact']}'; expected one of "
                                              f"{', '.join(Impact.values)}"))
        if not template["title"] and not template["body"]:
            errors.append((where, "needs a title or a body"))
        templates.append(template)
    return templates


def apply(templates: list[dict], *, prune: bool, changes: list[str]) -> None:
    for t in templates:
        values = {k: t[k] for k in ("name", "title", "body", "status", "impact", "translations")}
        current = IncidentTemplate.objects.filter(key=t["key"]).first()
        if current is None:
            IncidentTemplate.objects.create(key=t["key"], **values)
            changes.append(f"template {t['key']}: created")
        elif any(getattr(current, k) != v for k, v in values.items()):
            IncidentTemplate.objects.filter(pk=current.pk).update(**values)
            changes.append(f"template {t['key']}: updated")
    if prune:
        for gone in IncidentTemplate.objects.exclude(key__in=[t["key"] for t in templates]):
            changes.append(f"template {gone.key}: deleted")
            gone.delete()
