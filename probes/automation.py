"""What a probe's state change does to its component and to incidents.

Rules: the worst state of a component's probes sets its status; a trip opens an incident
(published for `incident: auto`, a draft for `draft`, none for `none`); a recovery
resolves it; a re-trip within the cooling-off window reopens the same incident. A draft's
probe sets the status only once on-call has published the draft. A human always wins: a
status set by hand, a maintenance in progress, or an incident under way opened by a person
keeps automation's hands off the component until it is resolved (a maintenance booked for
later holds nothing until it starts).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from probes.models import Probe
from probes.states import DEGRADED, DOWN, UP
from statuspage.i18n import localized, page_languages
from statuspage.models import AuditLog, Component, Incident, PageSettings
from statuspage.notify import queue_oncall_alert
from statuspage.statuses import COMPONENT_SEVERITY, ComponentStatus

# What a failure means for the people who use the service, in plain words.
_PLAIN = {
    "assertion": gettext_noop("wrong data was shown to a test account"),
    "timeout": gettext_noop("it is not answering in time"),
    "connect": gettext_noop("it cannot be reached"),
    "tls": gettext_noop("its secure connection is failing"),
    "http_status": gettext_noop("it is answering with errors"),
    "latency": gettext_noop("it is responding very slowly"),
}
_FAILING = gettext_noop("it is failing")
T = TypeVar("T")


def on_state_change(probe: Probe, old: str, new: str, verdict: dict) -> None:
    """Called inside the transaction that stored the new state (probe row locked)."""
    component = Component.objects.select_for_update().get(pk=probe.component_id)
    held = _human_holds(component)
    mode = probe.definition.get("incident", "auto")
    handled = False
    if held:
        pass
    elif new == DOWN and old != DOWN and mode != "none":
        handled = _tripped(probe, component, verdict)
    elif old == DOWN and new != DOWN:
        handled = _recovered(probe, component, _wanted_status(component))
    if not handled and not held:
        _follow(component)
    if new == DOWN and old != DOWN:
        probe.last_failure = verdict
        probe.save(update_fields=["last_failure", "updated_at"])
    AuditLog.record(via="probe", action=f"probe_{new}", obj=probe,
                    summary=f"{old} → {new}" + (f": {verdict.get('message', '')}" if new == DOWN else ""))


def reconcile_tripped(probe: Probe, verdict: dict) -> None:
    """A probe still down after a person let go (resolved their incident, set the status
    back to operational) takes over again, as if it had just tripped."""
    component = Component.objects.get(pk=probe.component_id)
    if _human_holds(component):
        return
    wants_incident = probe.definition.get("incident", "auto") != "none"
    if wants_incident and (probe.incident is None or not probe.incident.is_open):
        on_state_change(probe, UP, DOWN, verdict)
    else:  # `none` has no incident to reopen: only the status, and no audit entry per run
        _follow(component)


def draft_published(incident_id: str) -> None:
    """On-call published a probe's draft: a probe still down behind it now sets the
    component's status (and its recovery resolves the incident, as for `incident: auto`)."""
    with transaction.atomic():
        for probe in Probe.objects.select_for_update().filter(incident_id=incident_id, state=DOWN):
            component = Component.objects.select_for_update().get(pk=probe.component_id)
            if not _human_holds(component):
                _follow(component, incident=probe.incident)


def _human_holds(component: Component) -> bool:
    """A status set by hand or by a maintenance, or a person's incident or maintenance under
    way (one booked for later holds nothing until it starts)."""
    if component.status != ComponentStatus.OPERATIONAL and component.status_source in (
            Component.Source.MANUAL, Component.Source.MAINTENANCE):
        return True
    return Incident.objects.under_way().filter(components=component, probe_key="").exists()


def _follow(component: Component, incident: Incident | None = None) -> None:
    wanted = _wanted_status(component)
    if wanted != component.status:
        component.set_status(wanted, source=Component.Source.PROBE, incident=incident)


def _wanted_status(component: Component) -> str:
    """The worst state of the component's probes that may set it."""
    probes = list(component.probes.filter(enabled=True).select_related("incident"))
    failing = [p for p in probes if p.state == DOWN and _sets_status(p)]
    if failing:
        return max((p.definition.get("on_failure", ComponentStatus.MAJOR_OUTAGE) for p in failing),
                   key=COMPONENT_SEVERITY.__getitem__)
    if any(p.state == DEGRADED for p in probes):
        return ComponentStatus.DEGRADED_PERFORMANCE
    return ComponentStatus.OPERATIONAL


