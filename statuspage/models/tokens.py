import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """An API token; only its SHA-256 is stored, the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    # Who issued it: removing that user revokes it too (a token issued for a colleague
    # must not outlive its issuer's access).
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="issued_api_tokens", editable=False)
    name = models.CharField(max_length=100, default="cli")
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def save(self, *args, **kwargs):
        # Owner and expiry are fixed at creation, whatever door the change comes through
        # (an on-call user once handed their token to a colleague and extended it to 2099).
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values("user_id", "expires_at", "issued_by_id").first()
            if stored is not None and (stored["user_id"], stored["expires_at"], stored["issued_by_id"]) != (
                    self.user_id, self.expires_at, self.issued_by_id):
                raise ValueError("a token's owner, issuer and expiry cannot change: revoke it and issue a new one")
        super().save(*args, **kwargs)

    @classmethod
    def issue(cls, user, name: str = "cli", ttl_days: int | None = None, issued_by=None) -> tuple["ApiToken", str]:
        key = "sp_" + secrets.token_urlsafe(32)
        days = settings.API_TOKEN_TTL_DAYS if ttl_days is None else ttl_days
        token = cls.objects.create(
            user=user, name=name, prefix=key[:10], digest=_digest(key), issued_by=issued_by,
            expires_at=timezone.now() + timedelta(days=days),
        )
        return token, key

    @classmethod
    def held_or_issued_by(cls, user) -> models.QuerySet["ApiToken"]:
        """Every token a user holds or has issued: what their removal revokes."""
        return cls.objects.filter(models.Q(user=user) | models.Q(issued_by=user))

    @classmethod
    def find(cls, key: str) -> "ApiToken | None":
        return cls.objects.select_related("user").filter(digest=_digest(key)).first()

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()
