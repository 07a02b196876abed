import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from statuspage.models import ApiToken, AuditLog
from statuspage.oncall import ensure_oncall_group, revoke_tokens


class Command(BaseCommand):
    help = "Manage on-call users: add USERNAME (prints an API token), token USERNAME, remove USERNAME, list."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create an on-call user and print an API token")
        add.add_argument("username")
        add.add_argument("--email", default="")
        add.add_argument("--password", help="admin password (default: a random one, printed once)")
        add.add_argument("--superuser", action="store_true")
        token = sub.add_parser("token", help="issue a new API token for an on-call user")
        token.add_argument("username")
        remove = sub.add_parser("remove", help="deactivate a user and revoke their tokens")
        remove.add_argument("username")
        sub.add_parser("list", help="list on-call users")

    def handle(self, *args, action, **opts):
        getattr(self, f"do_{action}")(**opts)

    def do_add(self, username, email, password, superuser, **_):
        User = get_user_model()
        group = ensure_oncall_group()
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        password = password or secrets.token_urlsafe(12)
        user.is_staff = True
        user.is_active = True
        user.is_superuser = user.is_superuser or superuser
        user.set_password(password)
        user.save()
        user.groups.add(group)
        token, key = ApiToken.issue(user)
        AuditLog.record(via="config", action="oncall_add", obj=user, summary=username)
        AuditLog.record(via="config", action="token_issue", obj=token, summary=str(token))
        self.stdout.write(f"{'created' if created else 'updated'} on-call user {username}")
        self.stdout.write(f"admin password: {password}")
        self.stdout.write(f"API token: {key}")

    def do_token(self, username, **_):
        user = self._user(username)
        token, key = ApiToken.issue(user)
        AuditLog.record(via="config", action="token_issue", obj=token, summary=str(token))
        self.stdout.write(f"API token: {key}")

    def do_remove(self, username, **_):
        user = self._user(username)
        with transaction.atomic():
            revoked = revoke_tokens(user, f"on removal of {username}")
            user.is_active = False
            user.save(update_fields=["is_active"])  # revokes again: none left
            AuditLog.record(via="config", action="oncall_remove", obj=user, summary=username,
                            changes={"revoked_tokens": revoked})
        self.stdout.write(f"deactivated {username}, revoked {len(revoked)} token(s)")

    def do_list(self, **_):
        group = ensure_oncall_group()
        for user in group.user_set.order_by("username"):
            self.stdout.write(f"{user.username}\t{'active' if user.is_active else 'inactive'}")

    def _user(self, username):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
