from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from statuspage.models import ApiToken


def is_oncall(user) -> bool:
    """The one rule for who may write: active superusers and members of the on-call group."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=settings.ONCALL_GROUP).exists()


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`; keys are stored hashed and expire."""

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


class IsOnCall(permissions.BasePermission):
    message = "Only on-call users may use the management API."

    def has_permission(self, request, view):
        return is_oncall(request.user)
