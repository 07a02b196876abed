"""The console's times are the page's: 02:00 typed for a maintenance is 02:00 in Kyiv."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import timezone

from statuspage.admin_forms import zone_label
from tests.test_admin import open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_config(page_config):
    return {**page_config, "page": {**page_config["page"], "time_zone": "Europe/Kyiv"}}


@pytest.fixture
def console(oncall_user):
    client = Client()
    client.force_login(oncall_user)
    return client


def test_a_maintenance_typed_at_two_oclock_is_stored_as_two_oclock_kyiv(page, console):
    maintenance = open_incident(console, name="Database upgrade", kind="maintenance", publish=False,
                                scheduled_for_0="2030-01-15", scheduled_for_1="02:00:00",
                                scheduled_until_0="2030-07-15", scheduled_until_1="02:00:00")

    assert maintenance.scheduled_for == datetime(2030, 1, 15, 0, 0, tzinfo=UTC)  # UTC+2 in winter
    assert maintenance.scheduled_until == datetime(2030, 7, 14, 23, 0, tzinfo=UTC)  # UTC+3 in summer


def test_the_form_shows_the_stored_time_back_in_the_pages_zone_and_names_it(page, console):
    maintenance = open_incident(console, name="Database upgrade", kind="maintenance", publish=False,
                                scheduled_for_0="2030-01-15", scheduled_for_1="02:00:00")

    response = console.get(f"/admin/statuspage/incident/{maintenance.pk}/change/")

    form = response.context["adminform"].form
    assert "Europe/Kyiv (UTC+" in form.fields["scheduled_for"].help_text
    assert 'value="02:00:00"' in response.content.decode()


def test_the_zone_is_named_with_its_offset_at_the_moment():
    winter = datetime(2030, 1, 15, tzinfo=UTC)
    summer = datetime(2030, 7, 15, tzinfo=UTC)

    assert zone_label("Europe/Kyiv", winter) == "Europe/Kyiv (UTC+02:00)"
    assert zone_label("Europe/Kyiv", summer) == "Europe/Kyiv (UTC+03:00)"
    assert zone_label("Asia/Tashkent", winter) == "Asia/Tashkent (UTC+05:00)"


def test_only_the_console_is_in_the_pages_zone(page, console):
    console.get("/admin/statuspage/incident/add/")
    assert timezone.get_current_timezone_name() == "UTC"  # nothing left behind for the next request

    html = Client().get("/?tz=Asia/Tashkent").content.decode()

    assert "Tashkent" in html or "Ташкент" in html
