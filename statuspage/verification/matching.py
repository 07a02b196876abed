"""Fuzzy matching of a forwarded text against the page's statements.

A forwarded message differs from what we published: quotes and emoji added, Markdown lost,
whitespace changed, a "Forwarded from …" line on top, a name or a date changed inside. The
texts are normalised (letters and digits only, case folded, Uzbek apostrophes of any kind
dropped, every number made the same), then compared with rapidfuzz: the whole text; a
statement found inside a pasted text at most a third longer; or a paste cut short (an SMS
splits a long message) that is at least 55% of a statement. Short statements ("Resolved.")
are matched by code only: their words are in too many messages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

THRESHOLD = 85  # tuned on the forwarded variants in tests/test_verify_matching.py
MIN_LENGTH = 24  # normalised characters a statement needs to be matched by its text
MAX_EXTRA = 1 / 3  # a pasted text may be this much longer than the statement it carries
MIN_PART = 0.55  # a pasted part must be at least this share of the statement
# ʻ ʼ ' ‘ ’ ` ´: Uzbek Latin's oʻ/gʻ and the apostrophe are typed with any of these.
_APOSTROPHES = dict.fromkeys(map(ord, "ʻʼ'‘’`´ʹ"), None)
_NUMBER = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[^\w#]+|_")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold().translate(_APOSTROPHES)
    text = _NUMBER.sub("#", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


@dataclass(frozen=True)
class Candidate:
    text: str  # normalised
    ref: object  # what the caller wants back


@dataclass(frozen=True)
class Match:
    ref: object
    score: float


def best_match(pasted: str, candidates: list[Candidate]) -> Match | None:
    """The candidate the pasted text most likely is, or None below the threshold."""
    needle = normalize(pasted)
    if len(needle) < MIN_LENGTH:
        return None
    usable = [c for c in candidates if len(c.text) >= MIN_LENGTH]
    best: Match | None = None
    whole = process.extractOne(needle, [c.text for c in usable], scorer=fuzz.ratio, score_cutoff=THRESHOLD)
    if whole:
        best = Match(usable[whole[2]].ref, whole[1])
    # The statement inside a longer paste (a forwarding header, a greeting added), or the
    # paste inside a statement (cut short).
    inside = [c for c in usable if len(needle) * (1 - MAX_EXTRA) <= len(c.text) < len(needle)
              or len(needle) < len(c.text) <= len(needle) / MIN_PART]
    found = process.extractOne(needle, [c.text for c in inside], scorer=fuzz.partial_ratio,
                               score_cutoff=THRESHOLD)
    if found and (best is None or found[1] > best.score):
        best = Match(inside[found[2]].ref, found[1])
    return best
