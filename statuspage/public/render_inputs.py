"""What each long-tail public snapshot is rendered from, as a digest (render carry-over).

A public change used to re-render every URL in every language: at 200 components that is
thousands of per-component feeds and badges, and the incidents' permalinks, for one
incident update. `Inputs.of(key)` digests the rows a snapshot shows: a component's feeds
its name and the incidents that touch it (their rows, updates and affected components), its
badge its row, a permalink its incident. statuspage.public.render re-renders a key whose digest
moved and copies the others' bytes from the version they were rendered under, so each
entry stays what a render of the new version would give.

Keys with no digest (None: the status page, the history, the site-wide feeds, v2, the
time-zone variants) are always rendered: they show the whole state. The digests are
conservative (a superset of what a page shows); CODE_TOKEN, a digest of the code,
templates and translations, makes a deploy render everything once (and lets several
render workers of one release carry each other's entries over).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict

import django
from django.conf import settings
from django.core.cache import cache

from statuspage import models as m

KNOWN_KEY = "public:render:inputs"  # {snapshot key: (digest, version its entry is stored under)}

_COMPONENT_PATH = re.compile(r"/components/([^/?]+)/(history\.rss|history\.atom|badge\.svg)")
_INCIDENT_PATH = re.compile(r"/incidents/([^/?]+)")
_NAME_FIELDS = ("key", "name", "description", "translations")


_CODE = (("statuspage", "*.py"), ("probes", "*.py"), ("templates", "*.*"), ("locale", "*.mo"))


@functools.cache
def code_token() -> str:
    """What renders the bytes, besides the rows: the code, templates and translations."""
    digest = hashlib.blake2b(django.__version__.encode(), digest_size=16)
    for folder, pattern in _CODE:
        for path in sorted((settings.BASE_DIR / folder).rglob(pattern)):
            digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _digest(*parts) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _rows(queryset) -> list[tuple]:
    return [tuple(sorted(row.items())) for row in queryset.values()]


class Inputs:
    """The digests of one reading of the state (a handful of queries, no rendering)."""

    def __init__(self) -> None:
        # What every page shows around its content: the page, its channels, the groups.
        self.common = _digest(code_token(), _rows(m.PageSettings.objects.all()), _rows(m.OfficialChannel.objects.all()),
                              _rows(m.ComponentGroup.objects.all()))
        components = list(m.Component.objects.values())
        key_of = {c["id"]: c["key"] for c in components}
        self.badges = {c["key"]: _digest(sorted(c.items())) for c in components}
        names = {c["id"]: tuple(c[f] for f in _NAME_FIELDS) for c in components}
        self.names = {key_of[pk]: name for pk, name in names.items()}

        parts: dict[str, list] = defaultdict(list)
        for row in m.Incident.objects.values():
            parts[row["id"]].append(sorted(row.items()))
        for row in m.IncidentUpdate.objects.order_by("pk").values():
            parts[row["incident_id"]].append(sorted(row.items()))
        for row in m.AffectedComponent.objects.order_by("pk").values("update__incident_id", "update_id", "component_id",
                                                                    "old_status", "new_status"):
            parts[row["update__incident_id"]].append((row["update_id"], names.get(row["component_id"]),
                                                       row["old_status"], row["new_status"]))
        self.touching: dict[str, list[str]] = defaultdict(list)  # component key -> incident ids
        links = m.Incident.components.through.objects.order_by("incident_id", "component_id")
        for incident_id, component_id in links.values_list("incident_id", "component_id"):
            parts[incident_id].append(names.get(component_id))
            self.touching[key_of.get(component_id)].append(incident_id)
        self.incidents = {pk: _digest(p) for pk, p in parts.items()}

    def of(self, key: str) -> str | None:
        """The digest of what `key` is rendered from, or None: always render it."""
        path = key.partition("|")[2]
        if match := _COMPONENT_PATH.fullmatch(path):
            component, name = match.groups()
            if component not in self.badges:
                return None
            if name == "badge.svg":
                return _digest(key, self.common, self.badges[component])
            return _digest(key, self.common, self.names[component],
                           [self.incidents[i] for i in self.touching.get(component, ())])
        if match := _INCIDENT_PATH.fullmatch(path):
            incident = self.incidents.get(match[1])
            return _digest(key, self.common, incident) if incident else None
        return None


def known() -> dict[str, tuple[str, str]]:
    return cache.get(KNOWN_KEY) or {}


def save_known(entries: dict[str, tuple[str, str]]) -> None:
    cache.set(KNOWN_KEY, entries, None)
