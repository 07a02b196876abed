"""What /verify looks things up in: every public statement, by code and by text.

Built from the database once per public version (any public change bumps it) and kept in
this process, so that a lookup costs no query while nothing changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from statuspage.models import IncidentUpdate, NoticeSentInError
from statuspage.public import version as public_version
from statuspage.verification.codes import code_for
from statuspage.verification.matching import Candidate, Index, normalize


@dataclass(frozen=True)
class Statement:
    kind: str  # "update" or "notice"
    id: str
    at: datetime | None
    path: str  # where the page shows it
    incident_id: str = ""
    code: str = ""


@dataclass
class Register:
    """One public version's lookups, each built on first use: a code lookup never pays
    for normalising every text."""

    version: str
    _codes: dict[str, Statement] | None = None
    _indexes: tuple[Index, Index] | None = None  # (notices only, everything)

    @property
    def by_code(self) -> dict[str, Statement]:
        if self._codes is None:
            self._codes = build_codes()
        return self._codes

    @property
    def texts(self) -> tuple[Index, Index]:
        if self._indexes is None:
            self._indexes = build_texts()
        return self._indexes


_lock = threading.Lock()
_current: list[Register] = []


def _texts(obj, field_name: str, plain: str) -> dict[str, str]:
    """{"": the plain text, lang: its translation} for every language given."""
    texts = {"": plain}
    for lang, entry in (obj.translations or {}).items():
        value = entry if isinstance(entry, str) else entry.get(field_name) if isinstance(entry, dict) else None
        if value:
            texts[lang] = value
    return texts


def _public_updates():
    return IncidentUpdate.objects.filter(incident__published=True).select_related("incident")


def _statement(u: IncidentUpdate) -> Statement:
    return Statement("update", u.id, u.display_at, f"{u.incident.get_absolute_url()}#update-{u.id}",
                     u.incident_id, code_for("update", u.id))


def build_codes() -> dict[str, Statement]:
    updates = _public_updates().only("id", "display_at", "incident__id")
    return {st.code: st for st in map(_statement, updates)}


def build_texts() -> tuple[Index, Index]:
    candidates: list[Candidate] = []
    updates = _public_updates().only("id", "body", "translations", "display_at", "incident__id",
                                     "incident__name", "incident__translations")
    for u in updates:
        st = _statement(u)
        names = _texts(u.incident, "name", u.incident.name)
        # The body alone, and after the incident's name in its language: a forward often has both.
        for lang, body in _texts(u, "body", u.body).items():
            candidates.append(Candidate(normalize(body), st))
            candidates.append(Candidate(normalize(f"{names.get(lang, names[''])} {body}"), st))
    notices = NoticeSentInError.objects.filter(incident__published=True).select_related("incident")
    for n in notices:
        st = Statement("notice", str(n.id), n.sent_from or n.incident.started_at,
                       f"{n.incident.get_absolute_url()}#notice-{n.id}", n.incident_id)
        candidates += [Candidate(normalize(text), st) for text in _texts(n, "wording", n.wording).values()]
    return Index([c for c in candidates if c.ref.kind == "notice"]), Index(candidates)


def current() -> Register:
    version = public_version.current()
    with _lock:
        if _current and _current[0].version == version:
            return _current[0]
    reg = Register(version)
    with _lock:
        _current[:] = [reg]
    return reg


def by_code(code: str) -> Statement | None:
    return current().by_code.get(code)


def by_text(text: str) -> Statement | None:
    """A notice sent in error wins over an update: it is the one a frightened reader holds."""
    notices, everything = current().texts
    match = notices.best(text) or everything.best(text)
    return match.ref if match else None
