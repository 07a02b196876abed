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

import bisect
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

THRESHOLD = 85  # tuned on the forwarded variants in tests/test_verify_matching.py
MIN_LENGTH = 24  # normalised characters a statement needs to be matched by its text
MAX_EXTRA = 1 / 3  # a pasted text may be this much longer than the statement it carries
MIN_PART = 0.55  # a pasted part must be at least this share of the statement
# ʻ ʼ ' ‘ ’ ` ´: Uzbek Latin's oʻ/gʻ and the apostrophe are typed with any of these.
_APOSTROPHES = re.compile("[ʻʼ'‘’`´ʹ]")
_TOKEN = re.compile(r"\d+|[^\W\d_]+")  # a run of digits, or of letters; the rest separates


def normalize(text: str) -> str:
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text or "").casefold())
    return " ".join("#" if token[0].isdigit() else token for token in _TOKEN.findall(text))


@dataclass(frozen=True)
class Candidate:
    text: str  # normalised
    ref: object  # what the caller wants back


@dataclass(frozen=True)
class Match:
    ref: object
    score: float


class Index:
    """Candidates sorted by length: a lookup scores only those whose length could reach the
    threshold (a ratio of 85 needs lengths within ~26% of each other), found by bisection."""

    def __init__(self, candidates: list[Candidate]):
        seen, usable = set(), []
        for c in candidates:
            if len(c.text) >= MIN_LENGTH and (c.text, id(c.ref)) not in seen:
                seen.add((c.text, id(c.ref)))
                usable.append(c)
        usable.sort(key=lambda c: len(c.text))
        self.texts = [c.text for c in usable]
        self.refs = [c.ref for c in usable]
        self.lengths = [len(t) for t in self.texts]

    def best(self, pasted: str) -> Match | None:
        """The candidate the pasted text most likely is, or None below the threshold."""
        needle = normalize(pasted)
        n = len(needle)
        if n < MIN_LENGTH:
            return None
        lo = bisect.bisect_left(self.lengths, n * (1 - MAX_EXTRA))
        hi = bisect.bisect_right(self.lengths, n / MIN_PART)
        texts = self.texts[lo:hi]
        best: Match | None = None
        whole = process.extractOne(needle, texts, scorer=fuzz.ratio, score_cutoff=THRESHOLD)
        if whole:
            best = Match(self.refs[lo + whole[2]], whole[1])
        # The statement inside a longer paste (a forwarding header, a greeting added), or the
        # paste inside a statement (cut short): the window above is exactly those lengths.
        found = process.extractOne(needle, texts, scorer=fuzz.partial_ratio, score_cutoff=THRESHOLD)
        if found and (best is None or found[1] > best.score):
            best = Match(self.refs[lo + found[2]], found[1])
        return best
