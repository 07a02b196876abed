"""The config document's validator (docs/config-file.md), shared by `apply_config` and the API.

It never raises on bad input: it returns every error with its path, so a user fixes a
file in one pass. Only a document with no error at all is ever applied.
"""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils.text import slugify

from probes.spec import validate_probe
from statuspage import translations
from statuspage.config import notices, templates
from statuspage.config.fields import (
    KEY_RE,
    Errors,
    bool_field,
    refuse_unknown,
    text_field,
    translations_field,
    url_field,
)
from statuspage.i18n import time_zones_problems

LANGUAGE_CODES = translations.LANGUAGE_CODES
TOP_KEYS = {"page", "components", "groups", "probes", "notices_sent_in_error", "templates"}
PAGE_KEYS = {"name", "url", "languages", "notice", "official_channels", "time_zone", "time_zones",
             "text_language", "translations", "maintenance_reminder"}
CHANNEL_KEYS = {"name", "value", "url", "translations"}
GROUP_KEYS = {"name", "description", "translations"}
COMPONENT_KEYS = {"key", "name", "group", "description", "only_show_if_degraded", "showcase", "translations"}

# PostgreSQL stores neither a NUL nor an unpaired surrogate, in text or in JSON.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MAX_NODES = 100_000


@dataclass
class Config:
    page: dict | None = None
    groups: list[dict] = field(default_factory=list)
    components: list[dict] | None = None  # None: the file has no components section
    probes: list[dict] | None = None  # None: the file has no probes section, leave probes alone
    notices_sent_in_error: list[dict] | None = None  # statuspage.config.notices
    templates: list[dict] | None = None  # statuspage.config.templates; None: leave templates alone


def validate(doc: Any, existing_components: set[str] | None = None) -> tuple[Config | None, Errors]:
    """`existing_components`: keys probes may name when the document has no components section."""
    errors: Errors = []
    if not isinstance(doc, dict):
        return None, [("", "the document must be a mapping with page, components and probes")]
    for key in doc:
        if key not in TOP_KEYS:
            errors.append((str(key), f"unknown section; expected one of {', '.join(sorted(TOP_KEYS))}"))
    _unstorable_text(doc, errors)
    config = Config()
    if "page" in doc:
        config.page = _page(doc["page"], errors)
    if "components" in doc:
        config.groups, config.components = _components(doc["components"], errors)
        known = {c["key"] for c in config.components}
        if "groups" in doc:
            _group_texts(doc["groups"], config.groups, errors)
    else:
        if "groups" in doc:
            errors.append(("groups", "describes the groups of `components`, which this document does not have"))
        known = set(existing_components or ())
    if "probes" in doc:
        config.probes = _probes(doc["probes"], known, errors)
    if "notices_sent_in_error" in doc:
        probe_keys = {p.get("key") for p in doc["probes"] if isinstance(p, dict)} \
            if isinstance(doc.get("probes"), list) else None
        config.notices_sent_in_error = notices.validate(doc["notices_sent_in_error"], probe_keys, errors)
    if "templates" in doc:
        config.templates = templates.validate(doc["templates"], errors)
    return (None, errors) if errors else (config, [])


def format_errors(errors: Errors) -> str:
    return "\n".join(f"{path or '(document)'}: {message}" for path, message in errors)


def _unstorable_text(doc: Any, errors: Errors, limit: int = 20) -> None:
    """Name every string (key or value) that no database would store."""
    stack, seen, found = [(doc, "")], set(), 0
    while stack and found < limit and len(seen) < _MAX_NODES:  # a bigger document fails elsewhere
        value, path = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                errors.append((path, "contains a NUL character or an unpaired surrogate"))
                found += 1
        elif isinstance(value, (dict, list)) and id(value) not in seen:
            seen.add(id(value))  # YAML anchors share (and may nest) one value
            items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
            for key, child in reversed(items):
                if isinstance(value, dict):
                    where = f"{path}.{key}" if path else str(key)
                    if isinstance(key, str) and _UNSTORABLE.search(key):
                        stack.append((key, where))
                else:
                    where = f"{path}[{key}]"
                stack.append((child, where))


