from django.core.management.base import BaseCommand, CommandError

from statuspage.public.render import RenderFailed, render_all


class Command(BaseCommand):
    help = ("Render every public page, feed and v2 endpoint now (as after a public change) and, "
            "with --export or PUBLIC_EXPORT_DIR, write them with .gz/.br variants to a folder "
            "nginx or a CDN serves.")

    def add_arguments(self, parser):
        parser.add_argument("--export", metavar="DIR",
                            help="also write the rendered files here (a symlink swapped atomically)")

    def handle(self, *args, export=None, **opts):
        try:
            report = render_all(export_dir=export)
        except (ValueError, RenderFailed) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"rendered {report.rendered} public responses in {report.seconds:.2f}s "
                          f"(version {report.version[:12]})")
        if report.export_dir:
            self.stdout.write(f"exported to {report.export_dir}")
        for key in report.failed:
            self.stderr.write(f"not rendered: {key}")
