from django import template
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from statuspage.markdown import render_markdown
from statuspage.statuses import INDICATOR_DESCRIPTION, ComponentStatus
from statuspage.uptime import UptimeBar

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
def status_icon(status):
    return _ICONS.get(status, "")


@register.filter
def status_text(status):
    return ComponentStatus(status).label if status in ComponentStatus.values else status


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
def uptime_bar(bar: UptimeBar):
    """An SVG of the last 90 days. Runs of perfect days share one rect (and one title),
    so a healthy component costs a few bytes instead of 90 elements."""
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
        when = date_format(first.day, "j M") + ("" if start == end else " – " + date_format(last.day, "j M"))
        if key == "none":
            cls, text = "n", _("no data")
        elif key == "ok":
            cls, text = "o", _("100% uptime, no incidents")
        else:
            cls = _BAR_CLASS.get(first.worst, "o")
            text = _("%(uptime)s%% uptime") % {"uptime": first.uptime}
            if first.incidents:
                text += " · " + "; ".join(first.incidents)
        rects.append((start * 5, width, cls, f"{when}: {text}"))
    body = format_html_join(
        "", '<rect x="{}" width="{}" height="24" class="{}"><title>{}</title></rect>', rects
    )
    percent = bar.percent
    label = _("%(percent)s%% uptime over 90 days") % {"percent": percent} if percent is not None else _("no data")
    return format_html(
        '<div class="bar"><svg viewBox="0 0 449 24" preserveAspectRatio="none" role="img" aria-label="{}">{}</svg>'
        '<p class="bar-legend"><span>{}</span><span>{}</span><span>{}</span></p></div>',
        label, body, _("90 days ago"), label, _("Today"),
    )
