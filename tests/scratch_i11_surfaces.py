import re
from html import unescape

import pytest
from django.test import Client

from statuspage.models import Incident
from tests.test_example_drills import Clock, demo  # noqa: F401

pytestmark = pytest.mark.django_db


def text_of(html):
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.parametrize("mode", ["wrong_deferral", "login_down", "wrong_owner", "slow", "sms_down"])
def test_show(demo, mode, capsys):
    demo.drill.switch(mode)
    Clock().run_all(3)
    c = Client()
    with capsys.disabled():
        print(f"\n===== drill {mode}")
        for inc in Incident.objects.all():
            print(f"  incident {inc.probe_key} published={inc.published} status={inc.status}")
        for lang in ("uk", "uz-latn"):
            atom = c.get(f"/history.atom?lang={lang}").content.decode()
            titles = re.findall(r"<title>(.*?)</title>", atom)[1:4]
            print(f"  [{lang}] atom titles: {[unescape(t) for t in titles]}")
            emb = text_of(c.get(f"/embed?lang={lang}").content.decode())
            print(f"  [{lang}] embed: {emb[:300]}")
            badge = text_of(c.get(f"/badge.svg?lang={lang}").content.decode())
            print(f"  [{lang}] badge: {badge[:120]}")
            for inc in Incident.objects.all()[:1]:
                perm = text_of(c.get(f"/incidents/{inc.pk}?lang={lang}").content.decode())
                i = perm.find(inc.translations.get(lang, {}).get("name", inc.name))
                print(f"  [{lang}] permalink: {perm[i:i+700]}")
        v2 = c.get("/api/v2/incidents/unresolved.json").json()
        print("  v2 names:", [i["name"] for i in v2["incidents"]])
        print("  v2 first body:", v2["incidents"][0]["incident_updates"][0]["body"][:300] if v2["incidents"] else None)
        print("  v2 indicator:", c.get("/api/v2/status.json").json()["status"])
