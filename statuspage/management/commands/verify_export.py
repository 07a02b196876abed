"""`manage.py verify_export DIR [--jwks FILE|URL]`: does a mirror serve the official export
unchanged? Checks the signed manifest against the page's keys (this instance's own, or the
JWK Set given: fetch it from the official page, never from the mirror being checked)."""

import json
from pathlib import Path

import httpx
from django.core.management.base import BaseCommand, CommandError

from statuspage.verification import keys, manifest


class Command(BaseCommand):
    help = "Check a static export folder against its signed manifest."

    def add_arguments(self, parser):
        parser.add_argument("dir", help="the export folder (or a mirror's copy of it)")
        parser.add_argument("--jwks", help="the page's JWK Set: a file, or the https URL of "
                                           "/.well-known/statuspage-keys.json on the official page")

    def handle(self, *args, dir: str, jwks: str | None = None, **options):
        root = Path(dir)
        if not root.is_dir():
            raise CommandError(f"{dir}: not a folder")
        report = manifest.check(root.resolve(), self._key_set(jwks))
        if not report.ok:
            raise CommandError(f"{dir} does NOT match its signed manifest:\n" +
                               "\n".join(f"  {p}" for p in report.problems))
        self.stdout.write(f"OK: {report.files} files match the manifest signed by key {report.kid} "
                          f"({report.key_status or 'published'}).")

    def _key_set(self, source: str | None) -> dict:
        if source is None:
            return keys.load().jwks()
        try:
            if source.startswith(("https://", "http://")):
                response = httpx.get(source, timeout=10, follow_redirects=False, trust_env=False)
                response.raise_for_status()
                return response.json()
            return json.loads(Path(source).read_text())
        except (OSError, ValueError, httpx.HTTPError) as exc:
            raise CommandError(f"--jwks {source}: cannot read a JWK Set ({exc})") from None
