"""What a probe's state change does to its component and to incidents.

Rules: the worst state of a component's probes sets its status; a trip opens an incident
(published for `incident: auto`, a draft for `draft`, none for `none`); a recovery
resolves it; a re-trip within the cooling-off window reopens the same incident. A human
always wins: a status set by hand, a maintenance, or an open incident opened by a person
keeps automation's hands off the component until it is resolved.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from probes.models import Probe
from probes.states import DEGRADED, DOWN, UP
from statuspage.models import AuditLog, Component, Incident
from statuspage.statuses import COMPONENT_SEVERITY, ComponentStatus

_PLAIN = {
    "assertion": "wrong data was shown to a test account",
    "timeout": "it is not answering in time",
    "connect": "it cannot be reached",
    "tls": "its secure connection is failing",
    "http_status": "it is answering with errors",
    "latency": "it is responding very slowly",
}


def on_state_change(probe: Probe, old: str, new: str, verdict: dict) -> None:
    """Called inside the transaction that stored the new state (probe row locked)."""
    component = Component.objects.select_for_update().get(pk=probe.component_id)
    held = _human_holds(component)
    wanted = component.status if held else _wanted_status(component)
    mode = probe.definition.get("incident", "auto")
    handled = False
    if held:
        pass
    elif new == DOWN and old != DOWN and mode != "none":
        _tripped(probe, component, verdict, {component: wanted} if mode == "auto" else {})
        handled = mode == "auto"
    elif old == DOWN and new != DOWN:
        handled = _recovered(probe, component, wanted)
    if not handled and not held and wanted != component.status:
        component.set_status(wanted, source=Component.Source.PROBE)
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
    if probe.incident is None or not probe.incident.is_open:
        on_state_change(probe, UP, DOWN, verdict)
    elif component.status != _wanted_status(component):
        component.set_status(_wanted_status(component), source=Component.Source.PROBE)


def _human_holds(component: Component) -> bool:
    if component.status != ComponentStatus.OPERATIONAL and component.status_source in (
            Component.Source.MANUAL, Component.Source.MAINTENANCE):
        return True
    return Incident.objects.open().filter(components=component, probe_key="").exists()


def _wanted_status(component: Component) -> str:
    """The worst state of the component's probes; drafts wait for on-call to confirm."""
    probes = list(component.probes.filter(enabled=True))
    failing = [p for p in probes if p.state == DOWN and p.definition.get("incident") != "draft"]
    if failing:
        return max((p.definition.get("on_failure", ComponentStatus.MAJOR_OUTAGE) for p in failing),
                   key=COMPONENT_SEVERITY.__getitem__)
    if any(p.state == DEGRADED for p in probes):
        return ComponentStatus.DEGRADED_PERFORMANCE
    return ComponentStatus.OPERATIONAL


def describe(component: Component, verdict: dict) -> tuple[str, str]:
    plain = _PLAIN.get(verdict.get("failure_class") or "", "it is failing")
    name = f"{component.name}: {plain}"
    body = (f"Our automated check with a test account found a problem with **{component.name}**: {plain}.\n\n"
            f"{verdict.get('message', '')}\n\nWe are investigating.")
    return name, body


def _tripped(probe: Probe, component: Component, verdict: dict, change: dict) -> None:
    name, body = describe(component, verdict)
    cooling = timedelta(seconds=settings.PROBE_REOPEN_WINDOW_S)
    incident = probe.incident
    if incident and not incident.is_open and probe.recovered_at and timezone.now() - probe.recovered_at <= cooling:
        incident.post_update(status="investigating", body=f"The problem is back.\n\n{body}", components=change,
                             via="probe")
    else:
        incident = Incident.open_new(
            name=name, status="investigating", body=body, components=change,
            published=probe.definition.get("incident", "auto") == "auto", probe_key=probe.key, via="probe",
        )
    incident.components.add(component)
    probe.incident = incident
    probe.save(update_fields=["incident", "updated_at"])
    incident_id = incident.pk
    transaction.on_commit(lambda: _alert_oncall(incident_id, probe.key))


def _recovered(probe: Probe, component: Component, wanted: str) -> bool:
    """Resolve the probe's incident; True if that set the component's status too."""
    probe.recovered_at = timezone.now()
    probe.save(update_fields=["recovered_at", "updated_at"])
    incident = probe.incident
    if incident is None or not incident.is_open:
        return False
    if incident.updates.filter(author__isnull=False).exists():
        return False  # a person has taken this incident over; they resolve it
    incident.post_update(
        status="resolved", via="probe", components={component: wanted},
        body=f"Our automated check of **{component.name}** has passed "
             f"{probe.definition.get('recover_after', 2)} times in a row. This incident is resolved.",
    )
    return True


def _alert_oncall(incident_id: str, probe_key: str) -> None:
    try:
        from statuspage.tasks import alert_oncall
    except ImportError:  # the alerting layer is optional
        return
    try:
        alert_oncall.delay(incident_id, probe_key)
    except Exception:
        pass  # the broker is down; the incident is in the admin anyway


