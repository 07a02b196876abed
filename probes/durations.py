"""Durations as written in the config file: "250ms", "2s", "1.5s", "5m" or a bare int (ms)."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*([0-9]{1,12}(?:\.[0-9]{1,6})?)\s*(ms|s|m)\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000}
_MAX_MS = 1000 * 86_400_000  # far above any sane probe setting, below any overflow


def parse_duration_ms(value: object) -> int:
    """Return the duration in whole milliseconds; raise ValueError on anything else."""
    # bool is an int subclass: `timeout: yes` in YAML must not become 1 ms.
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 250ms, 2s or 5m, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        if value > _MAX_MS:
            raise ValueError("duration is too long (at most 1000 days)")
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 13:
            return parse_duration_ms(int(text))
        match = _DURATION.match(text)
        if match:
            number, unit = match.groups()
            return parse_duration_ms(round(float(number) * _UNIT_MS[unit]))
    if isinstance(value, (str, float)):
        shown = repr(value[:40] if isinstance(value, str) else value)
    else:
        shown = f"a {type(value).__name__}"
    raise ValueError(
        f"expected a duration like 250ms, 2s, 1.5s or 5m (units: ms, s, m), got {shown}"
    )
