"""Self-service subscriptions: email (double opt-in) and webhooks (confirmed by email).

The forms post without a CSRF token on purpose: the /subscribe page is cached and
shared by everyone, so it cannot carry a per-visitor token. A forged post can do no more
than send a confirmation email, rate-limited per client address and per email address;
it never changes a confirmed subscription (the choices ride in the emailed link).

The emailed links change nothing on GET: mail scanners (Outlook Safe Links and the like)
fetch every link in a message, so a GET shows a button, and only its POST confirms (and
shows a webhook's secret). That POST needs no CSRF token either: the signed token in the
URL is the proof, and a page that forged the POST could not read the answer.
"""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from statuspage.client_address import address_bucket, client_ip, mailbox
from statuspage.counters import bump, counter_key
from statuspage.i18n import reader_time_zone, supported
from statuspage.models import AuditLog, Component, EmailSubscriber, PageSettings, WebhookSubscriber
from statuspage.notify import emails, tokens
from statuspage.webhooks.ssrf import check_url, resolve_within

CONFIRM_MAX_AGE = 7 * 24 * 3600  # as long as an unconfirmed subscription is kept (statuspage.purge)
LIMIT_PER_HOUR = 10  # posts from one client address
EMAILS_PER_HOUR = 3  # confirmation emails to one email address
WINDOW_S = 3600
RESOLVE_BUDGET_S = 2.0  # the longest a form post waits for the webhook host's name server
# The one answer for every webhook address refused after the form checks: which address a
# name resolves to, or that it does not resolve, is not told to an anonymous visitor.
WEBHOOK_REFUSED = gettext_lazy("We cannot send updates to this web address. Check it and try again.")


class EmailForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"))
    components = forms.ModelMultipleChoiceField(Component.objects.all(), to_field_name="key", required=False,
                                                label=gettext_lazy("Components (none: all)"))


class WebhookForm(forms.Form):
    url = forms.URLField(max_length=2000, assume_scheme="https", label=gettext_lazy("Webhook URL"))
    email = forms.EmailField(label=gettext_lazy("Your email (to confirm)"))
    format = forms.ChoiceField(choices=WebhookSubscriber.Format.choices, initial="standard")
    components = forms.ModelMultipleChoiceField(Component.objects.all(), to_field_name="key", required=False)

    def clean_url(self):
        # Only the text here: the host is resolved after the rate limits (subscribe_webhook).
        url = self.cleaned_data["url"]
        if urlsplit(url).scheme not in ("http", "https"):
            raise forms.ValidationError(WEBHOOK_REFUSED)
        return url


def _reachable(url: str) -> bool:
    """The webhooks' SSRF rule, resolved within a short budget."""
    try:
        check_url(url, settings.WEBHOOK_ALLOWED_NETWORKS, resolve_within(RESOLVE_BUDGET_S))
    except (ValueError, OSError):
        return False
    return True


def _private(response):
    add_never_cache_headers(response)
    return response


def _over_limit(kind: str, value: str, limit: int) -> bool:
    """Count one more for `value`; True once the hour's count is past `limit`."""
    return bump(counter_key("subscribe-rate:", kind, value), WINDOW_S) > limit


def _page(request, template, status=200, language: str | None = None, **context):
    """A subscriber's page: in `language` (the one the subscriber chose) when given, and in
    the reader's time zone, as every public page."""
    page = PageSettings.load()
    with translation.override(language or translation.get_language()), \
            timezone.override(reader_time_zone(request, page)):
        return _private(render(request, f"statuspage/{template}", {"page": page, **context}, status=status))


def _refusal(request, form):
    """A 429 past the hourly limits, a 400 naming each bad field; None when all is well.

    The client is counted before anything is done for it (a bad form, a DNS lookup); the
    email only after, so a refused flood does not use up the victim address's own budget.
    """
    if _over_limit("ip", address_bucket(client_ip(request)), LIMIT_PER_HOUR):
        return _too_many(request)
    if not form.is_valid():
        return _page(request, "subscribe_result.html", 400, errors=form.errors)
    if _over_limit("email", mailbox(form.cleaned_data["email"]), EMAILS_PER_HOUR):
        return _too_many(request)
    return None


