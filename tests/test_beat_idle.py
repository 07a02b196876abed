"""Beat sleeps until its next entry is due instead of spinning (statuspage.beat)."""

import pytest
from celery.beat import PersistentScheduler
from django.conf import settings

from statuspage.beat import Scheduler

pytestmark = pytest.mark.pure


def test_celerys_own_scheduler_would_not_sleep_the_last_milliseconds_before_a_tick():
    assert PersistentScheduler.adjust(None, 0.005) < 0  # its loop sleeps only on a positive interval


def test_beat_sleeps_the_last_milliseconds_before_a_tick_instead_of_spinning():
    assert Scheduler.adjust(None, 0.005) == 0.005
    assert Scheduler.adjust(None, 0.25) == 0.25


def test_beat_runs_with_this_scheduler_under_its_heartbeat():
    from celery.utils.imports import symbol_by_name

    assert issubclass(symbol_by_name(settings.CELERY_BEAT_SCHEDULER), Scheduler)
