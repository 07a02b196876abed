from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()
WIDTH, HEIGHT = 449, 60


@register.simple_tag
def latency_chart(points):
    """A server-rendered SVG of daily p50 and p95 response times; no JavaScript."""
    if not points:
        return ""
    top = max(max(p.p95_ms for p in points), 1)
    step = WIDTH / max(len(points) - 1, 1)

    def line(values):
        return " ".join(f"{i * step:.1f},{HEIGHT - 2 - (v / top) * (HEIGHT - 4):.1f}" for i, v in enumerate(values))

    last = points[-1]
    label = _("Response time, last %(days)s days: median %(p50)s ms, 95th percentile %(p95)s ms today") % {
        "days": len(points), "p50": last.p50_ms, "p95": last.p95_ms}
    return format_html(
        '<figure class="latency"><svg viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" aria-label="{}">'
        '<polyline class="p95" points="{}"/><polyline class="p50" points="{}"/></svg>'
        '<figcaption>{}</figcaption></figure>',
        WIDTH, HEIGHT, label, line(p.p95_ms for p in points), line(p.p50_ms for p in points), label,
    )
