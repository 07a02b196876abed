"""Texts per language in the console: one plain field per page language, over the JSON storage."""

import pytest
from django.test import Client

from statuspage.admin_forms import merged_translations
from statuspage.models import Component, Incident, IncidentUpdate
from tests.test_admin import incident_form, open_incident

pytestmark = pytest.mark.django_db

QUOTED = 'Сервіс "Резерв+" не працює\nРобимо все можливе'
LATIN = "Reserve+ \"kirish\" ishlamayapti\nBiz ustida ishlayapmiz"


@pytest.fixture
def page_config(page_config):
    return {**page_config, "page": {**page_config["page"], "languages": ["uk", "uz-latn", "uz", "ru"]}}


@pytest.fixture
def console(oncall_user):
    client = Client()
    client.force_login(oncall_user)
    return client


def test_quotes_and_line_breaks_are_stored_as_typed_in_every_language(page, console):
    incident = open_incident(console, name="Резерв+ не працює", update_body=QUOTED,
                             name_uz_latn='"Reserve+" ishlamayapti', update_body_uz_latn=LATIN,
                             name_ru='Не работает "Резерв+"')

    assert incident.translations == {"uz-latn": {"name": '"Reserve+" ishlamayapti'},
                                     "ru": {"name": 'Не работает "Резерв+"'}}
    assert incident.updates.get().body == QUOTED
    assert incident.updates.get().translations == {"uz-latn": LATIN}


def test_an_empty_field_means_not_translated_and_leaves_the_language_out(page, console):
    incident = open_incident(console, name="Збій", name_uz_latn="", name_uz="   ", name_ru="Сбой")

    assert incident.translations == {"ru": {"name": "Сбой"}}


def test_editing_keeps_the_languages_the_form_does_not_show(page, console):
    incident = open_incident(console, name="Збій", name_ru="Сбой")
    # `en` is not one of the page's languages: no field shows it, so nothing may drop it.
    Incident.objects.filter(pk=incident.pk).update(translations={**incident.translations, "en": {"name": "Outage"}})
    incident.refresh_from_db()

    response = console.post(f"/admin/statuspage/incident/{incident.pk}/change/",
                            incident_form(name="Збій", incident=incident, name_ru="Сбой входа",
                                          postmortem_uz_latn="Sabab: sertifikat"))

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.translations == {"ru": {"name": "Сбой входа"}, "en": {"name": "Outage"},
                                     "uz-latn": {"postmortem": "Sabab: sertifikat"}}


def test_clearing_one_field_keeps_the_other_fields_of_that_language():
    stored = {"uk": {"name": "Збій", "postmortem": "Причина"}, "en": {"name": "Outage"}}

    merged = merged_translations(stored, {"uk": {"name": "", "postmortem": "Причина"}}, ["name", "postmortem"], ["uk"])

    assert merged == {"uk": {"postmortem": "Причина"}, "en": {"name": "Outage"}}


def test_the_form_shows_the_stored_texts_and_names_each_language_in_itself(page, console):
    incident = open_incident(console, name="Збій", name_uz="Узилиш")

    form = console.get(f"/admin/statuspage/incident/{incident.pk}/change/").context["adminform"].form

    assert form.initial["name_uz"] == "Узилиш"
    assert form.fields["name_uz"].label == "Name — Ўзбекча (кирилл)"
    assert form.fields["name_uz_latn"].label == "Name — Oʻzbekcha (lotin)"
    assert form.fields["name_ru"].label == "Name — Русский"
    assert form.fields["name"].label == "Name — Українська"


def test_the_postmortem_is_shown_in_the_readers_language(page, console):
    incident = open_incident(console, name="Збій", postmortem="Причина: сертифікат.",
                             postmortem_uz_latn="Sabab: sertifikat.")
    incident.postmortem_published_at = incident.started_at
    incident.save()  # a model save: the public version moves, as on any change

    uk = Client().get(f"/incidents/{incident.pk}?lang=uk").content.decode()
    latin = Client().get(f"/incidents/{incident.pk}?lang=uz-latn").content.decode()
    russian = Client().get(f"/incidents/{incident.pk}?lang=ru").content.decode()

    assert "Причина: сертифікат." in uk and "Sabab" not in uk
    assert "Sabab: sertifikat." in latin and "Причина" not in latin
    assert "Причина: сертифікат." in russian and 'lang="uk"' in russian  # untranslated: marked as Ukrainian


def test_page_settings_channels_and_components_get_fields_per_language(page, console):
    form = console.get("/admin/statuspage/pagesettings/1/change/").context["adminform"].form
    component = Component.objects.get(key="reserve-auth")
    component_form = console.get(f"/admin/statuspage/component/{component.pk}/change/").context["adminform"].form

    assert {"name_uz_latn", "notice_uz_latn", "name_ru", "notice_ru"} <= set(form.fields)
    assert {"name_uz", "description_uz"} <= set(component_form.fields)
    assert "translations" not in form.fields and "translations" not in component_form.fields


def test_an_update_posted_later_gets_its_languages_too(page, console):
    incident = open_incident(console, name="Збій")

    console.post(f"/admin/statuspage/incident/{incident.pk}/change/", incident_form(
        name="Збій", incident=incident, update_status="identified", update_body="Знайшли причину.",
        update_body_uz_latn="Sababini topdik.", update_body_ru=""))

    update = IncidentUpdate.objects.get(incident=incident, status="identified")
    assert update.translations == {"uz-latn": "Sababini topdik."}
