"""One rendered public response (Entry): its bytes precompressed, its ETags, its headers.

Built once when a URL is rendered (statuspage.public.render) and served as is by the
snapshot doors (statuspage.public.door), from the cache or the export folder.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from dataclasses import dataclass, field

from django.conf import settings

from statuspage.public.registry import HOT_PATHS

try:  # Brotli is in requirements.txt (WhiteNoise uses it too); gzip alone still works.
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

_COMPRESSIBLE = ("text/", "application/json", "application/rss+xml", "application/atom+xml",
                 "application/xml", "image/svg+xml")
_NOT_STORED = {"content-length", "content-encoding", "etag", "set-cookie", "date",
               "strict-transport-security", "location"}


@dataclass
class Entry:
    """One rendered public response, with its precompressed variants."""

    content_type: str
    headers: list[tuple[str, str]]  # the final headers, minus per-request ones
    bodies: dict[str, bytes]  # "identity", and "gzip"/"br" when they are smaller
    rendered_at: float = field(default_factory=time.time)

    @classmethod
    def build(cls, body: bytes, content_type: str, headers: list[tuple[str, str]], brotli_quality: int = 5) -> Entry:
        bodies = {"identity": body}
        if len(body) > 256 and content_type.startswith(_COMPRESSIBLE):
            gz = gzip.compress(body, 9, mtime=0)  # mtime=0: the same bytes give the same file
            if len(gz) < len(body):
                bodies["gzip"] = gz
            if brotli is not None:
                br = brotli.compress(body, quality=brotli_quality)
                if len(br) < len(body):
                    bodies["br"] = br
        vary = [v.strip() for h, value in headers if h.lower() == "vary" for v in value.split(",")]
        headers = [(h, v) for h, v in headers if h.lower() != "vary"]
        if len(bodies) > 1 and "Accept-Encoding" not in vary:
            vary.append("Accept-Encoding")
        if vary:
            headers.append(("Vary", ", ".join(dict.fromkeys(vary))))
        return cls(content_type, headers, bodies)

    @property
    def body(self) -> bytes:
        return self.bodies["identity"]

    @property
    def digest(self) -> str:
        return self.__dict__.get("_digest") or self.__dict__.setdefault(
            "_digest", hashlib.blake2b(self.body, digest_size=12).hexdigest())

    def encoding_for(self, accept_encoding: str) -> str:
        offered = _accepted_encodings(accept_encoding)
        for name in ("br", "gzip"):
            if name in self.bodies and name in offered:
                return name
        return "identity"

    def etag(self, encoding: str) -> str:
        # A strong validator per representation: the gzip bytes are not the identity bytes.
        suffix = {"identity": "", "gzip": "-gz", "br": "-br"}[encoding]
        return f'"{self.digest}{suffix}"'

    def response_headers(self, encoding: str) -> list[tuple[str, str]]:
        """Headers for one variant, computed once per process."""
        memo = self.__dict__.setdefault("_headers", {})
        if encoding not in memo:
            headers = [("Content-Type", self.content_type), *self.headers, ("ETag", self.etag(encoding)),
                       ("Content-Length", str(len(self.bodies[encoding])))]
            if encoding != "identity":
                headers.append(("Content-Encoding", encoding))
            memo[encoding] = headers
        return memo[encoding]

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


def _accepted_encodings(header: str) -> set[str]:
    accepted = set()
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        q = params.replace(" ", "")
        if q.startswith("q=") and q[2:].strip("0.") == "":
            continue  # q=0: explicitly refused
        accepted.add(name.strip().lower())
    return accepted


def not_modified(entry: Entry, encoding: str, if_none_match: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    etag = entry.etag(encoding)
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))



def entry_from_response(response, key: str) -> Entry | None:
    """An Entry when the response may be shared by every visitor, else None."""
    if (response.status_code != 200 or response.streaming or response.cookies
            or not getattr(response, "public_snapshot", False)):
        return None
    headers = [(h, v) for h, v in response.items() if h.lower() not in _NOT_STORED and h.lower() != "content-type"]
    return Entry.build(response.content, response["Content-Type"], headers, brotli_quality(key))


def brotli_quality(key: str) -> int:
    """The best compression for what a crowd reads; a cheaper one for the long tail
    (per-component feeds and badges, old permalinks), rendered in their hundreds."""
    return settings.PUBLIC_BROTLI_QUALITY if key.partition("|")[2] in HOT_PATHS else 5

