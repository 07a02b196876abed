"""What a probe's incident says to citizens: the config's `public:` texts, else built-in ones.

Only these words reach a public surface. A verdict's diagnostics (step, expected, seen,
excerpts, URLs) never do: they stay in the probe's runs, the admin and on-call alerts.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from statuspage.i18n import LANGUAGE_TIME_ZONES, time_zone_label

# Failure class → what it means for a reader.
KIND_OF_CLASS = {
    "assertion": "wrong_data",
    "http_status": "unavailable", "connect": "unavailable", "timeout": "unavailable", "tls": "unavailable",
    "latency": "slow",
}
FAILURE_KINDS = ("wrong_data", "unavailable", "slow")
KINDS = (*FAILURE_KINDS, "monitoring", "resolved")
PLACEHOLDERS = ("component", "next_update")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")

# Plain words for a frightened citizen: what is wrong, what to do and not do, where to ask.
BUILT_IN = {
    "wrong_data": (
        gettext_noop("{component}: some people may be shown wrong information"),
        gettext_noop(
            "Our automatic check found that the **{component}** service is showing wrong information. "
            "If you see an unexpected change in your data or status, it may be a mistake: do not act on it, "
            "and nothing has changed for you until we say so here. Do not share your personal data or SMS codes "
            "with anyone who contacts you about it. For help, use only the official channels listed on this page. "
            "We are working on it and will post updates here."),
    ),
    "unavailable": (
        gettext_noop("{component}: not working"),
        gettext_noop(
            "The **{component}** service is not working at the moment. "
            "Your data is safe and you do not need to do anything: "
            "please try again later. Do not use other websites, bots or chats that offer to do it for you. "
            "For urgent questions, use only the official channels listed on this page. "
            "We are working on it and will post updates here."),
    ),
    "slow": (
        gettext_noop("{component}: working slowly"),
        gettext_noop(
            "The **{component}** service is working slowly at the moment. "
            "You can keep using it, but it may take longer. "
            "Please do not repeat the same request many times. For urgent questions, use only the official "
            "channels listed on this page. We will post updates here."),
    ),
    "monitoring": (
        gettext_noop("{component}: working again"),
        gettext_noop(
            "The **{component}** service is working again. "
            "We are watching it closely to make sure the problem is fully fixed."),
    ),
    "resolved": (
        gettext_noop("{component}: the problem is fixed"),
        gettext_noop("The problem with the **{component}** service is fixed, and it is working normally. "
                     "Thank you for your patience."),
    ),
}


def kind_of(verdict: dict) -> str:
    """A failure's kind; a class this module does not know is read as unavailable."""
    return KIND_OF_CLASS.get(verdict.get("failure_class") or "", "unavailable")


def text(definition: dict, kind: str, field: str, lang: str | None, component: str,
         now: datetime | None = None) -> str:
    """The title or body of `kind` for readers of `lang` (None: the plain text).

    The config's translation for `lang`, else its plain text, else the built-in text in the
    active language. Placeholders are filled; any other brace stays as written."""
    given = (definition.get("public") or {}).get(kind) or {}
    value = ((given.get("translations") or {}).get(lang) or {}).get(field) if lang else None
    value = value or given.get(field)
    if not value:
        value = _(BUILT_IN[kind][0 if field == "title" else 1])
    values = {"component": component, "next_update": next_update(lang, now)}
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), value)


def next_update(lang: str | None, now: datetime | None = None) -> str:
    """When the next update is due, in the time zone of the language's readers."""
    # Not a cycle: the models need Django's app registry, and probes.spec (which imports
    # this module) is read by plain-Python tools before Django is set up (bench/probe_runner.py).
    from statuspage.models import PageSettings

    zone = LANGUAGE_TIME_ZONES.get(lang or "", None) or PageSettings.load().time_zone or "UTC"
    at = (now or timezone.now()) + timedelta(seconds=settings.PROBE_NEXT_UPDATE_S)
    local = at.astimezone(ZoneInfo(zone))
    with translation.override(lang or settings.LANGUAGE_CODE):
        return f"{formats.time_format(local, 'H:i')} ({time_zone_label(zone, at)})"


def placeholder_problems(value: str) -> list[str]:
    """Why a config text's placeholders cannot be filled, for the validator."""
    return [f"unknown placeholder {{{name}}}; texts may use {{component}} and {{next_update}}"
            for name in PLACEHOLDER_RE.findall(value) if name not in PLACEHOLDERS]
