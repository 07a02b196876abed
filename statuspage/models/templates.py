"""Incident templates: prepared wording on-call starts from (the config's `templates:`, or the admin)."""

from django.db import models

from statuspage.statuses import ALL_INCIDENT_STATUSES, Impact
from statuspage.translations import TranslationsValidator


class IncidentTemplate(models.Model):
    """A named starting point: the title and first words of an incident or an update, in
    every language the page speaks. Using it fills only what the user left empty."""

    key = models.SlugField(max_length=64, unique=True, help_text="Stable id used in the API and the config file.")
    name = models.CharField(max_length=200, help_text="What on-call picks it by, e.g. “Login is down”.")
    title = models.CharField(max_length=255, blank=True, help_text="The incident's name.")
    body = models.TextField(blank=True, help_text="The update's message (Markdown).")
    status = models.CharField(max_length=20, choices=ALL_INCIDENT_STATUSES, blank=True,
                              help_text="Blank: the first status of its kind.")
    impact = models.CharField(max_length=10, choices=Impact.choices, blank=True)
    translations = models.JSONField(default=dict, blank=True, help_text="{lang: {title, body}}",
                                    validators=[TranslationsValidator("title", "body")])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def texts(self, field: str) -> dict[str, str]:
        """{lang: text} of one field's translations, the empty ones left out."""
        return {lang: t[field] for lang, t in (self.translations or {}).items()
                if isinstance(t, dict) and t.get(field)}

    def fill(self, given: dict, *, new_incident: bool) -> dict:
        """`given` (an API request's fields) with what it leaves out taken from the template:
        name (new incidents only), body, status, impact, and each language's name and body."""
        filled = dict(given)
        if new_incident:
            filled.setdefault("name", self.title or self.name)
            if self.impact:
                filled.setdefault("impact", self.impact)
            filled["name_translations"] = {**self.texts("title"), **filled.get("name_translations", {})}
        if not given.get("body"):
            filled["body"] = self.body
        if self.status:
            filled.setdefault("status", self.status)
        filled["body_translations"] = {**self.texts("body"), **filled.get("body_translations", {})}
        return filled
