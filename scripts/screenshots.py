"""Screenshots of the demo page for the README, made in the machine's Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs]

Builds a throwaway instance (its own STATUSPAGE_VAR_DIR, SQLite), applies
examples/reserve-plus.yaml, gives it 90 days of history, serves it with a real WSGI
server and photographs:

- docs/screenshot-healthy.png  everything operational (English, laptop width)
- docs/screenshot-outage.png   the wrong-deferral outage of the news reports, a planned
                               maintenance, a past incident (Ukrainian, laptop width)
- docs/screenshot-phone.png    the same outage on a 360 px phone in dark mode (Uzbek, Latin)
- docs/screenshot-phone-uk.png, docs/screenshot-phone-uz-latn.png
                               the outage drill (wrong_deferral) as a citizen's phone shows it
                               first: 360×800, no scrolling, the browser set to uk-UA / uz-UZ

CHROMIUM names the browser (default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from statuspage.services.incidents import do_open_incident, do_post_update

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def build_instance(var_dir: Path) -> None:
    os.environ["STATUSPAGE_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
    os.environ["PUBLIC_RENDER_ON_WRITE"] = "0"  # no worker here: pages render on first visit
    sys.path.insert(0, str(ROOT))
    import demo_target

    os.environ.setdefault("PROBE_ENV_ALLOW", demo_target.PROBE_ENV)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests.citizens import apply_demo_config

    apply_demo_config()
    give_history()


def give_history() -> None:
    """Components that have existed for 120 days, with a bad day 23 days ago."""
    from django.utils import timezone

    from statuspage.models import Component, ComponentStatusChange

    now = timezone.now()
    Component.objects.update(created_at=now - timedelta(days=120))
    sms = Component.objects.get(key="oneid-sms")
    bad = now - timedelta(days=23)
    ComponentStatusChange.objects.create(component=sms, old_status="operational", new_status="partial_outage",
                                         at=bad, source="probe")
    ComponentStatusChange.objects.create(component=sms, old_status="partial_outage", new_status="operational",
                                         at=bad + timedelta(hours=5), source="probe")


def break_things() -> None:
    """The outage: wrong deferral data shown, a maintenance planned, an SMS incident resolved."""
    from django.utils import timezone

    from statuspage.models import Component, ComponentStatusChange, Incident
    from tests.citizens import wrong_deferral_incident

    now = timezone.now()
    incident = wrong_deferral_incident()
    Incident.objects.filter(pk=incident.pk).update(started_at=now - timedelta(minutes=40))
    incident.updates.update(display_at=now - timedelta(minutes=40))
    do_post_update(incident,
                   status="identified",
                   body="A faulty update of the notification service. Do not go to a recruitment centre because of it.",
                   translations={
                   "uk": "Збій після оновлення сервісу сповіщень. Не йдіть до ТЦК через це повідомлення.",
                   "uz": "Билдиришнома хизматини янгилашдаги носозлик. Бу хабар сабабли ҳеч қаерга борманг.",
                   "uz-latn": "Bildirishnoma xizmatini yangilashdagi nosozlik. Bu xabar sababli hech qayerga bormang.",
                   "ru": "Сбой после обновления сервиса уведомлений. Не идите в ТЦК из-за этого сообщения.",
                   },
                   )
    past = do_open_incident(
        name="SMS codes delayed", components={Component.objects.get(key="oneid-sms"): "partial_outage"},
        body="Codes arrive after several minutes.",
        translations={"uk": {"name": "SMS-коди надходять із запізненням"},
                      "uz": {"name": "СМС кодлар кечикмоқда"}, "uz-latn": {"name": "SMS kodlar kechikmoqda"},
                      "ru": {"name": "SMS-коды приходят с опозданием"}},
        body_translations={"uk": "Коди надходять за кілька хвилин.", "uz": "Кодлар бир неча дақиқадан кейин келмоқда.",
                           "uz-latn": "Kodlar bir necha daqiqadan keyin kelmoqda.",
                           "ru": "Коды приходят через несколько минут."},
    )
    do_post_update(past, status="resolved", body="Delivered on time again.",
                   translations={"uk": "Коди знову надходять вчасно.", "uz": "Кодлар яна ўз вақтида келмоқда.",
                   "uz-latn": "Kodlar yana oʻz vaqtida kelmoqda.",
                   "ru": "Коды снова приходят вовремя."})
    began, ended = now - timedelta(days=3, hours=2), now - timedelta(days=3)
    Incident.objects.filter(pk=past.pk).update(started_at=began, resolved_at=ended)
    past.updates.exclude(status="resolved").update(display_at=began)
    past.updates.filter(status="resolved").update(display_at=ended)
    changes = ComponentStatusChange.objects.filter(incident=past).order_by("at")
    for change, at in zip(changes, (began, ended), strict=True):
        ComponentStatusChange.objects.filter(pk=change.pk).update(at=at)
    do_open_incident(
        name="SMS code delivery", kind=Incident.Kind.MAINTENANCE,
        scheduled_for=now + timedelta(days=1, hours=2), scheduled_until=now + timedelta(days=1, hours=4),
        components={Component.objects.get(key="oneid-sms"): "under_maintenance"},
        body="SMS codes may arrive late.",
        translations={"uk": {"name": "Доставка SMS-кодів"}, "uz": {"name": "СМС кодларни етказиш"},
                      "uz-latn": {"name": "SMS kodlarni yetkazish"}, "ru": {"name": "Доставка SMS-кодов"}},
        body_translations={"uk": "SMS-коди можуть надходити із запізненням.",
                           "uz": "СМС кодлар кечикиб келиши мумкин.",
                           "uz-latn": "SMS kodlar kechikib kelishi mumkin.",
                           "ru": "SMS-коды могут приходить с опозданием."},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="statuspage-shots-") as var_dir:
        build_instance(Path(var_dir))
        from statuspage.wsgi import application

        server = make_server("127.0.0.1", 0, application, server_class=_Server, handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        from playwright.sync_api import sync_playwright

        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the ORM calls between shots
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

            def shot(name: str, path: str, **context):
                ctx = browser.new_context(**context)
                page = ctx.new_page()
                page.goto(url + path)
                page.screenshot(path=str(out / name), full_page=context.get("viewport", {}).get("width", 0) > 500)
                ctx.close()
                print(out / name)

            laptop = {"viewport": {"width": 1000, "height": 900}}
            shot("screenshot-healthy.png", "/?lang=en", **laptop)
            break_things()
            from statuspage.services import changes as publish

            publish.public_changed()
            shot("screenshot-outage.png", "/?lang=uk", **laptop)
            shot("screenshot-phone.png", "/?lang=uz-latn", viewport={"width": 360, "height": 780},
                 is_mobile=True, device_scale_factor=2, color_scheme="dark")
            # A first visit, as the phone's own language setting brings it (no ?lang=).
            for name, locale in (("uk", "uk-UA"), ("uz-latn", "uz-UZ")):
                shot(f"screenshot-phone-{name}.png", "/", viewport={"width": 360, "height": 800}, locale=locale,
                     is_mobile=True, has_touch=True, device_scale_factor=2)
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
