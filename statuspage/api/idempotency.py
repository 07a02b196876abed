"""`Idempotency-Key` on every POST of the management APIs (docs/api.md).

As Stripe and draft-ietf-httpapi-idempotency-key-header have it: a client that did not hear
the answer to a POST sends it again with the same key and gets the first answer (same status
code and body, `Idempotent-Replayed: true`), and nothing is created twice.

One middleware for every POST under /api/v1/ and /api/statuspage/v1/, so no view can forget
it. Before the view runs, a row (owner, key) is claimed under a unique constraint in its own
committed transaction: of two concurrent requests with one key, only one claims it; the other
gets 409 while the first is in flight. The answer is stored on the row; one that says nothing
about the request (401, 403, 429, 5xx) is not kept, so the client may retry with the same key.
The same key with another body is a 422. Keys live 24 hours (pruned by statuspage.purge);
a claim left without an answer for 5 minutes (its process died) is taken over by a retry.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from statuspage.models import IdempotencyKey
from statuspage.models.idempotency import IDEMPOTENCY_KEPT

HEADER = "Idempotency-Key"
PREFIXES = ("/api/v1/", "/api/statuspage/v1/")
MAX_KEY = 255
# Answers about the credentials or the server, not the request: a retry may get another.
_NOT_KEPT = {401, 403, 429}
# A claim with no answer this long after is a request whose process died: a retry takes it
# over (no request runs this long: the server's timeouts end it first).
ABANDONED = timedelta(minutes=5)


def _owner(request) -> str | None:
    """Whose key: the token (by digest, whatever its scheme word), else the signed-in user."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    if credential.strip():
        return "token:" + hashlib.sha256(credential.strip().encode()).hexdigest()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _fingerprint(request) -> str:
    """The request as the key promises it: method, path, query and body (JSON compared as
    data, so a client that re-serialises it with other spacing or key order still matches)."""
    body = request.body
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        pass
    head = f"{request.method} {request.get_full_path()}\n".encode()
    return hashlib.sha256(head + body).hexdigest()


def _claim(owner: str, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """The row for (owner, key), and whether this request claimed it."""
    now = timezone.now()
    IdempotencyKey.objects.filter(owner=owner, key=key).filter(
        Q(created_at__lt=now - IDEMPOTENCY_KEPT) | Q(status_code__isnull=True, created_at__lt=now - ABANDONED)
    ).delete()
    for _ in range(3):  # the holder may release its claim (a 401, a 5xx) between our two steps
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(owner=owner, key=key, fingerprint=fingerprint), True
        except IntegrityError:
            row = IdempotencyKey.objects.filter(owner=owner, key=key).first()
            if row is not None:
                return row, False
    raise IntegrityError(f"could not claim {HEADER} {key!r}")


def _earlier(row: IdempotencyKey, fingerprint: str) -> HttpResponse:
    if row.fingerprint != fingerprint:
        return JsonResponse({"detail": f"This {HEADER} was used for a different request (another path or body) "
                                       "in the last 24 hours: use a new key for a new request."}, status=422)
    if row.status_code is None:
        return JsonResponse({"detail": f"A request with this {HEADER} is still being processed: "
                                       "retry in a moment to get its answer."}, status=409,
                            headers={"Retry-After": "1"})
    response = HttpResponse(bytes(row.body), status=row.status_code, content_type=row.content_type or None)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith(PREFIXES):
            return self.get_response(request)
        owner = _owner(request)
        if owner is None:
            return self.get_response(request)  # refused as anonymous (401) whatever the key says
        key = key.strip().removeprefix('"').removesuffix('"')  # the draft's sf-string form is quoted
        if not key or len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
            return JsonResponse({"detail": f"{HEADER} must be 1 to {MAX_KEY} printable ASCII characters."},
                                status=400)
        fingerprint = _fingerprint(request)
        row, claimed = _claim(owner, key, fingerprint)
        if not claimed:
            return _earlier(row, fingerprint)
        response = self.get_response(request)
        if response.status_code in _NOT_KEPT or response.status_code >= 500 or response.streaming:
            row.delete()
        else:
            IdempotencyKey.objects.filter(pk=row.pk).update(
                status_code=response.status_code, content_type=response.get("Content-Type", ""),
                body=response.content)
        return response

