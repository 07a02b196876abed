"""The incident form of the on-call console: name, first or next update, languages, templates."""

from __future__ import annotations

from django import forms

from statuspage.admin_forms import TranslatedModelForm, field_name, texts_by_language
from statuspage.models import Component, Incident, IncidentTemplate
from statuspage.statuses import ALL_INCIDENT_STATUSES, REOPEN_TO, ComponentStatus, next_statuses


class IncidentForm(TranslatedModelForm):
    translated_fields = ("name", "postmortem")
    # Form-only texts per language: the update being posted.
    extra_translated = {"update_body": ("Update message", True)}

    template = forms.ModelChoiceField(
        queryset=IncidentTemplate.objects.all(), required=False, to_field_name="key",
        label="Fill from template",
        help_text="Fills the name and the message (in every language) that you left empty.")
    update_status = forms.ChoiceField(choices=[("", "— no new update —"), *ALL_INCIDENT_STATUSES], required=False,
                                      label="Post update with status")
    update_body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                  label="Update message (Markdown)")
    reopen = forms.BooleanField(required=False, label="Reopen",
                                help_text="Needed to move a resolved incident back to an open status.")
    affected = forms.ModelMultipleChoiceField(queryset=Component.objects.all(), required=False,
                                              widget=forms.CheckboxSelectMultiple, label="Affected components")
    component_status = forms.ChoiceField(choices=[("", "— leave as they are —"), *ComponentStatus.choices],
                                         required=False, label="Set affected components to")

    class Meta:
        model = Incident
        fields = ["name", "kind", "impact", "published", "scheduled_for", "scheduled_until",
                  "auto_transition", "postmortem", "postmortem_published_at"]
        help_texts = {"published": "Leave unticked: saving makes a draft you can preview. Publishing asks "
                                   "you to confirm, and says who will be told."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False  # a template may give it; clean() insists on one
        if self.instance._state.adding:
            self.fields["published"].initial = False

    def clean(self):
        self._fill_from_template()
        data = super().clean()
        # Not `instance.pk`: the id has a default, so a new, unsaved incident has one already.
        adding = self.instance._state.adding
        if not data.get("name"):
            self.add_error("name", "Give the incident a name (or choose a template).")
        kind = data.get("kind") or (Incident.Kind.INCIDENT if adding else self.instance.kind)
        status = data.get("update_status")
        if adding and not status:
            status = Incident.allowed_statuses(kind)[0]
            data["update_status"] = status
        if status and status not in Incident.allowed_statuses(kind):
            valid = ", ".join(Incident.allowed_statuses(kind))
            self.add_error("update_status", f"'{status}' is not a status of a {kind}; valid: {valid}")
        elif status and not adding:
            self._check_transition(status, bool(data.get("reopen")))
        data["update_translations"] = texts_by_language(data, "update_body", self.languages)
        self._check_update_text(data, status, adding)
        if data.get("component_status") and not data.get("affected"):
            self.add_error("affected", "choose the components whose status to set")
        if kind == Incident.Kind.MAINTENANCE and not data.get("scheduled_for"):
            self.add_error("scheduled_for", "a maintenance needs a start time")
        return data

    def _check_transition(self, status: str, reopen: bool) -> None:
        """The API's transitions table (statuses.TRANSITIONS), with its explicit reopen."""
        current = self.instance.status
        if status in next_statuses(current, reopen):
            return
        allowed = ", ".join(next_statuses(current)) or "none"
        reopens = current in REOPEN_TO and status in next_statuses(current, True)
        hint = ' To reopen it, tick "Reopen".' if reopens else ""
        self.add_error("update_status", f"A {current} incident cannot become {status} (allowed: {allowed}).{hint}")

    def _check_update_text(self, data: dict, status: str, adding: bool) -> None:
        """An update says something, in the page's own language first: nothing typed is lost
        and no reader is left with an empty statement."""
        typed = bool((data.get("update_body") or "").strip()) or any(
            text.strip() for text in data["update_translations"].values())
        if not status:
            if typed:
                self.add_error("update_status", "Choose a status to post this update, or clear its message.")
            return
        if not (data.get("update_body") or "").strip() and (typed or not adding):
            self.add_error("update_body", "Write the update's message here too: readers of the other "
                                          "languages, and of any language not translated, read this one.")

    def _fill_from_template(self) -> None:
        """What the template gives, where the user left the field empty (never over their words)."""
        template = self.cleaned_data.get("template")
        if template is None:
            return
        data = self.cleaned_data
        adding = self.instance._state.adding
        if adding and not data.get("name"):
            data["name"] = template.title or template.name
        if not data.get("update_body"):
            data["update_body"] = template.body
        if adding and template.impact and not self.data.get(self.add_prefix("impact")):
            data["impact"] = template.impact
        if template.status and not data.get("update_status") and \
                template.status in Incident.allowed_statuses(data.get("kind") or self.instance.kind):
            data["update_status"] = template.status
        for code in self.languages:
            for field, source in (("name", "title"), ("update_body", "body")):
                if field == "name" and not adding:
                    continue
                key = field_name(field, code)
                if not data.get(key):
                    data[key] = template.texts(source).get(code, "")


def template_initial(template: IncidentTemplate, languages: list[str]) -> dict:
    """The add form pre-filled from a template (the “New incident from template” links)."""
    initial = {"template": template.key, "name": template.title or template.name, "update_body": template.body}
    if template.impact:
        initial["impact"] = template.impact
    if template.status:
        initial["update_status"] = template.status
    titles, bodies = template.texts("title"), template.texts("body")
    for code in languages:
        initial[field_name("name", code)] = titles.get(code, "")
        initial[field_name("update_body", code)] = bodies.get(code, "")
    return initial
