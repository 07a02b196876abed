"""`manage.py drill MODE`: make the bundled demo target misbehave, to rehearse an outage."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo_target.server import MODES

TIMEOUT_S = 5.0
TRIP = "and trip its component within about interval × trip_after"

# What the operator should then see on the status page, per mode.
EXPECT: dict[str, str] = {
    "ok": (
        "Everything answers correctly again: tripped probes recover after recover_after good runs "
        "and their automatic incidents resolve."
    ),
    "login_down": (
        "Reserve+ login and OneID sign-in now answer 503: the probe reserve-login-and-profile "
        f"(and any OneID sign-in probe) should fail with http_status {TRIP}."
    ),
    "wrong_deferral": (
        "Reserve+ now shows a false deferral (granted until the end of martial law): the probe "
        f"reserve-login-and-profile should fail with assertion {TRIP}."
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


class Command(BaseCommand):
    help = "Switch the bundled demo target to a failure mode (or back to ok) to rehearse an outage."
    requires_system_checks: list[str] = []  # it only talks HTTP: no need to load URLs or models first

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mode", nargs="?", choices=list(MODES), help="; ".join(f"{name}: {what}" for name, what in MODES.items()))
        parser.add_argument("--status", action="store_true", help="print the current mode, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        mode: str | None = options["mode"]
        if options["status"] == (mode is not None):
            raise CommandError("give either a MODE or --status")

        base = getattr(settings, "DEMO_TARGET_URL", "http://127.0.0.1:8001").rstrip("/")
        state = self._call(base, mode)
        current = state.get("mode", "?")
        description = MODES.get(current, "unknown mode")
        if mode is None:
            self.stdout.write(f"Demo target at {base} is in mode {current}: {description}.")
            return

        previous = state.get("previous", "?")
        if previous == current:
            self.stdout.write(f"Demo target at {base} was already in mode {current}; nothing changed.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo target at {base}: {previous} → {current}"))
        self.stdout.write(EXPECT.get(current, description).format(slow_ms=state.get("slow_ms", "?")))

    def _call(self, base: str, mode: str | None) -> dict[str, Any]:
        url = f"{base}/_drill"
        try:
            with httpx.Client(trust_env=False, timeout=TIMEOUT_S) as client:
                response = client.get(url) if mode is None else client.post(url, json={"mode": mode})
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise CommandError(
                f"demo target not reachable at {base}; is `make run` running with DEMO_TARGET=1?"
            ) from None
        except httpx.TimeoutException:
            raise CommandError(f"demo target at {base} did not answer within {TIMEOUT_S:g} s") from None
        except httpx.HTTPError as error:
            raise CommandError(f"demo target at {base} failed: {error}") from None

        try:
            state = response.json()
        except ValueError:
            state = None
        if response.status_code != 200 or not isinstance(state, dict):
            raise CommandError(
                f"{url} answered {response.status_code}: {response.text[:200]!r}; "
                "does DEMO_TARGET_URL point at the demo target?"
            )
        return state
