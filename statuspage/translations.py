"""One rule for the texts given per language: `{lang: {field: text}}`.

The config validator reports each problem with its path; the models (and so the admin's
forms) refuse the same values with the same words.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

LANGUAGE_CODES = frozenset(code for code, _ in settings.LANGUAGES)


def problems(value, fields: set[str]) -> list[tuple[str, str]]:
    """(language or "", message) for each wrong part of `value`; [] when it is right."""
    if not isinstance(value, dict):
        return [("", "must be a mapping of language code to texts")]
    found = []
    for lang, texts in value.items():
        if lang not in LANGUAGE_CODES:
            found.append((str(lang), f"unknown language; expected one of {', '.join(sorted(LANGUAGE_CODES))}"))
        elif not isinstance(texts, dict) or any(k not in fields or not isinstance(v, str) for k, v in texts.items()):
            found.append((lang, f"must map {', '.join(sorted(fields))} to strings"))
    return found


@deconstructible
class TranslationsValidator:
    """A model field validator: `translations = JSONField(validators=[TranslationsValidator("name")])`."""

    def __init__(self, *fields: str):
        self.fields = tuple(sorted(fields))

    def __call__(self, value) -> None:
        found = problems(value, set(self.fields))
        if found:
            raise ValidationError([f"{lang}: {message}" if lang else message for lang, message in found])

    def __eq__(self, other) -> bool:
        return isinstance(other, TranslationsValidator) and other.fields == self.fields
