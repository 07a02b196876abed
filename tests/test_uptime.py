"""Per-day uptime bars, computed from the component status-change log."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils.translation import override

from statuspage.models import Component, ComponentStatusChange, Incident
from statuspage.public.uptime import bars
from statuspage.services.incidents import do_open_incident
from statuspage.templatetags.statuspage_tags import uptime_bar

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
TODAY = date(2025, 3, 20)


def component(key="reserve-data", created_at=NOW - timedelta(days=365), status="operational") -> Component:
    Component.objects.filter(key=key).update(created_at=created_at, status=status)
    return Component.objects.get(key=key)


def change(comp, old, new, at):
    ComponentStatusChange.objects.create(component=comp, old_status=old, new_status=new, at=at, source="probe")


def incident(name, comp, started_at, published=True):
    created = do_open_incident(name=name, components={comp: comp.status}, published=published)
    Incident.objects.filter(pk=created.pk).update(started_at=started_at)
    return created


def days_of(comp, days=7, tz_name="UTC", now=NOW):
    return {d.day: d for d in bars([comp], tz_name, days=days, now=now)[comp.pk].days}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_a_component_without_changes_is_up_every_day_since_its_creation(page):
    comp = component(created_at=at(TODAY - timedelta(days=3), 9))

    days = days_of(comp)

    assert [(d.day, d.uptime) for d in days.values()] == [
        (TODAY - timedelta(days=6), None),
        (TODAY - timedelta(days=5), None),
        (TODAY - timedelta(days=4), None),
        (TODAY - timedelta(days=3), 100.0),
        (TODAY - timedelta(days=2), 100.0),
        (TODAY - timedelta(days=1), 100.0),
        (TODAY, 100.0),
    ]
    assert bars([comp], days=7, now=NOW)[comp.pk].percent is None  # 4 days measured: too few to tell


def test_a_percentage_is_given_once_a_week_is_measured(page):
    comp = component(created_at=at(TODAY - timedelta(days=6), 9))

    bar = bars([comp], days=90, now=NOW)[comp.pk]

    assert (bar.measured_days, bar.percent) == (7, 100.0)


def test_a_few_minutes_of_data_say_since_when_and_give_no_percentage(page):
    comp = component(created_at=NOW - timedelta(minutes=5))

    svg = svg_of(comp)

    assert "uptime over" not in svg
    assert "Measured since 20 Mar. A percentage is shown after a week of measurements." in svg


def test_planned_maintenance_is_left_out_of_the_measure(page):
    comp = component(created_at=at(TODAY - timedelta(days=30), 0))
    day = TODAY - timedelta(days=1)
    change(comp, "operational", "under_maintenance", at(day, 0))
    change(comp, "under_maintenance", "major_outage", at(day, 12))
    change(comp, "major_outage", "operational", at(day, 18))

    assert days_of(comp)[day].uptime == 50.0  # down 6 of the 12 measured hours, not of 24
    assert "Planned maintenance is not counted." in Client().get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_on_the_day_of_its_creation_only_the_hours_it_existed_count(page):
    day = TODAY - timedelta(days=2)
    comp = component(created_at=at(day, 12))
    change(comp, "operational", "major_outage", at(day, 18))
    change(comp, "major_outage", "operational", at(day + timedelta(days=1), 0))

    assert days_of(comp)[day].uptime == 50.0  # down 6 of the 12 hours it existed


def test_it_covers_ninety_days_ending_today_by_default(page):
    comp = component()

    result = bars([comp], now=NOW)[comp.pk].days

    assert len(result) == 90
    assert (result[0].day, result[-1].day) == (TODAY - timedelta(days=89), TODAY)


def test_a_major_outage_for_six_hours_leaves_75_percent_that_day(page):
    comp = component()
    day = TODAY - timedelta(days=2)
    change(comp, "operational", "major_outage", at(day, 6))
    change(comp, "major_outage", "operational", at(day, 12))

    days = days_of(comp)

    assert days[day].uptime == 75.0
    assert days[day].worst == "major_outage"
    assert days[day - timedelta(days=1)].uptime == 100.0
    assert days[day + timedelta(days=1)].uptime == 100.0


def test_a_partial_outage_counts_as_30_percent_down(page):
    comp = component()
    day = TODAY - timedelta(days=2)
    change(comp, "operational", "partial_outage", at(day, 6))
    change(comp, "partial_outage", "operational", at(day, 12))

    assert days_of(comp)[day].uptime == 92.5  # 6 h × 30% = 1.8 h of 24 h


@pytest.mark.parametrize("status", ["degraded_performance", "under_maintenance"])
def test_degraded_performance_and_maintenance_do_not_count_as_downtime(page, status):
    comp = component()
    day = TODAY - timedelta(days=2)
    change(comp, "operational", status, at(day, 0))
    change(comp, status, "operational", at(day, 23))

    assert days_of(comp)[day].uptime == 100.0
    assert days_of(comp)[day].worst == status


def test_an_outage_across_midnight_is_split_between_the_two_days(page):
    comp = component()
    day = TODAY - timedelta(days=3)
    change(comp, "operational", "major_outage", at(day, 18))
    change(comp, "major_outage", "operational", at(day + timedelta(days=1), 12))

    days = days_of(comp)

    assert (days[day].uptime, days[day + timedelta(days=1)].uptime) == (75.0, 50.0)


def test_an_outage_still_going_on_counts_up_to_now(page):
    comp = component(status="major_outage")
    change(comp, "operational", "major_outage", at(TODAY, 6))

    assert days_of(comp)[TODAY].uptime == 50.0  # down 06:00–12:00 of the 12 hours so far


def test_the_status_at_the_window_start_comes_from_the_first_change_in_the_window(page):
    comp = component(status="operational")
    first_day = TODAY - timedelta(days=6)
    change(comp, "operational", "major_outage", at(first_day - timedelta(days=30), 0))  # before the window
    change(comp, "major_outage", "operational", at(first_day + timedelta(days=1), 12))

    days = days_of(comp)

    assert days[first_day].uptime == 0.0
    assert days[first_day + timedelta(days=1)].uptime == 50.0
    assert days[first_day + timedelta(days=2)].uptime == 100.0


def test_a_component_down_the_whole_window_without_changes_in_it_is_down_every_day(page):
    comp = component(status="partial_outage")
    change(comp, "operational", "partial_outage", at(TODAY - timedelta(days=30), 0))

    assert {d.uptime for d in days_of(comp).values()} == {70.0}


def test_days_are_cut_at_midnight_in_the_pages_time_zone(page):
    comp = component()
    day = TODAY - timedelta(days=3)
    change(comp, "operational", "major_outage", at(day, 23))  # 01:00 the next day in Kyiv (UTC+2)
    change(comp, "major_outage", "operational", at(day + timedelta(days=1), 5))  # 07:00 in Kyiv

    utc = days_of(comp)
    kyiv = days_of(comp, tz_name="Europe/Kyiv")

    assert (utc[day].uptime, utc[day + timedelta(days=1)].uptime) == (95.83, 79.17)
    assert (kyiv[day].uptime, kyiv[day + timedelta(days=1)].uptime) == (100.0, 75.0)


def test_days_with_incidents_list_their_names(page):
    comp = component()
    other = component("oneid-signin")
    day = TODAY - timedelta(days=2)
    incident("SMS delays", comp, at(day, 8))
    incident("Wrong deferral shown", comp, at(day, 15))
    incident("Sign-in slow", other, at(day, 9))

    days = days_of(comp)

    assert sorted(days[day].incidents) == ["SMS delays", "Wrong deferral shown"]
    assert days[day - timedelta(days=1)].incidents == []
    assert days_of(other)[day].incidents == ["Sign-in slow"]


def test_a_draft_is_not_listed_on_the_public_bar(page):
    comp = component()
    incident("Probe tripped", comp, at(TODAY - timedelta(days=1), 8), published=False)

    assert days_of(comp)[TODAY - timedelta(days=1)].incidents == []


def test_a_day_with_an_incident_is_not_perfect_even_at_100_percent(page):
    comp = component()
    day = TODAY - timedelta(days=1)
    incident("Slow sign-in", comp, at(day, 8))

    assert days_of(comp)[day].uptime == 100.0
    assert days_of(comp)[day].perfect is False
    assert days_of(comp)[day - timedelta(days=1)].perfect is True


def test_it_reads_the_clock_when_not_told_the_time(page):
    comp = component()
    with time_machine.travel(NOW, tick=False):
        result = bars([comp], days=3)[comp.pk].days

    assert [d.day for d in result] == [TODAY - timedelta(days=2), TODAY - timedelta(days=1), TODAY]


# ---------------------------------------------------------------- the SVG on the page


def svg_of(comp) -> str:
    with override("en"):  # titles are in the reader's language; these tests read English
        return str(uptime_bar(bars([comp], now=NOW)[comp.pk]))


def rects(svg: str) -> list[tuple[int, int, str, str]]:
    return [(int(x), int(w), cls, title) for x, w, cls, title in re.findall(
        r'<rect x="(\d+)" width="(\d+)" height="24" class="(\w)"><title>([^<]*)</title></rect>', svg)]


def test_the_svg_merges_perfect_days_and_gives_each_bad_day_its_own_rect(page):
    comp = component(created_at=at(TODAY - timedelta(days=79), 0))  # 10 days without data
    bad = TODAY - timedelta(days=30)
    change(comp, "operational", "major_outage", at(bad, 6))
    change(comp, "major_outage", "operational", at(bad, 12))
    incident("SMS delays", comp, at(bad, 6))
    slow = TODAY - timedelta(days=29)
    change(comp, "operational", "partial_outage", at(slow, 0))
    change(comp, "partial_outage", "operational", at(slow + timedelta(days=1), 0))

    svg = svg_of(comp)

    assert rects(svg) == [
        (0, 49, "n", "21 Dec – 30 Dec: no data"),
        (50, 244, "o", "31 Dec – 17 Feb: 100% uptime, no incidents"),
        (295, 4, "x", "18 Feb: 75.0% uptime · SMS delays"),
        (300, 4, "p", "19 Feb: 70.0% uptime"),
        (305, 144, "o", "20 Feb – 20 Mar: 100% uptime, no incidents"),
    ]
    assert 'aria-label="99.31% uptime over 80 days"' in svg  # the days measured, not the window


def test_a_healthy_component_costs_one_rect(page):
    comp = component()

    svg = svg_of(comp)

    assert rects(svg) == [(0, 449, "o", "21 Dec – 20 Mar: 100% uptime, no incidents")]
    assert 'aria-label="100.0% uptime over 90 days"' in svg


def test_incident_names_in_the_svg_title_are_escaped(page):
    comp = component()
    incident('<script>alert("x")</script>', comp, at(TODAY - timedelta(days=1), 8))

    svg = svg_of(comp)

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_the_status_page_shows_a_bar_per_component(page):
    comp = component()
    day = TODAY - timedelta(days=1)
    change(comp, "operational", "major_outage", at(day, 6))
    change(comp, "major_outage", "operational", at(day, 12))

    with time_machine.travel(NOW, tick=False):
        html = Client().get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert html.count('<svg viewBox="0 0 449 24"') == 3
    assert "19 Mar: 75.0% uptime" in html
