import re
from datetime import UTC
from urllib.parse import urlsplit

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from statuspage.i18n import (
    ONLY_IN,
    language_links,
    localized,
    offered_time_zones,
    time_zone_label,
    untranslated_language,
)
from statuspage.i18n import html_lang as _html_lang
from statuspage.markdown import render_markdown
from statuspage.public.render_memo import shared
from statuspage.public.uptime import UptimeBar
from statuspage.statuses import INDICATOR_DESCRIPTION, ComponentStatus, Impact, IncidentStatus, MaintenanceStatus

register = template.Library()

# Status is never told by colour alone: each has an icon and a word.
_ICONS = {
    ComponentStatus.OPERATIONAL: "✓",
    ComponentStatus.DEGRADED_PERFORMANCE: "◐",
    ComponentStatus.PARTIAL_OUTAGE: "▲",
    ComponentStatus.MAJOR_OUTAGE: "✕",
    ComponentStatus.UNDER_MAINTENANCE: "⚙",
}
_INDICATOR_ICONS = {"none": "✓", "minor": "◐", "major": "▲", "critical": "✕", "maintenance": "⚙"}


@register.filter
def markdown(text):
    return render_markdown(text)


@register.filter
def tr(obj, field="name"):
    """The object's text in the reader's language: `{{ component|tr:"name" }}`."""
    return localized(obj, field)


@register.simple_tag(takes_context=True)
def untranslated(context, obj, field="name"):
    """`{% untranslated update "body" as other %}`: the language of the text shown when it
    has no translation into the reader's (for `lang=` and a note), else ""."""
    return untranslated_language(obj, field, context.get("page"))


@register.filter
def only_in(code):
    """"Only available in Ukrainian", in the reader's language."""
    return ONLY_IN.get(code, "")


# A phone number as people write it: digits, spaces, dashes, brackets, a leading +.
_PHONE = re.compile(r"^\+?[\d\s()-]{3,20}$")


@register.filter
def tel_href(value):
    """`tel:+998710000000` for a phone number (one tap calls it), else ""."""
    value = (value or "").strip()
    if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 3:
        return ""
    return "tel:" + ("+" if value.startswith("+") else "") + "".join(ch for ch in value if ch.isdigit())


@register.filter
def link_place(url):
    """Where a link leads, shown in its text: "example.org/support" (no scheme, no "www.")."""
    parts = urlsplit(url or "")
    return ((parts.hostname or "").removeprefix("www.") + parts.path.rstrip("/")) or url


