"""The on-call console: Django's admin, arranged for posting during an incident."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model, QuerySet
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from statuspage.models import (
    ApiToken,
    AuditLog,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Delivery,
    DeliveryAttempt,
    EmailSubscriber,
    Incident,
    IncidentUpdate,
    NoticeSentInError,
    OfficialChannel,
    OnCallContact,
    OutboxEvent,
    PageSettings,
    WebhookSubscriber,
)
from statuspage.i18n import LANGUAGE_CODES
from statuspage.oncall import is_administrator
from statuspage.statuses import ALL_INCIDENT_STATUSES, CLOSED_STATUSES, ComponentStatus
from statuspage.services.changes import change as public_change
from statuspage.services.components import do_set_component_status
from statuspage.services.incidents import do_open_incident, do_post_update, do_publish_draft

admin.site.site_header = "Status page — on-call console"
admin.site.site_title = "On-call console"
admin.site.index_title = "Post incidents, updates and maintenance"


def _plain(value):
    """A form value as the audit trail keeps it: ids for objects, text for the rest."""
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, (list, tuple, QuerySet)):
        return sorted(str(_plain(v)) for v in value)
    return value if isinstance(value, (bool, int, float)) or value is None else str(value)[:500]


def audit_action(request, action: str, objects) -> None:
    """An admin action (the list page's drop-down) changes rows without log_change: record each."""
    for obj in objects:
        AuditLog.record(actor=request.user, via="admin", action=action, obj=obj, summary=str(obj))


class AuditedAdmin(admin.ModelAdmin):
    """Every add, change, delete and action in the admin also lands in the audit trail,
    with each changed field's old and new value."""

    self_audited = False  # the model's own methods already record their changes

    # A save with its inlines, a delete, an action: each is one public change (one bump).
    def changeform_view(self, *args, **kwargs):
        with public_change():
            return super().changeform_view(*args, **kwargs)

    def delete_view(self, *args, **kwargs):
        with public_change():
            return super().delete_view(*args, **kwargs)

    def changelist_view(self, *args, **kwargs):
        with public_change():
            return super().changelist_view(*args, **kwargs)

    def construct_change_message(self, request, form, formsets, add=False):
        # Called before the save, while the form still knows the old values.
        fields = {name: [_plain(form.initial.get(name)), _plain(form.cleaned_data.get(name))]
                  for name in form.changed_data}
        request._audit_fields = {name: values for name, values in fields.items() if values[0] != values[1]}
        return super().construct_change_message(request, form, formsets, add)

    def log_addition(self, request, obj, message):
        if not self.self_audited:
            AuditLog.record(actor=request.user, via="admin", action="add", obj=obj, summary=str(obj),
                            changes={"fields": getattr(request, "_audit_fields", {})})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if message:
            AuditLog.record(actor=request.user, via="admin", action="change", obj=obj, summary=str(obj),
                            changes={"message": message, "fields": getattr(request, "_audit_fields", {})})
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            AuditLog.record(actor=request.user, via="admin", action="delete", obj=obj, summary=str(obj))
        return super().log_deletions(request, queryset)


class OfficialChannelInline(admin.TabularInline):
    model = OfficialChannel
    extra = 0


@admin.register(PageSettings)
class PageSettingsAdmin(AuditedAdmin):
    list_display = ["name", "url", "time_zone", "updated_at"]
    inlines = [OfficialChannelInline]


@admin.register(ComponentGroup)
class ComponentGroupAdmin(AuditedAdmin):
    list_display = ["name", "key", "position"]
    search_fields = ["name", "key"]


@admin.register(Component)
class ComponentAdmin(AuditedAdmin):
    list_display = ["name", "key", "group", "status", "status_source", "updated_at"]
    list_filter = ["status", "group", "status_source"]
    search_fields = ["name", "key"]
    # The model lists the fields Listed shares first; the form keeps a component's own order.
    fields = ["key", "name", "description", "group", "position", "status", "only_show_if_degraded", "showcase",
              "translations", "status_source", "created_at", "updated_at"]
    readonly_fields = ["status_source", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        new_status = form.cleaned_data.get("status")
        with transaction.atomic():
            if change and "status" in form.changed_data:
                obj.status = Component.objects.get(pk=obj.pk).status  # set_status logs the change
                super().save_model(request, obj, form, change)
                # Audited with the rest of the form (AuditedAdmin.log_change).
                do_set_component_status(obj, new_status, source=Component.Source.MANUAL, actor=request.user,
                                        via="admin", audited=False)
            else:
                super().save_model(request, obj, form, change)


class IncidentUpdateInline(admin.StackedInline):
    model = IncidentUpdate
    extra = 0
    can_delete = False
    fields = ["status", "display_at", "author", "body", "translations", "affected"]
    readonly_fields = ["status", "display_at", "author", "body", "translations", "affected"]
    ordering = ["-display_at"]

    def has_add_permission(self, request, obj=None):
        return False  # new updates go through the form above, so components change with them

    @admin.display(description="affected components")
    def affected(self, obj):
        return ", ".join(f"{a.component.name}: {a.old_status} → {a.new_status}"
                         for a in obj.affected_components.select_related("component")) or "—"


class IncidentForm(forms.ModelForm):
    update_status = forms.ChoiceField(choices=[("", "— no new update —"), *ALL_INCIDENT_STATUSES], required=False,
                                      label="Post update with status")
    update_body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                  label="Update message (Markdown)")
    affected = forms.ModelMultipleChoiceField(queryset=Component.objects.all(), required=False,
                                              widget=forms.CheckboxSelectMultiple, label="Affected components")
    component_status = forms.ChoiceField(choices=[("", "— leave as they are —"), *ComponentStatus.choices],
                                         required=False, label="Set affected components to")
    update_translations = forms.JSONField(
        required=False, label="Update message in other languages",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text='{"uk": "…", "uz": "…", "uz-latn": "…", "ru": "…"}; a language left out shows the message above.')

    class Meta:
        model = Incident
        fields = ["name", "translations", "kind", "impact", "published", "scheduled_for", "scheduled_until",
                  "auto_transition", "postmortem", "postmortem_published_at"]
        labels = {"translations": "Name in other languages"}
        help_texts = {"translations": '{"uk": {"name": "…"}, "uz": {"name": "…"}}'}

    def clean_update_translations(self):
        value = self.cleaned_data.get("update_translations") or {}
        if not isinstance(value, dict) or any(lang not in LANGUAGE_CODES or not isinstance(body, str)
                                              for lang, body in value.items()):
            raise forms.ValidationError('Use {"uk": "…", …} with the codes ' + ", ".join(LANGUAGE_CODES))
        return {lang: body for lang, body in value.items() if body.strip()}

    def clean(self):
        data = super().clean()
        # Not `instance.pk`: the id has a default, so a new, unsaved incident has one already.
        adding = self.instance._state.adding
        kind = data.get("kind") or (Incident.Kind.INCIDENT if adding else self.instance.kind)
        status = data.get("update_status")
        if adding and not status:
            status = Incident.allowed_statuses(kind)[0]
            data["update_status"] = status
        if status and status not in Incident.allowed_statuses(kind):
            self.add_error("update_status", f"'{status}' is not a {kind} status")
        if data.get("component_status") and not data.get("affected"):
            self.add_error("affected", "choose the components whose status to set")
        if kind == Incident.Kind.MAINTENANCE and not data.get("scheduled_for"):
            self.add_error("scheduled_for", "a maintenance needs a start time")
        return data


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Resolved / completed")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.exclude(status__in=CLOSED_STATUSES)
        if self.value() == "closed":
            return queryset.filter(status__in=CLOSED_STATUSES)
        return queryset


@admin.register(Incident)
class IncidentAdmin(AuditedAdmin):
    self_audited = True
    form = IncidentForm
    list_display = ["name", "kind", "status", "impact", "published", "started_at", "probe_key"]
    list_filter = [OpenFilter, "kind", "status", "impact", "published"]
    search_fields = ["name", "updates__body", "id"]
    date_hierarchy = "started_at"
    inlines = [IncidentUpdateInline]
    actions = ["publish_drafts"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "impact", "published"]}),
        ("Post an update", {"fields": ["update_status", "update_body", "affected", "component_status"]}),
        ("Other languages", {"fields": ["translations", "update_translations"]}),
        ("Maintenance window", {"fields": ["scheduled_for", "scheduled_until", "auto_transition"],
                                "classes": ["collapse"]}),
        ("Postmortem", {"fields": ["postmortem", "postmortem_published_at"], "classes": ["collapse"]}),
    ]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        components = {c: data["component_status"] for c in data.get("affected") or []} \
            if data.get("component_status") else {}
        with transaction.atomic():
            if not change:
                created = do_open_incident(
                    name=obj.name, status=data["update_status"], body=data.get("update_body", ""),
                    impact=obj.impact if obj.impact != "none" else None, components=components, kind=obj.kind,
                    published=obj.published, scheduled_for=obj.scheduled_for, scheduled_until=obj.scheduled_until,
                    author=request.user, via="admin", translations=obj.translations,
                    body_translations=data.get("update_translations"),
                )
                for c in data.get("affected") or []:
                    created.components.add(c)
                obj.pk = created.pk
                obj.refresh_from_db()
                return
            was_published = Incident.objects.filter(pk=obj.pk).values_list("published", flat=True).first()
            obj.published = was_published  # publishing goes through publish_draft, so subscribers hear
            super().save_model(request, obj, form, change)
            if data.get("update_status"):
                do_post_update(obj, status=data["update_status"], body=data.get("update_body", ""),
                                components=components, author=request.user, via="admin",
                                translations=data.get("update_translations"))
            if form.cleaned_data.get("published") and not was_published:
                do_publish_draft(obj, author=request.user)

    def save_related(self, request, form, formsets, change):
        # Components were attached by the model methods; don't let the form reset them.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description="Publish selected drafts")
    def publish_drafts(self, request, queryset):
        for incident in queryset.filter(published=False):
            do_publish_draft(incident, author=request.user)
        messages.success(request, "Published.")


