from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models

from statuspage.models.incidents import Incident
from statuspage.translations import TranslationsValidator

# What would make a notice personal data: an e-mail address, a phone number, a long id.
_PERSONAL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d\s()-]{8,}\d")


def no_personal_data(value: str) -> None:
    """The wording is the message as sent to many: never a recipient's address or number."""
    if _PERSONAL.search(value or ""):
        raise ValidationError("Remove e-mail addresses, phone numbers and identifiers: "
                              "write the message as everyone received it, without personal data.")


class NoticeSentInError(models.Model):
    """A notice that went out wrongly (a false push, SMS or letter), told on the incident
    page, in v2 and to /verify. No personal data: no recipients, no identifiers, only the
    wording as everyone received it and about how many people got it.

    Without an incident it is prepared (from the config): the next incident its probe
    opens takes a copy, dated from that incident's start."""

    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="notices_sent_in_error")
    key = models.SlugField(max_length=64, blank=True, help_text="Set when the config file defines it.")
    probe_key = models.CharField(max_length=64, blank=True,
                                 help_text="Prepared notices: the probe whose incidents carry it.")
    wording = models.TextField(help_text="The message as people received it, in the page's first language.",
                               validators=[no_personal_data])
    channels = models.JSONField(default=list, blank=True, help_text='Where it went, e.g. ["push", "sms"].')
    sent_from = models.DateTimeField(null=True, blank=True)
    sent_until = models.DateTimeField(null=True, blank=True)
    people = models.PositiveIntegerField(null=True, blank=True, help_text="About how many people received it.")
    what_to_do = models.TextField(help_text="Plain words: what someone who received it should do.")
    translations = models.JSONField(default=dict, blank=True, help_text="{lang: {wording, what_to_do}}",
                                    validators=[TranslationsValidator("wording", "what_to_do")])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sent_from", "id"]
        verbose_name = "notice sent in error"
        verbose_name_plural = "notices sent in error"

    def __str__(self) -> str:
        return (self.wording[:60] + "…") if len(self.wording) > 60 else self.wording

    def clean(self) -> None:
        for lang, texts in (self.translations or {}).items():
            if isinstance(texts, dict):
                try:
                    no_personal_data(texts.get("wording", ""))
                except ValidationError as exc:
                    raise ValidationError({"translations": f"{lang}: {exc.messages[0]}"}) from None
        if not isinstance(self.channels, list) or not all(isinstance(c, str) for c in self.channels):
            raise ValidationError({"channels": "must be a list of channel names, e.g. [\"push\", \"sms\"]"})
        if self.sent_from and self.sent_until and self.sent_until < self.sent_from:
            raise ValidationError({"sent_until": "must not be before sent_from"})

    @property
    def is_public(self) -> bool:
        return self.incident_id is not None and self.incident.published

    def attach_copy(self, incident: Incident) -> NoticeSentInError:
        """The prepared notice, now carried by `incident` (idempotent per incident and key)."""
        copy, _ = NoticeSentInError.objects.get_or_create(
            incident=incident, key=self.key,
            defaults={"wording": self.wording, "channels": self.channels, "people": self.people,
                      "what_to_do": self.what_to_do, "translations": self.translations,
                      "sent_from": incident.started_at},
        )
        return copy
