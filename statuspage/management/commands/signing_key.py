"""`manage.py signing_key [show|rotate]`: the key that signs statements and exports.

`show` (the default) makes the laptop key in the var dir if no SIGNING_KEY is given, and
prints its kid; `rotate` retires the var dir's key (still published) and makes a new one.
In production set SIGNING_KEY(_FILE) and SIGNING_RETIRED_KEYS(_FILE) instead
(docs/verification.md): processes restart to read them."""

from django.core.management.base import BaseCommand, CommandError

from statuspage.env import envsecret
from statuspage.verification import keys


class Command(BaseCommand):
    help = "Show the signing key's id (making a laptop key if none is set), or rotate the laptop key."

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["show", "rotate"], default="show")

    def handle(self, *args, action: str = "show", **options):
        if action == "rotate":
            if envsecret("SIGNING_KEY"):
                raise CommandError("SIGNING_KEY is set: rotate by moving it to SIGNING_RETIRED_KEYS and "
                                   "setting a new one (docs/verification.md)")
            old, new = keys.rotate_laptop_key()
            self.stdout.write(f"retired {old} (still published); signing with {new}. Restart the processes.")
            return
        ring = keys.load()
        where = "SIGNING_KEY" if envsecret("SIGNING_KEY") else str(keys.laptop_key_path())
        self.stdout.write(f"signing key {ring.kid} ({where}); {len(ring.retired)} retired key(s) published")
