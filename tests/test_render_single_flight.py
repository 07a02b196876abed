"""Renders never pile up (one runs, one waits), stop when overtaken, and after an incident
update re-render only what shows it (statuspage.public.render_tasks, statuspage.public.render_inputs)."""

import os

import pytest
from django.core.cache import cache

from statuspage.models import Component, PageSettings
from statuspage.public import keys, render, render_inputs, render_tasks
from statuspage.public import version as public_version
from statuspage.public.render import render_all
from statuspage.services import changes as publish
from statuspage.services.incidents import do_open_incident, do_post_update

pytestmark = pytest.mark.django_db

FEEDS = ("history.rss", "history.atom", "badge.svg")


@pytest.fixture
def renders_at_once(monkeypatch):
    """A queued render runs at once, in this process, as an idle render worker would."""
    monkeypatch.setattr(render_tasks.render_public, "delay", lambda: render_tasks.render_public())


@pytest.fixture
def passes(monkeypatch):
    """Every render pass, in order, with what each pass reported."""
    reports = []
    real = render_tasks.render_changes

    def counted():
        reports.append(real())
        return reports[-1]

    monkeypatch.setattr(render_tasks, "render_changes", counted)
    return reports


def stored(key: str) -> bytes | None:
    entry = cache.get(keys.entry_cache_key(public_version.current(), key))
    return entry.body if entry is not None else None


def languages() -> list[str]:
    return render.render_languages(PageSettings.load())


def component_entries(component: str) -> dict[str, bytes | None]:
    return {key: stored(key) for key in (keys.snapshot_key(lang, f"/components/{component}/{name}")
                                         for lang in languages() for name in FEEDS)}


def test_ten_changes_during_a_render_cause_one_more_render_not_ten(page, renders_at_once, passes, monkeypatch):
    incident = do_open_incident(name="Login fails", status="investigating")
    real = render.render_all
    changes = []

    def render_all_while_changes_arrive(**kwargs):
        if not changes:  # the first pass: ten changes commit while it renders
            for n in range(10):
                do_post_update(incident, status="identified", body=f"Update {n}")
                publish._committed()  # what each commit runs: bump, then queue a render
                changes.append(n)
        return real(**kwargs)

    monkeypatch.setattr(render, "render_all", render_all_while_changes_arrive)
    assert render_tasks.render_public() == 2

    assert len(passes) == 2
    assert cache.get(render_tasks.QUEUED_KEY) is None and cache.get(render_tasks.RUNNING_KEY) is None
    assert "Update 9" in stored(keys.snapshot_key("en", "/")).decode()


def test_a_render_task_that_finds_one_running_returns_without_rendering(page, passes):
    cache.add(render_tasks.RUNNING_KEY, "another worker", 60)

    assert render_tasks.render_public() == 0
    assert render_tasks.refresh_public() is False
    assert passes == []


def test_a_render_overtaken_by_a_newer_version_stops_early(page, monkeypatch):
    real = render.render_one
    calls = []

    def render_one_then_a_change(*args, **kwargs):
        calls.append(1)
        entry = real(*args, **kwargs)
        if len(calls) == 3:
            public_version.bump()  # an operator posts an update
        return entry

    monkeypatch.setattr(render, "render_one", render_one_then_a_change)
    report = render_all(stop_if_overtaken=True)

    assert report.overtaken and report.rendered == 2 and len(calls) == 3


def test_an_update_to_one_incident_leaves_other_components_entries_byte_for_byte(page, renders_at_once, passes):
    auth, data = Component.objects.get(key="reserve-auth"), Component.objects.get(key="reserve-data")
    login = do_open_incident(name="Login fails", status="investigating", components={auth: "major_outage"})
    do_open_incident(name="Registration data wrong", status="identified", components={data: "partial_outage"})
    render_all()
    others = {key: component_entries(key)
              for key in Component.objects.exclude(pk=auth.pk).values_list("key", flat=True)}
    before_auth = component_entries("reserve-auth")
    assert all(body is not None for entries in others.values() for body in entries.values())

    do_post_update(login, status="identified", body="A bad deploy of the sign-in service.",
                   components={auth: "partial_outage"})
    publish._committed()

    report = passes[-1]
    assert report.carried >= len(others) * len(FEEDS) * len(languages()) and not report.overtaken
    for component, entries in others.items():
        assert component_entries(component) == entries, component
    after_auth = component_entries("reserve-auth")
    for key, body in after_auth.items():
        assert body is not None and body != before_auth[key], key
        if not key.endswith("badge.svg"):
            assert b"A bad deploy of the sign-in service." in body, key
    assert "A bad deploy" in stored(keys.snapshot_key("uk", f"/incidents/{login.pk}")).decode()


