"""A response-time chart under each probed component, drawn from the daily rollups only."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from probes.charts import latency_series
from probes.models import ProbeDaily, ProbeRun
from statuspage.views.public import status_page
from tests.test_probe_automation import make_probe

pytestmark = pytest.mark.django_db


def rollups(probe, *p50_p95, days_ago_last=0):
    """One ProbeDaily a day, the last one `days_ago_last` days ago."""
    today = timezone.now().date()
    for i, (p50, p95) in enumerate(reversed(p50_p95)):
        ProbeDaily.objects.create(probe=probe, day=today - timedelta(days=days_ago_last + i), runs=2880,
                                  p50_ms=p50, p95_ms=p95)


def raw_runs(probe, count, start=0):
    when = timezone.now() - timedelta(days=1)
    ProbeRun.objects.bulk_create([
        ProbeRun(probe=probe, region="default", scheduled_for=when + timedelta(seconds=2 * i), started_at=when,
                 duration_ms=120, ok=True, attempt="x")
        for i in range(start, start + count)
    ])


def render_page(lang="en") -> str:
    """The view itself, without the snapshots in front of it."""
    with translation.override(lang):
        return status_page(RequestFactory().get("/")).content.decode()


def test_a_component_with_rollups_shows_its_response_time_chart(page):
    probe = make_probe(page)
    rollups(probe, *[(110, 300)] * 4, (110, 300), (120, 340), (130, 1200))

    html = render_page()

    chart = re.search(r'<figure class="latency">.*?</figure>', html, re.S).group(0)
    assert '<svg viewBox="0 0 449 60" preserveAspectRatio="none" role="img" ' \
           'aria-label="Response time over the last 90 days, up to 1200 ms">' in chart
    # Today's point sits in the middle of today's cell of the uptime bar above (x 445 to 449).
    assert '<polyline class="p95" points="417,44 422,44 427,44 432,44 437,44 442,42.1 447,2"/>' in chart
    assert ' 437,52.9 442,52.4 447,51.9"/>' in chart
    assert "half of the checks were answered within 130 ms (solid line), 95 in 100 within 1200 ms" in chart
    assert "style=" not in chart and "<script" not in html
    assert html.count('class="latency"') == 1  # the components without probes have none


def test_the_chart_speaks_the_readers_language(page):
    rollups(make_probe(page), *[(120, 340)] * 7)

    html = Client().get("/?lang=uk").content.decode()

    assert 'aria-label="Час відповіді за останні 90 днів, до 340 мс"' in html
    assert "половина перевірок отримала відповідь за 120 мс (суцільна лінія), 95 зі 100 — за 340 мс" in html


def test_a_few_days_of_data_are_told_in_a_sentence_not_drawn_as_stray_dots(page):
    rollups(make_probe(page), (100, 300), (120, 340))

    html = render_page()

    assert "<polyline" not in html
    assert re.search(r'<p class="latency">Response time on [^:]+: half of the checks were answered within 120 ms, '
                     r'95 in 100 within 340 ms.</p>', html)


def test_the_slowest_probe_of_a_component_draws_its_line(page):
    fast, slow = make_probe(page, key="fast"), make_probe(page, key="slow")
    rollups(fast, (100, 200))
    rollups(slow, (900, 2500))

    points = latency_series([fast.component_id])[fast.component_id]

    assert [(p.p50_ms, p.p95_ms) for p in points] == [(900, 2500)]


def test_the_page_reads_response_times_in_one_query_however_many_raw_results(page):
    probe = make_probe(page)
    rollups(probe, *[(120, 340)] * 90)
    raw_runs(probe, 10)
    render_page()  # warm: the page settings, the version

    with CaptureQueriesContext(connection) as few:
        render_page()
    raw_runs(probe, 990, start=10)
    with CaptureQueriesContext(connection) as many:
        render_page()

    assert ProbeRun.objects.count() == 1000
    assert len(many) == len(few)
    sqls = [q["sql"] for q in many.captured_queries]
    assert [s for s in sqls if "probes_proberun" in s] == []
    assert len([s for s in sqls if "probes_probedaily" in s]) == 1
