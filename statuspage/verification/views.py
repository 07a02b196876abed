"""/verify, the citizen's "is this message real?" form, and the JWK Set of the signing keys.

/verify needs no JavaScript and no cookie. A code comes by GET (`/verify?code=RZ-4F7K-Q2`,
the links beside each statement); a pasted text only by POST, so that it never lands in an
access log, and nothing here logs or stores it. Lookups are rate-limited per client address.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from statuspage.counters import bump, counter_key
from statuspage.login_throttle import client_ip
from statuspage.models import Incident, IncidentUpdate, NoticeSentInError, PageSettings
from statuspage.public import version as public_version
from statuspage.verification import codes, keys, register
from statuspage.views.cached import mark_public
from statuspage.views.embeds import channels_ident, official_channels
from statuspage.views.public import render_public

JWKS_MAX_AGE = 300


class VerifyForm(forms.Form):
    q = forms.CharField(label=_("Message or code"), max_length=settings.VERIFY_MAX_TEXT, strip=True,
                        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}))


def _over_limit(request) -> bool:
    key = counter_key("verify:", "addr", client_ip(request))
    return bump(key, settings.VERIFY_WINDOW_S) > settings.VERIFY_LIMIT


def _answer_for_code(code: str, page: PageSettings) -> dict:
    if code == codes.code_for("channels", channels_ident(official_channels(page))):
        return {"kind": "channels", "code": code}
    found = register.by_code(code)
    if found is None:
        return {"kind": "none", "code": code}
    return _answer(found, code)


def _answer(found: register.Statement, code: str = "") -> dict:
    incident = Incident.objects.public().filter(pk=found.incident_id).first()
    if incident is None:  # unpublished since the register was built
        return {"kind": "none", "code": code}
    if found.kind == "notice":
        notice = NoticeSentInError.objects.filter(pk=found.id, incident=incident).first()
        return {"kind": "notice", "notice": notice, "incident": incident, "path": found.path} if notice else \
            {"kind": "none"}
    update = IncidentUpdate.objects.filter(pk=found.id, incident=incident).first()
    if update is None:
        return {"kind": "none", "code": code}
    return {"kind": "official", "update": update, "incident": incident, "path": found.path,
            "code": codes.code_for("update", update.id)}


def _answer_cache_key(request, code: str) -> str | None:
    """A code's answer is the same for every reader of one language until the next public
    change: kept per public version, so the common answers (the links beside statements)
    cost no query. GET only (a POST's page links differ), and not for another `?tz=`."""
    if request.method != "GET" or "tz" in request.GET:
        return None
    return f"verify:answer:{public_version.current()}:{get_language()}:{code}"


@csrf_exempt  # a lookup that changes nothing, made without a cookie
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request):
    typed = request.POST.get("q", "") if request.method == "POST" else request.GET.get("code", "")
    if typed and _over_limit(request):
        page = PageSettings.load()
        response = render_public(request, "statuspage/verify.html", page,
                                 {"form": VerifyForm(), "limited": True}, status=429)
    else:
        code = codes.normalize(typed) if codes.looks_like_code(typed) else None
        key = _answer_cache_key(request, code) if code else None
        cached = cache.get(key) if key else None
        if cached is not None:
            response = HttpResponse(cached, content_type="text/html; charset=utf-8")
        else:
            response = _lookup(request, typed, code)
            if key and response.status_code == 200:
                cache.set(key, response.content, settings.PUBLIC_SNAPSHOT_TTL)
    if typed:
        # An answer is for this reader: no shared cache keeps it (nor what was pasted).
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
    else:
        # The empty form is a public page like the others: rendered on write and served from
        # its snapshot, so it answers while the database is down (door.request_key
        # never keys a lookup).
        mark_public(request, response)
    return response


verify.public_snapshot = True  # its empty form, as public_cached views (statuspage.views.cached)


def _lookup(request, typed: str, code: str | None):
    page = PageSettings.load()
    form = VerifyForm({"q": code or typed} if typed else None)
    context = {"form": form, "answer": None}
    if code:
        context["answer"] = _answer_for_code(code, page)
    elif typed and form.is_valid():
        found = register.by_text(form.cleaned_data["q"])
        context["answer"] = _answer(found) if found else {"kind": "none"}
    return render_public(request, "statuspage/verify.html", page, context)


@require_safe
def jwks(request):
    """The public keys that sign statements and exports, current first, then retired."""
    response = JsonResponse(keys.load().jwks(), json_dumps_params={"indent": 2})
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=JWKS_MAX_AGE)
    return response
