"""The page is read on old phones over bad mobile data: HTML and CSS under 50 KB."""

import pytest
from django.conf import settings
from django.test import Client

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
