"""The public version: one value in the shared cache that names the state readers get.

Every snapshot is stored under the version it was rendered for, so changing the value
retires them all at once. This module is the bottom of the read side: it imports nothing
of the project. Writers bump it through statuspage.services.changes; the snapshot store
asks to hear of bumps made in its own process (on_bump) so it re-reads the value at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.core.cache import cache

KEY = "public:version"
_listeners: list[Callable[[], None]] = []


def current() -> str:
    """The version readers are served under (made on first use)."""
    version = cache.get(KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(KEY, version, None)
        version = cache.get(KEY) or version
    return version


def bump() -> None:
    """Retire every snapshot: readers re-render from the state as it is now."""
    cache.set(KEY, uuid.uuid4().hex, None)
    for listener in _listeners:
        listener()


def on_bump(listener: Callable[[], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)
