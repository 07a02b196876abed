"""The on-call console: Django's admin, arranged for posting during an incident."""

from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from statuspage import admin_publish
from statuspage.admin_forms import TranslatedAdminMixin, TranslatedModelForm, field_name, name_the_zone
from statuspage.admin_incident_form import IncidentForm, template_initial
from statuspage.api.webhooks import validate_webhook_url
from statuspage.delivery_tasks import deliver_batch
from statuspage.i18n import LANGUAGE_NAMES
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
    IncidentTemplate,
    IncidentUpdate,
    NoticeSentInError,
    OfficialChannel,
    OnCallContact,
    OutboxEvent,
    PageSettings,
    WebhookSubscriber,
)
from statuspage.notify.oncall_alerts import send_test_alert
from statuspage.oncall import is_administrator
from statuspage.services.changes import change as public_change
from statuspage.services.components import do_set_component_status
from statuspage.services.drafts import do_open_draft, do_post_console_update
from statuspage.statuses import CLOSED_STATUSES
from statuspage.webhooks.dispatch import send_test_event

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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return name_the_zone(super().formfield_for_dbfield(db_field, request, **kwargs))

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


def translated(model, *fields: str) -> type[TranslatedModelForm]:
    """A ModelForm of `model` whose `fields` are written per language (statuspage.admin_forms)."""
    meta = type("Meta", (), {"model": model, "exclude": ["translations"]})
    return type(f"{model.__name__}Form", (TranslatedModelForm,), {"Meta": meta, "translated_fields": fields,
                                                                   "__module__": __name__})


class OfficialChannelInline(TranslatedAdminMixin, admin.TabularInline):
    model = OfficialChannel
    form = translated(OfficialChannel, "name")
    extra = 0


@admin.register(PageSettings)
class PageSettingsAdmin(TranslatedAdminMixin, AuditedAdmin):
    form = translated(PageSettings, "name", "notice")
    list_display = ["name", "url", "time_zone", "updated_at"]
    inlines = [OfficialChannelInline]


@admin.register(ComponentGroup)
class ComponentGroupAdmin(TranslatedAdminMixin, AuditedAdmin):
    form = translated(ComponentGroup, "name", "description")
    list_display = ["name", "key", "position"]
    search_fields = ["name", "key"]


