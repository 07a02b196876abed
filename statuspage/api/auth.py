"""Who may use the management API: a token (authentication), then the role's model
permissions for what the request does (RolePermission, the one check: user.has_perm)."""

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from statuspage.models import ApiToken
from statuspage.roles import role_needed, role_of

# (URL name, method) → the permission it needs. Reads need only a role (GET/HEAD/OPTIONS
# unless listed); a write not listed here needs the admin role, so a new endpoint is closed
# until someone decides who may use it.
REQUIRED = {
    ("api-config", "POST"): "statuspage.apply_config",
    ("api-incidents", "POST"): "statuspage.add_incident",
    ("api-incident", "PATCH"): "statuspage.change_incident",
    ("api-incident", "DELETE"): "statuspage.delete_incident",
    ("api-incident-updates", "POST"): "statuspage.add_incidentupdate",
    ("api-incident-update", "PATCH"): "statuspage.change_incidentupdate",
    ("api-incident-notices", "POST"): "statuspage.add_noticesentinerror",
    ("api-component", "PATCH"): "statuspage.change_component",
    # Subscribers are personal data: the admin role.
    ("api-webhooks", "GET"): "statuspage.view_webhooksubscriber",
    ("api-webhooks", "POST"): "statuspage.add_webhooksubscriber",
    ("api-webhook", "DELETE"): "statuspage.delete_webhooksubscriber",
    ("api-webhook-deliveries", "GET"): "statuspage.view_delivery",
    ("api-webhook-test", "POST"): "statuspage.change_webhooksubscriber",
    # The Statuspage-compatible API (statuspage.api.statuspage_v1).
    ("statuspage-incidents", "POST"): "statuspage.add_incident",
    ("statuspage-incident", "PATCH"): "statuspage.change_incident",
    ("statuspage-incident", "PUT"): "statuspage.change_incident",
    ("statuspage-incident-update", "PATCH"): "statuspage.change_incidentupdate",
    ("statuspage-incident-update", "PUT"): "statuspage.change_incidentupdate",
    ("statuspage-component", "PATCH"): "statuspage.change_component",
    ("statuspage-component", "PUT"): "statuspage.change_component",
}


def is_oncall(user) -> bool:
    """Whether `user` holds an on-call role (responder or admin; superusers are admins)."""
    return role_of(user) is not None


def required_permission(request) -> str | None:
    """What this request needs beyond a role; None for a plain read."""
    match = request.resolver_match
    key = (match.url_name if match else None, request.method)
    if key in REQUIRED:
        return REQUIRED[key]
    return None if request.method in permissions.SAFE_METHODS else "statuspage.apply_config"


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` or `Bearer <key>` (what most HTTP clients send for an
    API key, RFC 6750's form); keys are stored hashed and expire."""

    keywords: tuple[str, ...] = ("Token", "Bearer")

    def authenticate(self, request):
        scheme = authentication.get_authorization_header(request).split(b" ", 1)[0].decode("latin-1").lower()
        for keyword in self.keywords:
            if scheme == keyword.lower():
                self.keyword = keyword  # DRF's parsing, and the WWW-Authenticate of a 401, use it
                return super().authenticate(request)
        return None

    def authenticate_credentials(self, key):
        token = ApiToken.find(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.expired:
            raise exceptions.AuthenticationFailed("Token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token


class RolePermission(permissions.BasePermission):
    """A role to use the API at all; the permission REQUIRED names for what the request does."""

    message = "Only on-call users (role responder or admin) may use the management API."

    def has_permission(self, request, view):
        if not is_oncall(request.user):
            return False
        if request.method.lower() not in view.http_method_names or not hasattr(view, request.method.lower()):
            return True  # a method nobody may use: DRF answers 405, for a responder as for an admin
        needed = required_permission(request)
        if needed is None or request.user.has_perm(needed):
            return True
        # An instance attribute: DRF reads it for the 403's detail.
        self.message = (f"This needs the {role_needed(needed)} role (permission {needed}); you are "
                        f"{role_of(request.user)}. Ask an admin, or see docs/on-call.md.")
        return False
