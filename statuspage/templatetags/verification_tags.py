"""Verification codes on the public pages: `{{ update|update_code }}`."""

from django import template

from statuspage.verification.codes import code_for

register = template.Library()


@register.filter
def update_code(update) -> str:
    return code_for("update", update.id)
