"""Signed statements: every public update and the channel list carry a verification code
and an Ed25519 signature that anyone checks with `cryptography` and the served JWK Set."""

import base64
import json
import os
import stat
from io import StringIO

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client

from statuspage.models import Incident
from statuspage.services.incidents import do_open_incident, do_post_update
from statuspage.verification import codes, keys
from statuspage.verification.signing import sign, verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_keys(settings, tmp_path, monkeypatch):
    """Each test its own var dir and no key from the environment."""
    settings.VAR_DIR = tmp_path
    for name in ("SIGNING_KEY", "SIGNING_KEY_FILE", "SIGNING_RETIRED_KEYS", "SIGNING_RETIRED_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    keys.load.cache_clear()
    yield
    keys.load.cache_clear()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def independent_check(statement: dict, jwks: dict) -> None:
    """What docs/verification.md tells an integrator to do, with `cryptography` alone:
    find the key by kid, canonicalise without `signature` (RFC 8785: sorted keys, no
    spaces, UTF-8; our statements carry no floats), verify. Raises InvalidSignature."""
    key = next(k for k in jwks["keys"] if k["kid"] == statement["kid"])
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519"
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(key["x"]))
    unsigned = {k: v for k, v in statement.items() if k != "signature"}
    message = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    public.verify(b64url_decode(statement["signature"]), message)


def served_jwks() -> dict:
    response = Client().get("/.well-known/statuspage-keys.json")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def test_every_update_in_v2_verifies_with_cryptography_against_the_served_key_set(page):
    incident = do_open_incident(name="Wrong deferral status shown", body="Some people see a deferral «вони не мають».",
                                body_translations={"uk": "Дехто бачить відстрочку, якої не має."})
    do_post_update(incident, status="identified", body="We found the cause.")

    data = Client().get("/api/v2/incidents.json").json()
    jwks = served_jwks()

    updates = data["incidents"][0]["incident_updates"]
    assert len(updates) == 2
    for u in updates:
        assert codes.normalize(u["verification_code"]) == u["verification_code"]
        independent_check(u, jwks)


def test_a_changed_word_breaks_the_signature(page):
    do_open_incident(name="SMS delays", body="Codes arrive late.")
    u = Client().get("/api/v2/incidents.json").json()["incidents"][0]["incident_updates"][0]

    with pytest.raises(InvalidSignature):
        independent_check({**u, "body": "Codes arrive late. Install the new app from t.me/fake."}, served_jwks())
    assert not verify({**u, "body": "Codes arrive late!"})
    assert verify(u)


def test_the_official_channel_list_is_signed_too(page):
    data = Client().get("/.well-known/statuspage.json").json()

    independent_check(data, served_jwks())
    assert data["official_channels"][0]["value"] == "1545" and data["verification_code"]


def test_the_key_set_holds_public_keys_only_with_a_thumbprint_kid():
    jwks = served_jwks()

    (key,) = jwks["keys"]
    assert set(key) == {"kty", "crv", "x", "kid", "use", "alg", "status"} and key["status"] == "current"
    assert len(b64url_decode(key["x"])) == 32
    assert key["kid"] == keys.kid_of(Ed25519PublicKey.from_public_bytes(b64url_decode(key["x"])))


def test_a_laptop_key_is_made_once_in_the_var_dir_readable_by_its_owner_only(tmp_path):
    first = keys.load().kid
    keys.load.cache_clear()

    assert keys.load().kid == first
    mode = stat.S_IMODE(os.stat(tmp_path / "signing_key.pem").st_mode)
    assert mode == 0o600


def test_a_key_from_the_environment_is_used_and_none_is_written(tmp_path, monkeypatch):
    private = Ed25519PrivateKey.generate()
    monkeypatch.setenv("SIGNING_KEY", keys.private_pem(private))

    assert keys.load().kid == keys.kid_of(private.public_key())
    assert not (tmp_path / "signing_key.pem").exists()


def test_a_key_file_named_by_the_environment_is_read(tmp_path, monkeypatch):
    private = Ed25519PrivateKey.generate()
    (tmp_path / "k.pem").write_text(keys.private_pem(private))
    monkeypatch.setenv("SIGNING_KEY_FILE", str(tmp_path / "k.pem"))

    assert keys.load().kid == keys.kid_of(private.public_key())


def test_a_key_that_is_not_ed25519_stops_the_process_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("SIGNING_KEY", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")

    with pytest.raises(ImproperlyConfigured, match="SIGNING_KEY"):
        keys.load()


def test_after_a_rotation_old_statements_still_verify_with_the_retired_key(page):
    do_open_incident(name="SMS delays", body="Codes arrive late.")
    before = Client().get("/api/v2/incidents.json").json()["incidents"][0]["incident_updates"][0]

    old_kid, new_kid = keys.rotate_laptop_key()

    jwks = served_jwks()
    assert [(k["kid"], k["status"]) for k in jwks["keys"]] == [(new_kid, "current"), (old_kid, "retired")]
    independent_check(before, jwks)
    assert before["kid"] == old_kid and verify(before)
    assert sign({"a": 1})["kid"] == new_kid


def test_retired_keys_from_the_environment_are_published_as_retired(monkeypatch):
    old = Ed25519PrivateKey.generate()
    monkeypatch.setenv("SIGNING_RETIRED_KEYS", keys.public_pem(old.public_key()))

    statuses = {k["kid"]: k["status"] for k in served_jwks()["keys"]}

    assert statuses[keys.kid_of(old.public_key())] == "retired"
    assert list(statuses.values()) == ["current", "retired"]


def test_the_command_makes_the_laptop_key_once_and_rotates_it(tmp_path):
    out = StringIO()
    call_command("signing_key", stdout=out)
    call_command("signing_key", stdout=out)
    first, second = out.getvalue().splitlines()
    assert first == second and str(tmp_path / "signing_key.pem") in first

    call_command("signing_key", "rotate", stdout=out)

    assert [k["status"] for k in served_jwks()["keys"]] == ["current", "retired"]


def test_the_update_in_a_webhook_event_verifies_too(page):
    from statuspage.models import OutboxEvent

    do_open_incident(name="SMS delays", body="Codes arrive late.")

    event = OutboxEvent.objects.latest("created_at")
    (update,) = event.data["incident"]["incident_updates"]
    independent_check(update, served_jwks())


def test_a_maintenance_notice_in_v2_verifies_too(page):
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() + timedelta(days=1)
    do_open_incident(name="Database upgrade", kind=Incident.Kind.MAINTENANCE, body="Sign-in pauses for 20 minutes.",
                     scheduled_for=start, scheduled_until=start + timedelta(hours=1))

    (maintenance,) = Client().get("/api/v2/scheduled-maintenances/upcoming.json").json()["scheduled_maintenances"]
    (update,) = maintenance["incident_updates"]
    independent_check(update, served_jwks())
