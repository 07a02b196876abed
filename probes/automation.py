"""What a probe's state change does to its component and to incidents.

Rules: the worst state of a component's probes sets its status; a trip opens an incident
(published for `incident: auto`, a draft for `draft` and `review`, none for `none`) in the
config's plain words (probes.public_texts), never the verdict's diagnostics. A recovery
moves it to `monitoring`; `monitoring_for` later without a re-trip it is resolved
(advance_incidents). A re-trip of the same kind, during monitoring or within the
cooling-off window after, returns to that incident; another kind opens its own, so a
title always names what is failing now. A `review` draft is published `publish_after` the
trip unless on-call published or discarded it first. A draft's probe sets the status only
once the draft is public. A human always wins: a status set by hand, a maintenance in
progress, or an incident under way opened by a person keeps automation's hands off the
component until it is resolved (a maintenance booked for later holds nothing until it
starts); a probe's incident a person has written in is resolved by a person, who is
alerted when the probe recovers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from probes import public_texts
from probes.models import Probe
from probes.spec import DEFAULT_LIFECYCLE_MS
from probes.states import DEGRADED, DOWN, UP
from statuspage.delivery_tasks import alert_when_committed
from statuspage.i18n import localized, page_languages
from statuspage.models import AuditLog, Component, Incident, PageSettings
from statuspage.services.components import do_set_component_status
from statuspage.services.incidents import do_open_incident, do_post_update, do_publish_draft
from statuspage.statuses import COMPONENT_SEVERITY, ComponentStatus, IncidentStatus

T = TypeVar("T")
# Modes whose incident starts as a draft, visible to on-call only.
DRAFT_MODES = ("draft", "review")


def on_state_change(probe: Probe, old: str, new: str, verdict: dict) -> None:
    """Called inside the transaction that stored the new state (probe row locked)."""
    component = Component.objects.select_for_update().get(pk=probe.component_id)
    held = _human_holds(component)
    mode = probe.definition.get("incident", "auto")
    handled = False
    if old == DOWN and new != DOWN:
        # Even when a person holds the component: their incident shows monitoring and they are told.
        handled = _recovered(probe, component, _wanted_status(component), held)
    elif held:
        pass
    elif new == DOWN and old != DOWN and mode != "none":
        handled = _tripped(probe, component, verdict)
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
    elif wants_incident and _fails_another_way(probe, public_texts.kind_of(verdict)):
        # Still down, but now in another way (the sign-in fails where the data was wrong):
        # its own incident, so that a title always names what is failing now.
        if not _tripped(probe, component, verdict):
            _follow(component)
    else:  # `none` has no incident to reopen: only the status, and no audit entry per run
        _follow(component)


def _fails_another_way(probe: Probe, kind: str) -> bool:
    """The last `trip_after` runs all failed as `kind`, which is not the incident's: one odd
    run does not open an incident, as one failed run does not trip."""
    if not probe.incident_kind or kind == probe.incident_kind:
        return False
    count = probe.definition.get("trip_after", 2)
    runs = list(probe.runs.order_by("-scheduled_for").values_list("ok", "failure_class")[:count])
    return len(runs) == count and all(
        not ok and public_texts.kind_of({"failure_class": failure}) == kind for ok, failure in runs)


def draft_published(sender=None, *, incident_id: str, **kwargs) -> None:
    """On-call published a probe's draft: a probe still down behind it now sets the
    component's status (and its recovery moves the incident to monitoring, as for `incident: auto`)."""
    with transaction.atomic():
        for probe in Probe.objects.select_for_update().filter(incident_id=incident_id, state=DOWN):
            component = Component.objects.select_for_update().get(pk=probe.component_id)
            if not _human_holds(component):
                _follow(component, incident=probe.incident)


def advance_incidents(now: datetime | None = None) -> int:
    """What time alone does (a beat task, safe to repeat): resolve probes' incidents quiet
    in monitoring for `monitoring_for`, publish `review` drafts due after `publish_after`."""
    now = now or timezone.now()
    probe_incidents = Incident.objects.filter(kind=Incident.Kind.INCIDENT).exclude(probe_key="")
    moved = 0
    for pk in probe_incidents.filter(status=IncidentStatus.MONITORING).values_list("pk", flat=True):
        moved += _resolve_if_quiet(pk, now)
    for pk in probe_incidents.filter(published=False).values_list("pk", flat=True):
        moved += _publish_if_due(pk, now)
    return moved


def _human_holds(component: Component) -> bool:
    """A status set by hand, a maintenance's status, or a person's incident or maintenance
    under way (one booked for later holds nothing until it starts)."""
    if component.status != ComponentStatus.OPERATIONAL and component.status_source == Component.Source.MANUAL:
        return True
    if (component.status == ComponentStatus.UNDER_MAINTENANCE
            and component.status_source == Component.Source.MAINTENANCE):
        return True
    return Incident.objects.under_way().filter(components=component, probe_key="").exists()


def _follow(component: Component, incident: Incident | None = None) -> None:
    wanted = _wanted_status(component)
    if wanted != component.status:
        do_set_component_status(component, wanted, source=Component.Source.PROBE, incident=incident)


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
    """A failing `draft` or `review` probe waits for its incident to be public: it sets the
    status only once it is (and a quick re-trip reopens that public incident)."""
    if probe.definition.get("incident", "auto") not in DRAFT_MODES:
        return True
    return probe.incident is not None and probe.incident.published


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


def _words(probe: Probe | None, component: Component, kind: str, field: str) -> tuple[str, dict[str, str]]:
    """A public text of `kind`, plain and per page language (probes.public_texts)."""
    definition = probe.definition if probe else {}
    return in_every_language(lambda lang: public_texts.text(
        definition, kind, field, lang, _component_name(component, lang)))


