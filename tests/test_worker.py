"""A real Celery worker process, on the broker `make run` uses and on Redis."""

from datetime import timedelta

import pytest
from django.utils import timezone

from statuspage.models import Component, Incident
from statuspage.services.incidents import do_open_incident
from tests.processes import brokers, celery_process, sender, wait_for, worker_args

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("broker", brokers())
def test_a_worker_process_starts_and_completes_a_due_maintenance(page, broker, tmp_path):
    now = timezone.now()
    maintenance = do_open_incident(
        name="Database upgrade", kind=Incident.Kind.MAINTENANCE, scheduled_for=now - timedelta(minutes=1),
        scheduled_until=now + timedelta(days=1),
        components={Component.objects.get(key="reserve-data"): "under_maintenance"},
    )
    app = sender(broker, tmp_path)

    with celery_process("worker", broker, tmp_path, *worker_args("celery")):
        app.send_task("statuspage.tasks.advance_maintenances", queue="celery")
        wait_for(lambda: Incident.objects.get(pk=maintenance.pk).status == "in_progress", what="maintenance start")
        assert Component.objects.get(key="reserve-data").status == "under_maintenance"

        Incident.objects.filter(pk=maintenance.pk).update(scheduled_until=timezone.now())
        app.send_task("statuspage.tasks.advance_maintenances", queue="celery")
        wait_for(lambda: Incident.objects.get(pk=maintenance.pk).status == "completed", what="maintenance end")

    assert Component.objects.get(key="reserve-data").status == "operational"
    statuses = list(Incident.objects.get(pk=maintenance.pk).updates.values_list("status", flat=True))
    assert statuses == ["completed", "in_progress", "scheduled"]
