"""Query parameters of the management API, read strictly: a value that is not one the
schema allows is a 400 naming the parameter, not silently taken as "no"."""

from rest_framework.exceptions import ValidationError

_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no", ""}


def flag(request, name: str) -> bool:
    values = request.query_params.getlist(name)
    if not values:
        return False
    if len(values) > 1:
        raise ValidationError({name: "give it once"})
    value = values[0].lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError({name: "must be true or false"})
