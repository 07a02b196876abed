"""Render on write: every public URL, for every page language, rendered into snapshots.

`render_all()` runs after a public change commits (statuspage.render_tasks), under the
version that change set, so the next visitors read bytes instead of running views. It can
also write the same bytes, with .gz and .br beside them, to a folder that nginx or a CDN
serves directly (PUBLIC_EXPORT_DIR, or `manage.py render_public --export DIR`).

Every render is a synthetic anonymous GET through the whole middleware stack, with the
page's public URL as its host, so a snapshot is the same whoever triggered it and the
feeds' links and GUIDs never depend on the Host a visitor sent.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.core.paginator import Paginator
from django.urls import Resolver404, resolve
from django.utils import timezone

from statuspage import render_inputs, render_memo, snapshots, v2
from statuspage.i18n import html_lang
from statuspage.verification import manifest
from statuspage.views.public import HISTORY_PER_PAGE

log = logging.getLogger(__name__)

V2_PATHS = [
    "/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json",
]
PAGE_PATHS = ["/", "/history", "/history.rss", "/history.atom", "/subscribe", "/developers", "/verify", "/badge.svg",
              "/embed",
              "/.well-known/statuspage.json"]
HOT_PATHS = frozenset(PAGE_PATHS + V2_PATHS)
PERMALINK_DAYS = 90  # permalinks of incidents older than this render on their first visit
# The pages whose footer links to themselves in the other offered time zones (base.html).
TZ_LINKED_PATHS = ("/", "/history", "/subscribe")
EXPORT_HEADERS = ".headers.json"  # beside the exported files: the headers each is served with


class _RenderRequest(WSGIRequest):
    """A request whose host is the page's public URL, trusted because we built it."""

    public_host = "localhost"

    def get_host(self) -> str:
        return self.public_host


def public_base_url() -> str:
    from statuspage.models import PageSettings

    try:
        url = PageSettings.objects.values_list("url", flat=True).filter(pk=1).first()
    except Exception:  # noqa: BLE001 - the database is down: any stable host will do
        url = None
    return url or settings.PUBLIC_BASE_URL


def synthetic_request(key: str, base_url: str | None = None) -> WSGIRequest:
    """A cookie-less GET for a snapshot key ("lang|/path?query")."""
    lang, _, target = key.partition("|")
    path, _, query = target.partition("?")
    base = urlsplit(base_url or public_base_url())
    scheme = base.scheme or "http"
    environ = {
        # PEP 3333: PATH_INFO holds the path's UTF-8 bytes decoded as Latin-1.
        "REQUEST_METHOD": "GET", "PATH_INFO": path.encode().decode("latin-1"), "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": base.hostname or "localhost", "SERVER_PORT": str(base.port or (443 if scheme == "https" else 80)),
        # As a BCP 47 tag: a bare "uz" would read as Latin (statuspage.i18n.language_from_accept).
        "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_ACCEPT_LANGUAGE": html_lang(lang or settings.LANGUAGE_CODE),
        "wsgi.url_scheme": scheme, "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO(),
        snapshots.RENDER_FLAG: True,
    }
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        environ[header] = secure_value if scheme == "https" else "http"
    request = _RenderRequest(environ)
    request.public_host = base.netloc or "localhost"
    return request


def read_key_params(page=None) -> snapshots.KeyParams:
    """What snapshots.key_path needs to tell a query value that changes a page from one
    that does not: a count, and the page's settings unless given."""
    from statuspage.i18n import offered_time_zones
    from statuspage.models import Incident, PageSettings

    page = page or PageSettings.load()
    pages = Paginator(Incident.objects.public(), HISTORY_PER_PAGE).num_pages
    return snapshots.KeyParams(tuple(offered_time_zones(page)), page.time_zone, pages,
                               tuple(sorted((page.time_zones or {}).items())))


def render_languages(page) -> list[str]:
    """The page's languages that Django knows, and the default; others render on first visit."""
    known = {code for code, _ in settings.LANGUAGES}
    langs = [code for code in (page.languages or []) if code in known]
    return list(dict.fromkeys([*langs, settings.LANGUAGE_CODE]))


