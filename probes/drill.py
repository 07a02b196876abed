"""Drills: switch the bundled demo target to a failure mode, to rehearse an outage.

One place for both doors: `manage.py drill MODE` and the button on the admin's Probes page.
"""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from demo_target.server import MODES

TIMEOUT_S = 5.0
TRIP = "and trip its component within about interval × trip_after"

# What the operator should then see on the status page, per mode.
EXPECT: dict[str, str] = {
    "ok": (
        "Everything answers correctly again: tripped probes recover after recover_after good runs, "
        "their automatic incidents move to monitoring, and resolve after monitoring_for without a re-trip."
    ),
    "login_down": (
        "Reserve+ login and OneID sign-in now answer 503: the probes reserve-sign-in (Authorization), "
        "reserve-login-and-profile, reserve-notifications and oneid-signin-and-owner should fail with "
        f"http_status {TRIP}."
    ),
    "wrong_deferral": (
        "Reserve+ now shows a false deferral (granted until the end of martial law): the probes "
        "reserve-login-and-profile (Registration data) and reserve-notifications (Notifications) should "
        f"fail with assertion {TRIP}, in the config's public words."
    ),
    "slow": (
        "Every Reserve+ and OneID answer now takes {slow_ms} ms: probes slower than degraded_over "
        "should mark their component degraded_performance, and steps with a lower max_ms fail with latency."
    ),
    "wrong_owner": (
        "OneID now shows a stranger's passport and a registration by a stranger: a OneID probe "
        f"that checks the owner's data should fail with assertion {TRIP}."
    ),
    "sms_down": (
        "OneID's SMS step now answers 500: a OneID sign-in probe should fail at that step with "
        f"http_status {TRIP}."
    ),
}


class DrillError(Exception):
    """The demo target could not be switched; the message says why, for a person."""


def target_url() -> str:
    return settings.DEMO_TARGET_URL.rstrip("/")


def switch(mode: str | None) -> dict[str, Any]:
    """POST the mode to the demo target (None: only ask it); its state: mode, previous, slow_ms."""
    base = target_url()
    url = f"{base}/_drill"
    try:
        with httpx.Client(trust_env=False, timeout=TIMEOUT_S) as client:
            response = client.get(url) if mode is None else client.post(url, json={"mode": mode})
    except (httpx.ConnectError, httpx.ConnectTimeout):
        raise DrillError(f"demo target not reachable at {base}; is `make run` running with DEMO_TARGET=1?") from None
    except httpx.TimeoutException:
        raise DrillError(f"demo target at {base} did not answer within {TIMEOUT_S:g} s") from None
    except httpx.HTTPError as error:
        raise DrillError(f"demo target at {base} failed: {error}") from None

    try:
        state = response.json()
    except ValueError:
        state = None
    if response.status_code != 200 or not isinstance(state, dict):
        raise DrillError(f"{url} answered {response.status_code}: {response.text[:200]!r}; "
                         "does DEMO_TARGET_URL point at the demo target?")
    return state


def expectation(state: dict[str, Any]) -> str:
    current = state.get("mode", "?")
    return EXPECT.get(current, MODES.get(current, "unknown mode")).format(slow_ms=state.get("slow_ms", "?"))
