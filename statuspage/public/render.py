"""Render on write: every public URL, for every page language, rendered into snapshots.

`render_all()` runs after a public change commits (statuspage.public.render_tasks), under the
version that change set, so the next visitors read bytes instead of running views. It can
also write the same bytes, with .gz and .br beside them, to a folder that nginx or a CDN
serves directly (PUBLIC_EXPORT_DIR, or `manage.py render_public --export DIR`).

Every render is a synthetic anonymous GET through the whole middleware stack, with the
page's public URL as its host, so a snapshot is the same whoever triggered it and the
feeds' links and GUIDs never depend on the Host a visitor sent.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.base import BaseHandler
from django.urls import Resolver404, resolve
from django.utils import timezone

from statuspage.models import Component, Incident, PageSettings
from statuspage.public import render_inputs, render_memo, store, v2
from statuspage.public.entries import Entry, entry_from_response
from statuspage.public.export import export
from statuspage.public.keys import KeyParams, entry_cache_key, key_path, snapshot_key
from statuspage.public.registry import HISTORY_PER_PAGE, LANGUAGE_FREE, PAGE_PATHS, TZ_LINKED_PATHS, V2_PATHS
from statuspage.public.synthetic import read_key_params, synthetic_request
from statuspage.public.version import current as current_version

log = logging.getLogger(__name__)

PERMALINK_DAYS = 90  # permalinks of incidents older than this render on their first visit


def render_languages(page) -> list[str]:
    """The page's languages that Django knows, and the default; others render on first visit."""
    known = {code for code, _ in settings.LANGUAGES}
    langs = [code for code in (page.languages or []) if code in known]
    return list(dict.fromkeys([*langs, settings.LANGUAGE_CODE]))


def public_paths(params: KeyParams | None = None) -> list[str]:
    """Every public URL a visitor or a feed reader is likely to ask for, the crowd's first.
    With `params`, also what the pages link to beyond themselves: the history's other pages,
    and the status page, the history, /subscribe and the open incidents in the other time
    zones their footer offers, so that an outage serves them from their last copy. (Older
    permalinks in another zone render on their first visit: rendering them all would add
    ~40% to every pass.)"""

    since = timezone.now() - timedelta(days=PERMALINK_DAYS)
    public = Incident.objects.public()
    open_ids = list(public.open().values_list("id", flat=True))
    incidents = list(dict.fromkeys([
        *open_ids,
        *public.order_by("-started_at").values_list("id", flat=True)[:HISTORY_PER_PAGE],  # history, first page
        *public.filter(started_at__gte=since).values_list("id", flat=True),
    ]))
    components = list(Component.objects.order_by("position", "key").values_list("key", flat=True))
    pages, zones = (params.history_pages, params.zones) if params else (1, ())
    in_zones = [*TZ_LINKED_PATHS, *(f"/incidents/{i}" for i in open_ids)]
    return [
        *PAGE_PATHS, *V2_PATHS,
        *(f"{path}?{urlencode({'tz': zone})}" for path in in_zones for zone in zones),
        *(f"/history?page={n}" for n in range(2, pages + 1)),
        *(f"/incidents/{i}" for i in incidents),
        *(f"/components/{k}/{name}" for k in components for name in ("history.rss", "history.atom", "badge.svg")),
    ]


def public_keys(languages: list[str], params: KeyParams) -> list[str]:
    """The snapshot keys of public_paths() in every language, as requests key them (a
    variant that shows what its page shows, `?tz=` of the reader's own zone, is left out)."""
    keys = []
    for url in public_paths(params):
        path, _, query = url.partition("?")
        if not is_snapshot_path(path):
            continue
        for lang in ([""] if path in LANGUAGE_FREE else languages):
            keys.append(snapshot_key(lang, key_path(path, query, lang, params)))
    return list(dict.fromkeys(keys))


def is_snapshot_path(path: str) -> bool:
    try:
        return bool(getattr(resolve(path).func, "public_snapshot", False))
    except Resolver404:
        return False


_handlers: list[BaseHandler] = []


def _handler() -> BaseHandler:
    """The whole middleware stack, loaded once per process (WhiteNoise alone scans every
    static file when it loads)."""
    if not _handlers:
        handler = BaseHandler()
        handler.load_middleware()
        _handlers.append(handler)
    return _handlers[0]


