"""Celery beat's scheduler with a heartbeat (settings.CELERY_BEAT_SCHEDULER): the project's
scheduler without busy wait (statuspage.beat), writing "beat" on every tick."""

from probes import heartbeats
from statuspage.beat import Scheduler


class HeartbeatScheduler(Scheduler):
    def tick(self, *args, **kwargs):
        heartbeats.beat("beat")
        return super().tick(*args, **kwargs)
