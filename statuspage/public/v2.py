"""The Atlassian Statuspage v2 shapes (docs/api.md), the one place they are built.

Used by the public JSON API, the management API's responses and the webhook bodies.
Field names, nesting and enum values match Statuspage's so its clients work unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Subquery

from statuspage.models import Component, ComponentGroup, Incident, IncidentUpdate, NoticeSentInError, PageSettings
from statuspage.public.state import PublicState
from statuspage.verification.signing import sign_statement

MAINTENANCE_IMPACT = "maintenance"


def ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def page_dict(page: PageSettings) -> dict:
    return {
        "id": page.public_id,
        "name": page.name,
        # Always absolute, as Statuspage's: clients that check the shape refuse "".
        "url": base_url(page),
        "time_zone": page.time_zone,
        "updated_at": ts(public_updated_at(page)),
        # Not in Statuspage's shape: where a reader of a feed, API answer or webhook
        # checks the official channels (fake support bots copy a status page's look).
        "verify_url": f"{base_url(page)}/.well-known/statuspage.json",
    }


def public_updated_at(page: PageSettings) -> datetime | None:
    """The last public change (page, components, groups, published incidents and their
    updates), as Statuspage's `page.updated_at` moves with each; one query."""
    if page.pk is None:
        return page.updated_at
    row = PageSettings.objects.filter(pk=page.pk).annotate(
        c=Subquery(Component.objects.order_by("-updated_at").values("updated_at")[:1]),
        g=Subquery(ComponentGroup.objects.order_by("-updated_at").values("updated_at")[:1]),
        i=Subquery(Incident.objects.public().order_by("-updated_at").values("updated_at")[:1]),
        u=Subquery(IncidentUpdate.objects.filter(incident__published=True).order_by("-updated_at")
                   .values("updated_at")[:1]),
    ).values("updated_at", "c", "g", "i", "u").first()
    if row is None:
        return page.updated_at
    return max(v for v in row.values() if v is not None)


def component_dict(c: Component, page: PageSettings) -> dict:
    return {
        "id": c.key,
        "name": c.name,
        "status": c.status,
        "created_at": ts(c.created_at),
        "updated_at": ts(c.updated_at),
        "position": c.position,
        "description": c.description or None,
        "showcase": c.showcase,
        "start_date": c.created_at.date().isoformat() if c.created_at else None,
        "group_id": c.group.key if c.group_id else None,
        "page_id": page.public_id,
        "group": False,
        "only_show_if_degraded": c.only_show_if_degraded,
    }


def group_dict(g: ComponentGroup, state: PublicState) -> dict:
    children = state.children(g)
    return {
        "id": g.key,
        "name": g.name,
        "status": state.group_status(g),
        "created_at": ts(g.created_at),
        "updated_at": ts(max([g.updated_at, *(c.updated_at for c in children)])),
        "position": g.position,
        "description": g.description or None,
        "showcase": False,
        "start_date": g.created_at.date().isoformat() if g.created_at else None,
        "group_id": None,
        "page_id": state.page.public_id,
        "group": True,
        "only_show_if_degraded": False,
        "components": [c.key for c in children],
    }


def components_list(state: PublicState) -> list[dict]:
    """Groups and ungrouped components in the page's order; each group's children follow it."""
    out: list[dict] = []
    for item in state.top_level():
        if isinstance(item, ComponentGroup):
            out.append(group_dict(item, state))
            out += [component_dict(c, state.page) for c in state.children(item)]
        else:
            out.append(component_dict(item, state.page))
    return out


def update_dict(u: IncidentUpdate) -> dict:
    # Signed last, over every field above (docs/verification.md): a reader can prove the update is ours.
    return sign_statement({
        "id": u.id,
        "status": u.status,
        "body": u.body,
        "incident_id": u.incident_id,
        "created_at": ts(u.created_at),
        "updated_at": ts(u.updated_at),
        "display_at": ts(u.display_at),
        "affected_components": [
            {"code": a.component.key, "name": a.component.name, "old_status": a.old_status,
             "new_status": a.new_status}
            for a in u.affected_components.all()
        ],
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }, "update", u.id)


