"""The on-call group: who may write, and what they may do in the admin."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission


def ensure_oncall_group() -> Group:
    group, _ = Group.objects.get_or_create(name=settings.ONCALL_GROUP)
    perms = Permission.objects.filter(content_type__app_label__in=["statuspage", "probes"]).exclude(
        content_type__model__in=["apitoken"], codename__startswith="add_")
    group.permissions.set(perms)
    return group
