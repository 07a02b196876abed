from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from demo_target.server import MODES
from probes import drill
from probes.models import Probe, ProbeDaily, ProbeRun, RegionState
from statuspage.admin import AuditedAdmin, audit_action
from statuspage.models import AuditLog, PageSettings


class RegionStateInline(admin.TabularInline):
    model = RegionState
    extra = 0
    can_delete = False
    readonly_fields = ["region", "state", "next_run_at", "last_run_at", "consecutive_failures",
                       "consecutive_successes", "consecutive_slow", "consecutive_fast"]


@admin.register(Probe)
class ProbeAdmin(AuditedAdmin):
    list_display = ["key", "component", "state", "enabled", "state_changed_at", "incident", "last_failure_text"]
    list_filter = ["state", "enabled", "component"]
    search_fields = ["key"]
    readonly_fields = ["key", "component", "definition", "state", "state_changed_at", "incident", "recovered_at",
                       "last_failure"]
    fields = ["key", "component", "enabled", "state", "state_changed_at", "incident", "recovered_at",
              "last_failure", "definition"]
    inlines = [RegionStateInline]
    actions = ["run_now"]
    change_list_template = "admin/probes/probe/change_list.html"  # + the drill buttons

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "drill_modes": MODES,
                                                 "drill_target": drill.target_url()})

    def get_urls(self):
        return [path("drill/", self.admin_site.admin_view(require_POST(self.drill_view)), name="probes_drill"),
                *super().get_urls()]

    def drill_view(self, request):
        """Rehearse an outage: switch the demo target, as `manage.py drill MODE` does."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        mode = request.POST.get("mode", "")
        if mode not in MODES:
            messages.error(request, f"Unknown drill mode {mode!r}.")
            return redirect("admin:probes_probe_changelist")
        try:
            state = drill.switch(mode)
        except drill.DrillError as error:
            messages.error(request, str(error))
        else:
            AuditLog.record(actor=request.user, via="admin", action="drill", obj=PageSettings.load(),
                            summary=f"demo target: {state.get('previous', '?')} → {state.get('mode', '?')}")
            messages.success(request, f"Demo target: {state.get('previous', '?')} → {state.get('mode')}. "
                             + drill.expectation(state))
        return redirect("admin:probes_probe_changelist")

    @admin.display(description="last failure")
    def last_failure_text(self, obj):
        return (obj.last_failure or {}).get("message", "—")

    @admin.action(description="Run selected probes now")
    def run_now(self, request, queryset):
        RegionState.objects.filter(probe__in=queryset).update(next_run_at=timezone.now())
        audit_action(request, "run_now", queryset)
        messages.success(request, "Scheduled: they run on the next dispatcher tick (about a second).")


# Runs and daily roll-ups are history: only an admin deletes them, and every delete is audited.
@admin.register(ProbeRun)
class ProbeRunAdmin(AuditedAdmin):
    list_display = ["probe", "region", "started_at", "ok", "slow", "duration_ms", "failure_class", "step", "message"]
    list_filter = ["ok", "failure_class", "region", "probe"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in ProbeRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProbeDaily)
class ProbeDailyAdmin(AuditedAdmin):
    list_display = ["probe", "day", "runs", "failures", "p50_ms", "p95_ms"]
    list_filter = ["probe"]

    def has_add_permission(self, request):
        return False
