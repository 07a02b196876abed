"""Apply a validated config: idempotent, all in one transaction, optionally a dry run."""

from __future__ import annotations

from probes.config import apply_probes
from statuspage.config import notices, templates
from statuspage.config.schema import Config
from statuspage.models import (
    AuditLog,
    Component,
    ComponentGroup,
    OfficialChannel,
    PageSettings,
)
from statuspage.services.changes import change


class DryRun(Exception):
    pass


def apply_config(config: Config, *, prune: bool = False, dry_run: bool = False, actor=None,
                 via: str = "config") -> list[str]:
    """Returns what changed (or would change), one line each."""
    changes: list[str] = []
    try:
        with change():  # one public change, however much it touches
            if config.page is not None:
                _apply_page(config.page, changes)
            if config.components is not None:
                _apply_components(config, prune, changes)
            if config.probes is not None:
                apply_probes(config.probes, prune=prune, changes=changes)
            if config.notices_sent_in_error is not None:
                notices.apply(config.notices_sent_in_error, prune=prune, changes=changes)
            if config.templates is not None:
                templates.apply(config.templates, prune=prune, changes=changes)
            if changes and not dry_run:
                page = PageSettings.load()
                AuditLog.record(actor=actor, via=via, action="apply_config", obj=page,
                                summary="\n".join(changes)[:2000])
            if dry_run:
                raise DryRun
    except DryRun:
        pass
    return changes


def _set(obj, values: dict) -> list[str]:
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    for k in changed:
        setattr(obj, k, values[k])
    return changed


def _apply_page(page_cfg: dict, changes: list[str]) -> None:
    page = PageSettings.load()
    fields = {k: page_cfg[k] for k in ("name", "url", "notice", "time_zone", "time_zones", "text_language", "languages",
                                       "translations", "maintenance_reminder")}
    changed = _set(page, fields)
    if changed:
        page.save()
        changes.append(f"page: {', '.join(changed)} changed")
    current = [(c.name, c.value, c.url, c.translations) for c in page.channels.all()]
    wanted = [(c["name"], c["value"], c["url"], c.get("translations", {})) for c in page_cfg["channels"]]
    if current != wanted:
        page.channels.all().delete()
        OfficialChannel.objects.bulk_create(
            OfficialChannel(page=page, name=n, value=v, url=u, translations=t, position=i)
            for i, (n, v, u, t) in enumerate(wanted)
        )
        changes.append(f"page: official channels set to {len(wanted)}")


def _apply_components(config: Config, prune: bool, changes: list[str]) -> None:
    groups = {}
    for g in config.groups:
        values = {"name": g["name"], "position": g["position"], "description": g.get("description", ""),
                  "translations": g.get("translations", {})}
        group, created = ComponentGroup.objects.get_or_create(key=g["key"], defaults=values)
        groups[g["key"]] = group
        if created:
            changes.append(f"group {g['key']}: created")
        elif _set(group, values):
            group.save()
            changes.append(f"group {g['key']}: updated")
    for c in config.components:
        values = {
            "name": c["name"], "description": c["description"], "group": groups.get(c["group"]),
            "position": c["position"], "only_show_if_degraded": c["only_show_if_degraded"],
            "showcase": c["showcase"], "translations": c["translations"],
        }
        component = Component.objects.filter(key=c["key"]).first()
        if component is None:
            Component.objects.create(key=c["key"], **values)
            changes.append(f"component {c['key']}: created")
        else:
            changed = _set(component, values)
            if changed:
                component.save()
                changes.append(f"component {c['key']}: {', '.join(changed)} changed")
    if prune:
        keys = [c["key"] for c in config.components]
        for component in Component.objects.exclude(key__in=keys):
            changes.append(f"component {component.key}: deleted")
            component.delete()
        for group in ComponentGroup.objects.exclude(key__in=list(groups)):
            changes.append(f"group {group.key}: deleted")
            group.delete()
