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
    name = models.CharField(max_length=100, default="cli")
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user, name: str = "cli", ttl_days: int | None = None) -> tuple["ApiToken", str]:
        key = "sp_" + secrets.token_urlsafe(32)
        days = settings.API_TOKEN_TTL_DAYS if ttl_days is None else ttl_days
        token = cls.objects.create(
            user=user, name=name, prefix=key[:10], digest=_digest(key),
            expires_at=timezone.now() + timedelta(days=days),
        )
        return token, key

    @classmethod
    def find(cls, key: str) -> "ApiToken | None":
        return cls.objects.select_related("user").filter(digest=_digest(key)).first()

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()
