"""RSS and Atom feeds (docs/api.md) with django.contrib.syndication.

One entry per incident update, titled with the incident's name and the update's status:
feed readers rarely resurface an edited entry, but they do show a new one. Each entry
carries the incident's timeline up to that update, and a GUID that never changes.
"""

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from statuspage.i18n import html_lang, localized, reader_time_zone, time_zone_label
from statuspage.markdown import render_markdown
from statuspage.models import Component, ComponentGroup, IncidentUpdate, PageSettings
from statuspage.verification.codes import code_for

ITEMS = 50


class HistoryRss(Feed):
    def get_object(self, request, *args, **kwargs):
        self.page = PageSettings.load()
        self.request = request
        self.tz = reader_time_zone(request, self.page)
        self.language = html_lang(get_language())
        return None

    def title(self):
        return _("%(page)s — history") % {"page": localized(self.page)}

    def link(self):
        return "/history"

    def feed_url(self):
        """This language's feed URL, as the page's autodiscovery links give it (`?lang=`):
        RFC 4287's rel="self" must match the URL fetched. Always the language (one snapshot
        serves `?lang=uk` and an Accept-Language of uk alike), `tz` when one was asked for."""
        kept = [("lang", get_language())]
        if self.request.GET.get("tz"):
            kept.append(("tz", self.request.GET["tz"]))
        return f"{self.request.path}?{urlencode(kept)}"

    # RFC 4287 §4.1.1: an Atom feed needs an author on the feed or on every entry. The
    # page (its operator) is the author of everything it publishes; on both, so entries
    # copied out of the feed keep theirs.
    def author_name(self):
        return localized(self.page)

    def author_link(self):
        return self._base()

    def item_author_name(self, item):
        return localized(self.page)

    def item_author_link(self, item):
        return self._base()

    def _base(self) -> str:
        return (self.page.url or self.request.build_absolute_uri("/")).rstrip("/") + "/"

    def description(self):
        return self._footer_text()

    def _footer_text(self) -> str:
        """The notice, the official channels and where to check them: a feed is read far
        from the page, and fake channels copy its look."""
        channels = "; ".join(f"{localized(c)}: {c.value or c.url}" for c in self.page.channels.all())
        parts = [localized(self.page, "notice"),
                 _("Official channels: %(channels)s.") % {"channels": channels} if channels else "",
                 _("Verify them at %(url)s") % {"url": f"{self._base()}.well-known/statuspage.json"}]
        return " ".join(p for p in parts if p)

    def _when(self, value) -> str:
        local = value.astimezone(ZoneInfo(self.tz))
        return f"{date_format(local, 'DATETIME_FORMAT')} ({time_zone_label(self.tz, value)})"

    def updates(self):
        return (IncidentUpdate.objects.filter(incident__published=True)
                .select_related("incident").prefetch_related("incident__updates")
                .order_by("-display_at", "-created_at"))

    def items(self, obj):
        return self.updates()[:ITEMS]

    def item_title(self, item: IncidentUpdate):
        return f"{localized(item.incident)} — {item.get_status_display()}"

    def item_description(self, item: IncidentUpdate):
        timeline = [u for u in item.incident.updates.all() if u.display_at <= item.display_at]
        parts = [
            f"<p><strong>{escape(u.get_status_display())}</strong> — {escape(self._when(u.display_at))}</p>"
            f"{render_markdown(localized(u, 'body'))}"
            for u in timeline
        ]
        # The entry's own statement, checkable at /verify (docs/verification.md).
        parts.append(f"<p>{escape(_('Verification code'))}: <code>{code_for('update', item.id)}</code></p>")
        return "".join(parts) + f"<p><em>{escape(self._footer_text())}</em></p>"

    def item_link(self, item: IncidentUpdate):
        return f"{item.incident.get_absolute_url()}#update-{item.id}"

    def item_guid(self, item: IncidentUpdate):
        host = self.request.get_host().split(":")[0]
        return f"tag:{host},{item.created_at:%Y-%m-%d}:incident/{item.incident_id}/update/{item.id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: IncidentUpdate):
        return item.display_at

    def item_updateddate(self, item: IncidentUpdate):
        return item.updated_at


class HistoryAtom(HistoryRss):
    feed_type = Atom1Feed

    def subtitle(self):
        return self._footer_text()


class ComponentRss(HistoryRss):
    def get_object(self, request, key: str):
        super().get_object(request)
        # A group's key gives the feed of all its components, as its badge does.
        self.component = Component.objects.filter(key=key).first() or get_object_or_404(ComponentGroup, key=key)
        return self.component

    def title(self, obj):
        return f"{localized(self.page)} — {localized(obj)}"

    def link(self, obj):
        return "/history"

    def updates(self):
        if isinstance(self.component, ComponentGroup):
            return super().updates().filter(incident__components__group=self.component).distinct()
        return super().updates().filter(incident__components=self.component).distinct()


class ComponentAtom(ComponentRss):
    feed_type = Atom1Feed

    def subtitle(self, obj):
        return self._footer_text()
