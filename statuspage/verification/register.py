"""What /verify looks things up in: every public statement, by code and by text.

Built from the database once per public version (any public change bumps it) and kept in
this process, so that a lookup costs no query while nothing changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from statuspage.models import IncidentUpdate, NoticeSentInError
from statuspage.verification.codes import code_for
from statuspage.verification.matching import Candidate, best_match, normalize


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
    version: str
    by_code: dict[str, Statement] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)


_lock = threading.Lock()
_current: list[Register] = []


def _languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def _texts(obj, field_name: str, plain: str) -> list[str]:
    """The text in its plain form and in every language given."""
    texts = [plain]
    for entry in (obj.translations or {}).values():
        value = entry if isinstance(entry, str) else (entry or {}).get(field_name) if isinstance(entry, dict) else None
        if value:
            texts.append(value)
    return texts


def build(version: str) -> Register:
    reg = Register(version)
    updates = (IncidentUpdate.objects.filter(incident__published=True)
               .select_related("incident").only("id", "body", "translations", "display_at", "incident__id",
                                                "incident__name", "incident__translations"))
    for u in updates:
        st = Statement("update", u.id, u.display_at, f"{u.incident.get_absolute_url()}#update-{u.id}",
                       u.incident_id, code_for("update", u.id))
        reg.by_code[st.code] = st
        names = _texts(u.incident, "name", u.incident.name)
        for body in _texts(u, "body", u.body):
            reg.candidates.append(Candidate(normalize(body), st))
            reg.candidates += [Candidate(normalize(f"{name} {body}"), st) for name in names]
    notices = NoticeSentInError.objects.filter(incident__published=True).select_related("incident")
    for n in notices:
        st = Statement("notice", str(n.id), n.sent_from or n.incident.started_at,
                       f"{n.incident.get_absolute_url()}#notice-{n.id}", n.incident_id)
        reg.candidates += [Candidate(normalize(text), st) for text in _texts(n, "wording", n.wording)]
    return reg


def current() -> Register:
    from statuspage.publish import public_version

    version = public_version()
    with _lock:
        if _current and _current[0].version == version:
            return _current[0]
    reg = build(version)
    with _lock:
        _current[:] = [reg]
    return reg


def by_code(code: str) -> Statement | None:
    return current().by_code.get(code)


def by_text(text: str) -> Statement | None:
    """A notice sent in error wins over an update: it is the one a frightened reader holds."""
    reg = current()
    notices = [c for c in reg.candidates if c.ref.kind == "notice"]
    match = best_match(text, notices) or best_match(text, reg.candidates)
    return match.ref if match else None
