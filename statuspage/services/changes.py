"""One public change: its transaction, its outbox events, one version bump, one render.

Every service makes its writes inside `change()`. Whatever the change saves, however many
steps it takes (an update moves its components, then resolves the incident), it ends as
one public change: each outbox event reports the page as the whole change leaves it (not
`major` while the incident was still open mid-way), the public version is bumped once,
and once after commit, when the new state is rendered (statuspage.public.render_tasks).

Saves of what readers see made outside a service (a shell, a migration, a test's setup)
reach `noted()` through the model signals connected in StatuspageConfig.ready(): inside a
change they join it, outside they are a change of their own.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from statuspage import delivery_tasks
from statuspage.models import (
    AffectedComponent,
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    NoticeSentInError,
    OfficialChannel,
    OutboxEvent,
    PageSettings,
)
from statuspage.public import render_tasks, version
from statuspage.public.v2 import page_with_status
from statuspage.webhooks.signing import new_message_id


@dataclass
class _Change:
    events: list[OutboxEvent] = field(default_factory=list)
    touched: bool = False


PUBLIC_MODELS = [PageSettings, OfficialChannel, ComponentGroup, Component, Incident, IncidentUpdate,
                 AffectedComponent, NoticeSentInError]
_local = threading.local()  # the change under way on this thread, if any


@contextmanager
def change():
    """Make a public change in one transaction; nested uses join the outer one."""
    current = getattr(_local, "change", None)
    if current is not None:
        with transaction.atomic():
            yield current
        return
    current = _local.change = _Change()
    try:
        with transaction.atomic():
            yield current
            _finish(current)
    finally:
        _local.change = None


def _finish(current: _Change) -> None:
    if current.events:
        page = page_with_status()
        for event in current.events:
            event.data = {**event.data, "page": page}
        OutboxEvent.objects.bulk_update(current.events, ["data"])
        for event in current.events:
            transaction.on_commit(lambda event_id=event.id: _enqueue_fan_out(event_id))
    if current.touched or current.events:
        public_changed()


def noted() -> None:
    """Something readers see was saved: part of the change under way, or a change alone."""
    current = getattr(_local, "change", None)
    if current is not None:
        current.touched = True
    else:
        public_changed()


def public_changed() -> None:
    """Bump the public version; snapshots keyed on it go stale at once.

    Bumped now (readers stop serving the old state) and again after commit: a reader that
    rendered the uncommitted-yet state in between stored it under a version that the
    second bump retires. After commit the new state is rendered.
    """
    version.bump()
    transaction.on_commit(_committed)


def _committed() -> None:
    version.bump()
    render_tasks.schedule_render()


def emit(event_type: str, component_keys: list[str], data: dict) -> OutboxEvent:
    """Queue an event for subscribers, in the outbox, as part of the change under way."""
    with change() as current:
        event = OutboxEvent.objects.create(id=new_message_id(), type=event_type, component_keys=component_keys,
                                           data=data)
        current.events.append(event)
    return event


def _enqueue_fan_out(event_id: str) -> None:
    try:
        delivery_tasks.fan_out_event.delay(event_id)
    except Exception:  # noqa: BLE001 - broker down: the outbox sweep delivers it later
        pass


def _saved(sender, **kwargs) -> None:
    noted()


def watch_public_models() -> None:
    """Saves and deletes of what readers see are public changes, whoever makes them."""
    for model in PUBLIC_MODELS:
        post_save.connect(_saved, sender=model, dispatch_uid=f"public-{model.__name__}-save")
        post_delete.connect(_saved, sender=model, dispatch_uid=f"public-{model.__name__}-delete")
    m2m_changed.connect(_saved, sender=Incident.components.through, dispatch_uid="public-incident-components")
