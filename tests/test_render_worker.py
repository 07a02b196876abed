"""A real Celery worker renders the public pages after a change; visitors only read them."""

import pytest
from django.conf import settings
from django.core.cache import cache

from statuspage.public import keys
from statuspage.public import version as public_version
from tests.processes import celery_process, wait_for, worker_args

from .test_render_on_write import PAGES, V2

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def rendered(key: str) -> bool:
    return cache.get(keys.entry_cache_key(public_version.current(), key)) is not None


def test_after_an_update_commits_the_worker_renders_and_no_visitor_touches_the_database(
        page, api, anon, django_assert_num_queries):
    # The worker shares this process's var dir (its broker folder and file cache), or Redis.
    redis = {"REDIS_URL": settings.REDIS_URL} if settings.REDIS_URL else {}
    with celery_process("worker", "filesystem", settings.VAR_DIR, *worker_args("render"), log_name="render-worker",
                        **redis):
        incident = api.post("/api/v1/incidents/", {"name": "Registration data shown wrong", "status": "identified",
                                                   "components": {"reserve-data": "major_outage"}},
                            format="json").json()
        api.post(f"/api/v1/incidents/{incident['id']}/updates/",
                 {"status": "monitoring", "body": "A fix is deployed."}, format="json")

        wait_for(lambda: all(rendered(keys.snapshot_key(lang, url)) for url in PAGES + V2 for lang in ("uk", "en")),
                 what="the worker to render the new version")

    with django_assert_num_queries(0):
        home = anon.get("/")
        feed = anon.get("/history.atom")
        status = anon.get("/api/v2/status.json")
    assert "A fix is deployed." in home.content.decode() and "A fix is deployed." in feed.content.decode()
    assert status.json()["status"]["indicator"] == "critical"


def test_ten_changes_during_a_render_cost_the_render_worker_one_more_render(page):
    from statuspage.public import render_tasks
    from statuspage.services import changes as publish

    redis = {"REDIS_URL": settings.REDIS_URL} if settings.REDIS_URL else {}
    log = settings.VAR_DIR / "render-burst.log"
    seen = log.stat().st_size if log.exists() else 0
    with celery_process("worker", "filesystem", settings.VAR_DIR, *worker_args("render"), log_name="render-burst",
                        **redis):
        publish._committed()  # what each commit of a public change runs: bump, queue a render
        wait_for(lambda: cache.get(render_tasks.RUNNING_KEY), interval=0.01, what="the first render to start")
        for _ in range(10):  # while it renders
            publish._committed()

        def passes() -> list[str]:
            text = log.read_bytes()[seen:].decode(errors="replace")
            return [line for line in text.splitlines() if "public responses (" in line]

        wait_for(lambda: passes() and cache.get(render_tasks.QUEUED_KEY) is None
                 and cache.get(render_tasks.RUNNING_KEY) is None, what="the worker to render the burst")
        wait_for(lambda: rendered(keys.snapshot_key("en", "/")), what="the last version to be rendered")

    # The first (overtaken, or done), then one for all ten, which renders the last version. On
    # a loaded machine the ten changes take long enough to overtake a second pass before it
    # renders anything: such a pass did no work, and only passes that did work are counted.
    worked = [line for line in passes() if "overtaken after 0 public responses" not in line]
    assert len(worked) <= 2 and "rendered" in passes()[-1], passes()
