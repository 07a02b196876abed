"""`manage.py oncall`: on-call users, their role, where they are alerted, their API tokens."""

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from statuspage import roles
from statuspage.models import ApiToken, AuditLog, OnCallContact
from statuspage.notify.oncall_alerts import send_test_alert
from statuspage.oncall import revoke_tokens, set_role
from statuspage.webhooks.ssrf import BlockedAddress, check_url

LANGUAGES = [code for code, _ in OnCallContact._meta.get_field("language").choices]


class Command(BaseCommand):
    help = ("Manage on-call users: add USERNAME [--role responder|admin] [--email] [--webhook URL] "
            "(prints an API token), test USERNAME (sends a test alert), token USERNAME, remove USERNAME, list.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create or update an on-call user and print an API token")
        add.add_argument("username")
        add.add_argument("--role", choices=roles.ROLES, default=roles.RESPONDER,
                         help="responder (default): incidents, updates, maintenances; admin: also config, "
                              "users, tokens, subscribers, deletes (docs/on-call.md)")
        add.add_argument("--email", default=None, help="the user's address; alerts go there")
        add.add_argument("--webhook", default=None, metavar="URL", help="alerts are POSTed here too")
        add.add_argument("--webhook-format", choices=[c for c, _ in OnCallContact.WebhookFormat.choices],
                         default=None, help="chat (default): {\"text\": …} for Slack, Mattermost, Rocket.Chat; "
                                            "signed: Standard Webhooks signed JSON")
        add.add_argument("--language", choices=LANGUAGES, default=None, help="of the alerts (default en)")
        add.add_argument("--password", help="admin password (default: a random one, printed once)")
        add.add_argument("--superuser", action="store_true")
        test = sub.add_parser("test", help="send a test alert to an on-call user, now, and say how it went")
        test.add_argument("username")
        token = sub.add_parser("token", help="issue a new API token for an on-call user")
        token.add_argument("username")
        remove = sub.add_parser("remove", help="deactivate a user and revoke their tokens")
        remove.add_argument("username")
        sub.add_parser("list", help="list on-call users, their role and where they are alerted")

    def handle(self, *args, action, **opts):
        getattr(self, f"do_{action}")(**opts)

    def do_add(self, username, role, email, webhook, webhook_format, language, password, superuser, **_):
        webhook = _checked(email, webhook)
        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            password = password or secrets.token_urlsafe(12)
            user.is_staff = user.is_active = True
            user.is_superuser = user.is_superuser or superuser
            user.email = user.email if email is None else email
            user.set_password(password)
            user.save()
            set_role(user, role)
            contact = _save_contact(user, webhook, webhook_format, language)
            token, key = ApiToken.issue(user)
            AuditLog.record(via="config", action="oncall_add", obj=user, summary=username,
                            changes={"role": role, "email": user.email, "webhook": contact.alert_webhook_url})
            AuditLog.record(via="config", action="token_issue", obj=token, summary=str(token))
        self.stdout.write(f"{'created' if created else 'updated'} on-call user {username} (role {role})")
        self.stdout.write(f"admin password: {password}")
        self.stdout.write(f"API token: {key}")
        self._say_where_alerted(contact)

    def _say_where_alerted(self, contact):
        if not contact.reachable():
            self.stderr.write(self.style.WARNING(
                f"WARNING: {contact.user.username} has no email and no webhook: they will not be alerted. "
                f"Add one: manage.py oncall add {contact.user.username} --email ADDRESS or --webhook URL"))
            return
        if contact.alert_webhook_url:
            self.stdout.write(f"alerts: {contact.webhook_format} webhook {contact.alert_webhook_url}")
            if contact.webhook_format == OnCallContact.WebhookFormat.SIGNED:
                self.stdout.write(f"webhook secret (verify the webhook-signature header): {contact.webhook_secret}")
        if contact.alert_by_email and contact.user.email:
            self.stdout.write(f"alerts: email {contact.user.email}")

    def do_test(self, username, **_):
        user = self._user(username)
        reached, failed = send_test_alert(user)
        for channel in reached:
            self.stdout.write(f"test alert sent: {channel}")
        for channel in failed:
            self.stderr.write(self.style.ERROR(f"test alert NOT delivered: {channel}"))
        AuditLog.record(via="config", action="oncall_test", obj=user, summary=username,
                        changes={"reached": reached, "failed": failed})
        if not reached and not failed:
            raise CommandError(f"{username} has no email and no webhook: nothing to test")
        if failed:
            raise CommandError(f"{len(failed)} channel(s) did not take the test alert")

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
        User = get_user_model()
        everyone = User.objects.filter(groups__name__in=roles.ROLES).distinct().order_by("username")
        for user in everyone.select_related("oncall_contact").prefetch_related("groups"):
            contact = getattr(user, "oncall_contact", None)
            # No contact row: alerted by email if they have an address (as statuspage.notify does).
            reachable = contact.reachable() if contact else bool(user.email)
            alerted = "alerted" if user.is_active and reachable else "NOT alerted"
            held = {g.name for g in user.groups.all()}
            role = roles.ADMIN if roles.ADMIN in held else roles.RESPONDER
            self.stdout.write(f"{user.username}\t{'active' if user.is_active else 'inactive'}\t{role}\t{alerted}")

    def _user(self, username):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None


def _checked(email, webhook):
    """Refuse a bad address or a webhook URL the SSRF guard would refuse, before anything is saved."""
    from django.conf import settings

    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"--email: {email!r} is not an email address") from None
    if not webhook:
        return webhook
    try:
        check_url(webhook, settings.WEBHOOK_ALLOWED_NETWORKS)  # the rule every webhook URL meets
    except (BlockedAddress, ValueError, OSError) as exc:
        raise CommandError(f"--webhook: {exc}") from None
    return webhook


def _save_contact(user, webhook, webhook_format, language) -> OnCallContact:
    contact, _ = OnCallContact.objects.get_or_create(user=user)
    if webhook is not None:
        contact.alert_webhook_url = webhook
    if webhook_format:
        contact.webhook_format = webhook_format
    if language:
        contact.language = language
    contact.save()
    return contact