def test_a_renamed_component_is_rendered_again_though_no_incident_touches_it(page, renders_at_once, passes):
    render_all()
    component = Component.objects.get(key="oneid-signin")

    component.name = "OneID sign-in (new)"
    component.save()
    publish._committed()

    assert b"OneID sign-in (new)" in stored(keys.snapshot_key("en", "/components/oneid-signin/badge.svg"))
    assert b"OneID sign-in (new)" in stored(keys.snapshot_key("en", "/components/oneid-signin/history.atom"))


def test_a_carried_over_page_is_what_a_full_render_would_store(page, renders_at_once, passes):
    auth = Component.objects.get(key="reserve-auth")
    incident = do_open_incident(name="Login fails", status="investigating", components={auth: "major_outage"})
    render_all()
    do_post_update(incident, status="resolved", body="Sign-in works again.", components={auth: "operational"})
    publish._committed()
    carried = {key: stored(key) for key in component_entries("oneid-signin")}

    public_version.bump()
    render_all()  # everything, nothing carried

    for key, body in carried.items():
        if key.endswith(".atom") or key.endswith(".rss"):
            continue  # an empty feed is dated "now" by each render
        assert stored(key) == body, key


@pytest.fixture
def file_cache():
    if not hasattr(cache, "copy"):
        pytest.skip("the local file cache only (Redis copies with GET and SET)")
    return cache


def test_the_file_cache_links_a_carried_entry_that_has_long_to_live(file_cache):
    file_cache.set("source", {"body": b"x" * 1000}, 3600)

    assert file_cache.copy("source", "target", 3600)

    assert file_cache.get("target") == {"body": b"x" * 1000}
    assert os.stat(file_cache._key_to_file("target")).st_ino == os.stat(file_cache._key_to_file("source")).st_ino


def test_the_file_cache_copies_with_a_fresh_expiry_an_entry_about_to_expire(file_cache, time_machine):
    time_machine.move_to("2026-12-01 10:00Z", tick=False)
    file_cache.set("source", "bytes", 3600)
    time_machine.move_to("2026-12-01 10:50Z", tick=False)  # 10 minutes left

    assert file_cache.copy("source", "target", 3600)

    time_machine.move_to("2026-12-01 11:30Z", tick=False)
    assert file_cache.get("source") is None and file_cache.get("target") == "bytes"


def test_the_file_cache_copies_nothing_from_a_missing_or_expired_entry(file_cache, time_machine):
    time_machine.move_to("2026-12-01 10:00Z", tick=False)
    file_cache.set("source", "bytes", 60)
    time_machine.move_to("2026-12-01 10:02Z", tick=False)

    assert not file_cache.copy("source", "target", 3600) and not file_cache.copy("nothing", "target", 3600)
    assert file_cache.get("target") is None


def test_after_a_deploy_the_first_pass_renders_everything_again(page, renders_at_once, passes, monkeypatch):
    render_all()
    monkeypatch.setattr(render_inputs, "code_token", lambda: "another release")

    publish._committed()

    assert passes[-1].carried == 0 and passes[-1].rendered > 0


def test_a_pass_that_carries_entries_over_still_exports_every_file(page, renders_at_once, passes, settings, tmp_path):
    settings.PUBLIC_EXPORT_DIR = str(tmp_path / "site")
    auth = Component.objects.get(key="reserve-auth")
    incident = do_open_incident(name="Login fails", status="investigating", components={auth: "major_outage"})
    render_all()

    do_post_update(incident, status="identified", body="A bad deploy.")
    publish._committed()

    assert passes[-1].carried > 0
    site = tmp_path / "site"
    assert (site / "en" / "components" / "oneid-signin" / "history.atom").read_bytes() == stored(
        keys.snapshot_key("en", "/components/oneid-signin/history.atom"))
    assert b"A bad deploy." in (site / "en" / "components" / "reserve-auth" / "history.atom").read_bytes()