def _sets_status(probe: Probe) -> bool:
    """A failing `incident: draft` probe waits for on-call: it sets the status only once
    they have published its incident (and a quick re-trip reopens that public incident)."""
    if probe.definition.get("incident", "auto") != "draft":
        return True
    return probe.incident is not None and probe.incident.published


def describe(component: Component, verdict: dict, lang: str | None = None) -> tuple[str, str]:
    """The incident's name and first message, in the active language, naming the component
    in `lang` (its plain name if None). The verdict's message quotes what the check saw,
    so it stays as it is, in a code span."""
    args = {"component": _component_name(component, lang),
            "problem": _(_PLAIN.get(verdict.get("failure_class") or "", _FAILING))}
    name = _("%(component)s: %(problem)s") % args
    body = "\n\n".join(part for part in [
        _("Our automated check with a test account found a problem with **%(component)s**: %(problem)s.") % args,
        _as_code(verdict.get("message", "")),
        _("We are investigating."),
    ] if part)
    return name, body


def _as_code(text: str) -> str:
    """A Markdown code span: shown as the machine's words, never read as Markdown itself
    (a JSONPath's `*` or `_`)."""
    text = re.sub(r"\n\s*\n", "\n", text.strip())  # a blank line would end the span
    if not text:
        return ""
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{ticks} {text} {ticks}" if text.startswith("`") or text.endswith("`") else f"{ticks}{text}{ticks}"


def in_every_language(write: Callable[[str | None], T]) -> tuple[T, dict[str, T]]:
    """`write(lang)` in the default language (the plain text, with plain names) and in each
    of the page's languages (the translations): every reader gets automation's texts in theirs."""
    with translation.override(settings.LANGUAGE_CODE):
        plain = write(None)
    translated = {}
    for lang in page_languages(PageSettings.load()):
        with translation.override(lang):
            translated[lang] = write(lang)
    return plain, translated


def _component_name(component: Component, lang: str | None) -> str:
    return localized(component, "name", lang) if lang else component.name


def _tripped(probe: Probe, component: Component, verdict: dict) -> bool:
    """Open the probe's incident, or reopen it after a quick re-trip. True if that set the
    component's status too: it does when the incident is public."""
    incident = _reopenable(probe)
    public = incident.published if incident else probe.definition.get("incident", "auto") == "auto"
    change = {component: _wanted_status(component)} if public else {}
    if incident:
        body, translations = in_every_language(
            lambda lang: _("The problem is back.") + "\n\n" + describe(component, verdict, lang)[1])
        incident.post_update(status="investigating", body=body, components=change, via="probe",
                             translations=translations)
    else:
        (name, body), translated = in_every_language(lambda lang: describe(component, verdict, lang))
        incident = Incident.open_new(
            name=name, status="investigating", body=body, components=change,
            published=public, probe_key=probe.key, via="probe",
            translations={lang: {"name": texts[0]} for lang, texts in translated.items()},
            body_translations={lang: texts[1] for lang, texts in translated.items()},
        )
    incident.components.add(component)
    probe.incident = incident
    probe.save(update_fields=["incident", "updated_at"])
    queue_oncall_alert(incident.pk, probe.key)  # in the outbox with the incident: a broker down only delays it
    return public


def _reopenable(probe: Probe) -> Incident | None:
    """The probe's last incident, if it recovered within the cooling-off window: a flapping
    service makes one incident."""
    cooling = timedelta(seconds=settings.PROBE_REOPEN_WINDOW_S)
    incident = probe.incident
    if incident and not incident.is_open and probe.recovered_at and timezone.now() - probe.recovered_at <= cooling:
        return incident
    return None


def _recovered(probe: Probe, component: Component, wanted: str) -> bool:
    """Resolve the probe's incident; True if that set the component's status too."""
    probe.recovered_at = timezone.now()
    probe.save(update_fields=["recovered_at", "updated_at"])
    incident = probe.incident
    if incident is None or not incident.is_open:
        return False
    if incident.updates.filter(author__isnull=False).exists():
        return False  # a person has taken this incident over; they resolve it
    count = probe.definition.get("recover_after", 2)

    def resolved(lang: str | None) -> str:
        return ngettext(
            "Our automated check of **%(component)s** has passed %(count)s time in a row. "
            "This incident is resolved.",
            "Our automated check of **%(component)s** has passed %(count)s times in a row. "
            "This incident is resolved.", count,
        ) % {"component": _component_name(component, lang), "count": count}

    body, translations = in_every_language(resolved)
    incident.post_update(status="resolved", via="probe", components={component: wanted}, body=body,
                         translations=translations)
    return True
