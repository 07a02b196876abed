"""/api/docs/: Swagger UI for the management API, under the site's CSP."""

from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerDocs(SpectacularSwaggerSplitView):
    """No inline script (the split view serves its init script from `?script=`) and no
    inline style (statuspage/templates/api/swagger_ui.html), so no 'unsafe-inline'."""

    template_name = "api/swagger_ui.html"
