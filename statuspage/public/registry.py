"""Every public URL, once: its name, its route, what of the query it reads, where it is fed.

statuspage/urls.py routes these names to their views, rendering (statuspage.public.render)
renders those marked to be rendered on write, the snapshot keys (statuspage.public.keys)
keep only the query parameters a URL reads, and the cache headers middleware marks them
public. A new public page is one line here and one view.
"""

from __future__ import annotations

from dataclasses import dataclass

HISTORY_PER_PAGE = 20  # incidents per page of /history; rendering renders every page of it


@dataclass(frozen=True)
class PublicUrl:
    name: str
    route: str  # as django.urls.path() takes it
    # Query parameters the view reads: `tz` (pages in the reader's time zone, the feeds:
    # statuspage.i18n.reader_time_zone), `page` (the history). Any other parameter shares
    # the URL's snapshot instead of costing a render.
    reads: frozenset[str] = frozenset()
    # "page": rendered on every write, the crowd's first; "v2": the same, one copy for every
    # language; "object": one per incident or component (render.public_paths lists them).
    rendered: str = ""
    zones: bool = False  # its footer links to itself in the page's other time zones
    snapshot: bool = True  # answered from snapshots (views.cached.public_cached)
    lookup: str = ""  # a query parameter that asks a question: with it, an answer, never a snapshot

    @property
    def path(self) -> str:
        return "/" + self.route

    @property
    def prefix(self) -> str:
        """What every path of this route starts with (the whole path if it has no parameter)."""
        return self.path.partition("<")[0]


_TZ = frozenset({"tz"})
URLS = [
    PublicUrl("status-page", "", _TZ, "page", zones=True),
    PublicUrl("history", "history", frozenset({"tz", "page"}), "page", zones=True),
    PublicUrl("history-rss", "history.rss", _TZ, "page"),
    PublicUrl("history-atom", "history.atom", _TZ, "page"),
    PublicUrl("subscribe", "subscribe", _TZ, "page", zones=True),
    PublicUrl("developers", "developers", _TZ, "page"),
    PublicUrl("verify", "verify", _TZ, "page", lookup="code"),
    PublicUrl("badge", "badge.svg", rendered="page"),
    PublicUrl("embed", "embed", _TZ, "page"),
    PublicUrl("well-known", ".well-known/statuspage.json", rendered="page"),
    PublicUrl("incident", "incidents/<str:incident_id>", _TZ, "object"),
    PublicUrl("component-rss", "components/<slug:key>/history.rss", _TZ, "object"),
    PublicUrl("component-atom", "components/<slug:key>/history.atom", _TZ, "object"),
    PublicUrl("component-badge", "components/<slug:key>/badge.svg", rendered="object"),
    PublicUrl("v2-summary", "api/v2/summary.json", rendered="v2"),
    PublicUrl("v2-status", "api/v2/status.json", rendered="v2"),
    PublicUrl("v2-components", "api/v2/components.json", rendered="v2"),
    PublicUrl("v2-incidents", "api/v2/incidents.json", rendered="v2"),
    PublicUrl("v2-incidents-unresolved", "api/v2/incidents/unresolved.json", rendered="v2"),
    PublicUrl("v2-maintenances", "api/v2/scheduled-maintenances.json", rendered="v2"),
    PublicUrl("v2-maintenances-upcoming", "api/v2/scheduled-maintenances/upcoming.json", rendered="v2"),
    PublicUrl("v2-maintenances-active", "api/v2/scheduled-maintenances/active.json", rendered="v2"),
    # Public, never snapshots: the keys come from the environment; health is live.
    PublicUrl("signing-keys", ".well-known/statuspage-keys.json", snapshot=False),
    PublicUrl("healthz", "healthz", snapshot=False),
]
BY_NAME = {url.name: url for url in URLS}

PAGE_PATHS = [u.path for u in URLS if u.rendered == "page"]
V2_PATHS = [u.path for u in URLS if u.rendered == "v2"]
HOT_PATHS = frozenset(PAGE_PATHS + V2_PATHS)  # the best compression: what a crowd reads
TZ_LINKED_PATHS = tuple(u.path for u in URLS if u.zones)
READS_TZ = frozenset(u.name for u in URLS if "tz" in u.reads)
READS_PAGE = frozenset(u.name for u in URLS if "page" in u.reads)
LOOKUPS = {u.path: u.lookup for u in URLS if u.lookup}
# The same bytes whatever the reader's language: one snapshot for all.
LANGUAGE_FREE = frozenset(V2_PATHS + [BY_NAME["well-known"].path])
_SNAPSHOT_EXACT = frozenset(u.path for u in URLS if u.snapshot and "<" not in u.route)
_SNAPSHOT_PREFIXES = tuple(sorted({u.prefix for u in URLS if u.snapshot and "<" in u.route}))
# A lookup's answers are per reader: its view says how each may be cached.
_PUBLIC_EXACT = frozenset(u.path for u in URLS if "<" not in u.route and not u.lookup)
_PUBLIC_PREFIXES = tuple(sorted({u.prefix for u in URLS if "<" in u.route}))


def may_be_snapshot(path: str) -> bool:
    """Whether a path may be answered from a snapshot (its view decides for sure)."""
    return path in _SNAPSHOT_EXACT or path.startswith(_SNAPSHOT_PREFIXES)


def is_public(path: str) -> bool:
    """Whether a path is a public page: cacheable by browsers and CDNs (docs/api.md)."""
    return path in _PUBLIC_EXACT or path.startswith(_PUBLIC_PREFIXES)
