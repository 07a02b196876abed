"""The request a render makes: an anonymous GET with the page's public URL as its host.

Built here, below both the renderer and the snapshot door that renders a miss, so a
snapshot is the same whoever triggered it and the feeds' links never depend on the Host
a visitor sent.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.core.paginator import Paginator

from statuspage.i18n import html_lang, offered_time_zones
from statuspage.models import Incident, PageSettings
from statuspage.public.keys import KeyParams
from statuspage.public.registry import HISTORY_PER_PAGE

RENDER_FLAG = "statuspage.render"  # WSGI environ key: a synthetic render, never from HTTP


class _RenderRequest(WSGIRequest):
    """A request whose host is the page's public URL, trusted because we built it."""

    public_host = "localhost"

    def get_host(self) -> str:
        return self.public_host


def public_base_url() -> str:

    try:
        url = PageSettings.objects.values_list("url", flat=True).filter(pk=1).first()
    except Exception:  # noqa: BLE001 - the database is down: any stable host will do
        url = None
    return url or settings.PUBLIC_BASE_URL


def synthetic_request(key: str, base_url: str | None = None) -> WSGIRequest:
    """A cookie-less GET for a snapshot key ("lang|/path?query")."""
    lang, _, target = key.partition("|")
    path, _, query = target.partition("?")
    base = urlsplit(base_url or public_base_url())
    scheme = base.scheme or "http"
    environ = {
        # PEP 3333: PATH_INFO holds the path's UTF-8 bytes decoded as Latin-1.
        "REQUEST_METHOD": "GET", "PATH_INFO": path.encode().decode("latin-1"), "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": base.hostname or "localhost",
        "SERVER_PORT": str(base.port or (443 if scheme == "https" else 80)),
        # As a BCP 47 tag: a bare "uz" would read as Latin (statuspage.i18n.language_from_accept).
        "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_ACCEPT_LANGUAGE": html_lang(lang or settings.LANGUAGE_CODE),
        "wsgi.url_scheme": scheme, "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO(),
        RENDER_FLAG: True,
    }
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        environ[header] = secure_value if scheme == "https" else "http"
    request = _RenderRequest(environ)
    request.public_host = base.netloc or "localhost"
    return request


def read_key_params(page=None) -> KeyParams:
    """What keys.key_path needs to tell a query value that changes a page from one
    that does not: a count, and the page's settings unless given."""

    page = page or PageSettings.load()
    pages = Paginator(Incident.objects.public(), HISTORY_PER_PAGE).num_pages
    return KeyParams(tuple(offered_time_zones(page)), page.time_zone, pages,
                               tuple(sorted((page.time_zones or {}).items())))


