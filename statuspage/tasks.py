"""Celery tasks of the status domain. Every task is safe to run twice (at-least-once)."""

from celery import shared_task

from statuspage.purge import purge_idempotency_keys, purge_unconfirmed
from statuspage.services.maintenances import do_advance_maintenances
from statuspage.services.reminders import do_send_maintenance_reminders


@shared_task
def advance_maintenances() -> int:
    """Start maintenances whose time has come and complete those that are over."""
    return do_advance_maintenances()


@shared_task
def send_maintenance_reminders() -> int:
    """Remind subscribers of maintenances starting within `page.maintenance_reminder` (once each)."""
    return do_send_maintenance_reminders()


@shared_task
def purge_unconfirmed_subscriptions() -> int:
    purge_idempotency_keys()  # the hourly upkeep: expired idempotency keys go too
    return purge_unconfirmed()