def _page(raw: Any, errors: Errors) -> dict | None:
    if not isinstance(raw, dict):
        errors.append(("page", "must be a mapping"))
        return None
    refuse_unknown(raw, PAGE_KEYS, "page", errors)
    page = {
        "name": text_field(raw, "name", "page", errors, required=True, max_len=200),
        "url": url_field(raw, "url", "page", errors),
        "notice": text_field(raw, "notice", "page", errors),
        "time_zone": text_field(raw, "time_zone", "page", errors) or "UTC",
        "languages": [],
        "time_zones": _time_zones(raw.get("time_zones", {}), errors),
        "text_language": text_field(raw, "text_language", "page", errors),
        "channels": [],
        "translations": translations_field(raw, "page", errors, {"name", "notice"}),
        "maintenance_reminder": _reminder(raw.get("maintenance_reminder"), errors),
    }
    if page["time_zone"] not in zoneinfo.available_timezones():
        errors.append(("page.time_zone", f"unknown time zone '{page['time_zone']}' (e.g. Europe/Kyiv)"))
    if page["text_language"] and page["text_language"] not in LANGUAGE_CODES:
        errors.append(("page.text_language", f"unknown language '{page['text_language']}'; expected one of "
                                             f"{', '.join(sorted(LANGUAGE_CODES))}"))
    languages = raw.get("languages", [])
    if not isinstance(languages, list):
        errors.append(("page.languages", "must be a list of language codes"))
    else:
        for i, lang in enumerate(languages):
            if not isinstance(lang, str) or lang not in LANGUAGE_CODES:
                errors.append((f"page.languages[{i}]", f"unknown language '{lang}'; expected one of "
                               f"{', '.join(sorted(LANGUAGE_CODES))}"))
            else:
                page["languages"].append(lang)
    channels = raw.get("official_channels", [])
    if not isinstance(channels, list):
        errors.append(("page.official_channels", "must be a list"))
        channels = []
    for i, ch in enumerate(channels):
        where = f"page.official_channels[{i}]"
        if not isinstance(ch, dict):
            errors.append((where, "must be a mapping with name, value and url"))
            continue
        refuse_unknown(ch, CHANNEL_KEYS, where, errors)
        channel = {"name": text_field(ch, "name", where, errors, required=True, max_len=200),
                   "value": text_field(ch, "value", where, errors, max_len=200),
                   "url": url_field(ch, "url", where, errors),
                   "translations": translations_field(ch, where, errors, {"name"})}
        if not channel["value"] and not channel["url"]:
            errors.append((where, "needs a value or a url"))
        page["channels"].append(channel)
    return page


_REMINDER = re.compile(r"^\s*([0-9]{1,4})\s*(m|h|d)\s*$")
_REMINDER_UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def _reminder(raw: Any, errors: Errors) -> timedelta | None:
    """`page.maintenance_reminder`: "30m", "1h", "2d" (5 minutes to 14 days) before a
    maintenance starts; absent: no reminders."""
    if raw is None:
        return None
    match = _REMINDER.match(raw) if isinstance(raw, str) else None
    lead = int(match.group(1)) * _REMINDER_UNIT[match.group(2)] if match else None
    if lead is None or not timedelta(minutes=5) <= lead <= timedelta(days=14):
        errors.append(("page.maintenance_reminder",
                       f"expected a time from 5m to 14d before the start, like 30m, 1h or 2d; got {raw!r}"))
        return None
    return lead


def _time_zones(raw: Any, errors: Errors) -> dict[str, str]:
    """`page.time_zones`: {language | language-REGION | REGION: IANA zone}."""
    found = time_zones_problems(raw)
    errors.extend((f"page.time_zones.{key}" if key else "page.time_zones", message) for key, message in found)
    wrong = {key for key, _ in found}
    return {k: v for k, v in raw.items() if k not in wrong} if isinstance(raw, dict) and "" not in wrong else {}


def group_key(name: str) -> str:
    key = slugify(name)[:64]
    return key or "group-" + hashlib.sha1(name.encode()).hexdigest()[:8]


