from django.core.management.base import BaseCommand

from probes.watchdog import watch_forever


class Command(BaseCommand):
    help = "Watch beat, the dispatcher and every probe's freshness; alert on-call when monitoring goes blind."

    def handle(self, *args, **options):
        watch_forever()
