"""Celery tasks that keep the public snapshots rendered (statuspage.public.render).

Kept apart from statuspage.tasks; statuspage.celery discovers this module by name. Both
run on the "render" queue (settings.CELERY_TASK_ROUTES), never beside probe runs.

Single flight: at most one render runs (RUNNING_KEY, shared by every worker and by the
periodic refresh) and at most one waits (QUEUED_KEY), however many changes arrive. A
change while a render runs only sets QUEUED_KEY; the running render sees it when it ends
and renders once more, for all of them. Both tasks are safe to run twice: rendering the
same version twice stores the same bytes.
"""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from statuspage.public import keys, render, store
from statuspage.public import version as public_version

log = logging.getLogger(__name__)

QUEUED_KEY = "public:render:queued"
RUNNING_KEY = "public:render:running"
DONE_KEY = "public:render:done"  # the last version every entry was rendered for
QUEUED_TTL_S = 120  # expires, so a lost message does not block renders for long
RUNNING_TTL_S = 600  # a worker killed mid-render frees the lock after this


def schedule_render() -> None:
    """Enqueue one render after a public change; changes before it starts share it."""
    if not settings.PUBLIC_RENDER_ON_WRITE or not settings.PUBLIC_SNAPSHOTS:
        return
    if not cache.add(QUEUED_KEY, 1, QUEUED_TTL_S):
        return  # one is waiting already: it will render this change too
    try:
        render_public.delay()
    except Exception:
        cache.delete(QUEUED_KEY)
        log.warning("could not enqueue the public render", exc_info=True)


def single_flight(first_pass=None) -> int:
    """Render under RUNNING_KEY, again while changes were queued meanwhile; returns how many
    passes ran here (0: another render holds the lock and will see QUEUED_KEY).

    `first_pass(queued)` replaces the first pass (the periodic refresh); `queued` says
    whether a change was waiting, which that pass must then render too."""
    passes = 0
    while True:
        token = uuid.uuid4().hex
        if not cache.add(RUNNING_KEY, token, RUNNING_TTL_S):
            return passes
        try:
            queued = cache.get(QUEUED_KEY) is not None
            cache.delete(QUEUED_KEY)  # a change from now on is rendered by the next pass
            if passes == 0 and first_pass is not None:
                first_pass(queued)
            else:
                render_changes()
            passes += 1
        finally:
            if cache.get(RUNNING_KEY) == token:  # not a lock that expired and was taken since
                cache.delete(RUNNING_KEY)
        # Checked after the release: a render task that found the lock taken returned,
        # trusting that this check would see the QUEUED_KEY its change set before.
        if cache.get(QUEUED_KEY) is None:
            return passes


def render_changes():
    """One pass: re-render what changed, carry the rest over, stop if overtaken. None when
    the current version is rendered already: a change bumps the version before it queues
    its render, so a pass can start between the two, render that change, and leave a
    render queued for a version that is done."""
    if cache.get(DONE_KEY) == public_version.current():
        return None
    report = render.render_all(carry_over=True, stop_if_overtaken=True)
    if not report.overtaken and not report.failed:
        cache.set(DONE_KEY, report.version, None)
    return report


@shared_task
def render_public() -> int:
    """Render what changed since the last render, under the current version."""
    return single_flight()


@shared_task
def refresh_public() -> bool:
    """Re-render when time alone changed the page (today's uptime, a new day).

    Renders the status page and compares it with the stored one; only a difference bumps
    the version, so ETags stay put while nothing changed. Takes the render lock: while a
    render runs, this tick is skipped (the next one comes in a minute).
    """
    changed = []
    single_flight(lambda queued: changed.append(_refresh(queued)))
    return bool(changed and changed[0])


def _refresh(queued: bool) -> bool:
    key = keys.snapshot_key(settings.LANGUAGE_CODE, "/")
    stored = store.lookup(key)
    fresh = render.render_one(key)
    if stored is not None and fresh is not None and fresh.body == stored.body:
        if queued:
            render_changes()
        return False
    public_version.bump()
    # Time changes the pages that show the whole state (uptime bars, "today"); a feed, a
    # badge or a permalink shows no clock, so those whose rows did not change carry over.
    render.render_all(carry_over=True)
    return True
