"""Verification codes: `RZ-4F7K-Q2`, 8 characters from an alphabet with nothing to confuse
(no 0/O, 1/I/L, U), derived from what the statement is, so every render gives the same code."""

from __future__ import annotations

import hashlib

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 symbols: 30**8 ≈ 6.5·10^11 codes
LENGTH = 8
# Letters a phone's Cyrillic keyboard types for the Latin ones they look like.
_LOOKALIKES = str.maketrans({
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "Р": "P", "С": "C", "Т": "T", "Х": "X",
    "З": "3",
})


def code_for(kind: str, ident: str) -> str:
    """The code of one statement: `kind` ("update", "channels") and its id or content hash."""
    number = int.from_bytes(hashlib.sha256(f"statuspage:{kind}:{ident}".encode()).digest()[:8], "big")
    chars = []
    for _ in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    raw = "".join(chars)
    return f"{raw[:2]}-{raw[2:6]}-{raw[6:]}"


def normalize(typed: str) -> str | None:
    """What a reader typed, as a code (`RZ-4F7K-Q2`), or None if it cannot be one.

    Spaces, dashes, lower case and Cyrillic look-alike letters are forgiven."""
    cleaned = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    mapped = cleaned.translate(_LOOKALIKES)
    if len(mapped) != LENGTH or any(ch not in ALPHABET for ch in mapped):
        return None
    return f"{mapped[:2]}-{mapped[2:6]}-{mapped[6:]}"


def looks_like_code(typed: str) -> bool:
    return len((typed or "").strip()) <= 16 and normalize(typed) is not None
