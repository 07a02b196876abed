"""Counters in the cache, each kept for a window after its last bump: the throttles of
sign-ins (statuspage.login_throttle) and of self-service subscriptions."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def counter_key(prefix: str, kind: str, *parts: str) -> str:
    """A key that keeps the counted values (addresses, usernames) out of the cache's keys."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{prefix}{kind}:{digest}"


def bump(key: str, window_s: int) -> int:
    """Count one more; the new count."""
    cache.add(key, 0, window_s)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: start again
        count = 1
        cache.set(key, count, window_s)
    # Redis keeps a key's expiry through INCR, the file cache's incr() re-sets it to the
    # default timeout: set it here, the same on both.
    cache.touch(key, window_s)
    return count