@admin.register(ComponentStatusChange)
class ComponentStatusChangeAdmin(admin.ModelAdmin):
    list_display = ["component", "old_status", "new_status", "at", "source", "actor", "incident"]
    list_filter = ["source", "new_status", "component"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are the truth of what happened (the audit log, the outbox and its
    deliveries): looked at, never added, edited or deleted by hand (a delete would cascade,
    with no audit row)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "via", "action", "object_type", "object_id", "summary"]
    list_filter = ["via", "action", "object_type"]
    search_fields = ["actor_name", "object_id", "summary"]
    date_hierarchy = "at"


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """Tokens are issued by `manage.py oncall` and only renamed or revoked here: owner and
    expiry are fixed at creation, and only administrators see other users' tokens."""

    list_display = ["prefix", "user", "name", "issued_by", "created_at", "expires_at", "last_used_at"]
    readonly_fields = ["prefix", "user", "issued_by", "created_at", "expires_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # `manage.py oncall add|token` shows a key once

    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        return tokens if is_administrator(request.user) else tokens.filter(user=request.user)

    def _own_or_admin(self, request, obj) -> bool:
        return obj is None or obj.user_id == request.user.pk or is_administrator(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._own_or_admin(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own_or_admin(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own_or_admin(request, obj)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "type", "created_at", "fanned_out_at"]
    list_filter = ["type"]


def _checked_webhook_url(url: str) -> str:
    """The SSRF rules of every webhook URL (statuspage.webhooks.ssrf), as a form error."""
    from rest_framework.exceptions import ValidationError as DRFValidationError

    from statuspage.api.webhooks import validate_webhook_url

    try:
        return validate_webhook_url(url)
    except DRFValidationError as exc:
        raise forms.ValidationError(exc.detail[0]) from None


class WebhookAdminForm(forms.ModelForm):
    language = forms.ChoiceField(choices=[("", "— the page's first language —"), *settings.LANGUAGES],
                                 required=False, help_text="Of the emails to the owner.")

    class Meta:
        model = WebhookSubscriber
        fields = ["url", "description", "format", "components", "owner_email", "language", "active", "confirmed"]

    def clean_url(self):
        return _checked_webhook_url(self.cleaned_data["url"])


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status_code", "latency_ms", "error"]

    def has_add_permission(self, request, obj=None):
        return False


# A secret is shown in the answer to the very request that made it, never through the
# messages framework: its cookie is signed, not encrypted, and the session is a table.


@admin.register(WebhookSubscriber)
class WebhookSubscriberAdmin(AuditedAdmin):
    form = WebhookAdminForm
    list_display = ["url", "format", "active", "confirmed", "failing_since", "disabled_reason", "created_at"]
    list_filter = ["active", "format", "confirmed"]
    search_fields = ["url", "description", "owner_email"]
    filter_horizontal = ["components"]
    actions = ["send_test_event", "reenable", "rotate_secret"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        back = reverse("admin:statuspage_webhooksubscriber_change", args=[obj.pk])
        return self._secrets_page(request, "Webhook added", [(obj, obj.secret)], back)

    def _secrets_page(self, request, title, secrets, back):
        context = {**self.admin_site.each_context(request), "title": title, "secrets": secrets, "back": back,
                   "opts": self.model._meta}
        response = TemplateResponse(request, "admin/statuspage/webhooksubscriber/secrets.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description="Send a test event")
    def send_test_event(self, request, queryset):
        from statuspage.delivery_tasks import deliver_batch
        from statuspage.webhooks.dispatch import send_test_event

        ids = [send_test_event(w).pk for w in queryset]
        audit_action(request, "send_test_event", queryset)
        deliver_batch.delay(ids)
        messages.success(request, f"Test event queued for {len(ids)} subscriber(s); see Deliveries.")

    @admin.action(description="Re-enable")
    def reenable(self, request, queryset):
        audit_action(request, "reenable", queryset)
        queryset.update(active=True, disabled_reason="", failing_since=None)

    @admin.action(description="Rotate the secret (shown once)")
    def rotate_secret(self, request, queryset):
        secrets = [(webhook, webhook.rotate_secret()) for webhook in queryset]
        audit_action(request, "rotate_secret", queryset)
        return self._secrets_page(request, "Secrets rotated", secrets,
                                  reverse("admin:statuspage_webhooksubscriber_changelist"))


@admin.register(EmailSubscriber)
class EmailSubscriberAdmin(AuditedAdmin):
    list_display = ["email", "language", "confirmed_at", "created_at"]
    list_filter = ["language"]
    search_fields = ["email"]
    filter_horizontal = ["components"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "webhook", "email", "status", "attempts", "last_status_code", "last_latency_ms",
                    "last_error", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "webhook"]
    search_fields = ["event__id", "webhook__url", "email__email"]
    inlines = [DeliveryAttemptInline]
    readonly_fields = [f.name for f in Delivery._meta.fields]


class OnCallContactForm(forms.ModelForm):
    class Meta:
        model = OnCallContact
        fields = ["user", "alert_webhook_url", "alert_by_email"]

    def clean_alert_webhook_url(self):
        url = self.cleaned_data["alert_webhook_url"]
        return _checked_webhook_url(url) if url else url


@admin.register(OnCallContact)
class OnCallContactAdmin(AuditedAdmin):
    form = OnCallContactForm
    list_display = ["user", "alert_webhook_url", "alert_by_email"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(user=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Where someone else is paged is theirs to set: an on-call user sets only their own.
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = get_user_model().objects.filter(pk=request.user.pk)
            kwargs["initial"] = request.user.pk
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.user = request.user
        super().save_model(request, obj, form, change)


@admin.register(NoticeSentInError)
class NoticeSentInErrorAdmin(AuditedAdmin):
    """On-call tells what went out wrongly: the wording as everyone got it, never who got it."""

    list_display = ["__str__", "incident", "sent_from", "people"]
    list_filter = ["sent_from"]
    search_fields = ["wording"]
    raw_id_fields = ["incident"]
    fieldsets = [
        (None, {"fields": ["incident", "wording", "what_to_do", "channels", "sent_from", "sent_until", "people"]}),
        ("Other languages", {"fields": ["translations"]}),
        ("From the config file", {"fields": ["key", "probe_key"], "classes": ["collapse"]}),
    ]
