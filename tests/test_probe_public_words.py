"""What a probe's incident says in public: the config's plain words, never what the check saw.

A wrong answer may carry a stranger's passport number or a false official sentence; the
page, permalinks, history, feeds, v2, badges, embeds, the static export, subscribers'
emails and webhooks must carry neither.
"""

import ipaddress
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from probes.config import apply_probes
from probes.models import Probe, ProbeRun
from probes.spec import validate_probe
from probes.tasks import run_probe_batch
from statuspage.models import EmailSubscriber, Incident, OutboxEvent, WebhookSubscriber
from statuspage.notify.oncall_alerts import send_queued_alert
from statuspage.public.registry import PAGE_PATHS
from statuspage.public.render import public_paths, render_all
from tests.loopback import Loopback, Reply, Request
from tests.test_subscribers import deliver_all
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db

PASSPORT = "KX7312846"
FALSE_SENTENCE = "Your deferment until the end of martial law has been granted"
STEP_NAME = "the account still belongs to its owner"
LANGS = ("uk", "uz", "uz-latn", "ru", "en")


def wrong_answer(request: Request) -> Reply:
    """A service that answers with a stranger's passport and a false notice, on /me (JSON),
    /notice (text) and /login (a 503 whose body repeats both)."""
    return Reply(503 if request.path == "/login" else 200, {"owner": {"passport": PASSPORT}, "notice": FALSE_SENTENCE})


@pytest.fixture
def target(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    settings.PROBE_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]  # where a guard reads it
    with Loopback(wrong_answer) as server:
        yield server


@pytest.fixture
def every_language(page):
    from statuspage.models import PageSettings

    PageSettings.objects.update(languages=list(LANGS))


def probe(key, component, step):
    spec, errors = validate_probe({"key": key, "component": component, "interval": "2s", "timeout": "1500ms",
                                   "steps": [step]}, "probes[0]", {"reserve-auth", "reserve-data", "oneid-signin"})
    assert errors == []
    apply_probes([spec], prune=False, changes=[])
    return Probe.objects.get(key=key)


def run(probes, times):
    clock = timezone.now()
    for _ in range(times):
        clock += timedelta(seconds=2)
        for p in probes:
            assert run_probe_batch("default", [(p.pk, clock.isoformat())]) == 1


def secrets_in(text: str, where: str, target, oncall: bool = False) -> list[str]:
    """Public texts carry no diagnostics at all; on-call's carry them, but never a value as answered."""
    needles = ((PASSPORT, FALSE_SENTENCE) if oncall
               else (PASSPORT, FALSE_SENTENCE, STEP_NAME, target.base, "martial law"))
    found = [needle for needle in needles if needle in text]
    return [f"{where}: {needle!r}" for needle in found]


def test_no_public_surface_and_no_outbox_body_carries_what_the_probe_saw(
        every_language, target, oncall_user, tmp_path):
    EmailSubscriber.objects.create(email="citizen@example.org", confirmed_at=timezone.now(), language="uk")
    oncall_user.email = "oncall@example.org"
    oncall_user.save()
    probes = [
        probe("owner", "oneid-signin", {"name": STEP_NAME, "request": {"url": f"{target.base}/me"},
                                        "expect": {"json": {"$.owner.passport": "AA0000001"}}}),
        probe("notice", "reserve-data", {"name": "the notice is true", "request": {"url": f"{target.base}/notice"},
                                         "expect": {"body_not_contains": "deferment until the end of martial law"}}),
        probe("login", "reserve-auth", {"name": "sign in", "request": {"url": f"{target.base}/login"},
                                        "expect": {"status": 200}}),
    ]
    with Receiver() as receiver:
        WebhookSubscriber.objects.create(url=receiver.url, confirmed=True)
        run(probes, 2)
        assert Incident.objects.public().count() == 3
        assert set(ProbeRun.objects.values_list("failure_class", flat=True)) == {"assertion", "http_status"}
        deliver_all()
        for alert in OutboxEvent.objects.filter(type="oncall.alert"):
            send_queued_alert(alert.pk)  # on-call's alerts carry (masked) diagnostics: read them too
        hooks = [r.body.decode() for r in receiver.requests]

    leaks = []
    client = Client()
    paths = [*public_paths(), *PAGE_PATHS, *(f"/incidents/{i.pk}" for i in Incident.objects.all())]
    for lang in LANGS:
        for path in dict.fromkeys(paths):
            url = f"{path}{'&' if '?' in path else '?'}lang={lang}"
            response = client.get(url)
            assert response.status_code == 200, url
            leaks += secrets_in(response.content.decode(), url, target)
    render_all(export_dir=tmp_path / "export")
    exported = [f for f in (tmp_path / "export").rglob("*") if f.is_file() and f.suffix not in (".gz", ".br")]
    assert len(exported) > 20
    for file in exported:
        leaks += secrets_in(file.read_text(errors="replace"), f"export {file.name}", target)
    for message in mail.outbox:
        text = message.subject + message.body + "".join(str(alt[0]) for alt in message.alternatives)
        leaks += secrets_in(text, f"email to {message.to}", target, oncall=message.to == [oncall_user.email])
    for body in hooks:
        leaks += secrets_in(body, "webhook", target)
    for event in OutboxEvent.objects.all():
        leaks += secrets_in(json.dumps(event.data, ensure_ascii=False), f"outbox {event.type}", target,
                            oncall=event.type == "oncall.alert")

    assert len(mail.outbox) >= 6 and len(hooks) >= 3  # the search did read something
    assert leaks == []


