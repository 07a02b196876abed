from django.core.management.base import BaseCommand, CommandError

from statuspage.config.apply import apply_config
from statuspage.config.load import ConfigFileError, load_file
from statuspage.config.schema import format_errors, validate
from statuspage.models import Component


class Command(BaseCommand):
    help = "Apply a config file (page, components, probes). Idempotent; an invalid file changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--prune", action="store_true", help="delete components and probes absent from the file")
        parser.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")

    def handle(self, *args, file, prune, dry_run, **options):
        try:
            doc = load_file(file)
        except ConfigFileError as exc:
            raise CommandError(str(exc)) from None
        config, errors = validate(doc, set(Component.objects.values_list("key", flat=True)))
        if errors:
            raise CommandError(f"{file}: {len(errors)} error(s), nothing changed:\n{format_errors(errors)}")
        changes = apply_config(config, prune=prune, dry_run=dry_run)
        prefix = "[dry run] " if dry_run else ""
        for line in changes:
            self.stdout.write(f"{prefix}{line}")
        self.stdout.write(self.style.SUCCESS(
            f"{file}: {len(changes)} change(s) {'planned (dry run)' if dry_run else 'applied'}"
        ))
