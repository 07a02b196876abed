"""`manage.py drill MODE`: make the bundled demo target misbehave, to rehearse an outage."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo_target.server import MODES
from probes.drill import DrillError, expectation, switch, target_url


class Command(BaseCommand):
    help = "Switch the bundled demo target to a failure mode (or back to ok) to rehearse an outage."
    requires_system_checks: list[str] = []  # it only talks HTTP: no need to load URLs or models first

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mode", nargs="?", choices=list(MODES),
                            help="; ".join(f"{name}: {what}" for name, what in MODES.items()))
        parser.add_argument("--status", action="store_true", help="print the current mode, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        mode: str | None = options["mode"]
        if options["status"] == (mode is not None):
            raise CommandError("give either a MODE or --status")
        try:
            state = switch(mode)
        except DrillError as error:
            raise CommandError(str(error)) from None

        base, current = target_url(), state.get("mode", "?")
        if mode is None:
            self.stdout.write(f"Demo target at {base} is in mode {current}: {MODES.get(current, 'unknown mode')}.")
            return
        previous = state.get("previous", "?")
        if previous == current:
            self.stdout.write(f"Demo target at {base} was already in mode {current}; nothing changed.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo target at {base}: {previous} → {current}"))
        self.stdout.write(expectation(state))
