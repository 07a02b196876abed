"""The config's `notices_sent_in_error:` section: notices prepared for a probe's incidents.

    notices_sent_in_error:
      - key: false-deferral-push
        probe: reserve-login-and-profile   # its next incident carries the notice
        wording: "Reserve+: Your deferment … has been granted …"
        what_to_do: "Your status has not changed. …"
        channels: [push]
        people: 1200                       # optional, about how many received it
        translations: {uk: {wording: "…", what_to_do: "…"}}

No personal data: a wording with an e-mail address or a phone number is refused.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from statuspage.config.fields import (
    Errors,
    refuse_unknown,
    text_field,
    translations_field,
    unique_key,
)
from statuspage.models import Incident, NoticeSentInError
from statuspage.models.notices import no_personal_data

SECTION = "notices_sent_in_error"
NOTICE_KEYS = {"key", "probe", "wording", "what_to_do", "channels", "people", "translations"}


def validate(raw: Any, probe_keys: set[str] | None, errors: Errors) -> list[dict]:
    """`probe_keys`: the probes the document defines (None: it has no probes section)."""
    if not isinstance(raw, list):
        errors.append((SECTION, "must be a list"))
        return []
    notices, seen = [], set()
    for i, item in enumerate(raw):
        where = f"{SECTION}[{i}]"
        if not isinstance(item, dict):
            errors.append((where, "must be a mapping"))
            continue
        refuse_unknown(item, NOTICE_KEYS, where, errors)
        notice = {name: text_field(item, name, where, errors, required=True)
                  for name in ("key", "probe", "wording", "what_to_do")}
        unique_key(notice["key"], where, seen, errors)
        if notice["probe"] and probe_keys is not None and notice["probe"] not in probe_keys:
            errors.append((f"{where}.probe", f"no probe '{notice['probe']}' in this document"))
        notice["channels"] = item.get("channels", [])
        if not isinstance(notice["channels"], list) or not all(isinstance(c, str) for c in notice["channels"]):
            errors.append((f"{where}.channels", 'must be a list of channel names, e.g. [push, sms]'))
        notice["people"] = item.get("people")
        if notice["people"] is not None and (isinstance(notice["people"], bool) or
                                             not isinstance(notice["people"], int) or notice["people"] < 0):
            errors.append((f"{where}.people", "must be a whole number of people, 0 or more"))
        notice["translations"] = translations_field(item, where, errors, {"wording", "what_to_do"})
        texts = [(f"{where}.wording", notice["wording"])] + [
            (f"{where}.translations.{lang}.wording", t.get("wording", ""))
            for lang, t in notice["translations"].items()]
        for path, text in texts:
            try:
                no_personal_data(text)
            except ValidationError as exc:
                errors.append((path, exc.messages[0]))
        notices.append(notice)
    return notices


def apply(notices: list[dict], *, prune: bool, changes: list[str]) -> None:
    """Prepared notices only: copies already carried by incidents are history, left alone."""
    prepared = NoticeSentInError.objects.filter(incident__isnull=True)
    for n in notices:
        values = {"probe_key": n["probe"], "wording": n["wording"], "what_to_do": n["what_to_do"],
                  "channels": n["channels"], "people": n["people"], "translations": n["translations"]}
        current = prepared.filter(key=n["key"]).first()
        if current is None:
            NoticeSentInError.objects.create(key=n["key"], **values)
            changes.append(f"notice sent in error {n['key']}: prepared")
        elif any(getattr(current, k) != v for k, v in values.items()):
            prepared.filter(pk=current.pk).update(**values)
            changes.append(f"notice sent in error {n['key']}: updated")
    if prune:
        for gone in prepared.exclude(key__in=[n["key"] for n in notices]):
            changes.append(f"notice sent in error {gone.key}: deleted")
            gone.delete()


def attach_prepared(sender, instance: Incident, created: bool, raw: bool = False, **kwargs) -> None:
    """A probe opened an incident: it carries the notices prepared for that probe."""
    if not created or raw or not instance.probe_key:
        return
    for prepared in NoticeSentInError.objects.filter(incident__isnull=True, probe_key=instance.probe_key):
        prepared.attach_copy(instance)
