"""Probe work and render work never share a queue (settings.CELERY_TASK_ROUTES): a burst of
public changes cannot take the slots the probe dispatcher and the probe runs need."""

import pytest
from django.conf import settings

from statuspage.celery import app

pytestmark = pytest.mark.pure

PROBE_QUEUES = {"celery", "probes.default"}  # what `make run`'s probe worker consumes


def queue_of(task: str, **options) -> str:
    app.loader.import_default_modules()
    return app.amqp.router.route(options, task, (), {})["queue"].name


@pytest.mark.parametrize("task", ["statuspage.public.render_tasks.render_public",
                                  "statuspage.public.render_tasks.refresh_public"])
def test_renders_go_to_the_render_queue(task):
    assert queue_of(task) == "render"


@pytest.mark.parametrize("task", ["statuspage.delivery_tasks.fan_out_event", "statuspage.delivery_tasks.deliver_batch",
                                  "statuspage.delivery_tasks.sweep_outbox",
                                  "statuspage.delivery_tasks.send_oncall_alert"])
def test_webhook_fan_out_and_deliveries_go_to_the_webhook_queue(task):
    assert queue_of(task) == "webhooks"


def test_probe_tasks_never_land_on_the_render_or_webhook_queue():
    assert queue_of("probes.tasks.dispatch_due_probes") == "celery"
    assert queue_of("probes.tasks.run_probe_batch", queue="probes.default") == "probes.default"


def test_every_periodic_task_lands_on_the_queue_of_its_kind():
    queues = {name: queue_of(entry["task"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}

    assert queues["refresh-public"] == "render"
    assert queues["sweep-outbox"] == "webhooks"
    assert queues["dispatch-probes"] in PROBE_QUEUES
    assert "render" not in {queue for name, queue in queues.items() if name != "refresh-public"}


def test_maintenance_reminders_go_to_the_webhook_queue_not_the_probes():
    assert queue_of("statuspage.tasks.send_maintenance_reminders") == "webhooks"


def test_the_probe_workers_queues_carry_only_probe_work_and_short_upkeep():
    app.loader.import_default_modules()
    on_probe_queues = {name for name in app.tasks if not name.startswith("celery.") and queue_of(name) in PROBE_QUEUES}

    assert on_probe_queues == {"probes.tasks.dispatch_due_probes", "probes.tasks.run_probe_batch",
                               "probes.tasks.rollup_probe_days", "probes.tasks.prune_probe_history",
                               "statuspage.tasks.advance_maintenances", "probes.tasks.advance_probe_incidents"}