def test_on_call_alerts_carry_the_diagnostics_with_the_values_masked(page, target, oncall_user):
    oncall_user.email = "oncall@example.org"
    oncall_user.save()
    owner = probe("owner", "oneid-signin", {"name": STEP_NAME, "request": {"url": f"{target.base}/me"},
                                            "expect": {"json": {"$.owner.passport": "AA0000001"}}})

    run([owner], 2)
    for event in OutboxEvent.objects.filter(type="oncall.alert"):
        send_queued_alert(event.pk)

    alert = next(m for m in mail.outbox if m.to == ["oncall@example.org"])
    assert f"Failing step: {STEP_NAME}\n" in alert.body
    assert "Seen: $.owner.passport = K…6 (9 characters)\n" in alert.body
    assert PASSPORT not in alert.body


def test_a_drill_of_each_kind_shows_the_configs_texts_in_each_language(every_language, target):
    texts = {"wrong_data": ("Hibna", "Do nothing"), "unavailable": ("Down", "Try later")}
    public = {kind: {"title": f"{{component}}: {title}", "body": body,
                     "translations": {"uk": {"title": f"{{component}} — {title} uk", "body": f"{body} uk"},
                                      "uz-latn": {"body": f"{body} uz-latn"}}}
              for kind, (title, body) in texts.items()}
    for key, component, step in [
        ("notice", "reserve-data", {"request": {"url": f"{target.base}/notice"},
                                    "expect": {"body_not_contains": "martial law"}}),
        ("login", "reserve-auth", {"request": {"url": f"{target.base}/login"}, "expect": {"status": 200}}),
    ]:
        spec, errors = validate_probe({"key": key, "component": component, "interval": "2s", "timeout": "1s",
                                       "public": public, "steps": [step]}, "probes[0]",
                                      {"reserve-data", "reserve-auth"})
        assert errors == []
        apply_probes([spec], prune=False, changes=[])

    run(list(Probe.objects.all()), 2)

    wrong = Incident.objects.get(probe_key="notice")
    assert wrong.name == "Registration data: Hibna"
    assert wrong.translations["uk"]["name"] == "Registration data — Hibna uk"  # no uk name in the page config
    uk = Client().get(f"/incidents/{wrong.pk}?lang=uk").content.decode()
    latn = Client().get(f"/incidents/{wrong.pk}?lang=uz-latn").content.decode()
    ru = Client().get(f"/incidents/{wrong.pk}?lang=ru").content.decode()
    assert "Do nothing uk" in uk and "Do nothing uz-latn" in latn
    assert "Registration data: Hibna" in latn  # a title without a translation: the config's plain one
    assert "Do nothing" in ru and "Do nothing uk" not in ru
    assert Incident.objects.get(probe_key="login").name == "Authorization: Down"


def test_the_built_in_texts_name_the_component_and_say_what_to_do_in_every_language(every_language, target):
    probe("notice", "reserve-data", {"request": {"url": f"{target.base}/notice"},
                                     "expect": {"body_not_contains": "martial law"}})
    run(list(Probe.objects.all()), 2)
    incident = Incident.objects.get()

    pages = {lang: Client().get(f"/incidents/{incident.pk}?lang={lang}").content.decode() for lang in LANGS}

    assert "do not act on it" in pages["en"]
    assert "нічого не робіть" in pages["uk"] and "офіційні канали" in pages["uk"]
    assert "hech narsa qilmang" in pages["uz-latn"] and "rasmiy kanallarga" in pages["uz-latn"]
    assert "ҳеч нарса қилманг" in pages["uz"] and "ничего не предпринимайте" in pages["ru"]


def test_the_false_notice_in_the_bundled_example_is_answered_by_its_own_words():
    """The example's texts for the false notice: it is wrong, nothing changed, do nothing, call the line."""
    import yaml

    example = yaml.safe_load((Path(__file__).resolve().parent.parent / "examples" / "reserve-plus.yaml").read_text())
    by_key = {p["key"]: p for p in example["probes"]}
    wrong = by_key["reserve-login-and-profile"]["public"]["wrong_data"]
    assert "1545" in wrong["body"]
    assert set(wrong["translations"]) == {"uk", "uz", "uz-latn", "ru"}
    assert "1545" in wrong["translations"]["uk"]["body"] and "1545" in wrong["translations"]["uz-latn"]["body"]
