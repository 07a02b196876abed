"""Error answers of the management API: all JSON, each saying what to do next."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from statuspage.statuses import next_statuses

DATABASE_DOWN = "The database is unavailable; nothing was changed. Try again in a minute."


def exception_handler(exc, context):
    """DRF's handler, plus model-level ValidationErrors as 400 with a message per field, and
    a database that cannot be reached as 503 (a retry will do), not a 500."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return Response({"detail": DATABASE_DOWN}, status=503, headers={"Retry-After": "30"})
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


class InvalidTransition(exceptions.APIException):
    """409: the incident is in a status the asked one cannot follow; the body lists those
    that can (docs/api.md, the transitions table)."""

    status_code = 409
    default_code = "invalid_transition"

    def __init__(self, kind: str, current: str, wanted: str, allowed: list[str], reopenable: list[str]):
        article = "An" if kind[0] in "aeiou" else "A"
        detail = f"{article} {kind} in status '{current}' cannot move to '{wanted}'; allowed next: " + (
            ", ".join(allowed) or "none")
        if reopenable:
            detail += f'. To reopen it, send "reopen": true with one of {", ".join(reopenable)}'
        super().__init__({"detail": detail, "status": current, "allowed": allowed,
                          "allowed_with_reopen": reopenable})


def check_transition(incident, wanted: str, reopen: bool) -> None:
    """409 unless `wanted` may follow the incident's status (statuses.TRANSITIONS)."""
    allowed = next_statuses(incident.status, reopen)
    if wanted not in allowed:
        raise InvalidTransition(incident.kind, incident.status, wanted, allowed,
                                [] if reopen else next_statuses(incident.status, reopen=True))
