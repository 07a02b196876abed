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


class IsOnCall(permissions.BasePermission):
    message = "Only on-call users may use the management API."

    def has_permission(self, request, view):
        return is_oncall(request.user)
