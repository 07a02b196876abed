"""Idempotency keys of the management API (docs/api.md, statuspage.api.idempotency).

A row is claimed, under a unique constraint, before the request's work starts: of two
requests with the same key only one creates anything. The answer is stored on the row
and replayed to a retry for 24 hours."""

from datetime import timedelta

from django.db import models

IDEMPOTENCY_KEPT = timedelta(hours=24)


class IdempotencyKey(models.Model):
    owner = models.CharField(max_length=80, help_text="Whose key: a digest of the token, or user:<id>.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty while in flight.")
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_once_per_owner")]

    def __str__(self) -> str:
        return f"{self.key} ({self.owner})"
