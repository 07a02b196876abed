"""The admin site of the on-call console: Django's, with a throttled sign-in."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.forms.utils import ErrorDict
from django.template.response import TemplateResponse
from django.urls import reverse

from statuspage import login_throttle

REFUSED = ("Too many failed sign-ins. Wait a few minutes and try again, or ask another on-call engineer "
           "to post for you.")


class ConsoleSite(admin.AdminSite):
    def each_context(self, request):
        # Every admin page says so while an alert would reach no one (templates/admin/base_site.html).
        # Imported here: the admin site is loaded with the apps, before the auth models exist.
        from statuspage.oncall import anyone_reachable

        context = super().each_context(request)
        if request.user.is_authenticated:
            context["oncall_unreachable"] = not anyone_reachable()
        return context

    def login(self, request, extra_context=None):
        username = request.POST.get("username", "") if request.method == "POST" else ""
        if request.method == "POST" and login_throttle.refused(request, username):
            return self._refused(request, username)
        return super().login(request, extra_context)

    def _refused(self, request, username: str) -> TemplateResponse:
        """The login page with the reason, without checking the password at all."""
        from django.contrib.admin.forms import AdminAuthenticationForm

        form = AdminAuthenticationForm(request, data={"username": username})
        form._errors, form.cleaned_data = ErrorDict(), {}
        form.add_error(None, REFUSED)
        context = {
            **self.each_context(request), "title": "Log in", "subtitle": None, "form": form,
            "app_path": request.get_full_path(), "username": request.user.get_username(),
            REDIRECT_FIELD_NAME: request.POST.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name),
        }
        request.current_app = self.name
        return TemplateResponse(request, self.login_template or "admin/login.html", context, status=429)


class ConsoleAdminConfig(AdminConfig):
    default_site = "statuspage.admin_site.ConsoleSite"
