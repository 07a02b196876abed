"""What other sites and programs take from the page: SVG badges, the embeddable widget and
the machine-readable list of official channels (/.well-known/statuspage.json)."""

import hashlib

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from statuspage.i18n import html_lang, localized, page_languages
from statuspage.models import Component, ComponentGroup, PageSettings
from statuspage.public.state import PublicState
from statuspage.statuses import INDICATOR_DESCRIPTION, ComponentStatus
from statuspage.templatetags.statuspage_tags import indicator_icon, status_icon
from statuspage.verification.signing import canonical, sign_statement
from statuspage.views.public import render_public

# Badge colours: white text on each is at least 4.5:1 (WCAG AA).
_INDICATOR_COLOURS = {"none": "#1a7f37", "minor": "#8a5c00", "major": "#b34700", "critical": "#c4212b",
                      "maintenance": "#0860c9"}
_UNKNOWN_COLOUR = "#555"  # shields.io's grey label colour: white text on it is 7.5:1
_STATUS_INDICATOR = {
    ComponentStatus.OPERATIONAL: "none",
    ComponentStatus.DEGRADED_PERFORMANCE: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
    ComponentStatus.UNDER_MAINTENANCE: "maintenance",
}
# What /.well-known/statuspage.json says of its list, in every language.
STATEMENT = gettext_noop("Only the channels listed here are official. Support is never given through channels "
                         "that are not on this list.")


def _text_width(text: str) -> int:
    """Verdana 11px averages ~6.6px a character (Latin and Cyrillic alike); the SVG's
    textLength then makes the text fit exactly whatever font the viewer has."""
    return max(12, round(len(text) * 6.6))


def badge_svg(label: str, value: str, colour: str, icon: str = "") -> str:
    """A shields.io-style badge; the icon tells the status without colour, the <title>
    and aria-label tell it to screen readers (without the icon)."""
    shown = f"{icon} {value}" if icon else value
    lw, vw = _text_width(label) + 12, _text_width(shown) + 12
    return render_to_string("statuspage/badge.svg", {
        "label": label, "value": value, "shown": shown, "colour": colour, "lw": lw, "vw": vw, "width": lw + vw,
        "lx": lw // 2, "vx": lw + vw // 2, "ltl": lw - 12, "vtl": vw - 12, "lang": html_lang(get_language()),
    })


def _svg_response(svg: str) -> HttpResponse:
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def page_badge(request):
    state = PublicState.load(recent_days=0)
    indicator = state.indicator
    return _svg_response(badge_svg(_("status"), str(INDICATOR_DESCRIPTION[indicator]),
                                   _INDICATOR_COLOURS[indicator], indicator_icon(indicator)))


@require_safe
def component_badge(request, key: str):
    """A component's badge, or a group's (the worst of its components, as on the page); an
    unknown key still gets an SVG, or an <img> shows a broken picture instead of words."""
    component = Component.objects.filter(key=key).first()
    if component is not None:
        name, status = localized(component), component.status
    else:
        group = ComponentGroup.objects.filter(key=key).first()
        if group is None:
            response = _svg_response(badge_svg(key, _("no such service"), _UNKNOWN_COLOUR))
            response.status_code = 404
            return response
        name, status = localized(group), PublicState.load(recent_days=0).group_status(group)
    colour = _INDICATOR_COLOURS[_STATUS_INDICATOR[status]]
    return _svg_response(badge_svg(name, str(ComponentStatus(status).label), colour, status_icon(status)))


@require_safe
def embed(request):
    """A small page made to sit in another site's <iframe>: the one public page that may be
    framed (urls.py relaxes frame-ancestors and X-Frame-Options for it alone). It has no
    form and no state-changing link, so framing it cannot trick anyone into an action."""
    state = PublicState.load(recent_days=0)
    return render_public(request, "statuspage/embed.html", state.page,
                         {"state": state, "components": state.visible(state.components)})


def _in(lang: str, msgid: str) -> str:
    with translation.override(lang):
        return _(msgid)


def _absolute(page: PageSettings, request, path: str) -> str:
    base = (page.url or request.build_absolute_uri("/")).rstrip("/")
    return base + path


def official_channels(page: PageSettings) -> list[dict]:
    return [
        {"name": ch.name, "value": ch.value or None, "url": ch.url or None,
         "translations": ch.translations or {}}
        for ch in page.channels.all()
    ]


def channels_ident(channels: list[dict]) -> str:
    """What the channel list's verification code is derived from: its content."""
    return hashlib.sha256(canonical({"c": channels})).hexdigest()


@require_safe
def well_known(request):
    """Who we are and where we really answer, for browsers, bots and aggregators that
    want to check a channel before trusting it."""
    page = PageSettings.load()
    channels = official_channels(page)
    # The same bytes whatever the reader's language (one snapshot for all): the plain texts
    # and, under `translations`, every language's, the statement included.
    langs = list(dict.fromkeys([*page_languages(page), *(page.translations or {})]))
    translations = {lang: {**(page.translations or {}).get(lang, {}), "statement": _in(lang, STATEMENT)}
                    for lang in langs}
    data = {
        "name": page.name,
        "url": _absolute(page, request, "/"),
        "notice": page.notice or None,
        "languages": page.languages,
        "time_zone": page.time_zone,
        "translations": translations,
        "official_channels": channels,
        "statement": _in(settings.LANGUAGE_CODE, STATEMENT),
        "feeds": {
            "rss": _absolute(page, request, "/history.rss"),
            "atom": _absolute(page, request, "/history.atom"),
            "json": _absolute(page, request, "/api/v2/summary.json"),
        },
        "badge": _absolute(page, request, "/badge.svg"),
        "embed": _absolute(page, request, "/embed"),
        "webhooks": {"signature": "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature)",
                     "documentation": _absolute(page, request, "/api/docs/")},
    }
    # The channel list is a statement too: its code changes with its content.
    data = sign_statement(data, "channels", channels_ident(channels))
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Access-Control-Allow-Origin"] = "*"
    return response
