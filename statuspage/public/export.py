"""The static export: the rendered snapshots as files that nginx or a CDN serves directly.

Written beside their .gz and .br, with the headers each is served with, and signed
(statuspage.verification.manifest); the last resort when the cache is cold and the
database is down (entry_from_export).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
from pathlib import Path

from csp.utils import build_policy
from django.conf import settings

from statuspage.public.entries import Entry
from statuspage.verification import manifest

EXPORT_HEADERS = ".headers.json"  # beside the exported files: the headers each is served with



def export_file(key: str) -> str | None:
    """Where a snapshot lives inside the export folder, or None if it is not exported."""
    lang, _, path = key.partition("|")
    if "?" in path or ".." in path:
        return None
    name = path.rstrip("/") + "/index.html" if path.endswith("/") else path
    if not name.rsplit("/", 1)[-1].count("."):
        name += ".html"
    return f"{lang}{name}" if lang else name.lstrip("/")


def export(entries: dict[str, Entry], root: Path, version: str) -> Path:
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


def entry_from_export(key: str) -> Entry | None:
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
    return Entry(content_type, headers, bodies)


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
