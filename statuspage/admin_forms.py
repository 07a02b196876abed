"""Texts in other languages as plain form fields: one field per page language.

The texts stay where every reader already finds them (the `translations` JSON of each row,
read by the config loader, the public pages, the API and v2); only the admin's way of
writing them changes. A form gets one field per language the page speaks, built at
request time because the page's languages are chosen in the config, not in code:

- a field left empty means "not translated": that language leaves storage for that field;
- languages the form does not show (a language the page dropped) are kept as stored;
- quotes and line breaks are text like any other, never JSON to escape.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.db import models
from django.utils import timezone

from statuspage.i18n import LANGUAGE_NAMES, page_languages, text_language
from statuspage.models import PageSettings


def form_languages(page: PageSettings | None = None) -> list[str]:
    """The languages to write besides the plain text's: the page's, in its order."""
    page = page or PageSettings.load()
    source = text_language(page)
    return [code for code in page_languages(page) if code != source]


def field_name(field: str, code: str) -> str:
    """`name` in `uz-latn` → `name_uz_latn` (a name Python and HTML both accept)."""
    return f"{field}_{code.replace('-', '_')}"


def language_label(label: str, code: str) -> str:
    """“Name — Oʻzbekcha (lotin)”: each language named in itself, as on the public page."""
    return f"{label} — {LANGUAGE_NAMES[code]}"


def text_field_for(label: str, code: str, long: bool, max_length: int | None = None) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 4, "lang": code}) if long else forms.TextInput(
        attrs={"lang": code, "class": "vTextField"})
    return forms.CharField(label=language_label(label, code), required=False, widget=widget, max_length=max_length,
                           help_text="Empty: not translated (readers see the text above).")


def texts_by_language(data: dict, field: str, languages: list[str]) -> dict[str, str]:
    """{lang: text} of the fields `field_<lang>` that were filled in."""
    texts = {code: (data.get(field_name(field, code)) or "").strip() for code in languages}
    return {code: text for code, text in texts.items() if text}


def merged_translations(stored: dict | None, edited: dict[str, dict[str, str]], fields: list[str],
                        languages: list[str], flat: bool = False) -> dict:
    """`stored` with the edited languages' `fields` replaced; an empty text removes its
    field (and a language with nothing left); other languages and fields stay as stored.
    `flat`: IncidentUpdate's shape, {lang: body}."""
    result = {lang: (texts if flat else dict(texts)) for lang, texts in (stored or {}).items()}
    for code in languages:
        if flat:
            text = edited.get(code, {}).get(fields[0], "")
            if text:
                result[code] = text
            else:
                result.pop(code, None)
            continue
        entry = dict(result.get(code) or {})
        for field in fields:
            text = edited.get(code, {}).get(field, "")
            if text:
                entry[field] = text
            else:
                entry.pop(field, None)
        if entry:
            result[code] = entry
        else:
            result.pop(code, None)
    return result


class TranslatedModelForm(forms.ModelForm):
    """A ModelForm whose `translated_fields` get one field per language (see the module).

    Subclasses name the fields; `translated_form()` adds the language fields of the page
    as it is now. Stored as {lang: {field: text}}, or {lang: text} when `flat`."""

    translated_fields: tuple[str, ...] = ()
    flat = False
    languages: list[str] = []
    source_language = ""  # the language of the plain fields (the page's text language)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in [*self.translated_fields, *getattr(self, "extra_translated", {})]:
            if name in self.fields and self.source_language:
                self.fields[name].label = language_label(str(self.fields[name].label), self.source_language)
        stored = getattr(self.instance, "translations", None) or {}
        for code in self.languages:
            entry = stored.get(code)
            for field in self.translated_fields:
                text = entry if self.flat and isinstance(entry, str) else (
                    entry.get(field, "") if isinstance(entry, dict) else "")
                self.initial.setdefault(field_name(field, code), text)

    def clean(self):
        data = super().clean()
        edited = {code: {field: (data.get(field_name(field, code)) or "").strip()
                         for field in self.translated_fields} for code in self.languages}
        self.instance.translations = merged_translations(
            getattr(self.instance, "translations", None), edited, list(self.translated_fields), self.languages,
            flat=self.flat)
        return data


def translated_form(base: type[TranslatedModelForm], languages: list[str] | None = None) -> type:
    """`base` with a field per language for each of its translated fields (and its extras)."""
    page = PageSettings.load()
    languages = form_languages(page) if languages is None else languages
    model = base._meta.model
    attrs: dict = {"languages": languages, "source_language": text_language(page), "__module__": base.__module__}
    for field in base.translated_fields:
        model_field = model._meta.get_field("body" if base.flat else field)
        long = isinstance(model_field, models.TextField)
        for code in languages:
            attrs[field_name(field, code)] = text_field_for(
                str(model_field.verbose_name).capitalize(), code, long, getattr(model_field, "max_length", None))
    for field, (label, long) in getattr(base, "extra_translated", {}).items():
        for code in languages:
            attrs[field_name(field, code)] = text_field_for(label, code, long)
    return type(base.__name__, (base,), attrs)


def language_fieldsets(base: type[TranslatedModelForm], languages: list[str]) -> list:
    """One fieldset per language, titled in that language, with its fields."""
    fields = [*base.translated_fields, *getattr(base, "extra_translated", {})]
    return [(LANGUAGE_NAMES[code], {"fields": [field_name(f, code) for f in fields]}) for code in languages]


def zone_label(zone_name: str, at: datetime | None = None) -> str:
    """“Europe/Kyiv (UTC+02:00)”: the zone the admin's times are in, with its offset now."""
    at = at or timezone.now()
    offset = at.astimezone(zoneinfo.ZoneInfo(zone_name)).strftime("%z")
    return f"{zone_name} (UTC{offset[:3]}:{offset[3:]})"


def name_the_zone(field: forms.Field | None) -> forms.Field | None:
    """A date-and-time field says which zone it is typed in (the page's: AdminTimeZoneMiddleware)."""
    if isinstance(field, forms.SplitDateTimeField | forms.DateTimeField):
        hint = f"Time in {zone_label(timezone.get_current_timezone_name())}."
        field.help_text = f"{field.help_text} {hint}" if field.help_text else hint
    return field


class TranslatedAdminMixin:
    """For a ModelAdmin (or an inline) whose `form` is a TranslatedModelForm: the form gets
    the page's languages at each request, and each language its own fieldset."""

    def _languages(self, request) -> list[str]:
        if not hasattr(request, "_form_languages"):
            request._form_languages = form_languages()
        return request._form_languages

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), "translations"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = translated_form(self.form, self._languages(request))
        return super().get_form(request, obj, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):  # inlines
        kwargs["form"] = translated_form(self.form, self._languages(request))
        return super().get_formset(request, obj, **kwargs)

    def _language_field_names(self, request) -> set[str]:
        fields = [*self.form.translated_fields, *getattr(self.form, "extra_translated", {})]
        return {field_name(f, code) for f in fields for code in self._languages(request)}

    def get_fieldsets(self, request, obj=None):
        own = self._language_field_names(request) | {"translations"}
        fieldsets = [(title, {**options, "fields": [f for f in options["fields"] if f not in own]})
                     for title, options in super().get_fieldsets(request, obj)]
        return [*fieldsets, *language_fieldsets(self.form, self._languages(request))]
