from django.conf import settings
from django.db import models


class OnCallContact(models.Model):
    """Where an on-call user is alerted when a probe trips (their chat or paging tool)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_contact")
    alert_webhook_url = models.URLField(max_length=2000, blank=True,
                                        help_text="Receives {\"text\": …} JSON (Slack, Mattermost, paging tools).")
    alert_by_email = models.BooleanField(default=True, help_text="Also email the user's address.")

    def __str__(self) -> str:
        return f"alerts for {self.user}"
