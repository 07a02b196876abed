"""Side effects of a public change: the outbox event (docs/subscribers.md) and the public version.

Called inside the transaction that makes the change, so the event commits with it or not
at all; fan-out is enqueued only after commit.
"""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager

from django.core.cache import cache
from django.db import transaction

from statuspage.models import Component, Incident, OutboxEvent
from statuspage.statuses import CLOSED_STATUSES, MaintenanceStatus

PUBLIC_VERSION_KEY = "public:version"
# The key of an event's data that only `statuspage`-format bodies use (webhooks/bodies.py).
STATUSPAGE_ONLY = "statuspage_only"
_change = threading.local()  # the events emitted inside one_change(), on this thread


def public_changed() -> None:
    """Bump the public version; snapshots keyed on it go stale at once.

    Bumped now (readers stop serving the old state) and again after commit: a reader that
    rendered the uncommitted-yet state in between stored it under a version that the
    second bump retires. After commit the new state is rendered (statuspage.render_tasks).
    """
    _bump()
    transaction.on_commit(_committed)


def _committed() -> None:
    _bump()
    from statuspage.render_tasks import schedule_render

    schedule_render()


def _bump() -> None:
    from statuspage import snapshots

    cache.set(PUBLIC_VERSION_KEY, uuid.uuid4().hex, None)
    snapshots.version_changed()


def public_version() -> str:
    version = cache.get(PUBLIC_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(PUBLIC_VERSION_KEY, version, None)
        version = cache.get(PUBLIC_VERSION_KEY) or version
    return version


def page_with_status() -> dict:
    from statuspage import v2
    from statuspage.state import PublicState

    state = PublicState.load(recent_days=0)
    return {**v2.page_dict(state.page), "status_indicator": state.indicator,
            "status_description": state.description}


@contextmanager
def one_change():
    """A change made in steps (an update moves its components, then resolves the incident):
    every event it emits reports the page as the whole change leaves it. Without this, a
    `partial_outage → operational` event said `major`: the incident was still open then.
    Use inside the transaction; nested uses join the outer one."""
    if getattr(_change, "events", None) is not None:
        yield
        return
    _change.events = []
    try:
        yield
        events = _change.events
    finally:
        _change.events = None
    if events:
        page = page_with_status()
        for event in events:
            event.data = {**event.data, "page": page}
        OutboxEvent.objects.bulk_update(events, ["data"])


def _emit(event_type: str, component_keys: list[str], data: dict) -> OutboxEvent:
    from statuspage.webhooks.signing import new_message_id

    event = OutboxEvent.objects.create(
        id=new_message_id(), type=event_type, component_keys=component_keys,
        data={"page": page_with_status(), **data},
    )
    if getattr(_change, "events", None) is not None:
        _change.events.append(event)
    transaction.on_commit(lambda: _enqueue_fan_out(event.id))
    public_changed()
    return event


def _enqueue_fan_out(event_id: str) -> None:
    from statuspage.tasks import fan_out_event

    try:
        fan_out_event.delay(event_id)
    except Exception:  # broker down: the outbox sweep delivers it later
        pass


def component_status_changed(component: Component, old_status: str, new_status: str, at) -> OutboxEvent:
    from statuspage import v2
    from statuspage.models import PageSettings

    settings_page = PageSettings.load()
    return _emit(
        "component.status_changed",
        [component.key],
        {
            "component": v2.component_dict(component, settings_page),
            "component_update": {
                "id": f"{component.key}-{int(at.timestamp() * 1000)}",
                "component_id": component.key,
                "component_type": "Component",
                "old_status": old_status,
                "new_status": new_status,
                "created_at": v2.ts(at),
            },
        },
    )


def incident_event_type(incident: Incident, created: bool) -> str | None:
    if incident.is_maintenance:
        if created and incident.status == MaintenanceStatus.SCHEDULED:
            return "maintenance.scheduled"
        if incident.status == MaintenanceStatus.IN_PROGRESS:
            return "maintenance.started"
        if incident.status == MaintenanceStatus.COMPLETED:
            return "maintenance.completed"
        return "maintenance.scheduled" if created else None
    if created:
        return "incident.created"
    if incident.status in CLOSED_STATUSES:
        return "incident.resolved"
    return "incident.updated"


def incident_changed(incident: Incident, created: bool) -> OutboxEvent | None:
    from statuspage import v2
    from statuspage.models import PageSettings
    from statuspage.state import incidents_with_timeline

    if not incident.published:
        return None
    event_type = incident_event_type(incident, created)
    if event_type is None:
        public_changed()
        return None
    fresh = incidents_with_timeline().get(pk=incident.pk)
    key = "maintenance" if incident.is_maintenance else "incident"
    return _emit(event_type, [c.key for c in fresh.components.all()],
                 {key: v2.incident_dict(fresh, PageSettings.load()),
                  STATUSPAGE_ONLY: {"incident": v2.incident_webhook_fields(fresh)}})
