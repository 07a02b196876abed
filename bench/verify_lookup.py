"""What a /verify lookup costs as the archive grows.

Fills a scratch SQLite database with N published updates (each in five languages) and a
notice sent in error, then times through Django's test client: the register's build (the
first lookup after a public change), a code lookup, a pasted forwarded notice, and a
pasted text that matches nothing. Prints figures; asserts nothing. Bounded: N defaults
to 2,000 (BENCH_VERIFY_UPDATES).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["STATUSPAGE_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-verify-")
for name in ("REDIS_URL", "DATABASE_URL", "SIGNING_KEY"):
    os.environ.pop(name, None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from statuspage.models import Incident, IncidentUpdate  # noqa: E402
from statuspage.verification import register  # noqa: E402
from statuspage.verification.codes import code_for  # noqa: E402

N = int(os.environ.get("BENCH_VERIFY_UPDATES", "2000"))
LANGS = ["uk", "uz", "uz-latn", "ru"]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timed(fn, repeat: int = 20) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    call_command("migrate", verbosity=0)
    from tests.verify_texts import WORDING, forwarded_variants, incident_with_notice

    incident, _ = incident_with_notice()
    IncidentUpdate.objects.bulk_create(
        IncidentUpdate(incident=incident, status="investigating",
                       body=f"Update {i}: logins are slow in region {i % 27}; next update within the hour.",
                       translations={lang: f"({lang}) Оновлення {i}: вхід повільний у регіоні {i % 27}."
                                     for lang in LANGS})
        for i in range(N))
    code = code_for("update", IncidentUpdate.objects.first().id)
    client = Client()
    with override_settings(VERIFY_LIMIT=10**9):
        codes = timed(register.build_codes, 3)
        texts = timed(register.build_texts, 3)
        by_code = timed(lambda: client.get(f"/verify?code={code}"))
        notice = timed(lambda: client.post(
            "/verify", {"q": forwarded_variants(WORDING["uk"], "uk")["forwarded, with quotes and emoji"]}), 10)
        nothing = timed(lambda: client.post("/verify", {"q": "Your account is blocked, open t.me/x_bot now " * 3}), 10)
    print(f"{Incident.objects.count()} incident, {IncidentUpdate.objects.count()} updates × 5 languages")
    print(f"codes index build (first code lookup after a change): {ms(codes)}")
    print(f"text index build (first pasted text after a change):  {ms(texts)}")
    print(f"GET /verify?code=…            median {ms(by_code)}")
    print(f"POST a forwarded notice        median {ms(notice)}")
    print(f"POST a text that matches none  median {ms(nothing)}")


if __name__ == "__main__":
    main()
