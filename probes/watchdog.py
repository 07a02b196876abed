"""The watchdog (`manage.py watch_monitoring`): notices when monitoring goes blind, and says so.

It runs beside beat and the workers, not inside them: what it watches for is precisely
their silence. On the first look that finds something stale it writes a "monitoring is
blind since HH:MM" alert to the on-call outbox, sends it itself (the worker that would
may be the one that hangs; the outbox sweep retries what fails) and renders the public
pages again, so that they say the automatic checks are delayed. When everything is fresh
again: a recovery alert, and the pages once more. Alert ids are derived from the blind
episode's start, so several watchdogs (or a restarted one) never alert twice.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from probes import heartbeats
from probes.freshness import Blindness, check
from statuspage.notify import oncall_alerts
from statuspage.public import render as public_render
from statuspage.public import version as public_version

log = logging.getLogger(__name__)
EPISODE_KEY = "monitoring:blind-episode"  # {"since": ISO, "id": event id} while blind


def _hhmm(at: datetime) -> str:
    return f"{at:%H:%M} UTC"


def watch_once() -> Blindness:
    blind = check()
    episode = cache.get(EPISODE_KEY)
    if blind and episode is None:
        episode = {"since": blind.since.isoformat(), "id": f"monitoring-blind-{blind.since:%Y%m%dT%H%M%S}"}
        log.warning("Monitoring is blind since %s: %s stale.", _hhmm(blind.since), ", ".join(blind.stale))
        _alert(episode["id"], "blind", blind.since, list(blind.stale))
        cache.set(EPISODE_KEY, episode, timeout=None)
        _render()
    elif not blind and episode is not None:
        since = datetime.fromisoformat(episode["since"])
        log.warning("Monitoring works again (it was blind from %s).", _hhmm(since))
        _alert(episode["id"].replace("blind", "recovered"), "recovered", since)
        cache.delete(EPISODE_KEY)
        _render()
    return blind


def _alert(event_id: str, kind: str, since: datetime, stale: list[str] | None = None) -> None:
    # Worded in each on-call user's language when sent (statuspage.notify.alert_texts).
    if not oncall_alerts.queue_monitoring_alert(event_id, kind, since, stale):
        return  # another watchdog wrote it
    try:
        oncall_alerts.send_queued_alert(event_id)
    except Exception as exc:  # noqa: BLE001 - whatever failed, the outbox sweep tries again
        log.warning("monitoring alert %s not delivered yet: %s", event_id, exc)


def _render() -> None:
    """The public pages say (or stop saying) that the checks are delayed."""
    try:
        public_version.bump()  # a new version: new ETags, so no reader keeps the old answer
        if settings.PUBLIC_SNAPSHOTS:
            public_render.render_all()
    except Exception:
        log.exception("could not render the public pages")


def watch_forever() -> None:
    # Beat and the workers start beside the watchdog: a page that they are not up yet
    # would be noise. After the grace, blindness is blindness, at start or not.
    quiet_until = time.monotonic() + settings.WATCHDOG_STARTUP_GRACE_S
    while time.monotonic() < quiet_until:
        heartbeats.beat("watchdog")
        time.sleep(settings.WATCHDOG_EVERY_S)
    while True:
        heartbeats.beat("watchdog")  # its supervisor restarts a watchdog that hangs
        try:
            watch_once()
        except DatabaseError as exc:  # the page says what it last knew; /healthz says the database is down
            log.warning("watchdog: database unavailable: %s", exc)
        time.sleep(settings.WATCHDOG_EVERY_S)