def notice_dict(n: NoticeSentInError) -> dict:
    return {
        "id": n.id,
        "wording": n.wording,
        "channels": n.channels,
        "sent_from": ts(n.sent_from),
        "sent_until": ts(n.sent_until),
        "people": n.people,
        "what_to_do": n.what_to_do,
        "translations": n.translations,
    }


def incident_dict(i: Incident, page: PageSettings) -> dict:
    data = {
        "id": i.id,
        "name": i.name,
        "status": i.status,
        "created_at": ts(i.created_at),
        "updated_at": ts(i.updated_at),
        "monitoring_at": ts(i.monitoring_at),
        "resolved_at": ts(i.resolved_at),
        # Statuspage gives every scheduled maintenance the impact "maintenance".
        "impact": MAINTENANCE_IMPACT if i.is_maintenance else i.impact,
        "shortlink": shortlink(i, page),
        "started_at": ts(i.started_at),
        "page_id": page.public_id,
        "incident_updates": [update_dict(u) for u in i.updates.all()],
        "components": [component_dict(c, page) for c in i.components.all()],
        # Not in Statuspage's shape: wrong notices this incident sent, which /verify knows.
        "notices_sent_in_error": [notice_dict(n) for n in i.notices_sent_in_error.all()],
    }
    if i.is_maintenance:
        data["scheduled_for"] = ts(i.scheduled_for)
        data["scheduled_until"] = ts(i.scheduled_until)
    return data


def incident_webhook_fields(i: Incident) -> dict:
    """What Statuspage's webhooks (not its v2 API) add to an incident; stored with the event
    so a `statuspage`-format body says what was true when it happened."""
    published = i.postmortem_published_at if i.postmortem else None
    auto = bool(i.is_maintenance and i.auto_transition)
    return {
        "postmortem_ignored": False,
        "postmortem_body": i.postmortem if published else None,
        "postmortem_body_last_updated_at": ts(published),
        "postmortem_published_at": ts(published),
        "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False,
        "backfilled": False,
        "scheduled_for": ts(i.scheduled_for),
        "scheduled_until": ts(i.scheduled_until),
        "scheduled_remind_prior": False,
        "scheduled_reminded_at": None,
        "impact_override": None,
        "scheduled_auto_in_progress": auto,
        "scheduled_auto_completed": auto,
    }


def base_url(page: PageSettings) -> str:
    """The page's public URL, else PUBLIC_BASE_URL (as renders use): links are absolute."""
    return (page.url or settings.PUBLIC_BASE_URL).rstrip("/")


def shortlink(i: Incident, page: PageSettings) -> str:
    return f"{base_url(page)}{i.get_absolute_url()}"


def status_dict(state: PublicState) -> dict:
    return {"indicator": state.indicator, "description": state.description}


def monitoring_dict(state: PublicState) -> dict:
    """Not in Statuspage's shape: whether the statuses are being verified right now."""
    since = state.checks_delayed_since
    if since is None:
        return {"automatic_checks": "on_time", "delayed_since": None, "description": None}
    return {"automatic_checks": "delayed", "delayed_since": ts(since),
            "description": f"Automatic checks have been delayed since {since:%H:%M} UTC: "
                           "the statuses shown may be out of date."}


def summary(state: PublicState) -> dict:
    return {
        "page": page_dict(state.page),
        "components": components_list(state),
        "incidents": [incident_dict(i, state.page) for i in state.unresolved_incidents],
        "scheduled_maintenances": [incident_dict(i, state.page) for i in state.maintenances],
        "status": status_dict(state),
        "monitoring": monitoring_dict(state),
    }


def page_with_status() -> dict:
    """The page and its status now, as outbox events and webhook bodies carry it."""
    state = PublicState.load(recent_days=0)
    return {**page_dict(state.page), "status_indicator": state.indicator,
            "status_description": state.description}
