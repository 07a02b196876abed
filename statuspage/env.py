"""Typed readers for settings from the environment.

Each helper fails loudly on a malformed value: a typo in production must stop the
process at start, not silently fall back to a default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from statuspage.networks import IPNetwork, parse_networks

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# Every name the settings read: the service's own configuration, which probes may never read.
READ: set[str] = set()


def _get(name: str, default: str | None = None) -> str | None:
    READ.add(name)
    return os.environ.get(name, default)


def envstr(name: str, default: str = "") -> str:
    return _get(name, default)  # type: ignore[return-value]


def envbool(name: str, default: bool) -> bool:
    raw = _get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def envint(name: str, default: int) -> int:
    return _parsed(name, default, int, "an integer")


def envfloat(name: str, default: float) -> float:
    return _parsed(name, default, float, "a number")


def _parsed(name, default, parse, what):
    raw = _get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {what}") from None


def envlist(name: str, default: list[str] | None = None) -> list[str]:
    raw = _get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def envnetworks(name: str, default: str) -> list[IPNetwork]:
    try:
        return parse_networks(_get(name, default) or "", name)
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from None


def envproxies(name: str) -> int | list[IPNetwork]:
    """A count of proxies in front (`2`) or their networks (`10.0.0.0/8,fd00::/8`); 0 if unset."""
    raw = (_get(name) or "").strip()
    if raw.isdigit():
        return int(raw)
    return envnetworks(name, "") if raw else 0


def envsecret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE (Docker/K8s secrets)."""
    path = _get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r}: {exc}") from None
    return _get(name, default)


# Never readable by a probe, whether or not this process's settings read them.
NEVER_PROBE_ENV = frozenset({
    "SECRET_KEY", "WEBHOOK_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
    "EMAIL_HOST_PASSWORD", "EMAIL_HOST_USER", "DJANGO_SETTINGS_MODULE",
})


def check_probe_env_allow(allowed: list[str], name: str = "PROBE_ENV_ALLOW") -> None:
    """Stop the process if the names `{{ env.NAME }}` may read include a setting the service
    reads itself (its secrets, its connections). Call it once every setting is read."""
    forbidden = NEVER_PROBE_ENV | READ | {f"{n}_FILE" for n in NEVER_PROBE_ENV | READ}
    refused = sorted(n for n in allowed if n in forbidden)
    if refused:
        raise ImproperlyConfigured(f"{name} lists {', '.join(refused)}: the service's own settings and secrets "
                                   "can never be given to probes")
    bad = [n for n in allowed if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)]
    if bad:
        raise ImproperlyConfigured(f"{name}: {bad[0]!r} is not an environment variable name")
