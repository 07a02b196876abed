"""`manage.py oncall add|token|remove|list`: on-call users and their API tokens."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from statuspage.models import ApiToken, AuditLog, Incident

pytestmark = pytest.mark.django_db


def oncall(*args) -> str:
    out = StringIO()
    call_command("oncall", *args, stdout=out)
    return out.getvalue()


def token_in(output: str) -> str:
    match = re.search(r"^API token: (\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def open_incident(key: str, name="Login fails"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.post("/api/v1/incidents/", {"name": name}, format="json")


def test_add_creates_a_staff_user_who_is_a_responder_by_default(page):
    output = oncall("add", "bob")

    user = get_user_model().objects.get(username="bob")
    assert user.is_staff and user.is_active and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["responder"]
    assert "created on-call user bob (role responder)" in output


def test_add_prints_a_token_that_opens_incidents(page):
    key = token_in(oncall("add", "bob"))

    response = open_incident(key)

    assert response.status_code == 201
    incident = Incident.objects.get(pk=response.json()["id"])
    assert incident.created_by.username == "bob"


def test_the_token_is_stored_only_as_a_digest(page):
    key = token_in(oncall("add", "bob"))

    assert not ApiToken.objects.filter(digest=key).exists()
    assert key not in str(list(ApiToken.objects.values()))


def test_add_prints_a_password_that_logs_in_to_the_console(page):
    output = oncall("add", "bob")
    password = re.search(r"^admin password: (\S+)$", output, re.MULTILINE).group(1)

    client = Client()
    assert client.login(username="bob", password=password)
    assert client.get("/admin/statuspage/incident/").status_code == 200


def test_add_takes_a_chosen_password(page):
    oncall("add", "bob", "--password", "correct horse battery staple")

    assert Client().login(username="bob", password="correct horse battery staple")


def test_adding_an_existing_user_makes_them_oncall_without_a_second_account(page, outsider):
    output = oncall("add", "mallory")

    assert get_user_model().objects.filter(username="mallory").count() == 1
    assert "updated on-call user mallory" in output
    assert open_incident(token_in(output)).status_code == 201


def test_adding_is_recorded_in_the_audit_trail(page):
    oncall("add", "bob")

    assert AuditLog.objects.filter(action="oncall_add", summary="bob").exists()


def test_token_issues_a_new_working_token_and_keeps_the_old_one(page):
    first = token_in(oncall("add", "bob"))

    second = token_in(oncall("token", "bob"))

    assert second != first
    assert open_incident(second, "First").status_code == 201
    assert open_incident(first, "Second").status_code == 201


def test_token_for_an_unknown_user_is_a_clear_error(page):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        oncall("token", "nobody")


def test_remove_deactivates_the_user_and_their_tokens_stop_working(page):
    first = token_in(oncall("add", "bob"))
    second = token_in(oncall("token", "bob"))

    output = oncall("remove", "bob")

    assert get_user_model().objects.get(username="bob").is_active is False
    assert "revoked 2 token(s)" in output
    assert open_incident(first).status_code == 401
    assert open_incident(second).status_code == 401
    assert Incident.objects.count() == 0
    assert AuditLog.objects.filter(action="oncall_remove", summary="bob").exists()


def test_a_removed_user_cannot_log_in_to_the_console(page):
    oncall("add", "bob", "--password", "pw-bob-123")

    oncall("remove", "bob")

    assert not Client().login(username="bob", password="pw-bob-123")


def test_adding_a_removed_user_again_brings_them_back(page):
    oncall("add", "bob")
    oncall("remove", "bob")

    key = token_in(oncall("add", "bob"))

    assert open_incident(key).status_code == 201


def test_list_shows_oncall_users_and_whether_they_are_active(page, oncall_user, outsider):
    oncall("add", "bob")
    oncall("add", "carol")
    oncall("remove", "carol")

    assert oncall("list").splitlines() == ["alice\tactive\tadmin\tNOT alerted", "bob\tactive\tresponder\tNOT alerted",
                                           "carol\tinactive\tresponder\tNOT alerted"]


def test_an_action_is_required(page):
    with pytest.raises(CommandError):
        oncall()


def test_list_says_who_is_alerted(page):
    oncall("add", "bob", "--email", "bob@example.org")
    oncall("add", "carol")

    assert oncall("list").splitlines() == ["bob\tactive\tresponder\talerted", "carol\tactive\tresponder\tNOT alerted"]