class RenderFailed(Exception):
    """A render answered 5xx: the database is likely down, so the rest would fail too."""


def render_one(key: str, base_url: str | None = None, handler: BaseHandler | None = None) -> Entry | None:
    """Render one snapshot key through the whole middleware stack; None if not shareable."""
    response = (handler or _handler()).get_response(synthetic_request(key, base_url))
    if response.status_code >= 500:
        raise RenderFailed(f"{key} answered {response.status_code}")
    return entry_from_response(response, key)


@dataclass
class RenderReport:
    version: str
    rendered: int = 0
    carried: int = 0  # entries whose inputs did not change: copied, not rendered
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time: the work, whatever else runs
    overtaken: bool = False  # a newer version was published: stopped early
    export_dir: Path | None = None


OVERTAKEN_CHECK_EVERY = 50  # carried entries between two reads of the version


def render_all(export_dir: str | Path | None = None, carry_over: bool = False,
               stop_if_overtaken: bool = False) -> RenderReport:
    """Render every public URL under the current version (and export it if asked).

    With `carry_over`, an entry whose inputs did not change since it was last rendered
    (statuspage.public.render_inputs) is copied instead. With `stop_if_overtaken`, the pass stops
    as soon as a newer version is published: its render will follow (render_tasks).
    Stops at the first server error (RenderFailed): what was stored stays, and visitors
    get the last rendered copy of the rest.
    """

    started, cpu_started = time.perf_counter(), time.process_time()
    version = current_version()  # before reading any state: a later change bumps it again
    page = PageSettings.load()
    base = v2.base_url(page)
    handler = _handler()
    report = RenderReport(version)
    entries: dict[str, Entry] = {}
    params = read_key_params(page)
    store.save_key_params(version, params)  # before the renders: hits of ?tz= need them
    inputs = render_inputs.Inputs()
    known = render_inputs.known()
    keys = public_keys(render_languages(page), params)
    export_dir = export_dir or settings.PUBLIC_EXPORT_DIR
    with render_memo.render_pass():  # the status page's copies share their uptime bars
        for key in keys:
            digest = inputs.of(key)
            if carry_over and digest and _carry(version, key, digest, known):
                report.carried += 1
                known[key] = (digest, version)
                if export_dir and (entry := cache.get(entry_cache_key(version, key))) is not None:
                    entries[key] = entry
                if stop_if_overtaken and report.carried % OVERTAKEN_CHECK_EVERY == 0 and current_version() != version:
                    report.overtaken = True
                    break
                continue
            entry = render_one(key, base, handler)
            # Read after the render: a change bumps the version before it commits, so an
            # entry rendered from newer state is never stored under this version.
            if stop_if_overtaken and current_version() != version:
                report.overtaken = True
                break
            if entry is None:
                report.failed.append(key)
                continue
            store.store(version, key, entry)
            report.rendered += 1
            entries[key] = entry
            if digest:
                known[key] = (digest, version)
    render_inputs.save_known({key: known[key] for key in keys if key in known})
    if export_dir and not report.overtaken:
        report.export_dir = export(entries, Path(export_dir), version)
    report.seconds = time.perf_counter() - started
    report.cpu_seconds = time.process_time() - cpu_started
    log.info("%s %d public responses (%d carried over) for version %s in %.2fs",
             "overtaken after" if report.overtaken else "rendered", report.rendered, report.carried, version[:8],
             report.seconds)
    return report


def _carry(version: str, key: str, digest: str, known: dict) -> bool:
    """Store under `version` the entry last rendered from the same inputs; False if its
    inputs changed or it has expired (then it is rendered)."""
    last = known.get(key)
    if last is None or last[0] != digest:
        return False
    source, target = entry_cache_key(last[1], key), entry_cache_key(version, key)
    if source == target:
        return cache.has_key(target)
    copy = getattr(cache, "copy", None)  # statuspage.cache.LocalFileCache: the bytes as they are
    if copy is not None:
        return copy(source, target, settings.PUBLIC_SNAPSHOT_TTL)
    entry = cache.get(source)
    if entry is not None:
        cache.set(target, entry, settings.PUBLIC_SNAPSHOT_TTL)
    return entry is not None


