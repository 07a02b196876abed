import base64
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from statuspage.models.components import Component
from statuspage.models.events import OutboxEvent
from statuspage.models.ids import new_public_id


def new_salt() -> str:
    return secrets.token_hex(16)  # 32 characters: the column's size


def derived_secret(material: str) -> str:
    """A `whsec_` secret derived from WEBHOOK_SECRET_KEY (the environment) and `material`
    (a row's id and salt): never stored, so a database dump cannot forge what it signs."""
    digest = hmac.new(settings.WEBHOOK_SECRET_KEY.encode(), material.encode(), hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(digest).decode()


class WebhookSubscriber(models.Model):
    """A system that receives signed events (docs/subscribers.md).

    Its `whsec_` secret is never stored: it is derived from WEBHOOK_SECRET_KEY (the
    environment) and a random per-subscriber salt, so a database dump cannot forge events.
    """

    class Format(models.TextChoices):
        STANDARD = "standard", "Standard Webhooks"
        STATUSPAGE = "statuspage", "Atlassian Statuspage"

    id = models.CharField(primary_key=True, max_length=16, default=new_public_id, editable=False)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    format = models.CharField(max_length=12, choices=Format.choices, default=Format.STANDARD)
    components = models.ManyToManyField(Component, blank=True, help_text="None: every component.")
    salt = models.CharField(max_length=32, default=new_salt, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    owner_email = models.EmailField(blank=True, help_text="Told when the endpoint is disabled.")
    confirmed = models.BooleanField(default=True, help_text="Self-service subscriptions confirm by email.")
    language = models.CharField(max_length=10, blank=True,
                                help_text="Of the emails to the owner; blank: the page's first language.")
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def secret(self) -> str:
        return derived_secret(f"{self.pk}:{self.salt}")

    def rotate_secret(self) -> str:
        self.salt = new_salt()
        self.save(update_fields=["salt"])
        return self.secret

    def confirm(self) -> bool:
        """Confirm once: True for the one caller that did it (and may be shown the secret)."""
        # Conditional, so two concurrent confirmations cannot both reveal the secret.
        if WebhookSubscriber.objects.filter(pk=self.pk, confirmed=False).update(confirmed=True) != 1:
            return False
        self.confirmed = True
        return True

    def wants(self, component_keys: list[str]) -> bool:
        keys = {c.key for c in self.components.all()}
        return not keys or not component_keys or bool(keys & set(component_keys))


class EmailSubscriber(models.Model):
    """A person subscribed by email (double opt-in, one-click unsubscribe)."""

    email = models.EmailField(unique=True)
    language = models.CharField(max_length=10, default="en")
    components = models.ManyToManyField(Component, blank=True, help_text="None: every component.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.email

    @classmethod
    def ask(cls, email: str, components, language: str) -> "EmailSubscriber":
        """A request to subscribe, not yet anyone's consent.

        A confirmed subscriber is left as it is: anyone can post any address, so the
        choices travel in the confirmation link and apply only when its owner confirms.
        """
        with transaction.atomic():
            subscriber, _ = cls.objects.get_or_create(email=email.lower(), defaults={"language": language})
            if subscriber.confirmed_at is None:  # nothing is sent to it yet: nothing to silence
                subscriber.language = language
                subscriber.created_at = timezone.now()  # asked again: kept a week from now (purge)
                subscriber.save(update_fields=["language", "created_at"])
                subscriber.components.set(components)
        return subscriber

    def confirm(self, component_keys: list[str] | None = None, language: str | None = None) -> None:
        """The owner of the address consents: to the subscription, or to the choices in their link."""
        with transaction.atomic():
            if component_keys is not None:
                self.components.set(Component.objects.filter(key__in=component_keys))
            self.language = language or self.language
            self.confirmed_at = self.confirmed_at or timezone.now()
            self.save(update_fields=["language", "confirmed_at"])

    def wants(self, component_keys: list[str]) -> bool:
        keys = {c.key for c in self.components.all()}
        return not keys or not component_keys or bool(keys & set(component_keys))


class Delivery(models.Model):
    """One event to one subscriber: the unit of at-least-once delivery.

    Claimed with a lease (claimed_until) so a worker killed mid-send only delays it: the
    sweep picks it up again after the lease, with the same webhook-id.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed (gave up)"
        CANCELLED = "cancelled", "cancelled (subscriber disabled)"

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    webhook = models.ForeignKey(WebhookSubscriber, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="deliveries")
    email = models.ForeignKey(EmailSubscriber, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "webhook"], name="one_delivery_per_webhook"),
            models.UniqueConstraint(fields=["event", "email"], name="one_delivery_per_email"),
            models.CheckConstraint(condition=Q(webhook__isnull=True) ^ Q(email__isnull=True),
                                   name="delivery_has_one_target"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event_id} → {self.webhook or self.email} ({self.status})"


class DeliveryAttempt(models.Model):
    """The log of every attempt: what the receiver answered, how fast, what went wrong."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        answer = self.status_code or self.error[:60] or "no answer"
        return f"delivery {self.delivery_id}: {answer} in {self.latency_ms} ms"
