"""Date formats per language (FORMAT_MODULE_PATH), one package per locale.

Dates use "E", the month in the genitive ("17 жовтня"), and a 24-hour clock everywhere.
The month names are marked here so that our own catalogs carry them: Django ships Uzbek
in Latin script only, and the Cyrillic page must not show "oktabr".
"""

from django.utils.translation import pgettext_lazy

ALT_MONTHS = [
    pgettext_lazy("alt. month", "January"), pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"), pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"), pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"), pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"), pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"), pgettext_lazy("alt. month", "December"),
]
