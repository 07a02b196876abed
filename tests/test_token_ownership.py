"""API tokens cannot change hands: owner and expiry are fixed at creation, only
administrators manage other users' tokens, and removing a user revokes every token
issued to or by them (issue 12, attack 3)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from statuspage.models import ApiToken, AuditLog, Incident
from statuspage.oncall import role_group

pytestmark = pytest.mark.django_db


def change_url(token):
    return f"/admin/statuspage/apitoken/{token.pk}/change/"


def post_incident(key, name="Seized token"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.post("/api/v1/incidents/", {"name": name}, format="json")


@pytest.fixture
def bob(db):
    user = get_user_model().objects.create_user("bob", password="pw-bob", is_staff=True)
    user.groups.add(role_group("responder"))
    return user


@pytest.fixture
def oncall_user(db):
    """A responder: only admins see and revoke others' tokens."""
    user = get_user_model().objects.create_user("alice", password="pw-alice", is_staff=True)
    user.groups.add(role_group("responder"))
    return user


@pytest.fixture
def console(oncall_user):
    client = Client()
    client.force_login(oncall_user)
    return client


def test_an_oncall_user_cannot_hand_their_token_to_another_user_and_keep_it_after_removal(page, console,
                                                                                         oncall_user, bob):
    token, key = ApiToken.issue(oncall_user)
    expires = token.expires_at

    # The attack of the issue, through the real admin form.
    console.post(change_url(token), {"name": "cli", "user": bob.pk,
                                     "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"})

    token.refresh_from_db()
    assert token.user == oncall_user and token.expires_at == expires
    out = StringIO()
    call_command("oncall", "remove", oncall_user.username, stdout=out)
    assert "revoked 1 token(s)" in out.getvalue()
    assert post_incident(key).status_code == 401
    assert not Incident.objects.filter(name="Seized token").exists()


def test_an_oncall_user_may_still_rename_their_own_token_and_the_rename_is_audited(page, console, oncall_user):
    token, _ = ApiToken.issue(oncall_user)

    response = console.post(change_url(token), {"name": "laptop"})

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.name == "laptop"
    entry = AuditLog.objects.get(action="change", object_type="apitoken")
    assert entry.actor == oncall_user and entry.changes["fields"] == {"name": ["cli", "laptop"]}


def test_an_oncall_user_does_not_see_or_change_another_users_token(page, console, bob):
    token, key = ApiToken.issue(bob)

    listing = console.get("/admin/statuspage/apitoken/").content.decode()
    page_ = console.get(change_url(token))
    console.post(change_url(token), {"name": "stolen"})
    console.post(f"/admin/statuspage/apitoken/{token.pk}/delete/", {"post": "yes"})

    assert token.prefix not in listing
    assert page_.status_code != 200
    token.refresh_from_db()
    assert token.name == "cli"


def test_an_administrator_may_revoke_another_users_token_and_it_is_audited(page, bob):
    admin_user = get_user_model().objects.create_superuser("root", password="pw-root")
    token, key = ApiToken.issue(bob)
    client = Client()
    client.force_login(admin_user)

    response = client.post(f"/admin/statuspage/apitoken/{token.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert AuditLog.objects.filter(action="delete", object_type="apitoken", actor=admin_user).exists()
    assert post_incident(key).status_code == 401


def test_even_an_administrator_cannot_change_a_tokens_owner_or_expiry_in_the_admin(page, bob):
    admin_user = get_user_model().objects.create_superuser("root", password="pw-root")
    token, _ = ApiToken.issue(bob)
    expires = token.expires_at
    client = Client()
    client.force_login(admin_user)

    client.post(change_url(token), {"name": "cli", "user": admin_user.pk,
                                    "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"})

    token.refresh_from_db()
    assert token.user == bob and token.expires_at == expires


def test_the_model_refuses_to_save_a_new_owner_or_expiry(oncall_user, bob):
    token, _ = ApiToken.issue(oncall_user)

    token.user = bob
    with pytest.raises(ValueError, match="owner, issuer and expiry cannot change"):
        token.save()
    token.user = oncall_user
    token.expires_at = timezone.now() + timedelta(days=10_000)
    with pytest.raises(ValueError):
        token.save()


def test_removing_a_user_revokes_the_tokens_they_issued_to_others_and_audits_each(page, oncall_user, bob):
    ApiToken.issue(oncall_user)
    _, issued_key = ApiToken.issue(bob, issued_by=oncall_user)
    _, bobs_own = ApiToken.issue(bob)

    out = StringIO()
    call_command("oncall", "remove", oncall_user.username, stdout=out)

    assert "revoked 2 token(s)" in out.getvalue()
    assert post_incident(issued_key).status_code == 401
    assert post_incident(bobs_own).status_code == 201
    assert AuditLog.objects.filter(action="token_revoke").count() == 2


def test_deactivating_a_user_any_other_way_revokes_their_tokens_too(page, oncall_user, bob):
    _, held = ApiToken.issue(oncall_user)
    _, issued = ApiToken.issue(bob, issued_by=oncall_user)

    oncall_user.is_active = False
    oncall_user.save()  # as the admin's user page or a shell would

    assert post_incident(held).status_code == 401 and post_incident(issued).status_code == 401
    assert AuditLog.objects.filter(action="token_revoke").count() == 2


def test_deleting_a_user_revokes_the_tokens_they_issued(page, oncall_user, bob):
    _, issued = ApiToken.issue(bob, issued_by=oncall_user)

    oncall_user.delete()

    assert post_incident(issued).status_code == 401
