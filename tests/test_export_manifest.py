"""The static export's signed manifest: a mirror proves it serves the official page unchanged,
and `manage.py verify_export DIR` says what a tampered mirror changed."""

import base64
import json
import shutil
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command
from django.test import Client

from statuspage.public.render import render_all
from statuspage.services.incidents import do_open_incident
from statuspage.verification import keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(page, tmp_path, settings, monkeypatch):
    settings.VAR_DIR = tmp_path
    monkeypatch.delenv("SIGNING_KEY", raising=False)
    keys.load.cache_clear()
    do_open_incident(name="SMS delays", body="Codes arrive late.")
    render_all(export_dir=tmp_path / "public")
    mirror = tmp_path / "mirror"
    shutil.copytree(tmp_path / "public", mirror)  # what a CDN or a second host holds
    yield mirror
    keys.load.cache_clear()


def verify(folder, *extra) -> str:
    out = StringIO()
    call_command("verify_export", str(folder), *extra, stdout=out)
    return out.getvalue()


def test_an_unchanged_mirror_verifies(exported):
    assert verify(exported).startswith("OK: ")


def test_the_manifest_lists_every_exported_file_and_verifies_with_cryptography_alone(exported):
    data = json.loads((exported / "statuspage-manifest.json").read_text())
    jwks = Client().get("/.well-known/statuspage-keys.json").json()

    key = next(k for k in jwks["keys"] if k["kid"] == data["kid"])
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["x"] + "=="))
    unsigned = {k: v for k, v in data.items() if k != "signature"}
    public.verify(base64.urlsafe_b64decode(data["signature"] + "=="),
                  json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    assert "en/index.html" in data["files"] and "en/index.html.br" in data["files"]
    assert ".well-known/statuspage-keys.json" in data["files"]


def test_a_changed_page_on_the_mirror_is_named(exported):
    page = exported / "uk" / "index.html"
    page.write_text(page.read_text().replace("1545", "t.me/fake_support_bot"))

    with pytest.raises(CommandError, match=r"uk/index.html: changed"):
        verify(exported)


def test_a_page_added_to_the_mirror_is_named(exported):
    (exported / "uk" / "support.html").write_text("<p>Write to our bot</p>")

    with pytest.raises(CommandError, match=r"uk/support.html: not in the manifest"):
        verify(exported)


def test_a_manifest_rewritten_by_the_mirror_fails_its_signature(exported):
    path = exported / "statuspage-manifest.json"
    data = json.loads(path.read_text())
    (exported / "uk" / "index.html").write_text("tampered")
    data["files"]["uk/index.html"] = "0" * 64
    path.write_text(json.dumps(data))

    with pytest.raises(CommandError, match="signature does not match"):
        verify(exported)


def test_a_mirror_signed_with_its_own_key_is_refused_against_the_official_key_set(exported, tmp_path):
    official = tmp_path / "official-keys.json"
    official.write_text(json.dumps(keys.KeyRing(keys.Ed25519PrivateKey.generate()).jwks()))

    with pytest.raises(CommandError, match="does not publish"):
        verify(exported, "--jwks", str(official))


def test_a_mirror_of_an_export_made_before_a_rotation_still_verifies(exported):
    keys.rotate_laptop_key()

    assert "(retired)" in verify(exported)


def test_a_folder_without_a_manifest_is_refused(tmp_path):
    (tmp_path / "site").mkdir()

    with pytest.raises(CommandError, match="statuspage-manifest.json: missing"):
        verify(tmp_path / "site")
