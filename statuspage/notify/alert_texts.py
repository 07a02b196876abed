"""What an on-call alert says: a subject and a body per kind, in the reader's language.

Kinds, each with its own subject: tripped (and `review`: a draft that publishes itself),
retripped (the same failure back after its incident was resolved), recovered (a probe
passes again in an incident a person wrote in), resolved (automation resolved it),
blind / sighted (the watchdog: monitoring itself stopped, or works again), test.
A probe's alert names the component, the probe, the failing step, expected vs seen (as
the runner left them: redacted and masked with probes.masking, never the raw answer),
since when, and absolute links to the incident and the probe in the console.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from statuspage.i18n import localized
from statuspage.models import Component, Incident, PageSettings
from statuspage.notify.emails import absolute

SUBJECTS = {
    "tripped": gettext_lazy("[on-call] Tripped: %(component)s — probe %(probe)s"),
    "review": gettext_lazy("[on-call] Tripped, a draft that publishes itself: %(component)s — probe %(probe)s"),
    "retripped": gettext_lazy("[on-call] Tripped again: %(component)s — probe %(probe)s"),
    "recovered": gettext_lazy("[on-call] Recovered: %(component)s — probe %(probe)s"),
    "resolved": gettext_lazy("[on-call] Resolved by itself: %(component)s — probe %(probe)s"),
    "blind": gettext_lazy("[on-call] Monitoring is blind since %(since)s: %(stale)s stale."),
    "sighted": gettext_lazy("[on-call] Monitoring works again (it was blind from %(since)s)."),
    "test": gettext_lazy("[on-call] Test alert for %(user)s"),
}
KINDS = tuple(SUBJECTS)


@dataclass
class Alert:
    kind: str
    subject: str
    text: str  # the body: plain lines, the links last
    fields: dict = field(default_factory=dict)  # the same, machine-readable (webhook JSON)

    def payload(self) -> dict:
        """The JSON of a webhook: `text` as chat tools show it, the rest for the machines."""
        return {"text": f"{self.subject}\n{self.text}", "subject": self.subject, "kind": self.kind, **self.fields}


def when(at: str | datetime | None) -> str:
    if not at:
        return "?"
    at = datetime.fromisoformat(at) if isinstance(at, str) else at
    return f"{at:%Y-%m-%d %H:%M} UTC"


def render(data: dict, language: str, page: PageSettings) -> Alert:
    """The alert an outbox row (or a test) describes, in `language`."""
    with translation.override(language):
        if "monitoring" in data:
            return _monitoring(data, page)
        if data.get("what") == "test":
            return _test(data, page)
        return _probe(data, language, page)


def _monitoring(data: dict, page: PageSettings) -> Alert:
    kind = "blind" if data["monitoring"] == "blind" else "sighted"
    subject = SUBJECTS[kind] % {"since": when(data.get("since")), "stale": ", ".join(data.get("stale") or ["?"])}
    lines = [_("The public pages say that the automatic checks are delayed.") if kind == "blind"
             else _("The public pages no longer say that the checks are delayed."),
             _("Console: %(url)s") % {"url": absolute(page, reverse("admin:index"))}]
    return Alert(kind, subject, "\n".join(lines), {"monitoring": data["monitoring"], "since": data.get("since"),
                                                   "stale": data.get("stale") or []})


def _test(data: dict, page: PageSettings) -> Alert:
    subject = SUBJECTS["test"] % {"user": data.get("user", "?")}
    text = _("This is a test alert from %(page)s. If you read it, alerts reach you here.") % {"page": localized(page)}
    console = _("Console: %(url)s") % {"url": absolute(page, reverse("admin:index"))}
    return Alert("test", subject, f"{text}\n{console}", {"test": True})


STATES = {
    "published": gettext_lazy("The incident is published."),
    "draft": gettext_lazy("The incident is a DRAFT: publish or discard it."),
    "review": gettext_lazy("The incident is a DRAFT that is published by itself unless you publish or discard it "
                           "first; edit it and your words go out instead."),
    "recovered": gettext_lazy("The probe passes again and the incident shows monitoring. You wrote in it, so "
                              "resolve it when you are sure."),
    "resolved": gettext_lazy("The probe stayed green: the incident was resolved by itself."),
}


def _probe(data: dict, language: str, page: PageSettings) -> Alert:
    kind = data.get("what", "tripped")
    incident = Incident.objects.filter(pk=data.get("incident_id")).first()
    component = Component.objects.filter(key=data.get("component")).first() if data.get("component") else None
    if component is None and incident is not None:
        component = incident.components.first()
    component_name = localized(component, "name", language) if component else "?"
    failure = data.get("failure") or {}
    incident_url = absolute(page, reverse("admin:statuspage_incident_change", args=[data.get("incident_id")]))
    probe_url = (absolute(page, reverse("admin:probes_probe_change", args=[data["probe_id"]]))
                 if data.get("probe_id") else "")
    state = kind if kind in STATES else ("published" if incident and incident.published else "draft")
    lines = [str(STATES[state]),
             _("Incident: %(name)s") % {"name": localized(incident, "name", language) if incident else "?"},
             _("Component: %(component)s") % {"component": component_name},
             _("Probe: %(probe)s") % {"probe": data.get("probe", "?")}]
    if failure:
        lines += [_("Failing step: %(step)s") % {"step": failure.get("step") or "?"},
                  _("Expected: %(expected)s") % {"expected": failure.get("expectation") or "?"},
                  _("Seen: %(seen)s") % {"seen": failure.get("seen") or failure.get("message") or "?"}]
    lines += [_("Since: %(since)s") % {"since": when(data.get("since"))},
              _("Incident in the console: %(url)s") % {"url": incident_url}]
    if probe_url:
        lines.append(_("Probe in the console: %(url)s") % {"url": probe_url})
    subject = SUBJECTS[kind if kind in SUBJECTS else "tripped"] % {"component": component_name,
                                                                   "probe": data.get("probe", "?")}
    fields = {"what": kind, "incident_id": data.get("incident_id"), "probe": data.get("probe"),
              "component": data.get("component") or (component.key if component else None),
              "published": bool(incident and incident.published), "step": failure.get("step"),
              "expected": failure.get("expectation"), "seen": failure.get("seen"), "since": data.get("since"),
              "admin_url": incident_url, "probe_url": probe_url or None}
    return Alert(kind, subject, "\n".join(lines), fields)
