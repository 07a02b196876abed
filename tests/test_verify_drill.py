"""The bundled example's drill `wrong_deferral`: the incident its probe opens carries the
example's notice sent in error, and /verify recognises the false push message when pasted."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from probes.models import Probe
from probes.recording import record_batch
from statuspage.config.schema import validate
from statuspage.models import Incident, NoticeSentInError
from tests.citizens import apply_demo_config
from tests.test_probe_automation import WRONG_DEFERRAL
from tests.verify_texts import LANGS, WORDING, forwarded_variants

pytestmark = pytest.mark.django_db


def the_drill_trips_the_probe() -> Incident:
    """What the workers record once `manage.py drill wrong_deferral` switched the target."""
    probe = Probe.objects.get(key="reserve-login-and-profile")
    at = timezone.now()
    for n in range(probe.definition["trip_after"]):
        record_batch("default", [(Probe.objects.get(pk=probe.pk), at + timedelta(seconds=n), at, WRONG_DEFERRAL)])
    return Incident.objects.get(probe_key=probe.key)


@pytest.mark.parametrize("lang", LANGS)
def test_the_drills_false_notice_pasted_after_forwarding_is_answered_sent_in_error(lang):
    apply_demo_config()
    incident = the_drill_trips_the_probe()

    pasted = forwarded_variants(WORDING[lang], lang)["forwarded, with quotes and emoji"]
    html = Client().post("/verify", {"q": pasted}, HTTP_ACCEPT_LANGUAGE=lang).content.decode()

    assert 'class="verify-answer in-error"' in html
    assert f'href="{incident.get_absolute_url()}#notice-' in html


def test_the_notice_is_prepared_by_the_config_and_copied_once_to_the_probes_incident():
    apply_demo_config()
    apply_demo_config()  # idempotent
    assert NoticeSentInError.objects.filter(incident__isnull=True).count() == 1

    incident = the_drill_trips_the_probe()

    (notice,) = incident.notices_sent_in_error.all()
    assert notice.sent_from == incident.started_at and notice.channels == ["push"]


def test_the_section_refuses_personal_data_unknown_fields_and_unknown_probes_with_their_paths():
    doc = {"notices_sent_in_error": [
        {"key": "x", "probe": "nope", "wording": "Dear ivan@example.org: granted", "what_to_do": "Ignore.",
         "recipients": ["+380671234567"]},
    ], "probes": []}

    _config, errors = validate(doc)

    paths = dict(errors)
    assert "personal data" in paths["notices_sent_in_error[0].wording"]
    assert "unknown field" in paths["notices_sent_in_error[0].recipients"]
    assert "no probe 'nope'" in paths["notices_sent_in_error[0].probe"]
