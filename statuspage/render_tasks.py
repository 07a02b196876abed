"""Celery tasks that keep the public snapshots rendered (statuspage.render).

Kept apart from statuspage.tasks; statuspage.celery discovers this module by name.
Both tasks are safe to run twice: rendering the same version twice stores the same bytes.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

QUEUED_KEY = "public:render:queued"


def schedule_render() -> None:
    """Enqueue one render after a public change; changes before it starts share it."""
    if not settings.PUBLIC_RENDER_ON_WRITE or not settings.PUBLIC_SNAPSHOTS:
        return
    if not cache.add(QUEUED_KEY, 1, 60):  # expires, so a lost message does not block renders
        return
    try:
        render_public.delay()
    except Exception:  # noqa: BLE001 - broker down: visitors render on their first request
        cache.delete(QUEUED_KEY)
        log.warning("could not enqueue the public render", exc_info=True)


@shared_task
def render_public() -> int:
    """Render every public URL under the current version."""
    from statuspage.render import render_all

    cache.delete(QUEUED_KEY)  # a change from now on queues another render
    return render_all().rendered


@shared_task
def refresh_public() -> bool:
    """Re-render when time alone changed the page (today's uptime, a new day).

    Renders the status page and compares it with the stored one; only a difference bumps
    the version, so ETags stay put while nothing changed.
    """
    from statuspage import snapshots
    from statuspage.publish import _bump
    from statuspage.render import render_all, render_one

    key = snapshots.snapshot_key(settings.LANGUAGE_CODE, "/")
    stored = snapshots.lookup(key)
    fresh = render_one(key)
    if stored is not None and fresh is not None and fresh.body == stored.body:
        return False
    _bump()
    render_all()
    return True