def _components(raw: Any, errors: Errors) -> tuple[list[dict], list[dict]]:
    if not isinstance(raw, list):
        errors.append(("components", "must be a list"))
        return [], []
    groups: dict[str, dict] = {}
    named: dict[str, tuple[str, str]] = {}  # group key -> (name, path) of the first group with it
    components: list[dict] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"components[{i}]"
        if not isinstance(item, dict):
            errors.append((where, "must be a mapping with key and name"))
            continue
        refuse_unknown(item, COMPONENT_KEYS, where, errors)
        key = item.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            errors.append((f"{where}.key", "is required: lowercase letters, digits, - and _ (max 64)"))
        elif key in seen:
            errors.append((f"{where}.key", f"duplicate key '{key}'"))
        else:
            seen.add(key)
        group_name = text_field(item, "group", where, errors, max_len=200)
        if group_name and group_name not in groups:
            # A group stands where its first component is: positions of groups and of
            # ungrouped components share one scale, the file's order.
            groups[group_name] = {"key": group_key(group_name), "name": group_name, "position": i,
                                  "description": "", "translations": {}}
            _one_name_per_group_key(groups[group_name], f"{where}.group", named, errors)
        components.append({
            "key": key if isinstance(key, str) else "",
            "name": text_field(item, "name", where, errors, required=True, max_len=200),
            "description": text_field(item, "description", where, errors),
            "group": groups[group_name]["key"] if group_name else None,
            "position": i,
            "only_show_if_degraded": bool_field(item, "only_show_if_degraded", where, errors, False),
            "showcase": bool_field(item, "showcase", where, errors, True),
            "translations": translations_field(item, where, errors, {"name", "description"}),
        })
    if seen & {g["key"] for g in groups.values()}:
        clash = sorted(seen & {g["key"] for g in groups.values()})
        errors.append(("components", f"group id(s) {', '.join(clash)} clash with component keys; rename one"))
    return list(groups.values()), components


def _one_name_per_group_key(group: dict, path: str, named: dict[str, tuple[str, str]], errors: Errors) -> None:
    """Two names with one id ("Reserve+" and "Reserve") would silently merge into one group."""
    if group["key"] not in named:
        named[group["key"]] = (group["name"], path)
        return
    other, other_path = named[group["key"]]
    errors.append((path, f"group '{group['name']}' would get the id '{group['key']}' of group '{other}' "
                         f"({other_path}); rename one"))


def _group_texts(raw: Any, groups: list[dict], errors: Errors) -> None:
    """`groups: [{name, description, translations}]`: texts for the groups that the
    components name (a group exists because a component is in it)."""
    if not isinstance(raw, list):
        errors.append(("groups", "must be a list"))
        return
    by_name = {g["name"]: g for g in groups}
    for i, item in enumerate(raw):
        where = f"groups[{i}]"
        if not isinstance(item, dict):
            errors.append((where, "must be a mapping with name, description and translations"))
            continue
        refuse_unknown(item, GROUP_KEYS, where, errors)
        name = text_field(item, "name", where, errors, required=True, max_len=200)
        if name and name not in by_name:
            errors.append((f"{where}.name", f"no component is in a group named '{name}'"))
            continue
        if name:
            by_name[name]["description"] = text_field(item, "description", where, errors)
            by_name[name]["translations"] = translations_field(item, where, errors, {"name", "description"})


def _probes(raw: Any, component_keys: set[str], errors: Errors) -> list[dict]:
    if not isinstance(raw, list):
        errors.append(("probes", "must be a list"))
        return []
    probes, seen = [], set()
    for i, item in enumerate(raw):
        probe, probe_errors = validate_probe(item, f"probes[{i}]", component_keys, settings.PROBE_ENV_ALLOW)
        errors.extend(probe_errors)
        if probe is None:
            continue
        if probe["key"] in seen:
            errors.append((f"probes[{i}].key", f"duplicate key '{probe['key']}'"))
        seen.add(probe["key"])
        probes.append(probe)
    return probes
