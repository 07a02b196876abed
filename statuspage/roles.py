"""The two on-call roles, as Django groups holding model permissions.

`responder` runs an incident: incidents (maintenances and postmortems are incidents too),
updates, templates, notices sent in error, a component's status, pausing probes, drills,
their own alert contact. `admin` holds every permission of the status page and the probes,
plus users: config apply and prune, probe definitions, tokens, subscriber data, deletes.
The one check everywhere is `user.has_perm("app.codename")` (the admin does it natively,
the API through statuspage.api.auth.RolePermission).

Grants are codename patterns, not a fixed list, and `sync_role_groups` runs after every
migrate (post_migrate): a model added later (e.g. IncidentTemplate) is granted by the same
rule without a new data migration. Plain Python over the models it is given, so the data
migration can call it with historical models.
"""

from __future__ import annotations

import re

RESPONDER, ADMIN = "responder", "admin"
ROLES = (RESPONDER, ADMIN)
APPS = ("statuspage", "probes")

# Data only admins see: subscriber addresses, delivery logs, others' access.
_ADMIN_ONLY_MODELS = {"emailsubscriber", "webhooksubscriber", "delivery", "deliveryattempt", "outboxevent"}
# What a responder adds and changes (never deletes).
_RESPONDER_WRITES = re.compile(
    r"^(add|change)_(incident|incidentupdate|affectedcomponent|incidenttemplate|noticesentinerror|oncallcontact)$")
# The status by hand, pausing or running a probe (its definition is read-only: it comes from the
# config), renaming their own token (the admin shows a responder only theirs).
_RESPONDER_CHANGES = {("statuspage", "change_component"), ("probes", "change_probe"), ("statuspage", "change_apitoken")}


def responder_may(app_label: str, codename: str) -> bool:
    """Whether the responder role holds app_label.codename."""
    if app_label not in APPS:
        return False
    action, _, model = codename.partition("_")
    if action == "view":
        return model not in _ADMIN_ONLY_MODELS
    return bool(_RESPONDER_WRITES.match(codename)) or (app_label, codename) in _RESPONDER_CHANGES


def admin_may(app_label: str, codename: str) -> bool:
    """Everything of the status page and the probes, and managing users (not groups: roles are code)."""
    return app_label in APPS or (app_label == "auth" and codename.endswith("_user")) or (
        app_label == "auth" and codename == "view_group")


RULES = {RESPONDER: responder_may, ADMIN: admin_may}


def sync_role_groups(group_model, permission_model) -> None:
    """Create both groups and set exactly their permissions; safe to run any number of times."""
    perms = list(permission_model.objects.select_related("content_type"))
    for role, may in RULES.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = {p.pk for p in perms if may(p.content_type.app_label, p.codename)}
        if set(group.permissions.values_list("pk", flat=True)) != wanted:
            group.permissions.set(wanted)


def role_of(user) -> str | None:
    """The user's role: admin wins; superusers are admins; None if neither."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    return ADMIN if ADMIN in names else (RESPONDER if RESPONDER in names else None)


def role_needed(perm: str) -> str:
    """The least role holding `perm` ("app.codename"), for error messages."""
    app_label, _, codename = perm.partition(".")
    return RESPONDER if responder_may(app_label, codename) else ADMIN


def _post_migrate(sender, **kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    if sender.label in APPS:  # after auth's own handler has created this app's permissions
        sync_role_groups(Group, Permission)


def connect() -> None:
    from django.db.models.signals import post_migrate

    post_migrate.connect(_post_migrate, dispatch_uid="statuspage.roles.sync")
