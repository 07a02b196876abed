"""Failed sign-ins to the on-call console are counted and, past a limit, refused with 429.

Three counters, each kept until LOGIN_THROTTLE_WINDOW_S after its last failure (a refused
attempt checks no password, so it does not count):
- one username from one address (LOGIN_FAILURES_PER_USER_IP): a person who mistyped, or a
  guesser; a success clears it;
- one address, any usernames (LOGIN_FAILURES_PER_IP): credential stuffing from one host;
- one username, any addresses (LOGIN_FAILURES_PER_USER): guessing spread over many hosts.
  It is set high on purpose: anyone can make failures for a known username, and locking
  the on-call engineer out of the console during an incident is itself an attack.

The address is the client's as statuspage.client_address reads it (TRUSTED_PROXIES),
counted per IPv6 /64; without trusted proxies, everyone behind a proxy is one address.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache

from statuspage.client_address import address_bucket, client_ip
from statuspage.counters import bump, counter_key

PREFIX = "login-fail:"


def _key(kind: str, *parts: str) -> str:
    return counter_key(PREFIX, kind, *parts)


def _counters(request, username: str) -> list[tuple[str, int]]:
    username, ip = username.strip().lower(), address_bucket(client_ip(request))
    return [
        (_key("user-ip", username, ip), settings.LOGIN_FAILURES_PER_USER_IP),
        (_key("ip", ip), settings.LOGIN_FAILURES_PER_IP),
        (_key("user", username), settings.LOGIN_FAILURES_PER_USER),
    ]


def refused(request, username: str) -> bool:
    """True when this attempt must not even be checked: a limit is reached."""
    counts = cache.get_many([key for key, _ in _counters(request, username)])
    return any(counts.get(key, 0) >= limit for key, limit in _counters(request, username))


def record_failure(request, username: str) -> None:
    window = settings.LOGIN_THROTTLE_WINDOW_S
    for key, _ in _counters(request, username):
        bump(key, window)


def _on_failure(sender, credentials, request=None, **kwargs) -> None:
    if request is not None:
        record_failure(request, str(credentials.get("username", "")))


def _on_success(sender, request, user, **kwargs) -> None:
    if request is not None:
        cache.delete(_counters(request, user.get_username())[0][0])


def connect() -> None:
    user_login_failed.connect(_on_failure, dispatch_uid="statuspage.login_throttle.failure")
    user_logged_in.connect(_on_success, dispatch_uid="statuspage.login_throttle.success")