def public_paths(params: snapshots.KeyParams | None = None) -> list[str]:
    """Every public URL a visitor or a feed reader is likely to ask for, the crowd's first.
    With `params`, also what the pages link to beyond themselves: the history's other pages,
    and the status page, the history, /subscribe and the open incidents in the other time
    zones their footer offers, so that an outage serves them from their last copy. (Older
    permalinks in another zone render on their first visit: rendering them all would add
    ~40% to every pass.)"""
    from statuspage.models import Component, Incident

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


def public_keys(languages: list[str], params: snapshots.KeyParams) -> list[str]:
    """The snapshot keys of public_paths() in every language, as requests key them (a
    variant that shows what its page shows, `?tz=` of the reader's own zone, is left out)."""
    keys = []
    for url in public_paths(params):
        path, _, query = url.partition("?")
        if not is_snapshot_path(path):
            continue
        for lang in ([""] if path.startswith(snapshots.NOT_FROM_LANGUAGE) else languages):
            keys.append(snapshots.snapshot_key(lang, snapshots.key_path(path, query, lang, params)))
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


def render_one(key: str, base_url: str | None = None, handler: BaseHandler | None = None) -> snapshots.Entry | None:
    """Render one snapshot key through the whole middleware stack; None if not shareable."""
    response = (handler or _handler()).get_response(synthetic_request(key, base_url))
    if response.status_code >= 500:
        raise RenderFailed(f"{key} answered {response.status_code}")
    return snapshots.entry_from_response(response, key)


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
    (statuspage.render_inputs) is copied instead. With `stop_if_overtaken`, the pass stops
    as soon as a newer version is published: its render will follow (render_tasks).
    Stops at the first server error (RenderFailed): what was stored stays, and visitors
    get the last rendered copy of the rest.
    """
    from statuspage.models import PageSettings
    from statuspage.publish import public_version

    started, cpu_started = time.perf_counter(), time.process_time()
    version = public_version()  # before reading any state: a later change bumps it again
    page = PageSettings.load()
    base = v2.base_url(page)
    handler = _handler()
    report = RenderReport(version)
    entries: dict[str, snapshots.Entry] = {}
    params = read_key_params(page)
    snapshots.save_key_params(version, params)  # before the renders: hits of ?tz= need them
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
                if export_dir and (entry := cache.get(snapshots.entry_cache_key(version, key))) is not None:
                    entries[key] = entry
                if stop_if_overtaken and report.carried % OVERTAKEN_CHECK_EVERY == 0 and public_version() != version:
                    report.overtaken = True
                    break
                continue
            entry = render_one(key, base, handler)
            # Read after the render: a change bumps the version before it commits, so an
            # entry rendered from newer state is never stored under this version.
            if stop_if_overtaken and public_version() != version:
                report.overtaken = True
                break
            if entry is None:
                report.failed.append(key)
                continue
            snapshots.store(version, key, entry)
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
    source, target = snapshots.entry_cache_key(last[1], key), snapshots.entry_cache_key(version, key)
    if source == target:
        return cache.has_key(target)
    copy = getattr(cache, "copy", None)  # statuspage.cache.LocalFileCache: the bytes as they are
    if copy is not None:
        return copy(source, target, settings.PUBLIC_SNAPSHOT_TTL)
    entry = cache.get(source)
    if entry is not None:
        cache.set(target, entry, settings.PUBLIC_SNAPSHOT_TTL)
    return entry is not None


# --- The static export ----------------------------------------------------------------


def export_file(key: str) -> str | None:
    """Where a snapshot lives inside the export folder, or None if it is not exported."""
    lang, _, path = key.partition("|")
    if "?" in path or ".." in path:
        return None
    name = path.rstrip("/") + "/index.html" if path.endswith("/") else path
    if not name.rsplit("/", 1)[-1].count("."):
        name += ".html"
    return f"{lang}{name}" if lang else name.lstrip("/")


def export(entries: dict[str, snapshots.Entry], root: Path, version: str) -> Path:
    """Write a complete snapshot folder, then swap the `root` symlink to it atomically.

    nginx resolves the symlink per request, so a visitor sees the old site or the new one,
    never a mix; folders older than the previous one are removed.
    """
    root = root.absolute()
    if root.exists() and not root.is_symlink():
        raise ValueError(f"{root} exists and is not a symlink made by render_public; remove it first")
    store = root.parent / f".{root.name}.snapshots"
    now = time.time_ns()  # unique and sortable: never the folder nginx is reading
    target = store / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now / 1e9))}.{now % 10**9:09d}-{version[:12]}"
    target.mkdir(parents=True)
    headers: dict[str, int] = {}  # each distinct header list once: most files share one
    files: dict[str, int] = {}
    for key, entry in entries.items():
        name = export_file(key)
        if name is None:
            continue
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(entry.body)
        for encoding, suffix in (("gzip", ".gz"), ("br", ".br")):
            if encoding in entry.bodies:
                (path.parent / (path.name + suffix)).write_bytes(entry.bodies[encoding])
        files[name] = headers.setdefault(json.dumps([entry.content_type, entry.headers]), len(headers))
    (target / EXPORT_HEADERS).write_text(json.dumps({"headers": [json.loads(h) for h in headers], "files": files}))
    manifest.write(target, version)  # last: it signs the hash of every file above
    link = root.parent / f".{root.name}.tmp-{os.getpid()}"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(target.relative_to(root.parent))
    os.replace(link, root)  # atomic
    keep = {target.name}
    for old in sorted(store.iterdir(), reverse=True):
        if old.name in keep:
            continue
        if len(keep) < 2:  # the previous folder stays, for requests that opened it already
            keep.add(old.name)
            continue
        shutil.rmtree(old, ignore_errors=True)
    return target


_CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json",
                  ".rss": "application/rss+xml; charset=utf-8", ".atom": "application/atom+xml; charset=utf-8",
                  ".svg": "image/svg+xml; charset=utf-8"}


def entry_from_export(key: str) -> snapshots.Entry | None:
    """The exported copy of a snapshot, with the headers it was rendered with: the last
    resort when the cache is cold and the database is down."""
    if not settings.PUBLIC_EXPORT_DIR:
        return None
    name = export_file(key)
    if name is None:
        return None
    folder = Path(settings.PUBLIC_EXPORT_DIR).resolve()  # one folder for the body and its headers
    path = folder / name
    try:
        bodies = {"identity": path.read_bytes()}
    except OSError:
        return None
    for encoding, suffix in (("gzip", ".gz"), ("br", ".br")):
        try:
            bodies[encoding] = (path.parent / (path.name + suffix)).read_bytes()
        except OSError:
            pass
    content_type, headers = _exported_headers(str(folder)).get(name) or _default_headers(path.suffix)
    return snapshots.Entry(content_type, headers, bodies)


@functools.lru_cache(maxsize=4)
def _exported_headers(folder: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """The headers of each file of an export folder (a folder never changes once written)."""
    try:
        manifest = json.loads((Path(folder) / EXPORT_HEADERS).read_text())
    except (OSError, ValueError):
        return {}
    sets = [(content_type, [tuple(h) for h in headers]) for content_type, headers in manifest["headers"]]
    return {name: sets[i] for name, i in manifest["files"].items()}


def _default_headers(suffix: str) -> tuple[str, list[tuple[str, str]]]:
    """For a file with no recorded headers (an export older than .headers.json): those of an
    ordinary page, the strictest (the embed cannot be framed then)."""
    from csp.utils import build_policy

    return _CONTENT_TYPES.get(suffix, "application/octet-stream"), [
        ("Cache-Control", f"public, max-age={settings.PUBLIC_CACHE_MAX_AGE}, "
                          f"stale-while-revalidate={settings.PUBLIC_CACHE_STALE_WHILE_REVALIDATE}"),
        ("X-Frame-Options", settings.X_FRAME_OPTIONS),
        ("Content-Security-Policy", build_policy()),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", settings.SECURE_REFERRER_POLICY),
        ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY),
        ("Vary", "Accept-Language, Cookie, Accept-Encoding"),
    ]
