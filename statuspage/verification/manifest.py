"""The signed manifest of a static export: every file's SHA-256, signed with the page's key.

A mirror (a CDN, a second host, a government portal) serves the export folder as it is,
manifest included; anyone checks it with `manage.py verify_export DIR` (or the few lines in
docs/verification.md): the signature against the page's JWK Set, each file against its
hash, and no file that the manifest does not list (a page added to a mirror is caught).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from statuspage.verification import keys, signing

MANIFEST = "statuspage-manifest.json"
FORMAT = "statuspage-export-manifest/1"
KEYS_FILE = ".well-known/statuspage-keys.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).as_posix() != MANIFEST}


def write(root: Path, version: str, ring: keys.KeyRing | None = None) -> dict:
    """Sign what `root` holds now (call it last): the key set is exported beside the pages."""
    ring = ring or keys.load()
    (root / KEYS_FILE).parent.mkdir(parents=True, exist_ok=True)
    (root / KEYS_FILE).write_text(json.dumps(ring.jwks(), indent=2))
    manifest = signing.sign({
        "format": FORMAT,
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "files": {name: _sha256(path) for name, path in _files(root).items()},
    }, ring)
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


@dataclass
class Report:
    files: int = 0
    kid: str = ""
    key_status: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(root: Path, jwks: dict) -> Report:
    """Every problem of an export folder against a JWK Set (the page's, not the mirror's)."""
    report = Report()
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except FileNotFoundError:
        report.problems.append(f"{MANIFEST}: missing")
        return report
    except (OSError, ValueError) as exc:
        report.problems.append(f"{MANIFEST}: unreadable ({exc})")
        return report
    if (not isinstance(manifest, dict) or manifest.get("format") != FORMAT
            or not isinstance(manifest.get("files"), dict)):
        report.problems.append(f"{MANIFEST}: not a {FORMAT} manifest")
        return report
    report.kid = str(manifest.get("kid", ""))
    key = next((k for k in jwks.get("keys", []) if k.get("kid") == report.kid), None)
    if key is None:
        report.problems.append(f"{MANIFEST}: signed with key {report.kid!r}, which the key set does not publish")
    else:
        report.key_status = key.get("status", "")
        public = Ed25519PublicKey.from_public_bytes(keys.b64url_decode(key["x"]))
        if not _verified(manifest, public):
            report.problems.append(f"{MANIFEST}: the signature does not match (the manifest was changed)")
    on_disk = _files(root)
    for name, expected in sorted(manifest["files"].items()):
        path = on_disk.pop(name, None)
        if path is None:
            report.problems.append(f"{name}: missing")
        elif _sha256(path) != expected:
            report.problems.append(f"{name}: changed (its SHA-256 differs from the manifest's)")
        else:
            report.files += 1
    report.problems += [f"{name}: not in the manifest (added by someone else)" for name in sorted(on_disk)]
    return report


def _verified(manifest: dict, public: Ed25519PublicKey) -> bool:
    try:
        public.verify(keys.b64url_decode(str(manifest.get("signature", ""))), signing.canonical(manifest))
    except (InvalidSignature, ValueError):
        return False
    return True
