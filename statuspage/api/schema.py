"""The management API's OpenAPI schema says which errors each operation can answer.

drf-spectacular documents only the success codes the views declare; a client (and
schemathesis, tests/reliability/test_api_fuzz.py) must also know the error answers, which are all
JSON (statuspage.api.errors): 401 without a valid token, 403 for a user not on call,
404 for an unknown id or key, 400 with a message per field, 413/415 for a body that is
too big or not JSON; on a POST, 409 and 422 of the Idempotency-Key (and 409 for a status
that cannot follow the incident's). Every POST documents the Idempotency-Key header, and the
token is accepted as `Token <key>` or `Bearer <key>` (two security schemes).
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from statuspage.api import types

ERROR = {
    "type": "object",
    "description": "`detail` for a request-level error; otherwise a list of messages per field "
                   "(`errors` by config path for /api/v1/config/).",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
_DESCRIPTIONS = {
    "400": "Invalid request: a message per field, or `detail`",
    "401": "No token, or an invalid, expired or revoked one",
    "403": "The user is not on call",
    "404": "No such object",
    "413": "The body is over DATA_UPLOAD_MAX_MEMORY_SIZE",
    "415": "The body is not JSON",
    "409": "A request with this Idempotency-Key is still in flight (retry), or, for an update, the status "
           "cannot follow the incident's: `allowed` lists those that can",
    "422": "This Idempotency-Key was used in the last 24 hours for a different request",
}
IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    "description": "Any unique string (a UUID). A retry with the same key and body within 24 hours gets the first "
                   "answer (with `Idempotent-Replayed: true`) and creates nothing; another body: 422.",
}
_WITH_BODY = {"POST", "PUT", "PATCH"}


class ManagementAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        codes = ["401", "403"]
        if "{" in path:
            codes.append("404")
        if method.upper() in _WITH_BODY or operation.get("parameters"):
            codes.append("400")
        if method.upper() in _WITH_BODY:
            codes += ["413", "415"]
        if method.upper() == "POST":
            codes += ["409", "422"]
            operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
        responses = operation["responses"]
        for code in codes:
            responses.setdefault(code, {
                "description": _DESCRIPTIONS[code],
                "content": {"application/json": {"schema": ERROR}},
            })
        return operation


class TokenScheme(OpenApiAuthenticationExtension):
    """One token, two ways to send it: `Token <key>` and `Bearer <key>`."""

    target_class = "statuspage.api.auth.TokenAuthentication"
    name = ["tokenAuth", "bearerAuth"]
    priority = 0  # over drf-spectacular's own, for DRF's class; OAuth's (statuspage_v1) is 1

    def get_security_requirement(self, auto_schema):
        return [{"tokenAuth": []}, {"bearerAuth": []}]

    def get_security_definition(self, auto_schema):
        return [{"type": "apiKey", "in": "header", "name": "Authorization",
                 "description": 'An API token (manage.py oncall token): "Token <token>"'},
                {"type": "http", "scheme": "bearer", "description": "The same API token: \"Bearer <token>\""}]


# The public v2 API (docs/api.md) is plain Django views (snapshotted, no DRF), which
# drf-spectacular cannot see: this hook documents it with the shapes of statuspage.api.types.
_PUBLIC_V2 = {
    "/api/v2/summary.json": ("SummaryShape", "The page, all components, unresolved incidents, "
                                             "active and upcoming maintenances, the status"),
    "/api/v2/status.json": ("StatusAnswerShape", "The page's indicator and its description"),
    "/api/v2/components.json": ("ComponentsAnswerShape", "Groups and components in the page's order"),
    "/api/v2/incidents.json": ("IncidentsAnswerShape", "The 50 most recent incidents"),
    "/api/v2/incidents/unresolved.json": ("IncidentsAnswerShape", "Unresolved incidents"),
    "/api/v2/scheduled-maintenances.json": ("MaintenancesAnswerShape", "The 50 most recent maintenances"),
    "/api/v2/scheduled-maintenances/upcoming.json": ("MaintenancesAnswerShape", "Maintenances not yet started"),
    "/api/v2/scheduled-maintenances/active.json": ("MaintenancesAnswerShape", "Maintenances in progress or verifying"),
}


def add_public_v2(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: the /api/v2/* paths, public (no security), typed."""
    from drf_spectacular.settings import spectacular_settings
    from rest_framework.views import APIView

    auto = AutoSchema()
    auto.view = APIView()  # the shapes' context only: no real view serves /api/v2/
    auto.view.request = request
    auto.registry = generator.registry  # the enum hook after this one rebuilds from it
    auto.method = "GET"
    for path, (shape, summary) in _PUBLIC_V2.items():
        auto.path = auto.path_regex = path
        ref = auto.resolve_serializer(getattr(types, shape), "response").ref
        operation_id = "v2_" + path.removeprefix("/api/v2/").removesuffix(".json").replace("/", "_").replace("-", "_")
        result.setdefault("paths", {})[path] = {"get": {
            "operationId": operation_id, "summary": summary, "tags": ["public v2"],
            "security": [],
            "responses": {
                "200": {"description": "Statuspage's v2 shape", "content": {"application/json": {"schema": ref}}},
                "304": {"description": "Not modified (If-None-Match matched the ETag)"},
            },
        }}
    result["components"] = generator.registry.build(spectacular_settings.APPEND_COMPONENTS)
    return result
