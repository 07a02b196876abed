"""Notices sent in error: on the incident page, in v2 and in the admin, without personal data."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from statuspage.models import AuditLog, NoticeSentInError
from tests.verify_texts import WHAT_TO_DO, WORDING, incident_with_notice

pytestmark = pytest.mark.django_db


def test_the_incident_page_shows_the_notice_and_what_to_do_in_the_readers_language(page):
    incident, _ = incident_with_notice()

    html = Client().get(f"{incident.get_absolute_url()}?lang=uk").content.decode()

    assert 'class="notices-in-error"' in html
    assert WORDING["uk"].split(".")[0] in html and WHAT_TO_DO["uk"].split(".")[0] in html


def test_v2_carries_the_notices_as_an_extra_field(page):
    incident, notice = incident_with_notice()

    (data,) = Client().get("/api/v2/incidents.json").json()["incidents"]

    (shown,) = data["notices_sent_in_error"]
    assert shown["id"] == notice.id and shown["wording"] == WORDING["en"] and shown["channels"] == ["push"]
    assert shown["people"] == 1200 and shown["translations"]["ru"]["wording"] == WORDING["ru"]
    assert shown["sent_from"] == "2025-10-17T11:05:00.000Z"


@pytest.mark.parametrize("wording", [
    "Dear subscriber ivan.petrenko@example.org, your deferment is granted",
    "Your deferment is granted, +380 67 123 45 67",
])
def test_a_wording_with_an_address_or_a_number_is_refused_as_personal_data(page, wording):
    notice = NoticeSentInError(wording=wording, what_to_do="Ignore it.")

    with pytest.raises(ValidationError, match="personal data") as caught:
        notice.full_clean()
    assert "wording" in caught.value.message_dict


def test_on_call_enters_a_notice_in_the_admin_and_it_is_audited(page, oncall_user):
    incident, _ = incident_with_notice()
    console = Client()
    console.force_login(oncall_user)

    response = console.post("/admin/statuspage/noticesentinerror/add/", {
        "incident": incident.pk, "wording": "Your appointment is tomorrow at 9:00.", "channels": '["sms"]',
        "what_to_do": "Nothing: there is no appointment.", "translations": "{}", "people": "40",
        "key": "", "probe_key": "",
    })

    assert response.status_code == 302, response.content.decode()[:3000]
    notice = NoticeSentInError.objects.get(wording__startswith="Your appointment")
    assert AuditLog.objects.filter(action="add", object_type="noticesentinerror", object_id=str(notice.pk)).exists()


def test_on_call_tells_a_notice_through_the_api_in_several_languages_and_it_is_audited(page, api):
    incident, _ = incident_with_notice()

    response = api.post(f"/api/v1/incidents/{incident.id}/notices-sent-in-error/", {
        "wording": "Your appointment is tomorrow at 9:00.", "what_to_do": "Nothing: there is none.",
        "channels": ["sms"], "people": 40,
        "translations": {"uk": {"wording": "Ваш візит завтра о 9:00.", "what_to_do": "Нічого: візиту немає."}},
    }, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["translations"]["uk"]["wording"] == "Ваш візит завтра о 9:00."
    assert AuditLog.objects.filter(via="api", action="add", object_type="noticesentinerror").exists()
    listed = api.get(f"/api/v1/incidents/{incident.id}/notices-sent-in-error/").json()["notices_sent_in_error"]
    assert len(listed) == 2


@pytest.mark.parametrize(("body", "field"), [
    ({"wording": "Granted, +380 67 123 45 67", "what_to_do": "Ignore."}, "wording"),
    ({"wording": "Granted.", "what_to_do": "Ignore.", "recipients": ["+380671234567"]}, "recipients"),
    ({"wording": "Granted.", "what_to_do": "Ignore.", "translations": {"xx": {"wording": "?"}}}, "translations"),
    ({"wording": "Granted."}, "what_to_do"),
])
def test_the_api_refuses_personal_data_unknown_fields_and_bad_texts_naming_the_field(page, api, body, field):
    incident, _ = incident_with_notice()

    response = api.post(f"/api/v1/incidents/{incident.id}/notices-sent-in-error/", body, format="json")

    assert response.status_code == 400 and field in response.json(), response.json()


def test_someone_without_a_token_cannot_add_a_notice(page, anon):
    incident, _ = incident_with_notice()

    response = anon.post(f"/api/v1/incidents/{incident.id}/notices-sent-in-error/",
                         {"wording": "x", "what_to_do": "y"}, format="json")

    assert response.status_code in (401, 403)
