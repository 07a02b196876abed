"""Where snapshots are kept: the shared cache under each version, and each process's memo.

Each process keeps what it served in memory and checks the version on every request (a
stat() of the version's file with the local cache, a GET with Redis; PUBLIC_VERSION_CHECK_S
trades that for a delay), so the request after a change, in any process, sees it. The last
copy of every key is kept whatever its version: it is served while rendering fails.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from statuspage.public import version as public_version
from statuspage.public.entries import Entry
from statuspage.public.export import entry_from_export
from statuspage.public.keys import LAST_PARAMS_KEY, KeyParams, entry_cache_key, last_cache_key, params_cache_key
from statuspage.public.synthetic import read_key_params

log = logging.getLogger(__name__)

_MAX_MEMO = 4096
RETRY_RENDER_AFTER_S = 5.0



class _Memo:
    def __init__(self) -> None:
        self.version: str | None = None
        self.checked = float("-inf")
        self.stamp: tuple | None = None
        self.entries: dict[str, Entry] = {}
        self.last: dict[str, Entry] = {}
        self.params: KeyParams | None = None  # of `version`
        self.lock = threading.Lock()
        self.render_failed_at = float("-inf")

    def render_failing(self) -> bool:
        """A render failed (the database is down) moments ago: serve the last copies
        without trying again on every request, which would queue them all behind it."""
        return time.monotonic() - self.render_failed_at < RETRY_RENDER_AFTER_S

    def current_version(self) -> str:
        """The public version, re-read when it may have changed: on every request by
        default (a stat() with the local file cache, a GET with Redis), else every
        PUBLIC_VERSION_CHECK_S seconds."""
        now = time.monotonic()
        stamp_of = getattr(cache, "stamp", None)  # statuspage.cache.LocalFileCache
        stamp = stamp_of(public_version.KEY) if stamp_of is not None else None
        if stamp is not None:
            stale = stamp != self.stamp or self.version is None
        else:
            stale = now - self.checked >= settings.PUBLIC_VERSION_CHECK_S or self.version is None
        if stale:
            version = public_version.current()
            with self.lock:
                if version != self.version:
                    # A new version was committed (or rendered): the database answers again.
                    self.version, self.entries, self.params = version, {}, None
                    self.render_failed_at = float("-inf")
                self.checked, self.stamp = now, stamp
        return self.version  # type: ignore[return-value]

    def remember(self, version: str | None, key: str, entry: Entry) -> None:
        with self.lock:
            if version is not None and version == self.version:
                _bounded_set(self.entries, key, entry)
            _bounded_set(self.last, key, entry)

    def remember_params(self, version: str, params: KeyParams) -> None:
        with self.lock:
            if version == self.version:
                self.params = params


def _bounded_set(memo: dict, key: str, value) -> None:
    """Set, dropping the oldest entry when full (not all of them at once, which made the
    next requests of every page read the cache again)."""
    if key not in memo and len(memo) >= _MAX_MEMO:
        memo.pop(next(iter(memo)))
    memo[key] = value


_memo = _Memo()


def version_changed() -> None:
    """Called on every bump made in this process: its next request re-reads the version."""
    _memo.checked, _memo.stamp = float("-inf"), None


public_version.on_bump(version_changed)


def forget() -> None:
    """Drop this process's memory of snapshots (tests clear the cache between cases)."""
    global _memo
    _memo = _Memo()


def lookup(key: str) -> Entry | None:
    """The snapshot of `key` for the current version, or None: a hit never renders."""
    version = _memo.current_version()
    entry = _memo.entries.get(key)
    if entry is None:
        entry = cache.get(entry_cache_key(version, key))
        if entry is not None:
            _memo.remember(version, key, entry)
    return entry


def last_rendered(key: str) -> Entry | None:
    """The most recent snapshot of `key`, whatever its version (stale, but served)."""
    entry = _memo.last.get(key)
    if entry is not None:
        return entry
    try:
        entry = cache.get(last_cache_key(key))
    except Exception:  # noqa: BLE001 - the cache is down too: try the export folder
        entry = None
    if entry is None:
        entry = entry_from_export(key)
    if entry is not None:
        _memo.remember(None, key, entry)  # the next request of the outage reads memory
    return entry


def store(version: str, key: str, entry: Entry) -> None:
    cache.set(entry_cache_key(version, key), entry, settings.PUBLIC_SNAPSHOT_TTL)
    # Every key has its last copy, query variants too: they are bounded (key_path).
    cache.set(last_cache_key(key), entry, None)
    _memo.remember(version, key, entry)


def save_key_params(version: str, params: KeyParams) -> None:
    cache.set(params_cache_key(version), params, settings.PUBLIC_SNAPSHOT_TTL)
    cache.set(LAST_PARAMS_KEY, params, None)
    _memo.remember_params(version, params)


def key_params(may_query: bool = True) -> KeyParams | None:
    """The KeyParams of the current version: from memory, else the cache, else (only if
    `may_query`) the database. While the database is failing, the last ones saved (they
    describe the last rendered copies, which is what is served then); None if the front
    door cannot know them without a query."""
    version = _memo.current_version()
    params = _memo.params or cache.get(params_cache_key(version))
    if params is not None:
        _memo.remember_params(version, params)
        return params
    if _memo.render_failing():
        return cache.get(LAST_PARAMS_KEY) or KeyParams()
    if not may_query:
        return None
    try:
        params = read_key_params()
    except DatabaseError:
        _memo.render_failed_at = time.monotonic()
        log.warning("serving by the last key parameters: the database is unavailable")
        return cache.get(LAST_PARAMS_KEY) or KeyParams()
    save_key_params(version, params)
    return params



def current_version() -> str:
    return _memo.current_version()


def render_failing() -> bool:
    return _memo.render_failing()


def render_failed() -> None:
    """A render failed (5xx): serve the last copies for RETRY_RENDER_AFTER_S."""
    _memo.render_failed_at = time.monotonic()
