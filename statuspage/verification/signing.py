"""Signing a statement: Ed25519 over the RFC 8785 canonical JSON of the object without its
`signature` member. An integrator checks it with `cryptography` and the JWK Set alone
(docs/verification.md)."""

from __future__ import annotations

import rfc8785
from cryptography.exceptions import InvalidSignature

from statuspage.verification import keys
from statuspage.verification.codes import code_for


def canonical(obj: dict) -> bytes:
    return rfc8785.dumps({k: v for k, v in obj.items() if k != "signature"})


def sign(obj: dict, ring: keys.KeyRing | None = None) -> dict:
    """`obj` with `kid` and `signature` added (the last members: others' fields come first)."""
    ring = ring or keys.load()
    signed = {**{k: v for k, v in obj.items() if k not in ("kid", "signature")}, "kid": ring.kid}
    signed["signature"] = keys.b64url(ring.private.sign(canonical(signed)))
    return signed


def sign_statement(obj: dict, kind: str, ident: str) -> dict:
    """A public statement: its verification code, then the signature over all of it."""
    return sign({**obj, "verification_code": code_for(kind, ident)})


def verify(obj: dict, ring: keys.KeyRing | None = None) -> bool:
    """True if `obj` carries a valid signature by a published key (current or retired)."""
    ring = ring or keys.load()
    key = ring.public_key(str(obj.get("kid", "")))
    if key is None or not isinstance(obj.get("signature"), str):
        return False
    try:
        key.verify(keys.b64url_decode(obj["signature"]), canonical(obj))
    except (InvalidSignature, ValueError):
        return False
    return True
