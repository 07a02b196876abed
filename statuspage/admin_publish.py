"""Preview a draft as the public will see it, and publish it on purpose.

The preview renders the public incident page's own template with the public view's
context, in the language asked for, marked "Preview — not public" and never cacheable.
Publishing goes through a confirmation page that says who will hear of it, counted the
way the fan-out delivers (statuspage.webhooks.dispatch.fan_out).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.html import format_html, format_html_join

from statuspage.i18n import LANGUAGE_NAMES, page_languages, supported
from statuspage.models import Component, EmailSubscriber, Incident, PageSettings, WebhookSubscriber
from statuspage.public.state import incidents_with_timeline
from statuspage.services.drafts import AlreadyPublished, do_publish_console_draft, pending_component_changes
from statuspage.views.public import render_public


@dataclass
class Audience:
    emails: int
    webhooks: int
    component_keys: list[str]


def audience(incident: Incident) -> Audience:
    """Who gets the publication's event: confirmed email subscribers and active, confirmed
    webhooks, each only if it follows one of the incident's components (or all of them)."""
    keys = sorted(incident.components.values_list("key", flat=True))
    webhooks = WebhookSubscriber.objects.filter(active=True, confirmed=True).prefetch_related("components")
    emails = EmailSubscriber.objects.filter(confirmed_at__isnull=False).prefetch_related("components")
    return Audience(emails=sum(1 for e in emails if e.wants(keys)),
                    webhooks=sum(1 for w in webhooks if w.wants(keys)), component_keys=keys)


def _incident(incident_id: str) -> Incident:
    incident = incidents_with_timeline(public=False).filter(pk=incident_id).first()
    if incident is None:
        raise Http404("No such incident")
    return incident


def preview_view(model_admin, request, incident_id: str):
    """The public incident page of a draft (or of anything), for on-call only."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    page = PageSettings.load()
    # `?language=`, not `?lang=`: that one would also switch the engineer's own console (a cookie).
    lang = supported(request.GET.get("language") or request.GET.get("lang")) or (page_languages(page) or ["en"])[0]
    incident = _incident(incident_id)
    with translation.override(lang):
        response = render_public(request, "statuspage/incident.html", page, {
            "incident": incident,
            "preview": {"language": lang, "language_name": LANGUAGE_NAMES[lang]},
        })
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def preview_links(incident: Incident):
    """"Preview: Українська · Oʻzbekcha (lotin) · …": one link per page language."""
    url = reverse("admin:statuspage_incident_preview", args=[incident.pk])
    return format_html_join(" · ", '<a href="{}?language={}" lang="{}">{}</a>',
                            ((url, code, code, LANGUAGE_NAMES[code]) for code in page_languages(PageSettings.load())))


def publish_view(model_admin, request, incident_id: str):
    """GET: what publishing will do and who will be told. POST: publish."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    incident = _incident(incident_id)
    change_url = reverse("admin:statuspage_incident_change", args=[incident.pk])
    if incident.published:
        messages.info(request, "This incident is already public.")
        return HttpResponseRedirect(change_url)
    if request.method == "POST":
        try:
            do_publish_console_draft(incident, author=request.user)
        except AlreadyPublished:
            messages.warning(request, "Someone else published it first; nothing more was sent.")
            return HttpResponseRedirect(change_url)
        messages.success(request, format_html('Published: <a href="{}">the public page</a>.',
                                              incident.get_absolute_url()))
        return HttpResponseRedirect(change_url)
    pending = pending_component_changes(incident)
    statuses = dict(Component._meta.get_field("status").choices)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Publish this incident?", "opts": Incident._meta, "incident": incident,
        "audience": audience(incident),
        "changes": sorted(((c, statuses[s]) for c, s in pending.items()), key=lambda item: item[0].name),
        "preview_links": preview_links(incident), "change_url": change_url,
    }
    response = TemplateResponse(request, "admin/statuspage/incident/publish_confirm.html", context)
    patch_cache_control(response, private=True, no_store=True)
    return response
