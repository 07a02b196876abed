"""Celery beat's scheduler with a heartbeat (`celery beat --scheduler probes.beat:HeartbeatScheduler`)."""

from celery.beat import PersistentScheduler

from probes import heartbeats


class HeartbeatScheduler(PersistentScheduler):
    def tick(self, *args, **kwargs):
        heartbeats.beat("beat")
        return super().tick(*args, **kwargs)
