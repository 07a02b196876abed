"""The management API's OpenAPI schema says which errors each operation can answer.

drf-spectacular documents only the success codes the views declare; a client (and
schemathesis, tests/reliability/test_api_fuzz.py) must also know the error answers, which are all
JSON (statuspage.api.errors): 401 without a valid token, 403 for a user not on call,
404 for an unknown id or key, 400 with a message per field, 413/415 for a body that is
too big or not JSON.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

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
        responses = operation["responses"]
        for code in codes:
            responses.setdefault(code, {
                "description": _DESCRIPTIONS[code],
                "content": {"application/json": {"schema": ERROR}},
            })
        return operation

