"""The page's Ed25519 signing key and the retired keys it still publishes.

Keys come from the environment or files, never the database: a database dump must not let
anyone sign in the page's name.

- `SIGNING_KEY` (or `SIGNING_KEY_FILE`): the current private key, PEM (PKCS#8).
- `SIGNING_RETIRED_KEYS` (or `SIGNING_RETIRED_KEYS_FILE`): earlier keys, PEM public (or
  private) keys one after another; still published, marked retired, so statements and
  exports signed before a rotation still verify.
- Neither given (a laptop): a key is made once in the var dir (`signing_key.pem`, mode
  0600) and kept, like the secret key; `manage.py signing_key rotate` retires it there.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from statuspage.env import envsecret

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.DOTALL)
LAPTOP_KEY = "signing_key.pem"
LAPTOP_RETIRED = "signing_keys_retired.pem"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kid_of(key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint: anyone can recompute it from the published key."""
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": b64url(raw_public(key))},
                         separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(members.encode()).digest())


@dataclass(frozen=True)
class KeyRing:
    private: Ed25519PrivateKey
    retired: tuple[Ed25519PublicKey, ...] = ()

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def kid(self) -> str:
        return kid_of(self.public)

    def jwks(self) -> dict:
        """The JWK Set served at /.well-known/statuspage-keys.json: current key first."""
        keys, seen = [], set()
        for key, status in [(self.public, "current"), *((k, "retired") for k in self.retired)]:
            kid = kid_of(key)
            if kid in seen:
                continue
            seen.add(kid)
            keys.append({"kty": "OKP", "crv": "Ed25519", "x": b64url(raw_public(key)), "kid": kid,
                         "use": "sig", "alg": "EdDSA", "status": status})
        return {"keys": keys}

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        for key in (self.public, *self.retired):
            if kid_of(key) == kid:
                return key
        return None


def parse_private(pem: str, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{where}: not a PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{where}: the key is not Ed25519")
    return key


def parse_publics(text: str, where: str) -> list[Ed25519PublicKey]:
    keys = []
    for block in _PEM_BLOCK.finditer(text or ""):
        pem = block.group(0)
        if "PRIVATE" in block.group(1):
            keys.append(parse_private(pem, where).public_key())
            continue
        try:
            key = serialization.load_pem_public_key(pem.encode())
        except ValueError as exc:
            raise ImproperlyConfigured(f"{where}: not a PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ImproperlyConfigured(f"{where}: a retired key is not Ed25519")
        keys.append(key)
    if (text or "").strip() and not keys:
        raise ImproperlyConfigured(f"{where}: no PEM key found")
    return keys


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def laptop_key_path() -> Path:
    return Path(settings.VAR_DIR) / LAPTOP_KEY


def _laptop_key() -> str:
    """The var dir's key, made on first use; O_EXCL so the web and worker processes that
    start together agree on one key."""
    path = laptop_key_path()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text()
    with os.fdopen(fd, "w") as out:
        out.write(private_pem(Ed25519PrivateKey.generate()))
    return path.read_text()


@functools.cache
def load() -> KeyRing:
    """The key ring of this process (read once; a rotation restarts the processes)."""
    pem = envsecret("SIGNING_KEY")
    where = "SIGNING_KEY"
    if not pem:
        pem, where = _laptop_key(), str(laptop_key_path())
    retired_text = envsecret("SIGNING_RETIRED_KEYS") or ""
    laptop_retired = Path(settings.VAR_DIR) / LAPTOP_RETIRED
    if laptop_retired.exists():
        retired_text += "\n" + laptop_retired.read_text()
    return KeyRing(parse_private(pem, where), tuple(parse_publics(retired_text, "SIGNING_RETIRED_KEYS")))


def rotate_laptop_key() -> tuple[str, str]:
    """Retire the var dir's key (kept published) and make a new one: (old kid, new kid)."""
    path = laptop_key_path()
    old = parse_private(_laptop_key(), str(path))
    with open(Path(settings.VAR_DIR) / LAPTOP_RETIRED, "a") as out:
        out.write(public_pem(old.public_key()))
    new = Ed25519PrivateKey.generate()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(private_pem(new))
    os.replace(tmp, path)
    load.cache_clear()
    return kid_of(old.public_key()), kid_of(new.public_key())
