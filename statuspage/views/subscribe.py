"""Self-service subscriptions: email (double opt-in) and webhooks (confirmed by email).

The forms post without a CSRF token on purpose: the /subscribe page is cached and
shared by everyone, and a forged post can do no more than send a confirmation email,
which is rate-limited per address.
"""

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from statuspage import notify
from statuspage.api.webhooks import validate_webhook_url
from statuspage.models import AuditLog, Component, EmailSubscriber, PageSettings, WebhookSubscriber

CONFIRM_MAX_AGE = 7 * 24 * 3600
LIMIT_PER_HOUR = 10


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
        try:
            return validate_webhook_url(self.cleaned_data["url"])
        except Exception as exc:
            raise forms.ValidationError(getattr(exc, "detail", [str(exc)])[0]) from None


def _private(response):
    add_never_cache_headers(response)
    return response


def _throttled(request) -> bool:
    key = f"subscribe-rate:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, 3600)
    try:
        return cache.incr(key) > LIMIT_PER_HOUR
    except ValueError:
        return False


def _page(request, template, status=200, **context):
    return _private(render(request, f"statuspage/{template}", {"page": PageSettings.load(), **context},
                           status=status))


def _refusal(request, form):
    """A 400 naming each bad field, or a 429 past the hourly limit; None when all is well."""
    if not form.is_valid():
        return _page(request, "subscribe_result.html", 400, errors=form.errors)
    if _throttled(request):
        return _page(request, "subscribe_result.html", 429, message=_("Too many requests. Try again later."))
    return None


@csrf_exempt
@require_POST
def subscribe_email(request):
    form = EmailForm(request.POST)
    if refused := _refusal(request, form):
        return refused
    with transaction.atomic():
        subscriber, _created = EmailSubscriber.objects.get_or_create(email=form.cleaned_data["email"].lower())
        subscriber.language = translation.get_language() or settings.LANGUAGE_CODE
        subscriber.save(update_fields=["language"])
        subscriber.components.set(form.cleaned_data["components"])
    notify.send_confirmation(subscriber)
    return _page(request, "subscribe_result.html",
                 message=_("Check your inbox: we sent a link to confirm your subscription."))


def confirm_email(request, token: str):
    pk = notify.read_token(token, "confirm", CONFIRM_MAX_AGE)
    subscriber = get_object_or_404(EmailSubscriber, pk=pk) if pk else None
    if subscriber is None:
        return _page(request, "subscribe_result.html", 400, message=_("This link is invalid or has expired."))
    if subscriber.confirmed_at is None:
        EmailSubscriber.objects.filter(pk=subscriber.pk).update(confirmed_at=timezone.now())
    return _page(request, "subscribe_result.html", message=_("You are subscribed. Every update will reach you by email."))


@csrf_exempt  # RFC 8058 one-click unsubscribe posts from the mail client, without a token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    pk = notify.read_token(token, "unsubscribe")
    if pk is None:
        return _page(request, "subscribe_result.html", 400, message=_("This link is invalid."))
    if request.method == "GET":
        return _page(request, "unsubscribe.html", token=token)
    EmailSubscriber.objects.filter(pk=pk).delete()
    return _page(request, "subscribe_result.html", message=_("You are unsubscribed."))


@csrf_exempt
@require_POST
def subscribe_webhook(request):
    form = WebhookForm(request.POST)
    if refused := _refusal(request, form):
        return refused
    data = form.cleaned_data
    webhook = WebhookSubscriber.objects.create(url=data["url"], format=data["format"], owner_email=data["email"],
                                               confirmed=False, description=f"self-service ({data['email']})")
    webhook.components.set(data["components"])
    notify.send_webhook_confirmation(webhook, translation.get_language() or settings.LANGUAGE_CODE)
    return _page(request, "subscribe_result.html",
                 message=_("Check your inbox: we sent a link to confirm the webhook and see its secret."))


def confirm_webhook(request, token: str):
    pk = notify.read_token(token, "webhook", CONFIRM_MAX_AGE)
    webhook = WebhookSubscriber.objects.filter(pk=pk).first() if pk else None
    if webhook is None:
        return _page(request, "subscribe_result.html", 400, message=_("This link is invalid or has expired."))
    if webhook.confirmed:
        # The secret is shown once: a second visit (or a leaked link) does not reveal it.
        return _page(request, "subscribe_result.html", message=_("This webhook is already confirmed."))
    WebhookSubscriber.objects.filter(pk=webhook.pk).update(confirmed=True)
    AuditLog.record(via="system", action="confirm", obj=webhook, summary=webhook.url)
    return _page(request, "webhook_confirmed.html", webhook=webhook, secret=webhook.secret)