@register.filter
def lasted(incident):
    """How long a resolved incident lasted, in short units that need no plural forms."""
    if not incident.resolved_at or not incident.started_at:
        return ""
    minutes = max(1, round((incident.resolved_at - incident.started_at).total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours and not minutes:
        return _("%(h)s h") % {"h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


@register.simple_tag(takes_context=True)
def page_chrome(context, page):
    """What base.html shows around every page: the language switcher and the time zone
    the times are in (views rendered through render_public activate the reader's)."""
    from django.utils.translation import get_language

    tz = timezone.get_current_timezone_name()
    return {
        "languages": language_links(page, get_language()) if page else [],
        "tz_label": time_zone_label(tz),
        "tz_choices": [(z, time_zone_label(z)) for z in offered_time_zones(page) if z != tz] if page else [],
    }


@register.filter
def html_lang(code):
    return _html_lang(code)


@register.simple_tag
def when(value, fmt="DATETIME_FORMAT"):
    """A time in the reader's time zone and date format, named with its zone:
    `<time datetime="2025-10-17T11:05:00Z">17 жовтня 2025, 14:05 (Київ)</time>`."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}">{} ({})</time>', value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        date_format(local, fmt), time_zone_label(timezone.get_current_timezone_name(), value),
    )


@register.filter
def status_icon(status):
    return _ICONS.get(status, "")


@register.filter
def status_text(status):
    return ComponentStatus(status).label if status in ComponentStatus.values else status


@register.filter
def status_label(code):
    """Any status code (component, incident, maintenance, impact) in the reader's language,
    for texts built from v2 dicts (emails) rather than models."""
    for choices in (ComponentStatus, IncidentStatus, MaintenanceStatus, Impact):
        if code in choices.values:
            return choices(code).label
    return code


@register.filter
def indicator_icon(indicator):
    return _INDICATOR_ICONS.get(indicator, "")


@register.filter
def indicator_text(indicator):
    return INDICATOR_DESCRIPTION.get(indicator, indicator)


_BAR_CLASS = {
    ComponentStatus.OPERATIONAL: "o",
    ComponentStatus.UNDER_MAINTENANCE: "m",
    ComponentStatus.DEGRADED_PERFORMANCE: "d",
    ComponentStatus.PARTIAL_OUTAGE: "p",
    ComponentStatus.MAJOR_OUTAGE: "x",
}


@register.simple_tag
def component_item(component, bar: UptimeBar, latency):
    """One component of the status page (_component.html). It shows no time, so a render
    pass draws it once per language, not once per time zone (statuspage.public.render_memo)."""
    return shared(("component_item", component.pk, get_language()),
                  lambda: render_to_string("statuspage/_component.html",
                                           {"c": component, "bar": bar, "latency": latency}))


@register.simple_tag
def uptime_bar(bar: UptimeBar):
    """An SVG of the last 90 days. Runs of perfect days share one rect (and one title),
    so a healthy component costs a few bytes instead of 90 elements. The same in every
    time zone: a render pass draws it once per language (statuspage.public.render_memo)."""
    return shared(("uptime_bar", id(bar), get_language()), lambda: _uptime_bar(bar))


def _uptime_bar(bar: UptimeBar):
    runs: list[list] = []
    for i, day in enumerate(bar.days):
        key = "none" if day.uptime is None else ("ok" if day.perfect else None)
        if key and runs and runs[-1][0] == key:
            runs[-1][2] = i
        else:
            runs.append([key, i, i])
    rects = []
    for key, start, end in runs:
        first, last = bar.days[start], bar.days[end]
        width = (end - start + 1) * 5 - 1
        when = date_format(first.day, "MONTH_DAY_FORMAT") + (
            "" if start == end else " – " + date_format(last.day, "MONTH_DAY_FORMAT"))
        if key == "none":
            cls, text = "n", _("no data")
        elif key == "ok":
            # xgettext:no-python-format
            cls, text = "o", _("100% uptime, no incidents")
        else:
            cls = _BAR_CLASS.get(first.worst, "o")
            text = _("%(uptime)s%% uptime") % {"uptime": number_format(first.uptime)}
            if first.incidents:
                text += " · " + "; ".join(first.incidents)
        rects.append((start * 5, width, cls, f"{when}: {text}"))
    body = format_html_join(
        "", '<rect x="{}" width="{}" height="24" class="{}"><title>{}</title></rect>', rects
    )
    # Honest figures: the days actually measured, and no percentage before a week of them
    # (index.html says once that planned maintenance is left out).
    percent, measured = bar.percent, bar.measured_days
    if percent is not None:
        label = ngettext("%(percent)s%% uptime over %(days)s day", "%(percent)s%% uptime over %(days)s days",
                         measured) % {"percent": number_format(percent), "days": measured}
    elif bar.measured_since is not None:
        label = _("Measured since %(date)s. A percentage is shown after a week of measurements.") % {
            "date": date_format(bar.measured_since, "MONTH_DAY_FORMAT")}
    else:
        label = _("no data")
    return format_html(
        '<div class="bar"><svg viewBox="0 0 449 24" preserveAspectRatio="none" role="img" aria-label="{}">{}</svg>'
        '<p class="bar-legend"><span>{}</span><span>{}</span></p><p class="bar-note">{}</p></div>',
        label, body, _("90 days ago"), _("Today"), label,
    )
