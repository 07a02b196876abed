"""On-call users: their role group, who administers access, and tokens that go when a user goes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models.signals import post_save, pre_delete

from statuspage import roles
from statuspage.models import ApiToken, AuditLog


def is_administrator(user) -> bool:
    """The one rule for who administers others' access (their tokens, their contacts): who manages users."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("auth.change_user"))


def role_group(role: str = roles.RESPONDER) -> Group:
    """The role's group, its permissions in sync (post_migrate keeps them so; this is for a fresh test DB too)."""
    if role not in roles.ROLES:
        raise ValueError(f"unknown role {role!r}: {', '.join(roles.ROLES)}")
    if not Group.objects.filter(name=role).exists():
        roles.sync_role_groups(Group, Permission)
    return Group.objects.get(name=role)


def set_role(user, role: str) -> None:
    """Make `user` hold exactly `role` (one role each: admin includes everything a responder does)."""
    user.groups.remove(*Group.objects.filter(name__in=roles.ROLES).exclude(name=role))
    user.groups.add(role_group(role))


def oncall_users():
    """Active users holding a role: the people alerted."""
    return get_user_model().objects.filter(is_active=True, groups__name__in=roles.ROLES).distinct()


def anyone_reachable() -> bool:
    """Whether an alert would reach at least one on-call user (statuspage.notify.oncall_alerts:
    a webhook, or an email address with email alerts on; no contact row means email on)."""
    from django.db.models import Q

    return oncall_users().filter(Q(oncall_contact__alert_webhook_url__gt="") | (
        ~Q(email="") & (Q(oncall_contact__isnull=True) | Q(oncall_contact__alert_by_email=True)))).exists()


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
