"""Incident templates: from the config file, edited in the console, used by the console and the API."""

import pytest
from django.test import Client

from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import AuditLog, Incident, IncidentTemplate
from tests.test_admin import incident_form, open_incident

pytestmark = pytest.mark.django_db

LOGIN_DOWN = {
    "key": "login-down", "name": "Login is down", "title": "Вхід не працює",
    "body": 'Сервіс "Резерв+" недоступний.\nПрацюємо над цим.', "status": "identified", "impact": "major",
    "translations": {"uz-latn": {"title": "Kirish ishlamayapti", "body": "Xizmat ishlamayapti.\nIshlayapmiz."}},
}


@pytest.fixture
def page_config(page_config):
    return {**page_config, "page": {**page_config["page"], "languages": ["uk", "uz-latn"]},
            "templates": [LOGIN_DOWN]}


@pytest.fixture
def console(oncall_user):
    client = Client()
    client.force_login(oncall_user)
    return client


def test_the_config_file_creates_and_updates_templates(page, page_config):
    template = IncidentTemplate.objects.get(key="login-down")
    assert (template.title, template.status, template.impact) == ("Вхід не працює", "identified", "major")
    assert template.translations["uz-latn"]["title"] == "Kirish ishlamayapti"

    config, _ = validate({**page_config, "templates": [{**LOGIN_DOWN, "title": "Вхід не працює вже годину"}]})
    changes = apply_config(config)

    assert "template login-down: updated" in changes
    assert IncidentTemplate.objects.get(key="login-down").title == "Вхід не працює вже годину"


@pytest.mark.parametrize("template, path", [
    ({**LOGIN_DOWN, "colour": "red"}, "templates[0].colour"),
    ({**LOGIN_DOWN, "key": "Login Down"}, "templates[0].key"),
    ({**LOGIN_DOWN, "status": "on_fire"}, "templates[0].status"),
    ({**LOGIN_DOWN, "impact": "huge"}, "templates[0].impact"),
    ({**LOGIN_DOWN, "translations": {"klingon": {"title": "?"}}}, "templates[0].translations.klingon"),
    ({**LOGIN_DOWN, "translations": {"uk": {"name": "?"}}}, "templates[0].translations.uk"),
    ({"key": "empty", "name": "Empty"}, "templates[0]"),
    ({"name": "No key", "title": "x"}, "templates[0].key"),
])
def test_the_config_file_refuses_a_wrong_template_with_its_path(page_config, template, path):
    config, errors = validate({**page_config, "templates": [template]})

    assert config is None
    assert path in [where for where, _message in errors]


def test_the_config_file_refuses_a_key_used_twice(page_config):
    _config, errors = validate({**page_config, "templates": [LOGIN_DOWN, LOGIN_DOWN]})

    assert ("templates[1].key", "'login-down' is used twice") in errors


def test_new_incident_from_template_prefills_the_add_form(page, console):
    form = console.get("/admin/statuspage/incident/add/?template=login-down").context["adminform"].form

    assert form["name"].value() == "Вхід не працює"
    assert form["update_body"].value() == LOGIN_DOWN["body"]
    assert form["name_uz_latn"].value() == "Kirish ishlamayapti"
    assert form["update_status"].value() == "identified" and form["impact"].value() == "major"
    assert 'href="?template=login-down"' in console.get("/admin/statuspage/incident/add/").content.decode()


def test_a_chosen_template_fills_only_what_was_left_empty(page, console):
    response = console.post("/admin/statuspage/incident/add/", incident_form(
        name="", template="login-down", update_body="Our own words."))

    assert response.status_code == 302
    incident = Incident.objects.get()

    assert incident.name == "Вхід не працює"
    assert incident.translations == {"uz-latn": {"name": "Kirish ishlamayapti"}}
    update = incident.updates.get()
    assert (update.body, update.status) == ("Our own words.", "identified")
    assert update.translations == {"uz-latn": "Xizmat ishlamayapti.\nIshlayapmiz."}


def test_an_update_can_be_posted_from_a_template(page, console):
    incident = open_incident(console, name="Збій")

    console.post(f"/admin/statuspage/incident/{incident.pk}/change/", incident_form(
        name="Збій", incident=incident, update_status="identified", template="login-down"))

    update = incident.updates.get(status="identified")
    assert update.body == LOGIN_DOWN["body"]
    assert update.translations == {"uz-latn": "Xizmat ishlamayapti.\nIshlayapmiz."}
    assert Incident.objects.get(pk=incident.pk).name == "Збій"  # a template never renames an incident


def test_a_template_edited_in_the_console_is_audited(page, console, oncall_user):
    template = IncidentTemplate.objects.get(key="login-down")
    data = {"key": "login-down", "name": "Login is down", "title": "Вхід не працює", "body": "Нові слова",
            "status": "", "impact": "", "title_uz_latn": "Kirish ishlamayapti", "body_uz_latn": ""}

    response = console.post(f"/admin/statuspage/incidenttemplate/{template.pk}/change/", data)

    assert response.status_code == 302
    template.refresh_from_db()
    assert template.translations == {"uz-latn": {"title": "Kirish ishlamayapti"}}
    entry = AuditLog.objects.get(action="change", object_type="incidenttemplate", actor=oncall_user)
    assert entry.changes["fields"]["body"] == [LOGIN_DOWN["body"], "Нові слова"]


def test_the_api_opens_an_incident_from_a_template(page, api):
    created = api.post("/api/v1/incidents/", {"template": "login-down", "body": "Our own words."}, format="json")

    assert created.status_code == 201, created.json()
    incident = Incident.objects.get(pk=created.json()["id"])
    assert (incident.name, incident.status, incident.impact) == ("Вхід не працює", "identified", "major")
    assert incident.translations == {"uz-latn": {"name": "Kirish ishlamayapti"}}
    update = incident.updates.get()
    assert update.body == "Our own words."
    assert update.translations == {"uz-latn": "Xizmat ishlamayapti.\nIshlayapmiz."}


def test_the_api_posts_an_update_from_a_template(page, api):
    incident_id = api.post("/api/v1/incidents/", {"name": "Збій"}, format="json").json()["id"]

    response = api.post(f"/api/v1/incidents/{incident_id}/updates/",
                        {"status": "monitoring", "template": "login-down",
                         "body_translations": {"uz-latn": "Oʻzimizning soʻzlar"}}, format="json")

    assert response.status_code in (200, 201), response.json()
    update = Incident.objects.get(pk=incident_id).updates.get(status="monitoring")
    assert update.body == LOGIN_DOWN["body"]
    assert update.translations == {"uz-latn": "Oʻzimizning soʻzlar"}


def test_the_api_refuses_an_unknown_template_and_a_missing_name(page, api):
    unknown = api.post("/api/v1/incidents/", {"template": "nope"}, format="json")
    nameless = api.post("/api/v1/incidents/", {"body": "x"}, format="json")

    assert unknown.status_code == 400 and "template" in unknown.json()
    assert nameless.status_code == 400 and "name" in nameless.json()