def _too_many(request):
    return _page(request, "subscribe_result.html", 429, message=_("Too many requests. Try again later."))


def _invalid_link(request):
    return _page(request, "subscribe_result.html", 400, message=_("This link is invalid or has expired."))


@csrf_exempt
@require_POST
def subscribe_email(request):
    form = EmailForm(request.POST)
    if refused := _refusal(request, form):
        return refused
    language = translation.get_language() or settings.LANGUAGE_CODE
    components = form.cleaned_data["components"]
    subscriber = EmailSubscriber.ask(form.cleaned_data["email"], components, language)
    emails.send_confirmation(subscriber, [c.key for c in components], language)
    return _page(request, "subscribe_result.html",
                 message=_("Check your inbox: we sent a link to confirm your subscription."))


@csrf_exempt  # see the module docstring: the signed link is the proof
@require_http_methods(["GET", "HEAD", "POST"])
def confirm_email(request, token: str):
    data = tokens.read_token_data(token, "confirm", CONFIRM_MAX_AGE)
    subscriber = EmailSubscriber.objects.filter(pk=data["id"]).first() if data else None
    if subscriber is None:
        return _invalid_link(request)
    keys = data.get("c")  # links sent before the choices rode in them carry none: keep what is stored
    language = supported(data.get("l")) or supported(subscriber.language)
    if request.method != "POST":
        chosen = Component.objects.filter(key__in=keys) if keys is not None else subscriber.components.all()
        return _page(request, "subscribe_confirm.html", language=language, components=list(chosen),
                     change=subscriber.confirmed_at is not None)
    subscriber.confirm(keys, data.get("l"))
    return _page(request, "subscribe_result.html", language=language,
                 message=gettext_lazy("You are subscribed. Every update will reach you by email."))


@csrf_exempt  # RFC 8058 one-click unsubscribe posts from the mail client, without a token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    pk = tokens.read_token(token, "unsubscribe")
    if pk is None:
        return _page(request, "subscribe_result.html", 400, message=_("This link is invalid."))
    language = supported(EmailSubscriber.objects.filter(pk=pk).values_list("language", flat=True).first())
    if request.method == "GET":
        return _page(request, "unsubscribe.html", language=language, token=token)
    EmailSubscriber.objects.filter(pk=pk).delete()
    return _page(request, "subscribe_result.html", language=language, message=gettext_lazy("You are unsubscribed."))


@csrf_exempt
@require_POST
def subscribe_webhook(request):
    form = WebhookForm(request.POST)
    if refused := _refusal(request, form):
        return refused
    data = form.cleaned_data
    if not _reachable(data["url"]):
        return _page(request, "subscribe_result.html", 400, message=WEBHOOK_REFUSED)
    webhook = WebhookSubscriber.objects.create(url=data["url"], format=data["format"], owner_email=data["email"],
                                               confirmed=False, description=f"self-service ({data['email']})",
                                               language=translation.get_language() or settings.LANGUAGE_CODE)
    webhook.components.set(data["components"])
    emails.send_webhook_confirmation(webhook)
    return _page(request, "subscribe_result.html",
                 message=_("Check your inbox: we sent a link to confirm the webhook and see its secret."))


@csrf_exempt  # see the module docstring: the signed link is the proof
@require_http_methods(["GET", "HEAD", "POST"])
def confirm_webhook(request, token: str):
    pk = tokens.read_token(token, "webhook", CONFIRM_MAX_AGE)
    webhook = WebhookSubscriber.objects.filter(pk=pk).first() if pk else None
    if webhook is None:
        return _invalid_link(request)
    language = supported(webhook.language)
    if not webhook.confirmed and request.method != "POST":
        return _page(request, "webhook_confirm.html", language=language, webhook=webhook)
    # The secret is shown once, to the one POST that confirmed: a second visit, a
    # concurrent click or a leaked link does not reveal it.
    if webhook.confirmed or not webhook.confirm():
        return _page(request, "subscribe_result.html", language=language,
                     message=gettext_lazy("This webhook is already confirmed."))
    AuditLog.record(via="system", action="confirm", obj=webhook, summary=webhook.url)
    return _page(request, "webhook_confirmed.html", language=language, webhook=webhook, secret=webhook.secret)