@admin.register(Component)
class ComponentAdmin(TranslatedAdminMixin, AuditedAdmin):
    form = translated(Component, "name", "description")
    list_display = ["name", "key", "group", "status", "status_source", "updated_at"]
    list_filter = ["status", "group", "status_source"]
    search_fields = ["name", "key"]
    # The model lists the fields Listed shares first; the form keeps a component's own order.
    fields = ["key", "name", "description", "group", "position", "status", "only_show_if_degraded", "showcase",
              "translations", "status_source", "created_at", "updated_at"]
    readonly_fields = ["status_source", "created_at", "updated_at"]
    # What a responder sees: components are defined by the config (keys are in feed URLs,
    # v2 ids and subscribers' filters), so a responder sets the status and nothing else.
    STATUS_ONLY = ["key", "name", "group", "status", "status_source", "updated_at"]

    @staticmethod
    def _defines_components(request) -> bool:
        return request.user.has_perm("statuspage.apply_config")

    def get_readonly_fields(self, request, obj=None):
        if self._defines_components(request):
            return super().get_readonly_fields(request, obj)
        return [f for f in self.STATUS_ONLY if f != "status"]

    def get_fieldsets(self, request, obj=None):
        if self._defines_components(request):
            return super().get_fieldsets(request, obj)
        return [(None, {"fields": self.STATUS_ONLY})]

    def get_form(self, request, obj=None, **kwargs):
        if self._defines_components(request):
            return super().get_form(request, obj, **kwargs)
        kwargs.update(form=forms.ModelForm, fields=["status"])
        return AuditedAdmin.get_form(self, request, obj, **kwargs)  # no language fields either

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
    fields = ["status", "display_at", "author", "body", "in_other_languages", "affected"]
    readonly_fields = fields
    ordering = ["-display_at"]

    def has_add_permission(self, request, obj=None):
        return False  # new updates go through the form above, so components change with them

    @admin.display(description="in other languages")
    def in_other_languages(self, obj):
        return format_html_join(mark_safe("<br>"), "<b>{}</b>: {}", ((LANGUAGE_NAMES.get(lang, lang), text)
                                for lang, text in (obj.translations or {}).items())) or "—"

    @admin.display(description="affected components")
    def affected(self, obj):
        return ", ".join(f"{a.component.name}: {a.old_status} → {a.new_status}"
                         for a in obj.affected_components.select_related("component")) or "—"


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
class IncidentAdmin(TranslatedAdminMixin, AuditedAdmin):
    """Saving makes a draft (its components wait); Preview shows it as the public will
    see it; Publish asks for confirmation, naming who will be told (statuspage.admin_publish)."""

    self_audited = True
    form = IncidentForm
    list_display = ["name", "kind", "status", "impact", "published", "started_at", "probe_key"]

    def view_on_site(self, obj):
        """A draft's public URL is a 404: "View on site" opens its preview instead."""
        if obj.published:
            return obj.get_absolute_url()
        return reverse("admin:statuspage_incident_preview", args=[obj.pk])
    list_filter = [OpenFilter, "kind", "status", "impact", "published"]
    search_fields = ["name", "updates__body", "id"]
    date_hierarchy = "started_at"
    inlines = [IncidentUpdateInline]
    actions = ["publish_drafts"]
    fieldsets = [
        (None, {"fields": ["template", "name", "kind", "impact", "published"]}),
        ("Post an update", {"fields": ["update_status", "update_body", "reopen", "affected", "component_status"]}),
        ("Maintenance window", {"fields": ["scheduled_for", "scheduled_until", "auto_transition"],
                                "classes": ["collapse"]}),
        ("Postmortem", {"fields": ["postmortem", "postmortem_published_at"], "classes": ["collapse"]}),
    ]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<str:incident_id>/preview/", view(partial(admin_publish.preview_view, self)),
                 name="statuspage_incident_preview"),
            path("<str:incident_id>/publish/", view(partial(admin_publish.publish_view, self)),
                 name="statuspage_incident_publish"),
            *super().get_urls(),
        ]

    def get_fieldsets(self, request, obj=None):
        # The postmortem in each language sits with the postmortem, not with the update.
        fieldsets = super().get_fieldsets(request, obj)
        languages = self._languages(request)
        postmortem = [field_name("postmortem", code) for code in languages]
        fieldsets = [(title, {**opts, "fields": [f for f in opts["fields"] if f not in postmortem]
                              + (postmortem if title == "Postmortem" else [])})
                     for title, opts in fieldsets]
        # On a phone, the languages come right after the words they translate.
        last = [fs for fs in fieldsets if fs[0] in ("Maintenance window", "Postmortem")]
        return [fs for fs in fieldsets if fs not in last] + last

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        template = IncidentTemplate.objects.filter(key=request.GET.get("template", "")).first()
        return {**initial, **template_initial(template, self._languages(request))} if template else initial

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["templates"] = IncidentTemplate.objects.all() if add else []
        context["preview_links"] = admin_publish.preview_links(obj) if obj is not None else ""
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        components = {c: data["component_status"] for c in data.get("affected") or []} \
            if data.get("component_status") else {}
        with transaction.atomic():
            if not change:
                created = do_open_draft(
                    name=obj.name, status=data["update_status"], body=data.get("update_body", ""),
                    impact=obj.impact if obj.impact != "none" else None, components=components, kind=obj.kind,
                    scheduled_for=obj.scheduled_for, scheduled_until=obj.scheduled_until,
                    author=request.user, translations=obj.translations,
                    body_translations=data.get("update_translations"),
                )
                for c in data.get("affected") or []:
                    created.components.add(c)
                # What the service does not take: kept as typed (the draft is not public yet).
                created.postmortem, created.postmortem_published_at = obj.postmortem, obj.postmortem_published_at
                created.auto_transition = obj.auto_transition
                created.save(update_fields=["postmortem", "postmortem_published_at", "auto_transition"])
                obj.pk = created.pk
                obj.refresh_from_db()
                return
            # Publishing goes through its confirmation page (response_change), never a tick alone.
            obj.published = Incident.objects.filter(pk=obj.pk).values_list("published", flat=True).first()
            super().save_model(request, obj, form, change)
            if data.get("update_status"):
                do_post_console_update(obj, status=data["update_status"], body=data.get("update_body", ""),
                                       components=components, author=request.user,
                                       translations=data.get("update_translations"))

    def save_related(self, request, form, formsets, change):
        # Components were attached by the services; don't let the form reset them.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def response_add(self, request, obj, post_url_continue=None):
        return self._after_save(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._after_save(request, obj) or super().response_change(request, obj)

    def _after_save(self, request, obj):
        """A draft: say so, with its previews and the way to publish; a ticked box leads there."""
        if obj.published:
            return None
        publish = reverse("admin:statuspage_incident_publish", args=[obj.pk])
        if request.POST.get("published"):
            return HttpResponseRedirect(publish)
        messages.info(request, format_html(
            'Saved as a draft: nobody sees it yet. Preview {} · <a href="{}">Publish…</a>',
            admin_publish.preview_links(obj), publish))
        return None

    @admin.action(description="Publish the selected draft… (asks to confirm)")
    def publish_drafts(self, request, queryset):
        drafts = list(queryset.filter(published=False)[:2])
        if len(drafts) != 1:
            messages.warning(request, "Choose one draft: publishing shows who will be told, one incident at a time.")
            return None
        return HttpResponseRedirect(reverse("admin:statuspage_incident_publish", args=[drafts[0].pk]))


@admin.register(IncidentTemplate)
class IncidentTemplateAdmin(TranslatedAdminMixin, AuditedAdmin):
    """Prepared wording; the config file's `templates:` writes the same rows."""

    form = translated(IncidentTemplate, "title", "body")
    list_display = ["name", "key", "title", "status", "impact", "use_it"]
    search_fields = ["name", "key", "title", "body"]

    @admin.display(description="")
    def use_it(self, obj):
        url = reverse("admin:statuspage_incident_add")
        return format_html('<a href="{}?template={}">New incident from it</a>', url, obj.key)


@admin.register(ComponentStatusChange)
class ComponentStatusChangeAdmin(AuditedAdmin):
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
    # The user's own address, kept on their account: a responder may not change users, but may change this.
    email = forms.EmailField(required=False, help_text="Your address: email alerts go here.")

    class Meta:
        model = OnCallContact
        fields = ["user", "email", "alert_by_email", "alert_webhook_url", "webhook_format", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email

    def clean_alert_webhook_url(self):
        url = self.cleaned_data["alert_webhook_url"]
        return _checked_webhook_url(url) if url else url


@admin.register(OnCallContact)
class OnCallContactAdmin(AuditedAdmin):
    """Where each on-call user is alerted. A responder sees and sets only their own; an
    admin (who manages users) everyone's."""

    form = OnCallContactForm
    list_display = ["user", "user_email", "alert_by_email", "alert_webhook_url", "webhook_format", "language"]
    actions = ["send_test_alert"]
    change_form_template = "admin/statuspage/oncallcontact/change_form.html"

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user")
        return qs if is_administrator(request.user) else qs.filter(user=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Where someone else is paged is theirs to set: a responder sets only their own.
        if db_field.name == "user" and not is_administrator(request.user):
            kwargs["queryset"] = get_user_model().objects.filter(pk=request.user.pk)
            kwargs["initial"] = request.user.pk
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not is_administrator(request.user):
            obj.user = request.user
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            email = form.cleaned_data.get("email", "")
            if "email" in form.changed_data and obj.user.email != email:
                AuditLog.record(actor=request.user, via="admin", action="change", obj=obj.user,
                                summary=f"email of {obj.user}", changes={"email": [obj.user.email, email]})
                obj.user.email = email
                obj.user.save(update_fields=["email"])

    @admin.display(description="email")
    def user_email(self, obj):
        return obj.user.email or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Only its owner reads the secret (it verifies that an alert came from here); in the
        # page itself, never through the messages framework (a signed, not encrypted, cookie).
        contact = self.get_object(request, object_id)
        if contact and contact.user_id == request.user.pk and contact.webhook_format == contact.WebhookFormat.SIGNED:
            extra_context = {**(extra_context or {}), "signing_secret": contact.webhook_secret}
        response = super().change_view(request, object_id, form_url, extra_context)
        add_never_cache_headers(response)
        return response

    @admin.action(description="Send a test alert")
    def send_test_alert(self, request, queryset):
        audit_action(request, "oncall_test", queryset)
        for contact in queryset.select_related("user"):
            reached, failed = send_test_alert(contact.user)
            if reached:
                messages.success(request, f"Test alert to {contact.user}: sent by {', '.join(reached)}.")
            for failure in failed:
                messages.error(request, f"Test alert to {contact.user} NOT delivered: {failure}")
            if not reached and not failed:
                messages.warning(request, f"{contact.user} has no email and no webhook: nothing was sent.")


class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    """Users (the admin role's): every add, change, password change and delete audited, the
    passwords themselves never; only a superuser makes superusers or grants single permissions."""

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        request._audit_fields = {name: values for name, values in getattr(request, "_audit_fields", {}).items()
                                 if "password" not in name}
        return message

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else [*fields, "is_superuser", "user_permissions"]


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AuditedUserAdmin)


@admin.register(NoticeSentInError)
class NoticeSentInErrorAdmin(TranslatedAdminMixin, AuditedAdmin):
    """On-call tells what went out wrongly: the wording as everyone got it, never who got it."""

    list_display = ["__str__", "incident", "sent_from", "people"]
    list_filter = ["sent_from"]
    search_fields = ["wording"]
    raw_id_fields = ["incident"]
    form = translated(NoticeSentInError, "wording", "what_to_do")
    fieldsets = [
        (None, {"fields": ["incident", "wording", "what_to_do", "channels", "sent_from", "sent_until", "people"]}),
        ("From the config file", {"fields": ["key", "probe_key"], "classes": ["collapse"]}),
    ]
