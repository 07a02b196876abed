from django.conf import settings
from django.db import models

from statuspage.models.subscribers import derived_secret, new_salt


class OnCallContact(models.Model):
    """Where and in which language an on-call user is alerted (their chat, paging tool, email).

    A signed webhook's `whsec_` secret is derived from WEBHOOK_SECRET_KEY and a per-contact
    salt, as a subscriber's is: a database dump cannot forge alerts.
    """

    class WebhookFormat(models.TextChoices):
        CHAT = "chat", "Chat: {\"text\": …} (Slack, Mattermost, Rocket.Chat incoming webhooks)"
        SIGNED = "signed", "Signed: Standard Webhooks headers, JSON with every field"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_contact")
    alert_webhook_url = models.URLField(max_length=2000, blank=True,
                                        help_text="Receives every alert (see the format).")
    webhook_format = models.CharField(max_length=8, choices=WebhookFormat.choices, default=WebhookFormat.CHAT)
    alert_by_email = models.BooleanField(default=True, help_text="Also email the user's address.")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True,
                                help_text="Of the alerts; blank: English, as the console.")
    salt = models.CharField(max_length=32, default=new_salt, editable=False)

    def __str__(self) -> str:
        return f"alerts for {self.user}"

    @property
    def webhook_secret(self) -> str:
        return derived_secret(f"oncall:{self.pk}:{self.salt}")

    def reachable(self) -> bool:
        """Whether an alert has somewhere to go."""
        return bool(self.alert_webhook_url or (self.alert_by_email and self.user.email))
