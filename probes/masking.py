"""Values read from a target's answers, masked before anyone sees them.

A probe's account is a test account, but a wrong answer may carry a stranger's data (a
passport number, a name): diagnostics show at most a value's length and its first and
last character, even to on-call.
"""

from __future__ import annotations


def mask_text(value: str) -> str:
    """'ZZ9999999' → 'Z…9 (9 characters)'; short values keep nothing but their length."""
    if len(value) <= 3:
        return f"… ({len(value)} characters)"
    return f"{value[0]}…{value[-1]} ({len(value)} characters)"


def mask_json(value: object) -> object:
    """A copy of a JSON value with every string and number masked; its shape (keys, list
    lengths), booleans and nulls stay, so `exists` and `length` still read true."""
    if isinstance(value, dict):
        return {key: mask_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_json(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return mask_text(str(value))
    if isinstance(value, str):
        return mask_text(value)
    return value
