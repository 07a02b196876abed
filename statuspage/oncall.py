"""The on-call group: who may write, and what they may do in the admin."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission


def is_administrator(user) -> bool:
    """The one rule for who administers others' access (tokens today). Superusers for now;
    issue 13's `admin` role changes only this function."""
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def ensure_oncall_group() -> Group:
    group, _ = Group.objects.get_or_create(name=settings.ONCALL_GROUP)
    perms = Permission.objects.filter(content_type__app_label__in=["statuspage", "probes"]).exclude(
        content_type__model__in=["apitoken"], codename__startswith="add_")
    group.permissions.set(perms)
    return group
