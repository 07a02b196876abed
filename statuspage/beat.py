"""Celery beat without its busy wait (settings.CELERY_BEAT_SCHEDULER).

Celery's scheduler aims 10 ms early (`adjust` adds a -10 ms drift), so with less than
10 ms left the interval is negative, and its loop only sleeps on a positive one: it
spins, re-reading the schedule, until the entry is due. With the probe dispatcher every
0.25 s that spin was most of beat's CPU at rest: ~190 loop turns a second, 2.7% of a
core (bench/render_isolation.py). Here it sleeps for what is left.
"""

from celery.beat import PersistentScheduler


class Scheduler(PersistentScheduler):
    def adjust(self, n, drift=-0.010):
        return n
