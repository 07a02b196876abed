from django.db import models

from statuspage.i18n import validate_time_zones
from statuspage.models.ids import new_public_id
from statuspage.translations import TranslationsValidator


class PageSettings(models.Model):
    """The one page this installation publishes; written by apply_config."""

    public_id = models.CharField(max_length=16, default=new_public_id, editable=False)
    name = models.CharField(max_length=200, default="Status")
    url = models.URLField(blank=True, help_text="Public base URL used in feeds, emails and links.")
    notice = models.TextField(blank=True, help_text="Shown on every page, e.g. where support is never given.")
    languages = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    # {"uz": "Asia/Tashkent", "ru-UZ": "Asia/Tashkent", "UZ": ...}: the zone of a reader by language,
    # language and region, or region (statuspage.i18n.reader_time_zone).
    # The language the plain texts (names, bodies without a translation) are written in;
    # blank: the page's first language. Readers of other languages see them marked.
    text_language = models.CharField(max_length=10, blank=True)
    time_zones = models.JSONField(default=dict, blank=True, help_text="{language, language-REGION or REGION: zone}",
                                  validators=[validate_time_zones])
    translations = models.JSONField(default=dict, blank=True, help_text="{lang: {name, notice}}",
                                    validators=[TranslationsValidator("name", "notice")])
    # How long before a maintenance starts its subscribers are reminded (config `page.maintenance_reminder`).
    maintenance_reminder = models.DurationField(null=True, blank=True, help_text="Empty: no reminders.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "page settings"
        verbose_name_plural = "page settings"
        # Applying (and pruning) the config document rewrites components and official channels.
        permissions = [("apply_config", "Can apply and prune the config document")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def load(cls) -> "PageSettings":
        page, _ = cls.objects.get_or_create(pk=1)
        return page


class OfficialChannel(models.Model):
    """An official support channel, shown everywhere because fake ones are a threat."""

    page = models.ForeignKey(PageSettings, on_delete=models.CASCADE, related_name="channels")
    name = models.CharField(max_length=200)
    value = models.CharField(max_length=200, blank=True)
    url = models.URLField(blank=True)
    position = models.PositiveIntegerField(default=0)
    translations = models.JSONField(default=dict, blank=True, help_text="{lang: {name}}",
                                    validators=[TranslationsValidator("name")])

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.value or self.url}"
