"""The on-call group: who may write, and what they may do in the admin."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models.signals import post_save, pre_delete

from statuspage.models import ApiToken, AuditLog


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


def revoke_tokens(user, why: str) -> list[str]:
    """Revoke every token issued to or by `user`, one audit row each; their prefixes."""
    with transaction.atomic():
        tokens = list(ApiToken.held_or_issued_by(user).select_related("user"))
        for token in tokens:
            AuditLog.record(via="system", action="token_revoke", obj=token, summary=f"{token} {why}")
        ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).delete()
    return [t.prefix for t in tokens]


def _deactivated(sender, instance, **kwargs) -> None:
    # However a user loses access (the admin, a shell, `oncall remove`), their tokens go too.
    if not instance.is_active:
        revoke_tokens(instance, f"on deactivation of {instance.get_username()}")


def _deleted(sender, instance, **kwargs) -> None:
    # Tokens they hold go with them (CASCADE); those they issued would outlive them.
    revoke_tokens(instance, f"on deletion of {instance.get_username()}")


def connect() -> None:
    user_model = get_user_model()
    post_save.connect(_deactivated, sender=user_model, dispatch_uid="statuspage.oncall.deactivated")
    pre_delete.connect(_deleted, sender=user_model, dispatch_uid="statuspage.oncall.deleted")
