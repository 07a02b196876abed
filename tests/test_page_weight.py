"""The page is read on old phones over bad mobile data: HTML and CSS under 50 KB."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from probes.models import Probe, ProbeDaily
from tests.citizens import apply_demo_config, wrong_deferral_incident

pytestmark = pytest.mark.django_db

BUDGET = 50 * 1024
CSS = settings.BASE_DIR / "static" / "statuspage" / "style.css"


@pytest.mark.parametrize("lang", ["uk", "uz", "uz-latn", "ru", "en"])
def test_the_demo_page_in_an_outage_weighs_under_50_kb(db, lang):
    apply_demo_config()
    wrong_deferral_incident()

    html = Client().get(f"/?lang={lang}").content

    assert b'href="/static/statuspage/style.css"' in html  # the only other resource it loads
    assert len(html) + CSS.stat().st_size < BUDGET, (len(html), CSS.stat().st_size)
    assert b"<script" not in html and b"<img" not in html


@pytest.mark.parametrize("lang", ["uk", "uz", "uz-latn", "ru", "en"])
def test_with_90_days_of_response_time_charts_it_still_weighs_under_50_kb(db, lang):
    apply_demo_config()
    wrong_deferral_incident()
    today = timezone.now().date()
    ProbeDaily.objects.bulk_create([
        ProbeDaily(probe=probe, day=today - timedelta(days=i), runs=2880, p50_ms=180 + 7 * (i % 13),
                   p95_ms=900 + 131 * (i % 17))
        for probe in Probe.objects.all() for i in range(90)
    ])

    html = Client().get(f"/?lang={lang}").content

    assert html.count(b'<figure class="latency">') == Probe.objects.values("component").distinct().count() > 0
    assert len(html) + CSS.stat().st_size < BUDGET, (len(html), CSS.stat().st_size)
