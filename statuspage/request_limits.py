"""Refuse an oversized or unwanted request body from its headers, before a byte of it is read.

Django bounds what it parses (DATA_UPLOAD_MAX_MEMORY_SIZE) but not files: a 300 MB
multipart upload was read whole and spooled to /tmp before the form refused it. Here a
Content-Length over the cap is refused (413) while the body is still on the wire, a body
without a length (chunked) is refused (411), and no view takes a file: any file part is
refused (RefuseFilesHandler, 400), so nothing is ever spooled. Anonymous forms
(/subscribe/…, /unsubscribe/…) hold a few hundred bytes of form fields: their cap is
small and any other body type is refused (415).

The time a body may take is bounded by the front (nginx's client_body_timeout,
docs/nginx-front.conf); granian has no body timeout, so `make run` serves many threads
(scripts/web.sh) and a slow body holds only one of them, idle, outside the GIL.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.files.uploadhandler import FileUploadHandler
from django.http import JsonResponse

# Signed-in surfaces: the management APIs (JSON, DRF refuses other types) and the admin.
_SIGNED_IN_PREFIXES = ("/api/", "/admin/")
# What a browser's form sends (and Django's test client, for forms without files).
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse(status: int, detail: str) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    response["Connection"] = "close"  # the unread body must not be taken for the next request
    return response


def check_body(method: str, path: str, meta: dict) -> JsonResponse | None:
    """A refusal for this request's body, or None if it may be read."""
    raw_length = meta.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
    if method in ("GET", "HEAD", "OPTIONS") and not raw_length.strip("0") and not chunked:
        return None
    if chunked:
        return _refuse(411, "A request body needs a Content-Length.")
    try:
        length = int(raw_length or 0)
    except ValueError:
        return _refuse(400, "Content-Length is not a number.")
    if length == 0:
        return None
    if path.startswith(_SIGNED_IN_PREFIXES):
        cap = settings.REQUEST_MAX_BYTES
    else:
        cap = settings.PUBLIC_FORM_MAX_BYTES
        content_type = meta.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type not in _FORM_TYPES:
            return _refuse(415, f"Content-Type {content_type or '(none)'} is not accepted here: send a form.")
    if length > cap:
        return _refuse(413, f"The request body is {length} bytes; at most {cap} are accepted here.")
    return None


class RequestLimitsMiddleware:
    """First in MIDDLEWARE: a refused body is never read (the refusal closes the connection)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return check_body(request.method, request.path, request.META) or self.get_response(request)


class RefuseFilesHandler(FileUploadHandler):
    """The only upload handler: no view takes a file, so a file part ends the request (400)."""

    def new_file(self, field_name, *args, **kwargs):
        raise BadRequest(f"Field {field_name}: files are not accepted.")

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