def _tripped(probe: Probe, component: Component, verdict: dict) -> bool:
    """Open the probe's incident for this failure's kind, or return to the one of the same
    kind it is monitoring or just resolved. True if that set the component's status too: it
    does when the incident is public."""
    kind = public_texts.kind_of(verdict)
    mode = probe.definition.get("incident", "auto")
    incident = _continuing(probe, kind)
    public = incident.published if incident else mode == "auto"
    change = {component: _wanted_status(component)} if public else {}
    body, body_translations = _words(probe, component, kind, "body")
    # On-call heard of an incident still open (in monitoring): a flap does not page them again.
    told_already = incident is not None and incident.is_open
    reopened = incident is not None  # resolved within the cooling-off window: "tripped again"
    if incident:
        # Not a new incident, and never a second public "resolved": the same one, identified.
        do_post_update(incident, status=IncidentStatus.IDENTIFIED, body=body, components=change, via="probe",
                       translations=body_translations)
    else:
        name, names = _words(probe, component, kind, "title")
        incident = do_open_incident(
            name=name, status=IncidentStatus.INVESTIGATING, body=body, components=change,
            published=public, probe_key=probe.key, via="probe",
            translations={lang: {"name": text} for lang, text in names.items()},
            body_translations=body_translations,
        )
    incident.components.add(component)
    probe.incident, probe.incident_kind = incident, kind
    probe.save(update_fields=["incident", "incident_kind", "updated_at"])
    if told_already:
        return public
    # In the outbox with the incident: a broker down only delays it.
    what = "review" if mode == "review" and not public else ("retripped" if reopened else "tripped")
    alert_when_committed(incident.pk, probe.key, what=what, failure=verdict, component=component.key,
                       probe_id=probe.pk)
    return public


def _continuing(probe: Probe, kind: str) -> Incident | None:
    """The probe's incident, if this trip continues it: the same kind, and still open (in
    monitoring) or resolved within the cooling-off window. A flapping service makes one incident."""
    incident = probe.incident
    if incident is None or probe.incident_kind != kind:
        return None
    if incident.is_open:
        return incident
    cooling = timedelta(seconds=settings.PROBE_REOPEN_WINDOW_S)
    if probe.recovered_at and timezone.now() - probe.recovered_at <= cooling:
        return incident
    return None


def _recovered(probe: Probe, component: Component, wanted: str, held: bool) -> bool:
    """Move the probe's open incidents to monitoring (its current one, and one of another kind
    it left open); True if that set the component's status too. An incident a person has
    written in stays theirs to resolve: they are told instead."""
    probe.recovered_at = timezone.now()
    probe.save(update_fields=["recovered_at", "updated_at"])
    changed = False
    opened = Incident.objects.open().filter(kind=Incident.Kind.INCIDENT, probe_key=probe.key).exclude(
        status=IncidentStatus.MONITORING)
    for incident in opened.order_by("created_at"):
        human = incident.updates.filter(author__isnull=False).exists()
        current = incident.pk == probe.incident_id
        change = {component: wanted} if current and incident.published and not held and not human else {}
        body, translations = _words(probe, component, "monitoring", "body")
        do_post_update(incident, status=IncidentStatus.MONITORING, via="probe", components=change, body=body,
                       translations=translations)
        if human:
            alert_when_committed(incident.pk, probe.key, what="recovered", component=component.key, probe_id=probe.pk)
        changed = changed or bool(change)
    return changed


def _resolve_if_quiet(pk: str, now: datetime) -> int:
    with transaction.atomic():
        incident = Incident.objects.filter(pk=pk).first()
        if incident is None:
            return 0
        # Locks in a verdict's order (probe, then its rows): the two never deadlock.
        probe = Probe.objects.select_for_update().filter(key=incident.probe_key).first()
        incident = Incident.objects.select_for_update().get(pk=pk)
        if incident.status != IncidentStatus.MONITORING or incident.updates.filter(author__isnull=False).exists():
            return 0  # moved meanwhile, or a person's to resolve
        if probe and probe.incident_id == incident.pk and probe.state == DOWN:
            return 0
        definition = probe.definition if probe else {}
        quiet = timedelta(milliseconds=definition.get("monitoring_for_ms", DEFAULT_LIFECYCLE_MS))
        since = incident.updates.filter(status=IncidentStatus.MONITORING).order_by("-created_at").first()
        if since is not None and now - since.created_at < quiet:
            return 0
        component = (probe.component if probe else None) or incident.components.first()
        if component is None:
            body, translations = "", {}
        else:
            body, translations = _words(probe, component, "resolved", "body")
        do_post_update(incident, status=IncidentStatus.RESOLVED, via="probe", body=body, translations=translations)
        alert_when_committed(incident.pk, incident.probe_key, what="resolved",
                           component=component.key if component else "", probe_id=probe.pk if probe else None)
    return 1


def _publish_if_due(pk: str, now: datetime) -> int:
    """A `review` draft nobody published or discarded goes out: silence is never the outcome."""
    incident = Incident.objects.filter(pk=pk, published=False).first()
    probe = Probe.objects.filter(key=incident.probe_key).first() if incident else None
    if probe is None or probe.definition.get("incident") != "review":
        return 0
    publish_after = timedelta(milliseconds=probe.definition.get("publish_after_ms", DEFAULT_LIFECYCLE_MS))
    if now - incident.created_at < publish_after:
        return 0
    do_publish_draft(incident, via="probe")
    return 1
