from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()
# The uptime bar's grid: a day is 5 units wide, today at the right, so the two line up.
DAY, HEIGHT = 5, 60
MIN_CHART_DAYS = 7  # fewer days of data: a sentence with the figures instead of a chart


@register.simple_tag
def latency_chart(points, days: int = 90):
    """A server-rendered SVG of the daily median (solid) and 95th-percentile (dashed)
    response times over the last `days` days; no JavaScript. The caption states the
    latest day's figures and which line is which, so no one needs to tell the lines apart."""
    if not points:
        return ""
    if len(points) < MIN_CHART_DAYS:
        # A few dots at the right edge of a 90-day chart read as nothing on a phone: say it.
        last = points[-1]
        return format_html('<p class="latency">{}</p>', _(
            "Response time on %(date)s: half of the checks were answered within %(p50)s ms, "
            "95 in 100 within %(p95)s ms.") % {"date": date_format(last.day, "MONTH_DAY_FORMAT"),
                                                 "p50": number_format(last.p50_ms), "p95": number_format(last.p95_ms)})
    width = days * DAY - 1
    first_day = timezone.now().date() - timedelta(days=days - 1)
    top = max(max(p.p95_ms for p in points), 1)

    def line(values):
        # A point in the middle of its day's cell; y from 2 (the slowest) to HEIGHT - 2 (0 ms).
        xy = [((p.day - first_day).days * DAY + 2, round(HEIGHT - 2 - (v / top) * (HEIGHT - 4), 1))
              for p, v in values]
        if len(xy) == 1:  # one day of data: a dash across that day's cell
            xy = [(xy[0][0] - 2, xy[0][1]), (xy[0][0] + 2, xy[0][1])]
        return " ".join(f"{x},{y:g}" for x, y in xy)

    last = points[-1]
    figures = {"days": days, "top": number_format(top), "date": date_format(last.day, "MONTH_DAY_FORMAT"),
               "p50": number_format(last.p50_ms), "p95": number_format(last.p95_ms)}
    label = ngettext("Response time over the last %(days)s day, up to %(top)s ms",
                     "Response time over the last %(days)s days, up to %(top)s ms", days) % figures
    caption = _("Response time on %(date)s: half of the checks were answered within %(p50)s ms (solid line), "
                "95 in 100 within %(p95)s ms (dashed line)") % figures
    return format_html(
        '<figure class="latency"><svg viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" aria-label="{}">'
        '<polyline class="p95" points="{}"/><polyline class="p50" points="{}"/></svg>'
        '<figcaption>{}</figcaption></figure>',
        width, HEIGHT, label, line((p, p.p95_ms) for p in points), line((p, p.p50_ms) for p in points), caption,
    )
